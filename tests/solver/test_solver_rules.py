"""One hand-made instance per hard rule and per setting, with the plan a correct solver must give.

Each instance is small enough to solve in one's head; each assertion names concrete assignments
or level values, chosen so that a solver ignoring the rule (or the setting) gives a different
answer. Every plan is also passed through ``check``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from strategies import CENTRE, DEFAULT_SCHOOL, WEEK_1, WEEK_2, make_instance

from stagematch.check import check, travel_minutes
from stagematch.model import LEVELS, Instance
from stagematch.result import Result
from stagematch.solver import solve

NEAR_LAT = round(CENTRE[0] + 0.06, 4)
"""An offer 6.7 km north of the school: walk 104 min, bike 37, transit 39, car 20."""
LENS = "62498"
"""A commune ~50 km west of the school: out of reach for everyone without an override."""


def run(instance: Instance) -> Result:
    result = solve(instance, time_limit=5, seed=0)
    report = check(instance, result.plan)
    assert report.ok, report.violations
    assert result.status == "optimal"
    return result


def placements(result: Result) -> dict[str, set[str]]:
    return {s: set(o) for s, o in result.plan.placements.items()}


def workshops(result: Result) -> dict[str, set[str]]:
    return {s: set(w) for s, w in result.plan.workshops.items()}


def value(result: Result, level: str) -> float:
    return result.levels[level].value


def minutes(instance: Instance, student_id: str, item_id: str) -> float:
    student = next(s for s in instance.students if s.student_id == student_id)
    items: dict[str, Any] = {o.offer_id: o for o in instance.offers}
    items.update({w.slot_id: w for w in instance.workshop_slots})
    return travel_minutes(instance, student, items[item_id])


# --------------------------------------------------------------------------------------------
# Reserved seats (rule 2)


def test_reserved_seat_stays_empty_without_a_qpv_student(reserved_seat: Instance) -> None:
    result = run(reserved_seat)
    assert len(result.plan.placements) == 1
    assert set(result.plan.placements) <= {"N1", "N2"}
    assert value(result, "placed") == 1


def test_reserved_seat_goes_to_the_qpv_student() -> None:
    instance = make_instance(
        students=[{"student_id": "N1"}, {"student_id": "N2"}, {"student_id": "Q", "qpv": True}],
        offers=[{"offer_id": "O1", "capacity": 2, "qpv_reserved": 1}],
    )
    result = run(instance)
    placed = set(result.plan.placements)
    assert "Q" in placed
    assert len(placed) == 2
    assert (value(result, "qpv_placed"), value(result, "placed")) == (1, 2)


def test_fully_reserved_offer_takes_no_non_qpv_student() -> None:
    instance = make_instance(
        students=[{"student_id": "N"}],
        offers=[{"offer_id": "O1", "capacity": 2, "qpv_reserved": 2}],
    )
    result = run(instance)
    assert result.plan.placements == {}
    assert [u.student_id for u in result.unplaced] == ["N"]


def test_reserved_workshop_seats() -> None:
    """A slot whose seats are all reserved takes the QPV student, never the other one."""
    instance = make_instance(
        students=[{"student_id": "N"}, {"student_id": "Q", "qpv": True}],
        offers=[{"offer_id": "O1", "capacity": 2, "start": WEEK_2[0], "end": WEEK_2[1]}],
        slots=[{"slot_id": "S1", "capacity": 2, "qpv_reserved": 2}],
        settings={"workshops_per_student": 1},
    )
    result = run(instance)
    assert workshops(result) == {"Q": {"S1"}}
    assert placements(result) == {"N": {"O1"}, "Q": {"O1"}}
    assert value(result, "workshops") == 1


# --------------------------------------------------------------------------------------------
# Placements per student (rule 6): split_ok and max_placements_per_student


def test_split_weeks(split_weeks: Instance) -> None:
    """S splits into A + B (its wishes), T cannot split and takes the two-week AB."""
    result = run(split_weeks)
    assert placements(result) == {"S": {"A", "B"}, "T": {"AB"}}
    assert value(result, "coverage") == 40
    assert value(result, "preference") == 0 + 1 + 10


def test_split_ok_false_allows_one_placement() -> None:
    offers = [
        {"offer_id": "A", "start": WEEK_1[0], "end": WEEK_1[1]},
        {"offer_id": "B", "start": WEEK_2[0], "end": WEEK_2[1]},
    ]
    free = run(make_instance(students=[{"student_id": "T", "wished_offers": "B;A"}], offers=offers))
    assert placements(free) == {"T": {"A", "B"}}
    assert value(free, "coverage") == 20
    no_split = run(
        make_instance(
            students=[{"student_id": "T", "wished_offers": "B;A", "split_ok": False}],
            offers=offers,
        )
    )
    assert placements(no_split) == {"T": {"B"}}
    assert value(no_split, "coverage") == 10
    assert value(no_split, "preference") == 0


def test_max_placements_per_student_1() -> None:
    students = [{"student_id": "S", "wished_offers": "A;B"}]
    offers = [
        {"offer_id": "A", "start": WEEK_1[0], "end": WEEK_1[1]},
        {"offer_id": "B", "start": WEEK_2[0], "end": WEEK_2[1]},
        {"offer_id": "C", "start": WEEK_1[0], "end": date(2026, 6, 16)},
    ]
    two = run(make_instance(students=students, offers=offers))
    assert placements(two) == {"S": {"A", "B"}}
    one = run(
        make_instance(students=students, offers=offers, settings={"max_placements_per_student": 1})
    )
    assert placements(one) == {"S": {"A"}}
    assert (value(one, "coverage"), value(one, "preference")) == (10, 0)


# --------------------------------------------------------------------------------------------
# Eligibility (rule 4)


def test_unavailable_dates_exclude_offers_and_slots() -> None:
    instance = make_instance(
        students=[{"student_id": "S", "wished_offers": "A", "unavailable": "2026-06-16"}],
        offers=[
            {"offer_id": "A", "start": WEEK_1[0], "end": WEEK_1[1]},
            {"offer_id": "B", "start": WEEK_2[0], "end": WEEK_2[1]},
            {"offer_id": "AB"},
        ],
        slots=[
            {"slot_id": "S1", "workshop_id": "W1", "date": date(2026, 6, 16), "part": "AM"},
            {"slot_id": "S2", "workshop_id": "W2", "date": date(2026, 6, 18), "part": "AM"},
        ],
        settings={"workshops_per_student": 1},
    )
    result = run(instance)
    assert placements(result) == {"S": {"B"}}
    assert workshops(result) == {"S": {"S2"}}
    assert value(result, "coverage") == 11


@pytest.mark.parametrize("needs", [True, False])
def test_accessibility(needs: bool) -> None:
    instance = make_instance(
        students=[{"student_id": "S", "wished_offers": "O1", "needs_accessibility": needs}],
        offers=[
            {"offer_id": "O1", "accessible": False},
            {"offer_id": "O2", "start": WEEK_2[0], "end": WEEK_2[1]},
        ],
        slots=[{"slot_id": "S1", "accessible": False}],
        settings={"workshops_per_student": 1},
    )
    result = run(instance)
    if needs:
        assert placements(result) == {"S": {"O2"}}
        assert workshops(result) == {}
        assert value(result, "preference") == 10
    else:
        # The slot (Monday AM) overlaps O1: the workshop beats the wished two-week O1.
        assert placements(result) == {"S": {"O2"}}
        assert workshops(result) == {"S": {"S1"}}
        assert value(result, "workshops") == 1


def test_accessibility_without_workshops() -> None:
    def plan_for(needs: bool) -> dict[str, set[str]]:
        instance = make_instance(
            students=[{"student_id": "S", "wished_offers": "O1", "needs_accessibility": needs}],
            offers=[{"offer_id": "O1", "accessible": False}, {"offer_id": "O2"}],
        )
        return placements(run(instance))

    assert plan_for(False) == {"S": {"O1"}}
    assert plan_for(True) == {"S": {"O2"}}


def test_min_age() -> None:
    instance = make_instance(
        students=[
            {"student_id": "A15", "age": 15},
            {"student_id": "A16", "age": 16},
            {"student_id": "NOAGE"},
        ],
        offers=[{"offer_id": "O1", "capacity": 3, "min_age": 16}],
    )
    result = run(instance)
    assert placements(result) == {"A16": {"O1"}, "NOAGE": {"O1"}}
    assert [u.student_id for u in result.unplaced] == ["A15"]


def test_reserved_schools() -> None:
    schools = [
        DEFAULT_SCHOOL,
        {"school_id": "0590002B", "name": "Lycée B", "lat": CENTRE[0], "lon": CENTRE[1]},
    ]
    instance = make_instance(
        students=[
            {"student_id": "X", "school_id": DEFAULT_SCHOOL["school_id"]},
            {"student_id": "Y", "school_id": "0590002B"},
        ],
        offers=[{"offer_id": "O1", "capacity": 2, "reserved_schools": "0590002B"}],
        schools=schools,
    )
    result = run(instance)
    assert placements(result) == {"Y": {"O1"}}


# --------------------------------------------------------------------------------------------
# Holidays


def test_holidays_are_not_covered() -> None:
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[{"offer_id": "O1"}],
        settings={"holidays": [date(2026, 6, 17)]},
    )
    result = run(instance)
    assert placements(result) == {"S": {"O1"}}
    assert value(result, "coverage") == 18


def test_unavailable_on_a_holiday_blocks_nothing() -> None:
    """The two-week offer does not cover the holiday, so being unavailable then is harmless."""
    instance = make_instance(
        students=[{"student_id": "S", "unavailable": "2026-06-17"}],
        offers=[
            {"offer_id": "TWO"},
            {"offer_id": "WEEK2", "start": WEEK_2[0], "end": WEEK_2[1]},
        ],
        settings={"holidays": [date(2026, 6, 17)]},
    )
    result = run(instance)
    assert placements(result) == {"S": {"TWO"}}
    assert value(result, "coverage") == 18


def test_holiday_splits_a_week_for_a_one_day_offer() -> None:
    """An offer from Tuesday to Thursday around a Wednesday holiday covers two days."""
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[{"offer_id": "O1", "start": date(2026, 6, 16), "end": date(2026, 6, 18)}],
        settings={"holidays": [date(2026, 6, 17)]},
    )
    result = run(instance)
    assert placements(result) == {"S": {"O1"}}
    assert value(result, "coverage") == 4


# --------------------------------------------------------------------------------------------
# Workshops: at most once each, the target, and coverage


def _workshop_instance(per_student: int) -> Instance:
    return make_instance(
        students=[{"student_id": "S"}],
        offers=[{"offer_id": "O1", "start": WEEK_2[0], "end": WEEK_2[1]}],
        slots=[
            {"slot_id": "S1", "workshop_id": "W1", "part": "AM"},
            {"slot_id": "S2", "workshop_id": "W1", "part": "PM"},
            {"slot_id": "S3", "workshop_id": "W2", "date": date(2026, 6, 16), "part": "AM"},
        ],
        settings={"workshops_per_student": per_student},
    )


@pytest.mark.parametrize("per_student", [0, 1, 2])
def test_a_workshop_at_most_once(per_student: int) -> None:
    """Two sessions of W1 would add coverage, but a workshop is attended at most once."""
    result = run(_workshop_instance(per_student))
    assert placements(result) == {"S": {"O1"}}
    attended = workshops(result)["S"]
    assert len(attended & {"S1", "S2"}) == 1
    assert "S3" in attended
    # Sessions count toward coverage even when the target is 0.
    assert value(result, "coverage") == 10 + 2
    assert value(result, "workshops") == min(2, per_student)


def test_workshops_trade_off(workshop_week: Instance) -> None:
    """With a target of 1, one week plus a workshop beats two weeks without one."""
    result = run(workshop_week)
    assert placements(result) == {"S": {"WEEK"}}
    assert workshops(result) == {"S": {"S1"}}
    assert (value(result, "workshops"), value(result, "coverage")) == (1, 12)


def test_without_a_workshop_target_two_weeks_win() -> None:
    """The same data with ``workshops_per_student = 0``: coverage decides, two weeks win."""
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[
            {"offer_id": "WEEK", "start": WEEK_1[0], "end": WEEK_1[1]},
            {"offer_id": "TWO"},
        ],
        slots=[{"slot_id": "S1", "date": WEEK_2[0], "part": "DAY"}],
    )
    result = run(instance)
    assert placements(result) == {"S": {"TWO"}}
    assert workshops(result) == {}
    assert (value(result, "workshops"), value(result, "coverage")) == (0, 20)


# --------------------------------------------------------------------------------------------
# Travel: overrides, limits and modes (rule 3)


def test_travel_time_overrides_make_far_reachable_and_near_unreachable() -> None:
    instance = make_instance(
        students=[{"student_id": "S", "wished_offers": "NEAR"}],
        offers=[{"offer_id": "NEAR"}, {"offer_id": "FAR", "commune": LENS}],
        travel_times=[
            {"origin": "S", "destination": "NEAR", "minutes": 90},
            {"origin": "S", "destination": "FAR", "minutes": 20},
        ],
    )
    result = run(instance)
    assert placements(result) == {"S": {"FAR"}}
    assert value(result, "travel") == 20
    assert value(result, "preference") == 10
    # Without the overrides it is the other way round.
    plain = make_instance(
        students=[{"student_id": "S", "wished_offers": "NEAR"}],
        offers=[{"offer_id": "NEAR"}, {"offer_id": "FAR", "commune": LENS}],
    )
    assert minutes(plain, "S", "FAR") > 45
    assert placements(run(plain)) == {"S": {"NEAR"}}


def test_student_override_beats_school_override() -> None:
    school = DEFAULT_SCHOOL["school_id"]
    instance = make_instance(
        students=[{"student_id": "S"}, {"student_id": "T"}],
        offers=[{"offer_id": "FAR", "commune": LENS, "capacity": 2}],
        travel_times=[
            {"origin": school, "destination": "FAR", "minutes": 20},
            {"origin": "S", "destination": "FAR", "minutes": 90},
        ],
    )
    result = run(instance)
    assert placements(result) == {"T": {"FAR"}}
    assert value(result, "travel") == 20


def test_fractional_override_minutes_are_summed_exactly() -> None:
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[{"offer_id": "O1", "start": WEEK_1[0], "end": WEEK_1[1]}],
        slots=[{"slot_id": "S1", "date": WEEK_2[0]}],
        travel_times=[
            {"origin": "S", "destination": "O1", "minutes": 44.5},
            {"origin": "S", "destination": "S1", "minutes": 12.25},
        ],
    )
    result = run(instance)
    assert placements(result) == {"S": {"O1"}}
    assert workshops(result) == {"S": {"S1"}}
    assert value(result, "travel") == pytest.approx(56.75)


@pytest.mark.parametrize(
    ("default_limit", "own_limit", "placed"),
    [(45, None, True), (30, None, False), (30, 60, True), (45, 30, False)],
)
def test_default_max_travel_min(default_limit: int, own_limit: int | None, placed: bool) -> None:
    student: dict[str, Any] = {"student_id": "S"}
    if own_limit is not None:
        student["max_travel_min"] = own_limit
    instance = make_instance(
        students=[student],
        offers=[{"offer_id": "O1", "lat": NEAR_LAT}],
        settings={"default_max_travel_min": default_limit},
    )
    assert 30 < minutes(instance, "S", "O1") <= 45  # transit: 39 min
    result = run(instance)
    assert placements(result) == ({"S": {"O1"}} if placed else {})
    assert value(result, "travel") == (minutes(instance, "S", "O1") if placed else 0)


@pytest.mark.parametrize(("limit", "attends"), [(60, True), (30, False)])
def test_workshop_max_travel_min(limit: int, attends: bool) -> None:
    """Workshops have their own limit; the student's placement limit (20) does not apply."""
    instance = make_instance(
        students=[{"student_id": "S", "max_travel_min": 20}],
        offers=[{"offer_id": "O1", "start": WEEK_1[0], "end": WEEK_1[1]}],
        slots=[{"slot_id": "S1", "date": WEEK_2[0], "lat": NEAR_LAT}],
        settings={"workshops_per_student": 1, "workshop_max_travel_min": limit},
    )
    assert 30 < minutes(instance, "S", "S1") <= 60
    result = run(instance)
    assert placements(result) == {"S": {"O1"}}
    assert workshops(result) == ({"S": {"S1"}} if attends else {})
    assert value(result, "workshops") == int(attends)


