"""Bounds that hold for the whole instance without search, for parts too large to prove.

Each bound relaxes capacities: what every student could get alone, summed, tightened by what the
levels ranked above force or forbid. ``p*`` (the most students that can be placed, proven by
the flow) limits how many students can have a placement at all, and when ``placed`` ranks above
a cost level at least its value of students must pay for one. These bounds are valid but can be
loose where seats are scarce; ``docs/solver.md`` says where.
"""

from __future__ import annotations

import numpy as np

from ..arrays import InstanceArrays, IntArray, ItemArrays
from ..candidates import Candidates
from ..travel import Pairs
from .greedy import MAX_HALF_DAYS

SLICE = 1 << 22


def _per_student_min(values: np.ndarray, ptr: IntArray, members: np.ndarray) -> np.ndarray:
    """Each member's smallest value over its pairs (``inf`` for others and pairless students).

    Pairs are grouped by student, so a ``reduceat`` over the group starts does it in one pass.
    """
    out = np.full(len(ptr) - 1, np.inf)
    nonempty = ptr[:-1] < ptr[1:]
    if nonempty.any():
        out[nonempty] = np.minimum.reduceat(values, ptr[:-1][nonempty])
    out[~members] = np.inf
    return out


def _spans_present(items: ItemArrays, pairs: Pairs, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Which distinct half-day spans each student has a pair on, and each span's mask."""
    span_key = items.first_half_day * (MAX_HALF_DAYS + 1) + items.last_half_day
    spans, span_of_item = np.unique(span_key, return_inverse=True)
    present = np.zeros((n, len(spans)), dtype=bool)
    for start in range(0, len(pairs), SLICE):
        part = slice(start, start + SLICE)
        present[pairs.student[part], span_of_item[pairs.item[part]]] = True
    first = spans // (MAX_HALF_DAYS + 1)
    last = spans % (MAX_HALF_DAYS + 1)
    width = (last - first + 1).astype(np.uint64)
    masks = ((np.uint64(1) << width) - np.uint64(1)) << first.astype(np.uint64)
    return present, masks.astype(np.uint64)


def _smallest_sum(values: np.ndarray, count: float) -> float:
    finite = values[np.isfinite(values)]
    count = min(int(count), len(finite))
    if count <= 0:
        return 0.0
    return float(np.partition(finite, count - 1)[:count].sum())


def _popcount(masks: np.ndarray) -> IntArray:
    bytes_ = masks.astype(np.uint64).view(np.uint8).reshape(-1, 8)
    return np.unpackbits(bytes_, axis=1).sum(axis=1).astype(np.int64)


def level_bounds(
    arrays: InstanceArrays,
    cand: Candidates,
    objective: list[str],
    achieved: dict[str, float],
    best_placed: int,
    workshops_per_student: int,
    members: np.ndarray,
) -> dict[str, float]:
    """A valid bound for each lower level of the students in ``members`` (a boolean mask).

    ``achieved`` holds their values on the levels above; ``best_placed`` is the most of them
    that can be placed.
    """
    n = arrays.n_students
    o_ptr = cand.offers.indptr(n)
    w_ptr = cand.slots.indptr(n)
    w_keep = members[cand.slots.student]
    w_student = cand.slots.student[w_keep].astype(np.int64)
    w_item = cand.slots.item[w_keep].astype(np.int64)
    bounds: dict[str, float] = {}
    above: set[str] = set()
    for level in objective:
        if level == "workshops":
            distinct = np.zeros(n, dtype=np.int64)
            if len(w_student):
                pairs = np.unique(np.column_stack((w_student, arrays.slots.group[w_item])), axis=0)
                distinct = np.bincount(pairs[:, 0], minlength=n)
            per_student = float(np.minimum(distinct, workshops_per_student).sum())
            seats = float(arrays.slots.capacity[np.unique(w_item)].sum())
            bounds[level] = min(per_student, seats)
        elif level == "coverage":
            bounds[level] = _coverage_bound(arrays, cand, members, best_placed)
        elif level == "preference":
            must_place = achieved.get("placed", 0) if "placed" in above else 0
            cheapest = _per_student_min(cand.offer_cost, o_ptr, members)
            bounds[level] = _smallest_sum(cheapest, must_place)
        elif level == "travel":
            must_place = achieved.get("placed", 0) if "placed" in above else 0
            nearest = _per_student_min(cand.offers.minutes, o_ptr, members)
            bound = _smallest_sum(nearest, must_place)
            if "workshops" in above and workshops_per_student:
                credits = achieved.get("workshops", 0)
                nearest_slot = _per_student_min(cand.slots.minutes, w_ptr, members)
                repeated = np.repeat(nearest_slot, workshops_per_student)
                bound += _smallest_sum(repeated, credits)
            bounds[level] = bound
        above.add(level)
    return bounds


def _coverage_bound(
    arrays: InstanceArrays, cand: Candidates, members: np.ndarray, best_placed: int
) -> float:
    """Half-days each student could cover alone; at most ``p*`` students have a placement."""
    n = arrays.n_students
    if arrays.n_half_days > MAX_HALF_DAYS:
        return float(members.sum() * arrays.n_half_days)
    slot_present, slot_masks = _spans_present(arrays.slots, cand.slots, n)
    offer_present, offer_masks = _spans_present(arrays.offers, cand.offers, n)
    slot_union = np.zeros(n, dtype=np.uint64)
    for k, mask in enumerate(slot_masks):
        slot_union[slot_present[:, k]] |= mask
    all_union = slot_union.copy()
    for k, mask in enumerate(offer_masks):
        all_union[offer_present[:, k]] |= mask
    without = _popcount(slot_union)[members]
    gain = np.sort(_popcount(all_union)[members] - without)[::-1]
    return float(without.sum() + gain[: max(best_placed, 0)].sum())
