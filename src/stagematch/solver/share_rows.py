"""Each offer's minimum QPV share as one linear row that every plan keeping the share keeps.

The rule (:mod:`stagematch.share`) is a disjunction — the offer meets its share, or every QPV
candidate left holds it — which no linear row states exactly, so the Lagrangian bound
(:mod:`.lagrangian`) used to drop it. Each offer's rule still *implies* a linear row over its
pairs, valid for every plan of the component that keeps the rule (it cuts off no such plan,
so pricing it with ``π ≥ 0`` keeps the bound valid); priced, it makes the bound see the share.

The row of one offer. Write ``q`` its share (percent), ``H`` and ``H_q`` the students outside
the component holding it (of whom QPV), ``E`` its QPV candidates (all of them, ``H_q``
included), ``m = E − H_q`` those left, ``c`` and ``u`` its QPV and other pairs in the
component, ``C`` and ``O`` the component's seats and seats open to non-QPV students on it (the
outside holders already taken off, as :func:`.graph.component_data` does). A plan puts ``x``
of the component's students on it, ``y`` of them QPV; the offer holds ``n = H + x``, ``k =
H_q + y`` of them QPV. The rule ``k ≥ min(⌈q·n/100⌉, E)`` is: **(S)** ``q·n ≤ 100·k``, or
**(A)** ``k ≥ E``, i.e. ``y ≥ m``. With ``a = 100·H_q − q·H``, (S) reads ``q·x − 100·y ≤ a``,
i.e. ``x ≤ a/q + 100·y/q``.

* ``m ≤ 0``: (A) always holds; no row. ``c < m``: (A) is impossible, so (S) is the rule
  itself: the row is ``q·x − 100·y ≤ a``.
* ``c ≥ m``: every plan with ``y ≥ m`` has ``x ≤ N = min(C, c + min(u, O))`` (at most ``C``
  seats, at most ``c`` QPV students and ``min(u, O)`` others). If ``q·N ≤ a + 100·m`` the row
  (S) holds for those plans too (``q·x − 100·y ≤ q·N − 100·m ≤ a``), and for the others by
  (S): it is the row. Otherwise take the chord from ``(x, y) = (a/q, 0)`` to ``(N, m)``:
  ``m·x − (N − a/q)·y ≤ m·a/q``, times ``q``::

      q·m·x − (q·N − a)·y ≤ m·a

  *Valid.* A plan with ``y ≥ m``: ``x ≤ N``, and ``q·N − a > 100·m ≥ 0``, so the left side is
  at most ``q·m·N − (q·N − a)·m = m·a``. A plan with ``y < m`` keeps (S), ``q·x ≤ a + 100·y``,
  so the left side is at most ``m·a + y·(100·m − q·N + a) ≤ m·a`` (``y ≥ 0``, the bracket
  negative). With ``H = 0`` it is ``E·n ≤ N·k``: the line through no one and every candidate
  in a full offer; the share line through ``(a/q, 0)`` is flatter than the chord, so the chord
  is the tightest row through ``(N, m)``.

Each row is divided by its largest coefficient (a positive factor: the same row), and kept
only where the pairs could break it. Pins and the levels are not used: the row holds for every
plan that keeps the component's seats and the share.
"""

from __future__ import annotations

import numpy as np

from ..arrays import FloatArray, IntArray
from .cpsat import ComponentData

__all__ = ["ShareRows", "share_rows"]


class ShareRows:
    """One row per offer with a share that binds: ``Σ coef[p] · x_p ≤ limit[row[p]]``.

    ``row`` is each offer pair's row (-1: none), ``coef`` its coefficient there (0 outside a
    row), ``limit`` each row's right-hand side.
    """

    def __init__(self, row: IntArray, coef: FloatArray, limit: FloatArray) -> None:
        self.row, self.coef, self.limit = row, coef, limit


def share_rows(data: ComponentData, first_row: int = 0) -> ShareRows:
    """The rows of the offers of ``data`` (numbered from ``first_row``), derived above."""
    n_offers = len(data.offer_capacity)
    item = data.offer_item.astype(np.int64)
    qpv = data.qpv[data.offer_student]
    c = np.bincount(item[qpv], minlength=n_offers)
    u = np.bincount(item[~qpv], minlength=n_offers)
    q = data.offer_min_share.astype(np.int64)
    held, held_qpv = data.offer_outside_held, data.offer_outside_qpv
    m = data.offer_qpv_candidates.astype(np.int64) - held_qpv
    a = 100 * held_qpv - q * held
    capacity = data.offer_capacity.astype(np.int64)
    open_seats = capacity - data.offer_reserved
    most = np.minimum(capacity, c + np.minimum(u, open_seats))
    chord = (c >= m) & (q * most > a + 100 * m)
    # The row ``other·x_other + qpv_coef·x_qpv ≤ limit`` of each offer.
    other = np.where(chord, q * m, q).astype(np.float64)
    qpv_coef = np.where(chord, q * m - (q * most - a), q - 100).astype(np.float64)
    limit = np.where(chord, m * a, a).astype(np.float64)
    scale = np.maximum(np.abs(other), np.abs(qpv_coef))
    # Rows the pairs could break: their positive coefficients add up past the limit.
    reach = u * np.maximum(other, 0.0) + c * np.maximum(qpv_coef, 0.0)
    binding = (q > 0) & (m > 0) & (scale > 0) & (reach > limit)
    rows = np.flatnonzero(binding)
    row_of = np.full(n_offers, -1, dtype=np.int64)
    row_of[rows] = first_row + np.arange(len(rows))
    pair_row = row_of[item]
    scale = np.where(scale > 0, scale, 1.0)
    coef = np.where(qpv, qpv_coef[item], other[item]) / scale[item]
    pair_row = np.where(coef != 0, pair_row, -1)  # a share of 100 %: QPV pairs count 0
    coef = np.where(pair_row >= 0, coef, 0.0)
    return ShareRows(pair_row, coef, limit[rows] / scale[rows])