@pytest.mark.parametrize(
    ("default_mode", "own_mode", "placed"),
    [("walk", None, False), ("transit", None, True), ("walk", "car", True), ("car", "walk", False)],
)
def test_default_mode(default_mode: str, own_mode: str | None, placed: bool) -> None:
    student: dict[str, Any] = {"student_id": "S"}
    if own_mode is not None:
        student["mode"] = own_mode
    instance = make_instance(
        students=[student],
        offers=[{"offer_id": "O1", "lat": NEAR_LAT}],
        slots=[{"slot_id": "S1", "lat": NEAR_LAT}],
        settings={"default_mode": default_mode, "workshop_max_travel_min": 60},
    )
    mode = own_mode or default_mode
    expected = {"walk": 104, "transit": 39, "car": 20}[mode]
    assert minutes(instance, "S", "O1") == expected
    result = run(instance)
    if placed:
        # The slot is reachable too (same place, the mode applies to workshops): the Monday
        # morning session conflicts with the two-week offer, and placement comes first.
        assert placements(result) == {"S": {"O1"}}
        assert value(result, "travel") == expected
    else:
        # Walking, the slot is out of reach as well (104 > 60).
        assert placements(result) == {}
        assert workshops(result) == {}
        assert value(result, "travel") == 0


def test_default_mode_applies_to_workshops() -> None:
    def attended(mode: str) -> dict[str, set[str]]:
        instance = make_instance(
            students=[{"student_id": "S", "max_travel_min": 5}],
            offers=[{"offer_id": "O1", "lat": NEAR_LAT}],
            slots=[{"slot_id": "S1", "lat": NEAR_LAT}],
            settings={"default_mode": mode, "workshop_max_travel_min": 60},
        )
        return workshops(run(instance))

    assert attended("car") == {"S": {"S1"}}
    assert attended("transit") == {"S": {"S1"}}
    assert attended("walk") == {}


