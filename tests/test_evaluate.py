"""A Result for any plan: its minutes, wish ranks and level values agree with the checker's own
recomputation, assignment by assignment, whether or not the plan keeps the rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances, plans

from stagematch.check import check, travel_minutes, wish_rank
from stagematch.evaluate import evaluate
from stagematch.model import Instance


@settings(max_examples=60, deadline=None)
@given(instances(max_students=5, max_offers=4, max_slots=3), st.data())
def test_minutes_ranks_and_levels_match_the_checker(
    instance: Instance, data: st.DataObject
) -> None:
    plan = data.draw(plans(instance, unknown_ids=False))
    result = evaluate(instance, plan)
    students = {s.student_id: s for s in instance.students}
    offers = {o.offer_id: o for o in instance.offers}
    slots = {w.slot_id: w for w in instance.workshop_slots}
    expected_minutes = {}
    expected_ranks = {}
    for a in plan.assignments:
        student = students[a.student_id]
        item = offers[a.item_id] if a.kind == "placement" else slots[a.item_id]
        expected_minutes[(a.student_id, a.item_id)] = travel_minutes(instance, student, item)
        if a.kind == "placement":
            rank = wish_rank(instance, student, offers[a.item_id])
            expected_ranks[(a.student_id, a.item_id)] = rank or 0
    assert result.travel_minutes == expected_minutes
    assert result.wish_rank == expected_ranks
    report = check(instance, plan)
    for name, level in result.levels.items():
        assert level.value == report.levels[name], name
