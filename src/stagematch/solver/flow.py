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

from ..arrays import BoolArray, Int32Array, IntArray
from ..travel import Pairs

FLOW_LEVELS = frozenset({"qpv_placed", "placed"})
ADD_PER_STUDENT = 32  # crossing pairs activated per student and round of the proof
SCAN_PAIRS = 1 << 21  # pairs looked at together when the proof scans for crossing pairs


@dataclass(frozen=True)
class _Network:
    """Arc arrays of the placement network (nodes: 0 source, 1 sink, 2 the other students'
    source, then students, then offer halves). Node numbers are ``int32``, as OR-Tools takes
    them: an académie's networks hold millions of arcs, so no ``int64`` copy of them is made."""

    tails: Int32Array
    heads: Int32Array
    capacities: IntArray
    costs: IntArray
    pair_arcs: IntArray  # arc indices of the student → offer arcs
    pair_student: Int32Array
    pair_position: IntArray  # position of each student → offer arc's pair in the pairs given


SOURCE, SINK, OTHER_SOURCE = 0, 1, 2
FIRST_STUDENT = 3


def _end_arcs(
    n_students: int, capacity: IntArray, reserved: IntArray, qpv: BoolArray, students: BoolArray
) -> tuple[tuple[Int32Array, Int32Array, IntArray], tuple[Int32Array, Int32Array, IntArray]]:
    """(tails, heads, capacities) of the arcs into the given ``students`` (QPV students hang
    off SOURCE, the others off OTHER_SOURCE) and of the arcs from the offer halves to SINK."""
    n_offers = len(capacity)
    first_open = FIRST_STUDENT + n_students
    who = np.flatnonzero(students)
    halves = np.arange(first_open, first_open + 2 * n_offers, dtype=np.int32)
    into_students = (
        np.where(qpv[who], SOURCE, OTHER_SOURCE).astype(np.int32),
        (FIRST_STUDENT + who).astype(np.int32),
        np.ones(len(who), dtype=np.int64),
    )
    into_sink = (
        halves,
        np.full(2 * n_offers, SINK, dtype=np.int32),
        np.concatenate((capacity - reserved, reserved)).astype(np.int64),
    )
    return into_students, into_sink


def _pair_arcs(
    n_students: int,
    capacity: IntArray,
    reserved: IntArray,
    qpv: BoolArray,
    pairs: Pairs,
    index: IntArray,
    students: BoolArray,
) -> tuple[Int32Array, Int32Array, IntArray]:
    """Tails, heads and positions in ``index`` of the student → offer-half arcs of the pairs
    ``index``: every pair of a given student to its offer's open half when it has open seats,
    then every pair of a QPV student to its offer's reserved half when it has reserved seats."""
    first_open = FIRST_STUDENT + n_students
    first_reserved = first_open + len(capacity)
    s = pairs.student[index]
    o = pairs.item[index]
    wanted = students[s]
    to_open = wanted & (capacity[o] - reserved[o] > 0)
    to_reserved = wanted & (reserved[o] > 0) & qpv[s]
    tails = np.concatenate((s[to_open], s[to_reserved])).astype(np.int32) + np.int32(FIRST_STUDENT)
    heads = np.concatenate(
        (
            o[to_open].astype(np.int32) + np.int32(first_open),
            o[to_reserved].astype(np.int32) + np.int32(first_reserved),
        )
    )
    return tails, heads, np.concatenate((np.flatnonzero(to_open), np.flatnonzero(to_reserved)))


def _network(
    n_students: int,
    capacity: IntArray,
    reserved: IntArray,
    qpv: BoolArray,
    pairs: Pairs,
    index: IntArray,
    tie_cost: IntArray,
    students: BoolArray,
) -> _Network:
    """The network of the given ``students`` over the pairs ``index``, each pair arc costing
    its ``tie_cost`` (one per pair of ``index``)."""
    into_students, into_sink = _end_arcs(n_students, capacity, reserved, qpv, students)
    tails, heads, position = _pair_arcs(n_students, capacity, reserved, qpv, pairs, index, students)
    first_pair = len(into_students[0])
    return _Network(
        tails=np.concatenate((into_students[0], tails, into_sink[0])),
        heads=np.concatenate((into_students[1], heads, into_sink[1])),
        capacities=np.concatenate(
            (into_students[2], np.ones(len(tails), dtype=np.int64), into_sink[2])
        ),
        costs=np.concatenate(
            (
                np.zeros(first_pair, dtype=np.int64),
                tie_cost[position].astype(np.int64),
                np.zeros(len(into_sink[0]), dtype=np.int64),
            )
        ),
        pair_arcs=np.arange(first_pair, first_pair + len(tails)),
        pair_student=tails - np.int32(FIRST_STUDENT),
        pair_position=position,
    )


