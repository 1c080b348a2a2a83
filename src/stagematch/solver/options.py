"""How a solve runs: one :class:`SolveOptions` for every entry point, and the tuning knobs.

:func:`stagematch.solve`, :func:`stagematch.resolve`, :func:`stagematch.solver.parts.solve_in_parts`
and :func:`stagematch.solve_json` all take the same options, either as one ``SolveOptions`` or
as keyword arguments of the same names (``solve(instance, budget=5, seed=0)``), which build one.
An option left at ``None`` takes the dataset's setting (``time_limit_s``, ``seed``, ``budget``,
``stable``) when the solve starts: :meth:`SolveOptions.resolved` fills them in.

The solver's thresholds and search sizes are fields of :class:`Tuning`, not module globals: a
test that forces the large-instance paths on a small instance passes
``SolveOptions(tuning=Tuning(exact_pairs=0))``, and a renamed knob is a ``TypeError``.

This module imports no solver library, so options can be built without loading OR-Tools.
"""

from __future__ import annotations

import dataclasses
import re
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ..i18n import _

if TYPE_CHECKING:
    from ..model import Settings

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "Progress",
    "ResolvedOptions",
    "SolveOptions",
    "Stop",
    "Tuning",
    "memory_megabytes",
]

DEFAULT_MEMORY_LIMIT = 4096
"""Megabytes (of 1,048,576 bytes) a solve may expect to use before it goes by parts: half an
8 GB laptop, leaving the rest to the system and the programs around it."""

_SIZE = re.compile(r"(\d+(?:\.\d*)?)\s*(mb|m|mib|gb|g|gib)?", re.IGNORECASE)


