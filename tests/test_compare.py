"""Scenarios side by side: the table, its differences, the sentences and the files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import stagematch as sm
from stagematch.cli import main
from stagematch.export import write_plan
from stagematch.gaps import gaps
from stagematch.generate import load_pilot
from stagematch.model import Instance

COACHES = {"coach_capacity": 30, "coach_cost": 450, "transit_daily_cost": 4}


@pytest.fixture(scope="module")
def scenarios() -> dict[str, sm.Result]:
    data = load_pilot().to_dict()
    data["settings"].update(COACHES)
    base = Instance.from_dict(data)
    today = sm.solve(base, time_limit=30)
    more_seats = sm.solve(gaps(today, max_groups=2).with_seats(base), time_limit=30)
    return {"today": today, "ten more seats": more_seats}


def test_table_has_every_figure_and_the_differences(scenarios: dict[str, sm.Result]) -> None:
    table = sm.compare(scenarios)
    frame = table.frame.set_index(["section", "figure"])
    today, more = scenarios["today"], scenarios["ten more seats"]
    for level in today.levels:
        assert frame.loc[("level", level), "today"] == today.levels[level].value
    assert frame.loc[("counts", "placed"), "Δ ten more seats"] == (
        more.counts()["placed"] - today.counts()["placed"]
    )
    assert frame.loc[("counts", "placed"), "Δ ten more seats"] == 10
    for name, result in scenarios.items():
        assert result.transport is not None
        assert frame.loc[("transport", "coaches"), name] == result.transport.coach_count
        assert frame.loc[("transport", "total_cost"), name] == pytest.approx(result.transport.total)
    extra_cost = more.transport.total - today.transport.total  # type: ignore[union-attr]
    assert frame.loc[("transport", "total_cost"), "Δ ten more seats"] == pytest.approx(extra_cost)
    line = table.headlines()
    assert line.startswith(
        "ten more seats (vs today): +10 QPV students placed, +10 students placed"
    )
    assert "per extra QPV student placed" in line


def test_a_scenario_without_transport_leaves_its_cells_blank(
    scenarios: dict[str, sm.Result],
) -> None:
    plain = sm.solve(load_pilot(), time_limit=30)
    frame = sm.compare([scenarios["today"], plain], names=["coaches", "none"]).frame
    row = frame[(frame["section"] == "transport") & (frame["figure"] == "coaches")].iloc[0]
    assert row["coaches"] > 0
    assert pd.isna(row["none"]) and pd.isna(row["Δ none"])


def test_files_and_command_line(
    scenarios: dict[str, sm.Result], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, result in scenarios.items():
        write_plan(result, tmp_path / name.replace(" ", "_"))
    code = main(
        [
            "compare",
            str(tmp_path / "today"),
            str(tmp_path / "ten_more_seats"),
            "--out",
            str(tmp_path / "c"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "ten_more_seats (vs today): +10 QPV students placed" in out
    page = (tmp_path / "c" / "compare.html").read_text("utf-8")
    assert page.count("data:image/png") >= 4 + 2  # four headline charts, a venue chart each
    assert "http" not in page.replace('http-equiv="Content-Security-Policy"', "")
    written = pd.read_csv(tmp_path / "c" / "compare.csv")
    assert list(written.columns) == [
        "section",
        "figure",
        "today",
        "ten_more_seats",
        "Δ ten_more_seats",
    ]
    assert main(["compare", str(tmp_path / "today")]) == 2


def test_needs_two_results(scenarios: dict[str, sm.Result]) -> None:
    with pytest.raises(ValueError, match="at least two"):
        sm.compare([scenarios["today"]])
    with pytest.raises(ValueError, match="names"):
        sm.compare(list(scenarios.values()), names=["one"])
