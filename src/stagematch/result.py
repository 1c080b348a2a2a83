"""What a solve returns: the plan, each level's value and proven bound, the unplaced and why.

A :class:`Result` is plain data (no solver objects), so it can be checked, reported, written to
disk and read back without OR-Tools. Tables come out as pandas DataFrames with the SPEC's
columns; :meth:`Result.summary` is the content of ``summary.json``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._version import __version__
from .errors import Problem
from .levels import covered_half_days
from .model import MAXIMISED_LEVELS, Instance
from .plan import Plan
from .transport import Transport, transport

Status = Literal["optimal", "feasible"]
StoppedBy = Literal["time_limit", "interrupt"]
REASONS: tuple[str, ...] = ("no_reachable_offer", "no_eligible_offer", "capacity")
ASSIGNMENT_COLUMNS = [
    "student_id",
    "kind",
    "item_id",
    "start",
    "end",
    "part",
    "travel_min",
    "wish_rank",
]
UNPLACED_COLUMNS = ["student_id", "qpv", "reason", "detail"]
WARNING_COLUMNS = ["table", "row", "column", "value", "message"]


@dataclass(frozen=True)
class LevelResult:
    """A level's achieved value and the best bound proven for it.

    For a maximised level the bound is an upper bound, for a minimised one a lower bound. Lower
    levels' bounds hold given the values reached on the levels before them.
    """

    value: float
    bound: float
    maximise: bool

    @property
    def proven(self) -> bool:
        return bool(np.isclose(self.value, self.bound))

    @property
    def gap(self) -> float:
        """|value − bound| / max(|value|, |bound|): 0 when proven, at most 1.

        The larger of the two as denominator keeps the gap meaningful when a minimised level's
        bound is 0 or a maximised level's value is 0.
        """
        if self.proven:
            return 0.0
        return abs(self.bound - self.value) / max(abs(self.bound), abs(self.value))

    def as_dict(self) -> dict[str, float]:
        return {"value": _number(self.value), "bound": _number(self.bound)}


def _number(x: float) -> float:
    return int(x) if float(x).is_integer() else round(float(x), 6)


@dataclass(frozen=True)
class Unplaced:
    """A student without a placement, with the first reason that applies (see SPEC)."""

    student_id: str
    qpv: bool
    reason: str
    detail: str


@dataclass(frozen=True, eq=False)
class Result:
    """A solved plan with its levels, status, reasons for the unplaced and timings."""

    instance: Instance
    plan: Plan
    status: Status
    levels: dict[str, LevelResult]
    unplaced: tuple[Unplaced, ...]
    seconds: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    travel_minutes: dict[tuple[str, str], float] = field(default_factory=dict)
    wish_rank: dict[tuple[str, str], int] = field(default_factory=dict)
    stopped_by: StoppedBy | None = None
    """``None`` when the work budget or convergence ended the search (the plan is then the same
    on every run); ``"time_limit"`` when the wall-clock cap cut it short; ``"interrupt"`` when a
    stop flag did (see :func:`stagematch.solve`)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Every option that shaped the plan (``method``, ``objective``, ``stable``,
    ``qpv_min_share``, ``budget``, ``time_limit``, ``seed``, ``workers``): what
    ``stagematch reproduce`` solves with. Empty for a plan the solver did not make."""
    warnings: tuple[Problem, ...] = ()
    """What was planned around: the instance's warnings and those of reach (see
    :func:`stagematch.candidates.reach_warnings`)."""

    def value(self, level: str) -> float:
        return self.levels[level].value

    @cached_property
    def assignments_frame(self) -> pd.DataFrame:
        """``assignments.csv``: one row per student and item, with dates, travel and rank."""
        instance = self.instance
        offers = {o.offer_id: o for o in instance.offers}
        slots = {s.slot_id: s for s in instance.workshop_slots}
        settings = instance.settings
        rows = []
        for a in self.plan.assignments:
            key = (a.student_id, a.item_id)
            if a.kind == "placement":
                offer = offers[a.item_id]
                start, end, part = (
                    offer.start or settings.period_start,
                    offer.end or settings.period_end,
                    "",
                )
                rank = self.wish_rank.get(key, 0)
            else:
                slot = slots[a.item_id]
                start, end, part, rank = slot.date, slot.date, slot.part, 0
            rows.append(
                (
                    a.student_id,
                    a.kind,
                    a.item_id,
                    start.isoformat(),
                    end.isoformat(),
                    part,
                    _number(self.travel_minutes.get(key, float("nan"))),
                    rank if rank else pd.NA,
                )
            )
        frame = pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS)
        frame["wish_rank"] = frame["wish_rank"].astype("Int64")
        return frame

    @cached_property
    def unplaced_frame(self) -> pd.DataFrame:
        """``unplaced.csv``: every student without a placement, with a reason and a detail."""
        return pd.DataFrame(
            [(u.student_id, u.qpv, u.reason, u.detail) for u in self.unplaced],
            columns=UNPLACED_COLUMNS,
        )

    @property
    def warnings_frame(self) -> pd.DataFrame:
        """The warnings as a table (one row each): what was planned around, and where; the
        messages in the language in force."""
        frame = pd.DataFrame(
            [(w.table, w.row, w.column, w.value, w.text()) for w in self.warnings],
            columns=WARNING_COLUMNS,
        )
        frame["row"] = frame["row"].astype("Int64")
        return frame

    @cached_property
    def transport(self) -> Transport | None:
        """Coaches and public transport of the plan, with costs; ``None`` when the dataset
        gives no transport setting (see :mod:`stagematch.transport`)."""
        return transport(self.instance, self.plan)

    def counts(self) -> dict[str, int]:
        students = self.instance.students
        placed = set(self.plan.placements)
        qpv = {s.student_id for s in students if s.qpv}
        return {
            "students": len(students),
            "qpv_students": len(qpv),
            "placed": len(placed),
            "qpv_placed": len(placed & qpv),
            "unplaced": len(students) - len(placed),
            "placements": sum(len(v) for v in self.plan.placements.values()),
            "workshop_sessions": sum(len(v) for v in self.plan.workshops.values()),
            "offers": len(self.instance.offers),
            "workshop_slots": len(self.instance.workshop_slots),
        }

    def kpis(self) -> dict[str, float | None]:
        """Headline indicators for ``summary.json`` (the full tables live in the reports)."""
        counts = self.counts()
        n = max(counts["students"], 1)
        travel = np.array(list(self.travel_minutes.values()), dtype=float)
        ranks = np.array(list(self.wish_rank.values()), dtype=float)
        n_half = max(self.instance.n_half_days, 1)
        by_reason = {r: 0 for r in REASONS}
        for u in self.unplaced:
            by_reason[u.reason] += 1
        return {
            "placed_rate": round(counts["placed"] / n, 4),
            "qpv_placed_rate": round(counts["qpv_placed"] / max(counts["qpv_students"], 1), 4),
            "mean_coverage_rate": round(self._coverage() / (n * n_half), 4),
            # With no placement at all there is no rate or minute to report: null, never NaN,
            # so that summary.json stays valid JSON.
            "first_wish_rate": round(float(np.mean(ranks == 1)), 4) if ranks.size else None,
            "travel_median_min": _number(float(np.median(travel))) if travel.size else None,
            "travel_max_min": _number(float(np.max(travel))) if travel.size else None,
            **{f"unplaced_{r}": by_reason[r] for r in REASONS},
        }

    def _coverage(self) -> float:
        """The plan's ``coverage`` level: its value when it is a level, else computed (a KPI
        whatever the objective)."""
        level = self.levels.get("coverage")
        if level is not None:
            return float(level.value)
        arrays = self.instance.arrays
        encoded = arrays.encode(self.plan)
        placements, sessions = encoded.placements, encoded.sessions
        offers, slots = arrays.offers, arrays.slots
        return float(
            covered_half_days(
                arrays.n_students,
                np.concatenate((placements[:, 0], sessions[:, 0])),
                np.concatenate(
                    (offers.first_half_day[placements[:, 1]], slots.first_half_day[sessions[:, 1]])
                ),
                np.concatenate(
                    (offers.last_half_day[placements[:, 1]], slots.last_half_day[sessions[:, 1]])
                ),
            ).sum()
        )

    def summary(self) -> dict[str, Any]:
        """The content of ``summary.json``."""
        summary: dict[str, Any] = {
            "status": self.status,
            "levels": {name: lvl.as_dict() for name, lvl in self.levels.items()},
            "counts": self.counts(),
            "kpis": self.kpis(),
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "seed": self.seed,
            "version": __version__,
            "input_hash": input_hash(self.instance),
            "stopped_by": self.stopped_by,
            "options": dict(self.options) or None,
            "warnings": [problem.as_dict() for problem in self.warnings],
        }
        if self.transport is not None:
            summary["transport"] = self.transport.summary()
        return summary


def input_hash(instance: Instance) -> str:
    """SHA-256 of the instance's canonical JSON: the same data gives the same hash."""
    text = json.dumps(instance.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def level_result(name: str, value: float, bound: float) -> LevelResult:
    return LevelResult(float(value), float(bound), name in MAXIMISED_LEVELS)
