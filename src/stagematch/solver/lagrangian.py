"""Lagrangian bounds: seats priced, each student's best programme at those prices, exactly.

A component too large for an exact model still splits into students once the rows that tie
students together are *priced* instead of imposed: the seats of each item (and its seats open
to non-QPV students), each offer's minimum QPV share as the linear row it implies
(:mod:`.share_rows`), "at most one session per workshop" for each student, and the levels
ranked above the one being bounded (each fixed at the value the search reached). For any
prices ``π ≥ 0`` (weak duality), for a maximised level ``f``::

    every plan reaching the levels above  ≤  Σ_rows π_r · limit_r
        f(plan)                              + Σ_students max over the student's programmes
                                                 of (f − Σ_rows π_r · row_r)

where a *programme* is what one student may hold under the rules the prices leave alone: at
most ``max_placements`` placements, no two items on one half-day, ``placed`` and ``attended``
capped as in :mod:`stagematch.levels`. Items are intervals of half-days, so that maximum is a
small dynamic programme over the half-days, whose state is (placements held, sessions held up
to the cap), run for all students at once on numpy arrays (:class:`Programmes`): exact and
integral. So the bound holds for any prices however they were found — no solver's claim of
optimality is trusted — and with the linear relaxation's optimal prices it is at least the
relaxation's bound. Rules neither priced nor in the programmes — pins, what the share's
disjunction asks beyond its row, levels above that are not per-student sums (``changes``,
``coaches``) — are dropped, which only loosens the bound; those two levels get no bound here.
A share row the plan itself breaks (pins may leave it so) is dropped too: the LP would have no
solution.

The prices come from column generation (Dantzig–Wolfe): a small LP (HiGHS's primal simplex)
over the programmes found so far — the plan's to begin with — gives prices; each student's best
programme at those prices is added where it beats what the LP pays that student; the bound is
evaluated at every round and the least kept. A level's rounds go on until the bound has
converged — no programme beats the master's prices, or the master's value (which no later
round's bound can fall below) is within ``Tuning.lagrangian_tolerance`` of the bound — up to
``Tuning.lagrangian_rounds``. Both tests read numbers the rounds computed, so the bound does
not depend on the machine unless the wall-clock cap cuts it. The LP's columns and prices
carry over from one level to the next. The LP is kept small: a seat
row enters it only once its columns could break it, and the columns that leave the basis are
dropped after every solve (:meth:`Master.prune`), which at 3,000 students takes the four
levels from about 115 to 19 CPU seconds for bounds within 0.4 % of the unpruned ones. It
reaches the relaxation's optimum in about 15 rounds a level on a 1,000-student bassin, 30 to
55 on a 3,000-student one (docs/benchmarks.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np

from ..arrays import BoolArray, FloatArray, IntArray
from ..levels import LEVELS
from .cpsat import ComponentData
from .limits import Stop
from .programmes import Programmes
from .seat_rows import SeatRows

__all__ = ["Master", "Planner", "lagrangian_bounds", "models_every_rule"]


SUPPORTED = ("qpv_placed", "placed", "workshops", "coverage", "preference", "travel")
"""Levels that are sums of per-pair and capped per-student terms the programmes know."""


@dataclass(frozen=True)
class _LevelTerms:
    """A level as ``Σ offer·x + Σ slot·y + Σ placed_weight·placed + Σ attended_weight·attended``
    (plus ``constant``), from its linear description; ``None`` when it has other terms."""

    offer: FloatArray
    slot: FloatArray
    placed_weight: FloatArray
    attended_weight: FloatArray
    attended_cap: IntArray
    constant: float

    @staticmethod
    def of(data: ComponentData, level: str) -> _LevelTerms | None:
        if level not in SUPPORTED:
            return None
        linear = LEVELS[level].linear(data)
        n = data.n_students
        placed = np.zeros(n)
        attended = np.zeros(n)
        cap = np.zeros(n, dtype=np.int64)
        for term in linear.terms:
            if term.kind != "at_most" or term.key not in ("placed", "attended"):
                return None
            if term.key == "placed":
                placed = placed + term.weight * (term.cap > 0)
            else:
                attended = attended + term.weight
                cap = np.asarray(term.cap, dtype=np.int64)
        if linear.groups:
            return None
        return _LevelTerms(
            np.asarray(linear.offer, dtype=np.float64),
            np.asarray(linear.slot, dtype=np.float64),
            placed,
            attended,
            cap,
            float(linear.constant),
        )

    def per_student(
        self, offer_chosen: BoolArray, slot_chosen: BoolArray, p: Programmes
    ) -> FloatArray:
        """Each student's share of the level for a choice (the constant left out)."""
        n = p.n_students
        placed = np.bincount(p.offer_student[offer_chosen], minlength=n) > 0
        sessions = np.bincount(p.slot_student[slot_chosen], minlength=n)
        return (
            np.bincount(p.offer_student[offer_chosen], self.offer[offer_chosen], minlength=n)
            + np.bincount(p.slot_student[slot_chosen], self.slot[slot_chosen], minlength=n)
            + self.placed_weight * placed
            + self.attended_weight * np.minimum(sessions, self.attended_cap)
        )