def memory_megabytes(value: int | float | str) -> int | None:
    """A memory limit in megabytes: a number of megabytes, or text such as ``4GB``, ``3500MB``,
    ``3500`` (megabytes; a gigabyte is 1,024 of them), or ``off`` (``None``: no limit).

    Raises
    ------
    ValueError
        For anything else, or a size below one megabyte.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "off":
            return None
        match = _SIZE.fullmatch(text)
        size = None
        if match:
            unit = (match.group(2) or "mb").lower()
            size = float(match.group(1)) * (1024 if unit.startswith("g") else 1)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        size = float(value)
    else:
        size = None
    if size is None or not size >= 1:
        raise ValueError(
            _(
                "the memory limit must be a size such as 4GB or 3500MB (at least 1MB), "
                "or off; got {value}"
            ).format(value=repr(value))
        )
    return int(size)


class Stop(Protocol):
    """Anything with ``is_set()``: ``threading.Event``, ``multiprocessing.Event``, ..."""

    def is_set(self) -> bool: ...


class Progress:
    """Hooks called while solving; override the ones you need (all do nothing by default)."""

    def on_phase(self, phase: str, seconds: float) -> None:
        """A phase finished: ``candidates``, ``shortlist``, ``flow``, ``greedy``,
        ``components`` or ``reasons``."""

    def on_component(self, done: int, total: int, students: int) -> None:
        """A component of ``students`` students was solved (``done`` of ``total``)."""

    def on_level(self, level: str, value: float, bound: float) -> None:
        """A level of the current component was optimised."""

    def on_memory(self, estimated: int, limit: int, parts: int) -> None:
        """The solve is expected to need ``estimated`` megabytes, above ``memory_limit``
        (``limit``): it goes by ``parts`` parts, or whole when ``parts`` is 0 (stable plans,
        a minimum QPV share and re-planning cannot be solved by parts)."""


@dataclass(frozen=True)
class Tuning:
    """Thresholds and sizes of the search. The defaults are what ships; tests lower them to run
    the large-instance paths on instances small enough for brute force."""

    exact_pairs: int = 30_000
    """Components with at most this many candidate pairs are solved as one exact model."""

    stable_exact_pairs: int = 30_000
    """The same limit with ``stable=True`` (larger components: neighbourhood search, still
    stable)."""

    relaxation_pairs: int = 100_000
    """Searched components with at most this many pairs get bounds from the linear relaxation
    of their exact model solved by interior point (:func:`.relaxation.relaxation_bounds`; a
    1,000-student bassin, 55,000 pairs, needs about 6 CPU seconds a level)."""

    relaxation_iterations: int = 400
    """Interior-point iterations per level for a relaxation bound: a deterministic cap (a bassin
    of 1,000 students needs about 60; a level that hits the cap keeps its search-free bound)."""

    first_order_pairs: int = 1_000_000
    """Larger searched components with at most this many pairs get a Lagrangian bound
    (:func:`.lagrangian.lagrangian_bounds`; a 3,000-student bassin has 520,000 pairs), and the
    sessions-alone relaxation of ``coaches`` PDLP's duals; larger ones keep the search-free
    bounds of :mod:`.bounds` (their pairs' data would take gigabytes)."""

    lagrangian_pairs: int = 30_000
    """Searched components with more pairs than this, whose every rule the Lagrangian bound
    models (no pins, no ``changes`` or ``coaches`` level; minimum QPV shares priced as the rows
    they imply), get it
    rather than the interior point's relaxation bound: as tight, for a fraction of the work (a
    1,000-student bassin: 1.4 CPU seconds for four levels, where the interior point needs
    about 30)."""

    lagrangian_rounds: int = 200
    """Most rounds of column generation per level for a Lagrangian bound: each prices every
    student's best programme once. A level usually stops well before, once converged (about 15
    rounds at 1,000 students, 30 to 55 at 3,000); a deterministic cap."""

    lagrangian_tolerance: float = 1e-5
    """A level's column generation stops once the master LP's value is within this share of the
    Lagrangian bound (or the integer bound reported can no longer move): later rounds could
    tighten the bound by no more."""

    first_order_iterations: int = 1_000
    """PDLP iterations per level: a deterministic cap on the first-order bound's work (about
    30 CPU seconds a level for 520,000 pairs); any iterate's duals give a valid bound."""

    polish_pairs: int = 100_000
    """Searched components with at most this many pairs get their lower levels polished by the
    linear relaxation of their exact model after the search (:mod:`.polish`; a 1,000-student
    bassin has 55,000 pairs; a 3,000-student one, 520,000, would take minutes; 0: never),
    unless the Lagrangian master makes their plans (``master_plan_nodes``)."""

    polish_levels: tuple[str, ...] = ("coverage", "preference", "travel")
    """The levels the polish starts at: the first of them in the objective and every level
    below it (``workshops``' relaxation is fractional and three times as long to solve)."""

    polish_iterations: int = 40_000
    """Simplex iterations per polished level: a deterministic cap (a 1,000-student bassin needs
    9,000 to 15,000 a level; a level that hits it keeps the search's value)."""

    polish_nodes: int = 200
    """Branch-and-bound nodes per polished level whose relaxation's optimum is fractional: the
    columns it has integral are fixed and the rest searched (RENS; 0: such a level keeps the
    search's value)."""

    master_plan_nodes: int = 500
    """Branch-and-bound nodes of each MILP over the Lagrangian master's programmes that makes a
    plan of a searched component with the Lagrangian bound whose every rule the master models
    (:mod:`.master_plan`; in place of the polish): a deterministic cap, on top of the budget
    (0: no such plans)."""

    min_component_work: float = 0.5
    """Work any component gets however small its share: enough to prove a small model."""

    shortlist: int = 40
    """Cheapest candidate placements per student the flow starts from (it adds what it
    needs)."""

    neighbourhood: int = 30
    """Students freed per step of neighbourhood search: small enough that CP-SAT proves most
    steps within a few hundredths of a unit, so the default budget makes a hundred steps or
    more (docs/benchmarks.md, "Neighbourhood search at scale")."""

    pairs_per_student: int = 24
    """Cheapest candidate placements kept per student in a neighbourhood step."""

    free_pairs_per_student: int = 8
    """Cheapest candidate placements with a free seat added per student in a neighbourhood
    step (the cheapest pairs are the full ones)."""

    step_deterministic_time: float = 0.25
    """CP-SAT deterministic-time units per level in a neighbourhood step."""

    reassign_pairs: int = 1_000_000
    """Searched components with at most this many candidate pairs end their search by
    re-assigning all their sessions, then all their placements, by min-cost flows
    (:mod:`.reassign`; a 3,000-student bassin has 520,000 pairs; 0: never whole)."""

    region_pairs: int = 600_000
    """Larger components (an académie's) are re-assigned by those flows a region at a time
    (:mod:`.regions`): nearby students whose flows hold at most this many pairs (their
    sessions, cheapest placements and free seats; 0: never). Measured on the académie
    (docs/benchmarks.md): 250,000 and 1,000,000 gave fewer workshops."""

    region_free_pairs: int = 48
    """Cheapest candidate placements with a free seat each student brings to the flows by
    regions, beside its ``pairs_per_student`` cheapest: the académie's free seats are far
    down its students' lists (8 gave 10,000 half-days less coverage a pass, 96 fewer
    workshops: smaller regions)."""

    region_plan_work: float = 0.0
    """Work for plans from the Lagrangian master a region at a time (:mod:`.region_plans`)
    after the search of a component too large for the master's plans (an académie's): each
    region is charged about its CPU seconds. 0 (the default): none — the académie's regions
    cost more than 500 CPU s (a run planning all 64 was stopped unfinished after 626), which
    the 120-s cap does not leave."""

    wish_floor_pairs: int = 15_000_000
    """Searched components with at most this many ranked placement pairs get the floor of
    ``preference`` over every wished pair (:mod:`.wish_floor`; the académie has 10.1 M, whose
    flow costs about 17 CPU s and 850 MB more at the solve's peak, about 65 bytes a pair);
    larger ones (twice the académie's offer density) keep the short lists' floor, within the
    memory limit."""

    region_plan_students: int = 800
    """Students of a region given its own master (:mod:`.region_plans`): on the académie 789
    students took 2 CPU s, 6,315 took 133."""

    step_charge: float = 0.05
    """Work charged per neighbourhood step on top of CP-SAT's deterministic time, for building
    its model (about what a step's Python costs in seconds on a quiet machine), so that work
    tracks real effort."""

    merge_share: float = 0.1
    """Solving by parts: share of the time limit kept for the repair, the bounds and the reasons
    (at most 120 s)."""


@dataclass(frozen=True)
class SolveOptions:
    """Everything about *how* to solve (the dataset says *what*). ``None``: the setting.

    Attributes
    ----------
    time_limit
        A wall-clock safety cap in seconds for the whole solve (default:
        ``settings.time_limit_s``). The search is measured in ``budget`` work, not in time;
        if the cap cuts it short, the best plan found so far is returned with its proven bounds
        and ``result.stopped_by == "time_limit"`` (only then may two runs differ).
    seed
        The solvers' random seed (default: ``settings.seed``). The same input, seed, ``budget``
        and ``workers`` give the same plan (``docs/concepts/determinism.md``).
    budget
        Search work, in units of CP-SAT deterministic time (about a second of one worker on a
        quiet machine; default: ``settings.budget``). Shared among components by size, fixed
        before any runs; neighbourhood search also ends when a sweep improves nothing.
    workers
        CP-SAT search workers (threads).
    stable
        Only plans without justified envy (``docs/fairness.md``), the best of them (default:
        ``settings.stable``).
    executor
        Runs the components small enough for an exact model (by parts: the parts), as picklable
        tasks: any ``concurrent.futures.Executor`` (a process pool, ``dask.distributed``'s
        ``Client.get_executor()``, ...). Default: one by one in this process. Each task's work
        is fixed before any runs, so the executor changes how long the solve takes, never the
        plan.
    progress
        Receives progress events (see :class:`Progress`).
    stop
        Anything with ``is_set()`` (a ``threading.Event``, a ``multiprocessing.Event``). Once
        set, the search ends within about a second and the best valid plan found so far is
        returned, ``status`` ``feasible`` unless every level was already proven, and
        ``result.stopped_by == "interrupt"``. The candidate pairs and the flow run to their
        end (the bounds rest on the flow's optima); the greedy completion stops at the flag.
    memory_limit
        Megabytes the solve may expect to use (a number, or text: ``"4GB"``, ``"3500MB"``;
        ``"off"``: no limit; default :data:`DEFAULT_MEMORY_LIMIT`, which fits an 8 GB laptop).
        Before any candidate pair is listed, the pairs and the memory they need are estimated
        (:mod:`.memory`); above the limit the instance is solved by geographic parts whose
        pairs each fit it (:mod:`.parts`), and the result's options say so (``parts``,
        ``estimated_memory``). Stable plans, a minimum QPV share and re-planning cannot be
        split: they are solved whole, and :meth:`Progress.on_memory` says the limit was
        passed.
    tuning
        The search's thresholds and sizes (:class:`Tuning`); the defaults are what ships.
    """

    time_limit: float | None = None
    seed: int | None = None
    budget: float | None = None
    workers: int = 1
    stable: bool | None = None
    executor: Executor | None = None
    progress: Progress | None = None
    stop: Stop | None = None
    memory_limit: int | float | str | None = None
    tuning: Tuning = field(default_factory=Tuning)

    @classmethod
    def given(cls, options: SolveOptions | None, **changes: object) -> SolveOptions:
        """``options`` (default: all defaults) with the given fields changed; ``None`` values
        change nothing, so keyword arguments an entry point left at their default keep what
        ``options`` says."""
        given = {name: value for name, value in changes.items() if value is not None}
        return dataclasses.replace(options or cls(), **given)  # type: ignore[arg-type]

    def resolved(self, settings: Settings) -> ResolvedOptions:
        """The options with every ``None`` replaced by the dataset's setting."""
        return ResolvedOptions(
            time_limit=settings.time_limit_s if self.time_limit is None else float(self.time_limit),
            seed=settings.seed if self.seed is None else int(self.seed),
            budget=settings.budget if self.budget is None else float(self.budget),
            workers=int(self.workers),
            stable=settings.stable if self.stable is None else bool(self.stable),
            executor=self.executor,
            progress=self.progress or Progress(),
            stop=self.stop,
            memory_limit=DEFAULT_MEMORY_LIMIT
            if self.memory_limit is None
            else memory_megabytes(self.memory_limit),
            tuning=self.tuning,
        )


@dataclass(frozen=True)
class ResolvedOptions:
    """:class:`SolveOptions` with the dataset's settings filled in: what one solve runs with."""

    time_limit: float
    seed: int
    budget: float
    workers: int
    stable: bool
    executor: Executor | None
    progress: Progress
    stop: Stop | None
    memory_limit: int | None  # megabytes; None: no limit
    tuning: Tuning

    def recorded(self) -> dict[str, object]:
        """The options a result records (``Result.options``), beside the method and objective."""
        return {
            "budget": self.budget,
            "time_limit": self.time_limit,
            "seed": self.seed,
            "workers": self.workers,
            "memory_limit": "off" if self.memory_limit is None else self.memory_limit,
        }
