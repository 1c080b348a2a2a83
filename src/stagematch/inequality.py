"""How evenly an outcome is shared: the Gini coefficient and the min/max ratio.

Used by :mod:`stagematch.fairness` on per-school placement rates; plain numpy, no dataset.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["gini", "min_max_ratio"]


def gini(values: Iterable[float]) -> float:
    """The Gini coefficient of non-negative values (0: all equal; near 1: one takes all).

    The mean absolute difference between all pairs, over twice the mean:
    ``Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² x̄)``, computed from the sorted values. Used on per-school
    placement rates, each school counting once: a small school placed badly matters as much as
    a large one to the pupils of that school. NaN values are left out; with no value the result
    is NaN, and when every value is 0 it is 0 (all equal).

    Raises
    ------
    ValueError
        When a value is negative (the coefficient is meaningless there).
    """
    x = np.asarray(list(values), dtype=float)
    x = np.sort(x[~np.isnan(x)])
    if not x.size:
        return float("nan")
    if (x < 0).any():
        raise ValueError("the Gini coefficient needs non-negative values")
    total = float(x.sum())
    if total == 0:
        return 0.0
    n = x.size
    i = np.arange(1, n + 1)
    return float(2 * np.dot(i, x) / (n * total) - (n + 1) / n)


def min_max_ratio(values: Iterable[float]) -> float:
    """The smallest value over the largest (1: all equal; 0: someone gets nothing).

    On per-school placement rates it reads "the worst-served school places this fraction of
    what the best-served one does". NaN values are left out; NaN when there is no value or the
    largest is 0 (nothing to compare with).
    """
    x = np.asarray(list(values), dtype=float)
    x = x[~np.isnan(x)]
    if not x.size or x.max() == 0:
        return float("nan")
    return float(x.min() / x.max())
