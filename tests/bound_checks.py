"""One check of reported bounds, shared by the tests of every bound the solver computes.

A bound is right when no plan as good as the returned one on the levels before a level does
better on it (the independent MILP of :mod:`pilot_family` finds that best value), and useful
only if it is never looser than the bound that needs no search at all.
"""

from __future__ import annotations

from pilot_family import milp_optimum

from stagematch.check import check
from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.solver import SolveOptions, Tuning, solve

TIME_LIMIT = 300.0
SEARCH_FREE = Tuning(exact_pairs=0, relaxation_pairs=0, first_order_pairs=0)
"""Every component searched, and none given a relaxation or Lagrangian bound."""


def assert_bounds_hold(instance: Instance, tuning: Tuning, seed: int) -> None:
    """Each bound allows the best value of the plans as good as the returned one on the levels
    before it, and is never looser than the search-free bound."""
    result = solve(instance, SolveOptions(tuning=tuning), time_limit=TIME_LIMIT, seed=seed)
    assert check(instance, result.plan).ok
    reached = {name: level.value for name, level in result.levels.items()}
    best = milp_optimum(instance, reached)
    free = solve(instance, SolveOptions(tuning=SEARCH_FREE), time_limit=TIME_LIMIT, seed=seed)
    assert {name: level.value for name, level in free.levels.items()} == reached
    for name, level in result.levels.items():
        if LEVELS[name].maximise:
            assert best[name] - 1e-6 <= level.bound <= free.levels[name].bound + 1e-6, name
        else:
            assert free.levels[name].bound - 1e-6 <= level.bound <= best[name] + 1e-6, name
