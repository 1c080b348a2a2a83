"""The plan checker: each hard rule caught on a hand-made plan, levels with known answers, and
properties on random instances and plans (it never crashes, agrees with the enumerator)."""

from __future__ import annotations

import math
import re
from datetime import date

import pytest
from bruteforce import _allowed, brute_force
from hypothesis import given
from hypothesis import strategies as st
from strategies import CENTRE, WEEK_1, WEEK_2, instances, make_instance, plans

from stagematch import i18n
from stagematch.check import (
    RULES,
    CheckReport,
    InvalidPlanError,
    Violation,
    check,
    great_circle_km,
    preference_cost,
    round_half_up,
    travel_minutes,
    wish_rank,
)
from stagematch.model import LEVELS, Instance, Offer, Student, WorkshopSlot
from stagematch.plan import Plan

P, W = "placement", "workshop"
WED_WEEK_2 = date(2026, 6, 24)


def rules(report: CheckReport) -> list[str]:
    return [v.rule for v in report.violations]


def student(instance: Instance, sid: str) -> Student:
    return next(s for s in instance.students if s.student_id == sid)


def offer(instance: Instance, oid: str) -> Offer:
    return next(o for o in instance.offers if o.offer_id == oid)


# --------------------------------------------------------------------------------------------
# A valid plan, and its levels


def test_valid_plan_passes_and_its_levels_are_known(two_students_one_seat: Instance) -> None:
    report = check(two_students_one_seat, Plan([("Q", P, "O1")]))
    assert report.ok
    assert report.violations == ()
    report.raise_if_invalid()  # does not raise
    # Q is QPV, placed for the whole period (20 half-days), unranked (no wishes: cost 10),
    # 0 km away by transit: 10 minutes of overhead.
    assert report.levels == {
        "qpv_placed": 1,
        "placed": 1,
        "workshops": 0,
        "coverage": 20,
        "preference": 10,
        "travel": 10,
    }
    assert list(report.levels) == list(LEVELS)


def test_empty_plan_is_valid_and_scores_zero(split_weeks: Instance) -> None:
    report = check(split_weeks, Plan())
    assert report.ok
    assert set(report.levels.values()) == {0}


# --------------------------------------------------------------------------------------------
# One test per rule


def test_unknown_ids_are_reported(two_students_one_seat: Instance) -> None:
    plan = Plan(
        [
            ("ghost", P, "O1"),
            ("Q", P, "nope"),
            ("Q", W, "nope"),
            ("N", W, "O1"),  # an offer id given as a workshop slot
        ]
    )
    report = check(two_students_one_seat, plan)
    assert rules(report) == ["unknown_id"] * 4
    assert {(v.student_id, v.item_id) for v in report.violations} == {
        ("ghost", "O1"),
        ("Q", "nope"),
        ("N", "O1"),
    }
    # Unknown assignments count for nothing.
    assert set(report.levels.values()) == {0}


def test_capacity(two_students_one_seat: Instance) -> None:
    report = check(two_students_one_seat, Plan([("Q", P, "O1"), ("N", P, "O1")]))
    assert rules(report) == ["capacity"]
    assert report.violations[0].item_id == "O1"
    assert report.violations[0].student_id is None


def test_capacity_of_a_slot() -> None:
    instance = make_instance(
        students=[{"student_id": "A"}, {"student_id": "B"}],
        offers=[{"offer_id": "O1"}],
        slots=[{"slot_id": "S1", "capacity": 1}],
    )
    assert rules(check(instance, Plan([("A", W, "S1"), ("B", W, "S1")]))) == ["capacity"]


def test_reserved_seats(reserved_seat: Instance) -> None:
    assert check(reserved_seat, Plan([("N1", P, "O1")])).ok
    report = check(reserved_seat, Plan([("N1", P, "O1"), ("N2", P, "O1")]))
    assert rules(report) == ["reserved_seats"]  # 2 students fit the capacity of 2
    assert report.violations[0].item_id == "O1"


