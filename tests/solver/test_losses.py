"""Where value is lost (:mod:`stagematch.solver.losses`): what each student could get alone
minus what they have, which orders the neighbourhood search's seeds.

The losses are checked against the independent checker: summed over students, each level's
loss is what the students could get alone (the search-free bounds' terms) minus the checker's
level of the plan. And a student missing a workshop comes before every student who misses
nothing.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from strategies import WEEK_2, instances, make_instance

from stagematch.check import check
from stagematch.model import Instance
from stagematch.solver import SolveOptions
from stagematch.solver.bounds import student_terms
from stagematch.solver.context import Chosen, SolveContext
from stagematch.solver.losses import Losses, _own_pairs
from stagematch.solver.pipeline import prepare
from stagematch.solver.warmstart import warm_start


def _context(instance: Instance) -> SolveContext:
    options = SolveOptions(seed=0, time_limit=600)
    return prepare(instance, options.resolved(instance.settings))


def _students(context: SolveContext) -> np.ndarray:
    return np.unique(np.concatenate((context.cand.offers.student, context.cand.slots.student)))


@settings(max_examples=30, deadline=None)
@given(instances(max_students=6, max_offers=4, max_slots=4))
def test_summed_losses_are_what_students_could_get_alone_minus_the_checked_levels(
    instance: Instance,
) -> None:
    context = _context(instance)
    chosen = warm_start(context).chosen
    students = _students(context)
    if not len(students):
        return
    losses = Losses(context, students)
    per_level = losses.per_level(chosen)
    checked = dict(check(instance, chosen.plan(context.arrays, context.cand)).levels)
    terms = losses.terms
    placed = np.zeros(context.arrays.n_students, dtype=bool)
    placed[context.cand.offers.student[chosen.offer_chosen]] = True
    alone = {
        "workshops": float(terms.workshops.sum()),
        "coverage": float((terms.cover_without + terms.cover_gain).sum()),
        "preference": -float(terms.cheapest_cost[placed].sum()),
    }
    signs = {"workshops": 1, "coverage": 1, "preference": -1}
    for level, best in alone.items():
        if level in per_level:
            lost = float(per_level[level].sum())
            assert lost == best - signs[level] * checked[level], (level, lost, best, checked)
    for level, values in per_level.items():
        assert (values >= 0).all(), level
        outside = np.ones(context.arrays.n_students, dtype=bool)
        outside[students] = False
        assert (values[outside] == 0).all(), level


def test_a_student_missing_a_workshop_is_searched_first() -> None:
    # Two students, one session seat: whoever the warm start seats, the other misses a
    # workshop they could reach, and comes first whatever order the seeds were drawn in.
    instance = make_instance(
        students=[{"student_id": "S1"}, {"student_id": "S2"}],
        offers=[{"offer_id": "O1", "capacity": 2, "start": WEEK_2[0], "end": WEEK_2[1]}],
        slots=[{"slot_id": "A"}],  # the first Monday morning
        settings={"workshops_per_student": 1},
    )
    context = _context(instance)
    chosen = warm_start(context).chosen
    students = _students(context)
    losses = Losses(context, students)
    missing = losses.per_level(chosen)["workshops"]
    assert sorted(missing.tolist()) == [0.0, 1.0]
    lacking = int(np.argmax(missing))
    for given_order in (students, students[::-1]):
        first = given_order[losses.order(chosen, given_order)[0]]
        assert first == lacking


def test_nothing_to_order_by_keeps_the_given_order() -> None:
    instance = make_instance(
        students=[{"student_id": "S1"}, {"student_id": "S2"}],
        offers=[{"offer_id": "O1", "capacity": 2}],
        settings={"objective": ["qpv_placed", "placed", "preference", "travel"]},
    )
    context = _context(instance)
    chosen = Chosen(
        np.ones(len(context.cand.offers), dtype=bool), np.zeros(len(context.cand.slots), bool)
    )
    students = _students(context)
    losses = Losses(context, students)
    assert losses.order(chosen, students[::-1]).tolist() == [0, 1]


@settings(max_examples=30, deadline=None)
@given(instances(max_students=6, max_offers=4, max_slots=4))
def test_terms_read_in_place_equal_terms_of_a_copy_of_the_students_own_pairs(
    instance: Instance,
) -> None:
    """A student's pairs all lie in its component, so reading every pair with the members'
    mask (done for large components, to spare a copy) gives the terms of their own pairs."""
    context = _context(instance)
    students = _students(context)[::2]
    n = context.arrays.n_students
    members = np.zeros(n, dtype=bool)
    members[students] = True
    args = (context.workshops_per_student, members)
    copied = student_terms(context.arrays, _own_pairs(context.cand, students, n), *args)
    in_place = student_terms(context.arrays, context.cand, *args)
    for name in vars(copied):
        assert np.array_equal(getattr(copied, name), getattr(in_place, name)), name