# --------------------------------------------------------------------------------------------
# Preferences and the objective


@pytest.mark.parametrize(("unranked", "chosen", "cost"), [(0, "Y", 0), (10, "X", 2), (3, "X", 2)])
def test_unranked_cost(unranked: int, chosen: str, cost: int) -> None:
    """X is the third wish (cost 2); Y is unranked (cost ``unranked_cost``)."""
    instance = make_instance(
        students=[{"student_id": "S", "wishes": "media;industry;law"}],
        offers=[{"offer_id": "X", "sector": "law"}, {"offer_id": "Y", "sector": "health"}],
        settings={"unranked_cost": unranked},
    )
    result = run(instance)
    assert placements(result) == {"S": {chosen}}
    assert value(result, "preference") == cost


def test_wished_offers_outrank_wishes() -> None:
    """``wished_offers`` first (rank 1), then sectors (rank k + q): the offer listed wins."""
    instance = make_instance(
        students=[{"student_id": "S", "wished_offers": "Y", "wishes": "law"}],
        offers=[{"offer_id": "X", "sector": "law"}, {"offer_id": "Y", "sector": "health"}],
    )
    result = run(instance)
    assert placements(result) == {"S": {"Y"}}
    assert value(result, "preference") == 0


def test_objective_order_preference_first() -> None:
    """O1 is N's first wish (cost 0) and unranked for Q (cost 10).

    By default the QPV student gets it; with ``preference`` first, placing Q would cost 10, so
    the best preference (0) leaves Q out and then places N at no cost.
    """
    students = [{"student_id": "Q", "qpv": True}, {"student_id": "N", "wished_offers": "O1"}]
    offers = [{"offer_id": "O1"}]
    default = run(make_instance(students=students, offers=offers))
    assert placements(default) == {"Q": {"O1"}}
    objective = ["preference", *[lvl for lvl in LEVELS if lvl != "preference"]]
    reordered = run(
        make_instance(students=students, offers=offers, settings={"objective": objective})
    )
    assert list(reordered.levels) == objective
    assert placements(reordered) == {"N": {"O1"}}
    assert value(reordered, "preference") == 0
    assert (value(reordered, "qpv_placed"), value(reordered, "placed")) == (0, 1)


def test_objective_order_travel_before_coverage() -> None:
    """With travel above coverage, the nearer one-week offer beats the farther two-week one."""
    students = [{"student_id": "S"}]
    offers = [
        {"offer_id": "CLOSE", "start": WEEK_1[0], "end": WEEK_1[1]},
        {"offer_id": "TWO", "lat": NEAR_LAT},
    ]
    default = run(make_instance(students=students, offers=offers))
    assert placements(default) == {"S": {"TWO"}}
    objective = ["qpv_placed", "placed", "workshops", "travel", "coverage", "preference"]
    reordered = run(
        make_instance(students=students, offers=offers, settings={"objective": objective})
    )
    assert placements(reordered) == {"S": {"CLOSE"}}
    assert value(reordered, "travel") == 10
