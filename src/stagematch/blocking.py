"""Blocking pairs of a plan, vectorised: the computation behind :func:`stagematch.fairness.analyse`.

The definitions (conditions 1, 2, 3a and 3b, wasted seats) are those of :mod:`stagematch.fairness`;
this module finds them over every candidate pair, in slices, so a 50,000-student plan with tens of
millions of candidate pairs is analysed in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .baselines import STUDENT_MASK, preference_keys, priority_keys
from .candidates import SLICE, Candidates, wish_cost, wish_ranks
from .travel import Pairs, minutes_for

if TYPE_CHECKING:
    from .model import Instance

__all__ = [
    "NO_KEY",
    "Best",
    "Seats",
    "best_placements",
    "blocking_pairs",
    "seats_of",
    "wasted_seats_of",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
NO_KEY = np.iinfo(np.int64).max
"""The preference key of "no placement": worse than every candidate."""


@dataclass(frozen=True)
class Best:
    """Each student's best placement by their own preferences (condition 2 compares with it)."""

    offer: IntArray
    key: IntArray
    rank: IntArray
    cost: IntArray
    minutes: npt.NDArray[np.float64]
    tie_offer: IntArray
    """With ties broken, an offer listed before the student's own at the same key is preferred;
    without, −1 (no offer index is below it: ties never count)."""
    held_minutes: npt.NDArray[np.float32]
    """The minutes of every held placement, in the plan's order."""


def best_placements(
    instance: Instance, s_held: IntArray, o_held: IntArray, tie_break: bool
) -> Best:
    n = instance.arrays.n_students
    m_held = minutes_for(instance, "placement", s_held, o_held).astype(np.float32)
    r_held = wish_ranks(
        instance, Pairs(s_held.astype(np.int32), o_held.astype(np.int32), m_held)
    ).astype(np.int64)
    c_held = wish_cost(r_held, instance.settings.unranked_cost)
    k_held = preference_keys(c_held, m_held)
    order = np.lexsort((o_held, k_held, s_held))
    firsts = order[np.unique(s_held[order], return_index=True)[1]]
    who = s_held[firsts]

    def spread(values: npt.NDArray[Any], empty: float, dtype: type = np.int64) -> Any:
        """Per student: the value at their best placement, ``empty`` when unplaced."""
        out: npt.NDArray[Any] = np.full(n, empty, dtype=dtype)
        out[who] = values[firsts]
        return out

    offer = spread(o_held, -1)
    no_tie = np.full(n, -1, dtype=np.int64)
    return Best(
        offer=offer,
        key=spread(k_held, NO_KEY),
        rank=spread(r_held, -1),
        cost=spread(c_held, -1),
        minutes=spread(m_held, np.nan, np.float64),
        tie_offer=np.where(offer >= 0, offer, NO_KEY) if tie_break else no_tie,
        held_minutes=m_held,
    )


@dataclass(frozen=True)
class Seats:
    """What each offer holds: every holder counts, whatever their best placement."""

    held: IntArray
    free: IntArray
    open_left: IntArray
    """Seats still open to non-QPV students (capacity − reserved − non-QPV holders)."""
    worst: npt.NDArray[np.uint64]
    """The priority key of the offer's lowest-priority holder (0: nobody holds it)."""
    index_mask: np.uint64
    """Without tie-breaking, priority keys lose the student index that breaks their ties."""


def seats_of(
    instance: Instance, s_held: IntArray, o_held: IntArray, m_held: npt.NDArray[Any], tie: bool
) -> Seats:
    arrays = instance.arrays
    offers = arrays.offers
    n_offers = len(offers)
    index_mask = np.uint64(np.iinfo(np.uint64).max if tie else ~np.uint64(STUDENT_MASK))
    held = np.bincount(o_held, minlength=n_offers)
    non_qpv = np.bincount(o_held[~arrays.qpv[s_held]], minlength=n_offers)
    worst = np.zeros(n_offers, dtype=np.uint64)  # 0: nobody held (no key is below 0)
    np.maximum.at(worst, o_held, priority_keys(arrays.qpv[s_held], m_held, s_held) & index_mask)
    return Seats(
        held=held,
        free=offers.capacity - held,
        open_left=offers.capacity - offers.reserved - non_qpv,
        worst=worst,
        index_mask=index_mask,
    )


def blocking_pairs(
    instance: Instance, cand: Candidates, best: Best, seats: Seats
) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
    """Every blocking pair (student, offer, wasted seat?, justified envy?), candidate pairs
    scanned in slices (condition 1 holds for every candidate pair)."""
    qpv_of = instance.arrays.qpv
    pairs = cand.offers
    found: list[tuple[IntArray, IntArray, BoolArray, BoolArray]] = []
    for start in range(0, len(pairs), SLICE):
        part = slice(start, start + SLICE)
        s = pairs.student[part].astype(np.int64)
        o = pairs.item[part].astype(np.int64)
        key = preference_keys(cand.offer_cost[part], pairs.minutes[part])
        prefer = (key < best.key[s]) | ((key == best.key[s]) & (o < best.tie_offer[s]))  # 2
        keep = np.flatnonzero(prefer)
        s, o, minutes = s[keep], o[keep], pairs.minutes[part][keep]
        qpv = qpv_of[s]
        wasted = (seats.free[o] > 0) & (qpv | (seats.open_left[o] > 0))  # 3a
        envy = seats.worst[o] > priority_keys(qpv, minutes, s) & seats.index_mask  # 3b
        blocking = wasted | envy
        found.append((s[blocking], o[blocking], wasted[blocking], envy[blocking]))
    if not found:
        nothing = np.zeros(0, dtype=np.int64)
        return nothing, nothing, np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    return (
        np.concatenate([f[0] for f in found]),
        np.concatenate([f[1] for f in found]),
        np.concatenate([f[2] for f in found]),
        np.concatenate([f[3] for f in found]),
    )


def wasted_seats_of(
    instance: Instance, seats: Seats, student: IntArray, offer: IntArray, wasted: BoolArray
) -> IntArray:
    """Per offer, its empty seats a student of a wasted-seat pair may take: all of them when
    one such student is QPV, else those open to non-QPV students."""
    n_offers = len(seats.held)
    wanted_any = np.zeros(n_offers, dtype=bool)
    wanted_any[offer[wasted]] = True
    wanted_qpv = np.zeros(n_offers, dtype=bool)
    wanted_qpv[offer[wasted & instance.arrays.qpv[student]]] = True
    free_open = np.clip(np.minimum(seats.free, seats.open_left), 0, None)
    out = np.where(wanted_qpv, np.clip(seats.free, 0, None), np.where(wanted_any, free_open, 0))
    return out.astype(np.int64)
