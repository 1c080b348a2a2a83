"""The polish of a searched component's lower levels (:mod:`stagematch.solver.polish`).

Drawn with and without the rounding of fractional optima (``polish_nodes=0``), from
``coverage`` or from ``workshops`` on, and with an iteration cap that stops most relaxations.

From the warm start and from random valid plans: the polished plan keeps every rule (the
independent checker), is never lexicographically worse than its start, and comes back the same
from the same start. Every bound it reports holds: on tiny instances against the brute force
(where the levels above reached the optimum), on pilot-shaped ones against an independent MILP
optimised over the plans at least as good as the polished one on the levels above — which also
shows that a level reported proven (bound = value) is that conditional optimum. Through the
whole solve (search forced by ``exact_pairs=0``), the reported levels are ``check``'s and the
plan is never worse than the same search without the polish.
"""

from __future__ import annotations

import numpy as np
import pytest
from bruteforce import brute_force
from hypothesis import given, settings
from hypothesis import strategies as st
from pilot_family import milp_optimum, pilot_shaped
from search_support import checked_levels, everyone, not_worse, prepared
from strategies import instances
from test_reassign import _random_plan

from stagematch.check import check
from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.solver import SolveOptions, Tuning, solve
from stagematch.solver.context import Chosen, SolveContext
from stagematch.solver.graph import Part
from stagematch.solver.polish import polish
from stagematch.solver.warmstart import warm_start

FROM_COVERAGE = Tuning()
FROM_WORKSHOPS = Tuning(polish_levels=("workshops", "coverage", "preference", "travel"))
TINY_CAP = Tuning(polish_iterations=3)  # most levels stop at the cap: plan kept, bound valid
NO_ROUNDING = Tuning(polish_levels=FROM_WORKSHOPS.polish_levels, polish_nodes=0)


def _whole(context: SolveContext) -> Part:
    """Every student with a candidate pair, as one part."""
    students = everyone(context)
    n = context.arrays.n_students
    pairs = np.diff(context.cand.offers.indptr(n)) + np.diff(context.cand.slots.indptr(n))
    return Part(students, int(pairs[students].sum()))


def _polished(
    instance: Instance, tuning: Tuning, seed: int
) -> tuple[SolveContext, Chosen, dict[str, float], dict[str, int]]:
    """The context, the plan after the polish, the start's levels and the bounds proven."""
    context = prepared(instance, tuning)
    chosen = _random_plan(context, seed) or warm_start(context).chosen
    before = checked_levels(context, chosen)
    bounds = polish(context, _whole(context), chosen)
    return context, chosen, before, bounds


def _holds(level: str, value: float, bound: float) -> bool:
    """Is ``bound`` at least as good as ``value`` for ``level``?"""
    return bound == pytest.approx(value) or LEVELS[level].better(bound, value)


@settings(max_examples=40, deadline=None)
@given(
    instances(max_students=5, max_offers=3, max_slots=3),
    st.integers(0, 2**16),
    st.sampled_from([FROM_COVERAGE, FROM_WORKSHOPS, TINY_CAP, NO_ROUNDING]),
)
def test_the_polish_keeps_every_rule_is_never_worse_and_its_bounds_hold(
    instance: Instance, seed: int, tuning: Tuning
) -> None:
    context, chosen, before, bounds = _polished(instance, tuning, seed)
    after = checked_levels(context, chosen)
    objective = context.objective
    assert not_worse(objective, after, before), (before, after)
    _, again, _, bounds_again = _polished(instance, tuning, seed)
    assert np.array_equal(chosen.offer_chosen, again.offer_chosen)
    assert np.array_equal(chosen.slot_chosen, again.slot_chosen)
    assert bounds == bounds_again
    scale = context.scale
    expected, _ = brute_force(instance)
    for k, level in enumerate(objective):
        if level not in bounds:
            continue
        bound = bounds[level] / (scale if level == "travel" else 1)
        assert _holds(level, after[level], bound), (level, after[level], bound)
        if all(after[above] == pytest.approx(expected[above]) for above in objective[:k]):
            assert _holds(level, expected[level], bound), (level, expected[level], bound)


@pytest.mark.parametrize("seed", [1, 4, 7, 10])
@pytest.mark.parametrize(
    "tuning",
    [FROM_COVERAGE, FROM_WORKSHOPS, NO_ROUNDING],
    ids=["coverage", "workshops", "no-rounding"],
)
def test_polished_levels_meet_an_independent_milp_given_the_levels_above(
    seed: int, tuning: Tuning
) -> None:
    """value ≤ the MILP's conditional optimum ≤ bound (maximised levels; the reverse for
    minimised ones): every bound holds, and a level whose bound equals its value is optimal."""
    instance = pilot_shaped(seed)
    context, chosen, before, bounds = _polished(instance, tuning, seed)
    after = checked_levels(context, chosen)
    assert not_worse(context.objective, after, before), (before, after)
    optimum = milp_optimum(instance, reached=after)
    assert bounds, "the polish proved nothing"
    for level, scaled in bounds.items():
        bound = scaled / (context.scale if level == "travel" else 1)
        assert _holds(level, after[level], optimum[level]), (level, after[level], optimum[level])
        assert _holds(level, optimum[level], bound), (level, optimum[level], bound)


@pytest.mark.parametrize("seed", [2, 5])
def test_the_solve_reports_the_polished_plan_and_is_never_worse_than_without(seed: int) -> None:
    instance = pilot_shaped(seed)
    searched = SolveOptions(seed=0, time_limit=600, tuning=Tuning(exact_pairs=0))
    plain = SolveOptions(seed=0, time_limit=600, tuning=Tuning(exact_pairs=0, polish_pairs=0))
    result = solve(instance, searched)
    report = check(instance, result.plan)
    assert report.ok, report.violations
    assert {name: level.value for name, level in result.levels.items()} == pytest.approx(
        dict(report.levels)
    )
    without = solve(instance, plain)
    values = {name: level.value for name, level in result.levels.items()}
    assert not_worse(
        list(instance.settings.objective),
        values,
        {name: level.value for name, level in without.levels.items()},
    )
    assert solve(instance, searched).plan == result.plan
    optimum = milp_optimum(instance, reached=values)
    for name, level in result.levels.items():
        assert _holds(name, optimum[name], level.bound), (name, optimum[name], level.bound)