def test_reserved_seats_are_open_to_qpv_students() -> None:
    instance = make_instance(
        students=[{"student_id": "Q", "qpv": True}, {"student_id": "N"}],
        offers=[{"offer_id": "O1", "capacity": 2, "qpv_reserved": 1}],
        slots=[{"slot_id": "S1", "capacity": 1, "qpv_reserved": 1}],
    )
    assert check(instance, Plan([("Q", P, "O1"), ("N", P, "O1")])).ok
    assert check(instance, Plan([("Q", W, "S1")])).ok
    report = check(instance, Plan([("N", W, "S1")]))
    assert rules(report) == ["reserved_seats"]
    assert report.violations[0].item_id == "S1"


def far_instance(**student: object) -> Instance:
    """An offer and a slot 0.08° north of the student: 49 minutes by transit."""
    return make_instance(
        students=[{"student_id": "S", **student}],
        offers=[{"offer_id": "FAR", "lat": CENTRE[0] + 0.08, "lon": CENTRE[1]}],
        slots=[{"slot_id": "W", "lat": CENTRE[0] + 0.08, "lon": CENTRE[1]}],
    )


def test_travel_limit_of_placements_and_workshops() -> None:
    instance = far_instance()
    assert travel_minutes(instance, student(instance, "S"), offer(instance, "FAR")) == 49
    # 49 > 45 (the default placement limit) but ≤ 60 (the workshop limit).
    assert check(instance, Plan([("S", W, "W")])).ok
    report = check(instance, Plan([("S", P, "FAR")]))
    assert rules(report) == ["travel"]
    assert (report.violations[0].student_id, report.violations[0].item_id) == ("S", "FAR")
    # The student's own limit beats the default, both ways.
    assert check(far_instance(max_travel_min=50), Plan([("S", P, "FAR")])).ok
    assert rules(check(far_instance(max_travel_min=48), Plan([("S", P, "FAR")]))) == ["travel"]


def test_travel_limit_of_workshops_is_the_setting() -> None:
    instance = make_instance(
        students=[{"student_id": "S", "max_travel_min": 90}],
        offers=[{"offer_id": "O1"}],
        slots=[{"slot_id": "W", "lat": CENTRE[0] + 0.08, "lon": CENTRE[1]}],
        settings={"workshop_max_travel_min": 40},
    )
    # The student's own (placement) limit does not apply to workshops.
    assert rules(check(instance, Plan([("S", W, "W")]))) == ["travel"]


def test_accessibility() -> None:
    instance = make_instance(
        students=[{"student_id": "NEEDS", "needs_accessibility": True}, {"student_id": "OK"}],
        offers=[{"offer_id": "STAIRS", "accessible": False, "capacity": 2}],
        slots=[{"slot_id": "ATTIC", "accessible": False, "capacity": 2}],
    )
    assert check(instance, Plan([("OK", P, "STAIRS")])).ok
    assert check(instance, Plan([("OK", W, "ATTIC")])).ok
    for kind, item in ((P, "STAIRS"), (W, "ATTIC")):
        report = check(instance, Plan([("NEEDS", kind, item)]))
        assert rules(report) == ["accessibility"]
        assert (report.violations[0].student_id, report.violations[0].item_id) == ("NEEDS", item)


def test_min_age() -> None:
    instance = make_instance(
        students=[
            {"student_id": "YOUNG", "age": 14},
            {"student_id": "OLD", "age": 15},
            {"student_id": "UNKNOWN"},
        ],
        offers=[{"offer_id": "LAB", "min_age": 15, "capacity": 3}],
    )
    assert check(instance, Plan([("OLD", P, "LAB"), ("UNKNOWN", P, "LAB")])).ok
    report = check(instance, Plan([("YOUNG", P, "LAB")]))
    assert rules(report) == ["min_age"]
    assert report.violations[0].student_id == "YOUNG"


