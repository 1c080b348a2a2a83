"""Baseline assignment rules a coordinator can compare stagematch's plan with.

stagematch maximises how many (QPV) students are placed; the classic alternatives from the
matching literature instead give guarantees about *who gets which seat*. Both rules here give
each student at most one placement and never break a hard rule (they choose among the
eligible, reachable :func:`~stagematch.candidates.candidates` only, and respect capacities and
reserved seats), so :func:`stagematch.check.check` accepts their plans and every report works on
them:

:func:`deferred_acceptance`
    Student-proposing deferred acceptance (Gale and Shapley, 1962) with QPV priority and
    reserved seats in the manner of minority reserves (Hafalir, Yenmez and Yildirim, 2013). The
    plan is *stable* (no blocking pair, see :mod:`stagematch.fairness`), the best stable plan
    for every student, and no student gains by misreporting wishes.
:func:`first_come_first_served`
    Students in a given order each take the best offer that still has a seat for them (a
    serial dictatorship): simple to explain, but whoever comes late loses.

Preferences and priorities (shared with :mod:`stagematch.fairness`)
------------------------------------------------------------------
* A student prefers, among their candidate offers, the lower wish cost (the SPEC's
  ``preference`` cost: rank − 1, or ``unranked_cost``), then fewer minutes, then the offer
  that comes first in the dataset. A non-candidate offer (out of reach or ineligible) is
  unacceptable; any candidate is better than no placement.
* An offer ranks QPV students before the others, then fewer minutes, then the student that
  comes first in the dataset.

Both orders are strict, so the stable plan found by deferred acceptance is unique for the data.
The keys are packed into 64-bit integers (:func:`preference_keys`, :func:`priority_keys`) so that
comparing two of them is one integer comparison, in numpy or in plain Python.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .candidates import Candidates, candidates
from .plan import Plan

if TYPE_CHECKING:
    from .arrays import InstanceArrays
    from .model import Instance

__all__ = [
    "deferred_acceptance",
    "first_come_first_served",
    "minute_bits",
    "preference_keys",
    "priority_keys",
]

logger = logging.getLogger(__name__)

Int64Array = npt.NDArray[np.int64]
UInt64Array = npt.NDArray[np.uint64]

STUDENT_MASK = (1 << 32) - 1
"""The low 32 bits of a priority key hold the student's index."""

FIRST_BLOCK = 16
"""Offers a student's list is first sorted to; each further block is four times larger."""


def minute_bits(minutes: npt.ArrayLike) -> Int64Array:
    """Minutes as integers in the same order: the bit pattern of the float32 value.

    For non-negative IEEE floats the bit pattern orders exactly like the value, so packing it
    into an integer key keeps fractional ``travel_times`` overrides (12.5 minutes) exact without
    any rounding; ``+ 0.0`` turns a ``-0.0`` into ``0.0``. Minutes are never negative (the
    dataset forbids it), so the result fits in 31 bits.
    """
    values = np.asarray(minutes, dtype=np.float32) + np.float32(0.0)
    return values.view(np.uint32).astype(np.int64)


def preference_keys(cost: npt.ArrayLike, minutes: npt.ArrayLike) -> Int64Array:
    """A student's preference key of each pair: smaller is better.

    ``cost × 2³² + minute_bits(minutes)``: the wish cost first, then the minutes. Ties between
    pairs with the same key are broken by the offer's index (lower first), which the key leaves
    out so that it needs no more than 64 bits.
    """
    return np.asarray(cost, dtype=np.int64) * (1 << 32) + minute_bits(minutes)


def priority_keys(
    qpv: npt.ArrayLike, minutes: npt.ArrayLike, student: npt.ArrayLike
) -> UInt64Array:
    """An offer's priority key of each pair: smaller means higher priority.

    ``(not QPV) × 2⁶³ + minute_bits(minutes) × 2³² + student index``. The student's index makes
    every key distinct, and can be read back as ``key & STUDENT_MASK``.
    """
    not_qpv = (~np.asarray(qpv, dtype=bool)).astype(np.uint64)
    bits = minute_bits(minutes).astype(np.uint64)
    index = np.asarray(student).astype(np.uint64)
    return np.asarray((not_qpv << np.uint64(63)) | (bits << np.uint64(32)) | index)


