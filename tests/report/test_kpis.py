"""Report KPIs (stagematch.report.kpis) on the hand-made plan of :mod:`report_support`, whose
every number is worked out by hand."""

from __future__ import annotations

import math
from datetime import date

import pytest
from report_support import MON_W2, hand_made

from stagematch.check import check
from stagematch.report import (
    capacity_by_host,
    capacity_by_offer,
    capacity_by_session,
    kpi_tables,
    kpis_by_group,
    kpis_by_school,
    reserved_seats,
    summary_table,
    unplaced_by_reason,
)
from stagematch.result import Result


@pytest.fixture
def result() -> Result:
    return hand_made()


def test_the_hand_made_plan_is_valid(result: Result) -> None:
    assert check(result.instance, result.plan).ok
    assert {u.student_id: u.reason for u in result.unplaced} == {
        "N2": "no_reachable_offer",
        "Q3": "capacity",
    }


# --------------------------------------------------------------------------------------------
# KPIs


def test_kpis_by_group_known_answers(result: Result) -> None:
    table = kpis_by_group(result).set_index("group")
    assert list(table.index) == ["All students", "QPV", "Non-QPV"]
    everyone, qpv, other = (table.loc[g] for g in table.index)
    assert (everyone["students"], qpv["students"], other["students"]) == (5, 3, 2)
    assert (everyone["placed"], qpv["placed"], other["placed"]) == (3, 2, 1)
    assert everyone["placed_rate"] == pytest.approx(0.6)
    assert qpv["placed_rate"] == pytest.approx(2 / 3)
    assert other["placed_rate"] == pytest.approx(0.5)
    assert (everyone["unplaced"], everyone["placements"]) == (2, 3)
    # Half-days: Q1 20, Q2 11, N1 20, Q3 3, N2 0 out of 20 each.
    assert everyone["programme_completeness"] == pytest.approx(54 / 100)
    assert qpv["programme_completeness"] == pytest.approx(34 / 60)
    assert other["programme_completeness"] == pytest.approx(20 / 40)
    assert (everyone["full_programme"], qpv["full_programme"]) == (2, 1)
    # Workshops: Q2 1, Q3 2 distinct; target 1.
    assert everyone["workshops_target"] == 1
    assert everyone["workshops_attended_mean"] == pytest.approx(3 / 5)
    assert everyone["workshop_sessions"] == 3
    assert (everyone["workshop_target_met"], qpv["workshop_target_met"]) == (2, 2)
    assert everyone["workshop_target_met_rate"] == pytest.approx(0.4)
    assert other["workshop_target_met"] == 0
    # Wishes per placement: Q1 rank 1, Q2 rank 1, N1 unranked.
    assert (everyone["first_choice"], everyone["top_3"], everyone["unranked"]) == (2, 2, 1)
    assert everyone["first_choice_rate"] == pytest.approx(2 / 3)
    assert everyone["unranked_rate"] == pytest.approx(1 / 3)
    assert qpv["first_choice_rate"] == pytest.approx(1.0)
    assert other["unranked_rate"] == pytest.approx(1.0)
    # Travel: placements 20, 30, 40; sessions 15, 5, 25.
    assert everyone["travel_median_min"] == pytest.approx(30)
    assert everyone["travel_p90_min"] == pytest.approx(38)
    assert everyone["travel_max_min"] == pytest.approx(40)
    assert (qpv["travel_median_min"], qpv["travel_p90_min"]) == pytest.approx((25, 29))
    assert everyone["workshop_travel_median_min"] == pytest.approx(15)
    assert everyone["workshop_travel_p90_min"] == pytest.approx(23)
    assert everyone["workshop_travel_max_min"] == pytest.approx(25)
    assert math.isnan(other["workshop_travel_median_min"])


def test_rates_of_empty_denominators_are_nan_not_zero(result: Result) -> None:
    table = kpis_by_school(result).set_index("school_id")
    b = table.loc["0620002B"]
    assert (b["students"], b["placed"], b["placements"]) == (2, 0, 0)
    assert math.isnan(b["first_choice_rate"])
    assert math.isnan(b["travel_median_min"])