def test_reserved_schools() -> None:
    schools = [
        {"school_id": "A", "lat": CENTRE[0], "lon": CENTRE[1]},
        {"school_id": "B", "lat": CENTRE[0], "lon": CENTRE[1]},
    ]
    instance = make_instance(
        students=[
            {"student_id": "FROM_A", "school_id": "A"},
            {"student_id": "FROM_B", "school_id": "B"},
        ],
        offers=[{"offer_id": "ONLY_A", "reserved_schools": "A", "capacity": 2}],
        schools=schools,
    )
    assert check(instance, Plan([("FROM_A", P, "ONLY_A")])).ok
    assert rules(check(instance, Plan([("FROM_B", P, "ONLY_A")]))) == ["reserved_schools"]


def test_unavailable() -> None:
    instance = make_instance(
        students=[
            {"student_id": "S", "unavailable": [WED_WEEK_2]},
            {"student_id": "WEEKEND", "unavailable": [date(2026, 6, 20)]},  # a Saturday
        ],
        offers=[
            {"offer_id": "W1", "start": WEEK_1[0], "end": WEEK_1[1], "capacity": 2},
            {"offer_id": "W2", "start": WEEK_2[0], "end": WEEK_2[1], "capacity": 2},
            {"offer_id": "ALL", "capacity": 2},
        ],
        slots=[
            {"slot_id": "ON", "date": WED_WEEK_2, "part": "PM"},
            {"slot_id": "OFF", "date": WEEK_2[1], "part": "PM", "workshop_id": "W2"},
        ],
    )
    assert check(instance, Plan([("S", P, "W1"), ("S", W, "OFF")])).ok
    assert check(instance, Plan([("WEEKEND", P, "ALL")])).ok
    for item in (("S", P, "W2"), ("S", P, "ALL"), ("S", W, "ON")):
        report = check(instance, Plan([item]))
        assert rules(report) == ["unavailable"], item
        assert "2026-06-24" in report.violations[0].message


def test_overlap() -> None:
    monday = WEEK_1[0]
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[
            {"offer_id": "W1", "start": WEEK_1[0], "end": WEEK_1[1]},
            {"offer_id": "ALL"},
            {"offer_id": "W2", "start": WEEK_2[0], "end": WEEK_2[1]},
        ],
        slots=[
            {"slot_id": "AM", "date": monday, "part": "AM", "workshop_id": "A"},
            {"slot_id": "PM", "date": monday, "part": "PM", "workshop_id": "B"},
            {"slot_id": "DAY", "date": monday, "part": "DAY", "workshop_id": "C"},
            {"slot_id": "PM2", "date": WEEK_2[0], "part": "PM", "workshop_id": "D"},
        ],
    )
    assert check(instance, Plan([("S", W, "AM"), ("S", W, "PM")])).ok
    assert check(instance, Plan([("S", P, "W1"), ("S", W, "PM2")])).ok
    for pair in (("AM", "DAY"), ("PM", "DAY")):
        assert rules(check(instance, Plan([("S", W, pair[0]), ("S", W, pair[1])]))) == ["overlap"]
    assert rules(check(instance, Plan([("S", P, "W1"), ("S", W, "PM")]))) == ["overlap"]
    assert rules(check(instance, Plan([("S", P, "W1"), ("S", P, "ALL")]))) == ["overlap"]
    # Three items pairwise overlapping: three pairs.
    report = check(instance, Plan([("S", P, "ALL"), ("S", W, "AM"), ("S", W, "DAY")]))
    assert rules(report) == ["overlap"] * 3


def test_max_placements() -> None:
    days = [date(2026, 6, d) for d in (15, 17, 18, 22, 23, 26)]
    instance = make_instance(
        students=[{"student_id": "S"}, {"student_id": "SOLO", "split_ok": False}],
        offers=[
            {"offer_id": "A", "start": days[0], "end": days[1], "capacity": 2},
            {"offer_id": "B", "start": days[2], "end": days[3], "capacity": 2},
            {"offer_id": "C", "start": days[4], "end": days[5], "capacity": 2},
        ],
    )
    assert check(instance, Plan([("S", P, "A"), ("S", P, "B")])).ok
    report = check(instance, Plan([("S", P, "A"), ("S", P, "B"), ("S", P, "C")]))
    assert rules(report) == ["max_placements"]
    assert (report.violations[0].student_id, report.violations[0].item_id) == ("S", None)
    assert rules(check(instance, Plan([("SOLO", P, "A"), ("SOLO", P, "B")]))) == ["max_placements"]
    assert check(instance, Plan([("SOLO", P, "C")])).ok


