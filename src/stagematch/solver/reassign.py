"""A whole component's placements, or its sessions, re-assigned at once: a min-cost flow.

The neighbourhood steps (:mod:`.lns`) free 30 neighbours, or the candidates of a few sessions
with their placements kept; neither moves seats along a chain of students who do not live
near one another — a student leaves a two-week offer for a one-week one nearer home so that
another, whose week is free of workshops, can cover both weeks; a student leaves a session for
one with a free seat so that another, who could attend no other, takes theirs. On the bassins
measured that is where ``workshops`` (3,000 students) and ``coverage``, ``preference`` and
``travel`` (1,000) were lost (docs/benchmarks.md).

Keep one kind of item — the sessions, or the placements — and let each student hold at most
one item of the other kind: choosing those is a transportation problem. Students are on one
side (each holding one item or none), the items on the other split into open and reserved
seats as in :mod:`.flow`, and a pair is usable when it overlaps none of the kept items of its
student. Every level is then a sum over the chosen pairs — a pair's own coefficient in the
level's linear description (:mod:`stagematch.levels`), plus, for a per-student term such as
``placed`` or ``attended``, what the student's one item adds to it — so the levels become one
arc cost, each weighted above the whole range of the levels after it, and the least-cost flow
is their lexicographic optimum among such plans: exactly, over every student of the component,
for a fraction of a CP-SAT step's work. The flow models neither a minimum QPV share (for
placements), nor coach groups (for sessions), nor ``changes``: then it is not tried. Students
holding two items of the moving kind, or a pinned one, keep theirs (their seats are taken out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from ortools.graph.python import min_cost_flow

from ..arrays import BoolArray, IntArray
from ..levels import LEVELS, StudentTerm
from .cpsat import ComponentData

__all__ = ["Kind", "reassign"]

Kind = Literal["placements", "sessions"]

_COST_LIMIT = 1 << 62
"""Bound on an arc cost times the number of nodes: OR-Tools' cost scaling multiplies costs by
the number of nodes, which must stay within 64 bits."""

SOURCE, SINK, NONE_QPV, NONE_OTHER, FIRST_STUDENT = 0, 1, 2, 3, 4


@dataclass(frozen=True, eq=False)
class _Side:
    """The pairs of the kind that moves, and the items kept, in one view."""

    student: IntArray
    item: IntArray
    first: IntArray
    last: IntArray
    capacity: IntArray
    reserved: IntArray
    pinned: BoolArray | None
    kept_student: IntArray
    kept_first: IntArray
    kept_last: IntArray

    @classmethod
    def of(
        cls, data: ComponentData, kind: Kind, x: BoolArray, y: BoolArray, moving: BoolArray
    ) -> _Side:
        """``moving``: the pairs of ``kind`` that may move; those held and not moving are kept
        like the other kind's."""
        if kind == "placements":
            held = x & ~moving
            return cls(
                data.offer_student,
                data.offer_item,
                data.offer_first,
                data.offer_last,
                data.offer_capacity,
                data.offer_reserved,
                data.offer_pinned,
                np.concatenate((data.slot_student[y], data.offer_student[held])),
                np.concatenate((data.slot_first[y], data.offer_first[held])),
                np.concatenate((data.slot_last[y], data.offer_last[held])),
            )
        return cls(
            data.slot_student,
            data.slot_item,
            data.slot_first,
            data.slot_last,
            data.slot_capacity,
            data.slot_reserved,
            data.slot_pinned,
            data.offer_student[x],
            data.offer_first[x],
            data.offer_last[x],
        )


