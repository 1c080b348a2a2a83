"""The inequality measures (stagematch.inequality) on numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from stagematch.inequality import gini, min_max_ratio


def test_gini_on_hand_made_numbers() -> None:
    assert gini([0.7, 0.7, 0.7]) == 0
    assert gini([0, 1]) == pytest.approx(0.5)
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)  # Σ|xi − xj| = 20, 2 n² mean = 80
    assert gini([4, 1, 3, 2, float("nan")]) == pytest.approx(0.25)  # order and NaN do not matter
    assert gini([0, 0]) == 0
    assert math.isnan(gini([]))
    with pytest.raises(ValueError, match="non-negative"):
        gini([1, -1])


def test_min_max_ratio_on_hand_made_numbers() -> None:
    assert min_max_ratio([0.5, 1.0, 0.75]) == pytest.approx(0.5)
    assert min_max_ratio([0.8, float("nan"), 0.4]) == pytest.approx(0.5)
    assert min_max_ratio([0.0, 0.9]) == 0
    assert math.isnan(min_max_ratio([]))
    assert math.isnan(min_max_ratio([0.0, 0.0]))
