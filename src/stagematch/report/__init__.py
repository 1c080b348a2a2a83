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
    report.write_report(result, "out/demo")  # report.xlsx + report.html + letters/ (PDF)
    report.write_report(result, "out/demo", lang="fr")  # the same in French

Pseudonymous exports (student ids replaced by salted tokens, the key kept elsewhere) are in
:mod:`stagematch.report.pseudonymise`. Printable letters (one PDF per school, host and workshop
session) are in :mod:`stagematch.report.documents`. Everything is written in the language in
force (:mod:`stagematch.i18n`), or the one given as ``lang``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..i18n import default_language, language
from ..result import Result
from .documents import printable, safe_file_names, write_letters
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
LETTERS_FOLDER = "letters"

__all__ = [
    "LETTERS_FOLDER",
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
    "printable",
    "pseudonymise_result",
    "render_html",
    "report_writers",
    "reserved_seats",
    "roster_tables",
    "safe_file_names",
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
    "write_letters",
    "write_report",
]


def report_writers(result: Result, *, letters: bool = True) -> dict[str, Callable[[Path], None]]:
    """``report.xlsx``, ``report.html`` and (with ``letters``) the ``letters/`` folder, as
    writers for a whole-plan write (:class:`stagematch.outfolder.PlanFolder`). They write in
    the language in force when they are called."""
    writers = {"report.xlsx": excel_writer(result), "report.html": html_writer(result)}
    if letters:
        writers[LETTERS_FOLDER] = lambda path: _letters(result, path)
    return writers


def write_report(
    result: Result, out_dir: str | Path, *, lang: str | None = None, letters: bool = True
) -> list[Path]:
    """Write ``report.xlsx``, ``report.html`` and the ``letters/`` folder into ``out_dir``,
    all or none.

    ``lang`` (``"fr"`` or ``"en"``) chooses the language; without it the dataset's
    ``language`` setting, else the language in force (see :mod:`stagematch.i18n`).
    ``letters=False`` leaves the PDFs out. Uses :func:`stagematch.export.write_files`, so a
    failure half-way leaves the folder as it was (a previous ``letters/`` is replaced whole).
    Returns the paths written (the two files, then the letters folder).
    """
    from ..export import write_files

    with language(lang), default_language(result.instance.settings.language):
        writers = report_writers(result, letters=letters)
        out = write_files(out_dir, writers)
    return [out / name for name in writers]


def _letters(result: Result, folder: Path) -> None:
    write_letters(result, folder)
