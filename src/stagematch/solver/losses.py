"""Where the plan loses value: per student, how far each level is from what they could get alone.

The neighbourhood search (:mod:`.lns`) spends a fixed budget of work, and on a large component
that budget ends before a sweep has visited every student. It therefore starts its sweeps where
value is lost: students missing a workshop they could reach, half-days they could cover, a
cheaper wish or a shorter journey they could have. What a student "could get alone" is
:class:`.bounds.StudentTerms` — capacities relaxed, the same terms the search-free bounds sum —
so a loss of zero means nothing can be gained for that student, whatever the neighbourhood,
and a large loss is where competition for seats (or a poor greedy choice) cost the plan most.

Losses only order the seeds: every student is still visited in a sweep, and every step is still
accepted only when the plan gets lexicographically better, so the ordering changes which plan
the budget reaches, never whether it is valid or worse than the start.
"""

from __future__ import annotations

import numpy as np

from ..arrays import FloatArray, IntArray
from ..candidates import Candidates
from ..model import CHANGES
from ..travel import Pairs
from .bounds import StudentTerms, student_terms
from .context import Chosen, SolveContext
from .flow import ranges

__all__ = ["Losses"]


class Losses:
    """The per-student losses of one component's plan, recomputed as the plan changes."""

    def __init__(self, context: SolveContext, students: IntArray) -> None:
        self.context = context
        members = np.zeros(context.arrays.n_students, dtype=bool)
        members[students] = True
        self.members = members
        self.terms: StudentTerms = student_terms(
            context.arrays,
            _pairs_to_read(context.cand, np.sort(students), len(members)),
            context.workshops_per_student,
            members,
        )

    def per_level(self, chosen: Chosen) -> dict[str, FloatArray]:
        """Per level searched (not those the flow proves, nor ``changes``), each student's loss
        (0 for students outside the component): what they could get alone minus what they
        have, in the level's own units, never negative."""
        context, terms = self.context, self.terms
        cand, arrays = context.cand, context.arrays
        n = arrays.n_students
        x, y = chosen.offer_chosen, chosen.slot_chosen
        o_student = cand.offers.student[x].astype(np.int64)
        w_student = cand.slots.student[y].astype(np.int64)
        attended = np.bincount(w_student, minlength=n)
        placed = np.bincount(o_student, minlength=n) > 0
        offer_item = cand.offers.item[x].astype(np.int64)
        slot_item = cand.slots.item[y].astype(np.int64)
        # A valid plan never overlaps a student's items: half-days covered add up.
        covered = _span_sum(
            o_student, arrays.offers.first_half_day, arrays.offers.last_half_day, offer_item, n
        )
        covered += _span_sum(
            w_student, arrays.slots.first_half_day, arrays.slots.last_half_day, slot_item, n
        )
        cost = _sums(o_student, cand.offer_cost[x], n)
        minutes = _sums(o_student, cand.offers.minutes[x], n) + _sums(
            w_student, cand.slots.minutes[y], n
        )
        best_minutes = np.where(placed, _finite(terms.nearest_offer), 0.0)
        best_minutes += attended * _finite(terms.nearest_slot)
        reachable = np.isfinite(terms.cheapest_cost)
        gains: dict[str, np.ndarray] = {
            "qpv_placed": (arrays.qpv & reachable & ~placed).astype(float),
            "placed": (reachable & ~placed).astype(float),
            "workshops": terms.workshops - attended,
            "coverage": terms.cover_without + terms.cover_gain - covered,
            "preference": cost - np.where(placed, _finite(terms.cheapest_cost), 0.0),
            "travel": minutes - best_minutes,
        }
        out: dict[str, FloatArray] = {}
        for level in context.objective:
            if level in context.leading or level == CHANGES or level not in gains:
                continue
            out[level] = np.where(self.members, np.maximum(gains[level], 0), 0).astype(float)
        return out

    def order(self, chosen: Chosen, students: IntArray) -> IntArray:
        """The order of ``students`` (given in a random order) by loss, level by level in
        objective order, largest first, as positions in ``students``; ties keep the given
        order."""
        losses = self.per_level(chosen)
        if not losses:
            return np.arange(len(students))
        keys = [-losses[level][students] for level in reversed(list(losses))]
        return np.lexsort(keys)


def _pairs_to_read(cand: Candidates, students: IntArray, n: int) -> Candidates:
    """The pairs a component's terms are computed from: its own when they are a small share of
    all, else every pair (the terms mask by student anyway, and a student's pairs all lie in its
    component). A copy of an académie's largest component cost 1.2 GB more than reading the
    pairs in place (docs/benchmarks.md)."""
    o_ptr, w_ptr = cand.offers.indptr(n), cand.slots.indptr(n)
    own = int((o_ptr[students + 1] - o_ptr[students]).sum())
    own += int((w_ptr[students + 1] - w_ptr[students]).sum())
    if 2 * own > len(cand.offers.student) + len(cand.slots.student):
        return cand
    return _own_pairs(cand, students, n)


def _own_pairs(cand: Candidates, students: IntArray, n: int) -> Candidates:
    """The candidate pairs of ``students`` (sorted) only: a component's terms then cost a pass
    over its own pairs, not over an académie's tens of millions."""
    o = ranges(cand.offers.indptr(n), students)
    w = ranges(cand.slots.indptr(n), students)

    def take(pairs: Pairs, index: IntArray) -> Pairs:
        return Pairs(pairs.student[index], pairs.item[index], pairs.minutes[index])

    return Candidates(
        offers=take(cand.offers, o),
        offer_cost=cand.offer_cost[o],
        offer_rank=cand.offer_rank[o],
        slots=take(cand.slots, w),
    )


def _finite(values: FloatArray) -> FloatArray:
    """``inf`` (nothing reachable) as 0: such a student has nothing to lose on that level."""
    return np.where(np.isfinite(values), values, 0.0)


def _sums(student: IntArray, values: np.ndarray, n: int) -> FloatArray:
    """Per student, the sum of ``values`` over their pairs, as floats (even with no pairs)."""
    return np.bincount(student, weights=values.astype(float), minlength=n).astype(float)


def _span_sum(
    student: IntArray, first: IntArray, last: IntArray, item: IntArray, n: int
) -> IntArray:
    """Per student, the half-days of the given items, summed."""
    return np.bincount(student, weights=last[item] - first[item] + 1, minlength=n).astype(np.int64)
