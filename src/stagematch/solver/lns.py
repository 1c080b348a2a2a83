"""Large-neighbourhood search: improve a big component a piece at a time.

A component with hundreds of thousands of candidate pairs is too large for one CP-SAT model,
but most students only compete with their neighbours. Each step frees a *neighbourhood* —
the students nearest a seed student, or (:mod:`.neighbourhoods`) those competing with it for
sessions, their placements kept — keeps everyone else's assignments fixed (their seats are
taken out of the capacities), and re-optimises the neighbourhood exactly with CP-SAT, with
every level constrained to be at least as good as it is now. A step can therefore never make
the plan worse on any level, lexicographically. Each student keeps only its cheapest candidate
pairs plus what it holds now, so steps stay small however dense the geography.

Steps run in sweeps over shuffled seeds (from ``seed``) — when re-planning, students who
changed first, since only their neighbourhoods can reduce ``changes``. The first sweep frees
near neighbourhoods; later ones choose each step's kind by what each kind has gained per unit
of work. The search stops when its *work* budget is spent, or after a sweep that improved
nothing; then the whole component's sessions, and then its placements, are re-assigned by a
min-cost flow (:mod:`.reassign`), with work kept back for it from the start: chains of moves
across the component that no neighbourhood holds. Work is counted deterministically: the CP-SAT deterministic time each step used plus
a fixed charge per ``Tuning.neighbourhood`` students for building its model, so the same
input, seed and budget give the same plan on any machine. Only the wall-clock cap or a stop
flag (:mod:`.limits`) can end it otherwise, and they are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import BoolArray, IntArray
from ..candidates import Candidates
from ..levels import LEVELS
from .context import Chosen, SolveContext
from .cpsat import ComponentData, ComponentOutcome, solve_component
from .flow import ranges
from .graph import Outside, pairs_data
from .losses import Losses
from .neighbourhoods import KINDS, KindChooser, Neighbourhoods
from .reassign import Kind, reassign
from .shortlist import pair_keys

__all__ = ["improve"]

REASSIGN_CYCLES = 1
"""Cycles of flows after the first pass (:meth:`_Sweeps.reassign`), each with its work kept
back from the steps. Measured (docs/benchmarks.md): a second cycle gained a workshop at 3,000
students but, through the steps its work took, lost one at 1,000."""

REASSIGN_CHARGE = 0.01
"""Work charged for one flow re-assigning a component's sessions or placements
(:mod:`.reassign`), per 10,000 candidate pairs of that kind: about its CPU seconds (a flow of
the 49,000 placement pairs of a 1,000-student bassin takes 0.05 s)."""


WINDOWS = 4
"""Windows of half-days whose placements are re-assigned alone at the end of the search (the
generator's bassins have two: the weeks of one-week offers)."""


@dataclass(frozen=True, eq=False)
class _Rows:
    """Per student, the placement and session pairs a neighbourhood may give them (beside the
    placements with a free seat, :func:`_free_pairs`), and where each student's candidate
    placements start."""

    offers: list[IntArray]
    slots: list[IntArray]
    offer_ptr: IntArray


def _free_pairs(context: SolveContext, chosen: Chosen, pairs: IntArray) -> IntArray:
    """Among ``pairs`` (some students' candidate placements, grouped by student), each
    student's cheapest (``Tuning.free_pairs_per_student``) on offers that have a free seat
    now.

    The cheapest pairs a neighbourhood keeps are those everyone wants, so they are full; a
    student who could add a second placement, or move to make room for a workshop, needs the
    offers nobody took, which may be far down their list.
    """
    cand, offers = context.cand, context.arrays.offers
    per_student = context.tuning.free_pairs_per_student
    if per_student <= 0:
        return np.zeros(0, dtype=np.int64)
    held = np.bincount(cand.offers.item[chosen.offer_chosen], minlength=len(offers.capacity))
    pairs = pairs[held[cand.offers.item[pairs]] < offers.capacity[cand.offers.item[pairs]]]
    # Grouped by student, cheapest first (ties by pair): keep each student's first ones.
    pairs = pairs[np.lexsort((pairs, pair_keys(cand, pairs), cand.offers.student[pairs]))]
    student = cand.offers.student[pairs]
    starts = np.flatnonzero(np.r_[True, student[1:] != student[:-1]])
    rank = np.arange(len(pairs)) - np.repeat(starts, np.diff(np.r_[starts, len(pairs)]))
    return pairs[rank < per_student].astype(np.int64)


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


def _neighbourhood_data(
    context: SolveContext,
    chosen: Chosen,
    students: IntArray,
    rows: _Rows,
    keep_placements: bool = False,
) -> tuple[ComponentData, IntArray, IntArray]:
    """The sub-problem of ``students`` with everyone else's seats taken out; with
    ``keep_placements``, the placement pairs they hold only (their calendars stay in the model,
    a placement can only be given up)."""
    # Their rows, what they hold now (a step may have given them a free seat off their rows)
    # and the free seats they could take.
    theirs = ranges(rows.offer_ptr, students)
    holding = theirs[chosen.offer_chosen[theirs]]
    if keep_placements:
        o_pairs: IntArray = holding.astype(np.int64)
    else:
        kept = [rows.offers[s] for s in students]
        kept += [holding, _free_pairs(context, chosen, theirs)]
        o_pairs = np.unique(np.concatenate(kept)).astype(np.int64)
    w_pairs: IntArray = np.concatenate([rows.slots[s] for s in students]).astype(np.int64)
    return _sub_problem(context, chosen, students, o_pairs, w_pairs), o_pairs, w_pairs


def _flow_data(
    context: SolveContext, chosen: Chosen, students: IntArray, rows: _Rows, kind: Kind
) -> tuple[ComponentData, IntArray, IntArray]:
    """The sub-problem of a re-assignment (:mod:`.reassign`) of ``kind``: ``students`` with
    every candidate pair of that kind and the pairs of the other kind they hold."""
    o_pairs = ranges(rows.offer_ptr, students).astype(np.int64)
    w_pairs = np.concatenate([rows.slots[s] for s in students]).astype(np.int64)
    if kind == "placements":
        w_pairs = w_pairs[chosen.slot_chosen[w_pairs]]
    else:
        o_pairs = o_pairs[chosen.offer_chosen[o_pairs]]
    return _sub_problem(context, chosen, students, o_pairs, w_pairs), o_pairs, w_pairs


def _sub_problem(
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


def _longer_placements(
    context: SolveContext, chosen: Chosen, students: IntArray, rows: _Rows
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
    rows: _Rows,
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


def _windows(context: SolveContext, students: IntArray, rows: _Rows) -> list[tuple[int, int]]:
    """The windows of half-days whose placements :meth:`_Sweeps._second_placements` moves: the
    spans of the component's offers that do not hold every other span (those would move
    every placement, as the plain flow does), the ``WINDOWS`` with most candidate pairs, in
    order of their first half-day."""
    cand, offers = context.cand, context.arrays.offers
    items, pairs = np.unique(cand.offers.item[ranges(rows.offer_ptr, students)], return_counts=True)
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


def _rows(context: SolveContext, chosen: Chosen, students: IntArray) -> _Rows:
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
    return _Rows(offers, slots, cand.offers.indptr(n))


class _Sweeps:
    """The search's state: its random order, neighbourhoods and the work it has used."""

    def __init__(self, context: SolveContext, chosen: Chosen, students: IntArray, work: float):
        self.context, self.chosen, self.students, self.work = (
            context,
            chosen,
            students,
            work,
        )
        self.rng = np.random.default_rng(context.options.seed)
        self.rows = _rows(context, chosen, students)
        self.size = min(context.tuning.neighbourhood, len(students))
        self.neighbourhoods = Neighbourhoods(context, students, self.rows.slots, self.size)
        # Sessions steps keep the placements: not with stability, whose constraints are
        # written for neighbourhoods that may move them.
        sessions = self.neighbourhoods.has_sessions and context.stability is None
        self.chooser = KindChooser(KINDS if sessions else ("near",))
        self.losses = Losses(context, students)
        self.steps = 0
        self.sweeps = 0
        self.used = 0.0
        # The flow keeps neither stability nor ``changes``; nor is it tried beyond
        # ``reassign_pairs`` (an académie's component: its pairs' data would take gigabytes).
        # Counted from the pointers: an académie's component has tens of millions of pairs.
        ptr = self.rows.offer_ptr
        offer_pairs = int((ptr[students + 1] - ptr[students]).sum())
        slot_pairs = sum(len(self.rows.slots[s]) for s in students.tolist())
        reassigns = (
            context.stability is None
            and context.flags.offer_previous is None
            and offer_pairs + slot_pairs <= context.tuning.reassign_pairs
        )
        # The work kept back for the re-assignments after the steps (0 without them): the
        # flows of :meth:`reassign`, every cycle counted.
        self.windows = _windows(context, students, self.rows)
        windows = len(self.windows)
        cycles = REASSIGN_CYCLES
        flows = (2 + 3 * cycles) * slot_pairs + (2 + windows + (3 + windows) * cycles) * offer_pairs
        self.reserve = REASSIGN_CHARGE * flows / 10_000 if reassigns else 0.0

    def spent(self) -> bool:
        """Is the work budget for steps spent (all but the last re-assignment's), or must the
        search end now (``limits``)?"""
        return self.used >= self.work - self.reserve or self.context.limits.exhausted()

    def seeds(self) -> list[int]:
        """A sweep's seed students (positions in ``students``): those who lose the most value
        first (:mod:`.losses`, level by level in objective order), ties shuffled; when
        re-planning, those who changed before all others, since only their neighbourhoods can
        reduce ``changes``."""
        context, chosen = self.context, self.chosen
        seeds = self.rng.permutation(len(self.students))
        seeds = seeds[self.losses.order(chosen, self.students[seeds])]
        flags = context.flags
        if flags.offer_previous is not None:
            changed = flags.changed(
                context.cand,
                chosen.offer_chosen,
                chosen.slot_chosen,
                context.arrays.n_students,
            )
            seeds = seeds[np.argsort(~changed[self.students[seeds]], kind="stable")]
        return list(seeds.tolist())

    def sweep(self) -> bool | None:
        """One sweep; whether it improved the plan (``None``: the search must end).

        The first sweep frees near neighbourhoods only: they find most gains, cheaply, and
        on a large component the budget ends within it. Later sweeps pick each step's kind
        by what the kinds have gained (:class:`.neighbourhoods.KindChooser`)."""
        improved = False
        covered = np.zeros(len(self.students), dtype=bool)
        for seed_index in self.seeds():
            if covered[seed_index]:
                continue
            if self.spent():
                return None
            kind = "near" if self.sweeps == 0 else self.chooser.choose(self.steps)
            used = self.used
            if kind == "sessions":
                members = self.neighbourhoods.sessions(
                    seed_index, self.chosen.slot_chosen, self.rng
                )
                gained = self.step(self.students[members], keep_placements=True)
            else:
                members = self.neighbourhoods.near(seed_index)
                covered[members] = True
                gained = self.step(self.students[members])
            self.chooser.record(kind, self.steps, gained, self.used - used)
            improved |= gained is not None
        self.sweeps += 1
        return improved

    def reassign(self) -> int | None:
        """Re-assign the whole component by min-cost flows (:mod:`.reassign`): every session,
        its placements kept; every placement, its sessions kept; sessions traded for longer
        placements (:meth:`_trade`); second placements, one window of half-days at a time
        (:meth:`_second_placements`). Then, up to ``REASSIGN_CYCLES`` times while it gains:
        placements traded for sessions (:meth:`_trade_back`: a workshop ranks above the
        half-days it costs) and the same flows again for what that changed. Each outcome is
        kept only when lexicographically better; returns the position in the objective of the
        first level improved (``None``: kept the plan)."""
        if not self.reserve or self.context.limits.exhausted():
            return None
        self.used += self.reserve
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

    def _levels(self) -> list[float]:
        """The plan's levels on the component (its placements and sessions held)."""
        context, chosen = self.context, self.chosen
        data, o_pairs, w_pairs = _flow_data(context, chosen, self.students, self.rows, "placements")
        x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
        return [LEVELS[lvl].value(data, x, y) for lvl in context.objective]

    def _trade(self) -> int | None:
        """Sessions given up for longer placements: re-assign the sessions with, for each
        student, the coverage a longer placement with a free seat would add counted as theirs
        when they attend none (:func:`_longer_placements`), then the placements; kept only if
        the two together make the plan lexicographically better."""
        context, chosen = self.context, self.chosen
        if "coverage" not in context.objective:
            return None
        saved = chosen.offer_chosen.copy(), chosen.slot_chosen.copy()
        before = self._levels()
        data, o_pairs, w_pairs = _flow_data(context, chosen, self.students, self.rows, "sessions")
        x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
        idle = {"coverage": _longer_placements(context, chosen, self.students, self.rows)}
        moved = reassign(data, x, y, context.objective, "sessions", idle)
        if moved is None:
            return None
        chosen.slot_chosen[w_pairs] = moved
        data, o_pairs, w_pairs = _flow_data(context, chosen, self.students, self.rows, "placements")
        x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
        placed = reassign(data, x, y, context.objective, "placements")
        if placed is not None:
            chosen.offer_chosen[o_pairs] = placed
        improved = _first_gain(context.objective, self._levels(), before)
        if improved is None:
            chosen.offer_chosen[:], chosen.slot_chosen[:] = saved
        return improved

    def _trade_back(self) -> int | None:
        """Placements given up for sessions: re-assign the placements with a workshop counted
        for each student attending none whose placement leaves room for one of their
        candidate sessions (:func:`_room_for_sessions`), then the sessions; kept only if the
        two together make the plan lexicographically better."""
        context, chosen = self.context, self.chosen
        if "workshops" not in context.objective:
            return None
        saved = chosen.offer_chosen.copy(), chosen.slot_chosen.copy()
        before = self._levels()
        data, o_pairs, w_pairs = _flow_data(context, chosen, self.students, self.rows, "placements")
        x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
        fits, anywhere = _room_for_sessions(context, chosen, self.students, self.rows, o_pairs)
        moved = reassign(
            data,
            x,
            y,
            context.objective,
            "placements",
            idle={"workshops": anywhere},
            held_bonus={"workshops": fits},
        )
        if moved is None:
            return None
        chosen.offer_chosen[o_pairs] = moved
        data, o_pairs, w_pairs = _flow_data(context, chosen, self.students, self.rows, "sessions")
        x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
        sessions = reassign(data, x, y, context.objective, "sessions")
        if sessions is not None:
            chosen.slot_chosen[w_pairs] = sessions
        improved = _first_gain(context.objective, self._levels(), before)
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
        for first, last in self.windows:
            data, o_pairs, w_pairs = _flow_data(
                context, chosen, self.students, self.rows, "placements"
            )
            x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
            moving = (data.offer_first >= first) & (data.offer_last <= last)
            moved = reassign(data, x, y, objective, "placements", moving=moving)
            if moved is None:
                continue
            before = [LEVELS[lvl].value(data, x, y) for lvl in objective]
            after = [LEVELS[lvl].value(data, moved, y) for lvl in objective]
            improved = _first_gain(objective, after, before)
            if improved is not None:
                chosen.offer_chosen[o_pairs] = moved
            gains.append(improved)
        return min((g for g in gains if g is not None), default=None)

    def _reassign(self, kind: Kind) -> int | None:
        context, chosen = self.context, self.chosen
        objective = context.objective
        data, o_pairs, w_pairs = _flow_data(context, chosen, self.students, self.rows, kind)
        x, y = chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs]
        moved = reassign(data, x, y, objective, kind)
        if moved is None:
            return None
        after_x, after_y = (x, moved) if kind == "sessions" else (moved, y)
        before = [LEVELS[lvl].value(data, x, y) for lvl in objective]
        after = [LEVELS[lvl].value(data, after_x, after_y) for lvl in objective]
        improved = _first_gain(objective, after, before)
        if improved is not None:
            chosen.offer_chosen[o_pairs] = after_x
            chosen.slot_chosen[w_pairs] = after_y
        return improved

    def step(self, members: IntArray, keep_placements: bool = False) -> int | None:
        """Re-optimise the neighbourhood ``members`` (only their sessions with
        ``keep_placements``); keep the outcome if lexicographically better, and return the
        position in the objective of the first level it improved (``None``: kept the plan)."""
        context, chosen = self.context, self.chosen
        objective = context.objective
        data, o_pairs, w_pairs = _neighbourhood_data(
            context, chosen, members, self.rows, keep_placements
        )
        hint_x = chosen.offer_chosen[o_pairs]
        hint_y = chosen.slot_chosen[w_pairs]
        before = [LEVELS[lvl].value(data, hint_x, hint_y) for lvl in objective]
        fixed = _settled(objective, context.leading, before, data)
        outcome = self._solve(data, members, o_pairs, fixed, hint_x, hint_y)
        context.limits.note(outcome.stopped_by)
        # Building a model costs about the same per student whatever the kind.
        charge = context.tuning.step_charge * max(1.0, len(members) / self.size)
        self.used += outcome.work + charge
        after = [
            LEVELS[lvl].value(data, outcome.offer_chosen, outcome.slot_chosen) for lvl in objective
        ]
        self.steps += 1
        improved = _first_gain(objective, after, before)
        if improved is None:
            return None
        chosen.offer_chosen[o_pairs] = outcome.offer_chosen
        chosen.slot_chosen[w_pairs] = outcome.slot_chosen
        return improved

    def _solve(
        self,
        data: ComponentData,
        members: IntArray,
        o_pairs: IntArray,
        fixed: dict[str, int],
        hint_x: BoolArray,
        hint_y: BoolArray,
    ) -> ComponentOutcome:
        context = self.context
        extra = None
        if context.stability is not None:
            extra = context.stability.for_neighbourhood(
                self.chosen.offer_chosen,
                members,
                o_pairs,
                data.offer_student,
                data.offer_item,
                data.offer_capacity,
            )
        per_level = context.tuning.step_deterministic_time
        return solve_component(
            data,
            context.objective,
            fixed,
            hint_x,
            hint_y,
            context.limits.deadline,
            context.options.seed,
            1,
            work=min(per_level * (len(context.objective) - len(fixed)), self.work - self.used),
            extra_constraints=extra,
            stop=context.limits.stop,
            presolve=False,
        )


def improve(context: SolveContext, chosen: Chosen, students: IntArray, work: float) -> int:
    """Improve ``chosen`` in place by neighbourhood steps over ``students``; returns the steps.

    Steps go on while ``work`` units remain and a sweep improves something; the context's
    ``limits`` (the wall-clock cap and the stop flag) can end them sooner, and remember it.

    The context's ``leading`` levels are proven optimal by the flow: each neighbourhood keeps
    their value (the others, those two included when the flow does not prove them, are
    optimised). Its ``flags`` carry pins (kept in every neighbourhood) and the previous plan;
    with its ``stability``, every step keeps the plan free of justified envy.
    """
    if len(students) <= 1:
        return 0
    sweeps = _Sweeps(context, chosen, students, work)
    while not sweeps.spent():
        if not sweeps.sweep():
            break
    sweeps.reassign()  # with the work kept back for it
    return sweeps.steps


def _settled(
    objective: list[str], leading: list[str], before: list[float], data: ComponentData
) -> dict[str, int]:
    """The levels a step keeps as constraints rather than optimises: those the flow proves,
    and each level that, with every level before it settled, is already at what the
    neighbourhood's students could get alone (its trivial bound): nothing to gain there. A
    level after one still to optimise is never settled, since it may have to give way."""
    settled = {lvl: round(before[i]) for i, lvl in enumerate(objective) if lvl in leading}
    for i, lvl in enumerate(objective):
        if lvl in settled:
            continue
        if before[i] != LEVELS[lvl].trivial_bound(data):
            break
        settled[lvl] = round(before[i])
    return settled


def _first_gain(objective: list[str], after: list[float], before: list[float]) -> int | None:
    """The position of the first level on which ``after`` differs from ``before`` if it is
    better there (lexicographically better), else ``None``."""
    for position, (level, a, b) in enumerate(zip(objective, after, before, strict=True)):
        if a != b:
            return position if LEVELS[level].better(a, b) else None
    return None
