"""The flows around the neighbourhood search (:mod:`stagematch.solver.component_flows`).

On small random instances, from the warm start and from a random valid plan: every flow, trade
and window keeps every rule (the independent checker), the plan never gets worse on any level
(lexicographically), and the same plan comes back from the same start. The windows never hold
every offer's span (that would be the plain placement flow again). The same holds when the
component is re-assigned by regions (forced on small instances by ``Tuning.reassign_pairs = 0``
and a small ``Tuning.region_pairs``).
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from search_support import checked_levels, everyone, not_worse, prepared
from strategies import instances, make_instance
from test_reassign import _random_plan

import stagematch.solver.component_flows as component_flows
from stagematch.model import Instance
from stagematch.solver import Tuning
from stagematch.solver.component_flows import ComponentFlows
from stagematch.solver.context import Chosen
from stagematch.solver.subproblem import student_rows
from stagematch.solver.warmstart import warm_start


def _closed(
    instance: Instance, seed: int, tuning: Tuning | None = None, passes: int = 1
) -> tuple[Chosen, list[tuple[int, int]], np.ndarray]:
    """The plan after ``passes`` passes of the flows (by regions: each cut along other
    lines), their windows, and the spans of the candidate offers."""
    context = prepared(instance, tuning or Tuning())
    chosen = _random_plan(context, seed) or warm_start(context).chosen
    before = checked_levels(context, chosen)
    students = everyone(context)
    flows = ComponentFlows(context, chosen, students, student_rows(context, chosen, students))
    assert flows.whole != flows.by_regions or not flows.charge
    for _ in range(passes):
        flows.run()
        after = checked_levels(context, chosen)
        assert not_worse(context.objective, after, before), (before, after)
        before = after
    offers, item = context.arrays.offers, context.cand.offers.item
    spans = np.stack((offers.first_half_day[item], offers.last_half_day[item]), axis=1)
    return chosen, flows.windows, spans


@settings(max_examples=30, deadline=None)
@given(instances(max_students=6, max_offers=5, max_slots=3), st.integers(0, 2**16))
def test_the_component_flows_keep_every_rule_and_never_make_the_plan_worse(
    instance: Instance, seed: int
) -> None:
    chosen, windows, spans = _closed(instance, seed)
    again, _, _ = _closed(instance, seed)
    assert np.array_equal(chosen.offer_chosen, again.offer_chosen)
    assert np.array_equal(chosen.slot_chosen, again.slot_chosen)
    assert windows == sorted(set(windows))
    for first, last in windows:
        assert any((spans[:, 0] == first) & (spans[:, 1] == last))  # a span of an offer
        assert not ((spans[:, 0] >= first) & (spans[:, 1] <= last)).all()  # not all of them


@settings(max_examples=30, deadline=None)
@given(
    instances(max_students=8, max_offers=5, max_slots=3),
    st.integers(0, 2**16),
    st.integers(1, 40),
    st.integers(0, 3),
)
def test_the_flows_by_regions_keep_every_rule_and_never_make_the_plan_worse(
    instance: Instance, seed: int, region_pairs: int, free_pairs: int
) -> None:
    tuning = Tuning(
        reassign_pairs=0,
        region_pairs=region_pairs,
        pairs_per_student=1,
        region_free_pairs=free_pairs,
    )
    chosen, _, _ = _closed(instance, seed, tuning, passes=3)
    again, _, _ = _closed(instance, seed, tuning, passes=3)
    assert np.array_equal(chosen.offer_chosen, again.offer_chosen)
    assert np.array_equal(chosen.slot_chosen, again.slot_chosen)


def _by_regions(region_pairs: int) -> dict[str, float]:
    """The levels after the flows by regions of ``region_pairs``, from a plan that places
    nobody of four students who can all be placed: whatever the regions (one student each,
    or everyone), every region's flows place its students in the seats the others left."""
    instance = make_instance(
        students=[{"student_id": f"S{k}", "wished_offers": "O1"} for k in range(4)],
        offers=[{"offer_id": "O1", "capacity": 2}, {"offer_id": "O2", "capacity": 2}],
    )
    context = prepared(instance, Tuning(reassign_pairs=0, region_pairs=region_pairs))
    empty = Chosen(
        np.zeros(len(context.cand.offers), bool), np.zeros(len(context.cand.slots), bool)
    )
    students = everyone(context)
    flows = ComponentFlows(context, empty, students, student_rows(context, empty, students))
    assert flows.by_regions and flows.charge > 0
    flows.run()
    return checked_levels(context, empty)


def test_the_flows_by_regions_move_every_region() -> None:
    for region_pairs in (1, 3, 100):
        assert _by_regions(region_pairs)["placed"] == 4


@settings(max_examples=30, deadline=None)
@given(
    instances(max_students=8, max_offers=5, max_slots=3),
    st.integers(0, 2**16),
    st.integers(1, 40),
    st.integers(0, 3),
)
def test_a_regions_flows_read_the_pairs_its_students_hold_from_its_reach(
    instance: Instance, seed: int, region_pairs: int, free_pairs: int
) -> None:
    """Every flow of a region is given the same pairs as when every candidate pair of its
    students is looked at for those they hold."""
    tuning = Tuning(
        reassign_pairs=0,
        region_pairs=region_pairs,
        pairs_per_student=1,
        region_free_pairs=free_pairs,
    )
    original = component_flows.flow_data

    def both(*args: Any) -> Any:
        data, o_pairs, w_pairs = original(*args)
        _, without_reach, same_sessions = original(*args[:-1])
        assert np.array_equal(o_pairs, without_reach)
        assert np.array_equal(w_pairs, same_sessions)
        return data, o_pairs, w_pairs

    with patch.object(component_flows, "flow_data", both):
        _closed(instance, seed, tuning, passes=3)
