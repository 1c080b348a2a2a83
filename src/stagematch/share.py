"""The minimum QPV share of an offer (``qpv_min_share``): what it requires, and a plan repaired to it.

The rule (a hard rule, like reserved seats; ``docs/fairness.md`` explains the choice): an offer
*o* with a minimum share of *q* percent that holds *n* students, *k* of them QPV, must have

    k ≥ min(⌈q·n / 100⌉, E)

where *E* is the number of QPV students for whom *o* is a candidate (eligible and within reach).
The share holds whenever enough QPV students could come; when fewer exist than the share asks,
the offer may only grow past ``100·k/q`` students once every one of them is there. An empty
offer always complies, so the rule can never make a dataset infeasible.

The solver enforces it in its models; this module gives the counts the models need and
repairs a warm start that breaks the rule. :mod:`stagematch.check` verifies it on its own,
without this code.
"""

from __future__ import annotations

import numpy as np

from .arrays import BoolArray, InstanceArrays, IntArray
from .candidates import Candidates


def qpv_candidates(arrays: InstanceArrays, cand: Candidates) -> IntArray:
    """*E* of every offer: the QPV students for whom it is a candidate."""
    qpv_pairs = arrays.qpv[cand.offers.student]
    return np.bincount(cand.offers.item[qpv_pairs], minlength=len(arrays.offers)).astype(np.int64)


def required_qpv(min_share: IntArray, held: IntArray, qpv_candidates: IntArray) -> IntArray:
    """The QPV students each offer must hold when it holds ``held`` students."""
    return np.minimum((min_share * held + 99) // 100, qpv_candidates)


def share_binds(arrays: InstanceArrays, qpv_candidates: IntArray) -> bool:
    """Can the rule ever bite? Only where a share is set and some QPV student could come."""
    return bool(((arrays.min_share > 0) & (qpv_candidates > 0)).any())


def repair_share(
    arrays: InstanceArrays,
    cand: Candidates,
    offer_chosen: BoolArray,
    qpv_candidates: IntArray,
    pinned: BoolArray | None = None,
) -> int:
    """Drop non-QPV holders of offers below their share until every offer complies (in place).

    Dropping a non-QPV holder lowers what the share asks and leaves the QPV count alone, so it
    ends, at worst with only QPV students left. A holder who keeps another placement goes first
    (nobody loses their place), then the one farthest away. ``pinned`` pairs are never dropped:
    pins come first, and the models then look for QPV students to restore the share. Returns
    the placements dropped.
    """
    chosen = np.flatnonzero(offer_chosen)
    student = cand.offers.student[chosen].astype(np.int64)
    item = cand.offers.item[chosen].astype(np.int64)
    n_offers = len(arrays.offers)
    held = np.bincount(item, minlength=n_offers)
    qpv_held = np.bincount(item[arrays.qpv[student]], minlength=n_offers)
    short = np.flatnonzero(qpv_held < required_qpv(arrays.min_share, held, qpv_candidates))
    if not len(short):
        return 0
    placements = np.bincount(student, minlength=arrays.n_students)
    minutes = cand.offers.minutes[chosen]
    dropped = 0
    for o in short.tolist():
        mine = np.flatnonzero((item == o) & ~arrays.qpv[student])
        if pinned is not None:
            mine = mine[~pinned[chosen[mine]]]
        # Who goes first: a holder with another placement, then the farthest.
        mine = mine[np.lexsort((-minutes[mine], placements[student[mine]] < 2))]
        n = int(held[o])
        for k in mine.tolist():
            need = min((int(arrays.min_share[o]) * n + 99) // 100, int(qpv_candidates[o]))
            if qpv_held[o] >= need:
                break
            offer_chosen[chosen[k]] = False
            placements[student[k]] -= 1
            n -= 1
            dropped += 1
    return dropped