def test_kpis_by_school(result: Result) -> None:
    table = kpis_by_school(result).set_index("school_id")
    assert list(table.index) == ["0590001A", "0620002B"]
    a, b = table.loc["0590001A"], table.loc["0620002B"]
    assert (a["school_name"], a["school_commune"]) == ("Lycée A", "Valenciennes")
    assert b["school_commune"] == "Lens"
    assert (a["students"], a["placed"], a["qpv_students"], a["qpv_placed"]) == (3, 3, 2, 2)
    assert a["placed_rate"] == 1.0
    assert (b["students"], b["placed"], b["qpv_students"], b["qpv_placed"]) == (2, 0, 1, 0)
    assert b["qpv_placed_rate"] == 0.0
    assert b["programme_completeness"] == pytest.approx(3 / 40)


def test_capacity_by_offer_and_host(result: Result) -> None:
    offers = capacity_by_offer(result).set_index("offer_id")
    o1 = offers.loc["O1"]
    assert (o1["capacity"], o1["qpv_reserved"], o1["taken"], o1["taken_by_qpv"], o1["free"]) == (
        2,
        1,
        2,
        1,
        0,
    )
    assert (o1["start"], o1["end"]) == (date(2026, 6, 15), date(2026, 6, 26))
    assert offers.loc["O3", "commune"] == "Valenciennes"
    assert offers.loc["O3", "use_rate"] == 0.0
    hosts = capacity_by_host(result).set_index("host_id")
    assert list(hosts.index) == ["H1", "H2"]
    h1 = hosts.loc["H1"]
    assert (h1["offers"], h1["seats"], h1["qpv_reserved"], h1["taken"], h1["taken_by_qpv"]) == (
        2,
        3,
        1,
        3,
        2,
    )
    assert h1["use_rate"] == 1.0
    assert (hosts.loc["H2", "seats"], hosts.loc["H2", "taken"], hosts.loc["H2", "free"]) == (
        1,
        0,
        1,
    )


def test_capacity_by_session_in_date_order(result: Result) -> None:
    sessions = capacity_by_session(result)
    assert list(sessions["slot_id"]) == ["S1", "S2"]  # input order was S2, S1
    s1, s2 = (sessions.iloc[k] for k in range(2))
    assert (s1["date"], s1["part"], s1["venue"], s1["association"]) == (
        MON_W2,
        "morning",
        "CCI",
        "Assoc One",
    )
    assert (s1["capacity"], s1["qpv_reserved"], s1["attendees"], s1["qpv_attendees"]) == (
        3,
        2,
        2,
        2,
    )
    assert s1["use_rate"] == pytest.approx(2 / 3)
    assert (s2["part"], s2["attendees"], s2["free"]) == ("full day", 1, 1)


def test_reserved_seats_offered_against_taken(result: Result) -> None:
    table = reserved_seats(result).set_index("kind")
    p = table.loc["Placements"]
    assert (p["items"], p["items_with_reserved"], p["reserved_seats"], p["reserved_taken"]) == (
        3,
        1,
        1,
        1,
    )
    assert (p["reserved_unused"], p["qpv_seats_taken"]) == (0, 2)
    w = table.loc["Workshop sessions"]
    assert (w["reserved_seats"], w["reserved_taken"], w["qpv_seats_taken"]) == (2, 2, 3)
    assert w["reserved_taken_rate"] == 1.0


def test_unplaced_by_reason_lists_every_reason(result: Result) -> None:
    table = unplaced_by_reason(result).set_index("reason")
    assert list(table.index) == ["no_reachable_offer", "no_eligible_offer", "capacity"]
    assert table.loc["no_reachable_offer", ["students", "qpv_students", "non_qpv"]].tolist() == [
        1,
        0,
        1,
    ]
    assert table.loc["no_eligible_offer", "students"] == 0
    assert table.loc["capacity", ["students", "qpv_students", "non_qpv"]].tolist() == [1, 1, 0]


def test_summary_table(result: Result) -> None:
    table = summary_table(result, generated=date(2026, 7, 1)).set_index("key")
    assert table.loc["status", "value"].startswith("feasible")
    assert table.loc["period_start", "value"] == date(2026, 6, 15)
    assert table.loc["students", "value"] == 5
    assert table.loc["qpv_placed", "value"] == 2
    assert table.loc["placed_rate", "value"] == pytest.approx(0.6)
    assert table.loc["unplaced_capacity", "value"] == 1
    assert table.loc["hosts", "value"] == 2
    assert table.loc["generated", "value"] == date(2026, 7, 1)
    assert "level_qpv_placed" in table.index
    assert table.index.is_unique


def test_kpi_tables_names(result: Result) -> None:
    assert list(kpi_tables(result)) == [
        "summary",
        "by_group",
        "by_school",
        "hosts",
        "offers",
        "sessions",
        "reserved_seats",
        "unplaced_by_reason",
    ]
