"""The placement flows (:mod:`stagematch.solver.flow`) against an independent max flow.

The flow is solved on a few *active* pairs and priced in until a minimum cut proves it for all
the pairs, each round starting from the flow found so far. Whatever the pairs active at first,
its values must be scipy's maximum flows over every usable pair, its cut must be a cut of that
whole network of the same capacity, and the plan of the min-cost flow must place exactly
those counts within every seat.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from stagematch.arrays import BoolArray
from stagematch.solver import flow as flow_module
from stagematch.solver.flow import FlowCut, placement_cuts, solve_placement_flow
from stagematch.travel import Pairs


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    """Students, offers with open and reserved seats, pairs grouped by student, and masks."""
    n_students = draw(st.integers(1, 9))
    n_offers = draw(st.integers(1, 5))
    capacity = np.array(draw(st.lists(st.integers(0, 3), min_size=n_offers, max_size=n_offers)))
    reserved = np.array([draw(st.integers(0, int(c))) for c in capacity])
    qpv = np.array(draw(st.lists(st.booleans(), min_size=n_students, max_size=n_students)))
    grid = draw(
        st.lists(st.booleans(), min_size=n_students * n_offers, max_size=n_students * n_offers)
    )
    student, item = np.divmod(np.flatnonzero(grid), n_offers)
    pairs = Pairs(
        student.astype(np.int32), item.astype(np.int32), np.zeros(len(student), np.float32)
    )
    n = len(pairs)
    flags = st.lists(st.booleans(), min_size=n, max_size=n)
    return {
        "n_students": n_students,
        "capacity": capacity.astype(np.int64),
        "reserved": reserved.astype(np.int64),
        "qpv": qpv,
        "pairs": pairs,
        "active": np.array(draw(flags), dtype=bool),
        "usable": np.array(draw(flags), dtype=bool) if draw(st.booleans()) else None,
        "students": np.array(
            draw(st.lists(st.booleans(), min_size=n_students, max_size=n_students)), dtype=bool
        )
        if draw(st.booleans())
        else None,
    }


def _arcs(net: dict[str, Any], students: np.ndarray) -> list[tuple[int, int, int]]:
    """The whole placement network of ``students`` over every usable pair: source 0, sink 1,
    students from 2, then each offer's open half and reserved half."""
    n, capacity, reserved, qpv = net["n_students"], net["capacity"], net["reserved"], net["qpv"]
    first_open = 2 + n
    first_reserved = first_open + len(capacity)
    arcs = [(0, 2 + s, 1) for s in np.flatnonzero(students)]
    pairs, usable = net["pairs"], net["usable"]
    for k in range(len(pairs)):
        s, o = int(pairs.student[k]), int(pairs.item[k])
        if not students[s] or (usable is not None and not usable[k]):
            continue
        if capacity[o] - reserved[o] > 0:
            arcs.append((2 + s, first_open + o, 1))
        if qpv[s] and reserved[o] > 0:
            arcs.append((2 + s, first_reserved + o, 1))
    for o in range(len(capacity)):
        arcs.append((first_open + o, 1, int(capacity[o] - reserved[o])))
        arcs.append((first_reserved + o, 1, int(reserved[o])))
    return arcs


def _scipy_max_flow(net: dict[str, Any], students: np.ndarray) -> int:
    arcs = _arcs(net, students)
    size = 2 + net["n_students"] + 2 * len(net["capacity"])
    tails, heads, caps = (np.array(column, dtype=np.int32) for column in zip(*arcs, strict=True))
    graph = csr_matrix((caps, (tails, heads)), shape=(size, size))
    return int(maximum_flow(graph, 0, 1).flow_value)


def _cut_capacity(net: dict[str, Any], students: np.ndarray, cut: Any) -> int:
    """The capacity of ``cut`` in the whole network (every usable pair, active or not)."""
    side = np.concatenate(([True, False], cut.student_source, cut.open_source, cut.reserved_source))
    return sum(c for t, h, c in _arcs(net, students) if side[t] and not side[h])


