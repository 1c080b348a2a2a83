"""The exact model's search is capped in branch-and-bound nodes, which do not depend on the clock.

HiGHS has no deterministic time; :func:`stagematch.solver.milp.solve_component` turns a
component's work into nodes (``NODES_PER_WORK``). A budget too small to prove the levels must
still give the same plan on every run, with ``stopped_by`` left at ``None`` — the documented
meaning: the work budget ended the search — and ``status`` saying the levels were not proven.
"""

from __future__ import annotations

from pilot_family import pilot_shaped

from stagematch.check import check
from stagematch.solver import SolveOptions, Tuning, solve

# Generous: only the node cap may end these solves.
TIME_LIMIT = 600.0


def test_a_tiny_work_budget_caps_highs_the_same_way_on_every_run() -> None:
    instance = pilot_shaped(3, students=40)
    tiny = SolveOptions(budget=0.02, tuning=Tuning(min_component_work=0.0))
    first = solve(instance, tiny, seed=1, time_limit=TIME_LIMIT)
    second = solve(instance, tiny, seed=1, time_limit=TIME_LIMIT)
    assert first.stopped_by is None and second.stopped_by is None
    assert first.status == "feasible"  # the cap bit: some level is left unproven
    assert first.plan == second.plan
    assert first.levels == second.levels
    assert check(instance, first.plan).ok
    for level in first.levels.values():  # whatever was cut, the bounds still hold
        assert level.gap >= 0
    full = solve(instance, seed=1, time_limit=TIME_LIMIT)
    assert full.status == "optimal" and full.stopped_by is None
