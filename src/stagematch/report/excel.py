"""``report.xlsx``: every KPI table and roster in one workbook a coordinator can send unchanged.

Each table is a sheet with a bold, wrapped, frozen header row, an autofilter, column widths fitted
to the content, dates as real date cells (``dd/mm/yyyy``, so Excel sorts and filters them as
dates), rates as percentages and yes/no instead of TRUE/FALSE. The summary comes first. Column
headings are the readable labels of :data:`stagematch.report._common.LABELS`; the DataFrames
behind them keep short snake_case names for scripts.

The workbook is written in openpyxl's streaming (write-only) mode, so an académie's 50,000
students cost seconds and little memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from ..cells import is_formula_like, text_cell
from ..gaps import report_gaps
from ..i18n import _
from ..result import Result
from ._common import label, readable_indicators, readable_parts
from .kpis import GROUPS, kpi_tables
from .rosters import roster_tables
from .transport import transport_tables

DATE_FORMAT = "dd/mm/yyyy"
RATE_FORMAT = "0.0%"
MEAN_FORMAT = "0.00"
MIN_WIDTH = 6
MAX_WIDTH = 60
HEADER_WIDTH_CAP = 22
"""Headers wrap: a column is at most this wide for its header's sake (more only for its data)."""


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title (≤ 31 characters), a table, and how to format it.

    ``rate_rows`` names rows (by the value in the first column) whose numbers are rates, for
    transposed tables where one column mixes counts and rates.
    """

    title: str
    frame: pd.DataFrame
    rate_rows: frozenset[str] = field(default_factory=frozenset)
    mean_rows: frozenset[str] = field(default_factory=frozenset)
    labels: bool = True


def _summary_sheet(summary: pd.DataFrame) -> Sheet:
    rates = frozenset(
        summary.loc[summary["key"].map(_is_rate_key), "indicator"].astype(str).tolist()
    )
    frame = summary[["indicator", "value"]]
    return Sheet(_("Summary"), frame, rate_rows=rates)


def _is_rate_key(key: str) -> bool:
    return key.endswith("_rate") or key == "programme_completeness"


def _groups_sheet(by_group: pd.DataFrame) -> Sheet:
    """Groups as columns, indicators as rows: three groups read better side by side."""
    table = by_group.set_index("group").T
    table.index = [label(c) for c in table.index]
    indicator = _("Indicator")
    table = table.reset_index().rename(columns={"index": indicator})
    table = table[[indicator, *[_(g) for g in GROUPS if _(g) in table.columns]]]
    rates = frozenset(label(c) for c in by_group.columns if _is_rate_key(c))
    means = frozenset({label("workshops_attended_mean")})
    return Sheet(_("KPIs by group"), table, rate_rows=rates, mean_rows=means, labels=False)


def workbook_sheets(result: Result) -> list[Sheet]:
    """The workbook's sheets in order: summary first, then what partners act on."""
    kpis = kpi_tables(result)
    rosters = roster_tables(result)
    transport = transport_tables(result)
    transport_sheets = (
        [
            Sheet(_("Transport"), readable_indicators(transport["totals"])),
            Sheet(_("Transport by school"), transport["by_school"]),
            Sheet(_("Coach groups"), readable_parts(transport["groups"])),
        ]
        if transport
        else []
    )
    recruit = report_gaps(result)
    recruit_sheets = [Sheet(_("Where to recruit"), recruit.frame)] if recruit is not None else []
    return [
        _summary_sheet(kpis["summary"]),
        _groups_sheet(kpis["by_group"]),
        Sheet(_("KPIs by school"), kpis["by_school"]),
        Sheet(_("Letters (one row per student)"), rosters["letters"]),
        Sheet(_("Host rosters"), rosters["host_roster"]),
        Sheet(_("Workshop rosters"), rosters["session_roster"]),
        Sheet(_("School programmes"), rosters["school_programmes"]),
        Sheet(_("Capacity by host"), kpis["hosts"]),
        Sheet(_("Capacity by offer"), kpis["offers"]),
        Sheet(_("Capacity by session"), kpis["sessions"]),
        Sheet(_("Reserved seats"), kpis["reserved_seats"]),
        Sheet(_("Unplaced by reason"), kpis["unplaced_by_reason"]),
        Sheet(_("Unplaced students"), rosters["unplaced"]),
        *recruit_sheets,
        *transport_sheets,
        *([Sheet(_("Data warnings"), result.warnings_frame)] if result.warnings else []),
    ]


