"""Baselines: deferred acceptance is stable and valid; first come, first served keeps its order.

Stability is checked by the brute force of :mod:`test_fairness` (straight from the definitions,
one pair at a time, with the checker's formulas), never by :mod:`stagematch.fairness` itself.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import CENTRE, instances, make_instance
from test_fairness import Brute

from stagematch.baselines import (
    deferred_acceptance,
    first_come_first_served,
    preference_keys,
    priority_keys,
)
from stagematch.check import check
from stagematch.fairness import analyse
from stagematch.model import Instance
from stagematch.plan import Plan


def _one_placement_each(plan: Plan) -> bool:
    return all(len(offers) == 1 for offers in plan.placements.values())


@given(instances(max_students=7, max_offers=4, max_slots=0))
def test_deferred_acceptance_is_valid_and_stable(instance: Instance) -> None:
    """No blocking pair (no wasted seat, no justified envy) with reserved seats respected."""
    plan = deferred_acceptance(instance)
    report = check(instance, plan)
    assert report.ok, report.violations
    assert not plan.workshops
    assert _one_placement_each(plan)
    brute = Brute.of(instance)
    assert brute.blocking(plan, tie_break=True) == {}
    assert brute.blocking(plan, tie_break=False) == {}
    assert analyse(instance, plan, tie_break=True).stable
    assert analyse(instance, plan).stable


@given(instances(max_students=5, max_offers=3, max_slots=0))
def test_deferred_acceptance_is_student_optimal(instance: Instance) -> None:
    """Against every stable plan, found by enumeration: the same students are placed (rural
    hospitals theorem) and each of them likes their deferred-acceptance offer at least as much.
    """
    brute = Brute.of(instance)
    ids = [s.student_id for s in instance.students]
    offer_ids = [o.offer_id for o in instance.offers]
    options = [
        [None, *(o for o in range(len(offer_ids)) if (s, o) in brute.acceptable)]
        for s in range(len(ids))
    ]
    da = deferred_acceptance(instance)
    da_offer = {sid: offer_ids.index(offers[0]) for sid, offers in da.placements.items()}
    for choice in itertools.product(*options):
        plan = Plan(
            (ids[s], "placement", offer_ids[o]) for s, o in enumerate(choice) if o is not None
        )
        if not check(instance, plan).ok or brute.blocking(plan):
            continue
        assert set(plan.placements) == set(da.placements)
        for s, o in enumerate(choice):
            if o is not None:
                assert brute.pref[s, da_offer[ids[s]]] <= brute.pref[s, o]


@given(instances(max_students=7, max_offers=4, max_slots=0), st.data())
def test_first_come_first_served_respects_its_order(
    instance: Instance, data: st.DataObject
) -> None:
    """Replayed by hand: each student, in turn, got the best offer left with a seat for them."""
    ids = [s.student_id for s in instance.students]
    order = data.draw(st.permutations(ids))
    plan = first_come_first_served(instance, order)
    report = check(instance, plan)
    assert report.ok, report.violations
    assert _one_placement_each(plan)
    brute = Brute.of(instance)
    offers = instance.offers
    taken = [0] * len(offers)
    non_qpv = [0] * len(offers)
    for sid in order:
        s = ids.index(sid)
        qpv = instance.students[s].qpv
        open_to_me = [
            o
            for o, offer in enumerate(offers)
            if (s, o) in brute.acceptable
            and taken[o] < offer.capacity
            and (qpv or non_qpv[o] < offer.capacity - offer.qpv_reserved)
        ]
        best = min(open_to_me, key=lambda o: brute.pref[s, o], default=None)
        got = plan.placements.get(sid)
        if best is None:
            assert got is None
            continue
        assert got == (offers[best].offer_id,)
        taken[best] += 1
        non_qpv[best] += not qpv


def _two_students_one_seat() -> Instance:
    return make_instance(
        students=[
            {"student_id": "A", "home_lat": CENTRE[0], "home_lon": CENTRE[1]},
            {"student_id": "B", "home_lat": CENTRE[0] + 0.03, "home_lon": CENTRE[1]},
        ],
        offers=[{"offer_id": "O1"}],
    )


def test_first_come_first_served_order_decides() -> None:
    instance = _two_students_one_seat()
    assert first_come_first_served(instance) == Plan([("A", "placement", "O1")])
    assert first_come_first_served(instance, ["B"]) == Plan([("B", "placement", "O1")])
    with pytest.raises(ValueError, match="not a student"):
        first_come_first_served(instance, ["Z"])
    with pytest.raises(ValueError, match="twice"):
        first_come_first_served(instance, ["A", "A"])


def test_deferred_acceptance_priorities_by_hand(
    two_students_one_seat: Instance, reserved_seat: Instance
) -> None:
    # Nearer wins between two non-QPV students, whoever proposes first.
    assert deferred_acceptance(_two_students_one_seat()) == Plan([("A", "placement", "O1")])
    # QPV first: Q gets the only seat.
    assert deferred_acceptance(two_students_one_seat) == Plan([("Q", "placement", "O1")])
    # A reserved seat stays empty rather than go to a non-QPV student (rule 2).
    assert len(deferred_acceptance(reserved_seat).placements) == 1


def test_deferred_acceptance_reserved_seats_go_to_qpv_students_first() -> None:
    """Two seats, one reserved: the far QPV student takes it, the nearest non-QPV the other."""
    far = CENTRE[0] + 0.03
    instance = make_instance(
        students=[
            {"student_id": "N1", "home_lat": CENTRE[0], "home_lon": CENTRE[1]},
            {"student_id": "N2", "home_lat": CENTRE[0] + 0.01, "home_lon": CENTRE[1]},
            {"student_id": "Q", "qpv": True, "home_lat": far, "home_lon": CENTRE[1]},
        ],
        offers=[{"offer_id": "O1", "capacity": 2, "qpv_reserved": 1}],
    )
    plan = deferred_acceptance(instance)
    assert set(plan.placements) == {"N1", "Q"}


def test_keys_order_like_tuples() -> None:
    """Packed keys compare like (cost, minutes) and (not QPV, minutes, student) tuples."""
    cost = [0, 0, 1, 10, 10]
    minutes = [12.5, 13.0, 0.0, 44.5, 45.0]
    keys = preference_keys(cost, minutes).tolist()
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    prio = priority_keys([True, True, False, False], [30.0, 30.5, 0.0, 0.0], [7, 2, 0, 1]).tolist()
    assert prio == sorted(prio)
    assert prio[0] & 0xFFFFFFFF == 7


def test_baselines_on_the_pilot_are_reported_like_any_plan() -> None:
    """Real geography: both plans pass the checker, and evaluate() reports them."""
    from stagematch.evaluate import evaluate
    from stagematch.generate import load_pilot

    instance = load_pilot()
    for plan in (deferred_acceptance(instance), first_come_first_served(instance)):
        assert check(instance, plan).ok
        result = evaluate(instance, plan)
        assert result.value("placed") == len(plan.placements) > 0
    assert analyse(instance, deferred_acceptance(instance)).stable


def test_deferred_acceptance_logs_its_proposals(caplog: pytest.LogCaptureFixture) -> None:
    instance = _two_students_one_seat()
    with caplog.at_level("DEBUG", logger="stagematch.baselines"):
        deferred_acceptance(instance)
    assert "deferred acceptance: 2 proposals" in caplog.text  # A's, then B's (rejected)
