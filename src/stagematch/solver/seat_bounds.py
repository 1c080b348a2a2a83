"""Bounds that count seats, without a model: cheap enough for a component of any size.

The search-free bounds of :mod:`.bounds` give every student what they could get alone, as if
seats were unlimited; where seats are scarce they are far from any plan (at 3,000 students
`coverage` 40 % above the plan, `preference` at 1 % of it). Two bounds here see the seats and
still read each pair once, a slice at a time, so they hold at the académie's 78 million pairs
where no LP or Lagrangian bound fits.

**Coverage by seats.** A plan's coverage is the sum over the items held of their half-days
(a student's items never overlap), and an item is held by at most ``min(seats, candidates)``
students; so ``Σ_items min(capacity, candidates) · half-days`` bounds it, whatever the levels
above.

**Placements priced by seat** (``preference``, and the placement minutes of ``travel``), when
``placed`` ranks above and so at least ``P`` students (its value reached) hold a placement.
For any prices ``v_i ≥ 0`` of the offers' seats, with ``m_s(v) = min`` over the student's
candidate placements of ``c_si + v_i``, and costs ``c ≥ 0``, every such plan ``x`` has::

    Σ c·x  ≥  Σ_(s,i) (c_si + v_i) x_si − Σ_i v_i · capacity_i       (Σ_s x_si ≤ capacity_i)
           ≥  Σ_(placed s) m_s(v) − Σ_i v_i · capacity_i              (c + v ≥ 0 on extra ones)
           ≥  (sum of the P smallest m_s(v)) − Σ_i v_i · capacity_i     (m ≥ 0, P placed at least)

— weak duality of the transportation problem, valid for any ``v``; with ``v = 0`` it is the
search-free bound. The prices come from :data:`STEPS` projected subgradient steps (a fixed
count: the bound does not depend on the machine) on each student's short list, the pairs
off the list standing in by their least cost (a lower bound on ``c + v`` there, as ``v ≥ 0``);
every step's bound holds and the best is kept. Rules left out — reserved seats, pins, the
levels between ``placed`` and this one — only loosen it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..arrays import BoolArray, FloatArray, InstanceArrays, IntArray
from ..candidates import SLICE, Candidates

__all__ = ["STEPS", "SeatBounds", "seat_bounds"]

STEPS = 100
"""Subgradient steps of the seat prices per level: at 3,000 students a quarter of a CPU
second, on the académie (4 million short-list pairs) about 6."""


@dataclass(frozen=True)
class SeatBounds:
    """Bounds of one set of students that count seats; ``None`` where none is known."""

    coverage: float
    preference_floor: float | None  # least preference cost of the placements
    placement_minutes: float | None  # least minutes of the placements (travel's first part)


def seat_bounds(
    arrays: InstanceArrays,
    cand: Candidates,
    members: BoolArray,
    short: IntArray,
    must_place: int,
    reached: dict[str, float],
) -> SeatBounds:
    """The seat-counting bounds of the students in ``members``.

    ``short`` holds placement pair indices (each student's short list, grouped by student);
    ``must_place`` students at least hold a placement in every plan considered (0: no floor
    for the placements' cost); ``reached`` holds the plan's values, which guide the steps.
    """
    n = arrays.n_students
    offer_demand = _demand(cand.offers.student, cand.offers.item, members, len(arrays.offers))
    slot_demand = _demand(cand.slots.student, cand.slots.item, members, len(arrays.slots))
    coverage = float(
        (np.minimum(arrays.offers.capacity, offer_demand) * arrays.offers.length).sum()
        + (np.minimum(arrays.slots.capacity, slot_demand) * arrays.slots.length).sum()
    )
    if must_place <= 0:
        return SeatBounds(coverage, None, None)
    short = short[members[cand.offers.student[short]]]
    ptr = cand.offers.indptr(n)
    costs = (cand.offer_cost, cand.offers.minutes)
    outside = _least_off_list(costs, ptr, members, short, n)
    floors: list[float | None] = []
    for cost, off_list, level in zip(costs, outside, ("preference", "travel"), strict=True):
        if np.any(cost[short] < 0) or np.any(off_list < 0):
            floors.append(None)  # the bound needs costs of at least 0
            continue
        problem = _Transport(
            cand.offers.student[short].astype(np.int64),
            cand.offers.item[short].astype(np.int64),
            cost[short].astype(np.float64),
            off_list[members],
            np.flatnonzero(members),
            arrays.offers.capacity.astype(np.float64),
            must_place,
        )
        floors.append(problem.best(reached.get(level, math.inf), STEPS))
    return SeatBounds(coverage, floors[0], floors[1])


def _demand(student: np.ndarray, item: np.ndarray, members: BoolArray, n_items: int) -> IntArray:
    """How many of the members are candidates for each item, read a slice at a time."""
    demand = np.zeros(n_items, dtype=np.int64)
    for start in range(0, len(student), SLICE):
        part = slice(start, start + SLICE)
        demand += np.bincount(item[part][members[student[part]]], minlength=n_items)
    return demand


def _least_off_list(
    costs: tuple[np.ndarray, ...], ptr: IntArray, members: BoolArray, short: IntArray, n: int
) -> list[FloatArray]:
    """Each student's least cost over their placement pairs *off* the short list (``inf``
    when all are on it), for each of ``costs``, read a slice of students at a time."""
    on_list = np.zeros(int(ptr[-1]), dtype=bool)
    on_list[short] = True
    out = [np.full(n, np.inf) for _ in costs]
    students = np.flatnonzero(members & (ptr[1:] > ptr[:-1]))
    first = 0
    while first < len(students):
        lo = int(ptr[students[first]])
        last = max(int(np.searchsorted(ptr[students + 1], lo + SLICE, side="right")), first + 1)
        block = students[first:last]
        hi = int(ptr[block[-1] + 1])
        starts = ptr[block] - lo
        for cost, least in zip(costs, out, strict=True):
            values = np.where(on_list[lo:hi], np.inf, cost[lo:hi].astype(np.float64))
            least[block] = np.minimum.reduceat(values, starts)
        first = last
    return out


class _Transport:
    """``max over v ≥ 0`` of the P smallest ``m_s(v)`` minus ``Σ v · capacity``, by steps."""

    def __init__(
        self,
        student: IntArray,
        item: IntArray,
        cost: FloatArray,
        off_list: FloatArray,
        members: IntArray,
        capacity: FloatArray,
        must_place: int,
    ) -> None:
        # Short-list pairs grouped by member (members renumbered 0..); members without one
        # keep their least off-list cost.
        local = np.searchsorted(members, student)
        order = np.argsort(local, kind="stable")
        self.student, self.item, self.cost = local[order], item[order], cost[order]
        self.starts = np.flatnonzero(np.r_[True, self.student[1:] != self.student[:-1]])
        self.owner = self.student[self.starts] if len(self.student) else self.student
        self.off_list = off_list
        self.capacity = capacity
        self.must_place = min(must_place, len(members))
        # No student pays more than this for a seat: dearer prices only lower the bound.
        finite = off_list[np.isfinite(off_list)]
        self.ceiling = float(max(cost.max(initial=0.0), finite.max(initial=0.0)))

    def value(self, prices: FloatArray) -> tuple[float, FloatArray]:
        """The bound at ``prices`` and a subgradient (seats asked minus seats)."""
        least = self.off_list.copy()
        asked = np.zeros(len(self.capacity))
        pick = np.full(len(least), -1, dtype=np.int64)
        if len(self.student):
            priced = self.cost + prices[self.item]
            on_list = np.minimum.reduceat(priced, self.starts)
            sizes = np.diff(np.r_[self.starts, len(priced)])
            at = np.where(priced == np.repeat(on_list, sizes), np.arange(len(priced)), len(priced))
            first_best = np.minimum.reduceat(at, self.starts)
            better = on_list <= least[self.owner]
            least[self.owner[better]] = on_list[better]
            pick[self.owner[better]] = self.item[first_best[better]]
        chosen = np.argsort(least, kind="stable")[: self.must_place]
        total = math.fsum(least[chosen].tolist()) - math.fsum((prices * self.capacity).tolist())
        held = pick[chosen]
        asked += np.bincount(held[held >= 0], minlength=len(self.capacity))
        error = 1e-9 * (float(np.abs(least[chosen]).sum()) + float(prices @ self.capacity) + 1)
        return total - error, asked - self.capacity

    def best(self, target: float, steps: int) -> float:
        """The best bound over ``steps`` projected subgradient steps from ``v = 0``: Polyak's
        step towards ``target`` (the plan's value), prices kept between 0 and the dearest
        cost; after five steps without gain the step is halved and taken again from the best
        prices so far. The targets are far above the optimum (``travel``'s counts the
        sessions' minutes too), so the first steps overshoot: without the ceiling and the
        restarts the académie's preference bound never left the search-free one."""
        prices = np.zeros(len(self.capacity))
        best, best_prices, scale, idle = -math.inf, prices, 2.0, 0
        for _ in range(steps):
            bound, slope = self.value(prices)
            if bound > best:
                best, best_prices, idle = bound, prices, 0
            else:
                idle += 1
                if idle >= 5:
                    scale, idle = scale / 2, 0
                    prices = best_prices
                    bound, slope = self.value(prices)
            norm = float(slope @ slope)
            if norm == 0 or not math.isfinite(target) or target <= bound:
                break
            step = scale * (target - bound) / norm
            prices = np.clip(prices + step * slope, 0.0, self.ceiling)
        return best
