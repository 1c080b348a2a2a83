"""Exact gains of added seats, from the placement flow (the engine of :mod:`stagematch.gaps`).

The most QPV students and the most students a dataset can place are maximum flows
(:mod:`.flow`). Adding an offer *v* with *k* seats adds a node and an arc v → sink of capacity
*k*; a maximum flow is a minimum cut, and the cuts either cross that arc (capacity ``A + k``)
or do not (capacity ``B``), so the new optimum is ``min(A + k, B)``: the gain of *k* seats is
``min(k, G)`` with ``G`` the gain of unlimited seats (the augmenting paths the residual network
of today's flow has towards *v*). One maximum flow with unlimited seats therefore gives the
exact gain of every number of seats at that offer. Added offers interact (two offers can court
the same students), so :class:`SeatGains` evaluates each candidate offer *given* the offers
already chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import BoolArray, IntArray
from ..candidates import Candidates
from ..model import Instance
from .fixed import pair_flags
from .flow import placement_cuts
from .warmstart import residual


@dataclass(frozen=True)
class Gain:
    """Students and QPV students more that an offer with unlimited seats would place."""

    placed: int
    qpv_placed: int


class SeatGains:
    """Placement optima of an instance whose last ``n_extra`` offers are hypothetical.

    ``instance`` holds the real offers followed by the candidate offers; ``cand`` are its
    candidate pairs. Candidate offers count only when chosen (:meth:`choose`) or evaluated
    (:meth:`gain`); pins are honoured as the solver honours them (pinned students are placed
    already, their seats taken).
    """

    def __init__(self, instance: Instance, cand: Candidates, n_extra: int) -> None:
        arrays = instance.arrays
        self.n_students = arrays.n_students
        self.qpv = arrays.qpv
        capacity, reserved, free_students, usable = residual(
            arrays, cand, pair_flags(instance, cand, None)
        )
        self.first_extra = len(arrays.offers) - n_extra
        self.capacity = capacity.astype(np.int64).copy()
        self.capacity[self.first_extra :] = 0
        self.reserved = reserved.astype(np.int64)
        self.students = free_students
        self.pairs = cand.offers
        self.usable = np.ones(len(cand.offers), bool) if usable is None else usable
        self.item = cand.offers.item.astype(np.int64)
        self.base_pairs = self.item < self.first_extra
        self.unlimited = int(self.n_students)

    def optima(self, capacity: IntArray | None = None) -> tuple[int, int]:
        """``(q*, p*)`` with the chosen offers (and ``capacity`` instead, when given)."""
        capacity = self.capacity if capacity is None else capacity
        keep = (self.base_pairs | (capacity[self.item] > 0)) & self.usable
        pairs = self.pairs.select(keep)
        cut_qpv, cut_all = placement_cuts(
            self.n_students,
            capacity,
            self.reserved,
            self.qpv,
            pairs,
            np.ones(len(pairs), dtype=bool),
            None,
            self.students,
        )
        return cut_qpv.value, cut_all.value

    def gain(self, extra: int, base: tuple[int, int]) -> Gain:
        """What candidate offer ``extra`` (0-based among the candidates) would add with
        unlimited seats, against ``base`` (the optima with the chosen offers)."""
        capacity = self.capacity.copy()
        capacity[self.first_extra + extra] = self.unlimited
        qpv, everyone = self.optima(capacity)
        return Gain(everyone - base[1], qpv - base[0])

    def reachable_students(self, extra: int) -> BoolArray:
        """Students for whom candidate offer ``extra`` is a usable candidate pair."""
        mask = (self.item == self.first_extra + extra) & self.usable
        out = np.zeros(self.n_students, dtype=bool)
        out[self.pairs.student[mask]] = True
        if self.students is not None:
            out &= self.students
        return out

    def choose(self, extra: int, seats: int) -> None:
        """Keep candidate offer ``extra`` with ``seats`` seats for the evaluations that follow."""
        self.capacity[self.first_extra + extra] = seats
