"""The rows that tie a component's students together through seats, as pair-to-row maps.

The Lagrangian bound (:mod:`.lagrangian`) prices these rows and its restricted master LP
imposes them; kept apart so that both read one definition of which rows exist. Besides the
seats, each offer's minimum QPV share as the linear row it implies (:mod:`.share_rows`), the
only rows whose coefficients are not all 1.
"""

from __future__ import annotations

import numpy as np

from ..arrays import BoolArray, FloatArray, IntArray
from .cpsat import ComponentData
from .share_rows import share_rows

__all__ = ["SeatRows"]


class SeatRows:
    """The rows that tie students together through seats: ``Σ pairs of the row ≤ limit``.

    Per kind of item: its seats, and its seats open to non-QPV students where some are
    reserved; per student and workshop with two sessions or more: at most one of them; last,
    per offer with a minimum QPV share, its row (:func:`.share_rows.share_rows`), with each
    pair's coefficient in ``offer_coefs`` (``None``: every coefficient 1). Only rows that the
    pairs could break are kept (the others' best price is 0).
    """

    def __init__(self, data: ComponentData) -> None:
        self.offer_rows: list[IntArray] = []
        self.slot_rows: list[IntArray] = []
        limits: list[IntArray | FloatArray] = []
        count = 0
        for item, student, capacity, reserved, rows in (
            (
                data.offer_item,
                data.offer_student,
                data.offer_capacity,
                data.offer_reserved,
                self.offer_rows,
            ),
            (
                data.slot_item,
                data.slot_student,
                data.slot_capacity,
                data.slot_reserved,
                self.slot_rows,
            ),
        ):
            item = item.astype(np.int64)
            open_seats = np.where(reserved > 0, capacity - reserved, np.iinfo(np.int64).max)
            others = ~data.qpv[student]
            for members, limit in ((np.ones(len(item), bool), capacity), (others, open_seats)):
                row, limit_of_row = self._rows(item, members, limit.astype(np.int64), count)
                rows.append(row)
                limits.append(limit_of_row)
                count += len(limit_of_row)
        n_workshops = int(data.slot_workshop.max(initial=-1)) + 1
        keys = data.slot_student.astype(np.int64) * max(n_workshops, 1) + data.slot_workshop
        _, group, sizes = np.unique(keys, return_inverse=True, return_counts=True)
        ones = np.ones(len(sizes), dtype=np.int64)
        row, limit_of_row = self._rows(group, np.ones(len(group), dtype=bool), ones, count)
        self.slot_rows.append(row)
        limits.append(limit_of_row)
        count += len(limit_of_row)
        self.offer_coefs: list[FloatArray | None] = [None] * len(self.offer_rows)
        self.slot_coefs: list[FloatArray | None] = [None] * len(self.slot_rows)
        shares = share_rows(data, count)
        if len(shares.limit):
            self.offer_rows.append(shares.row)
            self.offer_coefs.append(shares.coef)
            limits.append(shares.limit)
        self.limit = np.concatenate(limits).astype(np.float64) if limits else np.zeros(0)

    @staticmethod
    def _rows(
        keys: IntArray, members: BoolArray, limit: IntArray, first_row: int
    ) -> tuple[IntArray, IntArray]:
        """Each pair's row (-1: none) among the binding keys, and the rows' limits."""
        counts = np.bincount(keys[members], minlength=len(limit))
        binding = np.flatnonzero(counts > limit)
        row_of = np.full(len(limit), -1, dtype=np.int64)
        row_of[binding] = first_row + np.arange(len(binding))
        return np.where(members, row_of[keys], -1), limit[binding]

    def price(
        self,
        prices: FloatArray,
        rows: list[IntArray],
        coefs: list[FloatArray | None] | None = None,
    ) -> FloatArray:
        """Each pair's total price over the rows it is in, times its coefficients there
        (``coefs``: as ``offer_coefs``; none: all 1). None when no row binds: then ``prices``
        is empty."""
        total = np.zeros(len(rows[0]))
        for row, coef in zip(rows, coefs or [None] * len(rows), strict=True):
            inside = row >= 0
            if coef is None:
                total[inside] += prices[row[inside]]
            else:
                total[inside] += coef[inside] * prices[row[inside]]
        return total

    def drop_broken(self, offer_chosen: BoolArray) -> None:
        """Take out the share rows that the plan ``offer_chosen`` breaks (a plan that breaks
        the share, as pins may leave it, would make the master LP infeasible; a row left out
        only loosens the bound)."""
        for row, coef in zip(self.offer_rows, self.offer_coefs, strict=True):
            if coef is None:
                continue
            inside = offer_chosen & (row >= 0)
            lhs = np.bincount(row[inside], coef[inside], minlength=len(self.limit))
            broken = lhs > self.limit + 1e-9 * (1.0 + np.abs(self.limit))
            row[broken[np.maximum(row, 0)] & (row >= 0)] = -1
