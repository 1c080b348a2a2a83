"""Bounds that hold for the whole instance without search, for parts too large to prove.

Each bound relaxes capacities: what every student could get alone, summed, tightened by what the
levels ranked above force or forbid. ``p*`` (the most students that can be placed, proven by
the flow) limits how many students can have a placement at all, and when ``placed`` ranks above
a cost level at least its value of students must pay for one. These bounds are valid but can be
loose where seats are scarce; ``docs/solver.md`` says where.
"""

from __future__ import annotations

import numpy as np

from ..arrays import InstanceArrays, IntArray
from ..candidates import Candidates
from .greedy import MAX_HALF_DAYS, half_day_masks


def _per_student_min(values: np.ndarray, student: IntArray, n: int) -> np.ndarray:
    out = np.full(n, np.inf)
    np.minimum.at(out, student, values)
    return out


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
    o_keep = members[cand.offers.student]
    w_keep = members[cand.slots.student]
    o_student = cand.offers.student[o_keep].astype(np.int64)
    w_student = cand.slots.student[w_keep].astype(np.int64)
    o_item = cand.offers.item[o_keep].astype(np.int64)
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
            bounds[level] = _coverage_bound(
                arrays, o_student, o_item, w_student, w_item, best_placed
            )
        elif level == "preference":
            must_place = achieved.get("placed", 0) if "placed" in above else 0
            cheapest = _per_student_min(cand.offer_cost[o_keep].astype(float), o_student, n)
            bounds[level] = _smallest_sum(cheapest, must_place)
        elif level == "travel":
            must_place = achieved.get("placed", 0) if "placed" in above else 0
            nearest = _per_student_min(cand.offers.minutes[o_keep].astype(float), o_student, n)
            bound = _smallest_sum(nearest, must_place)
            if "workshops" in above and workshops_per_student:
                credits = achieved.get("workshops", 0)
                nearest_slot = _per_student_min(
                    cand.slots.minutes[w_keep].astype(float), w_student, n
                )
                repeated = np.repeat(nearest_slot, workshops_per_student)
                bound += _smallest_sum(repeated, credits)
            bounds[level] = bound
        above.add(level)
    return bounds


def _coverage_bound(
    arrays: InstanceArrays,
    o_student: IntArray,
    o_item: IntArray,
    w_student: IntArray,
    w_item: IntArray,
    best_placed: int,
) -> float:
    """Half-days each student could cover alone; at most ``p*`` students have a placement."""
    n = arrays.n_students
    if arrays.n_half_days > MAX_HALF_DAYS:
        has_pair = np.zeros(n, dtype=bool)
        has_pair[o_student] = True
        has_pair[w_student] = True
        return float(has_pair.sum() * arrays.n_half_days)
    slot_union = np.zeros(n, dtype=np.uint64)
    np.bitwise_or.at(slot_union, w_student, half_day_masks(arrays.slots)[w_item])
    all_union = slot_union.copy()
    np.bitwise_or.at(all_union, o_student, half_day_masks(arrays.offers)[o_item])
    without = _popcount(slot_union)
    gain = np.sort(_popcount(all_union) - without)[::-1]
    return float(without.sum() + gain[: max(best_placed, 0)].sum())
