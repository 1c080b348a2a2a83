"""Rosters and letter rows (stagematch.report.rosters) on the hand-made plan of
:mod:`report_support`."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from report_support import MON_W2, TUE_W2, hand_made

from stagematch.evaluate import evaluate
from stagematch.plan import Plan
from stagematch.report import (
    capacity_by_session,
    host_roster,
    kpis_by_group,
    letters,
    roster_tables,
    school_programmes,
    session_roster,
    unplaced_students,
)
from stagematch.result import Result


@pytest.fixture
def result() -> Result:
    return hand_made()


# --------------------------------------------------------------------------------------------
# Rosters and letters


def test_host_roster(result: Result) -> None:
    roster = host_roster(result)
    assert list(zip(roster["offer_id"], roster["student_id"], strict=True)) == [
        ("O1", "N1"),
        ("O1", "Q1"),
        ("O2", "Q2"),
    ]
    assert set(roster["host_name"]) == {"Clinique Alpha"}
    assert roster["wish_rank"].tolist()[1:] == [1, 1]
    assert pd.isna(roster["wish_rank"].iloc[0])
    q2 = roster.iloc[2]
    assert (q2["start"], q2["end"], q2["school_name"], q2["travel_min"]) == (
        date(2026, 6, 15),
        date(2026, 6, 19),
        "Lycée A",
        30,
    )
    assert "qpv" not in roster.columns  # partners are not told who lives in a QPV


def test_session_roster(result: Result) -> None:
    roster = session_roster(result)
    assert list(zip(roster["slot_id"], roster["student_id"], strict=True)) == [
        ("S1", "Q2"),
        ("S1", "Q3"),
        ("S2", "Q3"),
    ]
    assert roster["date"].tolist() == [MON_W2, MON_W2, TUE_W2]
    assert roster["part"].tolist() == ["morning", "morning", "full day"]
    assert roster["school_name"].tolist() == ["Lycée A", "Lycée B", "Lycée B"]
    assert roster["travel_min"].tolist() == [15, 5, 25]
    assert "qpv" not in roster.columns


def test_school_programmes(result: Result) -> None:
    table = school_programmes(result)
    rows = list(
        zip(table["school_id"], table["student_id"], table["kind"], table["item_id"], strict=True)
    )
    assert rows == [
        ("0590001A", "N1", "placement", "O1"),
        ("0590001A", "Q1", "placement", "O1"),
        ("0590001A", "Q2", "placement", "O2"),
        ("0590001A", "Q2", "workshop", "S1"),
        ("0620002B", "N2", "unplaced", ""),
        ("0620002B", "Q3", "unplaced", ""),
        ("0620002B", "Q3", "workshop", "S1"),
        ("0620002B", "Q3", "workshop", "S2"),
    ]
    n2 = table.iloc[4]
    assert "travel limit" in n2["note"]
    assert table.iloc[3]["what"] == "Interview skills"
    assert table.iloc[0]["what"] == "Clinique Alpha"


def test_letters_one_row_per_student_with_everything(result: Result) -> None:
    table = letters(result).set_index("student_id")
    assert list(table.index) == ["Q1", "Q2", "N1", "N2", "Q3"]  # input order
    assert "placement_2_host_name" not in table.columns  # nobody has two placements
    assert "workshop_3_title" not in table.columns
    q2 = table.loc["Q2"]
    assert q2["has_placement"]
    assert (q2["placement_1_host_name"], q2["placement_1_commune"]) == (
        "Clinique Alpha",
        "Valenciennes",
    )
    assert (q2["placement_1_start"], q2["placement_1_end"]) == (
        date(2026, 6, 15),
        date(2026, 6, 19),
    )
    assert q2["placement_1_travel_min"] == 30
    assert (q2["workshop_1_title"], q2["workshop_1_date"], q2["workshop_1_part"]) == (
        "Interview skills",
        MON_W2,
        "morning",
    )
    assert (q2["workshop_1_venue"], q2["workshop_1_association"]) == ("CCI", "Assoc One")
    assert q2["workshop_1_travel_min"] == 15
    assert pd.isna(q2["workshop_2_title"])
    assert q2["half_days_covered"] == 11
    assert q2["programme_completeness"] == pytest.approx(0.55)
    assert q2["unplaced_reason"] == ""
    assert "Clinique Alpha (Valenciennes) from 15/06/2026 to 19/06/2026" in q2["programme"]
    q3 = table.loc["Q3"]
    assert not q3["has_placement"]
    assert (q3["workshop_1_slot_id"], q3["workshop_2_slot_id"]) == ("S1", "S2")
    assert "seats went to other students" in q3["unplaced_reason"]
    assert table.loc["N2", "programme"] == "No placement yet."


def test_unplaced_students_qpv_first(result: Result) -> None:
    table = unplaced_students(result)
    assert table["student_id"].tolist() == ["Q3", "N2"]
    assert table["qpv"].tolist() == [True, False]
    assert table["school_name"].tolist() == ["Lycée B", "Lycée B"]
    assert table["detail"].str.len().min() > 0


def test_roster_tables_names(result: Result) -> None:
    assert list(roster_tables(result)) == [
        "letters",
        "host_roster",
        "session_roster",
        "school_programmes",
        "unplaced",
    ]


def test_an_empty_plan_gives_empty_rosters_and_zero_kpis() -> None:
    base = hand_made()
    empty = evaluate(base.instance, Plan())
    assert host_roster(empty).empty and session_roster(empty).empty
    assert list(host_roster(empty).columns) == list(host_roster(base).columns)
    groups = kpis_by_group(empty).set_index("group")
    assert groups.loc["All students", "placed"] == 0
    assert groups.loc["All students", "programme_completeness"] == 0
    assert len(letters(empty)) == 5
    assert (school_programmes(empty)["kind"] == "unplaced").all()
    assert capacity_by_session(empty)["attendees"].sum() == 0
