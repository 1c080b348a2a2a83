"""Bounds that count seats, without a model: cheap enough for a component of any size.

The search-free bounds of :mod:`.bounds` give every student what they could get alone, as if
seats were unlimited; where seats are scarce they are far from any plan (at 3,000 students
`coverage` 40 % above the plan, `preference` at 1 % of it). The bounds here see the seats and
still read each pair once, a slice at a time (their flows hold the short lists only), so they
hold at the académie's 83 million pairs where no LP or Lagrangian bound fits.

**Coverage by seats.** A plan's coverage is the sum over the items held of their half-days
(a student's items never overlap), and an item is held by at most ``min(seats, candidates)``
students; so ``Σ_items min(capacity, candidates) · half-days`` bounds it, whatever the levels
above.

**Placements priced by seat** (``preference``, and the placement minutes of ``travel``), when
``placed`` ranks above and so at least ``P`` students (its value reached) hold a placement —
``Q`` of them QPV students when ``qpv_placed`` ranks above too. Give each student their
first placement only (a second one costs ``c ≥ 0`` more): what is left is a transportation
problem, students to seats, whose least cost bounds every such plan's. It is solved exactly as
a min-cost flow (OR-Tools, integer costs: no tolerance) over each student's short
list, the pairs off the list standing in as one arc per student to an item of unlimited seats
at their least cost: a relaxation, as it only adds choices. Reserved seats are split off as in
the placement flow (:mod:`.flow`): an offer's open seats take anyone, its reserved seats QPV
students only. Minutes are rounded down to hundredths, which only lowers the bound. This is
the best bound the seat prices of a transportation Lagrangian can give (the flow's optimum
equals its dual's, by the network's integrality): 100 subgradient steps on those prices gave
preference 1,889 and placement minutes 33,697 at 3,000 students where the flow gives 3,878 and
35,285, and 5,757 and 461,178 on the académie where it gives 17,756 and 485,280 (in about 9
CPU seconds for both, the steps took about 12).
Rules left out — pins, the levels between ``placed`` and this one — only loosen it.

**Sessions priced by seat** (the sessions' minutes of ``travel``), when ``workshops`` ranks
above it at ``W``: every such plan holds ``W`` sessions counted by the level, at most
``workshops_per_student`` a student, within the sessions' seats and reserved seats; the same
flow, over each student's :data:`SESSION_LIST` nearest sessions (the others standing in as
one arc), gives their least minutes. It is added to the placements' floor (travel is the sum
of the two). Session seats are few and nearly all taken, so this is where counting seats pays:
on the académie 151,687 minutes where the nearest sessions alone give 144,021.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from ..arrays import BoolArray, FloatArray, InstanceArrays, IntArray, ItemArrays
from ..candidates import SLICE, Candidates
from ..travel import Pairs

__all__ = ["MINUTE_UNITS", "SESSION_LIST", "SeatBounds", "Transport", "seat_bounds"]


@dataclass(frozen=True)
class SeatBounds:
    """Bounds of one set of students that count seats; ``None`` where none is known."""

    coverage: float
    preference_floor: float | None  # least preference cost of the placements
    placement_minutes: float | None  # least minutes of the placements (travel's first part)
    session_minutes: float | None = None  # least minutes of the sessions (travel's second)


SESSION_LIST = 32
"""Sessions listed per student for the sessions' floor, nearest first; the others stand in as
one arc at the least minutes among them."""


def seat_bounds(
    arrays: InstanceArrays,
    cand: Candidates,
    members: BoolArray,
    short: IntArray,
    must_place: int,
    must_place_qpv: int = 0,
    must_attend: int = 0,
    per_student: int = 1,
) -> SeatBounds:
    """The seat-counting bounds of the students in ``members``.

    ``short`` holds placement pair indices (each student's short list, grouped by student);
    ``must_place`` students at least hold a placement in every plan considered (0: no floor
    for the placements' cost), ``must_place_qpv`` QPV students among them; ``must_attend``
    sessions at least are attended, at most ``per_student`` by each student (0: no floor for
    the sessions' minutes).
    """
    n = arrays.n_students
    offer_demand = _demand(cand.offers.student, cand.offers.item, members, len(arrays.offers))
    slot_demand = _demand(cand.slots.student, cand.slots.item, members, len(arrays.slots))
    coverage = float(
        (np.minimum(arrays.offers.capacity, offer_demand) * arrays.offers.length).sum()
        + (np.minimum(arrays.slots.capacity, slot_demand) * arrays.slots.length).sum()
    )
    sessions = None
    if must_attend > 0 and per_student > 0:
        network = Transport(arrays.slots, arrays.qpv, members, must_attend, 0, per_student)
        listed, away = _nearest(cand.slots, members, SESSION_LIST)
        sessions = network.least_cost(cand.slots, listed, cand.slots.minutes, away, MINUTE_UNITS)
    if must_place <= 0:
        return SeatBounds(coverage, None, None, sessions)
    short = short[members[cand.offers.student[short]]]
    ptr = cand.offers.indptr(n)
    costs = (cand.offer_cost, cand.offers.minutes)
    outside = _least_off_list(costs, ptr, members, short, n)
    floors: list[float | None] = []
    for cost, off_list, unit in zip(costs, outside, (1, MINUTE_UNITS), strict=True):
        if np.any(cost[short] < 0) or np.any(off_list < 0):
            floors.append(None)  # the bound needs costs of at least 0
            continue
        network = Transport(arrays.offers, arrays.qpv, members, must_place, must_place_qpv, 1)
        floors.append(network.least_cost(cand.offers, short, cost, off_list, unit))
    return SeatBounds(coverage, floors[0], floors[1], sessions)


MINUTE_UNITS = 100
"""Minutes are costed in hundredths, rounded down: integer costs for the flow."""


def _nearest(pairs: Pairs, members: BoolArray, listed: int) -> tuple[IntArray, FloatArray]:
    """Each member's ``listed`` nearest pairs, and the least minutes among the others
    (``inf`` when none is left)."""
    keep = np.flatnonzero(members[pairs.student])
    order = keep[np.lexsort((pairs.minutes[keep], pairs.student[keep]))]
    grouped = pairs.student[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(order) else order
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    away = np.full(len(members), np.inf)
    first_off = order[rank == listed]
    away[pairs.student[first_off]] = pairs.minutes[first_off]
    return order[rank < listed], away


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


class Transport:
    """The transportation relaxation as a min-cost flow network.

    Nodes: the members, each item's open seats and reserved seats, one item "off the list"
    of unlimited seats, the sink, and two sources: one sends ``Q`` units to QPV students, the
    other ``P − Q`` to the other students and through the first to QPV students, so that at
    least ``Q`` of the ``P`` units go to QPV students, at most ``per_student`` to each.
    """

    def __init__(
        self,
        items: ItemArrays,
        qpv: BoolArray,
        members: BoolArray,
        units: int,
        qpv_units: int,
        per_student: int,
    ) -> None:
        self.members = np.flatnonzero(members)
        self.local = np.full(len(members), -1, dtype=np.int64)
        self.local[self.members] = np.arange(len(self.members))
        self.qpv = qpv[self.members]
        self.per_student = per_student
        self.capacity = items.capacity.astype(np.int64)
        self.reserved = np.minimum(items.reserved, self.capacity).astype(np.int64)
        m, k = len(self.members), len(self.capacity)
        self.open_node = m + np.arange(k)
        self.reserved_node = m + k + np.arange(k)
        self.elsewhere, self.sink = m + 2 * k, m + 2 * k + 1
        self.source_qpv, self.source_any = m + 2 * k + 2, m + 2 * k + 3
        self.qpv_units = min(qpv_units, int(self.qpv.sum()) * per_student)
        self.units = max(min(units, m * per_student), self.qpv_units)

    def least_cost(
        self, pairs: Pairs, short: IntArray, cost: np.ndarray, off_list: FloatArray, unit: int
    ) -> float | None:
        """The least cost of the units (``None`` if the flow found no optimum), over the pairs
        ``short`` and, for each member, one arc off the list at ``off_list``."""
        m, k = len(self.members), len(self.capacity)
        student = self.local[pairs.student[short]]
        item = pairs.item[short].astype(np.int64)
        pair_cost = np.floor(cost[short].astype(np.float64) * unit).astype(np.int64)
        away = off_list[self.members]
        has_away = np.flatnonzero(np.isfinite(away))
        away_cost = np.floor(away[has_away] * unit).astype(np.int64)
        # A listed pair no cheaper than the student's way off the list (unlimited seats) is
        # never needed: the optimum is the same without it, and the network far smaller (on
        # the académie most listed pairs are unranked wishes, which cost what the way off
        # costs).
        cheapest_away = np.full(m, np.iinfo(np.int64).max)
        cheapest_away[has_away] = away_cost
        needed = pair_cost < cheapest_away[student]
        student, item, pair_cost = student[needed], item[needed], pair_cost[needed]
        # A QPV student's pair leads to the offer's reserved seats, which overflow into its
        # open ones; anyone else's to its open seats.
        head = np.where(self.qpv[student], self.reserved_node[item], self.open_node[item])
        qpv, others = np.flatnonzero(self.qpv), np.flatnonzero(~self.qpv)
        big = self.units
        each = self.per_student
        arcs = (
            (np.full(len(qpv), self.source_qpv), qpv, np.full(len(qpv), each), 0),
            (np.full(len(others), self.source_any), others, np.full(len(others), each), 0),
            ([self.source_any], [self.source_qpv], [big], 0),
            (student, head, np.ones(len(student)), pair_cost),
            (
                has_away,
                np.full(len(has_away), self.elsewhere),
                np.full(len(has_away), each),
                away_cost,
            ),
            (self.reserved_node, self.sink, self.reserved, 0),
            (self.reserved_node, self.open_node, np.full(k, big), 0),
            (self.open_node, np.full(k, self.sink), self.capacity - self.reserved, 0),
            ([self.elsewhere], [self.sink], [big], 0),
        )
        flow = min_cost_flow.SimpleMinCostFlow()
        for tails, heads, caps, costs in arcs:
            tails = np.asarray(tails, dtype=np.int64)
            flow.add_arcs_with_capacity_and_unit_cost(
                tails,
                np.broadcast_to(np.asarray(heads, dtype=np.int64), tails.shape),
                np.broadcast_to(np.asarray(caps, dtype=np.int64), tails.shape),
                np.broadcast_to(np.asarray(costs, dtype=np.int64), tails.shape),
            )
        supplies = np.zeros(m + 2 * k + 4, dtype=np.int64)
        supplies[self.source_qpv] = self.qpv_units
        supplies[self.source_any] = self.units - self.qpv_units
        supplies[self.sink] = -self.units
        flow.set_nodes_supplies(np.arange(len(supplies)), supplies)
        if flow.solve() != flow.OPTIMAL:
            return None
        return flow.optimal_cost() / unit