def ranges(ptr: IntArray, students: IntArray) -> IntArray:
    """Concatenated ``ptr[s]:ptr[s+1]`` ranges of the given students."""
    lo, hi = ptr[students], ptr[students + 1]
    runs = hi - lo
    return np.repeat(lo - np.cumsum(runs) + runs, runs) + np.arange(int(runs.sum()))


class _GrowingFlow:
    """A maximum flow kept while arcs are added to its network.

    Each :meth:`solve` starts from the flow found so far: it solves a max flow on the
    *residual* network (each arc's unused capacity forward, its flow backward) and adds what
    that finds. A pricing round adds a few arcs to a network of millions, so the residual
    problem moves only the few students the new arcs concern, where a fresh solve would route
    every student again. The nodes on the source side of the last residual network are the
    source side of a minimum cut of the whole flow — the same nodes whatever maximum flow is
    found (those reachable from the source in its residual network), so the cut, and the
    pairs the pricing adds after it, do not depend on how the flow was reached.
    """

    def __init__(self, n_nodes: int, tails: Int32Array, heads: Int32Array, caps: IntArray):
        self.n_nodes = n_nodes
        self.tails, self.heads, self.capacities = tails, heads, caps
        self.flow = np.zeros(len(tails), dtype=np.int64)
        self.value = 0

    def add(self, tails: Int32Array, heads: Int32Array, capacities: IntArray) -> None:
        self.tails = np.concatenate((self.tails, tails))
        self.heads = np.concatenate((self.heads, heads))
        self.capacities = np.concatenate((self.capacities, capacities))
        self.flow = np.concatenate((self.flow, np.zeros(len(tails), dtype=np.int64)))

    def solve(self) -> BoolArray:
        """Augment the flow to a maximum one; the source side of its minimum cut, per node."""
        free = self.capacities - self.flow
        forward = np.flatnonzero(free > 0)
        backward = np.flatnonzero(self.flow > 0)
        solver = max_flow.SimpleMaxFlow()
        arcs = solver.add_arcs_with_capacity(
            np.concatenate((self.tails[forward], self.heads[backward])),
            np.concatenate((self.heads[forward], self.tails[backward])),
            np.concatenate((free[forward], self.flow[backward])),
        )
        status = solver.solve(SOURCE, SINK)
        if status != solver.OPTIMAL:
            raise RuntimeError(f"max flow failed with status {status}")
        pushed = np.asarray(solver.flows(arcs), dtype=np.int64)
        self.flow[forward] += pushed[: len(forward)]
        self.flow[backward] -= pushed[len(forward) :]
        self.value += int(solver.optimal_flow())
        source_side = np.zeros(self.n_nodes, dtype=bool)
        source_side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
        return source_side


@dataclass(frozen=True, eq=False)
class FlowCut:
    """A maximum flow's value and the minimum cut that proves it, as flags on the nodes.

    The cut's capacity equals ``value``: the students in the network left on the sink side
    (one unit each), the seats of the offer halves on the source side, and the saturated
    student → offer arcs that cross from the source side to the sink side (``crossing``, what
    remains). :mod:`.parts` merges the cuts of parts into one cut of the whole network.
    """

    value: int
    student_source: BoolArray  # per student: on the source side
    open_source: BoolArray  # per offer: its open half on the source side
    reserved_source: BoolArray  # per offer: its reserved half on the source side
    crossing: int


def _verified_max_flow(
    n_students: int,
    capacity: IntArray,
    reserved: IntArray,
    qpv: BoolArray,
    pairs: Pairs,
    students: BoolArray,
    active: BoolArray,
    usable: BoolArray | None,
) -> FlowCut:
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
    into_students, into_sink = _end_arcs(n_students, capacity, reserved, qpv, students)
    # OTHER_SOURCE is fed from SOURCE without limit (more than every student): one source.
    flow = _GrowingFlow(
        n_nodes,
        np.concatenate((into_students[0], into_sink[0], np.array([SOURCE], dtype=np.int32))),
        np.concatenate((into_students[1], into_sink[1], np.array([OTHER_SOURCE], np.int32))),
        np.concatenate((into_students[2], into_sink[2], np.array([n_students + 1]))),
    )
    added = np.flatnonzero(active)
    while True:
        tails, heads, _ = _pair_arcs(n_students, capacity, reserved, qpv, pairs, added, students)
        flow.add(tails, heads, np.ones(len(tails), dtype=np.int64))
        source_side = flow.solve()
        # Only students on the source side can start a crossing pair: scan just their pairs.
        starters = np.flatnonzero(
            students & source_side[FIRST_STUDENT : FIRST_STUDENT + n_students]
        )
        crossing_parts = []
        for block in _blocks(ptr, starters):
            index = ranges(ptr, block)
            index = index[~active[index]]
            if usable is not None:
                index = index[usable[index]]
            s = pairs.student[index]
            o = pairs.item[index]
            to_open = (open_seats[o] > 0) & ~source_side[first_open + o]
            to_reserved = qpv[s] & (reserved[o] > 0) & ~source_side[first_reserved + o]
            crossing_parts.append(index[to_open | to_reserved])
        crossing = np.concatenate(crossing_parts) if crossing_parts else np.zeros(0, np.int64)
        if not len(crossing):
            return _cut(flow.value, source_side, students, open_seats, reserved, n_students)
        # A few crossing pairs per student are enough to let the cut move; adding them all
        # at once would bring back most of a dense instance's pairs.
        first = np.searchsorted(pairs.student[crossing], pairs.student[crossing], side="left")
        rank = np.arange(len(crossing)) - first
        added = np.sort(crossing[rank < ADD_PER_STUDENT])
        active[added] = True


