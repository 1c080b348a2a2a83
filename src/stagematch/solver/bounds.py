"""Bounds that hold for the whole instance without search, for parts too large to prove.

Each bound relaxes capacities: what every student could get alone, summed, tightened by what the
levels ranked above force or forbid. ``p*`` (the most students that can be placed, proven by
the flow) limits how many students can have a placement at all, and when ``placed`` ranks above
a cost level at least its value of students must pay for one. These bounds are valid but can be
loose where seats are scarce; ``docs/solver.md`` says where.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..arrays import FloatArray, InstanceArrays, IntArray, ItemArrays
from ..candidates import Candidates
from ..travel import Pairs
from .greedy import MAX_HALF_DAYS
from .seat_bounds import SeatBounds, seat_bounds
from .wish_floor import wish_floor

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


@dataclass(frozen=True, eq=False)
class StudentTerms:
    """What each student could get alone, capacities relaxed: the pieces of every bound.

    Each is per student and summable over disjoint sets of students, so the terms of parts
    solved apart concatenate into the terms of the whole (:mod:`.parts`). Students outside the
    set they were computed for hold neutral values (``inf`` minima, zero counts).
    """

    cheapest_cost: FloatArray  # least preference cost of a placement (inf: none)
    nearest_offer: FloatArray  # fewest minutes to a placement (inf: none)
    nearest_slot: FloatArray  # fewest minutes to a session (inf: none)
    workshops: IntArray  # distinct workshops in reach, at most workshops_per_student
    cover_without: IntArray  # half-days sessions alone can cover
    cover_gain: IntArray  # half-days a placement can add to that
    slots: IntArray  # the sessions anyone of them can reach (their seats bound workshops)

    @staticmethod
    def concatenate(terms: list[StudentTerms]) -> StudentTerms:
        """The terms of disjoint sets of students, together."""

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(t, name) for t in terms])

        return StudentTerms(
            cheapest_cost=joined("cheapest_cost"),
            nearest_offer=joined("nearest_offer"),
            nearest_slot=joined("nearest_slot"),
            workshops=joined("workshops"),
            cover_without=joined("cover_without"),
            cover_gain=joined("cover_gain"),
            slots=np.unique(joined("slots")),
        )


def student_terms(
    arrays: InstanceArrays, cand: Candidates, workshops_per_student: int, members: np.ndarray
) -> StudentTerms:
    """The :class:`StudentTerms` of the students in ``members`` (a boolean mask)."""
    n = arrays.n_students
    w_keep = members[cand.slots.student]
    w_student = cand.slots.student[w_keep].astype(np.int64)
    w_item = cand.slots.item[w_keep].astype(np.int64)
    distinct = np.zeros(n, dtype=np.int64)
    if len(w_student):
        # Distinct (student, workshop) as one integer each: numpy's unique of rows sorts
        # them as records, 2 CPU s for the académie's 5 million session pairs.
        n_groups = int(arrays.slots.group.max()) + 1
        keys = np.unique(w_student * n_groups + arrays.slots.group[w_item])
        distinct = np.bincount(keys // n_groups, minlength=n)
    o_ptr = cand.offers.indptr(n)
    without, gain = _coverage_terms(arrays, cand, members)
    return StudentTerms(
        cheapest_cost=_per_student_min(cand.offer_cost, o_ptr, members),
        nearest_offer=_per_student_min(cand.offers.minutes, o_ptr, members),
        nearest_slot=_per_student_min(cand.slots.minutes, cand.slots.indptr(n), members),
        workshops=np.where(members, np.minimum(distinct, workshops_per_student), 0),
        cover_without=without,
        cover_gain=gain,
        slots=np.unique(w_item),
    )


def level_bounds(
    arrays: InstanceArrays,
    cand: Candidates,
    objective: list[str],
    achieved: dict[str, float],
    best_placed: int,
    workshops_per_student: int,
    members: np.ndarray,
    short: IntArray | None = None,
    wish_pairs: int = 0,
) -> dict[str, float]:
    """A valid bound for each lower level of the students in ``members`` (a boolean mask).

    ``achieved`` holds their values on the levels above; ``best_placed`` is the most of them
    that can be placed. With ``short`` (the short lists' placement pairs) the bounds that
    count seats (:mod:`.seat_bounds`) tighten them where they can, and ``preference`` gets the
    better of the short lists' floor and the floor with every wished pair's seats counted
    (:mod:`.wish_floor`: on the académie 47,474 where the short lists give 17,756) when the
    members have at most ``wish_pairs`` ranked pairs.
    """
    terms = student_terms(arrays, cand, workshops_per_student, members)
    seats = None
    if short is not None:
        must_place = int(achieved.get("placed", 0)) if "placed" in objective else 0
        attends = "workshops" in objective and "travel" in objective[objective.index("workshops") :]
        seats = seat_bounds(
            arrays,
            cand,
            members,
            short,
            must_place,
            _qpv_to_place(objective, achieved),
            int(achieved.get("workshops", 0)) if attends else 0,
            workshops_per_student,
        )
        if must_place > 0 and wish_pairs > 0 and "preference" in objective:
            qpv = _qpv_to_place(objective, achieved)
            floor = wish_floor(arrays, cand, members, must_place, qpv, wish_pairs)
            if floor is not None and floor > (seats.preference_floor or 0.0):
                seats = replace(seats, preference_floor=floor)
    return bounds_from_terms(
        terms,
        arrays.slots.capacity,
        objective,
        achieved,
        best_placed,
        workshops_per_student,
        arrays.coach_capacity,
        seats,
    )


def _qpv_to_place(objective: list[str], achieved: dict[str, float]) -> int:
    """The QPV students every plan considered places, for the floors of ``preference`` and
    ``travel``: ``qpv_placed``'s value when it ranks above both (else none is known)."""
    if "qpv_placed" not in objective:
        return 0
    costs = [objective.index(lv) for lv in ("preference", "travel") if lv in objective]
    if costs and objective.index("qpv_placed") > min(costs):
        return 0
    return int(achieved.get("qpv_placed", 0))


def bounds_from_terms(
    terms: StudentTerms,
    slot_capacity: IntArray,
    objective: list[str],
    achieved: dict[str, float],
    best_placed: float,
    workshops_per_student: int,
    coach_capacity: int = 0,
    seats: SeatBounds | None = None,
) -> dict[str, float]:
    """A valid bound for each lower level, from the students' terms.

    ``achieved`` holds the values reached on the levels above; ``best_placed`` is an upper
    bound on how many of the students can be placed at once; ``seats``, when given, are
    bounds of the same students that count seats, taken where tighter.
    """
    bounds: dict[str, float] = {}
    above: set[str] = set()
    for level in objective:
        if level == "workshops":
            seat_total = float(slot_capacity[terms.slots].sum())
            bounds[level] = min(float(terms.workshops.sum()), seat_total)
        elif level == "coverage":
            gain = np.sort(terms.cover_gain)[::-1]
            placed = max(int(best_placed), 0)
            bounds[level] = float(terms.cover_without.sum() + gain[:placed].sum())
            if seats is not None:
                bounds[level] = min(bounds[level], seats.coverage)
        elif level == "preference":
            must_place = achieved.get("placed", 0) if "placed" in above else 0
            bounds[level] = _smallest_sum(terms.cheapest_cost, must_place)
            if must_place and seats is not None and seats.preference_floor is not None:
                bounds[level] = max(bounds[level], math.ceil(seats.preference_floor - 1e-6))
        elif level == "travel":
            must_place = achieved.get("placed", 0) if "placed" in above else 0
            bound = _smallest_sum(terms.nearest_offer, must_place)
            if must_place and seats is not None and seats.placement_minutes is not None:
                bound = max(bound, seats.placement_minutes)
            if "workshops" in above and workshops_per_student:
                credits = achieved.get("workshops", 0)
                repeated = np.repeat(terms.nearest_slot, workshops_per_student)
                sessions = _smallest_sum(repeated, credits)
                if seats is not None and seats.session_minutes is not None:
                    sessions = max(sessions, seats.session_minutes)
                bound += sessions
            bounds[level] = bound
        elif level == "coaches":
            credits = int(achieved.get("workshops", 0)) if "workshops" in above else 0
            session_seats = slot_capacity[terms.slots].astype(np.int64)
            bounds[level] = float(_fewest_coaches(session_seats, coach_capacity, credits))
        above.add(level)
    return bounds


def _fewest_coaches(seats: IntArray, capacity: int, credits: int) -> int:
    """The fewest coaches that can carry ``credits`` students to sessions of ``seats`` seats.

    Every workshop credit is one student at one session, and a coach carries at most
    ``capacity`` students to one session: a session of ``s`` seats takes ⌊s / capacity⌋ full
    coaches and one carrying ``s mod capacity``, and the fullest coaches first carry the most.
    Where sessions are smaller than coaches this is ⌈credits / seats⌉, not ⌈credits /
    capacity⌉ (a coach to a 15-seat session never carries 30).
    """
    if not capacity or credits <= 0:
        return 0
    loads = np.concatenate(
        (np.full(int((seats // capacity).sum()), capacity), seats[seats % capacity > 0] % capacity)
    )
    carried = np.cumsum(np.sort(loads)[::-1])
    if not len(carried) or carried[-1] < credits:  # more credits than seats: no plan has them
        return -(-credits // capacity)
    return int(np.searchsorted(carried, credits)) + 1


def _coverage_terms(
    arrays: InstanceArrays, cand: Candidates, members: np.ndarray
) -> tuple[IntArray, IntArray]:
    """Half-days each member could cover with sessions alone, and what a placement adds."""
    n = arrays.n_students
    if arrays.n_half_days > MAX_HALF_DAYS:
        return np.where(members, arrays.n_half_days, 0), np.zeros(n, dtype=np.int64)
    slot_present, slot_masks = _spans_present(arrays.slots, cand.slots, n)
    offer_present, offer_masks = _spans_present(arrays.offers, cand.offers, n)
    slot_union = np.zeros(n, dtype=np.uint64)
    for k, mask in enumerate(slot_masks):
        slot_union[slot_present[:, k]] |= mask
    all_union = slot_union.copy()
    for k, mask in enumerate(offer_masks):
        all_union[offer_present[:, k]] |= mask
    without = np.where(members, _popcount(slot_union), 0)
    gain = np.where(members, _popcount(all_union), 0) - without
    return without, gain