def reassign(
    data: ComponentData,
    x: BoolArray,
    y: BoolArray,
    objective: list[str],
    kind: Kind,
    idle: dict[str, IntArray] | None = None,
    held_bonus: dict[str, IntArray] | None = None,
    moving: BoolArray | None = None,
) -> BoolArray | None:
    """The choice of ``data``'s pairs of ``kind`` (offer pairs for placements, slot pairs for
    sessions) that is lexicographically best for ``objective`` with the other kind kept as in
    ``x``, ``y``; ``None`` when the flow cannot model a level or rule. It keeps every rule the
    plan keeps and is never lexicographically worse; the caller still compares the two.

    ``idle`` (per level, per student) is added to a level for each student who holds nothing of
    ``kind``, and ``held_bonus`` (per level, per pair of ``kind``) for each pair held: what they
    are expected to gain from it afterwards (a session given up for a longer placement, a
    placement that leaves room for a session). The choice is then best for those values, no
    longer for the plan's alone.

    ``moving`` (placements only; default: all) restricts the pairs that may move: a placement
    held outside it is kept like the sessions (its half-days are taken, it counts towards the
    student's placements, and its student stays placed whatever the flow gives them). With the
    pairs of one week moving, a student holding a placement in the other week may take a
    second one, along a chain of students moving within the week to free its seat."""
    placements = kind == "placements"
    if placements and (data.offer_min_share > 0).any():
        return None
    chosen = x if placements else y
    if moving is None:
        moving = np.ones(len(chosen), dtype=bool)
    side = _Side.of(data, kind, x, y, moving)
    held = np.bincount(side.student[chosen & moving], minlength=data.n_students)
    # Students placed whatever the flow does: by a placement kept.
    anyway = np.bincount(side.student[chosen & ~moving], minlength=data.n_students)
    movers = held <= 1
    if placements:
        movers &= data.max_placements - anyway >= 1
    if side.pinned is not None:
        movers[side.student[side.pinned]] = False
    pairs = np.flatnonzero(moving & movers[side.student] & ~_overlaps_kept(side, data.n_students))
    coefficients = []
    nothing = []
    for level in objective:
        c = _coefficients(data, level, kind, pairs)
        if c is None:
            return None
        if held_bonus is not None and level in held_bonus:
            c = c + held_bonus[level][pairs].astype(np.int64)
        none = np.zeros(data.n_students, dtype=np.int64)
        if idle is not None and level in idle:
            none = idle[level].astype(np.int64)
        sign = -1 if LEVELS[level].maximise else 1
        coefficients.append(sign * c)
        nothing.append(sign * none)
    costs = _arc_costs(coefficients, nothing, side.student[pairs], movers, _nodes(data, side))
    if costs is None or not len(pairs):
        return None  # too many levels, too far apart, for one cost: not tried
    holding = movers & (held > 0) & (anyway == 0)
    floors = (0, 0)
    if placements:  # as many QPV and other students placed as now, or more
        floors = (int((holding & data.qpv).sum()), int((holding & ~data.qpv).sum()))
    kept = chosen & ~(movers[side.student] & moving)
    taken = _solve(data, side, kept, movers, anyway > 0, pairs, costs, floors)
    if taken is None:
        return None
    out = kept.copy()
    out[taken] = True
    return out


def _overlaps_kept(side: _Side, n: int) -> BoolArray:
    """Per pair of the moving kind: does it share a half-day with a kept item of its student?"""
    overlaps = np.zeros(len(side.student), dtype=bool)
    order = np.argsort(side.kept_student, kind="stable")
    student = side.kept_student[order]
    # The k-th kept item of every student at once: a student holds a few at most.
    rank = np.arange(len(order)) - np.searchsorted(student, student)
    for k in range(int(rank.max()) + 1 if len(order) else 0):
        at = order[rank == k]
        first = np.full(n, -1, dtype=np.int64)
        last = np.full(n, -2, dtype=np.int64)
        first[side.kept_student[at]] = side.kept_first[at]
        last[side.kept_student[at]] = side.kept_last[at]
        overlaps |= (side.first <= last[side.student]) & (side.last >= first[side.student])
    return overlaps


def _coefficients(data: ComponentData, level: str, kind: Kind, pairs: IntArray) -> IntArray | None:
    """What each pair of ``pairs`` adds to ``level`` when its student holds it and no other
    item of its kind; ``None`` when that is not a plain sum (a term of the level that the
    kept kind feeds too, an "at least" term such as ``changes``, coach groups for sessions).

    A placement term that only counts placed students, weighted alike within QPV and other
    students (``qpv_placed``, ``placed``), adds nothing: the flow places at least as many of
    each as now (:func:`_solve`'s floors), so it never decreases. Pricing it would multiply the
    weights of the levels below by the number of students, and they would no longer fit."""
    linear = LEVELS[level].linear(data)
    placements = kind == "placements"
    c = (linear.offer if placements else linear.slot)[pairs].astype(np.int64)
    if linear.groups and not placements:
        return None
    for term in linear.terms:
        moving, kept = (
            (term.offer_feeds, term.slot_feeds)
            if placements
            else (term.slot_feeds, term.offer_feeds)
        )
        if not moving.any():
            continue
        if term.kind != "at_most" or kept.any():
            return None
        if placements and _counts_placed(data, term):
            continue
        student = (term.offer_student if placements else term.slot_student)[pairs]
        c = c + moving[pairs] * term.weight[student] * np.minimum(term.cap[student], 1)
    return c


def _counts_placed(data: ComponentData, term: StudentTerm) -> bool:
    """Is ``term`` 0 or 1 per student, 1 for holding any placement, and weighted alike (and
    not negatively) within QPV students and within the others?"""
    weight = term.weight
    alike = all(
        np.ptp(weight[group]) == 0 if group.any() else True for group in (data.qpv, ~data.qpv)
    )
    return (
        bool(term.offer_feeds.all())
        and bool((term.cap <= 1).all())
        and bool((weight >= 0).all())
        and alike
    )


def _nodes(data: ComponentData, side: _Side) -> int:
    return FIRST_STUDENT + data.n_students + 2 * len(side.capacity)


