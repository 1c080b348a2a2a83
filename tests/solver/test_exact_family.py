"""Exact levels on the pilot-shaped family: the solver against an independent MILP and brute force.

Every instance of :mod:`pilot_family` is solved with the default settings; the plan must pass
the independent checker, the status must be ``optimal`` and every level of the objective must
equal the optimum that a plain lexicographic MILP, written in the tests with ``highspy`` and
sharing no code with the solver, proves for the same instance. The tiny members are compared
with the exhaustive enumeration of :mod:`bruteforce` as well.
"""

from __future__ import annotations

import math

import pytest
from bruteforce import brute_force_levels
from pilot_family import milp_optimum, pilot_shaped, tiny_pilot_shaped

from stagematch.check import check
from stagematch.solver import solve

# Generous: these instances are proven in about a second; the limit only keeps a broken
# solver from hanging the suite.
TIME_LIMIT = 120.0


def _assert_levels_equal(reached: dict[str, float], optimum: dict[str, float]) -> None:
    for name, best in optimum.items():
        assert math.isclose(reached[name], best, rel_tol=1e-9, abs_tol=1e-6), (name, reached, best)


@pytest.mark.parametrize("seed", range(12))
def test_pilot_shaped_levels_are_the_milp_optimum(seed: int) -> None:
    instance = pilot_shaped(seed, students=30 + 6 * seed)
    result = solve(instance, time_limit=TIME_LIMIT, seed=seed)
    report = check(instance, result.plan)
    assert report.ok, report.violations[:3]
    assert result.status == "optimal"
    reached = {name: level.value for name, level in result.levels.items()}
    _assert_levels_equal(reached, milp_optimum(instance))
    _assert_levels_equal(reached, {name: report.levels[name] for name in reached})
    for level in result.levels.values():
        assert level.bound == pytest.approx(level.value)


@pytest.mark.parametrize("seed", range(12))
def test_tiny_pilot_shaped_levels_are_the_brute_force_optimum(seed: int) -> None:
    instance = tiny_pilot_shaped(seed)
    result = solve(instance, time_limit=TIME_LIMIT, seed=seed)
    assert check(instance, result.plan).ok
    best = brute_force_levels(instance)
    optimum = {name: best[name] for name in instance.settings.objective}
    _assert_levels_equal({n: lv.value for n, lv in result.levels.items()}, optimum)
    _assert_levels_equal(milp_optimum(instance), optimum)
