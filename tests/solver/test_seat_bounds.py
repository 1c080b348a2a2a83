"""Bounds that count seats never cut off the optimum, whatever the short lists they price.

On pilot-shaped instances (:mod:`pilot_family`) the plan's values are fixed as the levels
above, and a plain independent MILP (:func:`pilot_family.milp_optimum`) finds the best value
of each level among the plans at least as good on the levels before it; the seat-counting
bounds, conditional on less (``placed`` and ``qpv_placed`` alone), must allow it. Short lists
of one to five pairs a student leave most pairs off the list, where only their least cost
stands in. With every pair on the list, the placements' floor must *equal* the transportation
problem's optimum, found here by a plain LP over the pairs (``highspy``, no code shared): the
min-cost flow is exact, not just valid.
"""

from __future__ import annotations

import highspy
import numpy as np
from bound_checks import TIME_LIMIT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot_family import milp_optimum, pilot_shaped

from stagematch.candidates import Candidates, candidates
from stagematch.model import Instance
from stagematch.solver import solve
from stagematch.solver.seat_bounds import MINUTE_UNITS, seat_bounds
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
    qpv_first = objective.index("qpv_placed") < min(
        objective.index("preference"), objective.index("travel")
    )
    bounds = seat_bounds(
        instance.arrays,
        cand,
        np.ones(n, dtype=bool),
        shortlist(cand, n, listed),
        must_place,
        int(reached["qpv_placed"]) if qpv_first else 0,
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
    bounds = seat_bounds(instance.arrays, cand, np.ones(n, dtype=bool), shortlist(cand, n, 3), 0)
    assert bounds.preference_floor is None and bounds.placement_minutes is None


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), share=st.floats(0.2, 1.0), qpv_share=st.floats(0.0, 1.0))
def test_the_floor_is_the_transportation_optimum(seed: int, share: float, qpv_share: float) -> None:
    """Every pair listed: the floors equal the least cost of placing ``P`` students, ``Q`` of
    them QPV students, one placement each, within seats and reserved seats (a plain LP)."""
    instance = pilot_shaped(seed, students=24)
    cand = candidates(instance)
    arrays = instance.arrays
    n = arrays.n_students
    reachable = np.unique(cand.offers.student)
    must_place = max(1, int(share * len(reachable)))
    qpv_reachable = int(arrays.qpv[reachable].sum())
    must_place_qpv = min(int(qpv_share * qpv_reachable), must_place)
    every_pair = np.arange(len(cand.offers))
    bounds = seat_bounds(
        arrays, cand, np.ones(n, dtype=bool), every_pair, must_place, must_place_qpv
    )
    minutes = np.floor(cand.offers.minutes.astype(np.float64) * MINUTE_UNITS) / MINUTE_UNITS
    for floor, cost in (
        (bounds.preference_floor, cand.offer_cost),
        (bounds.placement_minutes, minutes),
    ):
        best = _transportation_lp(
            instance, cand, cost.astype(np.float64), must_place, must_place_qpv
        )
        if best is None:  # no plan places that many (the flow may still bound: nothing to check)
            continue
        assert floor is not None
        assert abs(floor - best) <= 1e-6 * (1 + abs(best))


def _transportation_lp(
    instance: Instance, cand: Candidates, cost: np.ndarray, must_place: int, must_place_qpv: int
) -> float | None:
    """The least ``cost`` of a first placement for ``must_place`` students, ``must_place_qpv``
    of them QPV, within the offers' seats and reserved seats: an LP over the pairs."""
    arrays = instance.arrays
    student = cand.offers.student.astype(np.int64)
    item = cand.offers.item.astype(np.int64)
    qpv = arrays.qpv[student]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    for c in cost:
        h.addVar(0.0, 1.0)
        h.changeColCost(h.getNumCol() - 1, float(c))

    def row(cols: np.ndarray, lower: float, upper: float) -> None:
        h.addRow(lower, upper, len(cols), cols.astype(np.int32), np.ones(len(cols)))

    for s in np.unique(student):
        row(np.flatnonzero(student == s), -inf, 1.0)
    for i in np.unique(item):
        capacity = int(arrays.offers.capacity[i])
        reserved = min(int(arrays.offers.reserved[i]), capacity)
        row(np.flatnonzero(item == i), -inf, capacity)
        row(np.flatnonzero((item == i) & ~qpv), -inf, capacity - reserved)
    row(np.arange(len(cost)), must_place, inf)
    row(np.flatnonzero(qpv), must_place_qpv, inf)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return float(h.getInfo().objective_function_value)
