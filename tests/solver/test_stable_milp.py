"""Stable exact components (``solver/stable_milp.py``): proven optimal, and the true optimum.

The seat rows are judged by what the solve returns, against yardsticks that share no code with
them: every plan of tiny instances (:func:`bruteforce.best_plan_where`, envy judged pair by pair
by :class:`test_fairness.Brute`), and on the pilot-shaped family an independent MILP with
pairwise envy rows written in the tests (:func:`pilot_family.milp_optimum` with
``stable=True``). Every plan must pass the checker with its ``justified_envy`` rule.
"""

from __future__ import annotations

import math

import pytest
from bruteforce import best_plan_where, oriented
from hypothesis import given, settings
from pilot_family import milp_optimum, pilot_shaped
from strategies import instances
from test_fairness import Brute

from stagematch import solve
from stagematch.check import check
from stagematch.model import Instance
from stagematch.plan import Plan
from stagematch.solver import tasks

TIME_LIMIT = 120.0  # generous: only keeps a broken solver from hanging the suite
ROWS_ALONE = math.inf
"""``tasks.HIGHS_FIRST_WORK`` that gives HiGHS all of each level's work below the placement
levels, CP-SAT none, so that the seat rows (reserved seats included) are judged on their own."""
CHAINS_ALONE = 0.0
"""... and none: CP-SAT with its envy chains does every level."""


@pytest.mark.parametrize("highs_first", [tasks.HIGHS_FIRST_WORK, ROWS_ALONE, CHAINS_ALONE])
@settings(max_examples=25)
@given(instances(max_students=4, max_offers=3, max_slots=1, overrides=False))
def test_tiny_stable_plans_are_proven_and_the_brute_force_optimum(
    highs_first: float, instance: Instance
) -> None:
    brute = Brute.of(instance)

    def envy_free(plan: Plan) -> bool:
        return not any(envy for _, envy in brute.blocking(plan, tie_break=False).values())

    best = best_plan_where(instance, envy_free)
    assert best is not None  # the empty plan has no envy
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "HIGHS_FIRST_WORK", highs_first)
        result = solve(instance, time_limit=TIME_LIMIT, stable=True)
    report = check(instance, result.plan, stable=True)
    assert report.ok, report.violations[:3]
    assert result.status == "optimal"
    assert oriented(instance, report.levels) == pytest.approx(best[0])


@pytest.mark.parametrize(
    ("highs_first", "seed"),
    [(tasks.HIGHS_FIRST_WORK, seed) for seed in range(6)]
    + [(ROWS_ALONE, seed) for seed in (0, 3, 5)],
)
def test_stable_pilot_shaped_levels_are_the_milp_optimum(
    highs_first: float, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "HIGHS_FIRST_WORK", highs_first)
    instance = pilot_shaped(seed, students=24 + 4 * seed)
    result = solve(instance, time_limit=TIME_LIMIT, seed=seed, stable=True)
    report = check(instance, result.plan, stable=True)
    assert report.ok, report.violations[:3]
    assert result.status == "optimal"
    optimum = milp_optimum(instance, stable=True)
    for name, best in optimum.items():
        assert math.isclose(result.levels[name].value, best, abs_tol=1e-6), (name, best)
        assert math.isclose(report.levels[name], best, abs_tol=1e-6), (name, best)
