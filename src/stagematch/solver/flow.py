"""The network part: who can be placed at all, solved exactly by min-cost flow.

Giving a student *one* placement is a bipartite b-matching: source → student (capacity 1) →
offer → sink. Reserved seats split each offer into an *open* node (capacity − qpv_reserved seats,
any student) and a *reserved* node (qpv_reserved seats, QPV students only), which is exactly
rule 2. Every plan's first placements form such a flow and every flow is a valid plan, so the
flow optimum of ``qpv_placed`` / ``placed`` is the true optimum of those levels, proven, in
seconds even with millions of pairs. Student weights make the flow lexicographic; a small arc
cost (preference, then minutes) breaks ties towards what the lower levels will want, so the
flow's plan is also a good warm start.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from ..arrays import IntArray
from ..travel import Pairs

FLOW_LEVELS = frozenset({"qpv_placed", "placed"})


def student_weights(qpv: np.ndarray, leading_levels: list[str], unit: int) -> IntArray:
    """Integer reward for placing each student, lexicographic over ``leading_levels``.

    ``unit`` exceeds any tie-break cost, so one more placed student always beats cheaper ties;
    each earlier level's weight exceeds the total of all later ones.
    """
    n = len(qpv)
    weights = np.zeros(n, dtype=np.int64)
    scale = unit
    for level in reversed(leading_levels):
        counts = qpv if level == "qpv_placed" else np.ones(n, dtype=bool)
        weights += counts.astype(np.int64) * scale
        scale *= n + 1
    return weights


def solve_placement_flow(
    n_students: int,
    capacity: IntArray,
    reserved: IntArray,
    qpv: np.ndarray,
    pairs: Pairs,
    tie_cost: IntArray,
    leading_levels: list[str],
) -> IntArray:
    """Each student's offer in a lexicographically best single-placement plan (−1: none)."""
    chosen = np.full(n_students, -1, dtype=np.int64)
    if not len(pairs) or not leading_levels:
        return chosen
    n_offers = len(capacity)
    unit = int(tie_cost.max(initial=0)) + 1
    weights = student_weights(qpv, leading_levels, unit)
    if weights.max() * max(n_students, 1) > 2**62:
        raise OverflowError("instance too large for the flow's integer costs")
    source, sink = 0, 1
    first_student = 2
    first_open = first_student + n_students
    first_reserved = first_open + n_offers
    s = pairs.student.astype(np.int64)
    o = pairs.item.astype(np.int64)
    open_seats = capacity - reserved
    to_open = open_seats[o] > 0
    to_reserved = (reserved[o] > 0) & qpv[s]
    tails = [
        np.full(n_students, source),
        first_student + s[to_open],
        first_student + s[to_reserved],
        first_open + np.arange(n_offers),
        first_reserved + np.arange(n_offers),
        np.array([source]),
    ]
    heads = [
        first_student + np.arange(n_students),
        first_open + o[to_open],
        first_reserved + o[to_reserved],
        np.full(n_offers, sink),
        np.full(n_offers, sink),
        np.array([sink]),
    ]
    capacities = [
        np.ones(n_students, dtype=np.int64),
        np.ones(int(to_open.sum()), dtype=np.int64),
        np.ones(int(to_reserved.sum()), dtype=np.int64),
        open_seats,
        reserved,
        np.array([n_students]),
    ]
    costs = [
        -weights,
        tie_cost[to_open],
        tie_cost[to_reserved],
        np.zeros(n_offers, dtype=np.int64),
        np.zeros(n_offers, dtype=np.int64),
        np.array([0]),
    ]
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate(tails).astype(np.int32),
        np.concatenate(heads).astype(np.int32),
        np.concatenate(capacities).astype(np.int64),
        np.concatenate(costs).astype(np.int64),
    )
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([n_students, -n_students])
    )
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = flow.flows(arcs)
    start = n_students
    for mask in (to_open, to_reserved):
        count = int(mask.sum())
        used = flows[start : start + count] > 0
        chosen[s[mask][used]] = o[mask][used]
        start += count
    return chosen
