"""The network part: who can be placed at all, solved exactly by max flow and min-cost flow.

Giving a student *one* placement is a bipartite b-matching: source → student (capacity 1) →
offer → sink. Reserved seats split each offer into an *open* node (capacity − qpv_reserved seats,
any student) and a *reserved* node (qpv_reserved seats, QPV students only), which is exactly
rule 2. Every plan's first placements form such a flow and every flow is a valid plan, so flow
optima are the true optima of ``qpv_placed`` and ``placed``, proven, in seconds even with
millions of pairs.

The sets of students that can be placed together form a (transversal) matroid, so a plan placing
the most QPV students, ``q*`` (max flow from QPV students only), can be extended to one placing
the most students, ``p*`` (max flow from everyone): both optima hold at once whatever their order
in the objective. A final min-cost flow routes exactly ``q*`` QPV and ``p* − q*`` other students
at the least tie-break cost (wishes, then minutes), which makes a good warm start for the lower
levels without any risk to the first two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from ..arrays import BoolArray, IntArray
from ..travel import Pairs

FLOW_LEVELS = frozenset({"qpv_placed", "placed"})
ADD_PER_STUDENT = 32  # crossing pairs activated per student and round of the proof


@dataclass(frozen=True)
class _Network:
    """Arc arrays of the placement network (nodes: 0 source, 1 sink, students, offer halves)."""

    tails: IntArray
    heads: IntArray
    capacities: IntArray
    costs: IntArray
    pair_arcs: IntArray  # first arc index of the student → offer arcs
    pair_student: IntArray
    pair_offer: IntArray
    pair_position: IntArray  # position of each student → offer arc's pair in ``pairs``


SOURCE, SINK, OTHER_SOURCE = 0, 1, 2
FIRST_STUDENT = 3


def _network(
    n_students: int,
    capacity: IntArray,
    reserved: IntArray,
    qpv: BoolArray,
    pairs: Pairs,
    tie_cost: IntArray,
    students: BoolArray,
) -> _Network:
    """Arcs for the given ``students``; QPV students hang off SOURCE, others off OTHER_SOURCE."""
    n_offers = len(capacity)
    first_open = FIRST_STUDENT + n_students
    first_reserved = first_open + n_offers
    s = pairs.student.astype(np.int64)
    o = pairs.item.astype(np.int64)
    open_seats = capacity - reserved
    to_open = (open_seats[o] > 0) & students[s]
    to_reserved = (reserved[o] > 0) & qpv[s] & students[s]
    who = np.flatnonzero(students)
    tails = [
        np.where(qpv[who], SOURCE, OTHER_SOURCE),
        FIRST_STUDENT + s[to_open],
        FIRST_STUDENT + s[to_reserved],
        first_open + np.arange(n_offers),
        first_reserved + np.arange(n_offers),
    ]
    heads = [
        FIRST_STUDENT + who,
        first_open + o[to_open],
        first_reserved + o[to_reserved],
        np.full(n_offers, SINK),
        np.full(n_offers, SINK),
    ]
    capacities = [
        np.ones(len(who), dtype=np.int64),
        np.ones(int(to_open.sum()), dtype=np.int64),
        np.ones(int(to_reserved.sum()), dtype=np.int64),
        open_seats,
        reserved,
    ]
    costs = [
        np.zeros(len(who), dtype=np.int64),
        tie_cost[to_open],
        tie_cost[to_reserved],
        np.zeros(n_offers, dtype=np.int64),
        np.zeros(n_offers, dtype=np.int64),
    ]
    return _Network(
        tails=np.concatenate(tails),
        heads=np.concatenate(heads),
        capacities=np.concatenate(capacities),
        costs=np.concatenate(costs),
        pair_arcs=np.arange(len(who), len(who) + int(to_open.sum()) + int(to_reserved.sum())),
        pair_student=np.concatenate((s[to_open], s[to_reserved])),
        pair_offer=np.concatenate((o[to_open], o[to_reserved])),
        pair_position=np.concatenate((np.flatnonzero(to_open), np.flatnonzero(to_reserved))),
    )


def ranges(ptr: IntArray, students: IntArray) -> IntArray:
    """Concatenated ``ptr[s]:ptr[s+1]`` ranges of the given students."""
    lo, hi = ptr[students], ptr[students + 1]
    runs = hi - lo
    return np.repeat(lo - np.cumsum(runs) + runs, runs) + np.arange(int(runs.sum()))


def _max_flow(net: _Network, n_nodes: int) -> tuple[int, BoolArray]:
    """Most students placed, and the source side of a minimum cut (a boolean per node)."""
    flow = max_flow.SimpleMaxFlow()
    # OTHER_SOURCE is fed from SOURCE without limit: one source for everyone.
    flow.add_arcs_with_capacity(
        np.append(net.tails, SOURCE).astype(np.int32),
        np.append(net.heads, OTHER_SOURCE).astype(np.int32),
        np.append(net.capacities, len(net.tails)).astype(np.int64),
    )
    status = flow.solve(SOURCE, SINK)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"max flow failed with status {status}")
    source_side = np.zeros(n_nodes, dtype=bool)
    source_side[np.asarray(flow.get_source_side_min_cut(), dtype=np.int64)] = True
    return int(flow.optimal_flow()), source_side


def _verified_max_flow(
    n_students: int,
    capacity: IntArray,
    reserved: IntArray,
    qpv: BoolArray,
    pairs: Pairs,
    students: BoolArray,
    active: BoolArray,
    usable: BoolArray | None,
) -> int:
    """Max flow over all ``pairs``, solved on the ``active`` ones only and proven for all.

    A minimum cut of the active network is also a cut of the full one — of the same capacity —
    unless some inactive pair leaves the source side for the sink side. Such pairs are
    activated (a few per student and round; ``active`` is updated in place) and the flow
    solved again; when none crosses, the cut proves the active flow maximal for the full
    network.
    """
    n_offers = len(capacity)
    n_nodes = FIRST_STUDENT + n_students + 2 * n_offers
    first_open = FIRST_STUDENT + n_students
    first_reserved = first_open + n_offers
    open_seats = capacity - reserved
    ptr = pairs.indptr(n_students)
    while True:
        net = _network(
            n_students,
            capacity,
            reserved,
            qpv,
            pairs.select(active),
            np.zeros(int(active.sum()), dtype=np.int64),
            students,
        )
        value, source_side = _max_flow(net, n_nodes)
        # Only students on the source side can start a crossing pair: scan just their pairs.
        starters = np.flatnonzero(
            students & source_side[FIRST_STUDENT : FIRST_STUDENT + n_students]
        )
        crossing_parts = []
        for block in range(0, len(starters), 4096):
            index = ranges(ptr, starters[block : block + 4096])
            index = index[~active[index]]
            if usable is not None:
                index = index[usable[index]]
            s = pairs.student[index].astype(np.int64)
            o = pairs.item[index].astype(np.int64)
            to_open = (open_seats[o] > 0) & ~source_side[first_open + o]
            to_reserved = qpv[s] & (reserved[o] > 0) & ~source_side[first_reserved + o]
            crossing_parts.append(index[to_open | to_reserved])
        crossing = np.concatenate(crossing_parts) if crossing_parts else np.zeros(0, np.int64)
        if not len(crossing):
            return value
        # A few crossing pairs per student are enough to let the cut move; adding them all
        # at once would bring back most of a dense instance's pairs.
        first = np.searchsorted(pairs.student[crossing], pairs.student[crossing], side="left")
        rank = np.arange(len(crossing)) - first
        active[crossing[rank < ADD_PER_STUDENT]] = True


def solve_placement_flow(
    n_students: int,
    capacity: IntArray,
    reserved: IntArray,
    qpv: BoolArray,
    pairs: Pairs,
    tie_cost: Callable[[IntArray], IntArray],
    active: BoolArray | None = None,
    usable: BoolArray | None = None,
    students: BoolArray | None = None,
) -> tuple[IntArray, int, int, BoolArray]:
    """Each student's pair (index into ``pairs``) in a plan placing ``q*`` QPV and ``p*``
    students (−1: none).

    ``active`` (default: all) marks the pairs to start from — e.g. each student's cheapest —
    which keeps the networks small on dense instances; pairs are added until a minimum cut
    proves both optima for all ``pairs``. Returns the choice, ``q*``, ``p*`` and the pairs
    finally used. Among single-placement plans on those pairs placing ``q*`` QPV and ``p*``
    students, the choice has the least total ``tie_cost(pair indices)``.

    ``usable`` (default: all) marks the pairs the flow may use at all, and ``students``
    (default: all) the students it places: with pins, the pinned students are placed already
    and their seats taken out of ``capacity``/``reserved``, and pairs that overlap a student's
    pinned session are unusable. The optima are then proven for what is left.
    """
    chosen = np.full(n_students, -1, dtype=np.int64)
    active = np.ones(len(pairs), dtype=bool) if active is None else active.copy()
    if usable is not None:
        active &= usable
    if not len(pairs):
        return chosen, 0, 0, active
    everyone = np.ones(n_students, dtype=bool) if students is None else students
    best_qpv = _verified_max_flow(
        n_students, capacity, reserved, qpv, pairs, qpv & everyone, active, usable
    )
    best_all = _verified_max_flow(
        n_students, capacity, reserved, qpv, pairs, everyone, active, usable
    )
    net = _network(
        n_students,
        capacity,
        reserved,
        qpv,
        pairs.select(active),
        tie_cost(np.flatnonzero(active)),
        everyone,
    )
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        net.tails.astype(np.int32),
        net.heads.astype(np.int32),
        net.capacities.astype(np.int64),
        net.costs.astype(np.int64),
    )
    flow.set_nodes_supplies(
        np.array([SOURCE, OTHER_SOURCE, SINK], dtype=np.int32),
        np.array([best_qpv, best_all - best_qpv, -best_all], dtype=np.int64),
    )
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    used = flow.flows(arcs[net.pair_arcs]) > 0
    chosen[net.pair_student[used]] = np.flatnonzero(active)[net.pair_position[used]]
    return chosen, best_qpv, best_all, active
