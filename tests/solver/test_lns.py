"""Large-neighbourhood search (:mod:`stagematch.solver.lns`): never worse, exact when whole.

Each step re-optimises a neighbourhood with every level at least as good as it was, and a step
is kept only if the plan is lexicographically better: whatever the neighbourhoods, the plan
returned is valid and never worse than the plan given. A neighbourhood holding every student
with all their pairs is the exact model, so one step from an empty plan reaches the
lexicographic optimum (brute force). (A lone student is never searched: there is no one to
trade seats with, and the warm start already gives them the best that fits.)
"""

from __future__ import annotations

import dataclasses

import numpy as np
from bruteforce import brute_force
from hypothesis import assume, given, settings
from search_support import TOL, checked_levels, everyone, not_worse, prepared
from strategies import instances, make_instance

from stagematch.model import Instance
from stagematch.solver import Tuning
from stagematch.solver.context import Chosen
from stagematch.solver.lns import improve
from stagematch.solver.warmstart import warm_start


@settings(max_examples=20)
@given(instances(max_students=6, max_offers=4, max_slots=3))
def test_small_neighbourhoods_never_make_the_plan_worse(instance: Instance) -> None:
    context = prepared(instance, Tuning(neighbourhood=2, pairs_per_student=1))
    chosen = warm_start(context).chosen
    before = checked_levels(context, chosen)
    improve(context, chosen, everyone(context), work=2.0)
    after = checked_levels(context, chosen)
    assert not_worse(context.objective, after, before), (before, after)


@settings(max_examples=15)
@given(instances(min_students=2, max_students=5, max_offers=3, max_slots=3))
def test_one_neighbourhood_of_everyone_reaches_the_optimum(instance: Instance) -> None:
    context = prepared(instance, Tuning(neighbourhood=100, pairs_per_student=100))
    context = dataclasses.replace(context, leading=[])  # nothing proven: optimise every level
    chosen = Chosen(
        np.zeros(len(context.cand.offers), dtype=bool),
        np.zeros(len(context.cand.slots), dtype=bool),
    )
    students = everyone(context)
    assume(len(students) >= 2)  # a lone student is never searched (module docstring)
    improve(context, chosen, students, work=100.0)
    after = checked_levels(context, chosen)
    optimum, _ = brute_force(instance)
    for level in context.objective:
        assert abs(after[level] - optimum[level]) < TOL, (level, after, optimum)


@settings(max_examples=10)
@given(instances(max_students=6, max_offers=4, max_slots=3))
def test_the_same_seed_gives_the_same_steps(instance: Instance) -> None:
    runs = []
    for _ in range(2):
        context = prepared(instance, Tuning(neighbourhood=2, pairs_per_student=2))
        chosen = warm_start(context).chosen
        steps = improve(context, chosen, everyone(context), work=1.0)
        runs.append((steps, chosen.offer_chosen.tolist(), chosen.slot_chosen.tolist()))
    assert runs[0] == runs[1]


def _placed_with(free_pairs: int) -> float:
    # Both students want O1 most, which S2 holds; S1's second wish O2 is free but beyond the
    # one cheapest pair a neighbourhood keeps per student. Only the free-seat pairs let a step
    # place S1.
    instance = make_instance(
        students=[
            {"student_id": "S1", "wished_offers": "O1;O2"},
            {"student_id": "S2", "wished_offers": "O1;O2"},
        ],
        offers=[{"offer_id": "O1"}, {"offer_id": "O2"}],
    )
    # No flow at the end (it would place S1 from every pair): the neighbourhoods alone.
    tuning = Tuning(
        pairs_per_student=1, free_pairs_per_student=free_pairs, reassign_pairs=0, region_pairs=0
    )
    context = prepared(instance, tuning)
    context = dataclasses.replace(context, leading=[])  # optimise `placed` too
    cand, arrays = context.cand, context.arrays
    s2, o1 = arrays.student_ids.index("S2"), arrays.offers.ids.index("O1")
    chosen = Chosen(
        (cand.offers.student == s2) & (cand.offers.item == o1),
        np.zeros(len(cand.slots), dtype=bool),
    )
    improve(context, chosen, everyone(context), work=5.0)
    return checked_levels(context, chosen)["placed"]


def test_a_neighbourhood_offers_its_students_the_free_seats_beyond_their_cheapest_pairs() -> None:
    assert _placed_with(free_pairs=0) == 1
    assert _placed_with(free_pairs=1) == 2
