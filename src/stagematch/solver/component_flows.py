"""The flows around the neighbourhood search: the whole component re-assigned at once.

The neighbourhood steps (:mod:`.lns`) free 30 neighbours, or the candidates of a few sessions;
neither moves seats along chains of students who do not live near one another. Before the
steps and after them, :class:`ComponentFlows` re-assigns every student of the component by
min-cost flows (:mod:`.reassign`): the sessions with the placements kept, the placements with
the sessions kept, trades of one kind for the other (the flow of one kind counting what the
other is expected to gain), and the placements of one window of half-days at a time, so that a
student holding a placement in one week can take a second in the other. Each outcome is kept
only when lexicographically better. Each pass is charged a fixed work, by the pairs its flows
move (:attr:`ComponentFlows.charge`), so the same input still gives the same plan.

A component above ``Tuning.reassign_pairs`` (an académie's) is re-assigned a region at a time
(:mod:`.regions`): pieces of nearby students of at most ``Tuning.region_pairs`` pairs, each
student bringing its cheapest candidate placements, the cheapest with a seat left and what it
holds; each piece gets the sessions flow, the placements flow and its windows. Each pass cuts
its regions along other lines, so that chains of moves across one pass's borders lie within a
region of the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..arrays import IntArray
from ..levels import LEVELS
from .context import Chosen, SolveContext
from .cpsat import ComponentData
from .flow import ranges
from .reassign import Kind, reassign
from .regions import regions
from .subproblem import Rows, first_gain, free_pairs, sub_problem

__all__ = ["ComponentFlows", "region_pool"]

REASSIGN_CYCLES = 2
"""Cycles of flows after the first pass (:meth:`ComponentFlows.run`), each charged in the
pass's work whether it runs or not. Measured (docs/benchmarks.md): with the flows before and
after the steps, two cycles gave a workshop more at 1,000 students and 13 half-days more at
3,000 than one."""

REASSIGN_CHARGE = 0.01
"""Work charged for one flow re-assigning a component's sessions or placements
(:mod:`.reassign`), per 10,000 candidate pairs of that kind: about its CPU seconds (a flow of
the 49,000 placement pairs of a 1,000-student bassin takes 0.05 s)."""


Counted = dict[str, IntArray]
"""Per level, what a flow counts beside the pairs it moves (:func:`.reassign.reassign`'s
``idle`` and ``held_bonus``)."""

WINDOWS = 4
"""Windows of half-days whose placements are re-assigned alone (the generator's bassins have
two: the weeks of one-week offers)."""


@dataclass(frozen=True, eq=False)
class _Piece:
    """Students re-assigned together, and the placement pairs their flows may give them:
    ``pool`` beside what they hold (``None``: every candidate pair, the whole component).
    ``reach`` (with a pool) holds every placement pair they can hold while the piece's flows
    run: the pool and what they held before (a flow gives them pairs of these only)."""

    students: IntArray
    pool: IntArray | None
    windows: list[tuple[int, int]]
    reach: IntArray | None = None


class ComponentFlows:
    """The flows of one component's search, and the work a pass of them is charged."""

    def __init__(self, context: SolveContext, chosen: Chosen, students: IntArray, rows: Rows):
        self.context, self.chosen, self.students, self.rows = context, chosen, students, rows
        # The flows keep neither stability nor ``changes``. Beyond ``reassign_pairs`` (an
        # académie's component: its pairs' data would take gigabytes) they run by regions.
        # Counted from the pointers: an académie's component has tens of millions of pairs.
        ptr = rows.offer_ptr
        offer_pairs = int((ptr[students + 1] - ptr[students]).sum())
        slot_pairs = sum(len(rows.slots[s]) for s in students.tolist())
        tuning = context.tuning
        tried = context.stability is None and context.flags.offer_previous is None
        self.whole = tried and offer_pairs + slot_pairs <= tuning.reassign_pairs
        self.by_regions = tried and not self.whole and tuning.region_pairs > 0
        self.windows = _windows(context, ranges(ptr, students)) if self.whole else []
        self.charge = 0.0
        """The work one pass is charged, every cycle counted (0 when they are not tried)."""
        if self.whole:
            windows, cycles = len(self.windows), REASSIGN_CYCLES
            flows = (2 + 3 * cycles) * slot_pairs
            flows += (2 + windows + (3 + windows) * cycles) * offer_pairs
            self.charge = REASSIGN_CHARGE * flows / 10_000
        elif self.by_regions:
            self.charge = REASSIGN_CHARGE * self._region_flows() / 10_000
        self.piece = _Piece(students, None, self.windows)
        """The students the flows move now: the component, or one region of it."""
        self.passes = 0
        """Passes by regions run so far: each cuts its regions along other lines."""

    def _region_flows(self) -> int:
        """The pairs a pass by regions moves, counted from the rows: per student its sessions
        once, and its placements (rows and free seats) three times — the placements flow and
        two windows, the generator's weeks (at most ``WINDOWS`` run)."""
        rows, free = self.rows, self.context.tuning.region_free_pairs
        return sum(
            len(rows.slots[s]) + 3 * (len(rows.offers[s]) + free) for s in self.students.tolist()
        )

    def _regions(self) -> list[IntArray]:
        """The component's regions for this pass (:mod:`.regions`, turned a step further
        each pass), weighed by the pairs each student brings to one flow of each kind."""
        tuning, rows = self.context.tuning, self.rows
        weight = np.array(
            [
                len(rows.slots[s]) + len(rows.offers[s]) + tuning.region_free_pairs
                for s in self.students.tolist()
            ],
            dtype=np.int64,
        )
        return regions(self.context, self.students, weight, self.passes)

    def _piece(self, students: IntArray) -> _Piece:
        """A region's piece: its students' rows and, per student, the cheapest candidate
        placements with a seat left now (:func:`.subproblem.free_pairs`)."""
        pool = region_pool(self.context, self.chosen, self.rows, students)
        theirs = ranges(self.rows.offer_ptr, students)
        reach = np.union1d(pool, theirs[self.chosen.offer_chosen[theirs]])
        return _Piece(students, pool, _windows(self.context, pool), reach)

    def run(self) -> int | None:
        """Re-assign the whole component by min-cost flows (:mod:`.reassign`): every session,
        its placements kept; every placement, its sessions kept; sessions traded for longer
        placements (:meth:`_trade`); second placements, one window of half-days at a time
        (:meth:`_second_placements`). Then, up to ``REASSIGN_CYCLES`` times while it gains:
        placements traded for sessions (:meth:`_trade_back`: a workshop ranks above the
        half-days it costs) and the same flows again for what that changed. Each outcome is
        kept only when lexicographically better; returns the position in the objective of the
        first level improved (``None``: kept the plan)."""
        if not self.charge or self.context.limits.exhausted():
            return None
        if not self.whole:
            return self._run_by_regions()
        gains = [
            self._reassign("sessions"),
            self._reassign("placements"),
            self._trade(),
            self._second_placements(),
        ]
        for _ in range(REASSIGN_CYCLES):
            cycle = [
                self._trade_back(),
                self._reassign("placements"),
                self._trade(),
                self._reassign("sessions"),
                self._second_placements(),
            ]
            gains += cycle
            if all(g is None for g in cycle) or self.context.limits.exhausted():
                break
        return min((g for g in gains if g is not None), default=None)

    def _run_by_regions(self) -> int | None:
        """Each region in turn (:meth:`_regions`): its sessions, its placements, its windows;
        the wall-clock cap or the stop flag ends the pass between two regions."""
        gains: list[int | None] = []
        pieces = self._regions()
        self.passes += 1
        for students in pieces:
            if self.context.limits.exhausted():
                break
            self.piece = self._piece(students)
            gains += [
                self._reassign("sessions"),
                self._reassign("placements"),
                self._second_placements(),
            ]
        return min((g for g in gains if g is not None), default=None)

    def _levels(self) -> list[float]:
        """The plan's levels on the piece (its placements and sessions held)."""
        context, chosen = self.context, self.chosen
        data, o_pairs, w_pairs = self._flow_data("placements")
        x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
        return [LEVELS[lvl].value(data, x, y) for lvl in context.objective]

    def _trade(self) -> int | None:
        """Sessions given up for longer placements: re-assign the sessions with, for each
        student, the coverage a longer placement with a free seat would add counted as theirs
        when they attend none (:func:`_longer_placements`), then the placements."""
        context, chosen = self.context, self.chosen
        if "coverage" not in context.objective:
            return None
        students = self.piece.students
        idle = {"coverage": _longer_placements(context, chosen, students, self.rows)}
        return self._one_kind_then_other("sessions", lambda _o_pairs: (idle, None))

    def _trade_back(self) -> int | None:
        """Placements given up for sessions: re-assign the placements with a workshop counted
        for each student attending none whose placement leaves room for one of their
        candidate sessions (:func:`_room_for_sessions`), then the sessions."""
        context, chosen = self.context, self.chosen
        if "workshops" not in context.objective:
            return None

        def counted(o_pairs: IntArray) -> tuple[Counted, Counted]:
            students = self.piece.students
            fits, anywhere = _room_for_sessions(context, chosen, students, self.rows, o_pairs)
            return {"workshops": anywhere}, {"workshops": fits}

        return self._one_kind_then_other("placements", counted)

    def _one_kind_then_other(
        self, first: Kind, counted: Callable[[IntArray], tuple[Counted, Counted | None]]
    ) -> int | None:
        """A trade: re-assign the ``first`` kind with what the other is expected to gain
        counted (``counted`` gives the flow's ``idle`` and ``held_bonus`` from the component's
        offer pairs), then the other kind for what that changed; kept only if the two together
        make the plan lexicographically better."""
        context, chosen = self.context, self.chosen
        saved = chosen.offer_chosen.copy(), chosen.slot_chosen.copy()
        before = self._levels()
        second: Kind = "placements" if first == "sessions" else "sessions"
        for kind in (first, second):
            data, o_pairs, w_pairs = self._flow_data(kind)
            x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
            idle, bonus = counted(o_pairs) if kind == first else (None, None)
            moved = reassign(data, x, y, context.objective, kind, idle, bonus)
            if moved is None and kind == first:
                return None
            if moved is not None and kind == "sessions":
                chosen.slot_chosen[w_pairs] = moved
            elif moved is not None:
                chosen.offer_chosen[o_pairs] = moved
        improved = first_gain(context.objective, self._levels(), before)
        if improved is None:
            chosen.offer_chosen[:], chosen.slot_chosen[:] = saved
        return improved

    def _second_placements(self) -> int | None:
        """Re-assign the placements of one window of half-days at a time (:func:`_windows`),
        every other placement and session kept: a student holding a placement outside the
        window may take a second one inside it, along a chain of students moving within the
        window to free a seat. Each outcome is kept only when lexicographically better."""
        context, chosen = self.context, self.chosen
        objective = context.objective
        gains: list[int | None] = []
        for first, last in self.piece.windows:
            data, o_pairs, w_pairs = self._flow_data("placements")
            x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
            moving = (data.offer_first >= first) & (data.offer_last <= last)
            moved = reassign(data, x, y, objective, "placements", moving=moving)
            if moved is None:
                continue
            before = [LEVELS[lvl].value(data, x, y) for lvl in objective]
            after = [LEVELS[lvl].value(data, moved, y) for lvl in objective]
            improved = first_gain(objective, after, before)
            if improved is not None:
                chosen.offer_chosen[o_pairs] = moved
            gains.append(improved)
        return min((g for g in gains if g is not None), default=None)

    def _reassign(self, kind: Kind) -> int | None:
        context, chosen = self.context, self.chosen
        objective = context.objective
        data, o_pairs, w_pairs = self._flow_data(kind)
        x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
        moved = reassign(data, x, y, objective, kind)
        if moved is None:
            return None
        after_x, after_y = (x, moved) if kind == "sessions" else (moved, y)
        before = [LEVELS[lvl].value(data, x, y) for lvl in objective]
        after = [LEVELS[lvl].value(data, after_x, after_y) for lvl in objective]
        improved = first_gain(objective, after, before)
        if improved is not None:
            chosen.offer_chosen[o_pairs] = after_x
            chosen.slot_chosen[w_pairs] = after_y
        return improved

    def _flow_data(self, kind: Kind) -> tuple[ComponentData, IntArray, IntArray]:
        piece = self.piece
        return flow_data(
            self.context, self.chosen, piece.students, self.rows, kind, piece.pool, piece.reach
        )