def test_max_placements_setting() -> None:
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[
            {"offer_id": "A", "start": WEEK_1[0], "end": WEEK_1[1]},
            {"offer_id": "B", "start": WEEK_2[0], "end": WEEK_2[1]},
        ],
        settings={"max_placements_per_student": 1},
    )
    assert check(instance, Plan([("S", P, "A")])).ok
    assert rules(check(instance, Plan([("S", P, "A"), ("S", P, "B")]))) == ["max_placements"]


def test_workshop_once() -> None:
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[{"offer_id": "O1"}],
        slots=[
            {"slot_id": "X1", "workshop_id": "X", "date": WEEK_1[0]},
            {"slot_id": "X2", "workshop_id": "X", "date": WEEK_2[0]},
            {"slot_id": "Y1", "workshop_id": "Y", "date": WEEK_2[1]},
        ],
    )
    assert check(instance, Plan([("S", W, "X1"), ("S", W, "Y1")])).ok
    report = check(instance, Plan([("S", W, "X1"), ("S", W, "X2")]))
    assert rules(report) == ["workshop_once"]
    assert "X" in report.violations[0].message


def test_every_violation_is_listed_and_raised() -> None:
    instance = make_instance(
        students=[{"student_id": "S", "needs_accessibility": True, "age": 14}, {"student_id": "T"}],
        offers=[{"offer_id": "BAD", "accessible": False, "min_age": 16}],
    )
    report = check(instance, Plan([("S", P, "BAD"), ("T", P, "BAD")]))
    assert sorted(rules(report)) == ["accessibility", "capacity", "min_age"]
    assert not report.ok
    with pytest.raises(InvalidPlanError) as error:
        report.raise_if_invalid()
    assert len(error.value.violations) == 3
    assert "3 hard rule" in str(error.value)
    assert isinstance(error.value, ValueError)


# --------------------------------------------------------------------------------------------
# Levels


def test_levels_of_a_split(split_weeks: Instance) -> None:
    report = check(split_weeks, Plan([("S", P, "A"), ("S", P, "B"), ("T", P, "AB")]))
    assert report.ok
    assert report.levels == {
        "qpv_placed": 0,
        "placed": 2,
        "workshops": 0,
        "coverage": 40,
        "preference": 0 + 1 + 10,  # A is S's first wish, B the second; T has no wish
        "travel": 30,
    }


def test_workshops_count_distinct_workshops_up_to_the_target() -> None:
    def levels(target: int) -> dict[str, float]:
        instance = make_instance(
            students=[{"student_id": "S"}],
            offers=[{"offer_id": "O1"}],
            slots=[
                {"slot_id": "X1", "workshop_id": "X", "part": "AM"},
                {"slot_id": "Y1", "workshop_id": "Y", "part": "PM"},
                {"slot_id": "Z1", "workshop_id": "Z", "date": WEEK_2[0], "part": "DAY"},
            ],
            settings={"workshops_per_student": target},
        )
        report = check(instance, Plan([("S", W, "X1"), ("S", W, "Y1"), ("S", W, "Z1")]))
        assert report.ok
        return report.levels

    assert [levels(t)["workshops"] for t in (0, 1, 2, 3, 4)] == [0, 1, 2, 3, 3]
    # Sessions count toward coverage whatever the target: 1 + 1 + 2 half-days.
    assert levels(0)["coverage"] == 4
    assert levels(0)["placed"] == 0


def test_coverage_of_one_week_and_a_workshop(workshop_week: Instance) -> None:
    report = check(workshop_week, Plan([("S", P, "WEEK"), ("S", W, "S1")]))
    assert report.ok
    assert report.levels["coverage"] == 10 + 2
    assert report.levels["workshops"] == 1
    assert report.levels["travel"] == 20


