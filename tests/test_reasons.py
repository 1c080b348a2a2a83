"""Why a student is unplaced: each SPEC reason on a hand-made instance, and on random ones.

The SPEC's reasons, first that applies: ``no_reachable_offer`` (no offer within the travel
limit), ``no_eligible_offer`` (reachable ones exist, none eligible), ``capacity`` (reachable,
eligible offers exist but their seats went to others). The expected reason is derived here from
``check``-side travel minutes and one-pair ``check`` calls, independently of the solver.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from strategies import CENTRE, DEFAULT_SCHOOL, instances, make_instance

from stagematch.check import check, travel_minutes
from stagematch.model import Instance, Offer, Student
from stagematch.plan import Assignment, Plan
from stagematch.result import REASONS, UNPLACED_COLUMNS, Result, Unplaced
from stagematch.solver import solve

LENS, LILLE = "62498", "59350"
OTHER_SCHOOL = {"school_id": "0590002B", "name": "Lycée B", "lat": CENTRE[0], "lon": CENTRE[1]}
ELIGIBILITY_RULES = {"accessibility", "min_age", "reserved_schools", "unavailable"}


def run(instance: Instance) -> Result:
    result = solve(instance, time_limit=5, seed=0)
    assert check(instance, result.plan).ok
    return result


def reason_of(result: Result, student_id: str) -> Unplaced:
    found = [u for u in result.unplaced if u.student_id == student_id]
    assert len(found) == 1, result.unplaced
    return found[0]


def numbers_in(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]


def limit_of(instance: Instance, student: Student) -> float:
    if student.max_travel_min is not None:
        return student.max_travel_min
    return instance.settings.default_max_travel_min


def pair_rules(instance: Instance, student: Student, offer: Offer) -> set[str]:
    """The eligibility rules (rule 4) a one-pair plan breaks, seats and travel left out."""
    report = check(instance, Plan([Assignment(student.student_id, "placement", offer.offer_id)]))
    return {v.rule for v in report.violations} & ELIGIBILITY_RULES


def expected_reason(instance: Instance, student: Student) -> str:
    reachable = [
        o
        for o in instance.offers
        if travel_minutes(instance, student, o) <= limit_of(instance, student)
    ]
    if not reachable:
        return "no_reachable_offer"
    if all(pair_rules(instance, student, o) for o in reachable):
        return "no_eligible_offer"
    return "capacity"


# --------------------------------------------------------------------------------------------
# no_reachable_offer


def test_no_reachable_offer_names_the_nearest_offer_and_its_minutes() -> None:
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[{"offer_id": "LENS", "commune": LENS}, {"offer_id": "LILLE", "commune": LILLE}],
    )
    student = instance.students[0]
    by_offer = {o.offer_id: travel_minutes(instance, student, o) for o in instance.offers}
    nearest = min(by_offer, key=by_offer.__getitem__)
    assert by_offer[nearest] > 45
    assert nearest == "LILLE"  # ~40 km against ~50 km
    result = run(instance)
    unplaced = reason_of(result, "S")
    assert unplaced.reason == "no_reachable_offer"
    assert nearest in unplaced.detail
    assert "LENS" not in unplaced.detail
    assert by_offer[nearest] in numbers_in(unplaced.detail)


def test_no_reachable_offer_nearest_uses_travel_time_overrides() -> None:
    """An override of 50 min to the far offer makes it the nearest (the other is 104 min on foot)."""
    instance = make_instance(
        students=[{"student_id": "S", "mode": "walk"}],
        offers=[
            {"offer_id": "WALK", "lat": round(CENTRE[0] + 0.06, 4)},
            {"offer_id": "FAR", "commune": LENS},
        ],
        travel_times=[{"origin": "S", "destination": "FAR", "minutes": 50}],
    )
    student = instance.students[0]
    assert travel_minutes(instance, student, instance.offers[0]) == 104
    result = run(instance)
    unplaced = reason_of(result, "S")
    assert unplaced.reason == "no_reachable_offer"
    assert "FAR" in unplaced.detail
    assert 50 in numbers_in(unplaced.detail)


def test_no_reachable_offer_beats_ineligibility() -> None:
    """Unreachable and ineligible: reachability is the first reason that applies."""
    instance = make_instance(
        students=[{"student_id": "S", "needs_accessibility": True}],
        offers=[{"offer_id": "FAR", "commune": LENS, "accessible": False}],
    )
    assert reason_of(run(instance), "S").reason == "no_reachable_offer"


# --------------------------------------------------------------------------------------------
# no_eligible_offer


INELIGIBLE = {
    "accessibility": ({"needs_accessibility": True}, {"accessible": False}),
    "min_age": ({"age": 15}, {"min_age": 16}),
    "reserved_schools": ({}, {"reserved_schools": OTHER_SCHOOL["school_id"]}),
    "unavailable": ({"unavailable": "2026-06-17"}, {}),
}


@pytest.mark.parametrize("rule", sorted(INELIGIBLE))
def test_no_eligible_offer_names_the_excluding_rule(rule: str) -> None:
    student_extra, offer_extra = INELIGIBLE[rule]
    instance = make_instance(
        students=[{"student_id": "S", **student_extra}],
        offers=[
            {"offer_id": "NEAR", **offer_extra},
            # Eligible, but out of reach: it must not turn the reason into `capacity`.
            {"offer_id": "FAR", "commune": LENS},
        ],
        schools=[DEFAULT_SCHOOL, OTHER_SCHOOL],
    )
    result = run(instance)
    unplaced = reason_of(result, "S")
    assert unplaced.reason == "no_eligible_offer"
    assert rule in unplaced.detail
    for other in ELIGIBILITY_RULES - {rule}:
        assert other not in unplaced.detail


def test_no_eligible_offer_lists_every_rule_that_excluded_an_offer() -> None:
    instance = make_instance(
        students=[{"student_id": "S", "age": 15, "needs_accessibility": True}],
        offers=[
            {"offer_id": "O1", "accessible": False},
            {"offer_id": "O2", "min_age": 16},
        ],
    )
    unplaced = reason_of(run(instance), "S")
    assert unplaced.reason == "no_eligible_offer"
    assert "accessibility" in unplaced.detail
    assert "min_age" in unplaced.detail


# --------------------------------------------------------------------------------------------
# capacity


def test_capacity_mentions_qpv_priority(two_students_one_seat: Instance) -> None:
    result = run(two_students_one_seat)
    assert result.plan.placements == {"Q": ("O1",)}
    unplaced = reason_of(result, "N")
    assert unplaced == Unplaced("N", False, "capacity", unplaced.detail)
    assert "1 QPV student(s)" in unplaced.detail
    assert "chosen by the objective: qpv_placed, placed, workshops" in unplaced.detail


def test_capacity_names_the_objective_that_chose_and_when_it_ignores_placing() -> None:
    """Regression: the detail listed fixed levels ("placed, coverage, preference, travel")
    and blamed a level "ranked above 'placed'" even where the objective has no ``placed``."""
    instance = make_instance(
        students=[{"student_id": "A"}],
        offers=[{"offer_id": "O1"}],
        settings={"objective": ["travel", "coverage"]},
    )
    unplaced = reason_of(run(instance), "A")  # no travel at all is best
    assert unplaced.reason == "capacity"
    assert "chosen by the objective: travel, coverage" in unplaced.detail
    assert "the objective does not count this student's placement" in unplaced.detail
    assert "'placed'" not in unplaced.detail


def test_capacity_when_the_seats_went_to_other_non_qpv_students() -> None:
    instance = make_instance(
        students=[{"student_id": "A"}, {"student_id": "B"}, {"student_id": "C"}],
        offers=[{"offer_id": "O1", "capacity": 2}],
    )
    result = run(instance)
    assert len(result.unplaced) == 1
    assert result.unplaced[0].reason == "capacity"


def test_capacity_when_the_free_seats_are_reserved() -> None:
    instance = make_instance(
        students=[{"student_id": "N"}],
        offers=[{"offer_id": "O1", "capacity": 1, "qpv_reserved": 1}],
    )
    unplaced = reason_of(run(instance), "N")
    assert unplaced.reason == "capacity"
    assert "reserved" in unplaced.detail


def test_capacity_beats_ineligibility_of_other_offers() -> None:
    """One reachable offer is ineligible, the other eligible but full: the reason is capacity."""
    instance = make_instance(
        students=[{"student_id": "Q", "qpv": True}, {"student_id": "N", "age": 15}],
        offers=[{"offer_id": "O1"}, {"offer_id": "ADULT", "min_age": 18}],
    )
    result = run(instance)
    # Q could take either; N only O1 — so Q takes ADULT and both are placed.
    assert result.unplaced == ()
    crowded = make_instance(
        students=[
            {"student_id": "Q", "qpv": True, "age": 15},
            {"student_id": "N", "age": 15},
        ],
        offers=[{"offer_id": "O1"}, {"offer_id": "ADULT", "min_age": 18}],
    )
    result = run(crowded)
    assert result.plan.placements == {"Q": ("O1",)}
    assert reason_of(result, "N").reason == "capacity"


def test_reasons_for_a_mixed_cohort() -> None:
    """Three seats for four eligible students, one student too far, one needing access."""
    instance = make_instance(
        students=[
            {"student_id": "Q", "qpv": True},
            {"student_id": "N1"},
            {"student_id": "N2"},
            {"student_id": "N3"},
            {"student_id": "FARAWAY", "home_commune": LENS},
            {"student_id": "ACCESS", "needs_accessibility": True},
        ],
        offers=[
            {"offer_id": "O1", "capacity": 2, "accessible": False},
            {"offer_id": "O2", "capacity": 1, "accessible": False},
        ],
    )
    result = run(instance)
    placed = set(result.plan.placements)
    assert len(placed) == 3
    assert "Q" in placed
    reasons = {u.student_id: u.reason for u in result.unplaced}
    assert reasons.pop("FARAWAY") == "no_reachable_offer"
    assert reasons.pop("ACCESS") == "no_eligible_offer"
    assert list(reasons.values()) == ["capacity"]
    assert set(reasons) < {"N1", "N2", "N3"}


# --------------------------------------------------------------------------------------------
# Every unplaced student exactly once, placed students never, the reason that applies


def assert_names_a_nearest_offer(instance: Instance, student: Student, detail: str) -> None:
    """The detail names an offer at the fewest minutes (any of them on a tie) and those minutes."""
    by_offer = {o.offer_id: travel_minutes(instance, student, o) for o in instance.offers}
    fewest = min(by_offer.values())
    named = [oid for oid in by_offer if re.search(rf"\b{re.escape(oid)}\b", detail)]
    assert named, detail
    assert all(by_offer[oid] == fewest for oid in named), (detail, by_offer)
    assert fewest in numbers_in(detail), (detail, by_offer)


def assert_unplaced_consistent(instance: Instance, result: Result) -> None:
    placed = set(result.plan.placements)
    ids = [u.student_id for u in result.unplaced]
    assert len(ids) == len(set(ids)), ids
    assert set(ids) == {s.student_id for s in instance.students} - placed
    students = {s.student_id: s for s in instance.students}
    for u in result.unplaced:
        student = students[u.student_id]
        assert u.qpv == student.qpv
        assert u.reason in REASONS
        assert u.reason == expected_reason(instance, student), (u, instance)
        assert u.detail
        if u.reason == "no_reachable_offer":
            assert_names_a_nearest_offer(instance, student, u.detail)
    frame = result.unplaced_frame
    assert list(frame.columns) == UNPLACED_COLUMNS
    assert sorted(frame["student_id"]) == sorted(ids)


@given(instances())
def test_unplaced_students_and_their_reasons(instance: Instance) -> None:
    result = solve(instance, time_limit=5, seed=0)
    assert_unplaced_consistent(instance, result)
