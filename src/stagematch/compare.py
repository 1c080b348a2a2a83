"""Scenarios side by side: every level, KPI and cost of several plans, with the differences.

A funder decides from this view: "a third venue: +14 QPV students placed, +2 coaches, +900 €".
The first plan is the baseline; every other one is compared with it::

    import stagematch as sm

    table = sm.compare({"today": base, "third venue": with_venue})
    table.frame                  # one row per figure, one column per scenario, then the Δ
    print(table.headlines())     # one sentence per scenario
    table.write("out/compare")   # compare.csv and compare.html

``stagematch compare PLAN_A PLAN_B …`` does the same from plan folders.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import i18n
from .i18n import N_, _
from .result import Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Comparison", "compare"]

COUNT_ROWS = (
    "students",
    "qpv_students",
    "placed",
    "qpv_placed",
    "unplaced",
    "placements",
    "workshop_sessions",
    "offers",
    "workshop_slots",
)
TRANSPORT_ROWS = (
    "coaches",
    "coach_cost",
    "transit_cost",
    "total_cost",
    "cost_per_placed_student",
    "cost_per_placed_qpv_student",
)
CHARTED = (
    ("counts", "qpv_placed", N_("QPV students placed")),
    ("counts", "placed", N_("Students placed")),
    ("transport", "coaches", N_("Coaches")),
    ("transport", "total_cost", N_("Transport cost (€)")),
)
HEADLINES = (
    ("counts", "qpv_placed", N_("{delta} QPV students placed")),
    ("counts", "placed", N_("{delta} students placed")),
    ("level", "workshops", N_("{delta} workshops attended")),
    ("transport", "coaches", N_("{delta} coaches")),
    ("transport", "total_cost", N_("{delta} € of transport")),
)
"""The figures of a headline, each with its words (``{delta}`` is the signed difference)."""


def _figures(result: Result) -> dict[tuple[str, str], float | None]:
    """Every figure of a result, keyed by (section, name)."""
    summary = result.summary()
    out: dict[tuple[str, str], float | None] = {}
    for name, level in result.levels.items():
        out[("level", name)] = level.value
        out[("level bound", name)] = level.bound
    for name in COUNT_ROWS:
        out[("counts", name)] = summary["counts"][name]
    for name, value in summary["kpis"].items():
        out[("kpis", name)] = value
    transport = summary.get("transport")
    if transport is not None:
        for name in TRANSPORT_ROWS:
            out[("transport", name)] = transport[name]
    return out


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


@dataclass(frozen=True, eq=False)
class Comparison:
    """Several plans' figures side by side; the first plan is the baseline."""

    results: dict[str, Result]

    @property
    def names(self) -> list[str]:
        return list(self.results)

    @property
    def frame(self) -> pd.DataFrame:
        """One row per figure (``section``, ``figure``), one column per scenario, then one
        ``Δ <scenario>`` column per scenario after the first (its value minus the baseline's).

        A figure a scenario does not have (a level left out of its objective, transport in a
        dataset without transport settings) is blank.
        """
        figures = self._figures
        keys: list[tuple[str, str]] = []
        for values in figures.values():
            keys += [k for k in values if k not in keys]
        rows = []
        base = self.names[0]
        for key in keys:
            row: dict[str, Any] = {"section": key[0], "figure": key[1]}
            for name in self.names:
                row[name] = figures[name].get(key)
            for name in self.names[1:]:
                row[f"Δ {name}"] = _difference(figures[name].get(key), figures[base].get(key))
            rows.append(row)
        return pd.DataFrame(rows)

    @cached_property
    def _figures(self) -> dict[str, dict[tuple[str, str], float | None]]:
        return {name: _figures(result) for name, result in self.results.items()}

    def _value(self, name: str, section: str, figure: str) -> float | None:
        return self._figures[name].get((section, figure))

    def headlines(self) -> str:
        """One sentence per scenario after the first: what changes against the baseline.

        QPV students placed, students placed, coaches, transport cost and, when QPV placements
        and cost both grow, the cost of each extra QPV student placed; in the language in force.
        """
        base = self.names[0]
        lines = []
        for name in self.names[1:]:
            parts = []
            for section, figure, words in HEADLINES:
                delta = _difference(
                    self._value(name, section, figure), self._value(base, section, figure)
                )
                if delta is not None:
                    parts.append(_(words).format(delta=_signed(delta)))
            extra_qpv = _difference(
                self._value(name, "counts", "qpv_placed"), self._value(base, "counts", "qpv_placed")
            )
            extra_cost = _difference(
                self._value(name, "transport", "total_cost"),
                self._value(base, "transport", "total_cost"),
            )
            if extra_qpv and extra_qpv > 0 and extra_cost is not None:
                cost = _number(round(extra_cost / extra_qpv))
                parts.append(_("{cost} € per extra QPV student placed").format(cost=cost))
            text = _("{scenario} (vs {baseline}): {changes}")
            lines.append(text.format(scenario=name, baseline=base, changes=", ".join(parts)))
        return "\n".join(lines)

    def charts(self) -> list[Axes]:
        """One bar chart per headline figure (QPV placed, placed, coaches, cost), scenarios
        side by side; figures no scenario has are skipped."""
        from .report.plots import new_axes

        axes = []
        for section, figure, title in CHARTED:
            values = [self._value(name, section, figure) for name in self.names]
            if all(v is None for v in values):
                continue
            ax = new_axes((4.2, 3.0))
            heights = [0.0 if v is None else float(v) for v in values]
            x = np.arange(len(values))
            ax.bar(x, heights, color=["#7f7f7f", *["#3f3f7f"] * (len(values) - 1)])
            for xx, v in zip(x, values, strict=True):
                text = "–" if v is None else _number(round(float(v)))
                ax.annotate(text, (xx, 0 if v is None else v), ha="center", va="bottom")
            ax.set_xticks(x, [_wrap(n) for n in self.names], fontsize="small")
            ax.set_title(_(title))
            ax.margins(y=0.15)
            axes.append(ax)
        return axes

    def to_html(self, *, generated: date | None = None) -> str:
        """A self-contained page (no external resource), in the language in force: headlines,
        charts side by side, each scenario's transport cost by venue, and the whole table."""
        from .report.html import CSP, CSS, figure_data_uri, html_table
        from .report.transport import plot_cost_by_venue

        day = generated or date.today()
        figures = "".join(
            f'<figure><img src="{figure_data_uri(ax)}" alt="{escape(ax.get_title())}"></figure>'
            for ax in self.charts()
        )
        venue_words = _("Coach cost by venue, {scenario}")
        venues = "".join(
            f'<figure><img src="{figure_data_uri(plot_cost_by_venue(result))}" '
            f'alt="{escape(venue_words.format(scenario=name))}">'
            f"<figcaption>{escape(name)}</figcaption></figure>"
            for name, result in self.results.items()
            if result.transport is not None
        )
        headlines = "".join(f"<li>{escape(line)}</li>" for line in self.headlines().splitlines())
        table = self.frame.copy()
        rows = zip(table.pop("section"), table.pop("figure"), strict=True)
        table.insert(0, _("Figure"), [_row_words(section, figure) for section, figure in rows])
        changes, side, by_venue, every = (
            escape(_(words))
            for words in (
                N_("What changes"),
                N_("Side by side"),
                N_("Coaches by venue"),
                N_("Every figure"),
            )
        )
        body = (
            f"<h2>{changes}</h2><ul>{headlines}</ul>"
            f'<h2>{side}</h2><div class="row">{figures}</div>'
            + (f'<h2>{by_venue}</h2><div class="row">{venues}</div>' if venues else "")
            + f"<h2>{every}</h2>"
            + html_table(table, labels=False, max_rows=len(table))
        )
        title = escape(_("Scenarios compared"))
        footer = _("Generated on {date}; the first scenario is the baseline.").format(
            date=day.strftime("%d/%m/%Y")
        )
        return (
            "<!DOCTYPE html>\n"
            f'<html lang="{i18n.current()}"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>{CSS}</style></head>"
            f"<body><header><h1>{title}</h1><p>"
            + escape(" · ".join(self.names))
            + f"</p></header><main>{body}</main><footer>{escape(footer)}</footer>"
            "</body></html>\n"
        )

    def write(self, out_dir: str | Path) -> list[Path]:
        """``compare.csv`` and ``compare.html`` in ``out_dir``, both or neither."""
        from .cells import write_csv
        from .export import write_files

        frame, page = self.frame, self.to_html()

        def write_page(path: Path) -> None:
            path.write_text(page, encoding="utf-8")

        out = write_files(
            out_dir,
            {"compare.csv": lambda path: write_csv(frame, path), "compare.html": write_page},
        )
        return [out / "compare.csv", out / "compare.html"]