def test_coverage_counts_a_half_day_once_even_in_an_invalid_plan(workshop_week: Instance) -> None:
    report = check(workshop_week, Plan([("S", P, "TWO"), ("S", W, "S1")]))
    assert rules(report) == ["overlap"]
    assert report.levels["coverage"] == 20


def test_coverage_skips_holidays_and_weekends() -> None:
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[{"offer_id": "O1", "start": date(2026, 6, 18), "end": date(2026, 6, 23)}],
        settings={"holidays": [date(2026, 6, 22)]},
    )
    # Thu 18, Fri 19, (weekend), (holiday Mon 22), Tue 23: three working days.
    assert check(instance, Plan([("S", P, "O1")])).levels["coverage"] == 6


def test_wish_rank_and_preference_cost() -> None:
    instance = make_instance(
        students=[{"student_id": "S", "wished_offers": "O2;O1", "wishes": "law;health"}],
        offers=[
            {"offer_id": "O1", "sector": "media"},
            {"offer_id": "O2", "sector": "health"},  # wished by id and by sector: the id wins
            {"offer_id": "O3", "sector": "law"},
            {"offer_id": "O4", "sector": "health"},
            {"offer_id": "O5", "sector": "industry"},
        ],
        settings={"unranked_cost": 7},
    )
    s = student(instance, "S")
    ranks = [wish_rank(instance, s, offer(instance, f"O{k}")) for k in range(1, 6)]
    assert ranks == [2, 1, 3, 4, None]
    costs = [preference_cost(instance, s, offer(instance, f"O{k}")) for k in range(1, 6)]
    assert costs == [1, 0, 2, 3, 7]
    report = check(instance, Plan([("S", P, "O1")]))
    assert report.levels["preference"] == 1


def test_qpv_placed_counts_students_not_placements() -> None:
    instance = make_instance(
        students=[{"student_id": "Q", "qpv": True}, {"student_id": "N"}],
        offers=[
            {"offer_id": "A", "start": WEEK_1[0], "end": WEEK_1[1]},
            {"offer_id": "B", "start": WEEK_2[0], "end": WEEK_2[1]},
        ],
    )
    levels = check(instance, Plan([("Q", P, "A"), ("Q", P, "B")])).levels
    assert (levels["qpv_placed"], levels["placed"]) == (1, 1)
    levels = check(instance, Plan([("N", P, "A"), ("Q", P, "B")])).levels
    assert (levels["qpv_placed"], levels["placed"]) == (1, 2)


# --------------------------------------------------------------------------------------------
# Travel minutes


def test_round_half_up_is_not_bankers_rounding() -> None:
    assert [round_half_up(x) for x in (22.5, 23.5, 22.49, 0.5, 0.0)] == [23, 24, 22, 1, 0]
    assert round(22.5) == 22  # why round() is not used


def test_great_circle_km() -> None:
    # 0.1° of latitude on a 6371 km sphere.
    assert great_circle_km(50.36, 3.52, 50.46, 3.52) == pytest.approx(11.119492664, rel=1e-9)
    assert great_circle_km(50.36, 3.52, 50.36, 3.52) == 0
    # Valenciennes → Lille, about 42 km as the crow flies.
    assert 40 < great_circle_km(50.36205, 3.51422, 50.63108, 3.04702) < 45


@pytest.mark.parametrize(
    ("mode", "minutes"),
    # round(overhead + 78 × 11.1195 / speed): walk 173.46, bike 59.82, transit 58.18, car 29.78
    [("walk", 173), ("bike", 60), ("transit", 58), ("car", 30)],
)
def test_travel_minutes_by_mode(mode: str, minutes: int) -> None:
    instance = make_instance(
        students=[
            {"student_id": "OWN", "mode": mode, "home_lat": 50.36, "home_lon": 3.52},
            {"student_id": "DEFAULT", "home_lat": 50.36, "home_lon": 3.52},
        ],
        offers=[{"offer_id": "O1", "lat": 50.46, "lon": 3.52}],
        settings={"default_mode": mode},
    )
    o = offer(instance, "O1")
    assert travel_minutes(instance, student(instance, "OWN"), o) == minutes
    assert travel_minutes(instance, student(instance, "DEFAULT"), o) == minutes


