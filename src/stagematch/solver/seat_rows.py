"""The rows that tie a component's students together through seats, as pair-to-row maps.

The Lagrangian bound (:mod:`.lagrangian`) prices these rows and its restricted master LP
imposes them; kept apart so that both read one definition of which rows exist.
"""

from __future__ import annotations

import numpy as np

from ..arrays import BoolArray, FloatArray, IntArray
from .cpsat import ComponentData

__all__ = ["SeatRows"]


class SeatRows:
    """The rows that tie students together through seats: ``Σ pairs of the row ≤ limit``.

    Per kind of item: its seats, and its seats open to non-QPV students where some are
    reserved; per student and workshop with two sessions or more: at most one of them. Only
    rows that the pairs could break are kept (the others' best price is 0).
    """

    def __init__(self, data: ComponentData) -> None:
        self.offer_rows: list[IntArray] = []
        self.slot_rows: list[IntArray] = []
        limits: list[IntArray] = []
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

    def price(self, prices: FloatArray, rows: list[IntArray]) -> FloatArray:
        """Each pair's total price over the rows it is in (none when no row binds: then
        ``prices`` is empty)."""
        total = np.zeros(len(rows[0]))
        for row in rows:
            inside = row >= 0
            total[inside] += prices[row[inside]]
        return total
