"""Transport in reports: the coach groups as a sheet, cost by venue and by school as charts.

Present only when the dataset plans transport (:attr:`stagematch.result.Result.transport`); a
plan without transport settings gets the report it always had.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ..i18n import _
from ..result import Result
from ._common import NEUTRAL_COLOUR, OTHER_COLOUR
from .plots import _empty, _shorten, new_axes

__all__ = ["plot_cost_by_school", "plot_cost_by_venue", "transport_tables"]

TRANSIT_COLOUR = "#2a9d8f"


def transport_tables(result: Result) -> dict[str, pd.DataFrame]:
    """``totals`` (one row per figure of ``summary.json``'s transport object), ``groups`` (the
    coach groups of ``transport.csv``), ``by_venue`` and ``by_school``; empty without
    transport."""
    costs = result.transport
    if costs is None:
        return {}
    names = {s.school_id: s.name for s in result.instance.schools}
    by_school = costs.by_school()
    by_school.insert(1, "school_name", by_school["school_id"].map(names).fillna(""))
    # Object cells: a count stays an integer and a cost per head nobody bears stays None
    # (a float column would make them 3.0 and NaN).
    totals = pd.DataFrame(
        [(key, value) for key, value in costs.summary().items()],
        columns=["indicator", "value"],
        dtype=object,
    )
    return {
        "totals": totals,
        "groups": costs.coaches,
        "by_venue": costs.by_venue(),
        "by_school": by_school,
    }


def plot_cost_by_venue(result: Result, ax: Axes | None = None) -> Axes:
    """Coach cost per workshop venue, with the number of coaches on each bar."""
    ax = ax if ax is not None else new_axes((6.0, 3.2))
    costs = result.transport
    if costs is None or not len(costs.coaches):
        return _empty(ax, _("no coach travels"))
    frame = costs.by_venue().sort_values("coach_cost")
    y = np.arange(len(frame))
    ax.barh(y, frame["coach_cost"], color=OTHER_COLOUR)
    for yy, (cost, coaches) in enumerate(zip(frame["coach_cost"], frame["coaches"], strict=True)):
        ax.annotate(
            _("{cost} € · {coaches} coaches").format(cost=f"{cost:,.0f}", coaches=coaches),
            (cost, yy),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
        )
    ax.set_yticks(y, [_shorten(str(v), 34) for v in frame["venue"]], fontsize="small")
    ax.set_xlabel(_("Coach cost (€)"))
    ax.set_title(_("Coaches by workshop venue"))
    ax.margins(x=0.45)
    return ax


def plot_cost_by_school(result: Result, ax: Axes | None = None) -> Axes:
    """Coach and public-transport cost per school, stacked."""
    ax = ax if ax is not None else new_axes((6.0, 3.6))
    costs = result.transport
    if costs is None:
        return _empty(ax, _("no transport planned"))
    frame = costs.by_school()
    if not len(frame):
        return _empty(ax, _("nobody travels"))
    names = {s.school_id: s.name or s.school_id for s in result.instance.schools}
    frame = frame.sort_values("total_cost")
    y = np.arange(len(frame))
    ax.barh(y, frame["coach_cost"], color=OTHER_COLOUR, label=_("coaches"))
    ax.barh(
        y,
        frame["transit_cost"],
        left=frame["coach_cost"],
        color=TRANSIT_COLOUR,
        label=_("public transport"),
    )
    labels = [f"{_shorten(names.get(s, s), 30)} ({s})" for s in frame["school_id"]]
    ax.set_yticks(y, labels, fontsize="x-small")
    ax.set_xlabel(_("Cost (€)"))
    ax.set_title(_("Transport cost by school"))
    ax.legend(fontsize="small", loc="lower right", edgecolor=NEUTRAL_COLOUR)
    return ax