def _plain(value: Any) -> Any:
    """A cell value openpyxl writes as the right type (blank for every kind of missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return _("yes") if value else _("no")
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        return number
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime | date | int | str):
        return value
    return str(value)


def _number_format(column: str, row_key: Any, sheet: Sheet, value: Any) -> str | None:
    if isinstance(value, date):
        return DATE_FORMAT
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if row_key in sheet.rate_rows or (
        sheet.labels and (column.endswith("_rate") or column == "programme_completeness")
    ):
        return RATE_FORMAT
    if row_key in sheet.mean_rows or column.endswith("_mean"):
        return MEAN_FORMAT
    if isinstance(value, float) and not value.is_integer():
        return "0.0"
    return None


def _display_width(value: Any, fmt: str | None) -> int:
    if value is None:
        return 0
    if fmt == DATE_FORMAT:
        return 10
    if fmt == RATE_FORMAT:
        return 7
    if isinstance(value, float):
        return len(f"{value:.1f}")
    return max((len(line) for line in str(value).splitlines()), default=0)


HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="3F3F7F")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")
HEADER_BORDER = Border(bottom=Side(style="thin", color="000000"))


def _write_sheet(book: Workbook, sheet: Sheet) -> None:
    ws = book.create_sheet(sheet.title[:31])
    frame = sheet.frame
    columns = [str(c) for c in frame.columns]
    headers = [label(c) if sheet.labels else c for c in columns]
    key_column = columns[0] if columns else None
    rows: list[list[Any]] = []
    widths = [min(len(h), HEADER_WIDTH_CAP) for h in headers]
    longest_header = max((len(h) for h in headers), default=0)
    for values in frame.itertuples(index=False, name=None):
        key = values[0] if key_column is not None else None
        row: list[Any] = []
        for k, (column, raw) in enumerate(zip(columns, values, strict=True)):
            value = _plain(raw)
            fmt = _number_format(column, key, sheet, value)
            if len(rows) < 1000:
                widths[k] = max(widths[k], _display_width(value, fmt))
            if isinstance(value, str) and is_formula_like(value):
                row.append(text_cell(ws, value))  # outside parties' text: never a formula
            elif fmt is None:
                row.append(value)
            else:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = fmt
                row.append(cell)
        rows.append(row)
    for k, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(k + 1)].width = max(
            MIN_WIDTH, min(MAX_WIDTH, width + 2)
        )
    header_lines = max(1, math.ceil(longest_header / HEADER_WIDTH_CAP))
    ws.row_dimensions[1].height = 15 * min(header_lines, 3) + 3
    ws.freeze_panes = "B2" if sheet.title in {_("KPIs by group"), _("Summary")} else "A2"
    if columns:
        last = get_column_letter(len(columns))
        ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    ws.append([_header_cell(ws, h) for h in headers])
    for row in rows:
        ws.append(row)


def _header_cell(ws: Any, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = HEADER_ALIGN
    cell.border = HEADER_BORDER
    return cell


def write_workbook(sheets: Iterable[Sheet], path: str | Path) -> Path:
    """Write ``sheets`` to one ``.xlsx`` file (streaming; the file is complete or absent)."""
    book = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(book, sheet)
    book.properties.creator = "stagematch"
    book.properties.title = _("Placement plan report")
    target = Path(path)
    book.save(target)
    return target


def write_excel(result: Result, path: str | Path) -> Path:
    """``report.xlsx`` for ``result``: every KPI table and roster, summary first."""
    return write_workbook(workbook_sheets(result), path)


def excel_writer(result: Result) -> Callable[[Path], None]:
    """A writer for :func:`stagematch.export.write_files` (atomic multi-file writes)."""

    def write(path: Path) -> None:
        write_excel(result, path)

    return write
