"""The report plots (stagematch.report.plots) draw on the hand-made plan and on an empty one."""

from __future__ import annotations

import pytest
from matplotlib.axes import Axes
from report_support import hand_made

from stagematch.evaluate import evaluate
from stagematch.plan import Plan
from stagematch.report import (
    plot_capacity_use,
    plot_map,
    plot_school_placement,
    plot_travel_times,
    plot_unplaced_reasons,
    plot_wish_ranks,
)
from stagematch.report.plots import new_axes
from stagematch.result import Result


@pytest.fixture
def result() -> Result:
    return hand_made()


# --------------------------------------------------------------------------------------------
# Plots

PLOTS = [
    plot_map,
    plot_travel_times,
    plot_wish_ranks,
    plot_school_placement,
    plot_capacity_use,
    plot_unplaced_reasons,
]


@pytest.mark.parametrize("plot", PLOTS, ids=lambda p: p.__name__)
def test_plots_return_axes_and_draw_into_a_given_one(result: Result, plot: object) -> None:
    ax = plot(result)  # type: ignore[operator]
    assert isinstance(ax, Axes)
    assert ax.has_data() or ax.texts
    mine = new_axes()
    assert plot(result, ax=mine) is mine  # type: ignore[operator]


@pytest.mark.parametrize("plot", PLOTS, ids=lambda p: p.__name__)
def test_plots_of_an_empty_plan_do_not_fail(plot: object) -> None:
    empty = evaluate(hand_made().instance, Plan())
    assert isinstance(plot(empty), Axes)  # type: ignore[operator]


def test_plots_never_touch_pyplot(result: Result) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for plot in PLOTS:
        plot(result)
    assert plt.get_fignums() == before
