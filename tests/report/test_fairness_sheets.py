"""The fairness workbook and chart (stagematch.report.fairness) on a hand-made analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from openpyxl import load_workbook
from test_fairness import _three_students

from stagematch.baselines import deferred_acceptance
from stagematch.fairness import analyse, compare
from stagematch.plan import Plan
from stagematch.report import fairness_sheets, plot_fairness, write_fairness_excel


def test_sheets_workbook_and_chart(tmp_path: Path) -> None:
    instance = _three_students()
    plan = Plan([("F", "placement", "O1")])
    analysis = analyse(instance, plan)
    table = compare(
        instance, {"by hand": analysis, "deferred acceptance": deferred_acceptance(instance)}
    )
    sheets = fairness_sheets(analysis, table)
    assert [s.title for s in sheets] == [
        "Fairness",
        "Fairness by group",
        "Fairness by school",
        "Justified envy",
        "Wasted seats",
    ]
    assert list(sheets[0].frame.columns) == ["Indicator", "by hand", "deferred acceptance"]
    path = write_fairness_excel(analysis, tmp_path / "fairness.xlsx", table)
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == [s.title for s in sheets]
    rows = list(book["Fairness"].iter_rows(values_only=True))
    assert ("Wasted seats", 1, 0) in rows
    for data in (table, analysis, {"a": analysis}):
        ax = plot_fairness(data)
        assert isinstance(ax, Axes)
    ax = plot_fairness(analysis)
    assert plot_fairness(table, ax=ax) is ax
    assert plot_fairness(pd.DataFrame()).texts  # an empty comparison says so
