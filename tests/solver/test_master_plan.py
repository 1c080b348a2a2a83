"""Plans from the Lagrangian master's programmes (:mod:`stagematch.solver.master_plan`).

Every component is searched, bounded by the Lagrangian bound and left unpolished
(``PLANNED``), so the master's MILP makes a plan after each level; ``WEAK`` hardly searches,
so that those plans are adopted. Each is compared with the same solve without them. On random tiny instances and pilot-shaped ones: the plan keeps every
rule (the independent checker), its reported levels are ``check``'s, it is never
lexicographically worse than without the master's plans, the same solve gives the same plan,
its values never beat the brute-force optimum and its bounds are never below it (where the
levels above are optimal), and each bound allows an independent MILP's optimum given the
levels above the returned plan reached. The rule check the plans pass before adoption agrees
with ``check`` on random choices of pairs. With minimum QPV shares (whose rows only the
master's MILP holds) the plans keep the share and never beat the best plan that keeps it
(enumerated), and on pilot-shaped instances with a share the master's plans are adopted.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from bruteforce import best_plan_where, brute_force, oriented
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot_family import milp_optimum, pilot_shaped
from search_support import everyone, not_worse, prepared
from strategies import instances
from test_fairness import Brute
from test_qpv_share import share_holds, shared_instances, with_shares

from stagematch.check import check
from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.result import Result
from stagematch.solver import SolveOptions, Tuning, solve
from stagematch.solver import master_plan as master_plan_module
from stagematch.solver.context import Chosen
from stagematch.solver.graph import Part, component_data, materialise
from stagematch.solver.master_plan import MasterPlanner, broken_rules, keeps_every_rule

PLANNED = Tuning(exact_pairs=0, relaxation_pairs=0, lagrangian_pairs=0, polish_pairs=0)
FEW_NODES = replace(PLANNED, master_plan_nodes=1)
INSTEAD_OF_POLISH = replace(PLANNED, polish_pairs=100_000)
"""The master's plans take the polish's place (without them the polish runs)."""
WEAK = replace(PLANNED, min_component_work=0.0, reassign_pairs=0)
"""With a budget of ``WEAK_BUDGET``, the search hardly moves: the master's plans are adopted."""
WEAK_BUDGET = 0.001
BELOW_RELAXATION = replace(WEAK, relaxation_pairs=100_000, polish_pairs=100_000)
"""Components above ``lagrangian_pairs`` (0) and below ``relaxation_pairs``: the Lagrangian
path where its bound models every rule (the shares priced as the rows they imply), the
interior point's bound and the polish otherwise."""
RULES = {
    "capacity",
    "reserved_seats",
    "qpv_min_share",
    "overlap",
    "max_placements",
    "workshop_once",
}


def _solved(instance: Instance, tuning: Tuning, seed: int, planned: bool = True) -> Result:
    """The solve with ``tuning``, or (``planned=False``) the same without the master's plans."""
    tuning = tuning if planned else replace(tuning, master_plan_nodes=0)
    budget = WEAK_BUDGET if tuning.min_component_work == 0 else None
    return solve(instance, SolveOptions(seed=seed, time_limit=600, tuning=tuning, budget=budget))


def _values(result: Result) -> dict[str, float]:
    return {name: level.value for name, level in result.levels.items()}


def _holds(level: str, value: float, bound: float) -> bool:
    """Is ``bound`` at least as good as ``value`` for ``level``?"""
    return bound == pytest.approx(value) or LEVELS[level].better(bound, value)


def _checked(instance: Instance, result: Result) -> dict[str, float]:
    """The result's levels, after ``check`` found no violation and the same levels."""
    report = check(instance, result.plan)
    assert report.violations == (), report.violations
    values = _values(result)
    assert values == pytest.approx(dict(report.levels))
    return values


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    instances(max_students=5, max_offers=3, max_slots=3),
    st.integers(0, 3),
    st.sampled_from([PLANNED, FEW_NODES, WEAK, INSTEAD_OF_POLISH]),
)
def test_master_plans_keep_every_rule_and_never_beat_the_brute_force_optimum(
    instance: Instance, seed: int, tuning: Tuning
) -> None:
    result = _solved(instance, tuning, seed)
    values = _checked(instance, result)
    objective = list(instance.settings.objective)
    if tuning.polish_pairs == 0:  # the polish may do better than the master: no order then
        unplanned = _values(_solved(instance, tuning, seed, planned=False))
        assert not_worse(objective, values, unplanned)
    assert _solved(instance, tuning, seed).plan == result.plan
    expected, _ = brute_force(instance)
    assert not_worse(objective, expected, values), (expected, values)
    for k, name in enumerate(objective):
        bound = result.levels[name].bound
        assert _holds(name, values[name], bound), (name, values[name], bound)
        if all(values[above] == pytest.approx(expected[above]) for above in objective[:k]):
            assert _holds(name, expected[name], bound), (name, expected[name], bound)


def _solved_and_adopted(
    instance: Instance, seed: int, tuning: Tuning = WEAK
) -> tuple[Result, list[str]]:
    """The solve with ``tuning``, and the levels whose master's plan was adopted."""
    adopted: list[str] = []
    call = MasterPlanner.__call__

    def spy(self: MasterPlanner, level: str, master: object) -> dict[str, float] | None:
        better = call(self, level, master)  # type: ignore[arg-type]
        adopted.extend([level] if better is not None else [])
        return better

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(master_plan_module.MasterPlanner, "__call__", spy)
        return _solved(instance, tuning, seed), adopted


