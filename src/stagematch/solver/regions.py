"""Geographic pieces of a component too large for one re-assignment flow.

The min-cost flows around the neighbourhood search (:mod:`.component_flows`) re-assign a
component's sessions or placements at once. An académie's component has 83 million candidate
pairs: one flow over them would take gigabytes, and its lexicographic arc costs would not fit
64 bits (each level's weight grows with the number of students). Students mostly trade seats
with their neighbours, so such a component is re-assigned a *region* at a time: the students
are cut into pieces of nearby students by recursive bisection, and each piece's flows move
only its students, everyone else's seats taken out (:func:`.subproblem.sub_problem`). Each
student of a piece brings its cheapest candidate placements (its neighbourhood rows), the
cheapest with a seat left, what it holds, and its candidate sessions.

A chain of moves that crosses a region's border is out of reach of every flow of that pass, so
each pass cuts along other lines: pass ``k`` bisects the students' positions turned by
``k · TURN`` about their mean direction. On the académie the second pass, turned, took
coverage to 683,747 where the same regions again gave 681,715 (and workshops 13,012 for
13,010), for the same work (docs/benchmarks.md, "Académie regions turned, session 10").
"""

from __future__ import annotations

import numpy as np

from ..arrays import FloatArray, IntArray
from ..geo import to_unit_vectors
from .context import SolveContext

__all__ = ["TURN", "bisected", "regions", "turned"]

TURN = np.pi / 4
"""The angle by which each pass's cuts turn from the previous pass's (radians)."""


def bisected(points: FloatArray, weight: IntArray, limit: int) -> list[IntArray]:
    """Positions of ``points`` cut into pieces of total ``weight`` at most ``limit`` (a single
    point heavier than that is a piece alone), each sorted.

    A piece too heavy is cut at the weighted median of the coordinate it spreads most along,
    and each half cut again: pieces of nearby points, of about equal weight. Ties keep the
    order of the positions, so the pieces depend on the data only."""
    pieces: list[IntArray] = []
    stack = [np.arange(len(points), dtype=np.int64)]
    while stack:
        positions = stack.pop()
        if len(positions) <= 1 or int(weight[positions].sum()) <= limit:
            pieces.append(np.sort(positions))
            continue
        coords = points[positions]
        axis = int(np.argmax(np.ptp(coords, axis=0)))
        order = positions[np.argsort(coords[:, axis], kind="stable")]
        cumulative = np.cumsum(weight[order])
        cut = int(np.searchsorted(cumulative, cumulative[-1] / 2)) + 1
        cut = min(max(cut, 1), len(order) - 1)
        stack += [order[cut:], order[:cut]]  # the first half is cut (or kept) first
    return pieces


def turned(points: FloatArray, angle: float) -> FloatArray:
    """Unit vectors ``points`` turned by ``angle`` about their mean direction (Rodrigues'
    rotation): distances between points are kept, the coordinate axes the bisection cuts
    along are not."""
    if not angle or not len(points):
        return points
    axis = points.mean(axis=0)
    norm = float(np.linalg.norm(axis))
    axis = axis / norm if norm > 1e-12 else np.array([0.0, 0.0, 1.0])
    cross = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    rotation = np.eye(3) + np.sin(angle) * cross + (1 - np.cos(angle)) * (cross @ cross)
    return np.asarray(points @ rotation.T, dtype=np.float64)


def regions(
    context: SolveContext,
    students: IntArray,
    weight: IntArray,
    turn: int = 0,
    limit: int | None = None,
) -> list[IntArray]:
    """``students`` (ids) cut into regions of total ``weight`` (one per student: the pairs
    its flows hold) at most ``limit`` (default ``Tuning.region_pairs``), by where they travel
    from; pass ``turn`` cuts along lines turned by ``turn · TURN``."""
    arrays = context.arrays
    points = to_unit_vectors(arrays.origin_lat[students], arrays.origin_lon[students])
    points = turned(points, turn * TURN)
    if limit is None:
        limit = context.tuning.region_pairs
    return [students[piece] for piece in bisected(points, weight, limit)]
