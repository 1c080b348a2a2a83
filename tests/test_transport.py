"""Transport: coach groups and costs, recomputed by hand from the written plan files.

The recomputation below reads only ``assignments.csv`` and ``input.json`` with the standard
library (csv, json, math): it shares no code with :mod:`stagematch.transport`.
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import stagematch as sm
from stagematch.errors import InvalidInputError
from stagematch.export import write_plan
from stagematch.generate import load_pilot
from stagematch.model import Instance
from stagematch.transport import transport

TRANSPORT = {
    "coach_capacity": 30,
    "coach_cost": 450,
    "coach_cost_per_km": 1.2,
    "transit_daily_cost": 4.5,
}


def with_settings(instance: Instance, **settings: Any) -> Instance:
    data = instance.to_dict()
    data["settings"].update(settings)
    return Instance.from_dict(data)


@pytest.fixture(scope="module")
def pilot_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    instance = with_settings(load_pilot(), **TRANSPORT)
    out = tmp_path_factory.mktemp("plan")
    write_plan(sm.solve(instance, time_limit=60), out)
    return out


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _working_days(first: date, last: date, holidays: set[date]) -> int:
    days, day = 0, first
    while day <= last:
        days += day.weekday() < 5 and day not in holidays
        day += timedelta(days=1)
    return days


def test_costs_equal_a_recomputation_from_the_plan_files(pilot_plan: Path) -> None:
    data = json.loads((pilot_plan / "input.json").read_text("utf-8"))
    settings = data["settings"]
    school = {s["student_id"]: s["school_id"] for s in data["students"]}
    mode = {s["student_id"]: s.get("mode", "transit") for s in data["students"]}
    qpv = {s["student_id"] for s in data["students"] if s.get("qpv")}
    school_at = {s["school_id"]: (s["lat"], s["lon"]) for s in data["schools"]}
    venue_at = {w["slot_id"]: (w["lat"], w["lon"]) for w in data["workshop_slots"]}
    holidays = {date.fromisoformat(d) for d in settings.get("holidays", [])}
    with (pilot_plan / "assignments.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    groups = Counter(
        (r["item_id"], school[r["student_id"]]) for r in rows if r["kind"] == "workshop"
    )
    coaches = {g: math.ceil(n / settings["coach_capacity"]) for g, n in groups.items()}
    coach_cost = sum(
        n
        * (
            settings["coach_cost"]
            + settings["coach_cost_per_km"]
            * round(2 * 1.3 * _km(school_at[g[1]], venue_at[g[0]]), 1)
        )
        for g, n in coaches.items()
    )
    transit: Counter[tuple[str, str]] = Counter()  # (offer, school) → students by transit
    days: dict[str, int] = {}
    for r in rows:
        if r["kind"] == "placement" and mode[r["student_id"]] == "transit":
            transit[(r["item_id"], school[r["student_id"]])] += 1
            days[r["item_id"]] = _working_days(
                date.fromisoformat(r["start"]), date.fromisoformat(r["end"]), holidays
            )
    transit_costs = {g: settings["transit_daily_cost"] * days[g[0]] * n for g, n in transit.items()}
    transit_cost = sum(transit_costs.values())
    placed = {r["student_id"] for r in rows if r["kind"] == "placement"}

    summary = json.loads((pilot_plan / "summary.json").read_text("utf-8"))["transport"]
    assert summary["coaches"] == sum(coaches.values())
    assert summary["coach_groups"] == len(groups)
    assert summary["coach_cost"] == pytest.approx(coach_cost, abs=0.01)
    assert summary["transit_cost"] == pytest.approx(transit_cost, abs=0.01)
    assert summary["total_cost"] == pytest.approx(coach_cost + transit_cost, abs=0.01)
    total = coach_cost + transit_cost
    assert summary["cost_per_placed_student"] == pytest.approx(total / len(placed), abs=0.01)
    assert summary["cost_per_placed_qpv_student"] == pytest.approx(
        total / len(placed & qpv), abs=0.01
    )
    with (pilot_plan / "transport.csv").open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0])[:8] == [
        *("kind", "slot_id", "offer_id", "school_id"),
        *("students", "coaches", "days", "cost"),
    ]
    coach_rows = [r for r in table if r["kind"] == "coach"]
    transit_rows = [r for r in table if r["kind"] == "transit"]
    assert len(coach_rows) + len(transit_rows) == len(table)
    assert {(r["slot_id"], r["school_id"]): int(r["students"]) for r in coach_rows} == dict(groups)
    assert {(r["slot_id"], r["school_id"]): int(r["coaches"]) for r in coach_rows} == coaches
    assert transit, "the pilot has students placed who go by public transport"
    assert {(r["offer_id"], r["school_id"]): int(r["students"]) for r in transit_rows} == dict(
        transit
    )
    assert {r["offer_id"]: int(r["days"]) for r in transit_rows} == days
    for r in transit_rows:
        assert float(r["cost"]) == pytest.approx(
            transit_costs[(r["offer_id"], r["school_id"])], abs=0.01
        )
        assert r["slot_id"] == r["coaches"] == ""
    assert all(r["offer_id"] == r["days"] == "" for r in coach_rows)
    assert sum(float(r["cost"]) for r in table) == pytest.approx(total, abs=0.01)


def test_without_transport_settings_nothing_changes(tmp_path: Path) -> None:
    result = sm.solve(load_pilot(), time_limit=30)
    assert result.transport is None
    assert "transport" not in result.summary()
    assert "transport" not in sm.solve_json(json.dumps(load_pilot().to_dict()), time_limit=30)
    write_plan(result, tmp_path)
    assert not (tmp_path / "transport.csv").exists()


def test_a_coach_cost_without_coach_capacity_is_reported() -> None:
    with pytest.raises(InvalidInputError) as caught:
        with_settings(load_pilot(), coach_cost=400, coach_cost_per_km=2)
    problems = caught.value.problems
    assert {(p.table, p.column) for p in problems} == {
        ("settings", "coach_cost"),
        ("settings", "coach_cost_per_km"),
    }
    assert all("coach_capacity" in p.message for p in problems)


def test_groups_of_a_hand_made_plan() -> None:
    instance = with_settings(load_pilot(), coach_capacity=2, coach_cost=100)
    students = [s for s in instance.students if s.school_id == instance.schools[0].school_id]
    slot = instance.workshop_slots[0].slot_id
    plan = sm.Plan([(s.student_id, "workshop", slot) for s in students[:5]])
    costs = transport(instance, plan)
    assert costs is not None
    assert costs.coaches[["students", "coaches"]].values.tolist() == [[5, 3]]
    assert costs.coach_cost == 300
    assert costs.summary()["cost_per_placed_student"] is None


def test_report_has_a_transport_sheet_and_section(pilot_plan: Path) -> None:
    from openpyxl import load_workbook

    from stagematch.export import read_result
    from stagematch.report import write_report

    result = read_result(pilot_plan)
    write_report(result, pilot_plan)
    book = load_workbook(pilot_plan / "report.xlsx", read_only=True)
    assert {"Transport", "Transport by school", "Coach groups"} <= set(book.sheetnames)
    rows = list(book["Coach groups"].iter_rows(values_only=True))
    assert len(rows) - 1 == result.summary()["transport"]["coach_groups"]
    page = (pilot_plan / "report.html").read_text("utf-8")
    assert '<section id="transport">' in page
    assert page.count("data:image/png") >= 8


def test_report_without_transport_has_no_transport_section(tmp_path: Path) -> None:
    from stagematch.report import render_html, workbook_sheets

    result = sm.solve(load_pilot(), time_limit=30)
    assert 'id="transport"' not in render_html(result)
    assert not [s for s in workbook_sheets(result) if s.title.startswith("Transport")]