def flow_data(
    context: SolveContext,
    chosen: Chosen,
    students: IntArray,
    rows: Rows,
    kind: Kind,
    pool: IntArray | None = None,
    reach: IntArray | None = None,
) -> tuple[ComponentData, IntArray, IntArray]:
    """The sub-problem of a re-assignment (:mod:`.reassign`) of ``kind``: ``students`` with
    every candidate pair of that kind (placements: those of ``pool`` and those they hold, when
    given) and the pairs of the other kind they hold.

    ``reach`` (with ``pool``): pairs among which are all those the students hold, looked at
    instead of all their candidate pairs (a region's 10 million at twice the académie's offer
    density, for each of its flows)."""
    o_pairs = (ranges(rows.offer_ptr, students) if reach is None else reach).astype(np.int64)
    if pool is not None:
        o_pairs = np.union1d(pool, o_pairs[chosen.offer_chosen[o_pairs]])
    w_pairs = np.concatenate([rows.slots[s] for s in students]).astype(np.int64)
    if kind == "placements":
        w_pairs = w_pairs[chosen.slot_chosen[w_pairs]]
    else:
        o_pairs = o_pairs[chosen.offer_chosen[o_pairs]]
    return sub_problem(context, chosen, students, o_pairs, w_pairs), o_pairs, w_pairs


