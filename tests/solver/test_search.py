"""Bounds of a component solved by neighbourhood search (:mod:`stagematch.solver.search`).

The bound of ``coaches`` comes from the relaxation of the sessions alone (placements dropped)
when ``workshops`` ranks above it: it must never promise fewer coaches than exist, i.e. never
exceed the brute force's optimum when the search reached the optimum of the levels above.
That relaxation is solved by the interior point up to ``Tuning.relaxation_pairs`` session pairs
and by PDLP above: both are drawn."""

from __future__ import annotations

from bruteforce import brute_force
from hypothesis import given
from hypothesis import strategies as st
from strategies import instances
from test_coaches import with_coaches

from stagematch.check import check
from stagematch.model import Instance
from stagematch.solver import SolveOptions, Tuning, solve

INTERIOR_POINT = Tuning(exact_pairs=0)
FIRST_ORDER = Tuning(exact_pairs=0, relaxation_pairs=0)  # PDLP for every relaxation


@given(
    instances(max_students=5, max_offers=3, max_slots=3),
    st.integers(1, 3),
    st.sampled_from([INTERIOR_POINT, FIRST_ORDER]),
)
def test_the_searched_coaches_bound_never_exceeds_the_optimum(
    drawn: Instance, capacity: int, tuning: Tuning
) -> None:
    instance = with_coaches(drawn, capacity, 3)  # after qpv_placed, placed, workshops
    searched = SolveOptions(tuning=tuning)
    result = solve(instance, searched, time_limit=10, seed=0)
    assert check(instance, result.plan).ok
    expected, _ = brute_force(instance)
    coaches = result.levels["coaches"]
    assert coaches.bound <= coaches.value
    above = ("qpv_placed", "placed", "workshops")
    if all(result.levels[name].value == expected[name] for name in above):
        assert coaches.bound <= expected["coaches"]
