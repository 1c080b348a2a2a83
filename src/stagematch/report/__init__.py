"""Reports a coordinator can act on: KPIs, rosters, letters, plots, ``report.xlsx``, ``report.html``.

Everything takes a :class:`~stagematch.result.Result` — from :func:`stagematch.solve`, from
:func:`stagematch.export.read_result` on a plan folder, or from
:func:`stagematch.evaluate.evaluate` on a hand-made plan — so a plan edited by hand is reported
exactly like a solver's::

    from stagematch.export import read_result
    from stagematch import report

    result = read_result("out/demo")
    report.kpis_by_group(result)           # DataFrames
    report.letters(result)                 # one row per student, for a mail merge
    report.plot_map(result)                # matplotlib Axes
    report.write_report(result, "out/demo")  # report.xlsx + report.html

Pseudonymous exports (student ids replaced by salted tokens, the key kept elsewhere) are in
:mod:`stagematch.report.pseudonymise`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..result import Result
from .excel import excel_writer, workbook_sheets, write_excel
from .fairness import fairness_sheets, plot_fairness, write_fairness_excel
from .html import html_writer, render_html, write_html
from .kpis import (
    capacity_by_host,
    capacity_by_offer,
    capacity_by_session,
    kpi_tables,
    kpis_by_group,
    kpis_by_school,
    reserved_seats,
    student_metrics,
    summary_table,
    unplaced_by_reason,
)
from .plots import (
    plot_capacity_use,
    plot_map,
    plot_school_placement,
    plot_travel_times,
    plot_unplaced_reasons,
    plot_wish_ranks,
)
from .pseudonymise import Pseudonyms, pseudonymise_result
from .rosters import (
    host_roster,
    letters,
    roster_tables,
    school_programmes,
    session_roster,
    unplaced_students,
)

REPORT_FILES = ("report.xlsx", "report.html")

__all__ = [
    "REPORT_FILES",
    "Pseudonyms",
    "capacity_by_host",
    "capacity_by_offer",
    "capacity_by_session",
    "fairness_sheets",
    "host_roster",
    "kpi_tables",
    "kpis_by_group",
    "kpis_by_school",
    "letters",
    "plot_capacity_use",
    "plot_fairness",
    "plot_map",
    "plot_school_placement",
    "plot_travel_times",
    "plot_unplaced_reasons",
    "plot_wish_ranks",
    "pseudonymise_result",
    "render_html",
    "report_writers",
    "reserved_seats",
    "roster_tables",
    "school_programmes",
    "session_roster",
    "student_metrics",
    "summary_table",
    "unplaced_by_reason",
    "unplaced_students",
    "workbook_sheets",
    "write_excel",
    "write_fairness_excel",
    "write_html",
    "write_report",
]


def report_writers(result: Result) -> dict[str, Callable[[Path], None]]:
    """``report.xlsx`` and ``report.html`` as writers (for a whole-plan write)."""
    return {"report.xlsx": excel_writer(result), "report.html": html_writer(result)}


def write_report(result: Result, out_dir: str | Path) -> list[Path]:
    """Write ``report.xlsx`` and ``report.html`` into ``out_dir``, both or neither.

    Uses :func:`stagematch.export.write_files`, so a failure half-way leaves the folder as it
    was. Returns the two paths.
    """
    from ..export import write_files

    out = write_files(out_dir, report_writers(result))
    return [out / name for name in REPORT_FILES]