def test_travel_minutes_origin_is_home_else_school() -> None:
    instance = make_instance(
        students=[
            {"student_id": "HOME", "home_lat": 50.46, "home_lon": 3.52},
            {"student_id": "SCHOOL"},
            {"student_id": "COMMUNE", "home_commune": "59350"},  # Lille
        ],
        offers=[
            {"offer_id": "O1", "lat": 50.46, "lon": 3.52},
            {"offer_id": "LILLE", "commune": "59350"},
        ],
        schools=[{"school_id": "L", "lat": 50.36, "lon": 3.52}],
    )
    o1, lille = offer(instance, "O1"), offer(instance, "LILLE")
    assert travel_minutes(instance, student(instance, "HOME"), o1) == 10
    assert travel_minutes(instance, student(instance, "SCHOOL"), o1) == 58
    assert travel_minutes(instance, student(instance, "COMMUNE"), lille) == 10
    # From a school located by commune.
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[{"offer_id": "LILLE", "commune": "59350"}],
        schools=[{"school_id": "L", "commune": "59350"}],
    )
    assert travel_minutes(instance, student(instance, "S"), offer(instance, "LILLE")) == 10


def test_travel_minutes_to_a_workshop_use_the_students_mode() -> None:
    instance = make_instance(
        students=[{"student_id": "S", "mode": "car"}],
        offers=[{"offer_id": "O1"}],
        slots=[{"slot_id": "W", "lat": 50.46, "lon": 3.52}],
    )
    slot = instance.workshop_slots[0]
    assert travel_minutes(instance, student(instance, "S"), slot) == 30


def override_instance(travel_times: list[dict[str, object]]) -> Instance:
    """Student ``HOME`` lives in Lens (commune); ``FROM_SCHOOL`` travels from school ``L``
    (at a Lille commune point); ``POINT`` lives at a point. Offer ``O1`` is in Lille (commune),
    ``O2`` at a point in Lille."""
    return make_instance(
        students=[
            {"student_id": "HOME", "home_commune": "62498"},
            {"student_id": "FROM_SCHOOL"},
            {"student_id": "POINT", "home_lat": 50.36, "home_lon": 3.52},
        ],
        offers=[
            {"offer_id": "O1", "commune": "59350"},
            {"offer_id": "O2", "lat": 50.63, "lon": 3.05},
        ],
        schools=[{"school_id": "L", "commune": "59350"}],
        travel_times=travel_times,
    )


def minutes(instance: Instance, sid: str, oid: str) -> float:
    return travel_minutes(instance, student(instance, sid), offer(instance, oid))


def test_travel_times_override_the_estimate() -> None:
    rows = [
        {"origin": "HOME", "destination": "O1", "minutes": 11},
        {"origin": "L", "destination": "O2", "minutes": 22},
        {"origin": "POINT", "destination": "59350", "minutes": 33},
        {"origin": "62498", "destination": "O2", "minutes": 44.5},
    ]
    instance = override_instance(rows)
    estimate = override_instance([])
    assert minutes(instance, "HOME", "O1") == 11  # student id → item id
    assert minutes(instance, "FROM_SCHOOL", "O2") == 22  # school id, travelling from school
    assert minutes(instance, "POINT", "O1") == 33  # student id → the item's commune
    assert minutes(instance, "HOME", "O2") == 44.5  # origin commune; given minutes kept as is
    # A school id does not apply to a student travelling from home; a commune does not apply
    # to a place given by lat/lon.
    instance = override_instance(
        [
            {"origin": "L", "destination": "O1", "minutes": 1},
            {"origin": "POINT", "destination": "59350", "minutes": 2},
        ]
    )
    assert minutes(instance, "HOME", "O1") == minutes(estimate, "HOME", "O1")
    assert minutes(instance, "POINT", "O2") == minutes(estimate, "POINT", "O2")
    assert minutes(instance, "FROM_SCHOOL", "O1") == 1


