"""The flows around the neighbourhood search (:mod:`stagematch.solver.component_flows`).

On small random instances, from the warm start and from a random valid plan: every flow, trade
and window keeps every rule (the independent checker), the plan never gets worse on any level
(lexicographically), and the same plan comes back from the same start. The windows never hold
every offer's span (that would be the plain placement flow again).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from search_support import checked_levels, everyone, not_worse, prepared
from strategies import instances
from test_reassign import _random_plan

from stagematch.model import Instance
from stagematch.solver import Tuning
from stagematch.solver.component_flows import ComponentFlows
from stagematch.solver.context import Chosen
from stagematch.solver.subproblem import student_rows
from stagematch.solver.warmstart import warm_start


def _closed(instance: Instance, seed: int) -> tuple[Chosen, list[tuple[int, int]], np.ndarray]:
    """The plan after the flows, their windows, and the spans of the candidate offers."""
    context = prepared(instance, Tuning())
    chosen = _random_plan(context, seed) or warm_start(context).chosen
    before = checked_levels(context, chosen)
    students = everyone(context)
    flows = ComponentFlows(context, chosen, students, student_rows(context, chosen, students))
    flows.run()
    after = checked_levels(context, chosen)
    assert not_worse(context.objective, after, before), (before, after)
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
