"""Plots of a plan, as matplotlib Axes: one function per question a reader asks of the plan.

Every ``plot_*(result, ax=None)`` draws into ``ax`` when given (to compose a figure of your
own) and otherwise into a new figure, and returns the Axes. New figures are created with
:class:`matplotlib.figure.Figure` on the Agg canvas, never through ``pyplot``: they open no window,
touch no global state (so reports can be built from threads, servers and tests), and cannot leak
in pyplot's figure registry. Save one with ``ax.figure.savefig("map.png")``.

Colours are the same everywhere: QPV students orange, the others purple (a pair that stays
distinct for the common colour-vision deficiencies and in greyscale).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..i18n import N_, Words, _
from ..result import REASONS, Result
from ._common import OTHER_COLOUR, QPV_COLOUR, REASON_WORDS, context
from .kpis import kpis_by_school

__all__ = [
    "new_axes",
    "plot_capacity_use",
    "plot_map",
    "plot_school_placement",
    "plot_travel_times",
    "plot_unplaced_reasons",
    "plot_wish_ranks",
]

VENUE_COLOUR = "#2a9d8f"

MAX_SCHOOL_BARS = 40
"""Beyond this many schools the bar chart shows the ones with the lowest placement rates."""


def new_axes(figsize: tuple[float, float] = (6.4, 4.0)) -> Axes:
    """Axes on a new Agg-backed figure that belongs to no pyplot state."""
    figure = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(figure)
    return figure.add_subplot()


def _empty(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_map(result: Result, ax: Axes | None = None) -> Axes:
    """Schools, hosts and workshop venues, with a line from each student's school to the host.

    Lines are coloured by the student's QPV status and thicken with the number of students on
    the same school → host pair. They start at the school rather than the student's home on
    purpose: the map is shared with partners and must not reveal where students live (travel
    times, computed from home, are in the tables). Longitude is scaled by cos(latitude), so
    distances look right without map tiles.
    """
    ctx = context(result)
    hosts = {ctx.offer_point[o] for o in ctx.offers}
    venues = {ctx.slot_point[w] for w in ctx.slots}
    schools = set(ctx.school_point.values())
    everything = [p for p in (*hosts, *venues, *schools) if np.isfinite(p).all()]
    if not everything:
        return _empty(ax if ax is not None else new_axes(), _("nothing to map"))
    lats = np.array([p[0] for p in everything])
    lons = np.array([p[1] for p in everything])
    stretch = 1 / max(np.cos(np.radians(float(lats.mean()))), 0.1)
    pad_lat = max(float(np.ptp(lats)) * 0.08, 0.02)
    pad_lon = max(float(np.ptp(lons)) * 0.08, 0.02)
    xlim = (float(lons.min()) - pad_lon, float(lons.max()) + pad_lon)
    ylim = (float(lats.min()) - pad_lat, float(lats.max()) + pad_lat)
    if ax is None:
        ratio = (ylim[1] - ylim[0]) * stretch / (xlim[1] - xlim[0])
        ax = new_axes((9.0, float(np.clip(9.0 * ratio + 1.2, 3.6, 9.0))))
    pairs: Counter[tuple[str, str, bool]] = Counter()
    for student_id, offers in ctx.placements.items():
        student = ctx.students[student_id]
        for offer_id in offers:
            pairs[(student.school_id, offer_id, student.qpv)] += 1
    handles = [
        Line2D([], [], marker="s", ls="", mfc="black", mec="black", label=_("school")),
        Line2D([], [], marker="^", ls="", mfc="white", mec="black", label=_("host")),
        Line2D([], [], marker="D", ls="", mfc=VENUE_COLOUR, mec="black", label=_("workshop venue")),
    ]
    for qpv, colour, name in (
        (False, OTHER_COLOUR, _("placement, other student")),
        (True, QPV_COLOUR, _("placement, QPV student")),
    ):
        chosen = [(k, n) for k, n in pairs.items() if k[2] == qpv]
        if not chosen:
            continue
        segments = [
            [ctx.school_point[s][::-1], ctx.offer_point[o][::-1]] for (s, o, _), _ in chosen
        ]
        widths = [0.6 + 0.5 * np.sqrt(n) for _, n in chosen]
        ax.add_collection(
            LineCollection(segments, colors=colour, linewidths=widths, alpha=0.55, zorder=1)
        )
        handles.append(Line2D([], [], color=colour, lw=2, label=name))
    for points, marker, face, size in (
        (hosts, "^", "white", 38),
        (venues, "D", VENUE_COLOUR, 46),
        (schools, "s", "black", 34),
    ):
        if points:
            lat, lon = np.array(sorted(points)).T
            ax.scatter(lon, lat, marker=marker, s=size, c=face, edgecolors="black", zorder=3)
    ax.set_aspect(stretch)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    _label_towns(ax, ctx)
    ax.legend(handles=handles, loc="best", fontsize="small", framealpha=0.9)
    ax.set_xlabel(_("Longitude (°E)"))
    ax.set_ylabel(_("Latitude (°N)"))
    ax.set_title(_("Schools, hosts and workshop venues (lines: school → host)"))
    ax.grid(True, color="0.92", zorder=0)
    return ax


def _label_towns(ax: Axes, ctx: Any, limit: int = 12) -> None:
    """Name the towns of the busiest schools and venues, for orientation without tiles."""
    weight: Counter[str] = Counter()
    where: dict[str, tuple[float, float]] = {}
    for student in ctx.students.values():
        town = ctx.school_commune.get(student.school_id, "")
        if town:
            weight[town] += 1
            where.setdefault(town, ctx.school_point[student.school_id])
    for slot_id in ctx.slots:
        town = ctx.slot_commune.get(slot_id, "")
        if town:
            weight[town] += 1
            where.setdefault(town, ctx.slot_point[slot_id])
    for town, _count in weight.most_common(limit):
        lat, lon = where[town]
        ax.annotate(
            town,
            (lon, lat),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize="small",
            color="0.15",
            zorder=4,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
        )


def plot_travel_times(result: Result, ax: Axes | None = None) -> Axes:
    """Histogram of one-way placement travel minutes (QPV and other students stacked).

    Workshop travel is drawn as an outline, and the default placement limit as a dashed line,
    so a reader sees at once how close to the limit the plan runs.
    """
    ctx = context(result)
    ax = ax if ax is not None else new_axes()
    qpv: list[float] = []
    other: list[float] = []
    workshops: list[float] = []
    for student_id, student in ctx.students.items():
        for offer_id in ctx.placements[student_id]:
            minutes = result.travel_minutes.get((student_id, offer_id))
            if minutes is not None:
                (qpv if student.qpv else other).append(minutes)
        for slot_id in ctx.workshops[student_id]:
            minutes = result.travel_minutes.get((student_id, slot_id))
            if minutes is not None:
                workshops.append(minutes)
    if not (qpv or other or workshops):
        return _empty(ax, _("no assignments"))
    top = max([*qpv, *other, *workshops, 1.0])
    bins = [float(b) for b in np.arange(0, 5 * np.ceil(top / 5) + 5, 5)]
    series = [
        (values, colour, name)
        for values, colour, name in (
            (other, OTHER_COLOUR, _("placements, other students")),
            (qpv, QPV_COLOUR, _("placements, QPV students")),
        )
        if values
    ]
    if series:
        ax.hist(
            [v for v, _, _ in series],
            bins=bins,
            stacked=True,
            color=[c for _, c, _ in series],
            label=[n for _, _, n in series],
            edgecolor="white",
            linewidth=0.5,
        )
    if workshops:
        ax.hist(
            workshops,
            bins=bins,
            histtype="step",
            color="0.15",
            linewidth=1.4,
            label=_("workshop sessions (all students)"),
        )
    limit = ctx.instance.settings.default_max_travel_min
    ax.axvline(limit, color="0.3", ls="--", lw=1)
    ax.annotate(
        _("default limit\n{limit:g} min").format(limit=limit),
        (limit, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -4),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize="small",
        color="0.3",
    )
    ax.margins(y=0.12)
    ax.set_xlabel(_("One-way travel (minutes)"))
    ax.set_ylabel(_("Assignments"))
    ax.set_title(_("Travel time"))
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2)
    return ax


RANK_BUCKETS = ("1st", "2nd", "3rd", "4th–5th", "6th+", "no wish")
RANK_WORDS = Words(
    {
        "1st": N_("1st wish"),
        "2nd": N_("2nd wish"),
        "3rd": N_("3rd wish"),
        "4th–5th": N_("4th–5th wish"),
        "6th+": N_("6th+ wish"),
        "no wish": N_("matches\nno wish"),
    }
)
"""How each bucket of wish ranks reads under the chart."""


def _bucket(rank: int) -> str:
    if rank <= 0:
        return "no wish"
    if rank <= 3:
        return RANK_BUCKETS[rank - 1]
    return "4th–5th" if rank <= 5 else "6th+"


def plot_wish_ranks(result: Result, ax: Axes | None = None) -> Axes:
    """How placements rank in their students' wishes, from first wish to matching no wish."""
    ctx = context(result)
    ax = ax if ax is not None else new_axes()
    counts = {True: Counter[str](), False: Counter[str]()}
    for student_id, student in ctx.students.items():
        for offer_id in ctx.placements[student_id]:
            counts[student.qpv][_bucket(result.wish_rank.get((student_id, offer_id), 0))] += 1
    if not sum(counts[True].values()) + sum(counts[False].values()):
        return _empty(ax, _("no placements"))
    x = np.arange(len(RANK_BUCKETS))
    other = np.array([counts[False][b] for b in RANK_BUCKETS])
    qpv = np.array([counts[True][b] for b in RANK_BUCKETS])
    if other.any():
        ax.bar(x, other, color=OTHER_COLOUR, label=_("other students"))
    if qpv.any():
        ax.bar(x, qpv, bottom=other, color=QPV_COLOUR, label=_("QPV students"))
    for k, total in enumerate(other + qpv):
        if total:
            ax.annotate(
                f"{total}",
                (k, total),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                fontsize="small",
            )
    ax.set_xticks(x, [RANK_WORDS[b] for b in RANK_BUCKETS])
    ax.set_ylabel(_("Placements"))
    ax.set_title(_("Wish satisfaction"))
    ax.legend(fontsize="small")
    ax.margins(y=0.12)
    return ax


