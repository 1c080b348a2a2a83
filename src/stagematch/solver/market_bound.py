"""A Lagrangian bound of ``preference`` and ``travel`` that reads each pair once, for
components too large for the column generation of :mod:`.lagrangian` (the académie).

**Why it holds.** The Lagrangian bound holds for *any* prices ``π ≥ 0`` on the rows that tie
students together (each item's seats; the levels above, fixed at the values reached, priced
by ``μ ≥ 0``) once each student's best programme at those prices is found exactly over *all*
the student's pairs. For a minimised level ``L``, with ``sign_k = +1`` for a maximised level
``k`` above and ``-1`` for a minimised one, every plan ``x`` within the seats with
``sign_k · f_k(x) ≥ sign_k · r_k`` satisfies::

    L(x) ≥ L(x) − Σ_k μ_k sign_k (f_k(x) − r_k) − Σ_r π_r (limit_r − row_r(x))
         ≥ Σ_k μ_k sign_k r_k − Σ_r π_r limit_r
           − Σ_students max over programmes [ Σ_k μ_k sign_k f_k − L − Σ_r π_r row_r ]

where a programme is what one student may hold under the rules left unpriced (at most
``max_placements`` placements, no two items on a half-day, ``placed`` and ``attended``
capped): the dynamic programme of :class:`.programmes.Programmes`. Rows left out — each item's
seats open to non-QPV students, "one session per workshop", pins, minimum QPV shares — and
levels above that are not per-student sums are priced 0, which only loosens the bound; so
does capping ``attended`` at ``workshops_per_student`` rather than at the workshops in reach.

**Why it is cheap.** Offers are priced by *group* — a geographic piece of offers
(:func:`offer_groups`) and a span of half-days — every offer of a group at one price (a
choice of ``π`` like any other). A programme's value is a sum over its items, and an item's
coverage depends on its span only; so at such prices only each student's least cost and least
minutes per group matter, computed in one pass over the pairs, a slice at a time (taking the
least cost and least minutes of possibly different pairs only raises the student's maximum:
still valid). Sessions, about a hundred a student, are priced one by one. The dynamic
programme then runs over one pseudo-pair per (student, span), not over the pairs.

**The prices** come from a fixed number of projected supergradient steps from ``π = μ = 0``
(where the bound is 0: no cost is negative): Polyak's step towards a fifth of the way from the
best bound to the plan's value, directions deflected by half the previous one, steps halved
after three without a better bound, each coordinate weighted by one over its row's seats (a
level's multiplier by ``students / r_k²``, so that a step changes a typical student's value
alike for each). Every step's bound holds; the best is kept. No clock: the same input gives
the same bound.

Measured (docs/benchmarks.md, "A global bound for the académie's lower levels, session 12"):
on the académie it stays *looser* than the seat-counting floors of :mod:`.seat_bounds` within
the steps the 120-s cap leaves, so the solver does not call it; ``benchmarks/market_bound.py``
does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..arrays import BoolArray, FloatArray, IntArray, ItemArrays
from ..candidates import SLICE, Candidates
from ..geo import to_unit_vectors
from .context import SolveContext
from .cpsat import ComponentData
from .programmes import Programmes
from .regions import bisected

__all__ = ["BOUNDED", "Market", "component_market_bounds", "market_bounds", "offer_groups"]

BOUNDED = ("preference", "travel")
"""The levels bounded here (minimised sums of per-pair costs)."""

PIECES = 300
"""Geographic pieces of the offers, each priced alike per span (:func:`offer_groups`)."""

STEPS = 60
"""Supergradient steps a level."""

STALL = 3
"""Steps without a better bound after which the step is halved."""

DEFLECT = 0.5
"""Part of the previous direction added to the supergradient."""

TARGET = 0.2
"""Polyak's step aims this part of the way from the best bound to the plan's value."""

_COUNTED = ("qpv_placed", "placed", "workshops", "coverage")
"""Maximised levels above that a programme's cells give without its pairs' costs."""


def offer_groups(offers: ItemArrays, pieces: int) -> IntArray:
    """Each offer's piece: offers cut into about ``pieces`` geographic pieces of equal seats
    (:func:`.regions.bisected`); :class:`Market` prices each piece's offers of one span
    alike."""
    points = to_unit_vectors(offers.lat, offers.lon)
    seats = offers.capacity.astype(np.int64)
    limit = max(int(seats.sum()) // max(pieces, 1), 1)
    piece = np.zeros(len(seats), dtype=np.int64)
    for k, members in enumerate(bisected(points, seats, limit)):
        piece[members] = k
    return piece


class _Cells:
    """One kind of item's pairs grouped by (student, span of half-days): ``key = student ·
    spans + span`` over the students numbered locally."""

    def __init__(self, items: ItemArrays, n_students: int) -> None:
        key = items.first_half_day.astype(np.int64) * 4096 + items.last_half_day
        spans, span_of_item = np.unique(key, return_inverse=True)
        self.span_of_item = span_of_item.astype(np.int64)
        self.first = (spans // 4096).astype(np.int64)
        self.last = (spans % 4096).astype(np.int64)
        self.n_spans = max(len(spans), 1)
        self.size = n_students * self.n_spans
        self.length = np.zeros(self.n_spans)
        self.length[: len(spans)] = self.last - self.first + 1

    def key(self, student: IntArray, item: np.ndarray) -> IntArray:
        return student * self.n_spans + self.span_of_item[item]

    def cell_length(self, cells: IntArray) -> FloatArray:
        return self.length[cells % self.n_spans]


@dataclass(frozen=True, eq=False)
class _Entries:
    """Per (student, price group): the least cost and least minutes of the student's pairs
    in the group (a student may have two entries of one group, each a least over some of its
    pairs: harmless, the best is taken); sessions: one entry per pair, the group its slot."""

    cell: IntArray
    student: IntArray
    group: IntArray
    cost: FloatArray
    minutes: FloatArray


class Market:
    """A component's students and their pairs as the per-student problem sees them at prices
    constant over each offer group (:func:`offer_groups`) and per slot: the least cost and
    least minutes per (student, group) are all that matters then, and are computed once."""

    def __init__(
        self,
        offers: ItemArrays,
        slots: ItemArrays,
        cand: Candidates,
        qpv: BoolArray,
        members: IntArray,
        groups: IntArray,
        scale: int,
    ) -> None:
        n = len(members)
        self.local = np.full(len(qpv), -1, dtype=np.int64)
        self.local[members] = np.arange(n)
        self.qpv, self.scale = qpv[members], scale
        self.offers, self.slots = _Cells(offers, n), _Cells(slots, n)
        # A group's offers share one span, so that a group's entry is one cell's.
        span_key = groups.astype(np.int64) * self.offers.n_spans + self.offers.span_of_item
        groups = np.unique(span_key, return_inverse=True)[1].astype(np.int64)
        self.group_of_offer = groups
        self.n_groups = int(groups.max(initial=-1)) + 1
        self.group_seats = np.bincount(groups, offers.capacity, self.n_groups).astype(np.float64)
        self.slot_seats = slots.capacity.astype(np.float64)
        self.entries = self._offer_entries(cand, groups)
        keep = np.flatnonzero(self.local[cand.slots.student] >= 0)
        student = self.local[cand.slots.student[keep]]
        item = cand.slots.item[keep].astype(np.int64)
        minutes = self.units(cand.slots.minutes[keep])
        self.sessions = _Entries(
            self.slots.key(student, item), student, item, np.zeros(len(keep)), minutes
        )
        self.present_o = np.unique(self.entries.cell)
        self.present_s = np.unique(self.sessions.cell)

    def units(self, minutes: np.ndarray) -> FloatArray:
        """Minutes in the level's units, as :func:`.context.scaled_minutes` counts them."""
        return np.rint(minutes.astype(np.float64) * self.scale)

    def _offer_entries(self, cand: Candidates, groups: IntArray) -> _Entries:
        """The least cost and minutes per (student, group), a slice of pairs at a time (the
        pairs are grouped by student: a slice's students are a range)."""
        pairs, g = cand.offers, max(self.n_groups, 1)
        span_of_group = np.zeros(g, dtype=np.int64)
        span_of_group[groups] = self.offers.span_of_item
        parts: list[tuple[IntArray, FloatArray, FloatArray]] = []
        for start in range(0, len(pairs), SLICE):
            part = slice(start, start + SLICE)
            student = self.local[pairs.student[part]]
            inside = student >= 0
            if not inside.any():
                continue
            student = student[inside]
            low = int(student.min())
            key = (student - low) * g + groups[pairs.item[part][inside]]
            size = (int(student.max()) - low + 1) * g
            cost = np.full(size, np.inf)
            minutes = np.full(size, np.inf)
            np.minimum.at(cost, key, cand.offer_cost[part][inside])
            np.minimum.at(minutes, key, self.units(pairs.minutes[part][inside]))
            found = np.flatnonzero(np.isfinite(cost))
            parts.append((found + low * g, cost[found], minutes[found]))
        key = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        student, group = key // g, key % g
        return _Entries(
            student * self.offers.n_spans + span_of_group[group],
            student,
            group,
            np.concatenate([p[1] for p in parts]) if parts else np.zeros(0),
            np.concatenate([p[2] for p in parts]) if parts else np.zeros(0),
        )

    def programmes(self, max_placements: IntArray, n_half_days: int) -> Programmes:
        """The per-student dynamic programme over the cells (one pseudo-pair a cell)."""
        o, w = self.present_o, self.present_s
        no = np.zeros(len(o), dtype=np.int64)
        nw = np.zeros(len(w), dtype=np.int64)
        empty = np.zeros(0, dtype=np.int64)
        data = ComponentData(
            qpv=self.qpv,
            max_placements=max_placements,
            workshops_per_student=0,
            n_half_days=n_half_days,
            offer_student=o // self.offers.n_spans,
            offer_item=no,
            offer_first=self.offers.first[o % self.offers.n_spans],
            offer_last=self.offers.last[o % self.offers.n_spans],
            offer_cost=no,
            offer_minutes=no,
            offer_capacity=empty,
            offer_reserved=empty,
            slot_student=w // self.slots.n_spans,
            slot_item=nw,
            slot_first=self.slots.first[w % self.slots.n_spans],
            slot_last=self.slots.last[w % self.slots.n_spans],
            slot_minutes=nw,
            slot_workshop=nw,
            slot_capacity=empty,
            slot_reserved=empty,
            offer_min_share=empty,
            offer_qpv_candidates=empty,
            offer_outside_held=empty,
            offer_outside_qpv=empty,
        )
        return Programmes(data)


