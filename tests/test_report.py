"""Report tables and KPIs on a hand-made plan whose every number is worked out by hand.

The dataset (period 15–26 June 2026: 10 working days, 20 half-days; one workshop required):

* school ``A`` at Valenciennes (lat/lon), school ``B`` given as the commune of Lens;
* ``Q1`` (QPV, A) → offer ``O1`` (two weeks), her first wished sector: rank 1, 20 half-days;
* ``Q2`` (QPV, A) → ``O2`` (week 1, her first wished offer: rank 1) + session ``S1``
  (Mon 22 June, morning): 11 half-days, 1 workshop;
* ``N1`` (A) → ``O1`` (wishes ``law``, O1 is ``health``: unranked), 20 half-days;
* ``Q3`` (QPV, B, home at Valenciennes, 15 years old) → sessions ``S1`` and ``S2`` (Tue 23,
  full day): 3 half-days, 2 workshops, unplaced for ``capacity`` (O3 needs age 18);
* ``N2`` (B, travels from Lens, ~50 km) → nothing: ``no_reachable_offer``.

Travel minutes come from ``travel_times`` overrides so percentiles have round answers.
"""

from __future__ import annotations

import math
from datetime import date
from functools import cache

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from stagematch.check import check
from stagematch.evaluate import evaluate
from stagematch.model import Instance
from stagematch.plan import Plan
from stagematch.report import (
    capacity_by_host,
    capacity_by_offer,
    capacity_by_session,
    host_roster,
    kpi_tables,
    kpis_by_group,
    kpis_by_school,
    letters,
    plot_capacity_use,
    plot_map,
    plot_school_placement,
    plot_travel_times,
    plot_unplaced_reasons,
    plot_wish_ranks,
    reserved_seats,
    roster_tables,
    school_programmes,
    session_roster,
    summary_table,
    unplaced_by_reason,
    unplaced_students,
)
from stagematch.report._common import label, nearest_commune_names
from stagematch.report.plots import new_axes
from stagematch.result import Result

CENTRE = {"lat": 50.36, "lon": 3.52}
MON_W2, TUE_W2 = date(2026, 6, 22), date(2026, 6, 23)


@cache
def hand_made() -> Result:
    """The result described in the module docstring (built once per test session)."""
    instance = Instance(
        settings={
            "period_start": "2026-06-15",
            "period_end": "2026-06-26",
            "workshops_per_student": 1,
        },
        schools=[
            {"school_id": "0590001A", "name": "Lycée A", **CENTRE},
            {"school_id": "0620002B", "name": "Lycée B", "commune": "62498"},
        ],
        students=[
            {"student_id": "Q1", "school_id": "0590001A", "qpv": True, "wishes": "health;law"},
            {"student_id": "Q2", "school_id": "0590001A", "qpv": True, "wished_offers": "O2"},
            {"student_id": "N1", "school_id": "0590001A", "wishes": "law"},
            {"student_id": "N2", "school_id": "0620002B"},
            {
                "student_id": "Q3",
                "school_id": "0620002B",
                "qpv": True,
                "age": 15,
                "home_lat": 50.36,
                "home_lon": 3.52,
            },
        ],
        offers=[
            {
                "offer_id": "O1",
                "host_id": "H1",
                "host_name": "Clinique Alpha",
                "sector": "health",
                "capacity": 2,
                "qpv_reserved": 1,
                **CENTRE,
            },
            {
                "offer_id": "O2",
                "host_id": "H1",
                "host_name": "Clinique Alpha",
                "sector": "law",
                "capacity": 1,
                "start": "2026-06-15",
                "end": "2026-06-19",
                **CENTRE,
            },
            {
                "offer_id": "O3",
                "host_id": "H2",
                "host_name": "Cabinet Beta",
                "sector": "law",
                "capacity": 1,
                "start": "2026-06-22",
                "end": "2026-06-26",
                "min_age": 18,
                "commune": "59606",
            },
        ],
        workshop_slots=[
            {
                "slot_id": "S2",
                "workshop_id": "W2",
                "title": "Confidence",
                "association": "Assoc Two",
                "venue": "Museum",
                "date": TUE_W2,
                "part": "DAY",
                "capacity": 2,
                **CENTRE,
            },
            {
                "slot_id": "S1",
                "workshop_id": "W1",
                "title": "Interview skills",
                "association": "Assoc One",
                "venue": "CCI",
                "date": MON_W2,
                "part": "AM",
                "capacity": 3,
                "qpv_reserved": 2,
                **CENTRE,
            },
        ],
        travel_times=[
            {"origin": "Q1", "destination": "O1", "minutes": 20},
            {"origin": "Q2", "destination": "O2", "minutes": 30},
            {"origin": "N1", "destination": "O1", "minutes": 40},
            {"origin": "Q2", "destination": "S1", "minutes": 15},
            {"origin": "Q3", "destination": "S1", "minutes": 5},
            {"origin": "Q3", "destination": "S2", "minutes": 25},
        ],
    )
    plan = Plan(
        [
            ("Q1", "placement", "O1"),
            ("Q2", "placement", "O2"),
            ("Q2", "workshop", "S1"),
            ("N1", "placement", "O1"),
            ("Q3", "workshop", "S1"),
            ("Q3", "workshop", "S2"),
        ]
    )
    return evaluate(instance, plan)


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


# --------------------------------------------------------------------------------------------
# Communes and labels


def test_nearest_commune_names() -> None:
    lat = np.array([50.3575, 50.4300, 47.0, float("nan")])
    lon = np.array([3.5233, 2.8319, -6.0, 3.0])
    # Valenciennes, Lens, the Atlantic (blank), unknown (blank).
    assert nearest_commune_names(lat, lon) == ["Valenciennes", "Lens", "", ""]


def test_labels_are_readable() -> None:
    assert label("placed_rate") == "Placed (%)"
    assert label("placement_2_host_name") == "Placement 2: host"
    assert label("workshop_1_title") == "Workshop 1: workshop"
    assert label("something_new") == "Something new"


# --------------------------------------------------------------------------------------------
# Plots

PLOTS = [
    plot_map,
    plot_travel_times,
    plot_wish_ranks,
    plot_school_placement,
    plot_capacity_use,
    plot_unplaced_reasons,
]


@pytest.mark.parametrize("plot", PLOTS, ids=lambda p: p.__name__)
def test_plots_return_axes_and_draw_into_a_given_one(result: Result, plot: object) -> None:
    ax = plot(result)  # type: ignore[operator]
    assert isinstance(ax, Axes)
    assert ax.has_data() or ax.texts
    mine = new_axes()
    assert plot(result, ax=mine) is mine  # type: ignore[operator]


@pytest.mark.parametrize("plot", PLOTS, ids=lambda p: p.__name__)
def test_plots_of_an_empty_plan_do_not_fail(plot: object) -> None:
    empty = evaluate(hand_made().instance, Plan())
    assert isinstance(plot(empty), Axes)  # type: ignore[operator]


def test_plots_never_touch_pyplot(result: Result) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    for plot in PLOTS:
        plot(result)
    assert plt.get_fignums() == before
