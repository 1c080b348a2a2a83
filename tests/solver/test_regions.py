"""Regions of a component (:mod:`stagematch.solver.regions`): recursive bisection.

Every position lands in exactly one piece; a piece weighs at most the limit unless it is one
point alone; the same input gives the same pieces; and nearby points stay together (a piece
cut along one coordinate never interleaves with its sibling along it). Turning the points for
a later pass keeps their distances and moves the cuts.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from stagematch.geo import to_unit_vectors
from stagematch.solver.regions import TURN, bisected, turned


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


@settings(max_examples=60)
@given(
    arrays(np.float64, st.integers(1, 30), elements=st.floats(40, 50)),
    st.data(),
    st.floats(-7, 7),
)
def test_turning_keeps_the_distances_between_points(
    lat: np.ndarray, data: st.DataObject, angle: float
) -> None:
    lon = data.draw(arrays(np.float64, len(lat), elements=st.floats(-5, 8)))
    points = to_unit_vectors(lat, lon)
    moved = turned(points, angle)
    assert moved.shape == points.shape
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0)
    before = np.linalg.norm(points[:, None] - points[None], axis=2)
    after = np.linalg.norm(moved[:, None] - moved[None], axis=2)
    assert np.allclose(before, after, atol=1e-9)
    assert np.array_equal(turned(points, 0.0), points)


def test_a_turned_pass_cuts_along_other_lines() -> None:
    """A square grid of students: the first pass cuts it into four quarters along its rows and
    columns; turned by ``TURN``, the cuts run across them, so every piece of the second pass
    holds students of more than one piece of the first."""
    lat, lon = np.meshgrid(np.linspace(45.0, 45.4, 8), np.linspace(4.0, 4.56, 8))
    points = to_unit_vectors(lat.ravel(), lon.ravel())
    weight = np.ones(len(points), dtype=np.int64)
    first = bisected(points, weight, 16)
    second = bisected(turned(points, TURN), weight, 16)
    owner = np.empty(len(points), dtype=np.int64)
    for k, piece in enumerate(first):
        owner[piece] = k
    assert len(first) == len(second) == 4
    assert all(len(np.unique(owner[piece])) > 1 for piece in second)
