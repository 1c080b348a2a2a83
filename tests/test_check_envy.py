"""The checker's ``justified_envy`` rule: the same pairs as the definitions, one pair at a time.

The yardstick is :class:`test_fairness.Brute` (plain Python tuples from the checker's formula
helpers, acceptability from the checker's rules for a pair alone), not the solver's keys or
:func:`stagematch.fairness.analyse`'s arrays; ``analyse`` is compared as a second witness.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import CENTRE, instances, make_instance, plans
from test_fairness import Brute

from stagematch import check_envy
from stagematch.baselines import deferred_acceptance, first_come_first_served
from stagematch.check import RULES, _is_candidate, check, preference_cost
from stagematch.check_travel import index_of, travel
from stagematch.fairness import analyse
from stagematch.model import Instance
from stagematch.plan import Plan


def envy_pairs_found(instance: Instance, plan: Plan) -> set[tuple[str, str]]:
    report = check(instance, plan, stable=True)
    return {
        (v.student_id or "", v.item_id or "") for v in report.by_rule().get("justified_envy", [])
    }


def envy_pairs_brute(instance: Instance, plan: Plan) -> set[tuple[str, str]]:
    blocking = Brute.of(instance).blocking(plan, tie_break=False)
    return {
        (instance.students[s].student_id, instance.offers[o].offer_id)
        for (s, o), (_, envy) in blocking.items()
        if envy
    }


def envy_one_pair_at_a_time(instance: Instance, plan: Plan) -> list[tuple[str, str]]:
    """The rule as session 8 wrote it: every student against every offer that holds someone,
    with the checker's formulas, no sieve."""
    index = index_of(instance)
    placements = [
        (index.students[a.student_id], index.offers[a.item_id])
        for a in plan.assignments
        if a.kind == "placement" and a.student_id in index.students and a.item_id in index.offers
    ]
    best: dict[str, tuple[int, float]] = {}
    lowest: dict[str, tuple[bool, float]] = {}
    for student, offer in placements:
        minutes = travel(index, instance, student, offer)
        wish = (preference_cost(instance, student, offer), minutes)
        best[student.student_id] = min(best.get(student.student_id, wish), wish)
        rank = (not student.qpv, minutes)
        lowest[offer.offer_id] = max(lowest.get(offer.offer_id, rank), rank)
    out = []
    for student in instance.students:
        sid = student.student_id
        for oid in sorted(lowest):
            offer = index.offers[oid]
            minutes = travel(index, instance, student, offer)
            if (not student.qpv, minutes) >= lowest[oid]:
                continue
            if sid in best and (preference_cost(instance, student, offer), minutes) >= best[sid]:
                continue
            if _is_candidate(index, instance, student, offer):
                out.append((sid, oid))
    return out


@pytest.mark.parametrize("block", [1, 7, check_envy.PAIRS_PER_BLOCK])
@given(data=st.data())
def test_the_sieve_keeps_every_envious_pair(block: int, data: st.DataObject) -> None:
    """The numpy sieve then the exact test give exactly the one-pair-at-a-time answer, also in
    blocks of one student (each block meeting only the offers within its reach)."""
    instance = data.draw(instances(max_students=12, max_offers=6, max_slots=0, max_schools=3))
    plan = data.draw(plans(instance, unknown_ids=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(check_envy, "PAIRS_PER_BLOCK", block)
        report = check(instance, plan, stable=True)
    found = [(v.student_id, v.item_id) for v in report.violations if v.rule == "justified_envy"]
    assert found == sorted(envy_one_pair_at_a_time(instance, plan))  # check sorts by id


@given(data=st.data())
def test_envy_is_the_definition_on_any_plan(data: st.DataObject) -> None:
    """Any plan, valid or not, split programmes included."""
    instance = data.draw(instances(max_students=5, max_offers=4, max_slots=0))
    plan = data.draw(plans(instance, unknown_ids=False))
    assert envy_pairs_found(instance, plan) == envy_pairs_brute(instance, plan)


@given(data=st.data())
def test_envy_is_the_definition_on_valid_plans(data: st.DataObject) -> None:
    """First come, first served in a random order: valid, and rarely free of envy."""
    instance = data.draw(instances(max_students=6, max_offers=4, max_slots=0))
    ids = [s.student_id for s in instance.students]
    plan = first_come_first_served(instance, data.draw(st.permutations(ids)))
    found = envy_pairs_found(instance, plan)
    assert found == envy_pairs_brute(instance, plan)
    witness = analyse(instance, plan, tie_break=False)
    assert len(found) == int(witness.pair_envy.sum())
    # the plan breaks no other rule, so it is valid exactly when nobody has justified envy
    assert check(instance, plan, stable=True).ok == (not found)


@given(instances(max_students=6, max_offers=4, max_slots=1))
def test_deferred_acceptance_passes(instance: Instance) -> None:
    assert check(instance, deferred_acceptance(instance), stable=True).ok


def _envious() -> tuple[Instance, Plan]:
    """One seat at the centre held by F, while N, nearer, wishes it and has nothing."""
    instance = make_instance(
        students=[
            {"student_id": "N", "home_lat": CENTRE[0], "home_lon": CENTRE[1]},
            {"student_id": "F", "home_lat": CENTRE[0], "home_lon": CENTRE[1] - 0.03},
        ],
        offers=[{"offer_id": "O1"}],
    )
    return instance, Plan([("F", "placement", "O1")])


def test_the_setting_asks_for_the_rule() -> None:
    instance, plan = _envious()
    assert check(instance, plan).ok  # not asked: envy is allowed
    (violation,) = check(instance, plan, stable=True).violations
    assert (violation.rule, violation.student_id, violation.item_id) == (
        "justified_envy",
        "N",
        "O1",
    )
    assert "justified envy" in violation.message
    data = instance.to_dict()
    data["settings"]["stable"] = True
    stable = Instance.from_dict(data)
    assert [v.rule for v in check(stable, plan).violations] == ["justified_envy"]
    assert check(stable, plan, stable=False).ok  # the argument wins over the setting
    assert "justified_envy" in RULES
