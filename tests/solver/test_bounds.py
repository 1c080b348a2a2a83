"""Search-free bounds (:mod:`stagematch.solver.bounds`) never cut off the optimum.

Given the optimum's values on the levels above, each bound must allow at least what the
brute-force lexicographic optimum reaches on its level: ``≥`` for maximised levels, ``≤`` for
minimised ones. And a bound is a bound for every plan as good on the levels above, so it must
also allow what any valid plan reaching those values reaches — here the solver's own plan.
"""

from __future__ import annotations

import numpy as np
import pytest
from bruteforce import brute_force
from hypothesis import given, settings
from strategies import instances, make_instance

from stagematch.check import check
from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.solver import SolveOptions, solve
from stagematch.solver.bounds import level_bounds
from stagematch.solver.pipeline import prepare

TOL = 1e-6


def _bounds(instance: Instance, achieved: dict[str, float], best_placed: int) -> dict[str, float]:
    context = prepare(instance, SolveOptions(seed=0).resolved(instance.settings))
    everyone = np.ones(context.arrays.n_students, dtype=bool)
    return level_bounds(
        context.arrays,
        context.cand,
        context.objective,
        achieved,
        best_placed,
        context.workshops_per_student,
        everyone,
    )


def _allows(level: str, bound: float, value: float) -> bool:
    return bound >= value - TOL if LEVELS[level].maximise else bound <= value + TOL


@settings(max_examples=40)
@given(instances(max_students=4, max_offers=3, max_slots=3))
def test_bounds_allow_the_brute_force_optimum(instance: Instance) -> None:
    optimum, _ = brute_force(instance)
    objective = list(instance.settings.objective)
    # Every plan as good as the optimum above ``placed`` places as many students as it when
    # the objective starts with the two placement levels; otherwise only n is sure.
    leading = set(objective[:2]) == {"qpv_placed", "placed"}
    best_placed = int(optimum["placed"]) if leading else instance.arrays.n_students
    bounds = _bounds(instance, optimum, best_placed)
    assert set(bounds) <= set(objective)
    for level, bound in bounds.items():
        assert _allows(level, bound, optimum[level]), (level, bound, optimum[level])


@settings(max_examples=25)
@given(instances(max_students=5, max_offers=4, max_slots=3))
def test_bounds_allow_every_valid_plan_as_good_above(instance: Instance) -> None:
    result = solve(instance, time_limit=5, seed=0)
    report = check(instance, result.plan)
    assert report.ok
    reached = dict(report.levels)
    bounds = _bounds(instance, reached, instance.arrays.n_students)
    for level, bound in bounds.items():
        assert _allows(level, bound, reached[level]), (level, bound, reached[level])


@pytest.mark.parametrize(("placed", "expected"), [(0, 0), (1, 0), (2, 1), (3, 4)])
def test_preference_bound_counts_the_students_who_must_be_placed(
    placed: int, expected: int
) -> None:
    """With ``placed`` above ``preference``, at least that many students pay for a placement:
    the bound is the sum of the smallest cheapest wishes (costs 0, 1 and 3 here)."""
    instance = make_instance(
        students=[
            {"student_id": "A", "wishes": "health"},
            {"student_id": "B", "wishes": "law;health"},
            {"student_id": "C", "wishes": "law;art;culture;health"},
        ],
        offers=[{"offer_id": "O1", "capacity": 3}],
        settings={"unranked_cost": 9},
    )
    bounds = _bounds(instance, {"qpv_placed": 0, "placed": placed}, 3)
    assert bounds["preference"] == expected