@pytest.mark.parametrize("seed", [1, 2, 6])
def test_master_plans_on_pilot_shaped_instances(seed: int) -> None:
    """value ≤ the independent MILP's optimum given the levels above ≤ bound (maximised
    levels; the reverse for minimised ones), never worse than without the master's plans, and
    the master's MILP made the plan returned on at least one level."""
    instance = pilot_shaped(seed)
    result, adopted = _solved_and_adopted(instance, seed)
    values = _checked(instance, result)
    assert adopted, "no plan of the master's was adopted"
    objective = list(instance.settings.objective)
    assert not_worse(objective, values, _values(_solved(instance, WEAK, seed, planned=False)))
    optimum = milp_optimum(instance, reached=values)
    for name, level in result.levels.items():
        assert _holds(name, values[name], optimum[name]), (name, values[name], optimum[name])
        assert _holds(name, optimum[name], level.bound), (name, optimum[name], level.bound)
    assert _solved(instance, WEAK, seed).plan == result.plan


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shared_instances(max_students=4, max_offers=3, max_slots=1),
    st.integers(0, 3),
    st.sampled_from([PLANNED, WEAK]),
)
def test_master_plans_keep_minimum_qpv_shares_and_never_beat_the_best_plan_with_them(
    instance: Instance, seed: int, tuning: Tuning
) -> None:
    result = _solved(instance, tuning, seed)
    values = _checked(instance, result)  # check includes the share
    brute = Brute.of(instance)
    assert share_holds(brute, result.plan)
    best = best_plan_where(instance, lambda plan: share_holds(brute, plan))
    assert best is not None
    assert oriented(instance, values) <= tuple(v + 1e-6 for v in best[0])
    first = instance.settings.objective[0]
    assert _holds(first, abs(best[0][0]), result.levels[first].bound)
    objective = list(instance.settings.objective)
    assert not_worse(objective, values, _values(_solved(instance, tuning, seed, planned=False)))
    assert _solved(instance, tuning, seed).plan == result.plan


@pytest.mark.parametrize(("seed", "share"), [(1, 30), (2, 50), (6, 30)])
def test_master_plans_with_a_minimum_qpv_share_are_adopted(seed: int, share: int) -> None:
    """Where a share binds, the master's MILP (with the share's rows) makes plans that are
    adopted: never worse than the search alone, every rule kept. (Before session 11 such
    components had no plans from the master.)"""
    instance = with_shares(pilot_shaped(seed), share, {})
    result, adopted = _solved_and_adopted(instance, seed)
    values = _checked(instance, result)
    assert share_holds(Brute.of(instance), result.plan)
    assert adopted, "no plan of the master's was adopted"
    objective = list(instance.settings.objective)
    assert not_worse(objective, values, _values(_solved(instance, WEAK, seed, planned=False)))
    for name, level in result.levels.items():
        assert _holds(name, values[name], level.bound), (name, values[name], level.bound)


@pytest.mark.parametrize(("seed", "share"), [(1, 30), (6, 50)])
def test_components_with_a_share_below_the_relaxation_size_get_the_masters_plans(
    seed: int, share: int
) -> None:
    """A minimum QPV share no longer sends a component of the relaxation's size to the
    interior point and the polish (session 12): its Lagrangian bound prices the share, so the
    master makes plans there, which keep the share and every bound holds."""
    instance = with_shares(pilot_shaped(seed), share, {})
    result, adopted = _solved_and_adopted(instance, seed, BELOW_RELAXATION)
    values = _checked(instance, result)
    assert share_holds(Brute.of(instance), result.plan)
    assert adopted, "the component did not take the Lagrangian path"
    optimum = milp_optimum(instance, reached=values)
    for name, level in result.levels.items():
        assert _holds(name, optimum[name], level.bound), (name, optimum[name], level.bound)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shared_instances(max_students=6, max_offers=4, max_slots=4), st.integers(0, 2**16))
def test_the_rule_check_agrees_with_check_on_random_choices(instance: Instance, seed: int) -> None:
    context = prepared(instance, PLANNED)
    students = everyone(context)
    n = context.arrays.n_students
    cand = context.cand
    pairs = np.diff(cand.offers.indptr(n)) + np.diff(cand.slots.indptr(n))
    part = Part(students, int(pairs[students].sum()))
    component = materialise(part, cand.offers.indptr(n), cand.slots.indptr(n))
    data = component_data(context, component)
    rng = np.random.default_rng(seed)
    x = rng.random(len(component.offer_pairs)) < 0.4
    y = rng.random(len(component.slot_pairs)) < 0.4
    chosen = Chosen(np.zeros(len(cand.offers), dtype=bool), np.zeros(len(cand.slots), dtype=bool))
    chosen.offer_chosen[component.offer_pairs] = x
    chosen.slot_chosen[component.slot_pairs] = y
    report = check(instance, chosen.plan(context.arrays, cand))
    broken = {v.rule for v in report.violations} & RULES
    assert bool(broken_rules(data, x, y)) == bool(broken), (broken_rules(data, x, y), broken)
    if keeps_every_rule(data, context.objective) and not broken_rules(data, x, y):
        assert report.violations == ()
