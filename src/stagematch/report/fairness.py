"""Fairness in reports: workbook sheets and a chart from :mod:`stagematch.fairness`.

The fairness analysis is not part of ``report.xlsx`` by default: it scans every candidate pair,
which on an académie costs as much as the rest of the report together, and it answers a
different question (who got which seat, rather than how many are placed). Add it when needed::

    from stagematch import fairness
    from stagematch.report import fairness_sheets, plot_fairness, workbook_sheets
    from stagematch.report.excel import write_workbook

    analysis = fairness.analyse(instance, result.plan)
    write_workbook([*workbook_sheets(result), *fairness_sheets(analysis)], "report.xlsx")
    plot_fairness(analysis).figure.savefig("fairness.png")
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ..fairness import Fairness
from ..i18n import N_, Words, _
from ._common import OTHER_COLOUR, QPV_COLOUR
from .excel import Sheet, write_workbook
from .plots import _empty, new_axes

__all__ = ["FAIRNESS_WORDS", "fairness_sheets", "plot_fairness", "write_fairness_excel"]

FAIRNESS_WORDS = Words(
    {
        "students": N_("Students"),
        "placed": N_("Students placed"),
        "placed_rate": N_("Students placed"),
        "qpv_students": N_("QPV students"),
        "qpv_placed": N_("QPV students placed"),
        "qpv_placed_rate": N_("QPV students placed"),
        "first_wish_rate": N_("Placed on their first wish"),
        "any_wish_rate": N_("Placed on one of their wishes"),
        "wish_cost_mean": N_("Wish cost of the placement (mean)"),
        "travel_median_min": N_("Placement travel, median (min)"),
        "travel_mean_min": N_("Placement travel, mean (min)"),
        "blocking_pairs": N_("Blocking pairs (student, offer)"),
        "justified_envy_pairs": N_("Justified-envy pairs"),
        "wasted_seat_pairs": N_("Wasted-seat pairs"),
        "blocking_students": N_("Students in a blocking pair"),
        "envious_students": N_("Students with justified envy"),
        "envious_rate": N_("Students with justified envy"),
        "envious_qpv_students": N_("QPV students with justified envy"),
        "wasted_seats": N_("Wasted seats"),
        "offers_with_wasted_seats": N_("Offers with wasted seats"),
        "unplaced_with_free_seat": N_("Unplaced students with a free seat they may take"),
        "school_placed_rate_min": N_("Lowest school placement rate"),
        "school_placed_rate_max": N_("Highest school placement rate"),
        "school_min_max_ratio": N_("Lowest / highest school placement rate"),
        "school_gini": N_("Gini of school placement rates"),
        "stable": N_("Stable (no blocking pair)"),
    }
)
"""A readable name for each figure of :meth:`~stagematch.fairness.Fairness.summary`, in the
language in force."""

RATE_KEYS = frozenset(
    {
        "placed_rate",
        "qpv_placed_rate",
        "first_wish_rate",
        "any_wish_rate",
        "envious_rate",
        "school_placed_rate_min",
        "school_placed_rate_max",
    }
)


def _summary_frame(summary: pd.DataFrame) -> tuple[pd.DataFrame, frozenset[str]]:
    """Indicators as rows, plans as columns; with the row names that hold rates."""
    table = summary.T
    names = [FAIRNESS_WORDS.get(k, k) + (" (%)" if k in RATE_KEYS else "") for k in table.index]
    rates = frozenset(n for k, n in zip(table.index, names, strict=True) if k in RATE_KEYS)
    table.index = names
    table = table.reset_index().rename(columns={"index": _("Indicator")})
    table.columns = [str(c) for c in table.columns]
    return table, rates


def fairness_sheets(analysis: Fairness, comparison: pd.DataFrame | None = None) -> list[Sheet]:
    """Workbook sheets for one plan's fairness, and optionally a comparison of plans.

    Sheets: *Fairness* (the summary; with ``comparison`` from
    :func:`stagematch.fairness.compare`, one column per plan instead), *Fairness by group* (QPV
    versus non-QPV), *Fairness by school*, *Justified envy* (one row per student in a blocking
    pair, see :meth:`~stagematch.fairness.Fairness.students_frame`) and *Wasted seats*.
    """
    summary = (
        comparison
        if comparison is not None
        else pd.DataFrame([analysis.summary()], index=pd.Index([_("this plan")], name="plan"))
    )
    table, rates = _summary_frame(summary)
    groups = analysis.by_group()
    groups["group"] = groups["group"].map(_)
    return [
        Sheet(_("Fairness"), table, rate_rows=rates, labels=False),
        Sheet(_("Fairness by group"), groups),
        Sheet(_("Fairness by school"), analysis.by_school()),
        Sheet(_("Justified envy"), analysis.students_frame()),
        Sheet(_("Wasted seats"), analysis.wasted_frame()),
    ]


def write_fairness_excel(
    analysis: Fairness, path: str | Path, comparison: pd.DataFrame | None = None
) -> Path:
    """A workbook of :func:`fairness_sheets` alone (the file is complete or absent)."""
    return write_workbook(fairness_sheets(analysis, comparison), path)


CHART_METRICS: tuple[tuple[str, str], ...] = (
    ("placed_rate", N_("students\nplaced")),
    ("qpv_placed_rate", N_("QPV students\nplaced")),
    ("first_wish_rate", N_("first wish\n(of those placed)")),
    ("envious_rate", N_("students with\njustified envy")),
)

PLAN_COLOURS = ("#3f3f7f", QPV_COLOUR, "#2a9d8f", OTHER_COLOUR, "#7f7f7f", "#b8860b")


def plot_fairness(
    data: Fairness | pd.DataFrame | Mapping[str, Fairness], ax: Axes | None = None
) -> Axes:
    """What each plan gives and costs: placed, QPV placed, first wishes, justified envy.

    ``data`` is a comparison from :func:`stagematch.fairness.compare` (one bar colour per
    plan), a mapping of names to analyses, or one analysis. Bars are percentages of students
    (first wishes: of placed students); the title gives the wasted seats, which should be 0
    for any plan a coordinator publishes.
    """
    if isinstance(data, Fairness):
        frame = pd.DataFrame([data.summary()], index=[_("this plan")])
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        frame = pd.DataFrame([f.summary() for f in data.values()], index=list(data))
    if ax is None:
        ax = new_axes((9.0, 3.6))
    if frame.empty:
        return _empty(ax, _("no plan to compare"))
    n_plans = len(frame)
    width = 0.8 / n_plans
    x = np.arange(len(CHART_METRICS))
    for k, (name, row) in enumerate(frame.iterrows()):
        values = np.array([float(row[m]) for m, _words in CHART_METRICS]) * 100
        offsets = x - 0.4 + width * (k + 0.5)
        bars = ax.bar(
            offsets,
            np.nan_to_num(values),
            width,
            color=PLAN_COLOURS[k % len(PLAN_COLOURS)],
            label=_("{plan} (wasted seats: {n})").format(plan=name, n=int(row["wasted_seats"])),
        )
        for bar, value in zip(bars, values, strict=True):
            if np.isfinite(value):
                ax.annotate(
                    f"{value:.0f}",
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    fontsize="x-small",
                )
    ax.set_xticks(x, [_(words) for _metric, words in CHART_METRICS])
    ax.set_ylim(0, 108)
    ax.set_ylabel("%")
    ax.set_title(_("Placements and fairness by plan"))
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
