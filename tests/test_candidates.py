"""Candidate pairs against an independent recomputation: every pair listed keeps every hard rule
of reach and eligibility, every pair that keeps them is listed, with the checker's minutes and
wish ranks; each ineligibility bit names exactly the rule the pair breaks."""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
from bruteforce import _allowed, _half_days
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances, make_instance

import stagematch.candidates as candidates_module
from stagematch.candidates import (
    INELIGIBILITY_RULES,
    SLICE,
    candidates,
    compact_costs,
    cost_dtype,
    offer_failures,
    wish_cost,
    wish_ranks,
)
from stagematch.check import preference_cost, travel_minutes, wish_rank
from stagematch.model import Instance, Offer, Student
from stagematch.travel import Pairs


@given(st.lists(st.integers(0, 40)), st.integers(0, 10**6))
def test_wish_cost_is_rank_minus_one_or_the_unranked_cost(ranks: list[int], unranked: int) -> None:
    cost = wish_cost(np.array(ranks, dtype=np.int16), unranked)
    assert cost.tolist() == [r - 1 if r > 0 else unranked for r in ranks]


@given(st.lists(st.integers(0, 32_767)), st.integers(0, 2**40))
def test_compact_costs_are_the_wish_costs_in_the_smallest_type_that_holds_them(
    ranks: list[int], unranked: int
) -> None:
    array = np.array(ranks, dtype=np.int16)
    cost = compact_costs(array, unranked)
    assert cost.tolist() == wish_cost(array, unranked).tolist()
    expected = np.int16 if unranked <= 32_767 else np.int32 if unranked < 2**31 else np.int64
    assert cost.dtype == expected == cost_dtype(unranked)


def test_compact_costs_across_slices() -> None:
    ranks = np.resize(np.arange(5, dtype=np.int16), SLICE + 3)
    assert np.array_equal(compact_costs(ranks, 7), wish_cost(ranks, 7))


def _listed(pairs: Pairs) -> dict[tuple[int, int], float]:
    return {
        (int(s), int(i)): float(m)
        for s, i, m in zip(pairs.student, pairs.item, pairs.minutes, strict=True)
    }


@st.composite
def instances_with_bans(draw: st.DrawFn, max_slots: int = 4) -> Instance:
    """:func:`strategies.instances`, with some students banning a host (rows otherwise kept)."""
    instance = draw(instances(max_students=6, max_offers=5, max_slots=max_slots))
    hosts = sorted({o.host_id for o in instance.offers})
    bans = st.lists(st.sampled_from(hosts), unique=True, max_size=1).map(tuple)
    students = [s.model_copy(update={"banned_hosts": draw(bans)}) for s in instance.students]
    return Instance(
        settings=instance.settings,
        schools=instance.schools,
        students=students,
        offers=instance.offers,
        workshop_slots=instance.workshop_slots,
        travel_times=instance.travel_times,
    )


@settings(max_examples=150, deadline=None)
@given(instances_with_bans())
def test_candidates_are_exactly_the_pairs_that_keep_every_rule(instance: Instance) -> None:
    cand = candidates(instance)
    offers = _listed(cand.offers)
    slots = _listed(cand.slots)
    for s, student in enumerate(instance.students):
        for o, offer in enumerate(instance.offers):
            assert ((s, o) in offers) == _allowed(instance, student, offer), (s, o)
            if (s, o) in offers:
                assert offers[(s, o)] == travel_minutes(instance, student, offer)
        for w, slot in enumerate(instance.workshop_slots):
            assert ((s, w) in slots) == _allowed(instance, student, slot), (s, w)
            if (s, w) in slots:
                assert slots[(s, w)] == travel_minutes(instance, student, slot)
    # Costs and ranks follow the checker's own definitions, pair by pair.
    for k, (s, o) in enumerate(zip(cand.offers.student, cand.offers.item, strict=True)):
        student, offer = instance.students[int(s)], instance.offers[int(o)]
        assert int(cand.offer_rank[k]) == (wish_rank(instance, student, offer) or 0)
        assert int(cand.offer_cost[k]) == preference_cost(instance, student, offer)
    # Grouped by student, in student order (the CSR layout the solver relies on).
    assert np.all(np.diff(cand.offers.student) >= 0)
    assert np.all(np.diff(cand.slots.student) >= 0)


def _broken(instance: Instance, student: Student, offer: Offer) -> list[str]:
    """The eligibility rules a pair breaks, from the rows themselves."""
    out = []
    if student.needs_accessibility and not offer.accessible:
        out.append("accessibility")
    if student.age is not None and offer.min_age is not None and student.age < offer.min_age:
        out.append("min_age")
    if offer.reserved_schools and student.school_id not in offer.reserved_schools:
        out.append("reserved_schools")
    if any(day in student.unavailable for day, _ in _half_days(instance, offer)):
        out.append("unavailable")
    if offer.host_id in student.banned_hosts:
        out.append("banned")
    return out


@settings(max_examples=100, deadline=None)
@given(instances_with_bans(max_slots=0))
def test_each_failure_bit_names_the_rule_the_pair_breaks(instance: Instance) -> None:
    # Every pair, reachable or not.
    n_s, n_o = len(instance.students), len(instance.offers)
    s, o = np.divmod(np.arange(n_s * n_o), n_o)
    pairs = Pairs(s.astype(np.int32), o.astype(np.int32), np.zeros(len(s), np.float32))
    bits = offer_failures(instance.arrays, pairs)
    for k in range(len(s)):
        named = [rule for b, rule in enumerate(INELIGIBILITY_RULES) if bits[k] >> b & 1]
        assert named == _broken(instance, instance.students[s[k]], instance.offers[o[k]])


def test_wish_ranks_count_wished_offers_first_and_the_first_listing_wins() -> None:
    instance = make_instance(
        students=[
            {"student_id": "E1", "wishes": ["law", "health"], "wished_offers": ["O3", "O3", "O2"]},
        ],
        offers=[
            {"offer_id": "O1", "sector": "health"},
            {"offer_id": "O2", "sector": "health"},
            {"offer_id": "O3", "sector": "media"},
            {"offer_id": "O4", "sector": "media"},
        ],
    )
    pairs = Pairs(np.zeros(4, np.int32), np.arange(4, dtype=np.int32), np.zeros(4, np.float32))
    # wished_offers O3 (1), O3 again (2, ignored), O2 (3); then sectors law (4), health (5).
    assert wish_ranks(instance, pairs).tolist() == [5, 3, 1, 0]


@settings(max_examples=80, deadline=None)
@given(instances(max_students=6, max_offers=5, max_slots=0))
def test_wish_ranks_from_the_table_are_those_compared_position_by_position(
    instance: Instance,
) -> None:
    n_s, n_o = len(instance.students), len(instance.offers)
    s, o = np.divmod(np.arange(n_s * n_o), n_o)
    pairs = Pairs(s.astype(np.int32), o.astype(np.int32), np.zeros(len(s), np.float32))
    table = wish_ranks(instance, pairs)
    with patch.object(candidates_module, "RANK_TABLE_ENTRIES", 0):
        compared = wish_ranks(instance, pairs)
    assert table.tolist() == compared.tolist()
    for k in range(len(s)):
        student, offer = instance.students[int(s[k])], instance.offers[int(o[k])]
        assert int(table[k]) == (wish_rank(instance, student, offer) or 0)