class _Lists:
    """Each student's candidate offers in preference order, sorted lazily block by block.

    Sorting all pairs of an académie (tens of millions) up front costs more than the whole
    matching: most students propose to a handful of offers. A student's list is therefore
    sorted only as deep as they need: the ``FIRST_BLOCK`` best offers (all offers tied with the
    last one included), then a block four times larger, and so on. Each block is found with a
    partial sort (``np.partition``) of the pairs not yet handed out.
    """

    def __init__(self, instance: Instance, cand: Candidates) -> None:
        arrays = instance.arrays
        pairs = cand.offers
        self.indptr = pairs.indptr(arrays.n_students)
        self.item = pairs.item
        self.minutes = pairs.minutes
        self.cost = cand.offer_cost
        self.base = priority_keys(
            arrays.qpv, np.zeros(arrays.n_students), np.arange(arrays.n_students)
        )
        n = arrays.n_students
        self.items: list[list[int]] = [[] for _ in range(n)]
        self.priorities: list[list[int]] = [[] for _ in range(n)]
        self.position = [0] * n
        self.threshold: list[int | None] = [None] * n
        self.block = [FIRST_BLOCK] * n
        self.handed = [0] * n  # offers of the blocks before the current one, all proposed to

    def refill(self, s: int) -> bool:
        """Sort the next block of ``s``'s list; ``False`` when the list is exhausted."""
        a, b = int(self.indptr[s]), int(self.indptr[s + 1])
        if a == b:
            return False
        keys = preference_keys(self.cost[a:b], self.minutes[a:b])
        threshold = self.threshold[s]
        rest = np.arange(b - a) if threshold is None else np.flatnonzero(keys > threshold)
        if not len(rest):
            return False
        size = self.block[s]
        if len(rest) > size:
            kth = np.partition(keys[rest], size - 1)[size - 1]
            rest = rest[keys[rest] <= kth]
        self.block[s] = size * 4
        items = self.item[a:b][rest]
        order = np.lexsort((items, keys[rest]))
        rest, items = rest[order], items[order]
        self.threshold[s] = int(keys[rest[-1]])
        bits = minute_bits(self.minutes[a:b][rest]).astype(np.uint64) << np.uint64(32)
        self.handed[s] += len(self.items[s])
        self.items[s] = items.tolist()
        self.priorities[s] = (bits | self.base[s]).tolist()
        self.position[s] = 0
        return True

    @property
    def proposals(self) -> int:
        """Offers handed out so far: every proposal made (for the log and the benchmarks)."""
        return sum(self.handed) + sum(self.position)


def deferred_acceptance(instance: Instance, *, cand: Candidates | None = None) -> Plan:
    """Student-proposing deferred acceptance with QPV priority: the student-optimal stable plan.

    Every unplaced student proposes to their best offer not yet tried (preferences and
    priorities are in the module docstring); each offer keeps the best proposals it may hold
    and rejects the rest, who propose again, until nobody is rejected (Gale and Shapley, 1962).
    An offer holds at most ``capacity`` students, of whom at most ``capacity − qpv_reserved``
    non-QPV students (rule 2). This is the choice rule of minority reserves (Hafalir, Yenmez and
    Yildirim, 2013): reserved seats go to QPV applicants first, the open seats to the best
    applicants whoever they are. Because every offer ranks QPV students first anyway, it amounts
    to "take applicants in priority order while seats remain, a non-QPV one only while open
    seats remain". A reserved seat no QPV student wants stays empty: the SPEC makes reserved
    seats a hard rule (HYY's *soft* reserves would release it).

    The result is stable in the sense of :mod:`stagematch.fairness` (no wasted seat, no
    justified envy), each student gets the best offer they have in any stable plan, and the
    same students are placed in every stable plan (the rural hospitals theorem; it holds here
    because the offers' choice rules are substitutable and obey the law of aggregate demand,
    Hatfield and Milgrom, 2005). Telling the truth about one's wishes is a dominant strategy.

    Parameters
    ----------
    instance
        A validated dataset.
    cand
        Its :func:`~stagematch.candidates.candidates`, when already computed (they are the
        expensive part on large instances).

    Returns
    -------
    Plan
        Placements only, at most one per student.

    Notes
    -----
    Students propose lazily from their sorted lists (see :class:`_Lists`), and offers keep
    their held students in a heap keyed by priority, so each proposal costs O(log capacity).
    Proposals are made in a loop of plain Python; the number of proposals (logged at DEBUG
    level), not the number of candidate pairs, sets the time: about 4.7 million proposals and
    8 to 12 s for an académie's 50,000 students and 78 million pairs (``docs/fairness.md``).
    """
    cand = cand if cand is not None else candidates(instance)
    arrays = instance.arrays
    offers = arrays.offers
    capacity = offers.capacity.tolist()
    open_seats = (offers.capacity - offers.reserved).tolist()
    held: list[list[int]] = [[] for _ in range(len(offers))]  # heaps of −priority
    non_qpv = [0] * len(offers)
    lists = _Lists(instance, cand)
    items, priorities, position = lists.items, lists.priorities, lists.position
    push, pop = heapq.heappush, heapq.heappop
    waiting = list(range(arrays.n_students))[::-1]  # pop() serves students in dataset order
    while waiting:
        s = waiting.pop()
        # The next offer on s's list (inlined rather than a method: this is the hot path).
        k = position[s]
        if k == len(items[s]):
            if not lists.refill(s):
                continue  # no offer left to try: unplaced
            k = 0
        position[s] = k + 1
        o, priority = items[s][k], priorities[s][k]
        heap = held[o]
        push(heap, -priority)
        count = non_qpv[o] + (priority >> 63)
        if len(heap) > capacity[o] or count > open_seats[o]:
            # One seat or one open seat too many: the lowest priority goes. It is a non-QPV
            # student whenever one is held, since QPV students rank first everywhere.
            worst = -pop(heap)
            count -= worst >> 63
            waiting.append(worst & STUDENT_MASK)
        non_qpv[o] = count
    logger.debug("deferred acceptance: %d proposals", lists.proposals)
    return arrays.decode(
        [((-key) & STUDENT_MASK, o) for o, heap in enumerate(held) for key in heap]
    )


