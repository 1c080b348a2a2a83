"""The enumerator is the solver's yardstick, so it is tested on its own: against a naive
enumeration of whole plans (judged by ``check``) on tiny instances, on hand-made instances with
known optima, and against the SPEC's stated consequences of an optimal plan."""

from __future__ import annotations

import itertools

from bruteforce import brute_force, brute_force_levels, oriented, programmes
from hypothesis import given
from strategies import WEEK_1, instances, make_instance

from stagematch.check import check
from stagematch.model import LEVELS, Instance
from stagematch.plan import Assignment, Plan

P, W = "placement", "workshop"


def naive_optimum(instance: Instance) -> tuple[float, ...]:
    """The best oriented levels over *every* valid plan, valid meaning ``check(...).ok``.

    Each student's options are all subsets of all items that are valid on their own (a rule
    broken by one student alone stays broken whatever the others do); every combination of
    options is then checked whole.
    """
    items = [(P, o.offer_id) for o in instance.offers] + [
        (W, w.slot_id) for w in instance.workshop_slots
    ]
    options = []
    for s in instance.students:
        mine = []
        for size in range(len(items) + 1):
            for subset in itertools.combinations(items, size):
                assignments = [Assignment(s.student_id, k, i) for k, i in subset]  # type: ignore[arg-type]
                if check(instance, Plan(assignments)).ok:
                    mine.append(assignments)
        options.append(mine)
    best: tuple[float, ...] | None = None
    for combination in itertools.product(*options):
        report = check(instance, Plan(a for part in combination for a in part))
        if report.ok:
            value = oriented(instance, report.levels)
            if best is None or value > best:
                best = value
    assert best is not None  # the empty plan is valid
    return best


@given(instances(max_students=3, max_offers=3, max_slots=2))
def test_dynamic_programme_matches_naive_enumeration(instance: Instance) -> None:
    assert oriented(instance, brute_force_levels(instance)) == naive_optimum(instance)


@given(instances())
def test_every_programme_is_valid_alone_and_values_match_check(instance: Instance) -> None:
    for s in instance.students:
        options = programmes(instance, s)
        assert options[0].assignments == ()  # doing nothing is always possible
        for programme in options:
            report = check(instance, Plan(programme.assignments))
            assert {v.rule for v in report.violations} <= {"reserved_seats"}
            assert report.levels == programme.values


@given(instances())
def test_optimal_plans_have_the_spec_consequences(instance: Instance) -> None:
    """SPEC: with ``qpv_placed, placed`` first and optimal, no unplaced QPV student has an
    eligible, reachable offer with a free seat or a seat held by a non-QPV student, and no
    unplaced student an eligible, reachable offer with a free seat they may take."""
    if tuple(instance.settings.objective[:2]) != ("qpv_placed", "placed"):
        return
    _, plan = brute_force(instance)
    placed = set(plan.placements)
    takers: dict[str, list[str]] = {o.offer_id: [] for o in instance.offers}
    for sid, offer_ids in plan.placements.items():
        for offer_id in offer_ids:
            takers[offer_id].append(sid)
    qpv = {s.student_id: s.qpv for s in instance.students}
    for s in instance.students:
        if s.student_id in placed:
            continue
        for o in instance.offers:
            alone = check(instance, Plan([(s.student_id, P, o.offer_id)]))
            if any(v.rule != "reserved_seats" for v in alone.violations):
                continue  # not eligible or not reachable
            used = len(takers[o.offer_id])
            non_qpv_used = sum(not qpv[t] for t in takers[o.offer_id])
            may_take_free_seat = used < o.capacity and (
                s.qpv or non_qpv_used < o.capacity - o.qpv_reserved
            )
            assert not may_take_free_seat, (s.student_id, o.offer_id)
            if s.qpv:
                assert non_qpv_used == 0, (s.student_id, o.offer_id)


# --------------------------------------------------------------------------------------------
# Known optima


def test_the_seat_goes_to_the_qpv_student(two_students_one_seat: Instance) -> None:
    levels, plan = brute_force(two_students_one_seat)
    assert plan == Plan([("Q", P, "O1")])
    assert (levels["qpv_placed"], levels["placed"]) == (1, 1)


def test_a_reserved_seat_stays_empty(reserved_seat: Instance) -> None:
    levels, plan = brute_force(reserved_seat)
    assert levels["placed"] == 1
    assert len(plan) == 1


def test_split_weeks_optimum(split_weeks: Instance) -> None:
    levels, plan = brute_force(split_weeks)
    # T cannot split: T takes the two-week offer, S the two weeks it wished.
    assert plan == Plan([("S", P, "A"), ("S", P, "B"), ("T", P, "AB")])
    assert levels == {
        "qpv_placed": 0,
        "placed": 2,
        "workshops": 0,
        "coverage": 40,
        "preference": 11,
        "travel": 30,
    }


def test_workshops_outrank_coverage(workshop_week: Instance) -> None:
    levels, plan = brute_force(workshop_week)
    assert plan == Plan([("S", P, "WEEK"), ("S", W, "S1")])
    assert (levels["workshops"], levels["coverage"]) == (1, 12)


def test_without_a_workshop_target_coverage_decides() -> None:
    instance = make_instance(
        students=[{"student_id": "S"}],
        offers=[
            {"offer_id": "WEEK", "start": WEEK_1[0], "end": WEEK_1[1]},
            {"offer_id": "TWO"},
        ],
        slots=[{"slot_id": "S1", "date": WEEK_1[0], "part": "DAY"}],
    )
    levels, plan = brute_force(instance)
    assert plan == Plan([("S", P, "TWO")])
    assert levels["coverage"] == 20


def test_the_objective_order_is_respected() -> None:
    """With travel first, placing nobody (0 minutes) beats everything else."""
    students = [{"student_id": "S", "qpv": True}]
    offers = [{"offer_id": "O1"}]
    default = brute_force_levels(make_instance(students, offers))
    assert default["qpv_placed"] == 1
    travel_first = ["travel", *[name for name in LEVELS if name != "travel"]]
    levels, plan = brute_force(
        make_instance(students, offers, settings={"objective": travel_first})
    )
    assert plan == Plan()
    assert levels["qpv_placed"] == 0


def test_preference_breaks_ties_before_travel() -> None:
    instance = make_instance(
        students=[{"student_id": "S", "wishes": "law"}],
        offers=[
            {"offer_id": "NEAR", "sector": "health"},
            {"offer_id": "FAR", "sector": "law", "lat": 50.40, "lon": 3.52},
        ],
    )
    _, plan = brute_force(instance)
    assert plan == Plan([("S", P, "FAR")])
    travel_first = ["qpv_placed", "placed", "workshops", "coverage", "travel", "preference"]
    instance = make_instance(
        students=[{"student_id": "S", "wishes": "law"}],
        offers=[
            {"offer_id": "NEAR", "sector": "health"},
            {"offer_id": "FAR", "sector": "law", "lat": 50.40, "lon": 3.52},
        ],
        settings={"objective": travel_first},
    )
    _, plan = brute_force(instance)
    assert plan == Plan([("S", P, "NEAR")])
