"""``report.html``: one self-contained page with the KPIs, plots and the unplaced.

The page is sent by e-mail and opened offline, sometimes on networks that block everything, so it
loads nothing: styles are inline, fonts are the reader's system fonts, every plot is a PNG inside
a ``data:`` URI, and a Content-Security-Policy forbids any other source, so a future edit that
added a remote resource would show up as a broken page in the browser test rather than as a
silent request to a third party.

A few lines of inline script record, once the page has loaded, how many images decoded
(``data-images-loaded`` / ``data-images-total`` on ``<body>``); a headless browser's DOM dump then
proves the page renders. Long tables are cut at :data:`MAX_ROWS` rows with a pointer to the
workbook, which always has everything.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes

from .. import i18n
from .._version import __version__
from ..gaps import Gaps, report_gaps
from ..i18n import _
from ..result import Result, input_hash
from ._common import PART_WORDS, format_number, is_rate, label
from .kpis import GROUPS, kpi_tables
from .plots import (
    plot_capacity_use,
    plot_map,
    plot_school_placement,
    plot_travel_times,
    plot_unplaced_reasons,
    plot_wish_ranks,
)
from .rosters import unplaced_students
from .transport import plot_cost_by_school, plot_cost_by_venue, transport_tables

MAX_ROWS = 300
"""Rows shown per table on the page; the workbook has all of them."""

DPI = 110

CSS = """
:root { --ink:#1d1d29; --muted:#5b5b6b; --line:#dcdce6; --band:#f5f5fa; --accent:#3f3f7f;
        --qpv:#e66100; --other:#5d3a9b; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; font-size: 15px; }
header { background: var(--accent); color: #fff; padding: 22px 32px 18px; }
header h1 { margin: 0 0 4px; font-size: 26px; font-weight: 650; }
header p { margin: 0; opacity: .9; }
nav { padding: 8px 32px; border-bottom: 1px solid var(--line); background: var(--band);
      font-size: 14px; }
nav a { color: var(--accent); margin-right: 16px; text-decoration: none; }
main { max-width: 1180px; padding: 8px 32px 40px; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--accent); }
h3 { font-size: 16px; margin: 20px 0 8px; }
p.note { color: var(--muted); font-size: 13px; margin: 6px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
         gap: 12px; margin: 18px 0 6px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
        background: #fff; }
.card .value { font-size: 26px; font-weight: 650; }
.card .label { color: var(--muted); font-size: 13px; }
.card.qpv { border-left: 5px solid var(--qpv); }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13.5px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fbfbfd; }
.scroll { overflow-x: auto; max-width: 100%; }
figure { margin: 10px 0 18px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.row figure { flex: 1 1 480px; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); font-weight: 600; }
footer { color: var(--muted); font-size: 12px; padding: 16px 32px; border-top: 1px solid
         var(--line); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px;
         background: #fff; color: var(--accent); font-weight: 600; margin-left: 8px; }
@media print { nav { display: none; } h2 { break-after: avoid; } figure { break-inside: avoid; } }
"""

SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  document.body.setAttribute("data-images-total", String(images.length));
  document.body.setAttribute("data-images-loaded", String(loaded.length));
  document.body.setAttribute("data-rendered", loaded.length === images.length ? "ok" : "broken");
});
"""

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)


def figure_data_uri(ax: Axes, dpi: int = DPI) -> str:
    """The figure holding ``ax`` as a ``data:image/png;base64,…`` URI."""
    buffer = io.BytesIO()
    root: Any = getattr(ax.figure, "figure", ax.figure)  # a subfigure's root figure
    root.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(plot: Callable[[Result], Axes], result: Result, alt: str, caption: str) -> str:
    uri = figure_data_uri(plot(result))
    return (
        f'<figure><img src="{uri}" alt="{escape(alt)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def html_table(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    rate_rows: frozenset[str] = frozenset(),
    labels: bool = True,
    max_rows: int = MAX_ROWS,
) -> str:
    """An HTML table of ``frame`` (readable headings, formatted numbers, at most ``max_rows``)."""
    columns = list(columns) if columns is not None else [str(c) for c in frame.columns]
    head = "".join(f"<th>{escape(label(c) if labels else c)}</th>" for c in columns)
    body = []
    shown = frame.head(max_rows)
    for values in shown[columns].itertuples(index=False, name=None):
        key = values[0]
        cells = []
        for column, value in zip(columns, values, strict=True):
            rate = is_rate(column) or key in rate_rows
            text = escape(format_number(value, rate=rate))
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            numeric = numeric or hasattr(value, "dtype")
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if len(frame) > max_rows:
        shown_note = _("Showing the first {shown} of {rows} rows; report.xlsx has them all.")
        note = f'<p class="note">{escape(shown_note.format(shown=max_rows, rows=len(frame)))}</p>'
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{note}"
    )


def _card(value: str, text: str, qpv: bool = False) -> str:
    css = "card qpv" if qpv else "card"
    return (
        f'<div class="{css}"><div class="value">{escape(value)}</div>'
        f'<div class="label">{escape(text)}</div></div>'
    )


