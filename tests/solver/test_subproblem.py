"""The pairs :func:`stagematch.solver.subproblem.free_pairs` sorts: dropping those above each
student's cost of enough pairs never drops one of a student's cheapest, and keeps the order."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import stagematch.solver.subproblem as subproblem
from stagematch.candidates import Candidates
from stagematch.solver.shortlist import pair_keys
from stagematch.travel import Pairs


@st.composite
def listed(draw: st.DrawFn) -> tuple[Candidates, np.ndarray, int]:
    """Candidates of a few students with random costs and minutes, some students' pairs (grouped
    by student, in any order of students), and how many cheapest each keeps."""
    counts = draw(st.lists(st.integers(0, 12), min_size=1, max_size=6))
    student = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    n = len(student)
    cost = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=np.int16)
    minutes = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    offers = Pairs(student, np.zeros(n, np.int32), np.array(minutes, dtype=np.float32))
    empty = Pairs(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))
    cand = Candidates(offers, cost, np.zeros(n, np.int16), empty)
    ptr = np.searchsorted(student, np.arange(len(counts) + 1))
    order = draw(st.lists(st.integers(0, len(counts) - 1), max_size=6, unique=True))
    runs = [np.arange(ptr[s], ptr[s + 1]) for s in order]
    pairs = np.concatenate(runs) if runs else np.zeros(0, np.int64)
    if len(pairs):  # some of each run, as free seats would leave
        pairs = pairs[
            np.array(draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs))))
        ]
    return cand, pairs.astype(np.int64), draw(st.integers(1, 5))


@settings(max_examples=200, deadline=None)
@given(listed())
def test_each_students_cheapest_pairs_are_kept_in_their_order(
    case: tuple[Candidates, np.ndarray, int],
) -> None:
    cand, pairs, per_student = case
    kept = subproblem._cheap_enough(cand, pairs, per_student)
    position = {int(p): k for k, p in enumerate(pairs.tolist())}
    assert [position[int(p)] for p in kept] == sorted(position[int(p)] for p in kept)
    keys = pair_keys(cand, pairs)
    student = cand.offers.student[pairs]
    for s in np.unique(student).tolist():
        mine = np.flatnonzero(student == s)
        cheapest = mine[np.lexsort((pairs[mine], keys[mine]))][:per_student]
        assert set(pairs[cheapest].tolist()) <= set(kept.tolist())
    with patch.object(subproblem, "COST_COUNTS", 0):  # too many counts: nothing dropped
        assert np.array_equal(subproblem._cheap_enough(cand, pairs, per_student), pairs)
