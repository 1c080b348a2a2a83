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

__all__ = ["Rows", "first_gain", "student_rows", "sub_problem"]


@dataclass(frozen=True, eq=False)
class Rows:
    """Per student, the placement and session pairs a neighbourhood may give them (beside the
    placements with a free seat, :func:`.lns._free_pairs`), and where each student's candidate
    placements start."""

    offers: list[IntArray]
    slots: list[IntArray]
    offer_ptr: IntArray


def _outside_use(
    context: SolveContext, inside: BoolArray, chosen: BoolArray, kind: str
) -> tuple[IntArray, IntArray]:
    """Seats of each item held by students outside the neighbourhood, and by QPV ones."""
    pairs = context.cand.offers if kind == "offers" else context.cand.slots
    n_items = len(context.arrays.offers if kind == "offers" else context.arrays.slots)
    outside = chosen & ~inside[pairs.student]
    used = np.bincount(pairs.item[outside], minlength=n_items)
    used_qpv = np.bincount(
        pairs.item[outside & context.arrays.qpv[pairs.student]], minlength=n_items
    )
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
    held = chosen.slot_chosen & ~inside[cand.slots.student]
    outside = Outside(
        offer_used=o_used,
        offer_used_qpv=o_used_qpv,
        slot_used=w_used,
        slot_used_qpv=w_used_qpv,
        coach_keys=arrays.coach_group_keys(cand.slots.item[held], cand.slots.student[held]),
    )
    return pairs_data(context, students, o_pairs, w_pairs, outside)


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
