"""The preference floor of first placements with every wished offer's seats counted.

The transportation floor of :mod:`.seat_bounds` gives each student their first placement over
their short list, every pair off the list standing in as one arc of unlimited seats at its
least cost. On the académie that arc is what keeps the floor low: for 21,100 of its 49,902
students the cheapest pair off the short list costs 0 (a first-wish sector has more offers
within reach than the list's 40), so their wishes never run out of seats there — the floor is
17,756 where the plan's preference is 81,231.

Here the listed pairs are *every* ranked pair (a wished offer, or an offer of a wished sector:
10.1 M of the académie's 78.2 M), and the arc of unlimited seats stands for the unranked pairs
only, which all cost exactly ``unranked_cost``: the one relaxation left is that unranked seats
never run out. Everything else is the same transportation problem (at least ``P`` students
placed, ``Q`` of them QPV students, each offer's open and reserved seats), solved exactly by
the same min-cost flow (:class:`.seat_bounds.Transport`), so the floor holds for every plan
that places them (a second placement costs ``c ≥ 0`` more). On the académie: 47,474, in
about 17 CPU seconds for the flow over the ranked pairs cheaper than ``unranked_cost``
(docs/benchmarks.md, "A global bound for the académie's lower levels, session 12").
"""

from __future__ import annotations

import numpy as np

from ..arrays import BoolArray, InstanceArrays
from ..candidates import SLICE, Candidates
from .seat_bounds import Transport

__all__ = ["wish_floor"]


def wish_floor(
    arrays: InstanceArrays,
    cand: Candidates,
    members: BoolArray,
    must_place: int,
    must_place_qpv: int,
    most_pairs: int,
) -> float | None:
    """The least preference cost of first placements for ``must_place`` of the ``members``
    (``must_place_qpv`` of them QPV students), every ranked pair's seats counted (``None``
    when a cost is negative — the floor needs costs of at least 0 — or when the members have
    more than ``most_pairs`` ranked pairs: the flow's memory grows with them)."""
    n = arrays.n_students
    pairs, cost, rank = cand.offers, cand.offer_cost, cand.offer_rank
    ranked: list[np.ndarray] = []
    n_ranked = 0
    unranked = np.full(n, np.inf)  # each student's least unranked cost (inf: none)
    for start in range(0, len(pairs), SLICE):
        part = slice(start, start + SLICE)
        mine = members[pairs.student[part]]
        wished = mine & (rank[part] > 0)
        ranked.append(np.flatnonzero(wished) + start)
        n_ranked += len(ranked[-1])
        if n_ranked > most_pairs:  # no floor: stop reading, and hold no more of the pairs
            return None
        other = mine & ~wished
        np.minimum.at(unranked, pairs.student[part][other], cost[part][other].astype(np.float64))
    listed = np.concatenate(ranked) if ranked else np.zeros(0, dtype=np.int64)
    if np.any(cost[listed] < 0) or np.any(unranked < 0):
        return None
    network = Transport(arrays.offers, arrays.qpv, members, must_place, must_place_qpv, 1)
    return network.least_cost(pairs, listed, cost, unranked, 1)
