"""Bounds that count seats never cut off the optimum, whatever the short lists they price.

On pilot-shaped instances (:mod:`pilot_family`) the plan's values are fixed as the levels
above, and a plain independent MILP (:func:`pilot_family.milp_optimum`) finds the best value
of each level among the plans at least as good on the levels before it; the seat-counting
bounds, conditional on less (``placed`` alone), must allow it. Short lists of one to five
pairs a student leave most pairs off the list, where only their least cost stands in.
"""

from __future__ import annotations

import numpy as np
from bound_checks import TIME_LIMIT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot_family import milp_optimum, pilot_shaped

from stagematch.candidates import candidates
from stagematch.solver import solve
from stagematch.solver.seat_bounds import seat_bounds
from stagematch.solver.shortlist import shortlist


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), listed=st.integers(1, 5))
def test_seat_bounds_hold_on_the_pilot_shaped_family(seed: int, listed: int) -> None:
    instance = pilot_shaped(seed, students=24)
    result = solve(instance, time_limit=TIME_LIMIT, seed=seed)
    reached = {name: level.value for name, level in result.levels.items()}
    best = milp_optimum(instance, reached)
    objective = list(result.levels)
    placed_first = objective.index("placed") < min(
        objective.index("preference"), objective.index("travel")
    )
    cand = candidates(instance)
    n = instance.arrays.n_students
    must_place = int(reached["placed"]) if placed_first else 0
    bounds = seat_bounds(
        instance.arrays,
        cand,
        np.ones(n, dtype=bool),
        shortlist(cand, n, listed),
        must_place,
        reached,
    )
    assert best["coverage"] <= bounds.coverage + 1e-6
    if must_place:
        assert bounds.preference_floor is not None and bounds.placement_minutes is not None
        assert bounds.preference_floor <= best["preference"] + 1e-6
        assert bounds.placement_minutes <= best["travel"] + 1e-6
    else:
        assert bounds.preference_floor is None


def test_no_floor_without_placements_to_make() -> None:
    """Without ``placed`` above, nothing forces a placement: the floors are left unknown."""
    instance = pilot_shaped(7, students=24)
    cand = candidates(instance)
    n = instance.arrays.n_students
    bounds = seat_bounds(
        instance.arrays, cand, np.ones(n, dtype=bool), shortlist(cand, n, 3), 0, {}
    )
    assert bounds.preference_floor is None and bounds.placement_minutes is None
