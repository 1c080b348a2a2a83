"""Kinds of neighbourhood (:mod:`stagematch.solver.neighbourhoods`) and the steps they make.

A ``sessions`` step frees the students competing for the sessions a seed does not attend, with
their placements kept: it must never make the plan worse on any level, never give anyone a
placement they did not hold, reach a chain of moves that no step of near neighbours of the
same size can, and be deterministic. The kind chooser is deterministic and tries every kind.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from hypothesis import given, settings
from search_support import checked_levels, everyone, not_worse, prepared
from strategies import PERIOD_START, instances, make_instance

from stagematch.model import Instance
from stagematch.solver import Tuning
from stagematch.solver.context import Chosen
from stagematch.solver.lns import _Sweeps, improve
from stagematch.solver.neighbourhoods import EXPLORE, KindChooser
from stagematch.solver.warmstart import warm_start


@settings(max_examples=20)
@given(instances(max_students=6, max_offers=4, max_slots=4))
def test_a_sessions_step_never_makes_the_plan_worse_nor_adds_a_placement(
    instance: Instance,
) -> None:
    context = prepared(instance, Tuning(neighbourhood=2, pairs_per_student=1))
    chosen = warm_start(context).chosen
    before = checked_levels(context, chosen)
    placements = chosen.offer_chosen.copy()
    students = everyone(context)
    sweeps = _Sweeps(context, chosen, students, work=5.0)
    for seed in range(len(students)):
        members = sweeps.neighbourhoods.sessions(seed, chosen.slot_chosen, sweeps.rng)
        assert seed in members
        sweeps.step(students[members], keep_placements=True)
    after = checked_levels(context, chosen)
    assert not_worse(context.objective, after, before), (before, after)
    assert not (chosen.offer_chosen & ~placements).any()  # placements kept or given up


@settings(max_examples=10)
@given(instances(max_students=6, max_offers=4, max_slots=4))
def test_the_same_seed_gives_the_same_plan_with_every_kind(instance: Instance) -> None:
    runs = []
    for _ in range(2):
        context = prepared(instance, Tuning(neighbourhood=1, pairs_per_student=2))
        chosen = warm_start(context).chosen
        steps = improve(context, chosen, everyone(context), work=3.0)
        checked_levels(context, chosen)  # valid
        runs.append((steps, chosen.offer_chosen.tolist(), chosen.slot_chosen.tolist()))
    assert runs[0] == runs[1]


def _chain() -> tuple[Instance, Chosen, int, int]:
    # One seat in each session of workshop W1: A on Monday, B on Tuesday. S1 attends A and
    # holds the one placement (in the second week); S2 is away on Tuesday, so A is the only
    # session S2 can attend. S2 gets a workshop only if S1 moves to B in the same step.
    tuesday = (PERIOD_START + timedelta(days=1)).isoformat()
    second_week = (PERIOD_START + timedelta(days=7)).isoformat()
    instance = make_instance(
        students=[
            {"student_id": "S1", "wished_offers": "O1"},
            {"student_id": "S2", "wished_offers": "O1", "unavailable": tuesday},
        ],
        offers=[{"offer_id": "O1", "start": second_week}],
        slots=[{"slot_id": "A"}, {"slot_id": "B", "date": tuesday}],
        settings={"workshops_per_student": 1},
    )
    context = prepared(instance, Tuning(neighbourhood=1))
    cand, arrays = context.cand, context.arrays
    s1, s2 = arrays.student_ids.index("S1"), arrays.student_ids.index("S2")
    a = arrays.slots.ids.index("A")
    chosen = Chosen(
        cand.offers.student == s1,
        (cand.slots.student == s1) & (cand.slots.item == a),
    )
    return instance, chosen, s1, s2


def test_a_sessions_neighbourhood_reaches_a_chain_that_near_ones_of_one_student_miss() -> None:
    instance, chosen, s1, s2 = _chain()
    context = prepared(instance, Tuning(neighbourhood=1))
    assert checked_levels(context, chosen)["workshops"] == 1
    students = everyone(context)
    sweeps = _Sweeps(context, chosen, students, work=5.0)
    for seed in range(len(students)):
        assert sweeps.step(students[sweeps.neighbourhoods.near(seed)]) is None
    seed = int(np.flatnonzero(students == s2)[0])
    members = students[sweeps.neighbourhoods.sessions(seed, chosen.slot_chosen, sweeps.rng)]
    assert sorted(members.tolist()) == sorted([s1, s2])
    assert sweeps.step(members, keep_placements=True) is not None
    assert checked_levels(context, chosen)["workshops"] == 2


def test_the_kind_chooser_follows_the_gain_per_unit_of_work_and_tries_every_kind() -> None:
    chooser = KindChooser(("near", "sessions"))
    step = 0
    for _ in range(5):  # near gains travel (the 4th level), sessions gains workshops
        step += 1
        chooser.record("near", step, 3, 0.1)
        step += 1
        chooser.record("sessions", step, 0, 0.4)
    assert chooser.choose(step) == "sessions"
    picks = []
    for _ in range(3 * EXPLORE):
        kind = chooser.choose(step)
        picks.append(kind)
        step += 1
        chooser.record(
            kind, step, 0 if kind == "sessions" else 3, 0.4 if kind == "sessions" else 0.1
        )
    assert "near" in picks  # tried again although it gains less
    again = KindChooser(("near", "sessions"))
    assert [again.choose(0), again.choose(EXPLORE)] == ["near", "near"]
