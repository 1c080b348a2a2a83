"""The greedy completion (:mod:`stagematch.solver.greedy`): valid, never wasteful, never worse.

It starts from the flow's plan (or from nothing) and adds sessions, then placements, the
cheapest first. Whatever it returns must break no hard rule (the independent
:func:`stagematch.check` judges), must keep everything it was given, and must leave no
candidate that still fits: a student short of workshops has no session with a free seat in
free half-days of a workshop they do not attend yet, and a student short of placements has no
candidate offer with a free seat in free half-days.
"""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from strategies import CENTRE, instances, make_instance

from stagematch.check import check
from stagematch.model import COACHES, Instance
from stagematch.solver import SolveOptions, greedy
from stagematch.solver.context import Chosen, SolveContext
from stagematch.solver.greedy import complete_greedily, half_day_masks
from stagematch.solver.pipeline import prepare

BELOW_ADDITIONS = ("preference", "travel", COACHES)


def _context(instance: Instance) -> SolveContext:
    return prepare(instance, SolveOptions(seed=0).resolved(instance.settings))


def _complete(context: SolveContext, offer: np.ndarray, slot: np.ndarray) -> Chosen:
    offer_chosen, slot_chosen = complete_greedily(
        context.arrays,
        context.cand,
        offer,
        slot,
        context.objective,
        context.workshops_per_student,
        context.short,
        share_candidates=context.share_candidates,
    )
    return Chosen(offer_chosen, slot_chosen)


def _steps_run(objective: list[str]) -> set[str]:
    """The levels whose step runs: those before the first level an addition could worsen."""
    run = set()
    for level in objective:
        if level in BELOW_ADDITIONS:
            break
        run.add(level)
    return run


def _free_seat(used: int, used_open: int, capacity: int, reserved: int, qpv: bool) -> bool:
    return used < capacity and (qpv or used_open < capacity - reserved)


def _still_fitting(context: SolveContext, chosen: Chosen) -> list[str]:
    """Students with a candidate the greedy pass should have added (module docstring)."""
    arrays, cand = context.arrays, context.cand
    n = arrays.n_students
    offer_masks = half_day_masks(arrays.offers)
    slot_masks = half_day_masks(arrays.slots)
    occupied = np.zeros(n, dtype=np.uint64)
    o = np.flatnonzero(chosen.offer_chosen)
    w = np.flatnonzero(chosen.slot_chosen)
    np.bitwise_or.at(occupied, cand.offers.student[o], offer_masks[cand.offers.item[o]])
    np.bitwise_or.at(occupied, cand.slots.student[w], slot_masks[cand.slots.item[w]])
    qpv = arrays.qpv

    def usage(pairs, picked, n_items):  # type: ignore[no-untyped-def]
        used = np.bincount(pairs.item[picked], minlength=n_items)
        used_open = np.bincount(pairs.item[picked][~qpv[pairs.student[picked]]], minlength=n_items)
        return used, used_open

    wasted = []
    steps = _steps_run(context.objective)
    if "workshops" in steps and context.workshops_per_student:
        used, used_open = usage(cand.slots, w, len(arrays.slots))
        attended: dict[int, set[int]] = {}
        for k in w.tolist():
            attended.setdefault(int(cand.slots.student[k]), set()).add(
                int(arrays.slots.group[cand.slots.item[k]])
            )
        for k in range(len(cand.slots)):
            s, j = int(cand.slots.student[k]), int(cand.slots.item[k])
            mine = attended.get(s, set())
            if len(mine) >= context.workshops_per_student or arrays.slots.group[j] in mine:
                continue
            if occupied[s] & slot_masks[j]:
                continue
            slots = arrays.slots
            if _free_seat(used[j], used_open[j], slots.capacity[j], slots.reserved[j], qpv[s]):
                wasted.append(f"student {s} could attend slot {j}")
    if "coverage" in steps and not (arrays.min_share > 0).any():
        used, used_open = usage(cand.offers, o, len(arrays.offers))
        placements = np.bincount(cand.offers.student[o], minlength=n)
        for k in range(len(cand.offers)):
            s, j = int(cand.offers.student[k]), int(cand.offers.item[k])
            if placements[s] >= arrays.max_placements[s] or occupied[s] & offer_masks[j]:
                continue
            offers = arrays.offers
            if _free_seat(used[j], used_open[j], offers.capacity[j], offers.reserved[j], qpv[s]):
                wasted.append(f"student {s} could take offer {j}")
    return wasted