def plot_school_placement(result: Result, ax: Axes | None = None) -> Axes:
    """Share of each school's students placed (bar) and of its QPV students (dot).

    Sorted from the lowest rate, the schools needing attention first; beyond
    :data:`MAX_SCHOOL_BARS` schools only the lowest are drawn (the title says so).
    """
    table = kpis_by_school(result)
    table = table[table["students"] > 0].sort_values(["placed_rate", "school_id"])
    n_all = len(table)
    table = table.head(MAX_SCHOOL_BARS).iloc[::-1]
    if ax is None:
        ax = new_axes((9.0, max(2.5, 0.34 * len(table) + 1.4)))
    if table.empty:
        return _empty(ax, _("no schools with students"))
    y = np.arange(len(table))
    names = [
        f"{_shorten(name, 44)} ({sid})"
        for name, sid in zip(table["school_name"], table["school_id"], strict=True)
    ]
    ax.barh(y, 100 * table["placed_rate"], color="#9ecae1", label=_("all students"))
    qpv = table["qpv_placed_rate"].to_numpy(float)
    has_qpv = np.isfinite(qpv)
    ax.scatter(
        100 * qpv[has_qpv],
        y[has_qpv],
        color=QPV_COLOUR,
        zorder=3,
        s=22,
        label=_("QPV students"),
    )
    for k, (placed, students) in enumerate(zip(table["placed"], table["students"], strict=True)):
        ax.annotate(
            f"{placed}/{students}",
            (0, k),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize="x-small",
        )
    ax.set_yticks(y, names, fontsize="small")
    ax.set_xlim(0, 100)
    ax.set_xlabel(_("Students placed (%)"))
    title = _("Placement rate by school")
    if n_all > len(table):
        title += _(" (the {n} lowest of {total})").format(n=len(table), total=n_all)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_capacity_use(result: Result, ax: Axes | None = None) -> Axes:
    """Seats offered, for placements and workshop sessions: taken (by whom) and left free.

    Free seats are split into those reserved for QPV students and those open to all, because
    they call for different action (find more QPV students, or more students).
    """
    ctx = context(result)
    ax = ax if ax is not None else new_axes((8.0, 2.6))
    rows = []
    for name, items, takers in (
        (_("Placement seats"), ctx.offers, ctx.offer_takers),
        (_("Workshop seats"), ctx.slots, ctx.slot_takers),
    ):
        by_qpv = by_other = free_reserved = free_open = 0
        for item_id, item in items.items():
            qpv = sum(1 for s in takers[item_id] if ctx.students[s].qpv)
            other = len(takers[item_id]) - qpv
            free = item.capacity - qpv - other
            reserved_free = max(0, item.qpv_reserved - qpv)
            by_qpv += qpv
            by_other += other
            free_reserved += min(free, reserved_free)
            free_open += free - min(free, reserved_free)
        rows.append((name, by_qpv, by_other, free_reserved, free_open))
    if not any(sum(r[1:]) for r in rows):
        return _empty(ax, _("no seats offered"))
    parts = (
        (_("taken by QPV students"), QPV_COLOUR),
        (_("taken by other students"), OTHER_COLOUR),
        (_("free, reserved for QPV"), "#fdd0a2"),
        (_("free, open to all"), "#e0e0e0"),
    )
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for k, (label, colour) in enumerate(parts):
        values = np.array([r[k + 1] for r in rows], dtype=float)
        ax.barh(y, values, left=left, color=colour, label=label, edgecolor="white")
        for yy, lo, v in zip(y, left, values, strict=True):
            if v:
                ax.text(lo + v / 2, yy, f"{v:.0f}", ha="center", va="center", fontsize="small")
        left += values
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_xlabel(_("Seats"))
    ax.set_title(_("Capacity use"))
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax


def plot_unplaced_reasons(result: Result, ax: Axes | None = None) -> Axes:
    """Students without a placement by reason (QPV and other students stacked)."""
    ax = ax if ax is not None else new_axes((8.0, 2.6))
    if not result.unplaced:
        return _empty(ax, _("every student has a placement"))
    counts = Counter((u.reason, u.qpv) for u in result.unplaced)
    reasons = [r for r in REASONS if counts[(r, True)] + counts[(r, False)]]
    reasons += sorted({u.reason for u in result.unplaced} - set(REASONS))
    y = np.arange(len(reasons))[::-1]
    qpv = np.array([counts[(r, True)] for r in reasons])
    other = np.array([counts[(r, False)] for r in reasons])
    if qpv.any():
        ax.barh(y, qpv, color=QPV_COLOUR, label=_("QPV students"))
    if other.any():
        ax.barh(y, other, left=qpv, color=OTHER_COLOUR, label=_("other students"))
    for yy, total in zip(y, qpv + other, strict=True):
        ax.annotate(f"{total}", (total, yy), xytext=(3, 0), textcoords="offset points", va="center")
    words = [REASON_WORDS.get(r, r) for r in reasons]
    ax.set_yticks(y, [_wrap(w, 34) for w in words], fontsize="small")
    ax.set_xlabel(_("Students without a placement"))
    ax.set_title(_("Why students are unplaced"))
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.margins(x=0.12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def _shorten(text: str, width: int) -> str:
    """Cut the middle of a long name: school names differ at their end (the town)."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head].rstrip() + "…" + text[len(text) - (width - 1 - head) :].lstrip()


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


PLOTS = {
    "map": plot_map,
    "travel": plot_travel_times,
    "wishes": plot_wish_ranks,
    "schools": plot_school_placement,
    "capacity": plot_capacity_use,
    "unplaced": plot_unplaced_reasons,
}
"""Every plot of the HTML page by name, in page order."""