def _cell_best(size: int, key: IntArray, value: FloatArray) -> tuple[FloatArray, IntArray]:
    """Each cell's greatest value among the entries ``key`` puts in it (``-inf``: none), and
    the first entry reaching it (-1: none)."""
    best = np.full(size, -np.inf)
    np.maximum.at(best, key, value)
    hit = np.flatnonzero(value >= best[key])
    cells, first = np.unique(key[hit], return_index=True)
    winner = np.full(size, -1, dtype=np.int64)
    winner[cells] = hit[first]
    return best, winner


@dataclass(frozen=True)
class _Weights:
    """A level to bound and the multipliers ``μ`` of the levels above, as weights of a
    programme's parts: ``value = −cost·c − minutes·m + length·half-days + placed + attended``
    (``placed`` per student), and the constant ``Σ μ_k sign_k r_k``."""

    cost: float
    minutes: float
    length: float
    placed: FloatArray
    attended: float
    constant: float


@dataclass(frozen=True)
class _Fixed:
    """A level above, fixed at its value: ``sign · (level − reached) ≥ 0``."""

    name: str
    sign: float
    reached: float


def _weights(level: str, fixed: list[_Fixed], mu: FloatArray, qpv: BoolArray) -> _Weights:
    """The weights of ``level`` (minimised) with the levels ``fixed`` priced by ``mu``."""
    cost = 1.0 if level == "preference" else 0.0
    minutes = 1.0 if level == "travel" else 0.0
    length, attended, constant = 0.0, 0.0, 0.0
    placed = np.zeros(len(qpv))
    for f, m in zip(fixed, mu.tolist(), strict=True):
        constant += m * f.sign * f.reached
        if f.name == "preference":
            cost += m
        elif f.name == "travel":
            minutes += m
        elif f.name == "coverage":
            length += m
        elif f.name == "workshops":
            attended += m
        elif f.name == "placed":
            placed += m
        elif f.name == "qpv_placed":
            placed += m * qpv
    return _Weights(cost, minutes, length, placed, attended, constant)