@given(instances())
def test_completing_nothing_gives_a_valid_plan_with_nothing_left_that_fits(
    instance: Instance,
) -> None:
    context = _context(instance)
    empty_offers = np.zeros(len(context.cand.offers), dtype=bool)
    empty_slots = np.zeros(len(context.cand.slots), dtype=bool)
    chosen = _complete(context, empty_offers, empty_slots)
    report = check(instance, chosen.plan(context.arrays, context.cand))
    assert report.violations == (), report.violations
    assert _still_fitting(context, chosen) == []


@given(instances())
def test_completing_the_flow_keeps_it_and_leaves_nothing_that_fits(instance: Instance) -> None:
    from stagematch.solver.warmstart import warm_start

    context = _context(instance)
    start = warm_start(context)  # the flow's plan, completed once already
    before = Chosen(start.chosen.offer_chosen.copy(), start.chosen.slot_chosen.copy())
    again = _complete(context, before.offer_chosen, before.slot_chosen)
    assert (again.offer_chosen >= before.offer_chosen).all()
    assert (again.slot_chosen >= before.slot_chosen).all()
    # A second pass finds nothing more: the first one left nothing that fits.
    assert (again.offer_chosen == before.offer_chosen).all()
    assert (again.slot_chosen == before.slot_chosen).all()
    report = check(instance, again.plan(context.arrays, context.cand))
    assert report.violations == (), report.violations
    assert _still_fitting(context, again) == []


def test_the_cheapest_session_of_each_workshop_first_and_one_session_a_workshop() -> None:
    """Two sessions of W1 (the nearer one tried first) and one of W2 on another half-day: the
    student gets the nearer W1 session and the W2 one, never both W1 sessions; sessions come
    before placements (workshops ranks above coverage), so the two-week offer no longer fits."""
    near, far = CENTRE, (CENTRE[0] + 0.1, CENTRE[1] + 0.1)
    instance = make_instance(
        students=[{"student_id": "S1"}],
        offers=[{"offer_id": "O1"}],  # the whole period: it cannot fit beside a session
        slots=[
            {"slot_id": "far", "workshop_id": "W1", "part": "AM", "lat": far[0], "lon": far[1]},
            {"slot_id": "near", "workshop_id": "W1", "part": "PM", "lat": near[0], "lon": near[1]},
            {"slot_id": "w2", "workshop_id": "W2", "part": "AM", "date": "2026-06-16"},
        ],
        settings={"workshops_per_student": 2},
    )
    context = _context(instance)
    empty = np.zeros(len(context.cand.offers), dtype=bool)
    chosen = _complete(context, empty, np.zeros(len(context.cand.slots), dtype=bool))
    plan = chosen.plan(context.arrays, context.cand)
    assert sorted(a.item_id for a in plan.assignments) == ["near", "w2"]
    assert check(instance, plan).ok


def test_nothing_is_added_when_preference_ranks_first() -> None:
    """Adding an item can only cost preference and travel: with preference on top the pass
    must not add anything, not even a free session."""
    instance = make_instance(
        students=[{"student_id": "S1"}],
        offers=[{"offer_id": "O1"}],
        slots=[{"slot_id": "A"}],
        settings={
            "workshops_per_student": 1,
            "objective": ["preference", "qpv_placed", "placed", "workshops", "coverage", "travel"],
        },
    )
    context = _context(instance)
    chosen = _complete(
        context,
        np.zeros(len(context.cand.offers), dtype=bool),
        np.zeros(len(context.cand.slots), dtype=bool),
    )
    assert not chosen.offer_chosen.any() and not chosen.slot_chosen.any()


@given(instances(), st.integers(0, 12))
def test_a_stop_ends_the_pass_with_a_valid_plan_on_the_way_to_the_full_one(
    instance: Instance, answers: int
) -> None:
    """Stopped after ``answers`` looks (one a student here), the pass keeps what it had added:
    the plan is valid, holds what it was given and is part of what the whole pass gives."""
    context = _context(instance)
    empty_offer = np.zeros(len(context.cand.offers), dtype=bool)
    empty_slot = np.zeros(len(context.cand.slots), dtype=bool)
    full = _complete(context, empty_offer, empty_slot)
    asked = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) > answers

    with patch.object(greedy, "STOP_EVERY", 1):
        offer, slot = complete_greedily(
            context.arrays,
            context.cand,
            empty_offer,
            empty_slot,
            context.objective,
            context.workshops_per_student,
            context.short,
            share_candidates=context.share_candidates,
            stop=stop,
        )
    assert not (offer & ~full.offer_chosen).any() and not (slot & ~full.slot_chosen).any()
    assert check(instance, Chosen(offer, slot).plan(context.arrays, context.cand)).ok
    if answers == 0 and asked:  # stopped before the first student: nothing added
        assert not offer.any() and not slot.any()
    if len(asked) <= answers:  # never told to stop: the whole pass
        assert (offer == full.offer_chosen).all() and (slot == full.slot_chosen).all()
