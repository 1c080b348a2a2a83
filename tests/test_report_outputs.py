"""``report.xlsx`` and ``report.html``: sheets, types, self-containment, and a real browser render.

The browser test drives headless Chromium with no Python package: ``--dump-dom`` shows the
attributes the page's inline script sets after load (how many images decoded), and
``--screenshot`` must give a picture that is not blank. It is skipped only where no Chromium is
installed (``.ci/run`` installs the Debian packages).
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from test_report import hand_made

from stagematch.evaluate import evaluate
from stagematch.plan import Plan
from stagematch.report import (
    LETTERS_FOLDER,
    REPORT_FILES,
    render_html,
    write_excel,
    write_report,
)
from stagematch.result import Result

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


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(hand_made(), generated=date(2026, 7, 1))


def test_page_is_self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"url\(", page)
    assert "@import" not in page
    assert "Content-Security-Policy" in page


def test_every_image_is_an_inline_png(page: str) -> None:
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)
    assert len(sources) == 6  # map, travel, wishes, schools, capacity, unplaced
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1])
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert all(re.search(r'alt="[^"]+"', tag) for tag in re.findall(r"<img[^>]*>", page))


def test_page_shows_kpis_and_the_unplaced(page: str) -> None:
    for text in (
        "Placement plan report",
        "3 / 5",  # students placed
        "2 / 3",  # QPV students placed
        "Lycée B",
        "No offer within the student&#x27;s travel limit",
        "Interview skills",
        "15/06/2026",
        "01/07/2026",
    ):
        assert text in page, text
    # The six sections of every report, and "Where to recruit" (two students are unplaced).
    assert page.count("<section") == 7
    assert '<section id="recruit">' in page


def test_write_report_writes_both_files_and_the_letters(tmp_path: Path) -> None:
    paths = write_report(hand_made(), tmp_path / "plan")
    assert [p.name for p in paths] == [*REPORT_FILES, LETTERS_FOLDER]
    assert all(p.is_file() and p.stat().st_size > 1000 for p in paths[:2])
    assert paths[2].is_dir()
    assert sorted(p.name for p in (tmp_path / "plan").iterdir()) == sorted(
        [*REPORT_FILES, LETTERS_FOLDER]
    )
    assert [p.name for p in write_report(hand_made(), tmp_path / "bare", letters=False)] == list(
        REPORT_FILES
    )


def test_report_of_an_empty_plan(tmp_path: Path) -> None:
    empty = evaluate(hand_made().instance, Plan())
    paths = write_report(empty, tmp_path)
    assert "Every student has a placement" not in paths[1].read_text("utf-8")
    assert openpyxl.load_workbook(paths[0])["Host rosters"].max_row == 1


# --------------------------------------------------------------------------------------------
# A real browser

CHROMIUM = next(
    (p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None
)


def _chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        *extra,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")
def test_page_renders_in_headless_chromium_with_every_image(tmp_path: Path) -> None:
    from PIL import Image

    result: Result = hand_made()
    html = write_report(result, tmp_path / "plan")[1]
    url = html.resolve().as_uri()
    dom = _chromium(url, tmp_path / "profile-dom", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body, dom.stdout[:500]
    attributes = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', body.group(0)))
    assert attributes.get("data-rendered") == "ok", attributes
    assert attributes["data-images-total"] == "6"
    assert attributes["data-images-loaded"] == "6"

    shot = tmp_path / "page.png"
    run = _chromium(
        url, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1280,2400"
    )
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert pixels.shape[:2] == (2400, 1280)
    assert pixels.std() > 20  # not a blank page
    # The header band is drawn, and the plots' orange (QPV) appears somewhere.
    assert pixels[:60].mean() < 150
    orange = (
        (pixels[..., 0] > 200)
        & (pixels[..., 1] > 80)
        & (pixels[..., 1] < 130)
        & (pixels[..., 2] < 40)
    )
    assert orange.sum() > 500


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")
def test_the_browser_check_catches_broken_and_remote_images(tmp_path: Path) -> None:
    page = render_html(hand_made()).replace(
        "<main>",
        '<main><img alt="remote" src="https://example.invalid/x.png">'
        '<img alt="broken" src="data:image/png;base64,AAAA">',
    )
    html = tmp_path / "broken.html"
    html.write_text(page, "utf-8")
    dom = _chromium(html.resolve().as_uri(), tmp_path / "profile", "--dump-dom")
    body = re.search(r"<body[^>]*>", dom.stdout)
    assert body, dom.stderr[-2000:]
    attributes = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', body.group(0)))
    assert attributes == {
        "data-rendered": "broken",
        "data-images-total": "8",
        "data-images-loaded": "6",
    }