def _difference(value: float | None, base: float | None) -> float | None:
    if value is None or base is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    delta = float(value) - float(base)
    return int(delta) if delta.is_integer() else round(delta, 4)


def _signed(value: float) -> str:
    if i18n.current() == "en":
        return f"{value:+,.0f}" if float(value).is_integer() else f"{value:+,.2f}"
    return ("+" if value >= 0 else "-") + i18n.format_number(abs(round(float(value), 2)))


def _number(value: float) -> str:
    """A whole number with the thousands separated the local way (``1,234`` / ``1 234``)."""
    return f"{value:,.0f}" if i18n.current() == "en" else i18n.format_number(value)


def _row_words(section: str, figure: str) -> str:
    """What a person reads for a row of :attr:`Comparison.frame` (the CSV keeps the codes)."""
    from .report._common import LABELS, label

    if section == "level":
        return _("Objective level '{name}'").format(name=figure)
    if section == "level bound":
        return _("Objective level '{name}': best proven bound").format(name=figure)
    return label(figure) if figure in LABELS else figure


def _wrap(name: str, width: int = 14) -> str:
    words, lines, line = name.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def compare(
    results: Mapping[str, Result] | Sequence[Result], names: Sequence[str] | None = None
) -> Comparison:
    """Several plans side by side; the first is the baseline.

    Parameters
    ----------
    results
        Scenario name → result, or a sequence of results (named by ``names``, else
        "scenario 1", "scenario 2", …).
    names
        Names for a sequence of results.
    """
    if isinstance(results, Mapping):
        named = dict(results)
    else:
        given = list(names) if names is not None else []
        if names is not None and len(given) != len(results):
            raise ValueError(
                _("{results} results but {names} names").format(
                    results=len(results), names=len(given)
                )
            )
        scenario = _("scenario {n}")
        labels = _unique(given or [scenario.format(n=k + 1) for k in range(len(results))])
        named = dict(zip(labels, results, strict=True))
    if len(named) < 2:
        raise ValueError(_("compare needs at least two results"))
    return Comparison(named)