def first_come_first_served(
    instance: Instance,
    order: Sequence[str] | None = None,
    *,
    cand: Candidates | None = None,
) -> Plan:
    """Students in turn take their best offer with a seat they may take (serial dictatorship).

    Parameters
    ----------
    instance
        A validated dataset.
    order
        Student ids, first served first (e.g. the order of registration). Students not listed
        follow in dataset order; by default everyone is served in dataset order.
    cand
        The instance's :func:`~stagematch.candidates.candidates`, when already computed.

    Returns
    -------
    Plan
        Placements only, at most one per student.

    Raises
    ------
    ValueError
        When ``order`` names an unknown student or a student twice.

    Notes
    -----
    A student may take a seat of an offer when it has fewer than ``capacity`` students and,
    for a non-QPV student, fewer than ``capacity − qpv_reserved`` non-QPV students (rule 2).
    Nobody is ever moved, so no student envies a student served *later*; envy of earlier
    students is what the rule costs (measured in :mod:`stagematch.fairness`).
    """
    cand = cand if cand is not None else candidates(instance)
    arrays = instance.arrays
    offers = arrays.offers
    sequence = _serving_order(arrays, order)
    seats = offers.capacity.copy()
    open_seats = offers.capacity - offers.reserved
    pairs = cand.offers
    indptr = pairs.indptr(arrays.n_students)
    chosen: list[tuple[int, int]] = []
    for s in sequence:
        a, b = int(indptr[s]), int(indptr[s + 1])
        if a == b:
            continue
        items = pairs.item[a:b]
        free = seats[items] > 0
        if not arrays.qpv[s]:
            free &= open_seats[items] > 0
        if not free.any():
            continue
        keys = preference_keys(cand.offer_cost[a:b][free], pairs.minutes[a:b][free])
        items = items[free]
        o = int(items[keys == keys.min()].min())
        seats[o] -= 1
        if not arrays.qpv[s]:
            open_seats[o] -= 1
        chosen.append((s, o))
    return arrays.decode(chosen)


def _serving_order(arrays: InstanceArrays, order: Sequence[str] | None) -> list[int]:
    """Student indices: those of ``order`` first, in that order, then the rest in dataset order."""
    if order is None:
        return list(range(arrays.n_students))
    index = arrays.student_index
    first: list[int] = []
    seen: set[int] = set()
    for sid in order:
        k = index.get(sid)
        if k is None:
            raise ValueError(f"order names {sid!r}, who is not a student of this dataset")
        if k in seen:
            raise ValueError(f"order names {sid!r} twice")
        seen.add(k)
        first.append(k)
    return first + [k for k in range(arrays.n_students) if k not in seen]
