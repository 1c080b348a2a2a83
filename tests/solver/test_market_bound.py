"""The market bound never cuts off the conditional optimum, whatever its prices.

Pilot-shaped instances (:mod:`pilot_family`: reserved seats, ``max_placements`` 1 or 2, one-
and two-week offers, other objective orders) and a small generated bassin are solved with every
component searched; each component's market bound of ``preference`` and ``travel``, given the
values returned on the levels before, summed over the components, must allow the best value
that a plain, independent MILP (:func:`pilot_family.milp_optimum`) finds among the plans at
least as good as the returned one on the levels before it — with the shipped number of steps,
with one step (prices 0 and multipliers 0 or one step from there) and with each offer its own
piece. A second check is independent of any solver: at random prices, the bound evaluated must
never exceed the same Lagrangian function with each student's best programme found by
enumerating the student's programmes (:func:`bruteforce.programmes`), on instances small enough
for that.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from bound_checks import TIME_LIMIT
from bruteforce import programmes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot_family import milp_optimum, pilot_shaped

from stagematch.check import travel_minutes
from stagematch.generate import generate
from stagematch.model import Instance
from stagematch.solver import SolveOptions, Tuning, solve
from stagematch.solver import components as components_module
from stagematch.solver.market_bound import (
    _COUNTED,
    BOUNDED,
    Market,
    _Dual,
    _Fixed,
    component_market_bounds,
    offer_groups,
)

SEARCHED = Tuning(exact_pairs=0, relaxation_pairs=0, first_order_pairs=0)


def _market_bounds(instance: Instance, seed: int, pieces: int, steps: int) -> dict[str, float]:
    """Each level's market bound summed over the components (travel in minutes), and the
    independent MILP's conditional optimum of it: ``{level: (bound, optimum)}``."""
    totals: dict[str, float] = {}
    scales: list[int] = []
    search = components_module.search_component

    def spy(context, part, chosen, work, flow_best):  # type: ignore[no-untyped-def]
        out = search(context, part, chosen, work, flow_best)
        values = {level: triple[0] for level, triple in out.items()}
        found = component_market_bounds(context, part.students, values, pieces, steps)
        for level, bound in found.items():
            totals[level] = totals.get(level, 0.0) + bound / (
                context.scale if level == "travel" else 1
            )
        scales.append(context.scale)
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(components_module, "search_component", spy)
        result = solve(instance, SolveOptions(tuning=SEARCHED), time_limit=TIME_LIMIT, seed=seed)
    reached = {name: level.value for name, level in result.levels.items()}
    best = milp_optimum(instance, reached)
    assert scales
    return {level: (total, best[level]) for level, total in totals.items()}  # type: ignore[misc]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    pieces=st.sampled_from([1, 4, 1_000]),
    steps=st.sampled_from([1, 5, 60]),
)
def test_market_bounds_hold_on_the_pilot_shaped_family(seed: int, pieces: int, steps: int) -> None:
    for level, (bound, optimum) in _market_bounds(
        pilot_shaped(seed, students=24), seed, pieces, steps
    ).items():
        assert bound <= optimum + 1e-6, level


def test_market_bounds_hold_on_a_generated_bassin() -> None:
    found = _market_bounds(generate("bassin", students=40, seed=3), 3, 4, 60)
    assert set(found) == {"preference", "travel"}
    for level, (bound, optimum) in found.items():
        assert bound <= optimum + 1e-6, level


def test_more_steps_are_never_worse() -> None:
    """The best bound of the steps is kept: 60 steps reach at least what 1 does."""
    instance = generate("bassin", students=40, seed=3)
    one = _market_bounds(instance, 3, 4, 1)
    many = _market_bounds(instance, 3, 4, 60)
    for level in one:
        assert many[level][0] >= one[level][0] - 1e-6, level
        assert math.isfinite(many[level][0])
    assert np.isclose(many["travel"][1], one["travel"][1])


def _small(seed: int) -> Instance:
    """A pilot-shaped instance whose students' programmes can be enumerated."""
    data = pilot_shaped(seed, students=8).to_dict()
    data["offers"] = data["offers"][:6]
    data["workshop_slots"] = data["workshop_slots"][:5]
    kept = {o["offer_id"] for o in data["offers"]} | {w["slot_id"] for w in data["workshop_slots"]}
    data["travel_times"] = [t for t in data.get("travel_times", []) if t["destination"] in kept]
    for student in data["students"]:
        student["wished_offers"] = [o for o in student.get("wished_offers") or [] if o in kept]
        student["wished_offers"] = student["wished_offers"] or None
    return Instance.from_dict(data)


def _enumerated(
    instance: Instance, students: np.ndarray, market: Market, dual: _Dual, z: np.ndarray
) -> float:
    """The Lagrangian function at ``z``, each student's best programme enumerated (travel
    counted as the solver does: each item's minutes in 1/scale minutes, rounded)."""
    prices = np.concatenate(
        (z[: market.n_groups][market.group_of_offer], z[market.n_groups : dual.n_prices])
    )
    items = {("placement", o.offer_id): o for o in instance.offers}
    items.update({("workshop", w.slot_id): w for w in instance.workshop_slots})
    mu = z[dual.n_prices :]
    total = sum(m * f.sign * f.reached for m, f in zip(mu, dual.fixed, strict=True))
    total -= float(z[: dual.n_prices] @ dual.limits)
    for s in students.tolist():
        student = instance.students[s]
        best = -math.inf
        for p in programmes(instance, student):
            values = dict(p.values)
            values["travel"] = sum(
                float(
                    market.units(
                        np.array([travel_minutes(instance, student, items[a.kind, a.item_id])])
                    )[0]
                )
                for a in p.assignments
            )
            value = -values[dual.level] - sum(prices[item] for item, _ in p.seats)
            value += sum(m * f.sign * values[f.name] for m, f in zip(mu, dual.fixed, strict=True))
            best = max(best, value)
        total -= best
    return total


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    pieces=st.sampled_from([1, 2, 100]),
    draw=st.integers(0, 2**31),
)
def test_the_bound_never_exceeds_the_enumerated_lagrangian(
    seed: int, pieces: int, draw: int
) -> None:
    instance = _small(seed)
    captured = []
    search = components_module.search_component

    def spy(context, part, chosen, work, flow_best):  # type: ignore[no-untyped-def]
        out = search(context, part, chosen, work, flow_best)
        captured.append((context, part.students, {lv: t[0] for lv, t in out.items()}))
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(components_module, "search_component", spy)
        solve(instance, SolveOptions(tuning=SEARCHED), time_limit=TIME_LIMIT, seed=seed)
    rng = np.random.default_rng(draw)
    for context, students, values in captured:
        arrays = context.arrays
        groups = offer_groups(arrays.offers, pieces)
        market = Market(arrays.offers, arrays.slots, context.cand, arrays.qpv, students, groups, 1)
        dp = market.programmes(arrays.max_placements[students], arrays.n_half_days)
        cap = np.full(len(students), context.workshops_per_student, dtype=np.int64)
        objective = context.objective
        for level in (lv for lv in objective if lv in BOUNDED):
            above = objective[: objective.index(level)]
            fixed = [
                _Fixed(name, 1.0 if name in _COUNTED else -1.0, values[name])
                for name in above
                if name in (*_COUNTED, *BOUNDED)
            ]
            dual = _Dual(market, dp, level, fixed, cap)
            z = rng.exponential(3.0, len(dual.metric)) * (rng.random(len(dual.metric)) < 0.7)
            bound, _ = dual(z)
            assert bound <= _enumerated(instance, students, market, dual, z) + 1e-6, level
