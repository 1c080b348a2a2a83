"""A fast completion of the flow's plan: add workshop sessions and second placements greedily.

The flow gives each placed student one placement. Before any search, this pass gives each
student what the lower levels reward, in objective order: sessions of distinct workshops in
half-days left free (``workshops``), then another placement in a free window (``coverage``),
each time the cheapest candidate that still has a seat (candidate pairs are visited in order of
preference cost, then minutes). It never removes anything, so the levels the flow proved stay
as they are; it only gives large-neighbourhood search a good place to start.

Half-days are bit masks in a ``uint64``, so this pass needs periods of at most 32 working days;
longer periods skip it (the search still works from the flow's plan).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..arrays import BoolArray, InstanceArrays, IntArray, ItemArrays
from ..candidates import Candidates
from ..model import CHANGES, COACHES

MAX_HALF_DAYS = 64
STOP_EVERY = 1024  # students between two looks at the stop callback


def half_day_masks(items: ItemArrays) -> np.ndarray:
    """One ``uint64`` bit mask of covered half-days per item."""
    width = (items.last_half_day - items.first_half_day + 1).astype(np.uint64)
    ones = np.where(
        width >= 64, np.uint64(2**64 - 1), (np.uint64(1) << width) - np.uint64(1)
    ).astype(np.uint64)
    return (ones << items.first_half_day.astype(np.uint64)).astype(np.uint64)


class _Seats:
    """Seats taken per item, and by non-QPV students (who may not use reserved seats).

    With ``min_share`` and ``could_come`` (offers: :mod:`stagematch.share`), a non-QPV
    student may only take a seat that keeps the item within its minimum QPV share; a QPV
    student never breaks it.
    """

    def __init__(
        self,
        items: ItemArrays,
        student: IntArray,
        item: IntArray,
        qpv: BoolArray,
        min_share: IntArray | None = None,
        could_come: IntArray | None = None,
    ):
        self.capacity = items.capacity
        self.open_limit = items.capacity - items.reserved
        self.used = np.bincount(item, minlength=len(items)).astype(np.int64)
        self.used_open = np.bincount(item[~qpv[student]], minlength=len(items)).astype(np.int64)
        self.min_share = min_share
        self.could_come = could_come

    def free(self, item: IntArray, is_qpv: bool) -> BoolArray:
        ok = self.used[item] < self.capacity[item]
        if not is_qpv:
            ok &= self.used_open[item] < self.open_limit[item]
            if self.min_share is not None and self.could_come is not None:
                used_qpv = self.used[item] - self.used_open[item]
                ok &= (self.min_share[item] * (self.used[item] + 1) <= 100 * used_qpv) | (
                    used_qpv >= self.could_come[item]
                )
        return np.asarray(ok)

    def take(self, item: int, is_qpv: bool) -> None:
        self.used[item] += 1
        if not is_qpv:
            self.used_open[item] += 1


def complete_greedily(
    arrays: InstanceArrays,
    cand: Candidates,
    offer_chosen: BoolArray,
    slot_chosen: BoolArray,
    objective: list[str],
    workshops_per_student: int,
    offer_order: IntArray,
    unchanged: BoolArray | None = None,
    *,
    new_placements: bool = True,
    share_candidates: IntArray | None = None,
    stop: Callable[[], bool] | None = None,
) -> tuple[BoolArray, BoolArray]:
    """Add sessions and placements to the plan in ``offer_chosen``/``slot_chosen`` (copies).

    ``offer_order`` lists the placement pairs to consider, grouped by student, cheapest first
    (see :mod:`.shortlist`). When re-planning, ``unchanged`` marks the students whose items
    are still the previous plan's: levels ranked below ``changes`` leave them alone. With
    ``new_placements=False`` only sessions are added: a stable plan stays stable (a new
    placement could give a student of higher priority justified envy). With
    ``share_candidates`` (each offer's QPV candidates) placements keep every offer's minimum
    QPV share, if the plan given kept it.

    ``stop`` (e.g. the solve's :meth:`.limits.Limits.interrupted`) is asked every
    :data:`STOP_EVERY` students; once it says yes the pass ends there. Every step only adds to
    a valid plan, so what it has added so far is kept: the plan is valid however early it ends.
    """
    offer_chosen, slot_chosen = offer_chosen.copy(), slot_chosen.copy()
    if arrays.n_half_days > MAX_HALF_DAYS:
        return offer_chosen, slot_chosen
    completion = _Completion(
        arrays, cand, offer_chosen, slot_chosen, offer_order, share_candidates, objective
    )
    completion.stop = stop
    # Adding an item only ever raises workshops and coverage, and costs preference and travel:
    # stop at the first minimised level so no level ranked above a step is ever made worse.
    steps = {"workshops": lambda skip: completion.add_workshops(workshops_per_student, skip)}
    if new_placements:
        steps["coverage"] = completion.add_placements
    # Below ``changes``, a step may only add to students who changed already.
    skip: BoolArray | None = None
    for level in objective:
        if level in ("preference", "travel", COACHES):
            break
        if level == CHANGES:
            skip = unchanged
        if level in steps and not completion.stopped:
            steps.pop(level)(skip)
    return offer_chosen, slot_chosen


class _Completion:
    """The greedy pass's state: the plan's flags, each student's occupied half-days and
    placements, the seats taken, and each student's pairs in the order they are tried.

    Placement pairs: only those held now and the short list are looked at (an académie has
    tens of millions of candidates; per-pair arrays over all of them would cost gigabytes).
    """

    def __init__(
        self,
        arrays: InstanceArrays,
        cand: Candidates,
        offer_chosen: BoolArray,
        slot_chosen: BoolArray,
        offer_order: IntArray,
        share_candidates: IntArray | None,
        objective: list[str],
    ) -> None:
        n = arrays.n_students
        offers, slots = cand.offers, cand.slots
        self.arrays, self.offer_chosen, self.slot_chosen = arrays, offer_chosen, slot_chosen
        self.offer_order = offer_order
        item_masks = half_day_masks(arrays.offers)
        held = np.flatnonzero(offer_chosen)
        held_student = offers.student[held].astype(np.int64)
        held_item = offers.item[held].astype(np.int64)
        self.o_item = offers.item[offer_order].astype(np.int64)
        self.offer_mask = item_masks[self.o_item]
        self.w_student = slots.student.astype(np.int64)
        self.w_item = slots.item.astype(np.int64)
        self.slot_mask = half_day_masks(arrays.slots)[self.w_item]
        self.occupied = np.zeros(n, dtype=np.uint64)
        np.bitwise_or.at(self.occupied, held_student, item_masks[held_item])
        np.bitwise_or.at(self.occupied, self.w_student[slot_chosen], self.slot_mask[slot_chosen])
        self.placements = np.bincount(held_student, minlength=n)
        self.offer_seats = _Seats(
            arrays.offers,
            held_student,
            held_item,
            arrays.qpv,
            None if share_candidates is None else arrays.min_share,
            share_candidates,
        )
        self.slot_seats = _Seats(
            arrays.slots, self.w_student[slot_chosen], self.w_item[slot_chosen], arrays.qpv
        )
        self.offer_ptr = np.searchsorted(offers.student[offer_order], np.arange(n + 1))
        self.slot_order = np.lexsort((slots.minutes, self.w_student))
        self.slot_ptr = np.searchsorted(self.w_student[self.slot_order], np.arange(n + 1))
        self.workshop_of = arrays.slots.group[self.w_item]
        # With ``coaches`` in the objective, schoolmates go to the same sessions where they
        # can: students are taken school by school, each preferring the sessions their
        # school's group already rides to (one more student rarely needs one more coach).
        self.grouping = COACHES in objective and arrays.coach_capacity > 0
        self.group_key = (
            arrays.coach_group_keys(self.w_item, self.w_student) if self.grouping else None
        )
        self.group_size: dict[int, int] = {}
        self.stop: Callable[[], bool] | None = None
        self.stopped = False
        if self.group_key is not None:
            for key in self.group_key[slot_chosen].tolist():
                self.group_size[key] = self.group_size.get(key, 0) + 1

    def _must_stop(self, visited: int) -> bool:
        """Ask ``stop`` every :data:`STOP_EVERY` students; remember a yes."""
        if not self.stopped and self.stop is not None and visited % STOP_EVERY == 0:
            self.stopped = self.stop()
        return self.stopped

    def add_workshops(self, workshops_per_student: int, skip: BoolArray | None) -> None:
        """Sessions of distinct workshops in free half-days, cheapest first, for each student
        not in ``skip``."""
        if not workshops_per_student:
            return
        arrays = self.arrays
        attended: dict[int, set[int]] = {}
        for k in np.flatnonzero(self.slot_chosen):
            attended.setdefault(int(self.w_student[k]), set()).add(int(self.workshop_of[k]))
        students = (
            np.argsort(arrays.school, kind="stable") if self.grouping else range(len(arrays.qpv))
        )
        for visited, s in enumerate(students):
            if self._must_stop(visited):
                return
            pairs = self.slot_order[self.slot_ptr[s] : self.slot_ptr[s + 1]]
            if not len(pairs) or (skip is not None and skip[s]):
                continue
            seen = attended.setdefault(s, set())
            self._sessions_for(int(s), pairs, seen, workshops_per_student)

    def _sessions_for(
        self, s: int, pairs: IntArray, seen: set[int], workshops_per_student: int
    ) -> None:
        is_qpv = bool(self.arrays.qpv[s])
        seats = self.slot_seats
        if self.group_key is not None:
            riding = np.array(
                [self.group_size.get(key, 0) for key in self.group_key[pairs].tolist()]
            )
            pairs = pairs[np.argsort(-riding, kind="stable")]
        for k in pairs[seats.free(self.w_item[pairs], is_qpv)].tolist():
            if len(seen) >= workshops_per_student:
                break
            if self.workshop_of[k] in seen or self.occupied[s] & self.slot_mask[k]:
                continue
            if not seats.free(self.w_item[k : k + 1], is_qpv)[0]:
                continue
            self.slot_chosen[k] = True
            seen.add(int(self.workshop_of[k]))
            self.occupied[s] |= self.slot_mask[k]
            seats.take(int(self.w_item[k]), is_qpv)
            if self.group_key is not None:
                key = int(self.group_key[k])
                self.group_size[key] = self.group_size.get(key, 0) + 1

    def add_placements(self, skip: BoolArray | None) -> None:
        """Further placements in free windows, cheapest first, up to each student's maximum,
        for each student not in ``skip``."""
        arrays = self.arrays
        for s in range(arrays.n_students):
            if self._must_stop(s):
                return
            if self.placements[s] >= arrays.max_placements[s]:
                continue
            if skip is not None and skip[s]:
                continue
            # Positions in the short list; offer_order maps them to candidate pairs.
            positions = np.arange(self.offer_ptr[s], self.offer_ptr[s + 1])
            if len(positions):
                self._placements_for(s, positions)

    def _placements_for(self, s: int, positions: IntArray) -> None:
        arrays, seats, order = self.arrays, self.offer_seats, self.offer_order
        is_qpv = bool(arrays.qpv[s])
        fits = (self.offer_mask[positions] & self.occupied[s]) == 0
        fits &= seats.free(self.o_item[positions], is_qpv)
        for p in positions[fits].tolist():
            if self.placements[s] >= arrays.max_placements[s]:
                break
            if (
                self.occupied[s] & self.offer_mask[p]
                or not seats.free(self.o_item[p : p + 1], is_qpv)[0]
                or self.offer_chosen[order[p]]
            ):
                continue
            self.offer_chosen[order[p]] = True
            self.placements[s] += 1
            self.occupied[s] |= self.offer_mask[p]
            seats.take(int(self.o_item[p]), is_qpv)


def keep_previous(
    arrays: InstanceArrays,
    cand: Candidates,
    offer_chosen: BoolArray,
    slot_chosen: BoolArray,
    offer_previous: IntArray,
    slot_previous: IntArray,
) -> None:
    """Add the previous plan's pairs (candidate indices) to the plan in place, where they fit.

    Re-planning starts from the flow's placements, which already favour the previous ones; this
    gives each student back the rest of their previous programme — a second placement, their
    sessions — whenever seats, half-days and counts allow, so the search starts with as few
    changes as the flow left.
    """
    offers, slots = cand.offers, cand.slots
    n = arrays.n_students
    held = np.flatnonzero(offer_chosen)
    held_student = offers.student[held].astype(np.int64)
    held_item = offers.item[held].astype(np.int64)
    w_held = np.flatnonzero(slot_chosen)
    w_student = slots.student[w_held].astype(np.int64)
    w_item = slots.item[w_held].astype(np.int64)
    occupied: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for items, student, item in (
        (arrays.offers, held_student, held_item),
        (arrays.slots, w_student, w_item),
    ):
        for s, j in zip(student.tolist(), item.tolist(), strict=True):
            occupied[s].append((int(items.first_half_day[j]), int(items.last_half_day[j])))
    placements = np.bincount(held_student, minlength=n)
    workshops: list[set[int]] = [set() for _ in range(n)]
    for s, j in zip(w_student.tolist(), w_item.tolist(), strict=True):
        workshops[s].add(int(arrays.slots.group[j]))
    offer_seats = _Seats(arrays.offers, held_student, held_item, arrays.qpv)
    slot_seats = _Seats(arrays.slots, w_student, w_item, arrays.qpv)
    for kind, pairs, chosen, items, seats in (
        ("offer", offer_previous, offer_chosen, arrays.offers, offer_seats),
        ("slot", slot_previous, slot_chosen, arrays.slots, slot_seats),
    ):
        store = offers if kind == "offer" else slots
        for k in pairs.tolist():
            if chosen[k]:
                continue
            s, j = int(store.student[k]), int(store.item[k])
            is_qpv = bool(arrays.qpv[s])
            span = (int(items.first_half_day[j]), int(items.last_half_day[j]))
            if any(lo <= span[1] and span[0] <= hi for lo, hi in occupied[s]):
                continue
            if not seats.free(np.array([j]), is_qpv)[0]:
                continue
            if kind == "offer" and placements[s] >= arrays.max_placements[s]:
                continue
            if kind == "slot" and int(items.group[j]) in workshops[s]:
                continue
            chosen[k] = True
            seats.take(j, is_qpv)
            occupied[s].append(span)
            if kind == "offer":
                placements[s] += 1
            else:
                workshops[s].add(int(items.group[j]))