def _blocks(ptr: IntArray, students: IntArray) -> list[IntArray]:
    """``students`` cut into consecutive blocks whose pairs make about :data:`SCAN_PAIRS`
    (a student with more makes a block alone): a scan's temporaries then stay a few dozen
    megabytes however many offers each student reaches, where blocks of a fixed number of
    students held 350 MB at twice the académie's offer density."""
    ends = np.cumsum(ptr[students + 1] - ptr[students])
    out = []
    first = 0
    while first < len(students):
        done = int(ends[first - 1]) if first else 0
        last = max(int(np.searchsorted(ends, done + SCAN_PAIRS, side="right")), first + 1)
        out.append(students[first:last])
        first = last
    return out


def _cut(
    value: int,
    source_side: BoolArray,
    students: BoolArray,
    open_seats: IntArray,
    reserved: IntArray,
    n_students: int,
) -> FlowCut:
    n_offers = len(open_seats)
    first_open = FIRST_STUDENT + n_students
    student_source = source_side[FIRST_STUDENT:first_open].copy()
    open_source = source_side[first_open : first_open + n_offers].copy()
    reserved_source = source_side[first_open + n_offers :].copy()
    counted = (
        int((students & ~student_source).sum())
        + int(open_seats[open_source].sum())
        + int(reserved[reserved_source].sum())
    )
    return FlowCut(value, student_source, open_source, reserved_source, value - counted)


def placement_cuts(
    n_students: int,
    capacity: IntArray,
    reserved: IntArray,
    qpv: BoolArray,
    pairs: Pairs,
    active: BoolArray,
    usable: BoolArray | None = None,
    students: BoolArray | None = None,
) -> tuple[FlowCut, FlowCut]:
    """The most QPV students and the most students that can be placed, each with its proof.

    ``active`` marks the pairs to start from (e.g. short lists); it is updated in place with
    the pairs the proofs needed. ``usable`` and ``students`` as in :func:`solve_placement_flow`.
    """
    everyone = np.ones(n_students, dtype=bool) if students is None else students
    best_qpv = _verified_max_flow(
        n_students, capacity, reserved, qpv, pairs, qpv & everyone, active, usable
    )
    best_all = _verified_max_flow(
        n_students, capacity, reserved, qpv, pairs, everyone, active, usable
    )
    return best_qpv, best_all


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
    proves both optima for all ``pairs``. It is updated in place, not copied (a byte a pair:
    150 MB at the flow's peak on a dense académie). Returns the choice, ``q*``, ``p*`` and the
    pairs finally used (``active`` itself). Among single-placement plans on those pairs placing ``q*`` QPV and ``p*``
    students, the choice has the least total ``tie_cost(pair indices)``.

    ``usable`` (default: all) marks the pairs the flow may use at all, and ``students``
    (default: all) the students it places: with pins, the pinned students are placed already
    and their seats taken out of ``capacity``/``reserved``, and pairs that overlap a student's
    pinned session are unusable. The optima are then proven for what is left.
    """
    chosen = np.full(n_students, -1, dtype=np.int64)
    active = np.ones(len(pairs), dtype=bool) if active is None else active
    if usable is not None:
        np.logical_and(active, usable, out=active)
    if not len(pairs):
        return chosen, 0, 0, active
    everyone = np.ones(n_students, dtype=bool) if students is None else students
    cut_qpv, cut_all = placement_cuts(
        n_students, capacity, reserved, qpv, pairs, active, usable, students
    )
    best_qpv, best_all = cut_qpv.value, cut_all.value
    index = np.flatnonzero(active)
    net = _network(n_students, capacity, reserved, qpv, pairs, index, tie_cost(index), everyone)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        net.tails, net.heads, net.capacities, net.costs
    )
    flow.set_nodes_supplies(
        np.array([SOURCE, OTHER_SOURCE, SINK], dtype=np.int32),
        np.array([best_qpv, best_all - best_qpv, -best_all], dtype=np.int64),
    )
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    used = flow.flows(arcs[net.pair_arcs]) > 0
    chosen[net.pair_student[used]] = index[net.pair_position[used]]
    return chosen, best_qpv, best_all, active