@dataclass
class _Fixed:
    """A level above, fixed at the value reached: ``sign · (f − reached) ≥ 0``, priced by
    ``price ≥ 0`` per ``scale`` units (levels' units differ; the scale only conditions the
    steps)."""

    terms: _LevelTerms
    sign: float
    reached: float
    scale: float
    name: str
    price: float = 0.0


class _Dual:
    """The Lagrangian function of one level at given prices: the bound and one best
    programme per student."""

    def __init__(
        self, programmes: Programmes, seats: SeatRows, level: _LevelTerms, sign: float
    ) -> None:
        self.programmes, self.seats, self.level, self.sign = programmes, seats, level, sign

    def __call__(
        self, prices: FloatArray, fixed: list[_Fixed]
    ) -> tuple[float, FloatArray, BoolArray, BoolArray]:
        """The bound on ``sign · level`` (lifted by a bound on its rounding error), each
        student's best value and the pairs of those programmes."""
        lv, s = self.level, self.sign
        seats = self.seats
        offer = s * lv.offer - seats.price(prices, seats.offer_rows, seats.offer_coefs)
        slot = s * lv.slot - seats.price(prices, seats.slot_rows, seats.slot_coefs)
        placed, attended = s * lv.placed_weight, s * lv.attended_weight
        cap = lv.attended_cap.copy()
        constant = s * lv.constant + float(prices @ self.seats.limit)
        for f in fixed:
            weight = f.price * f.sign / f.scale
            offer = offer + weight * f.terms.offer
            slot = slot + weight * f.terms.slot
            placed = placed + weight * f.terms.placed_weight
            attended = attended + weight * f.terms.attended_weight
            cap = np.maximum(cap, f.terms.attended_cap)
            constant += weight * (f.terms.constant - f.reached)
        # A capped term's variable may stay at 0: a negative weight counts as none.
        per_student, offer_chosen, slot_chosen = self.programmes.best(
            offer, slot, np.maximum(placed, 0.0), np.maximum(attended, 0.0), cap
        )
        total = math.fsum(per_student.tolist()) + constant
        error = 1e-9 * (float(np.abs(per_student).sum()) + abs(constant) + 1.0)
        return total + error, per_student, offer_chosen, slot_chosen


def models_every_rule(data: ComponentData, objective: list[str]) -> bool:
    """Does the Lagrangian bound keep every rule of ``data`` and bound every level (no pins,
    no minimum QPV share, every level a per-student sum)? Then it is at least as tight as the
    relaxation's, usually for far less work."""
    return (
        data.offer_pinned is None
        and data.slot_pinned is None
        and not np.any(data.offer_min_share > 0)
        and set(objective) <= set(SUPPORTED)
    )


