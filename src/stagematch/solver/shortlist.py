"""Each student's cheapest candidate placements: the working set of the flow and the search.

In dense geography a student can reach thousands of offers, but a plan only ever needs a few
of them: the cheap ones (best wish, then fewest minutes) and whatever capacity forces. The
flow starts from this short list and adds pairs only where a minimum cut says they matter
(so its optima stay proven for all pairs); the greedy pass and the neighbourhood search work
on it too, which keeps their models small however many offers are within reach.
"""

from __future__ import annotations

import numpy as np

from ..arrays import IntArray
from ..candidates import SLICE, Candidates

MINUTES_SPAN = 1 << 12  # minutes beyond 4,095 sort as 4,095


def pair_keys(cand: Candidates, part: slice | IntArray = slice(None)) -> IntArray:
    """One integer per placement pair in ``part`` (a slice or pair indices) ordering it by
    preference cost, then minutes."""
    minutes = np.clip(np.rint(cand.offers.minutes[part]), 0, MINUTES_SPAN - 1).astype(np.int64)
    return cand.offer_cost[part].astype(np.int64) * MINUTES_SPAN + minutes


def _smallest(block: np.ndarray, count: int) -> IntArray:
    """Positions of the ``count`` smallest values, in increasing order (ties by position)."""
    if len(block) > count:
        keep = np.argpartition(block, count - 1)[:count]
        return keep[np.lexsort((keep, block[keep]))]
    return np.argsort(block, kind="stable")


def shortlist(cand: Candidates, n_students: int, per_student: int) -> IntArray:
    """Pair indices grouped by student: each student's cheapest ``per_student``, cheapest first,
    then up to ``per_student`` more of the nearest in minutes.

    The nearest ones spread each list over the area, so neighbours' lists overlap less and the
    flow finds most of its optimum before it needs to add anything. Ties keep the candidates'
    own (deterministic) order.
    """
    ptr = cand.offers.indptr(n_students)
    minutes = cand.offers.minutes
    students = np.flatnonzero(np.diff(ptr))
    parts: list[IntArray] = []
    first = 0
    while first < len(students):
        # Students whose pairs make about a slice: their keys at once, not student by student.
        lo_block = int(ptr[students[first]])
        last = int(np.searchsorted(ptr[students + 1], lo_block + SLICE, side="right"))
        last = max(last, first + 1)
        keys = pair_keys(cand, slice(lo_block, int(ptr[students[last - 1] + 1])))
        for s in students[first:last].tolist():
            lo, hi = int(ptr[s]), int(ptr[s + 1])
            cheapest = _smallest(keys[lo - lo_block : hi - lo_block], per_student)
            if hi - lo > per_student:
                nearest = _smallest(minutes[lo:hi], 2 * per_student)
                listed = np.zeros(hi - lo, dtype=bool)
                listed[cheapest] = True
                cheapest = np.concatenate((cheapest, nearest[~listed[nearest]][:per_student]))
            parts.append(lo + cheapest)
        first = last
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
