"""What the stages of one solve share: a frozen context rather than a dozen parameters.

:func:`.pipeline.prepare` builds one :class:`SolveContext` per solve (a part of a solve by parts
builds its own); every later stage — warm start, components, search, assembly — reads it and
changes nothing in it but the two objects meant to change: :class:`Limits` (which remembers
what cut the search short) and :class:`Phases` (the seconds of each phase). The plan being
built travels beside it as :class:`Chosen`, flags on the candidate pairs that the stages set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..arrays import BoolArray, InstanceArrays, IntArray
from ..candidates import Candidates
from ..model import Instance, Settings
from ..plan import Plan
from .cpsat import PairFlags
from .limits import Limits
from .options import Progress, ResolvedOptions, Tuning
from .stable import Stability

__all__ = ["Chosen", "Phases", "SolveContext", "WarmStart"]


@dataclass
class Chosen:
    """The plan being built, as flags on the candidate pairs (the stages set them in place)."""

    offer_chosen: BoolArray
    slot_chosen: BoolArray

    def plan(self, arrays: InstanceArrays, cand: Candidates) -> Plan:
        """The chosen pairs as a plan of ids: placements, then sessions, in pair order."""
        o, w = np.flatnonzero(self.offer_chosen), np.flatnonzero(self.slot_chosen)
        return arrays.decode(
            np.column_stack((cand.offers.student[o], cand.offers.item[o])),
            np.column_stack((cand.slots.student[w], cand.slots.item[w])),
        )


@dataclass(frozen=True, eq=False)
class WarmStart:
    """What the warm start stage hands to the components: its plan and the flow's placed
    students (their counts bound ``qpv_placed`` and ``placed`` of each component)."""

    chosen: Chosen
    flow_placed: BoolArray


@dataclass
class Phases:
    """Seconds per phase of a solve, told to ``progress`` as each phase ends."""

    progress: Progress
    started: float = field(default_factory=time.monotonic)
    seconds: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._mark = self.started

    def end(self, name: str) -> None:
        """The phase ``name`` ended now; the next one starts now."""
        now = time.monotonic()
        self.seconds[name] = now - self._mark
        self.progress.on_phase(name, self.seconds[name])
        self._mark = now

    def total(self) -> dict[str, float]:
        """Every phase's seconds, and ``total`` since the solve started."""
        self.seconds["total"] = self._mark - self.started
        return self.seconds


@dataclass(frozen=True, eq=False)
class SolveContext:
    """One solve's instance, candidate pairs, options and what the first stage derived.

    Attributes
    ----------
    cand
        The candidate pairs to choose from: the whole instance's, or those of the items a part
        owns (``whole`` tells which).
    objective
        The levels optimised, in order (``changes`` included when re-planning).
    leading
        The levels at the top of ``objective`` that the flow proves for the whole instance
        (none with stability or a binding QPV share: its optima are then only bounds).
    flags
        Pins and the previous plan as flags on the candidate pairs.
    share_candidates
        Per offer, its QPV candidates (:mod:`stagematch.share`).
    short
        The short list: placement pairs grouped by student, cheapest first, pinned and previous
        ones included (:mod:`.shortlist`).
    scale
        Travel minutes are counted in ``1/scale`` minutes by the models (1, or 100 when some
        are fractional).
    """

    instance: Instance
    cand: Candidates
    options: ResolvedOptions
    limits: Limits
    phases: Phases
    objective: list[str]
    leading: list[str]
    flags: PairFlags
    share_candidates: IntArray
    stability: Stability | None
    short: IntArray
    scale: int
    previous: Plan | None = None
    whole: bool = True

    @property
    def arrays(self) -> InstanceArrays:
        return self.instance.arrays

    @property
    def settings(self) -> Settings:
        return self.instance.settings

    @property
    def tuning(self) -> Tuning:
        return self.options.tuning

    @property
    def workshops_per_student(self) -> int:
        return int(self.instance.settings.workshops_per_student)


def scaled_minutes(minutes: np.ndarray, scale: int) -> IntArray:
    """Travel minutes in the models' integer units (``1/scale`` minutes)."""
    return np.rint(minutes * scale).astype(np.int64)
