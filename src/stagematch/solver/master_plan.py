"""Plans from the Lagrangian bound's programmes: its restricted master solved as a MILP.

The Lagrangian bound (:mod:`.lagrangian`) generates, level by level, the programmes (a
student's choice of pairs) that its restricted master LP mixes. Solved as a MILP — each
programme column whole (0 or 1), the elastic columns of the fixed levels at 0 — that master is
a plan: one programme per student at most, no seat row broken (a row left out of the LP is
one its columns cannot break), the levels above at least at the values reached. Measured on
3,000-student bassins (``benchmarks/lagrangian_split.py``, docs/benchmarks.md) such plans are
within 0.16 % of the converged bound, where the neighbourhood search's stays 1 to 8 % away;
made lexicographic, they reach the bound on most levels.

So after each level's column generation of a searched component's Lagrangian bound, HiGHS
solves that MILP (one thread, started from the current plan's columns, at most
``Tuning.master_plan_nodes`` branch-and-bound nodes: deterministic work, on top of the
search's budget, as the polish's iterations are; the wall clock is only the safety cap). Its
plan is mapped back to pairs, checked against every rule of the component (the master models
them, :func:`.lagrangian.models_every_rule`, and the MILP adds the minimum QPV shares,
:func:`keeps_every_rule`; they are checked again because no solver's claim is trusted), and
adopted when it is lexicographically better than the current plan on the
whole objective: a plan only as good on this level may be worse below it. The next level's
column generation then starts from the adopted plan's values — its bound is conditional on
them, as every bound is on the plan returned — and the next MILP from its columns.

Where it runs it takes the polish's place (:mod:`.polish`): a bound the polish proved is
conditional on the polished plan's values, which a plan better on a level above may lower. At
1,000 students it gives lexicographically better plans than the polish for half its work
(docs/benchmarks.md); the polish stays for components whose rules the master does not model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from ..arrays import BoolArray, FloatArray, IntArray
from ..levels import LEVELS
from ..share import required_qpv
from .context import Chosen, SolveContext
from .cpsat import ComponentData
from .graph import Component
from .highs import Cutoff
from .lagrangian import SUPPORTED, Master, lagrangian_bounds
from .limits import Stop, StoppedBy

INF = highspy.kHighsInf
_NO_INDEX = np.zeros(0, dtype=np.int32)
_NO_VALUE = np.zeros(0)

__all__ = ["MasterPlanner", "bounds_and_plans", "broken_rules", "keeps_every_rule", "makes_plans"]


def makes_plans(context: SolveContext, data: ComponentData) -> bool:
    """Does the master make plans for the component ``data`` (given the Lagrangian bound):
    does its MILP keep every rule of it, outside stable plans, with
    ``Tuning.master_plan_nodes``?"""
    return (
        context.tuning.master_plan_nodes > 0
        and context.stability is None
        and keeps_every_rule(data, context.objective)
    )


def keeps_every_rule(data: ComponentData, objective: list[str]) -> bool:
    """Does the master's MILP keep every rule of ``data``: those the Lagrangian bound models
    (:func:`.lagrangian.models_every_rule`), and the minimum QPV shares, whose rows only the
    MILP holds (:func:`_share_rows`; the bound leaves them out, which keeps it valid, looser)?
    Pins and levels that are not per-student sums stay with the polish."""
    return (
        data.offer_pinned is None and data.slot_pinned is None and set(objective) <= set(SUPPORTED)
    )


def bounds_and_plans(
    context: SolveContext,
    component: Component,
    data: ComponentData,
    chosen: Chosen,
    values: dict[str, float],
    planning: bool,
) -> dict[str, int]:
    """The component's Lagrangian bounds; with ``planning`` (only where :func:`makes_plans`)
    the master's plans too, the best adopted into ``chosen``. Each bound holds for every plan
    at least as good as the one left in ``chosen`` on the levels before it."""
    limits = context.limits
    plan = (chosen.offer_chosen[component.offer_pairs], chosen.slot_chosen[component.slot_pairs])
    bounds, planner = planned_bounds(context, data, plan, values, planning)
    limits.exhausted()  # a cut bound depends on the machine: the result says so
    if planner is not None:
        limits.note(planner.stopped_by)
        chosen.offer_chosen[component.offer_pairs] = planner.plan[0]
        chosen.slot_chosen[component.slot_pairs] = planner.plan[1]
    return bounds


def planned_bounds(
    context: SolveContext,
    data: ComponentData,
    plan: tuple[BoolArray, BoolArray],
    values: dict[str, float],
    planning: bool,
) -> tuple[dict[str, int], MasterPlanner | None]:
    """The Lagrangian bounds of ``data`` given ``plan`` and its ``values``; with ``planning``,
    the :class:`MasterPlanner` that went along (its ``plan`` the best adopted)."""
    tuning, limits = context.tuning, context.limits
    planner = None
    if planning:
        planner = MasterPlanner(
            data,
            context.objective,
            plan,
            dict(values),
            tuning.master_plan_nodes,
            time.monotonic() + limits.seconds_left(),
            limits.stop,
        )
    bounds = lagrangian_bounds(
        data,
        context.objective,
        values,
        set(context.leading),
        tuning.lagrangian_rounds,
        plan,
        limits.seconds_left(),
        limits.stop,
        tolerance=tuning.lagrangian_tolerance,
        planner=planner,
    )
    return bounds, planner


@dataclass
class MasterPlanner:
    """The current plan of a component and its values; called after each level's column
    generation (a :data:`.lagrangian.Planner`), it solves the master as a MILP and adopts
    the plan if better."""

    data: ComponentData
    objective: list[str]
    plan: tuple[BoolArray, BoolArray]
    values: dict[str, float]
    nodes: int
    deadline: float
    stop: Stop | None = None
    stopped_by: StoppedBy | None = None
    adopted: list[str] = field(default_factory=list)  # the levels whose MILP gave a plan

    def __call__(self, level: str, master: Master) -> dict[str, float] | None:
        taken = self._solve(master)
        if taken is None:
            return None
        plan = master.pairs(taken, len(self.data.offer_student), len(self.data.slot_student))
        if broken_rules(self.data, *plan):
            return None
        values = {lv: float(round(LEVELS[lv].value(self.data, *plan))) for lv in self.objective}
        if not _better(values, self.values, self.objective):
            return None
        self.plan, self.values = plan, values
        master.plan = taken
        self.adopted.append(level)
        return dict(values)

    def _solve(self, master: Master) -> BoolArray | None:
        """The programme columns of the master's MILP's best plan (``None``: none found, or
        the run was cut by the wall clock or the stop flag, which ``stopped_by`` records)."""
        h = highspy._Highs()  # type: ignore[attr-defined]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("mip_max_nodes", int(self.nodes))
        h.setOptionValue("time_limit", max(self.deadline - time.monotonic(), 0.01))
        h.passModel(master.h.getLp())  # the level just generated is its objective
        cols = master.programme_cols.astype(np.int32)
        h.changeColsIntegrality(len(cols), cols, np.ones(len(cols), dtype=np.uint8))
        elastic = np.asarray(master.elastic_cols, dtype=np.int32)
        zeros = np.zeros(len(elastic))
        h.changeColsBounds(len(elastic), elastic, zeros, zeros)
        values = np.zeros(master.n_cols)
        values[master.programme_cols[master.plan]] = 1.0
        values = np.concatenate((values, _share_rows(h, master, self.data, values)))
        start = highspy.HighsSolution()
        start.col_value = values.tolist()
        start.value_valid = True
        h.setSolution(start)
        cutoff = Cutoff(self.stop)
        cutoff.deadline = self.deadline
        cutoff.install(h)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInterrupt:
            self.stopped_by = self.stopped_by or cutoff.cause()
            return None
        if status == highspy.HighsModelStatus.kTimeLimit:
            self.stopped_by = self.stopped_by or "time_limit"
            return None
        if h.getInfo().primal_solution_status != 2:  # kSolutionStatusFeasible
            return None
        solution = np.asarray(h.getSolution().col_value, dtype=np.float64)
        taken: BoolArray = solution[cols] > 0.5
        return taken


def _share_rows(
    h: highspy._Highs,  # type: ignore[name-defined]
    master: Master,
    data: ComponentData,
    start: FloatArray,
) -> FloatArray:
    """Each offer's minimum QPV share over the programme columns, as in the exact model
    (:func:`.milp_model._min_share`): ``q·n ≤ 100·k``, or every QPV candidate left holds the
    offer (an indicator column ``e`` with ``k ≥ missing·e`` switches the share row off). A
    programme holds an offer at most once, so it adds ``q − 100·qpv`` to ``q·n − 100·k``.
    Returns the indicators' values for the plan of ``start`` (the MILP's starting point)."""
    pair_item = data.offer_item[master.offer_pair]
    pair_qpv = data.qpv[data.offer_student[master.offer_pair]]
    switches: list[float] = []
    for j in np.flatnonzero(data.offer_min_share > 0).tolist():
        share = int(data.offer_min_share[j])
        missing = int(data.offer_qpv_candidates[j] - data.offer_outside_qpv[j])
        mine = pair_item == j
        if missing <= 0 or not mine.any():
            continue
        columns, coefs = _summed(master.offer_col[mine], share - 100.0 * pair_qpv[mine])
        cols = columns.astype(np.int32)
        constant = share * int(data.offer_outside_held[j]) - 100 * int(data.offer_outside_qpv[j])
        qpv_pairs = int(data.qpv[data.offer_student[data.offer_item == j]].sum())
        if qpv_pairs < missing:  # they cannot all come: the share must hold
            h.addRow(-INF, -constant, len(cols), cols, coefs)
            continue
        e = h.getNumCol()
        h.addCol(0.0, 0.0, 1.0, 0, _NO_INDEX, _NO_VALUE)
        h.changeColsIntegrality(1, np.array([e], np.int32), np.ones(1, dtype=np.uint8))
        big = share * (int(data.offer_outside_held[j]) + len(cols))
        h.addRow(-INF, -constant, len(cols) + 1, np.append(cols, e), np.append(coefs, -big))
        qpv_cols = np.unique(master.offer_col[mine & pair_qpv]).astype(np.int32)
        h.addRow(
            -INF,
            0.0,
            len(qpv_cols) + 1,
            np.append(qpv_cols, e),
            np.append(-np.ones(len(qpv_cols)), missing),
        )
        switches.append(1.0 if start[qpv_cols].sum() >= missing else 0.0)
    return np.asarray(switches, dtype=np.float64)


def _summed(cols: IntArray, coefs: FloatArray) -> tuple[IntArray, FloatArray]:
    """The coefficients summed by column."""
    unique, inverse = np.unique(cols, return_inverse=True)
    summed: FloatArray = np.bincount(inverse, coefs, minlength=len(unique)).astype(np.float64)
    return unique.astype(np.int64), summed


def _better(values: dict[str, float], other: dict[str, float], objective: list[str]) -> bool:
    """Are ``values`` lexicographically strictly better than ``other``?"""
    for level in objective:
        if values[level] != other[level]:
            return LEVELS[level].better(values[level], other[level])
    return False


def broken_rules(data: ComponentData, x: BoolArray, y: BoolArray) -> list[str]:
    """The rules of the component that the pairs ``x`` (placements) and ``y`` (sessions)
    break, among those the master's MILP keeps: seats, seats open to non-QPV students,
    minimum QPV shares, placements per student, one session per workshop, no two items on
    one half-day."""
    broken = []
    if np.any(data.offer_min_share > 0):
        count = len(data.offer_capacity)
        held = data.offer_outside_held + np.bincount(data.offer_item[x], minlength=count)
        qpv_x = x & data.qpv[data.offer_student]
        qpv_held = data.offer_outside_qpv + np.bincount(data.offer_item[qpv_x], minlength=count)
        needed = required_qpv(data.offer_min_share, held, data.offer_qpv_candidates)
        if np.any((data.offer_min_share > 0) & (qpv_held < needed)):
            broken.append("minimum QPV share")
    for kind, item, student, capacity, reserved, chosen in (
        ("offer", data.offer_item, data.offer_student, data.offer_capacity, data.offer_reserved, x),
        ("slot", data.slot_item, data.slot_student, data.slot_capacity, data.slot_reserved, y),
    ):
        held = np.bincount(item[chosen], minlength=len(capacity))
        if np.any(held > capacity):
            broken.append(f"{kind} seats")
        others = chosen & ~data.qpv[student]
        open_seats = np.where(reserved > 0, capacity - reserved, capacity)
        if np.any(np.bincount(item[others], minlength=len(capacity)) > open_seats):
            broken.append(f"{kind} seats open to non-QPV students")
    n = data.n_students
    if np.any(np.bincount(data.offer_student[x], minlength=n) > data.max_placements):
        broken.append("placements per student")
    n_workshops = int(data.slot_workshop.max(initial=-1)) + 1
    keys = data.slot_student[y].astype(np.int64) * max(n_workshops, 1) + data.slot_workshop[y]
    if len(np.unique(keys)) < len(keys):
        broken.append("one session per workshop")
    student = np.concatenate((data.offer_student[x], data.slot_student[y])).astype(np.int64)
    first = np.concatenate((data.offer_first[x], data.slot_first[y])).astype(np.int64)
    last = np.concatenate((data.offer_last[x], data.slot_last[y])).astype(np.int64)
    order = np.lexsort((first, student))
    # Sorted by student then first half-day, items overlap iff two consecutive ones do.
    same = student[order][1:] == student[order][:-1]
    if np.any(same & (first[order][1:] <= last[order][:-1])):
        broken.append("two items on one half-day")
    return broken
