"""``report.html``: self-containment, every figure inline, and a real browser render.

The browser test drives headless Chromium with no Python package: ``--dump-dom`` shows the
attributes the page's inline script sets after load (how many images decoded), and
``--screenshot`` must give a picture that is not blank. It is skipped only where no Chromium is
installed (``.ci/run`` installs the Debian packages).
"""

from __future__ import annotations

import base64
import re
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from report_support import CHROMIUM, _chromium, hand_made

from stagematch.evaluate import evaluate
from stagematch.plan import Plan
from stagematch.report import (
    LETTERS_FOLDER,
    REPORT_FILES,
    render_html,
    write_report,
)
from stagematch.result import Result


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
    # The six sections of every report, "Where to recruit" (two students are unplaced) and the
    # data warnings (N2 lives beyond reach of every offer).
    assert page.count("<section") == 8
    assert '<section id="recruit">' in page
    assert 'id="warnings"' in page and "N2" in page


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


def test_transport_cards_without_a_qpv_student_placed() -> None:
    """Coaches planned, nobody QPV: the cost per placed QPV student is "–", counts stay whole.

    Regression: the totals went through a float column, so the missing cost per head was NaN
    (``round`` raised) and the coach count read "1.0".
    """
    from strategies import make_instance

    from stagematch.solver import solve

    instance = make_instance(
        [{"student_id": "E1"}],
        [{"offer_id": "O1", "start": "2026-06-22"}],
        [{"slot_id": "S1"}],
        settings={"workshops_per_student": 1, "coach_capacity": 20, "coach_cost": 400},
    )
    result = solve(instance, time_limit=10)
    assert result.transport is not None and result.transport.coach_count == 1
    page = render_html(result, generated=date(2026, 7, 1))
    cards = dict(
        (label, value)
        for value, label in re.findall(
            r'<div class="value">([^<]*)</div><div class="label">([^<]*)</div>', page
        )
    )
    assert cards["per placed QPV student"] == "–", cards
    assert cards["coaches (1 groups)"] == "1", cards
