"""Each student's short list (:mod:`stagematch.solver.shortlist`) and the pairs the solver adds.

The short list is what the flow, the greedy pass and the neighbourhood search start from, so
it must hold each student's cheapest candidates (by wish, then minutes), grouped by student,
without duplicates; pinned and previous placements must be added to it.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from strategies import instances

from stagematch.candidates import candidates
from stagematch.model import Instance
from stagematch.solver.cpsat import PairFlags
from stagematch.solver.shortlist import pair_keys, shortlist
from stagematch.solver.warmstart import with_fixed_pairs


@given(instances(max_students=5, max_offers=6), st.integers(1, 4))
def test_the_short_list_holds_each_students_cheapest_pairs(
    instance: Instance, per_student: int
) -> None:
    cand = candidates(instance)
    n = instance.arrays.n_students
    short = shortlist(cand, n, per_student)
    assert len(np.unique(short)) == len(short)
    students = cand.offers.student[short]
    assert (np.diff(students) >= 0).all(), "grouped by student"
    keys = pair_keys(cand)
    for s in range(n):
        mine = np.flatnonzero(cand.offers.student == s)
        listed = short[students == s]
        assert set(listed.tolist()) <= set(mine.tolist())
        # The first ``per_student`` listed are the cheapest, cheapest first.
        cheapest = np.sort(keys[mine])[:per_student]
        assert keys[listed[: len(cheapest)]].tolist() == cheapest.tolist()
        # At most twice as many: the cheapest and the nearest.
        assert len(listed) <= 2 * per_student
        if len(mine) <= per_student:
            assert sorted(listed.tolist()) == mine.tolist()


@given(instances(max_students=4, max_offers=5), st.data())
def test_pinned_and_previous_pairs_join_their_students_group(
    instance: Instance, data: st.DataObject
) -> None:
    cand = candidates(instance)
    n_pairs = len(cand.offers)
    flags = [data.draw(st.booleans()) for _ in range(n_pairs)]
    fixed = np.array(flags, dtype=bool)
    short = shortlist(cand, instance.arrays.n_students, 1)
    merged = with_fixed_pairs(cand, short, PairFlags(offer_previous=fixed))
    assert set(np.flatnonzero(fixed).tolist()) <= set(merged.tolist())
    assert set(short.tolist()) <= set(merged.tolist())
    assert len(np.unique(merged)) == len(merged)
    assert (np.diff(cand.offers.student[merged]) >= 0).all()
    assert (with_fixed_pairs(cand, short, PairFlags()) == short).all()
