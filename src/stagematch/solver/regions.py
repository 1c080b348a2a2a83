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
"""

from __future__ import annotations

import numpy as np

from ..arrays import FloatArray, IntArray
from ..geo import to_unit_vectors
from .context import SolveContext

__all__ = ["bisected", "regions"]


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


def regions(context: SolveContext, students: IntArray, weight: IntArray) -> list[IntArray]:
    """``students`` (ids) cut into regions of total ``weight`` (one per student: the pairs
    its flows hold) at most ``Tuning.region_pairs``, by where they travel from."""
    arrays = context.arrays
    points = to_unit_vectors(arrays.origin_lat[students], arrays.origin_lon[students])
    limit = context.tuning.region_pairs
    return [students[piece] for piece in bisected(points, weight, limit)]
