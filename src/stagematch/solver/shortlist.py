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
from ..candidates import Candidates

MINUTES_SPAN = 1 << 12  # minutes beyond 4,095 sort as 4,095


def pair_keys(cand: Candidates) -> IntArray:
    """One integer per placement pair ordering it by preference cost, then minutes."""
    minutes = np.clip(np.rint(cand.offers.minutes), 0, MINUTES_SPAN - 1).astype(np.int64)
    return cand.offer_cost.astype(np.int64) * MINUTES_SPAN + minutes


def shortlist(cand: Candidates, n_students: int, per_student: int) -> IntArray:
    """Pair indices grouped by student, each student's cheapest ``per_student`` first.

    Ties keep the candidates' own (deterministic) order.
    """
    keys = pair_keys(cand)
    ptr = cand.offers.indptr(n_students)
    parts: list[IntArray] = []
    for s in np.flatnonzero(np.diff(ptr)).tolist():
        lo, hi = int(ptr[s]), int(ptr[s + 1])
        block = keys[lo:hi]
        if hi - lo > per_student:
            keep = np.argpartition(block, per_student - 1)[:per_student]
            keep = keep[np.lexsort((keep, block[keep]))]
        else:
            keep = np.argsort(block, kind="stable")
        parts.append(lo + keep)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