class _Dual:
    """The bound of one level at given prices and multipliers, and a supergradient of it.

    ``z`` holds the offer groups' prices, the slots' prices, then the multipliers of the
    levels above. ``metric`` weighs each coordinate's step: one over its row's seats (a
    seat's excess counts relative to the seats), ``students / r_k²`` for a level's multiplier
    (a step then changes a typical student's value alike for each)."""

    def __init__(
        self,
        market: Market,
        dp: Programmes,
        level: str,
        fixed: list[_Fixed],
        cap: IntArray,
    ) -> None:
        self.m, self.dp, self.level, self.fixed, self.cap = market, dp, level, fixed, cap
        self.limits = np.concatenate((market.group_seats, market.slot_seats))
        self.n_prices = len(self.limits)
        reached = np.maximum([abs(f.reached) for f in fixed], 1.0)
        students = max(len(market.qpv), 1)
        self.metric = np.concatenate((1.0 / np.maximum(self.limits, 1.0), students / reached**2))

    def weights(self, z: FloatArray) -> _Weights:
        return _weights(self.level, self.fixed, z[self.n_prices :], self.m.qpv)

    def __call__(self, z: FloatArray) -> tuple[float, FloatArray]:
        """The bound (lowered by a bound on its rounding error) and a supergradient."""
        m, w = self.m, self.weights(z)
        group_price, slot_price = z[: m.n_groups], z[m.n_groups : self.n_prices]
        e, s = m.entries, m.sessions
        value = -(w.cost * e.cost + w.minutes * e.minutes) - group_price[e.group]
        o_best, o_winner = _cell_best(m.offers.size, e.cell, value)
        s_best, s_winner = _cell_best(
            m.slots.size, s.cell, -w.minutes * s.minutes - slot_price[s.group]
        )
        o, sl = m.present_o, m.present_s
        per_student, o_chosen, s_chosen = self.dp.best(
            o_best[o] + w.length * m.offers.cell_length(o),
            s_best[sl] + w.length * m.slots.cell_length(sl),
            w.placed,
            np.full(len(m.qpv), w.attended),
            self.cap,
        )
        seats = float(z[: self.n_prices] @ self.limits)
        total = w.constant - seats - math.fsum(per_student.tolist())
        error = 1e-9 * (float(np.abs(per_student).sum()) + abs(w.constant) + seats + 1.0)
        winners = (o_winner[o[o_chosen]], s_winner[sl[s_chosen]])
        return total - error, self._gradient(z, winners)

    def _gradient(self, z: FloatArray, winners: tuple[IntArray, IntArray]) -> FloatArray:
        """A supergradient at ``z``: each row's use by the best programmes less its limit,
        each fixed level's ``sign · (reached − value)`` (scaled as ``z``)."""
        m, e, s = self.m, self.m.entries, self.m.sessions
        won, s_won = winners
        usage = np.concatenate(
            (
                np.bincount(e.group[won], minlength=m.n_groups),
                np.bincount(s.group[s_won], minlength=len(m.slot_seats)),
            )
        )
        placed = np.unique(e.student[won])
        sessions = np.bincount(s.student[s_won], minlength=len(m.qpv))
        values = {
            "placed": float(len(placed)),
            "qpv_placed": float(m.qpv[placed].sum()),
            "workshops": float(np.minimum(sessions, self.cap).sum()),
            "coverage": float(
                m.offers.cell_length(e.cell[won]).sum() + m.slots.cell_length(s.cell[s_won]).sum()
            ),
            "preference": float(e.cost[won].sum()),
            "travel": float(e.minutes[won].sum() + s.minutes[s_won].sum()),
        }
        levels = [f.sign * (f.reached - values[f.name]) for f in self.fixed]
        return np.concatenate((usage - self.limits, levels))


