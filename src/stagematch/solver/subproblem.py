"""The data of a few students' sub-problem, everyone else's seats taken out.

Both ways the neighbourhood search (:mod:`.lns`) improves a plan re-optimise some students with
everyone else kept: a neighbourhood step (CP-SAT on 30 students, or on the candidates of a few
sessions) and a flow (:mod:`.component_flows`, every student of the component, one kind of item
moving). Each builds its model from the pairs of :class:`Rows` and the seats the others leave
(:func:`sub_problem`), and keeps the outcome only when :func:`first_gain` says it is
lexicographically better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import BoolArray, IntArray
from ..candidates import Candidates
from ..levels import LEVELS
from .context import Chosen, SolveContext
from .cpsat import ComponentData
from .graph import Outside, pairs_data
from .shortlist import pair_keys

__all__ = ["Rows", "first_gain", "free_pairs", "student_rows", "sub_problem"]


@dataclass(frozen=True, eq=False)
class Rows:
    """Per student, the placement and session pairs a neighbourhood may give them (beside the
    placements with a free seat, :func:`free_pairs`), and where each student's candidate
    placements start."""

    offers: list[IntArray]
    slots: list[IntArray]
    offer_ptr: IntArray


def _outside_use(
    context: SolveContext, inside: BoolArray, chosen: BoolArray, kind: str
) -> tuple[IntArray, IntArray]:
    """Seats of each item held by students outside the neighbourhood, and by QPV ones.

    Read from the pairs held only: an académie has 83 million candidate pairs, and a mask of
    their students per step or flow cost more than the rest of a small one."""
    pairs = context.cand.offers if kind == "offers" else context.cand.slots
    n_items = len(context.arrays.offers if kind == "offers" else context.arrays.slots)
    held = np.flatnonzero(chosen)
    held = held[~inside[pairs.student[held]]]
    item = pairs.item[held]
    used = np.bincount(item, minlength=n_items)
    used_qpv = np.bincount(item[context.arrays.qpv[pairs.student[held]]], minlength=n_items)
    return used, used_qpv


def sub_problem(
    context: SolveContext,
    chosen: Chosen,
    students: IntArray,
    o_pairs: IntArray,
    w_pairs: IntArray,
) -> ComponentData:
    """The model data of ``students`` on the pairs ``o_pairs``, ``w_pairs``, the seats of
    everyone else taken out."""
    arrays, cand = context.arrays, context.cand
    inside = np.zeros(arrays.n_students, dtype=bool)
    inside[students] = True
    o_used, o_used_qpv = _outside_use(context, inside, chosen.offer_chosen, "offers")
    w_used, w_used_qpv = _outside_use(context, inside, chosen.slot_chosen, "slots")
    held = np.flatnonzero(chosen.slot_chosen)
    held = held[~inside[cand.slots.student[held]]]
    outside = Outside(
        offer_used=o_used,
        offer_used_qpv=o_used_qpv,
        slot_used=w_used,
        slot_used_qpv=w_used_qpv,
        coach_keys=arrays.coach_group_keys(cand.slots.item[held], cand.slots.student[held]),
    )
    return pairs_data(context, students, o_pairs, w_pairs, outside)


def free_pairs(
    context: SolveContext, chosen: Chosen, pairs: IntArray, per_student: int | None = None
) -> IntArray:
    """Among ``pairs`` (some students' candidate placements, grouped by student), each
    student's cheapest ``per_student`` (default ``Tuning.free_pairs_per_student``) on offers
    that have a free seat now.

    The cheapest pairs a neighbourhood keeps are those everyone wants, so they are full; a
    student who could add a second placement, or move to make room for a workshop, needs the
    offers nobody took, which may be far down their list.
    """
    cand, offers = context.cand, context.arrays.offers
    if per_student is None:
        per_student = context.tuning.free_pairs_per_student
    if per_student <= 0:
        return np.zeros(0, dtype=np.int64)
    held = np.bincount(
        cand.offers.item[np.flatnonzero(chosen.offer_chosen)], minlength=len(offers.capacity)
    )
    item = cand.offers.item[pairs]
    pairs = pairs[held[item] < offers.capacity[item]]
    pairs = _cheap_enough(cand, pairs, per_student)
    # Grouped by student, cheapest first (ties by pair): keep each student's first ones.
    pairs = pairs[np.lexsort((pairs, pair_keys(cand, pairs), cand.offers.student[pairs]))]
    student = cand.offers.student[pairs]
    starts = np.flatnonzero(np.r_[True, student[1:] != student[:-1]])
    rank = np.arange(len(pairs)) - np.repeat(starts, np.diff(np.r_[starts, len(pairs)]))
    return pairs[rank < per_student].astype(np.int64)


COST_COUNTS = 1 << 22
"""Most students × wish costs :func:`_cheap_enough` counts at once (a few dozen MB)."""


def _cheap_enough(cand: Candidates, pairs: IntArray, per_student: int) -> IntArray:
    """``pairs`` (grouped by student) without those whose wish cost is above the lowest cost
    at which their student has ``per_student`` pairs: each student's ``per_student`` cheapest
    (by cost, then minutes) are among the rest, in the same order.

    At twice the académie's offer density a region's students have about 10 million candidate
    placements, half of them with a seat left, and sorting them all for each student's 48
    cheapest took 20 of the flows' 64 CPU seconds (profiled); most students' cheapest 48 are offers of
    the sector they wish first, a few hundred pairs. (Counted per student and cost; above
    :data:`COST_COUNTS` counts, nothing is dropped.)"""
    if not len(pairs):
        return pairs
    student = cand.offers.student[pairs]
    cost = cand.offer_cost[pairs].astype(np.int64)
    new_run = np.r_[True, student[1:] != student[:-1]]
    run = np.cumsum(new_run) - 1
    n_runs, n_costs = int(run[-1]) + 1, int(cost.max()) + 1
    if n_runs * n_costs > COST_COUNTS or cost.min() < 0:
        return pairs
    counts = np.bincount(run * n_costs + cost, minlength=n_runs * n_costs)
    enough = np.cumsum(counts.reshape(n_runs, n_costs), axis=1) >= per_student
    # The lowest cost with enough pairs (every cost when none has): pairs above it are out.
    highest = np.where(enough.any(axis=1), np.argmax(enough, axis=1), n_costs - 1)
    return pairs[cost <= highest[run]]


def _pruned_rows(
    cand: Candidates,
    chosen: BoolArray,
    students: IntArray,
    n_students: int,
    order: IntArray,
    previous: BoolArray | None,
    per_student: int,
) -> list[IntArray]:
    """Per student: its cheapest candidate placements (``order``, see :mod:`.shortlist`), at
    most ``per_student``, plus the ones it holds now and, when re-planning, the ones it held
    in the previous plan."""
    ptr = np.searchsorted(cand.offers.student[order], np.arange(n_students + 1))
    held_pairs = np.flatnonzero(chosen if previous is None else chosen | previous)
    held_ptr = np.searchsorted(cand.offers.student[held_pairs], np.arange(n_students + 1))
    rows: list[IntArray] = [np.zeros(0, dtype=np.int64)] * n_students
    for s in students.tolist():
        keep = order[ptr[s] : ptr[s] + min(per_student, ptr[s + 1] - ptr[s])]
        held = held_pairs[held_ptr[s] : held_ptr[s + 1]]
        rows[s] = np.unique(np.concatenate((keep, held)))
    return rows


def student_rows(context: SolveContext, chosen: Chosen, students: IntArray) -> Rows:
    cand, n = context.cand, context.arrays.n_students
    offers = _pruned_rows(
        cand,
        chosen.offer_chosen,
        students,
        n,
        context.short,
        context.flags.offer_previous,
        context.tuning.pairs_per_student,
    )
    slot_order = np.argsort(cand.slots.student, kind="stable")
    slot_ptr = np.searchsorted(cand.slots.student[slot_order], np.arange(n + 1))
    slots = [slot_order[slot_ptr[s] : slot_ptr[s + 1]] for s in range(n)]
    return Rows(offers, slots, cand.offers.indptr(n))


def first_gain(objective: list[str], after: list[float], before: list[float]) -> int | None:
    """The position of the first level on which ``after`` differs from ``before`` if it is
    better there (lexicographically better), else ``None``."""
    for position, (level, a, b) in enumerate(zip(objective, after, before, strict=True)):
        if a != b:
            return position if LEVELS[level].better(a, b) else None
    return None
