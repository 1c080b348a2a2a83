"""The floor of every wished pair never cuts off the optimum, and counts what it says.

On pilot-shaped instances (:mod:`pilot_family`) the plan's ``placed`` and ``qpv_placed`` are
fixed; a plain independent MILP (:func:`pilot_family.milp_optimum`) finds the best
``preference`` among the plans at least as good on the levels before it, which the floor must
allow when ``placed`` ranks above ``preference``; above its limit of ranked pairs there is
none. It must never exceed the transportation
problem's exact optimum (every pair's seats counted: the seat-counting floor with every pair
listed), and must equal it when no offer is unranked for anyone (then nothing is relaxed).
"""

from __future__ import annotations

import numpy as np
from bound_checks import TIME_LIMIT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot_family import milp_optimum, pilot_shaped

from stagematch.candidates import candidates
from stagematch.model import Instance
from stagematch.solver import solve
from stagematch.solver.seat_bounds import seat_bounds
from stagematch.solver.wish_floor import wish_floor


def _floors(instance: Instance, placed: int, qpv: int) -> tuple[float | None, float | None]:
    """The wished pairs' floor and the exact transportation optimum (every pair listed)."""
    cand = candidates(instance)
    arrays = instance.arrays
    everyone = np.ones(arrays.n_students, dtype=bool)
    every_pair = np.arange(len(cand.offers), dtype=np.int64)
    exact = seat_bounds(arrays, cand, everyone, every_pair, placed, qpv).preference_floor
    return wish_floor(arrays, cand, everyone, placed, qpv, len(cand.offers)), exact


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_the_wish_floor_holds_on_the_pilot_shaped_family(seed: int) -> None:
    instance = pilot_shaped(seed, students=24)
    result = solve(instance, time_limit=TIME_LIMIT, seed=seed)
    reached = {name: level.value for name, level in result.levels.items()}
    objective = list(result.levels)
    if objective.index("placed") > objective.index("preference"):
        return  # no floor: nothing above forces a placement
    qpv_first = objective.index("qpv_placed") < objective.index("preference")
    qpv = int(reached["qpv_placed"]) if qpv_first else 0
    floor, exact = _floors(instance, int(reached["placed"]), qpv)
    assert floor is not None and exact is not None
    assert floor <= exact + 1e-9
    cand, everyone = candidates(instance), np.ones(instance.arrays.n_students, dtype=bool)
    ranked = int(np.count_nonzero(cand.offer_rank > 0))
    too_few = wish_floor(instance.arrays, cand, everyone, int(reached["placed"]), qpv, ranked - 1)
    assert too_few is None or ranked == 0  # more ranked pairs than allowed: no floor
    at_limit = wish_floor(instance.arrays, cand, everyone, int(reached["placed"]), qpv, ranked)
    assert at_limit == floor  # as many as allowed: the floor
    best = milp_optimum(instance, reached)["preference"]
    assert floor <= best + 1e-6
    assert result.levels["preference"].bound <= best + 1e-6  # as the solver reports it


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_with_every_offer_wished_the_floor_is_the_exact_optimum(seed: int) -> None:
    data = pilot_shaped(seed, students=24).to_dict()
    offers = [o["offer_id"] for o in data["offers"]]
    for student in data["students"]:
        student["wished_offers"] = offers  # every offer ranked: no unranked seat to relax
    instance = Instance.from_dict(data)
    result = solve(instance, time_limit=TIME_LIMIT, seed=seed)
    floor, exact = _floors(instance, int(result.levels["placed"].value), 0)
    assert floor is not None and exact is not None
    assert abs(floor - exact) <= 1e-9