def _ascend(dual: _Dual, z: FloatArray, target: float, steps: int) -> tuple[float, FloatArray]:
    """The best bound of ``steps`` projected supergradient steps from ``z`` (Polyak's step
    towards ``target``, a plan's value, in the dual's metric, over the coordinates free to
    move; halved after two steps without a better bound), and where it was found."""
    best, at = -math.inf, z
    theta, stalled = 1.0, 0
    direction = np.zeros(len(z))
    for _ in range(steps):
        bound, g = dual(z)
        if bound > best:
            best, at, stalled = bound, z, 0
        else:
            stalled += 1
            if stalled >= STALL:
                theta, stalled = theta / 2, 0
        direction = np.where((z > 0) | (g > 0), g + DEFLECT * direction, 0.0)
        norm = float(direction @ (dual.metric * direction))
        if norm == 0.0 or bound >= target:
            break
        aim = best + TARGET * (target - best)
        z = np.maximum(z + theta * (aim - bound) / norm * dual.metric * direction, 0.0)
    return best, at


def market_bounds(
    market: Market,
    dp: Programmes,
    objective: list[str],
    achieved: dict[str, float],
    cap: IntArray,
    steps: int,
) -> dict[str, float]:
    """A bound of each level of :data:`BOUNDED` in ``objective`` that ``achieved`` holds,
    conditional on the values ``achieved`` of the levels above that the programmes know
    (others are left free): the best of ``steps`` supergradient steps from prices 0 (where
    the bound is 0: costs are never negative)."""
    bounds: dict[str, float] = {}
    for position, level in enumerate(objective):
        if level not in BOUNDED or level not in achieved:
            continue
        fixed = [
            _Fixed(name, 1.0 if name in _COUNTED else -1.0, achieved[name])
            for name in objective[:position]
            if name in (*_COUNTED, *BOUNDED) and name in achieved
        ]
        dual = _Dual(market, dp, level, fixed, cap)
        bounds[level] = _ascend(dual, np.zeros(len(dual.metric)), achieved[level], steps)[0]
    return bounds


def component_market_bounds(
    context: SolveContext,
    students: IntArray,
    values: dict[str, float],
    pieces: int = PIECES,
    steps: int = STEPS,
) -> dict[str, int]:
    """The bounds of :func:`market_bounds` for the component of ``students``, conditional on
    ``values`` (the plan's levels; travel in the solver's units), rounded up; offers priced
    in about ``pieces`` pieces, ``steps`` supergradient steps a level."""
    arrays = context.arrays
    groups = offer_groups(arrays.offers, pieces)
    market = Market(
        arrays.offers, arrays.slots, context.cand, arrays.qpv, students, groups, context.scale
    )
    dp = market.programmes(arrays.max_placements[students], arrays.n_half_days)
    cap = np.zeros(len(students), dtype=np.int64)
    cap[market.present_s // market.slots.n_spans] = context.workshops_per_student
    bounds = market_bounds(market, dp, context.objective, values, cap, steps)
    return {level: math.ceil(bound - 1e-6) for level, bound in bounds.items()}