def region_pool(context: SolveContext, chosen: Chosen, rows: Rows, students: IntArray) -> IntArray:
    """The placement pairs a region's ``students`` bring beside what they hold: their rows and
    each one's ``Tuning.region_free_pairs`` cheapest with a seat left now
    (:func:`.subproblem.free_pairs`)."""
    candidates = ranges(rows.offer_ptr, students)
    return np.unique(
        np.concatenate(
            [rows.offers[s] for s in students.tolist()]
            + [free_pairs(context, chosen, candidates, context.tuning.region_free_pairs)]
        )
    ).astype(np.int64)


def _longer_placements(
    context: SolveContext, chosen: Chosen, students: IntArray, rows: Rows
) -> IntArray:
    """Per student of ``students`` holding one placement, the half-days a longer candidate
    placement with a free seat (one they may take) would add to theirs, whatever their
    sessions: what giving up a session may let them gain. (Counting second placements beside
    the one held too gained less on a 1,000-student bassin: 30 half-days instead of 40.)"""
    cand, arrays = context.cand, context.arrays
    offers = arrays.offers
    pairs = ranges(rows.offer_ptr, students)
    x = chosen.offer_chosen
    held = np.bincount(cand.offers.item[x], minlength=len(offers.capacity))
    held_qpv = np.bincount(
        cand.offers.item[x & arrays.qpv[cand.offers.student]],
        minlength=len(offers.capacity),
    )
    item = cand.offers.item[pairs]
    student = cand.offers.student[pairs]
    open_left = offers.capacity - offers.reserved - (held - held_qpv)
    open_left -= np.maximum(held_qpv - offers.reserved, 0)
    free = (held[item] < offers.capacity[item]) & (arrays.qpv[student] | (open_left[item] > 0))
    span = (offers.last_half_day - offers.first_half_day + 1)[item]
    n = arrays.n_students
    mine = x[pairs]
    count = np.bincount(student[mine], minlength=n)
    current = np.zeros(n, dtype=np.int64)
    current[student[mine]] = span[mine]
    longer = np.zeros(n, dtype=np.int64)
    np.maximum.at(longer, student[free], span[free] - current[student[free]])
    return np.where(count == 1, longer, 0)[students]


