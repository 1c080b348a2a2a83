"""The solver's decomposition: components from short lists plus bridges equal the full graph's."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from strategies import instances

from stagematch.candidates import candidates
from stagematch.model import Instance
from stagematch.solver.graph import connected_parts
from stagematch.solver.shortlist import shortlist


def _partition_by_full_graph(instance: Instance) -> set[frozenset[int]]:
    cand = candidates(instance)
    arrays = instance.arrays
    n, m = arrays.n_students, len(arrays.offers)
    size = n + m + len(arrays.slots)
    tails = np.concatenate((cand.offers.student, cand.slots.student)).astype(np.int64)
    heads = np.concatenate((n + cand.offers.item, n + m + cand.slots.item)).astype(np.int64)
    graph = coo_matrix((np.ones(len(tails)), (tails, heads)), shape=(size, size))
    labels = connected_components(graph, directed=False)[1][:n]
    has_pair = np.zeros(n, dtype=bool)
    has_pair[tails] = True
    return {
        frozenset(np.flatnonzero((labels == label) & has_pair).tolist())
        for label in set(labels[has_pair].tolist())
    }


@settings(max_examples=40)
@given(instances(max_students=6, max_offers=4, max_slots=3), st.sampled_from([0, 1]))
def test_components_match_the_full_graph_whatever_the_short_lists(
    instance: Instance, per_student: int
) -> None:
    cand = candidates(instance)
    # Empty or one-pair short lists leave the joins to the bridge step.
    short = (
        shortlist(cand, instance.arrays.n_students, per_student)
        if per_student
        else np.zeros(0, dtype=np.int64)
    )
    parts = connected_parts(instance, cand, short)
    found = {frozenset(part.students.tolist()) for part in parts}
    assert found == _partition_by_full_graph(instance)
    degree = np.diff(cand.offers.indptr(len(instance.students))) + np.diff(
        cand.slots.indptr(len(instance.students))
    )
    assert [part.n_pairs for part in parts] == [int(degree[part.students].sum()) for part in parts]