def test_travel_times_precedence() -> None:
    rows = [
        {"origin": "59350", "destination": "59350", "minutes": 1},  # commune → commune
        {"origin": "59350", "destination": "O1", "minutes": 2},  # commune → item
        {"origin": "L", "destination": "59350", "minutes": 3},  # school → commune
        {"origin": "L", "destination": "O1", "minutes": 4},  # school → item
        {"origin": "FROM_SCHOOL", "destination": "59350", "minutes": 5},  # student → commune
    ]
    # The student's id beats the school's, even towards a commune rather than the item id.
    assert minutes(override_instance(rows), "FROM_SCHOOL", "O1") == 5
    assert minutes(override_instance(rows[:4]), "FROM_SCHOOL", "O1") == 4
    assert minutes(override_instance(rows[:3]), "FROM_SCHOOL", "O1") == 3
    assert minutes(override_instance(rows[:2]), "FROM_SCHOOL", "O1") == 2
    assert minutes(override_instance(rows[:1]), "FROM_SCHOOL", "O1") == 1
    # The first of two rows for the same pair counts.
    twice = [
        {"origin": "HOME", "destination": "O1", "minutes": 7},
        {"origin": "HOME", "destination": "O1", "minutes": 8},
    ]
    assert minutes(override_instance(twice), "HOME", "O1") == 7


def test_override_decides_the_travel_rule() -> None:
    instance = override_instance([{"origin": "HOME", "destination": "O1", "minutes": 45}])
    assert check(instance, Plan([("HOME", P, "O1")])).ok
    instance = override_instance([{"origin": "HOME", "destination": "O1", "minutes": 45.5}])
    assert rules(check(instance, Plan([("HOME", P, "O1")]))) == ["travel"]
    # Without the override, Lens → Lille is far beyond 45 minutes by transit.
    assert rules(check(override_instance([]), Plan([("HOME", P, "O1")]))) == ["travel"]


# --------------------------------------------------------------------------------------------
# Properties on random instances and plans


@given(st.data())
def test_check_never_crashes_and_levels_are_consistent(data: st.DataObject) -> None:
    instance = data.draw(instances())
    plan = data.draw(plans(instance))
    report = check(instance, plan)
    assert set(report.levels) == set(LEVELS)
    assert all(v.rule in RULES for v in report.violations)
    assert all(isinstance(v, Violation) and v.message for v in report.violations)
    assert report.ok == (report.violations == ())
    levels = report.levels
    students = {s.student_id: s for s in instance.students}
    offers = {o.offer_id for o in instance.offers}
    placed = {
        a.student_id
        for a in plan.assignments
        if a.kind == "placement" and a.student_id in students and a.item_id in offers
    }
    assert levels["placed"] == len(placed)
    assert levels["qpv_placed"] == sum(students[s].qpv for s in placed)
    n = len(instance.students)
    assert 0 <= levels["workshops"] <= n * instance.settings.workshops_per_student
    assert 0 <= levels["coverage"] <= n * instance.n_half_days
    assert levels["preference"] >= 0
    assert levels["travel"] >= 0
    assert check(instance, plan) == report  # deterministic
    # Unknown ids are exactly the assignments naming something absent.
    slots = {w.slot_id for w in instance.workshop_slots}
    unknown = {
        (a.student_id, a.item_id)
        for a in plan.assignments
        if a.student_id not in students
        or a.item_id not in (offers if a.kind == "placement" else slots)
    }
    assert {
        (v.student_id, v.item_id) for v in report.violations if v.rule == "unknown_id"
    } == unknown


ENGLISH_WORDS = re.compile(r"\b(is|are|holds|needs|offer|slot|attends|pinned|allowed|from)\b")