def _arc_costs(
    coefficients: list[IntArray],
    nothing: list[IntArray],
    student: IntArray,
    movers: BoolArray,
    nodes: int,
) -> IntArray | None:
    """One cost per pair, then one per student for holding nothing: the levels' coefficients
    (to minimise), each weighted by more than the levels after it can differ between two
    flows, all shifted to be non-negative; ``None`` when that does not fit the flow's
    integers."""
    weights = []
    weight = 1
    for c, none in zip(reversed(coefficients), reversed(nothing), strict=True):
        weights.append(weight)
        # Each mover holds one of its pairs or none: the most this level's sum can differ.
        top = none.copy()
        low = none.copy()
        np.maximum.at(top, student, c)
        np.minimum.at(low, student, c)
        weight *= int((top - low)[movers].sum()) + 1
    columns = [
        np.concatenate((c, none))
        for c, none in zip(reversed(coefficients), reversed(nothing), strict=True)
    ]
    largest = sum(
        w * int(np.abs(col).max(initial=0)) for w, col in zip(weights, columns, strict=True)
    )
    if 2 * largest * nodes < _COST_LIMIT:  # every sum fits: the same integers, in int64
        cost = np.zeros(len(student) + len(movers), dtype=np.int64)
        for w, col in zip(weights, columns, strict=True):
            cost += np.int64(w) * col.astype(np.int64)
        return cost - cost.min()
    total = np.zeros(len(student) + len(movers), dtype=object)
    for w, col in zip(weights, columns, strict=True):
        total = total + w * col.astype(object)
    # Every mover leaves by one arc (a pair, or none): a constant on them changes nothing.
    shifted = total - min(total)
    if int(max(shifted)) * nodes >= _COST_LIMIT:
        return None
    return shifted.astype(np.int64)


def _solve(
    data: ComponentData,
    side: _Side,
    fixed: BoolArray,
    movers: BoolArray,
    placed_anyway: BoolArray,
    pairs: IntArray,
    costs: IntArray,
    floors: tuple[int, int],
) -> IntArray | None:
    """The pairs of ``pairs`` the least-cost flow chooses (``costs``: one per pair, then one
    per student for holding nothing), within the seats the students who keep theirs leave, at
    least ``floors`` QPV and other movers holding one, not counting those ``placed_anyway``
    (they hold nothing through an arc of their own); ``fixed``: the pairs kept."""
    n, n_items = data.n_students, len(side.capacity)
    qpv = data.qpv
    fixed_all = np.bincount(side.item[fixed], minlength=n_items)
    fixed_qpv = np.bincount(side.item[fixed & qpv[side.student]], minlength=n_items)
    # Those kept take reserved seats first (QPV) or open ones: what is left of each half.
    reserved = np.maximum(side.reserved - fixed_qpv, 0)
    open_seats = np.maximum(side.capacity - fixed_all - reserved, 0)
    student, item = side.student[pairs], side.item[pairs]
    first_open = FIRST_STUDENT + n
    first_reserved = first_open + n_items
    to_open = np.flatnonzero(open_seats[item] > 0)
    to_reserved = np.flatnonzero((reserved[item] > 0) & qpv[student])
    position = np.concatenate((to_open, to_reserved))
    who = np.flatnonzero(movers)
    n_pair_arcs = len(position)
    # Holding nothing: through NONE_QPV or NONE_OTHER, which let all but the floors through,
    # or straight to the sink for those placed anyway.
    counted = ~placed_anyway[who]
    n_qpv = int((qpv[who] & counted).sum())
    n_counted = int(counted.sum())
    tails = np.concatenate(
        (
            np.full(len(who), SOURCE),
            FIRST_STUDENT + student[position],
            FIRST_STUDENT + who,
            np.arange(first_open, first_reserved + n_items),
            [NONE_QPV, NONE_OTHER],
        )
    )
    heads = np.concatenate(
        (
            FIRST_STUDENT + who,
            np.concatenate((first_open + item[to_open], first_reserved + item[to_reserved])),
            np.where(counted, np.where(qpv[who], NONE_QPV, NONE_OTHER), SINK),
            np.full(2 * n_items + 2, SINK),
        )
    )
    capacities = np.concatenate(
        (
            np.ones(2 * len(who) + n_pair_arcs, dtype=np.int64),
            open_seats,
            reserved,
            [n_qpv - floors[0], n_counted - n_qpv - floors[1]],
        )
    )
    arc_costs = np.concatenate(
        (
            np.zeros(len(who), dtype=np.int64),
            costs[position],
            costs[len(pairs) + who],
            np.zeros(2 * n_items + 2, dtype=np.int64),
        )
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities, arc_costs
    )
    flow.set_nodes_supplies(
        np.array([SOURCE, SINK], dtype=np.int32),
        np.array([len(who), -len(who)], dtype=np.int64),
    )
    if flow.solve() != flow.OPTIMAL:
        return None
    used = flow.flows(arcs[len(who) : len(who) + n_pair_arcs]) > 0
    return pairs[position[used]]