def lagrangian_bounds(
    data: ComponentData,
    objective: list[str],
    achieved: dict[str, float],
    known: set[str],
    rounds: int,
    plan: tuple[BoolArray, BoolArray] | None = None,
    seconds: float = math.inf,
    stop: Stop | None = None,
    tolerance: float = 0.0,
    planner: Planner | None = None,
) -> dict[str, int]:
    """A Lagrangian bound for each level of ``objective`` not in ``known`` that it can bound.

    Each holds for every plan at least as good as ``achieved`` on the levels before it that
    are sums of per-student terms (the others are left free: looser, still valid); levels in
    ``known`` are fixed without being bounded. ``plan`` (masks over the data's pairs) seeds the
    LP with programmes that reach every fixed level. ``rounds`` of column generation a level;
    ``seconds`` (wall clock) and ``stop`` cut them short: the level being bounded keeps the
    best bound found so far (every round's bound holds), the levels after it get none.
    ``planner``, called after each level's column generation, may make a better plan from the
    master's programmes (:mod:`.master_plan`): its values then replace ``achieved`` from there
    on — the fixed levels' rows included — so each later bound holds for every plan at least
    as good as that plan on the levels before (which the planner never lowers).
    """
    deadline = time.monotonic() + seconds
    programmes = Programmes(data)
    seats = SeatRows(data)
    if plan is not None:
        seats.drop_broken(plan[0])
    terms = {lv: _LevelTerms.of(data, lv) for lv in objective if lv in achieved}
    usable = {lv: t for lv, t in terms.items() if t is not None}
    names = list(usable)
    master = Master(seats, list(usable.values()), programmes.n_students)
    if plan is not None:
        held = np.union1d(programmes.offer_student[plan[0]], programmes.slot_student[plan[1]])
        master.add(held, plan, programmes, in_plan=True)
    fixed: list[_Fixed] = []
    bounds: dict[str, int] = {}
    for level in objective:
        if level not in achieved or _cut(deadline, stop):
            break
        if level not in usable:
            continue
        level_terms = usable[level]
        sign = 1.0 if LEVELS[level].maximise else -1.0
        if level not in known:
            dual = _Dual(programmes, seats, level_terms, sign)
            best = _generate(
                dual, master, names.index(level), fixed, (rounds, tolerance), deadline, stop
            )
            if math.isfinite(best):
                bounds[level] = math.floor(best) if sign > 0 else math.ceil(-best)
            if planner is not None and not _cut(deadline, stop):
                achieved = _raised(achieved, planner(level, master), fixed, master)
        scale = max(
            1.0,
            float(np.abs(level_terms.offer).max(initial=0)),
            float(np.abs(level_terms.slot).max(initial=0)),
            float(np.abs(level_terms.placed_weight).max(initial=0)),
            float(np.abs(level_terms.attended_weight).max(initial=0)),
        )
        reached = achieved[level] - level_terms.constant
        fixed.append(_Fixed(level_terms, sign, achieved[level], scale, level))
        master.prune()
        master.fix(names.index(level), sign, scale, reached)
    return bounds


def _raised(
    achieved: dict[str, float], better: dict[str, float] | None, fixed: list[_Fixed], master: Master
) -> dict[str, float]:
    """``achieved`` with the planner's values, the rows of the levels fixed so far raised to
    them (a plan reaches them now: the master stays feasible without its elastic columns)."""
    if better is None:
        return achieved
    for position, f in enumerate(fixed):
        f.reached = better[f.name]
        master.refix(position, f.reached - f.terms.constant)
    return {**achieved, **better}


def _cut(deadline: float, stop: Stop | None) -> bool:
    return time.monotonic() >= deadline or (stop is not None and stop.is_set())


def _settled(best: float, master_value: float, tolerance: float) -> bool:
    """Can more rounds no longer tighten the bound reported, or only by ``tolerance``
    (relative)?

    The restricted master's value is that of a mix of programmes, so it is at most the full
    master LP's optimum, and every Lagrangian bound is at least that optimum: whatever more
    rounds find lies between ``master_value`` and ``best`` (``sign · level``; the reported
    bound is ``floor`` of it for either sense; the elastic columns, which the plan's columns
    leave unused, only lower the master's value). Stopping early never makes the bound
    invalid, only looser. The test reads numbers the rounds computed, never the clock, so
    where it stops does not depend on the machine.
    """
    if math.floor(best) <= math.floor(master_value):
        return True
    return best - master_value <= tolerance * max(1.0, abs(best))


def _generate(
    dual: _Dual,
    master: Master,
    level: int,
    fixed: list[_Fixed],
    limit: tuple[int, float],
    deadline: float,
    stop: Stop | None,
) -> float:
    """The least bound of column generation: prices from the master, the Lagrangian bound at
    them, each student's best programme added to the master where it beats what the master
    pays that student. It ends when no programme does (the master's prices are optimal), when
    the bound has :func:`_settled` within ``limit[1]``, or after ``limit[0]`` rounds."""
    rounds, tolerance = limit
    best = math.inf
    penalty = 100.0 * max(1.0, float(np.abs(master.values[level]).max(initial=1.0)))
    for _ in range(rounds):
        if _cut(deadline, stop):
            break
        prices, level_prices, paid = master.solve(level, dual.sign, penalty)
        for f, price in zip(fixed, level_prices, strict=True):
            f.price = price
        bound, per_student, offer_chosen, slot_chosen = dual(prices, fixed)
        best = min(best, bound)
        better = np.flatnonzero(per_student > paid + 1e-7 * (1.0 + np.abs(per_student)))
        reached = master.value + dual.sign * dual.level.constant  # the master omits it
        if not len(better) or _settled(best, reached, tolerance):
            break
        master.prune()
        master.add(better, (offer_chosen, slot_chosen), dual.programmes)
    return best


