"""Regions of a component (:mod:`stagematch.solver.regions`): recursive bisection.

Every position lands in exactly one piece; a piece weighs at most the limit unless it is one
point alone; the same input gives the same pieces; and nearby points stay together (a piece
cut along one coordinate never interleaves with its sibling along it).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from stagematch.solver.regions import bisected


@settings(max_examples=60)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 40), st.just(3)), elements=st.floats(-1, 1)),
    st.data(),
    st.integers(1, 60),
)
def test_the_pieces_split_the_points_within_the_limit(
    points: np.ndarray, data: st.DataObject, limit: int
) -> None:
    weight = data.draw(arrays(np.int64, len(points), elements=st.integers(0, 20)))
    pieces = bisected(points, weight, limit)
    together = np.sort(np.concatenate(pieces))
    assert np.array_equal(together, np.arange(len(points)))
    for piece in pieces:
        assert np.array_equal(piece, np.sort(piece))
        assert len(piece) == 1 or weight[piece].sum() <= limit
    again = bisected(points, weight, limit)
    assert all(np.array_equal(a, b) for a, b in zip(pieces, again, strict=True))


def test_points_on_a_line_are_cut_into_runs_of_neighbours() -> None:
    rng = np.random.default_rng(0)
    x = rng.permutation(16).astype(np.float64)
    points = np.column_stack((x, np.zeros(16), np.zeros(16)))
    pieces = bisected(points, np.ones(16, dtype=np.int64), 4)
    assert [sorted(x[p].tolist()) for p in pieces] == [
        [float(v) for v in range(k, k + 4)] for k in (0, 4, 8, 12)
    ]