def _room_for_sessions(
    context: SolveContext,
    chosen: Chosen,
    students: IntArray,
    rows: Rows,
    o_pairs: IntArray,
) -> tuple[IntArray, IntArray]:
    """For students of ``students`` attending no session: per placement pair of ``o_pairs``,
    1 if one of their candidate sessions overlaps it nowhere; per student (numbered as in
    ``students``), 1 if they have a candidate session at all. Full sessions count: the sessions
    flow that follows finds the chains of moves that free a seat (counting only sessions with a
    seat left found nothing on a 1,000-student bassin, where 24 of 26 sessions are full)."""
    cand, arrays = context.cand, context.arrays
    slots = arrays.slots
    y = chosen.slot_chosen
    n = arrays.n_students
    attending = np.bincount(cand.slots.student[y], minlength=n) > 0
    w = np.concatenate([rows.slots[s] for s in students]).astype(np.int64)
    w = w[~attending[cand.slots.student[w]]]
    student = cand.slots.student[w]
    order = np.argsort(student, kind="stable")
    w, student = w[order], student[order]
    anywhere = np.zeros(n, dtype=np.int64)
    anywhere[student] = 1
    o_student = cand.offers.student[o_pairs]
    o_first = arrays.offers.first_half_day[cand.offers.item[o_pairs]]
    o_last = arrays.offers.last_half_day[cand.offers.item[o_pairs]]
    fits = np.zeros(len(o_pairs), dtype=np.int64)
    rank = np.arange(len(w)) - np.searchsorted(student, student)
    for k in range(int(rank.max()) + 1 if len(w) else 0):
        at = w[rank == k]
        first = np.full(n, -1, dtype=np.int64)
        last = np.full(n, -1, dtype=np.int64)
        has = np.zeros(n, dtype=bool)
        first[cand.slots.student[at]] = slots.first_half_day[cand.slots.item[at]]
        last[cand.slots.student[at]] = slots.last_half_day[cand.slots.item[at]]
        has[cand.slots.student[at]] = True
        apart = (last[o_student] < o_first) | (first[o_student] > o_last)
        fits |= (has[o_student] & apart).astype(np.int64)
    return fits, anywhere[students]


def _windows(context: SolveContext, pairs: IntArray) -> list[tuple[int, int]]:
    """The windows of half-days whose placements :meth:`ComponentFlows._second_placements`
    moves: the spans of the offers of the placement pairs ``pairs`` that do not hold every
    other span (those would move every placement, as the plain flow does), the ``WINDOWS``
    with most pairs, in order of their first half-day."""
    cand, offers = context.cand, context.arrays.offers
    items, pairs = np.unique(cand.offers.item[pairs], return_counts=True)
    first = offers.first_half_day[items].astype(np.int64)
    last = offers.last_half_day[items].astype(np.int64)
    if not len(items):
        return []
    spans, where = np.unique(first * (int(last.max()) + 1) + last, return_inverse=True)
    count = np.bincount(where, weights=pairs)
    span_first, span_last = np.divmod(spans, int(last.max()) + 1)
    holds_all = (span_first <= first.min()) & (span_last >= last.max())
    best = np.lexsort((spans, -count))
    best = best[~holds_all[best]][:WINDOWS]
    return sorted((int(span_first[k]), int(span_last[k])) for k in best)