class Master:
    """The restricted master LP of the programmes found so far (Dantzig–Wolfe), with only the
    seat rows its columns could break.

    One column per programme found (a student's choice of pairs): its student's "at most one
    programme" row, its seat rows (with the share rows' coefficients, which may be negative),
    and a row per fixed level (normalised by the level's scale,
    with an elastic column priced ``penalty`` so that the LP is always feasible). A seat row
    enters the LP once its columns could exceed its limit — the most each student's columns
    put in it, summed, is above the limit; before that no solution of the LP can break it, so
    its price is 0 either way and the LP is smaller (at 3,000 students a fraction of the 16,600
    seat rows ever enter). Its duals are prices at which the Lagrangian bound is evaluated;
    the LP itself bounds nothing.
    """

    def __init__(self, seats: SeatRows, levels: list[_LevelTerms], n_students: int) -> None:
        h = highspy._Highs()  # type: ignore[attr-defined]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", 4)  # primal: columns added keep the basis feasible
        self.h = h
        self.seats, self.levels = seats, levels
        self.n_students = n_students
        lower = np.full(n_students, -INF)
        h.addRows(n_students, lower, np.ones(n_students), 0, _I32, _I32, _F64)
        self.n_rows, self.n_cols = n_students, 0
        self.row_of_seat = np.full(len(seats.limit), -1, dtype=np.int64)  # -1: not in the LP
        # Every programme column's seat entries (LP column, seat row, count), in or out.
        self.entry_col, self.entry_seat, self.entry_count = _I64, _I64, _F64
        self.student_of_col: dict[int, IntArray] = {}
        self.values = np.zeros((len(levels), 0))  # each level's value per programme column
        self.programme_cols = np.zeros(0, dtype=np.int64)
        self.programme_student = np.zeros(0, dtype=np.int64)
        self.fixed: list[tuple[int, float, float]] = []  # level, sign, scale
        self.fixed_rows: list[int] = []
        self.elastic_cols: list[int] = []
        self.plan = np.zeros(0, dtype=bool)  # per programme column: the plan's, never pruned
        # Each programme column's pairs (LP column, pair), to make plans of them.
        self.offer_col, self.offer_pair = _I64, _I64
        self.slot_col, self.slot_pair = _I64, _I64
        self.value = -math.inf  # the last solve's value of ``sign · level`` less the penalties

    def add(
        self,
        students: IntArray,
        chosen: tuple[BoolArray, BoolArray],
        p: Programmes,
        in_plan: bool = False,
    ) -> None:
        """One column per student of ``students``: its programme among the chosen pairs
        (``in_plan``: the columns of the current plan)."""
        n = len(students)
        take = np.zeros(p.n_students, dtype=bool)
        take[students] = True
        col_of = np.full(p.n_students, -1, dtype=np.int64)
        col_of[students] = self.n_cols + np.arange(n)
        o = chosen[0] & take[p.offer_student]
        w = chosen[1] & take[p.slot_student]
        offer_pairs, slot_pairs = np.flatnonzero(o), np.flatnonzero(w)
        self.offer_col = np.concatenate((self.offer_col, col_of[p.offer_student[offer_pairs]]))
        self.offer_pair = np.concatenate((self.offer_pair, offer_pairs))
        self.slot_col = np.concatenate((self.slot_col, col_of[p.slot_student[slot_pairs]]))
        self.slot_pair = np.concatenate((self.slot_pair, slot_pairs))
        self.plan = np.concatenate((self.plan, np.full(n, in_plan)))
        cols, seat_rows, coefs = [], [], []
        for pair_rows, pair_coefs, mine, owner in (
            (self.seats.offer_rows, self.seats.offer_coefs, o, p.offer_student),
            (self.seats.slot_rows, self.seats.slot_coefs, w, p.slot_student),
        ):
            for r, coef in zip(pair_rows, pair_coefs, strict=True):
                hit = mine & (r >= 0)
                cols.append(col_of[owner[hit]])
                seat_rows.append(r[hit])
                coefs.append(np.ones(int(hit.sum())) if coef is None else coef[hit])
        col, seat = np.concatenate(cols), np.concatenate(seat_rows)
        n_seats = max(len(self.seats.limit), 1)
        keys, inverse = np.unique(col * n_seats + seat, return_inverse=True)
        count = np.bincount(inverse, np.concatenate(coefs), minlength=len(keys))
        self.entry_col = np.concatenate((self.entry_col, keys // n_seats))
        self.entry_seat = np.concatenate((self.entry_seat, keys % n_seats))
        self.entry_count = np.concatenate((self.entry_count, count))
        values = np.array([t.per_student(o, w, p)[students] for t in self.levels])
        values = values.reshape(len(self.levels), n)
        self._add_columns(students, values)
        self.values = np.concatenate((self.values, values), axis=1)
        self.programme_student = np.concatenate((self.programme_student, students))
        self._enter_rows()

    def _add_columns(self, students: IntArray, values: FloatArray) -> None:
        """The new columns, with their entries in the rows already in the LP."""
        n = len(students)
        first = self.n_cols
        new = self.entry_col >= first
        in_lp = self.row_of_seat[self.entry_seat[new]]
        keep = in_lp >= 0
        col = np.concatenate((np.arange(n), self.entry_col[new][keep] - first))
        row = np.concatenate((students, in_lp[keep]))
        val = np.concatenate((np.ones(n), self.entry_count[new][keep]))
        for (level, sign, scale), fixed_row in zip(self.fixed, self.fixed_rows, strict=True):
            col = np.concatenate((col, np.arange(n)))
            row = np.concatenate((row, np.full(n, fixed_row)))
            val = np.concatenate((val, sign * values[level] / scale))
        order = np.lexsort((row, col))
        col, row, val = col[order], row[order], val[order]
        starts = np.searchsorted(col, np.arange(n))
        zeros = np.zeros(n)
        self.h.addCols(
            n,
            zeros,
            zeros,
            np.full(n, INF),
            len(col),
            starts.astype(np.int32),
            row.astype(np.int32),
            val,
        )
        self.programme_cols = np.concatenate((self.programme_cols, first + np.arange(n)))
        self.n_cols += n

    def _enter_rows(self) -> None:
        """Bring in the seat rows the columns could now break, with all their entries."""
        student = self.programme_student[np.searchsorted(self.programme_cols, self.entry_col)]
        n_students = max(self.n_students, 1)
        keys = self.entry_seat * n_students + student
        order = np.argsort(keys, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(keys[order]) != 0])
        if not len(order):
            return
        # A student may take none of their columns: one with only negative entries adds 0.
        most = np.maximum(np.maximum.reduceat(self.entry_count[order], starts), 0.0)
        reach = np.bincount(keys[order][starts] // n_students, most, len(self.seats.limit))
        enter = np.flatnonzero((reach > self.seats.limit + 1e-9) & (self.row_of_seat < 0))
        if not len(enter):
            return
        self.row_of_seat[enter] = self.n_rows + np.arange(len(enter))
        inside = np.flatnonzero(np.isin(self.entry_seat, enter))
        inside = inside[np.lexsort((self.entry_col[inside], self.entry_seat[inside]))]
        seat = self.entry_seat[inside]
        starts = np.searchsorted(seat, enter)
        self.h.addRows(
            len(enter),
            np.full(len(enter), -INF),
            self.seats.limit[enter],
            len(inside),
            starts.astype(np.int32),
            self.entry_col[inside].astype(np.int32),
            self.entry_count[inside],
        )
        self.n_rows += len(enter)

    def prune(self) -> None:
        """Drop the programme columns out of the last solution's basis, but the plan's.

        Column generation adds a column per student and round, most of which never enter a
        basis again, and the next level's objective wants other columns still; the primal
        simplex then works on a few thousand columns instead of tens of thousands (a column
        dropped too early comes back by pricing). At 3,000 students this takes the four
        levels from about 115 to 19 CPU seconds, the bounds within 0.6 % of the unpruned
        ones (docs/benchmarks.md)."""
        basis = self.h.getBasis()
        if not basis.valid:
            return
        status = basis.col_status
        basic = np.array([s == highspy.HighsBasisStatus.kBasic for s in status], dtype=bool)
        keep = np.ones(self.n_cols, dtype=bool)
        keep[self.programme_cols] = basic[self.programme_cols]
        keep[self.programme_cols[self.plan]] = True
        drop = np.flatnonzero(~keep).astype(np.int32)
        if not len(drop):
            return
        self.h.deleteCols(len(drop), drop)
        new_index = np.cumsum(keep) - 1
        kept = keep[self.programme_cols]
        self.programme_cols = new_index[self.programme_cols[kept]]
        self.programme_student = self.programme_student[kept]
        self.plan = self.plan[kept]
        offer, slot = keep[self.offer_col], keep[self.slot_col]
        self.offer_col, self.offer_pair = new_index[self.offer_col[offer]], self.offer_pair[offer]
        self.slot_col, self.slot_pair = new_index[self.slot_col[slot]], self.slot_pair[slot]
        self.values = self.values[:, kept]
        entry = keep[self.entry_col]
        self.entry_col = new_index[self.entry_col[entry]]
        self.entry_seat, self.entry_count = self.entry_seat[entry], self.entry_count[entry]
        self.elastic_cols = [int(new_index[c]) for c in self.elastic_cols]
        self.n_cols = int(keep.sum())

    def fix(self, level: int, sign: float, scale: float, reached: float) -> None:
        """The row ``sign · value / scale ≥ sign · reached / scale``, with its elastic column."""
        vals = sign * self.values[level] / scale
        nz = np.flatnonzero(vals)
        cols = self.programme_cols[nz].astype(np.int32)
        self.h.addRow(sign * reached / scale, INF, len(nz), cols, vals[nz])
        self.fixed.append((level, sign, scale))
        self.fixed_rows.append(self.n_rows)
        self.n_rows += 1
        self.h.addCol(0.0, 0.0, INF, 1, np.array([self.n_rows - 1], np.int32), np.ones(1))
        self.elastic_cols.append(self.n_cols)
        self.n_cols += 1

    def refix(self, position: int, reached: float) -> None:
        """Raise the row of the ``position``-th level fixed to ``reached`` (as in :meth:`fix`)."""
        _, sign, scale = self.fixed[position]
        self.h.changeRowBounds(self.fixed_rows[position], sign * reached / scale, INF)

    def pairs(self, taken: BoolArray, n_offers: int, n_slots: int) -> tuple[BoolArray, BoolArray]:
        """The pairs of the programme columns ``taken`` (a mask over :attr:`programme_cols`)."""
        col = np.zeros(self.n_cols, dtype=bool)
        col[self.programme_cols[taken]] = True
        x = np.zeros(n_offers, dtype=bool)
        y = np.zeros(n_slots, dtype=bool)
        x[self.offer_pair[col[self.offer_col]]] = True
        y[self.slot_pair[col[self.slot_col]]] = True
        return x, y

    def solve(
        self, level: int, sign: float, penalty: float
    ) -> tuple[FloatArray, list[float], FloatArray]:
        """Maximise ``sign · level``; the seats' prices (0 for rows not in the LP), the fixed
        levels' and the students'."""
        h = self.h
        cols = self.programme_cols.astype(np.int32)
        h.changeColsCost(len(cols), cols, -sign * self.values[level])
        if self.elastic_cols:
            elastic = np.array(self.elastic_cols, dtype=np.int32)
            h.changeColsCost(len(elastic), elastic, np.full(len(elastic), penalty))
        h.run()
        self.value = -float(h.getInfo().objective_function_value)
        dual = np.asarray(h.getSolution().row_dual, dtype=np.float64)
        seats = np.zeros(len(self.seats.limit))
        in_lp = self.row_of_seat >= 0
        seats[in_lp] = np.maximum(-dual[self.row_of_seat[in_lp]], 0.0)
        students = np.maximum(-dual[: self.n_students], 0.0)
        levels = [max(float(dual[r]), 0.0) for r in self.fixed_rows]
        return seats, levels, students


Planner = Callable[[str, Master], "dict[str, float] | None"]
"""Called with a level and the master once the level's column generation is done: the values
of every level of a better plan it made of the master's columns (now :attr:`Master.plan`), or
``None``."""

_I32 = np.zeros(0, dtype=np.int32)
_I64 = np.zeros(0, dtype=np.int64)
_F64 = np.zeros(0)
INF = highspy.kHighsInf
