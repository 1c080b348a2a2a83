"""``report.xlsx``: sheets in order, styled headers, real dates, numbers and percentages."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import openpyxl
import pytest
from report_support import hand_made

from stagematch.report import (
    write_excel,
)

SHEETS = [
    "Summary",
    "KPIs by group",
    "KPIs by school",
    "Letters (one row per student)",
    "Host rosters",
    "Workshop rosters",
    "School programmes",
    "Capacity by host",
    "Capacity by offer",
    "Capacity by session",
    "Reserved seats",
    "Unplaced by reason",
    "Unplaced students",
    "Where to recruit",
    "Data warnings",  # N2 lives beyond reach of every offer (a warning of the data)
]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_excel(hand_made(), path)
    return openpyxl.load_workbook(path)


def _column(ws: object, heading: str) -> list[object]:
    rows = list(ws.iter_rows(values_only=True))  # type: ignore[attr-defined]
    k = list(rows[0]).index(heading)
    return [row[k] for row in rows[1:]]


def test_workbook_sheets_in_order_summary_first(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == SHEETS
    assert all(len(name) <= 31 for name in workbook.sheetnames)


def test_every_sheet_has_a_frozen_styled_header_and_fitted_widths(
    workbook: openpyxl.Workbook,
) -> None:
    for ws in workbook.worksheets:
        assert ws.freeze_panes in {"A2", "B2"}, ws.title
        header = ws[1]
        assert all(cell.value for cell in header), ws.title
        assert all(cell.font.bold for cell in header), ws.title
        assert ws.auto_filter.ref, ws.title
        for k in range(1, ws.max_column + 1):
            width = ws.column_dimensions[openpyxl.utils.get_column_letter(k)].width
            assert 6 <= width <= 62, (ws.title, k, width)


def test_dates_are_real_date_cells(workbook: openpyxl.Workbook) -> None:
    for sheet, heading in [
        ("Host rosters", "Start"),
        ("Host rosters", "End"),
        ("Workshop rosters", "Date"),
        ("Capacity by session", "Date"),
        ("Letters (one row per student)", "Placement 1: start"),
        ("Letters (one row per student)", "Workshop 1: date"),
    ]:
        ws = workbook[sheet]
        k = [c.value for c in ws[1]].index(heading) + 1
        cells = [ws.cell(row=r, column=k) for r in range(2, ws.max_row + 1)]
        filled = [c for c in cells if c.value is not None]
        assert filled, (sheet, heading)
        for cell in filled:
            assert cell.is_date and isinstance(cell.value, datetime), (sheet, heading)
            assert cell.number_format == "dd/mm/yyyy"
    starts = _column(workbook["Host rosters"], "Start")
    assert {v.date() for v in starts} == {date(2026, 6, 15)}  # type: ignore[union-attr]


def test_numbers_are_numbers_rates_are_percentages_booleans_read_yes_no(
    workbook: openpyxl.Workbook,
) -> None:
    ws = workbook["KPIs by school"]
    placed = _column(ws, "Placed (%)")
    assert placed == [1.0, 0.0]
    k = [c.value for c in ws[1]].index("Placed (%)") + 1
    assert ws.cell(row=2, column=k).number_format == "0.0%"
    assert _column(ws, "Students") == [3, 2]
    letters = workbook["Letters (one row per student)"]
    assert _column(letters, "Has a placement") == ["yes", "yes", "yes", "no", "no"]
    assert _column(letters, "Student id") == ["Q1", "Q2", "N1", "N2", "Q3"]
    summary = workbook["Summary"]
    values = dict(summary.iter_rows(min_row=2, values_only=True))
    assert values["Students"] == 5
    assert values["Students placed (%)"] == pytest.approx(0.6)
    groups = workbook["KPIs by group"]
    assert [c.value for c in groups[1]] == ["Indicator", "All students", "QPV", "Non-QPV"]
    rows = {r[0]: r[1:] for r in groups.iter_rows(min_row=2, values_only=True)}
    assert rows["Students placed"] == (3, 2, 1)


def test_missing_values_are_blank_cells_not_nan(workbook: openpyxl.Workbook) -> None:
    for ws in workbook.worksheets:
        for row in ws.iter_rows(min_row=2, values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value.lower() in {"nan", "none", "<na>"})
                assert not (isinstance(value, float) and np.isnan(value))


# --------------------------------------------------------------------------------------------
# HTML