@settings(max_examples=150, deadline=None)
@given(networks())
def test_flows_are_the_maximum_over_every_pair_and_their_cuts_prove_it(
    net: dict[str, Any],
) -> None:
    everyone = (
        np.ones(net["n_students"], dtype=bool) if net["students"] is None else net["students"]
    )
    active = net["active"].copy()
    if net["usable"] is not None:
        active &= net["usable"]
    start = active.copy()
    cut_qpv, cut_all = _cuts(net, active)
    for cut, students in ((cut_qpv, everyone & net["qpv"]), (cut_all, everyone)):
        assert cut.value == _scipy_max_flow(net, students)
        assert _cut_capacity(net, students, cut) == cut.value
    assert (active | ~start).all(), "pricing only ever adds pairs"


@settings(max_examples=150, deadline=None)
@given(networks())
def test_the_min_cost_plan_places_the_proven_counts_within_the_seats(net: dict[str, Any]) -> None:
    pairs = net["pairs"]
    cost = np.random.default_rng(len(pairs)).integers(0, 50, len(pairs))
    chosen, best_qpv, best_all, active = solve_placement_flow(
        net["n_students"],
        net["capacity"],
        net["reserved"],
        net["qpv"],
        pairs,
        lambda index: cost[index],
        net["active"],
        net["usable"],
        net["students"],
    )
    everyone = (
        np.ones(net["n_students"], dtype=bool) if net["students"] is None else net["students"]
    )
    assert best_all == _scipy_max_flow(net, everyone)
    assert best_qpv == _scipy_max_flow(net, everyone & net["qpv"])
    placed = np.flatnonzero(chosen >= 0)
    assert len(placed) == best_all and int(net["qpv"][placed].sum()) == best_qpv
    picked = chosen[placed]
    assert (pairs.student[picked] == placed).all() and active[picked].all()
    assert everyone[placed].all()
    if net["usable"] is not None:
        assert net["usable"][picked].all()
    taken = np.bincount(pairs.item[picked], minlength=len(net["capacity"]))
    assert (taken <= net["capacity"]).all()
    others = np.bincount(pairs.item[picked[~net["qpv"][placed]]], minlength=len(net["capacity"]))
    assert (others <= net["capacity"] - net["reserved"]).all(), "reserved seats kept for QPV"


@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=30),
    st.integers(1, 60),
    st.data(),
)
def test_scan_blocks_cover_the_students_in_order_within_the_pairs_limit(
    sizes: list[int], limit: int, data: st.DataObject
) -> None:
    ptr = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    chosen = data.draw(st.lists(st.sampled_from(range(len(sizes))), unique=True).map(sorted))
    students = np.array(chosen, dtype=np.int64)
    with patch.object(flow_module, "SCAN_PAIRS", limit):
        blocks = flow_module._blocks(ptr, students)
    assert np.concatenate([*blocks, np.zeros(0, np.int64)]).tolist() == chosen
    for block in blocks:
        pairs = int((ptr[block + 1] - ptr[block]).sum())
        assert len(block) >= 1 and (pairs <= limit or len(block) == 1)


def _cuts(net: dict[str, Any], active: BoolArray) -> tuple[FlowCut, FlowCut]:
    """:func:`placement_cuts` of a drawn network, pricing pairs into ``active``."""
    return placement_cuts(
        net["n_students"],
        net["capacity"],
        net["reserved"],
        net["qpv"],
        net["pairs"],
        active,
        net["usable"],
        net["students"],
    )


@settings(max_examples=60, deadline=None)
@given(networks())
def test_scanning_one_pair_at_a_time_prices_in_the_same_pairs(net: dict[str, Any]) -> None:
    runs = []
    for limit in (1, flow_module.SCAN_PAIRS):
        active = net["active"].copy()
        with patch.object(flow_module, "SCAN_PAIRS", limit):
            cuts = _cuts(net, active)
        runs.append(([(c.value, c.student_source.tolist()) for c in cuts], active.tolist()))
    assert runs[0] == runs[1]
