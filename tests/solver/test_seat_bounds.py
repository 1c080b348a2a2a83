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
import pytest
from bound_checks import TIME_LIMIT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot_family import milp_optimum, pilot_shaped

from stagematch.arrays import InstanceArrays, ItemArrays
from stagematch.candidates import candidates
from stagematch.solver import seat_bounds as seat_bounds_module
from stagematch.solver import solve
from stagematch.solver.seat_bounds import MINUTE_UNITS, seat_bounds
from stagematch.solver.shortlist import shortlist
from stagematch.travel import Pairs


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
    attends_first = objective.index("workshops") < objective.index("travel")
    must_attend = int(reached["workshops"]) if attends_first else 0
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
        must_attend,
        instance.settings.workshops_per_student,
    )
    assert best["coverage"] <= bounds.coverage + 1e-6
    if must_attend:
        assert bounds.session_minutes is not None
        assert bounds.session_minutes <= best["travel"] + 1e-6
    if must_place and must_attend:
        assert bounds.placement_minutes is not None and bounds.session_minutes is not None
        assert bounds.placement_minutes + bounds.session_minutes <= best["travel"] + 1e-6
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
def test_the_floors_are_the_transportation_optima(
    seed: int, share: float, qpv_share: float
) -> None:
    """Every pair listed: the placements' floors equal the least cost of placing ``P``
    students, ``Q`` of them QPV students, one placement each, within seats and reserved seats;
    the sessions' floor the least minutes of ``W`` sessions, at most ``workshops_per_student``
    a student (plain LPs over the pairs)."""
    instance = pilot_shaped(seed, students=24)
    cand = candidates(instance)
    arrays = instance.arrays
    n = arrays.n_students
    reachable = np.unique(cand.offers.student)
    must_place = max(1, int(share * len(reachable)))
    must_place_qpv = min(int(qpv_share * int(arrays.qpv[reachable].sum())), must_place)
    per_student = instance.settings.workshops_per_student
    must_attend = max(1, int(share * per_student * len(np.unique(cand.slots.student))))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seat_bounds_module, "SESSION_LIST", len(cand.slots))
        bounds = seat_bounds(
            arrays,
            cand,
            np.ones(n, dtype=bool),
            np.arange(len(cand.offers)),
            must_place,
            must_place_qpv,
            must_attend,
            per_student,
        )

    def minutes(pairs: Pairs) -> np.ndarray:
        return np.floor(pairs.minutes.astype(np.float64) * MINUTE_UNITS) / MINUTE_UNITS

    offers, slots = cand.offers, cand.slots
    cases = (
        (bounds.preference_floor, offers, arrays.offers, cand.offer_cost, must_place, 1),
        (bounds.placement_minutes, offers, arrays.offers, minutes(offers), must_place, 1),
        (bounds.session_minutes, slots, arrays.slots, minutes(slots), must_attend, per_student),
    )
    for floor, pairs, items, cost, units, each in cases:
        qpv_units = must_place_qpv if pairs is offers else 0
        best = _transportation_lp(arrays, pairs, items, cost, units, qpv_units, each)
        if best is None:  # no plan has that many (the flow may still bound: nothing to check)
            continue
        assert floor is not None
        assert abs(floor - best) <= 1e-6 * (1 + abs(best))


def _transportation_lp(
    arrays: InstanceArrays,
    pairs: Pairs,
    items: ItemArrays,
    cost: np.ndarray,
    units: int,
    qpv_units: int,
    per_student: int,
) -> float | None:
    """The least ``cost`` of ``units`` pairs, ``qpv_units`` of them QPV students', at most
    ``per_student`` a student, within the items' seats and reserved seats: an LP."""
    student = pairs.student.astype(np.int64)
    item = pairs.item.astype(np.int64)
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
        row(np.flatnonzero(student == s), -inf, per_student)
    for i in np.unique(item):
        capacity = int(items.capacity[i])
        reserved = min(int(items.reserved[i]), capacity)
        row(np.flatnonzero(item == i), -inf, capacity)
        row(np.flatnonzero((item == i) & ~qpv), -inf, capacity - reserved)
    row(np.arange(len(cost)), units, inf)
    row(np.flatnonzero(qpv), qpv_units, inf)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return float(h.getInfo().objective_function_value)