def _pct(x: Any) -> str:
    return format_number(x, rate=True) or "–"


def render_html(result: Result, *, generated: date | None = None) -> str:
    """The whole page as a string (UTF-8 when written).

    Sections: headline cards, indicators by group, map, travel and wishes, schools, capacity,
    reserved seats, the unplaced and why.
    """
    tables = kpi_tables(result)
    instance = result.instance
    settings = instance.settings
    groups = {row["group"]: row for row in tables["by_group"].to_dict("records")}
    everyone, qpv = groups[_("All students")], groups[_("QPV")]
    day = generated or date.today()
    period = (
        f"{settings.period_start.strftime('%d/%m/%Y')} – {settings.period_end.strftime('%d/%m/%Y')}"
    )
    status = {"optimal": _("proven optimal"), "feasible": _("feasible")}.get(
        result.status, result.status
    )
    cards = "".join(
        [
            _card(
                f"{int(everyone['placed'])} / {int(everyone['students'])}",
                _("students placed ({rate})").format(rate=_pct(everyone["placed_rate"])),
            ),
            _card(
                f"{int(qpv['placed'])} / {int(qpv['students'])}",
                _("QPV students placed ({rate})").format(rate=_pct(qpv["placed_rate"])),
                qpv=True,
            ),
            _card(
                _pct(everyone["programme_completeness"]), _("programme completeness (half-days)")
            ),
            _card(
                _pct(everyone["workshop_target_met_rate"]),
                _("students with {n} workshop(s) or more").format(n=settings.workshops_per_student),
            ),
            _card(_pct(everyone["first_choice_rate"]), _("placements on the first wish")),
            _card(
                (format_number(everyone["travel_median_min"]) or "–") + " min",
                _("median one-way placement travel"),
            ),
            _card(str(int(everyone["unplaced"])), _("students without a placement")),
        ]
    )
    by_group = tables["by_group"].set_index("group").T
    by_group.index = [label(c) for c in by_group.index]
    indicator = _("Indicator")
    by_group = by_group.reset_index().rename(columns={"index": indicator})
    group_rates = frozenset(label(c) for c in tables["by_group"].columns if is_rate(c))
    school_columns = [
        "school_id",
        "school_name",
        "school_commune",
        "students",
        "placed",
        "placed_rate",
        "qpv_placed_rate",
        "programme_completeness",
        "workshop_target_met_rate",
        "first_choice_rate",
        "travel_median_min",
    ]
    unplaced = unplaced_students(result)
    sessions = tables["sessions"]
    sections = [
        (
            "summary",
            _("Summary"),
            f'<div class="cards">{cards}</div>'
            + html_table(
                by_group,
                columns=[indicator, *[_(g) for g in GROUPS if _(g) in by_group.columns]],
                rate_rows=group_rates,
                labels=False,
            )
            + '<p class="note">'
            + escape(
                _(
                    "Rates are shares of the group's students, except wish rates (shares of its "
                    "placements). Completeness is the share of the period's half-days covered by "
                    "placements and workshop sessions."
                )
            )
            + "</p>",
        ),
        (
            "map",
            _("Map"),
            _figure(
                plot_map,
                result,
                _("Map of schools, hosts and workshop venues"),
                _(
                    "Lines join each placed student's school to the host (thicker: more "
                    "students). Homes are not shown."
                ),
            ),
        ),
        (
            "travel",
            _("Travel and wishes"),
            '<div class="row">'
            + _figure(
                plot_travel_times,
                result,
                _("Histogram of one-way travel minutes"),
                _("One-way minutes from home (or school) to each placement and workshop session."),
            )
            + _figure(
                plot_wish_ranks,
                result,
                _("Placements by wish rank"),
                _("Rank of each placement in the student's list of wished offers, then sectors."),
            )
            + "</div>",
        ),
        (
            "schools",
            _("Schools"),
            _figure(
                plot_school_placement,
                result,
                _("Placement rate by school"),
                _("Bars: all students; dots: QPV students. Labels: placed / students."),
            )
            + html_table(tables["by_school"], columns=school_columns),
        ),
        (
            "capacity",
            _("Capacity"),
            _figure(
                plot_capacity_use,
                result,
                _("Seats taken and free"),
                _("Seats of all offers and all workshop sessions."),
            )
            + "<h3>"
            + escape(_("Workshop sessions"))
            + "</h3>"
            + (
                html_table(
                    sessions,
                    columns=[
                        "date",
                        "part",
                        "title",
                        "association",
                        "venue",
                        "capacity",
                        "attendees",
                        "use_rate",
                    ],
                )
                if not sessions.empty
                else '<p class="note">' + escape(_("No workshop sessions.")) + "</p>"
            )
            + "<details><summary>"
            + escape(_("Capacity by host"))
            + "</summary>"
            + html_table(tables["hosts"])
            + "</details><h3>"
            + escape(_("Seats reserved for QPV students"))
            + "</h3>"
            + html_table(tables["reserved_seats"]),
        ),
        (
            "unplaced",
            _("Unplaced students"),
            _figure(
                plot_unplaced_reasons,
                result,
                _("Unplaced students by reason"),
                _("The first reason that applies, in this order."),
            )
            + html_table(tables["unplaced_by_reason"])
            + (
                html_table(
                    unplaced,
                    columns=[
                        "student_id",
                        "qpv",
                        "school_id",
                        "school_name",
                        "reason_text",
                        "detail",
                    ],
                )
                if not unplaced.empty
                else '<p class="note">' + escape(_("Every student has a placement.")) + "</p>"
            ),
        ),
    ]
    recruit = report_gaps(result)
    if recruit is not None:
        sections.append(("recruit", _("Where to recruit"), _recruit_section(recruit)))
    transport = transport_tables(result)
    if transport:
        sections.append(("transport", _("Transport"), _transport_section(result, transport)))
    if result.warnings:
        sections.append(
            (
                "warnings",
                _("Data warnings"),
                '<p class="note">'
                + escape(_("The data was planned anyway; fixing these may place more students."))
                + "</p>"
                + html_table(result.warnings_frame),
            )
        )
    nav = "".join(f'<a href="#{key}">{escape(title)}</a>' for key, title, _ in sections)
    body = "".join(
        f'<section id="{key}"><h2>{escape(title)}</h2>{content}</section>'
        for key, title, content in sections
    )
    title = _("Placement plan report")
    subtitle = _(
        "Period {period} · {students} students · {schools} schools · {hosts} hosts · "
        "{sessions} workshop sessions"
    ).format(
        period=period,
        students=len(instance.students),
        schools=len(instance.schools),
        hosts=len({o.host_id for o in instance.offers}),
        sessions=len(instance.workshop_slots),
    )
    footer = escape(
        _(
            "Generated by stagematch {version} on {day} · solver seed {seed} · input {hash}. "
            "Time of day: {parts}."
        ).format(
            version=__version__,
            day=day.strftime("%d/%m/%Y"),
            seed=result.seed,
            hash=input_hash(instance),
            parts=", ".join(f"{k} = {v}" for k, v in PART_WORDS.items()),
        )
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{i18n.current()}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f'<body data-rendered="pending"><header><h1>{escape(title)}'
        f'<span class="badge">{escape(status)}</span></h1><p>{escape(subtitle)}</p></header>'
        f"<nav>{nav}</nav><main>{body}</main><footer>{footer}</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def _recruit_section(recruit: Gaps) -> str:
    if not recruit.groups:
        return '<p class="note">' + escape(_("No added seat would place anyone more.")) + "</p>"
    last = recruit.groups[-1]
    note = _(
        "Today's best plan places {placed} students ({qpv} QPV). Each row is a one-week offer "
        "to recruit in a commune, with exactly how many more students (and QPV students) the "
        "best plan would then place, given the rows above it; QPV students first. With all of "
        "them: {total} students placed ({qpv_total} QPV). The sector is the one the students "
        "reached wish most; it decides no eligibility."
    ).format(
        placed=recruit.placed,
        qpv=recruit.qpv_placed,
        total=last.placed_total,
        qpv_total=last.qpv_placed_total,
    )
    return f'<p class="note">{escape(note)}</p>' + html_table(recruit.frame)


def _transport_section(result: Result, tables: dict[str, pd.DataFrame]) -> str:
    totals = dict(zip(tables["totals"]["indicator"], tables["totals"]["value"], strict=True))
    per_qpv = totals["cost_per_placed_qpv_student"]
    cards = "".join(
        [
            _card(f"{totals['total_cost']:,.0f} €", _("transport in all")),
            _card(
                str(totals["coaches"]),
                _("coaches ({groups} groups)").format(groups=totals["coach_groups"]),
            ),
            _card(f"{totals['coach_cost']:,.0f} €", _("coaches")),
            _card(f"{totals['transit_cost']:,.0f} €", _("public transport to hosts")),
            _card(
                "–" if per_qpv is None else f"{per_qpv:,.0f} €",
                _("per placed QPV student"),
                qpv=True,
            ),
        ]
    )
    return (
        f'<div class="cards">{cards}</div><div class="row">'
        + _figure(
            plot_cost_by_venue,
            result,
            _("Coach cost by workshop venue"),
            _("Each (session, school) group travels by coach from its school."),
        )
        + _figure(
            plot_cost_by_school,
            result,
            _("Transport cost by school"),
            _("Coaches to workshop sessions and public transport to hosts."),
        )
        + "</div><h3>"
        + escape(_("By school"))
        + "</h3>"
        + html_table(tables["by_school"])
        + "<details><summary>"
        + escape(_("Coach groups (transport.csv)"))
        + "</summary>"
        + html_table(tables["groups"])
        + "</details>"
    )


def write_html(result: Result, path: str | Path) -> Path:
    """Write ``report.html`` for ``result``."""
    target = Path(path)
    target.write_text(render_html(result), encoding="utf-8")
    return target


def html_writer(result: Result) -> Callable[[Path], None]:
    """A writer for :func:`stagematch.export.write_files` (atomic multi-file writes)."""

    def write(path: Path) -> None:
        write_html(result, path)

    return write