@given(st.data())
def test_violations_read_in_french_with_the_same_rules_and_levels(data: st.DataObject) -> None:
    """The language changes the words only: the same rules, ids and levels, and no English
    word left in a French message once the data's ids are taken out."""
    instance = data.draw(instances())
    plan = data.draw(plans(instance))
    english = check(instance, plan)
    with i18n.language("fr"):
        french = check(instance, plan)
    assert french.levels == english.levels
    assert sorted((v.rule, v.student_id, v.item_id) for v in french.violations) == sorted(
        (v.rule, v.student_id, v.item_id) for v in english.violations
    )
    ids = {a.student_id for a in plan.assignments} | {a.item_id for a in plan.assignments}
    ids |= {o.host_id for o in instance.offers} | {s.school_id for s in instance.schools}
    ids |= {w.workshop_id for w in instance.workshop_slots}
    for violation in french.violations:
        words = violation.message
        for data_id in sorted(ids, key=len, reverse=True):
            words = words.replace(data_id, "·")
        assert not ENGLISH_WORDS.search(words), violation.message
    assert all(v.message not in {e.message for e in english.violations} for v in french.violations)


def test_an_invalid_plan_error_reads_in_french(two_students_one_seat: Instance) -> None:
    plan = Plan([("Q", P, "O1"), ("N", P, "O1"), ("Q", P, "GONE")])
    with i18n.language("fr"):
        report = check(two_students_one_seat, plan)
        with pytest.raises(InvalidPlanError) as error:
            report.raise_if_invalid()
    assert str(error.value).splitlines() == [
        "le plan enfreint 2 règles impératives :",
        "  - [unknown_id] aucune offre GONE",
        "  - [capacity] l'offre O1 accueille 2 élèves pour une capacité de 1",
    ]


@given(st.data())
def test_removing_a_students_items_removes_their_violations(data: st.DataObject) -> None:
    """Rules are per student except seats; a student's own violations go with their items."""
    instance = data.draw(instances())
    plan = data.draw(plans(instance, unknown_ids=False))
    if not plan.assignments:
        return
    sid = data.draw(st.sampled_from(sorted({a.student_id for a in plan.assignments})))
    rest = Plan(a for a in plan.assignments if a.student_id != sid)
    before, after = check(instance, plan), check(instance, rest)
    assert not any(v.student_id == sid for v in after.violations)

    # The other students' own violations are unchanged, seat violations can only go away.
    def own(report: CheckReport) -> set[Violation]:
        return {v for v in report.violations if v.student_id not in (None, sid)}

    assert own(after) == own(before)
    seat_rules = {"capacity", "reserved_seats"}
    assert {v.item_id for v in after.violations if v.rule in seat_rules} <= {
        v.item_id for v in before.violations if v.rule in seat_rules
    }
    if before.ok:
        assert after.ok


@given(st.data())
def test_single_pair_rules_agree_with_the_enumerator(data: st.DataObject) -> None:
    """``check`` on a one-assignment plan and the enumerator's own eligibility test agree."""
    instance = data.draw(instances(max_students=3))
    s = data.draw(st.sampled_from(instance.students))
    items: list[Offer | WorkshopSlot] = [*instance.offers, *instance.workshop_slots]
    item = data.draw(st.sampled_from(items))
    kind, item_id = (P, item.offer_id) if isinstance(item, Offer) else (W, item.slot_id)
    report = check(instance, Plan([(s.student_id, kind, item_id)]))
    own = [v for v in report.violations if v.rule not in ("reserved_seats",)]
    assert (not own) == _allowed(instance, s, item)


@given(instances())
def test_brute_force_plan_passes_check_and_reproduces_its_levels(instance: Instance) -> None:
    levels, plan = brute_force(instance)
    report = check(instance, plan)
    assert report.ok, report.violations
    assert report.levels == pytest.approx(levels)


@given(instances(max_students=3, max_offers=3, max_slots=2))
def test_travel_level_is_the_sum_of_travel_minutes(instance: Instance) -> None:
    plan = Plan(
        [(s.student_id, P, o.offer_id) for s in instance.students for o in instance.offers]
        + [(s.student_id, W, w.slot_id) for s in instance.students for w in instance.workshop_slots]
    )
    items: list[Offer | WorkshopSlot] = [*instance.offers, *instance.workshop_slots]
    total = sum(
        (travel_minutes(instance, s, item) for s in instance.students for item in items), 0.0
    )
    assert math.isclose(check(instance, plan).levels["travel"], total)
