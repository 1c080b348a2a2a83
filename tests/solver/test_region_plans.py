"""Plans from the Lagrangian master a region at a time (:mod:`stagematch.solver.region_plans`).

Forced on small instances: every component too large for the master of its own
(``first_order_pairs`` and ``relaxation_pairs`` 0), with regions of one to three students. The
plan keeps every rule (the independent checker), its reported levels are ``check``'s, it is
never lexicographically worse than the same solve without region plans, and the same solve
gives the same plan. Called on a plan directly: only the regions the work pays for move, and
a region whose students were left unplaced though seats are free is improved.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from search_support import checked_levels, everyone, not_worse, prepared
from strategies import instances, make_instance

from stagematch.check import check
from stagematch.model import Instance
from stagematch.solver import SolveOptions, Tuning, solve
from stagematch.solver.context import Chosen
from stagematch.solver.region_plans import plan_regions
from stagematch.solver.subproblem import student_rows

BY_REGIONS = Tuning(
    exact_pairs=0,
    relaxation_pairs=0,
    first_order_pairs=0,
    polish_pairs=0,
    min_component_work=0.0,
    region_plan_work=1_000.0,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instances(max_students=7, max_offers=4, max_slots=3),
    st.integers(0, 3),
    st.integers(1, 3),
)
def test_region_plans_keep_every_rule_and_never_make_the_plan_worse(
    instance: Instance, seed: int, size: int
) -> None:
    tuning = replace(BY_REGIONS, region_plan_students=size)

    def solved(tuning: Tuning) -> tuple[dict[str, float], tuple[object, ...]]:
        options = SolveOptions(seed=seed, time_limit=600, tuning=tuning, budget=0.001)
        result = solve(instance, options)
        report = check(instance, result.plan)
        assert report.violations == (), report.violations
        values = {name: level.value for name, level in result.levels.items()}
        assert values == pytest.approx(dict(report.levels))
        return values, tuple(sorted(map(repr, result.plan.assignments)))

    planned, plan = solved(tuning)
    again, plan_again = solved(tuning)
    assert plan == plan_again
    assert planned == again
    without, _ = solved(replace(tuning, region_plan_work=0.0))
    objective = list(planned)
    assert not_worse(objective, planned, without), (planned, without)


def _empty_plan(work: float) -> tuple[dict[str, float], Chosen]:
    """Six students who all wish for the nearest of two offers of three seats each, nobody
    placed to begin with, then region plans of two students with ``work``."""
    instance = make_instance(
        students=[{"student_id": f"S{k}", "wished_offers": "O1"} for k in range(6)],
        offers=[{"offer_id": "O1", "capacity": 3}, {"offer_id": "O2", "capacity": 3}],
    )
    context = prepared(instance, replace(BY_REGIONS, region_plan_work=work, region_plan_students=2))
    chosen = Chosen(
        np.zeros(len(context.cand.offers), bool), np.zeros(len(context.cand.slots), bool)
    )
    students = everyone(context)
    plan_regions(context, chosen, students, student_rows(context, chosen, students))
    return checked_levels(context, chosen), chosen


def test_each_region_paid_for_places_its_students() -> None:
    levels, _ = _empty_plan(1_000.0)
    assert levels["placed"] == 6
    few, _ = _empty_plan(1e-9)  # the first region only: its charge ends the work
    assert few["placed"] == 2
    none, _ = _empty_plan(0.0)
    assert none["placed"] == 0
