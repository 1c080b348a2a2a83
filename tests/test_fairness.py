"""Fairness analysis: blocking pairs by brute force, tables, the price of stability.

The brute force here re-derives everything from the definitions of :mod:`stagematch.fairness`
one pair at a time, without its vectorised code or the candidate pairs: a pair is acceptable
when :func:`stagematch.check.check` finds no travel or eligibility violation for it alone, and
minutes and wish costs come from the checker's formula helpers. Preferences and priorities are
plain Python tuples. :mod:`test_baselines` uses the same helpers for the stability of deferred
acceptance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import CENTRE, instances, make_instance, plans

from stagematch import fairness
from stagematch.baselines import deferred_acceptance, first_come_first_served
from stagematch.check import check, preference_cost, travel_minutes
from stagematch.fairness import analyse, compare, price_of_stability
from stagematch.model import Instance
from stagematch.plan import Plan

PAIR_RULES = {"travel", "accessibility", "min_age", "reserved_schools", "unavailable"}
"""The rules a single pair can break on its own (the others are about seats and programmes)."""


# --------------------------------------------------------------------------------------------
# Brute force, straight from the definitions


@dataclass(frozen=True)
class Brute:
    """Preferences, priorities and acceptable pairs of a small instance, in plain Python."""

    instance: Instance
    acceptable: frozenset[tuple[int, int]]
    pref: dict[tuple[int, int], tuple[int, float, int]]
    prio: dict[tuple[int, int], tuple[bool, float, int]]

    @classmethod
    def of(cls, instance: Instance) -> Brute:
        acceptable = set()
        pref = {}
        prio = {}
        for s, student in enumerate(instance.students):
            for o, offer in enumerate(instance.offers):
                minutes = travel_minutes(instance, student, offer)
                pref[s, o] = (preference_cost(instance, student, offer), minutes, o)
                prio[s, o] = (not student.qpv, minutes, s)
                alone = check(instance, Plan([(student.student_id, "placement", offer.offer_id)]))
                if not {v.rule for v in alone.violations} & PAIR_RULES:
                    acceptable.add((s, o))
        return cls(instance, frozenset(acceptable), pref, prio)

    def holders(self, plan: Plan) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Offer → students holding it; student → offers they hold (indices)."""
        s_index = {s.student_id: k for k, s in enumerate(self.instance.students)}
        o_index = {o.offer_id: k for k, o in enumerate(self.instance.offers)}
        by_offer: dict[int, list[int]] = {o: [] for o in range(len(self.instance.offers))}
        by_student: dict[int, list[int]] = {s: [] for s in range(len(self.instance.students))}
        for a in plan.assignments:
            if a.kind == "placement":
                by_offer[o_index[a.item_id]].append(s_index[a.student_id])
                by_student[s_index[a.student_id]].append(o_index[a.item_id])
        return by_offer, by_student

    def blocking(
        self, plan: Plan, tie_break: bool = True
    ) -> dict[tuple[int, int], tuple[bool, bool]]:
        """(s, o) → (wasted seat, justified envy) for every blocking pair, by the definitions.

        Without ``tie_break`` the preference and priority tuples lose their last element (the
        offer's or the student's position), so equal ones are ties.
        """
        cut = 3 if tie_break else 2
        by_offer, by_student = self.holders(plan)
        qpv = [st.qpv for st in self.instance.students]
        out = {}
        for s, o in sorted(self.acceptable):  # 1. acceptable
            mine = by_student[s]
            best = min((self.pref[s, h][:cut] for h in mine), default=None)
            if best is not None and not self.pref[s, o][:cut] < best:  # 2. preferred
                continue
            offer = self.instance.offers[o]
            held = by_offer[o]
            non_qpv = sum(1 for h in held if not qpv[h])
            open_room = non_qpv < offer.capacity - offer.qpv_reserved
            wasted = len(held) < offer.capacity and (qpv[s] or open_room)  # 3a
            envy = any(  # 3b
                self.prio[s, o][:cut] < self.prio[t, o][:cut]
                and (qpv[s] or not qpv[t] or open_room)
                for t in held
            )
            if wasted or envy:
                out[s, o] = (wasted, envy)
        return out

    def wasted_seats(self, plan: Plan, tie_break: bool = True) -> list[int]:
        """Per offer: its empty seats that a student forming a wasted-seat pair may take."""
        by_offer, _ = self.holders(plan)
        qpv = [st.qpv for st in self.instance.students]
        blocking = self.blocking(plan, tie_break)
        out = []
        for o, offer in enumerate(self.instance.offers):
            held = by_offer[o]
            free = offer.capacity - len(held)
            free_open = offer.capacity - offer.qpv_reserved - sum(1 for h in held if not qpv[h])
            wanting = [s for (s, oo), (w, _) in blocking.items() if oo == o and w]
            if any(qpv[s] for s in wanting):
                out.append(max(free, 0))
            elif wanting:
                out.append(max(min(free, free_open), 0))
            else:
                out.append(0)
        return out


def found_pairs(result: fairness.Fairness) -> dict[tuple[int, int], tuple[bool, bool]]:
    return {
        (int(s), int(o)): (bool(w), bool(e))
        for s, o, w, e in zip(
            result.pair_student,
            result.pair_offer,
            result.pair_wasted,
            result.pair_envy,
            strict=True,
        )
    }


# --------------------------------------------------------------------------------------------
# The counter agrees with brute force


@given(data=st.data())
def test_blocking_pairs_agree_with_brute_force_on_any_plan(data: st.DataObject) -> None:
    """Any plan, valid or not, split programmes included: the same pairs, kinds and seats."""
    instance = data.draw(instances(max_students=5, max_offers=4, max_slots=0))
    plan = data.draw(plans(instance, unknown_ids=False))
    tie_break = data.draw(st.booleans())
    brute = Brute.of(instance)
    result = analyse(instance, plan, tie_break=tie_break)
    assert found_pairs(result) == brute.blocking(plan, tie_break)
    assert result.wasted_seats.tolist() == brute.wasted_seats(plan, tie_break)
    assert result.stable == (not brute.blocking(plan, tie_break))


@given(data=st.data())
def test_blocking_pairs_agree_with_brute_force_on_valid_plans(data: st.DataObject) -> None:
    """The plans that matter: first come, first served in a random order (rarely stable)."""
    instance = data.draw(instances(max_students=6, max_offers=4, max_slots=0))
    ids = [s.student_id for s in instance.students]
    plan = first_come_first_served(instance, data.draw(st.permutations(ids)))
    assert check(instance, plan).ok
    tie_break = data.draw(st.booleans())
    found = found_pairs(analyse(instance, plan, tie_break=tie_break))
    assert found == Brute.of(instance).blocking(plan, tie_break)


def _three_students() -> Instance:
    """One seat at the centre; N (non-QPV, at the centre), Q (QPV, farther), F (farther still)."""
    return make_instance(
        students=[
            {"student_id": "N", "home_lat": CENTRE[0], "home_lon": CENTRE[1]},
            {"student_id": "Q", "qpv": True, "home_lat": CENTRE[0] + 0.02, "home_lon": CENTRE[1]},
            {"student_id": "F", "home_lat": CENTRE[0] + 0.04, "home_lon": CENTRE[1]},
        ],
        offers=[{"offer_id": "O1", "capacity": 1}, {"offer_id": "O2", "capacity": 1}],
    )


def test_envy_and_wasted_seats_by_hand() -> None:
    """F holds O1; N and Q hold nothing and outrank F at O1 (Q is QPV, N is nearer).

    Both offers are at the centre, so every student prefers O1 (same cost and minutes, listed
    first) to O2, and O2 to nothing. O2 is empty: a wasted seat for N and Q. O1 is full, held
    by a student of lower priority: justified envy.
    """
    instance = _three_students()
    result = analyse(instance, Plan([("F", "placement", "O1")]))
    assert found_pairs(result) == {
        (0, 0): (False, True),
        (0, 1): (True, False),
        (1, 0): (False, True),
        (1, 1): (True, False),
    }
    assert result.wasted_seats.tolist() == [0, 1]
    summary = result.summary()
    assert summary["blocking_pairs"] == 4
    assert summary["justified_envy_pairs"] == 2
    assert summary["envious_students"] == 2
    assert summary["wasted_seats"] == 1
    assert summary["unplaced_with_free_seat"] == 2
    assert summary["stable"] is False
    frame = result.students_frame().set_index("student_id")
    assert list(frame.index) == ["N", "Q"]
    assert frame.loc["N", "preferred_offer_id"] == "O1"
    assert frame.loc["N", "offer_id"] == ""
    assert result.wasted_frame()["offer_id"].tolist() == ["O2"]


def test_a_qpv_student_is_not_envied_by_a_nearer_non_qpv_student() -> None:
    instance = _three_students()
    result = analyse(instance, Plan([("Q", "placement", "O1"), ("N", "placement", "O2")]))
    assert result.stable  # N prefers O1 (listed first) but Q has priority there; F has no claim


def test_ties_are_not_envy_unless_broken() -> None:
    """A and B live at the same place; B holds the only seat. A outranks B only by position."""
    instance = make_instance(
        students=[{"student_id": "A"}, {"student_id": "B"}],
        offers=[{"offer_id": "O1"}],
    )
    plan = Plan([("B", "placement", "O1")])
    assert analyse(instance, plan).stable
    assert found_pairs(analyse(instance, plan, tie_break=True)) == {(0, 0): (False, True)}


def test_reserved_seats_are_not_wasted_on_non_qpv_students() -> None:
    instance = make_instance(
        students=[{"student_id": "N1"}, {"student_id": "N2"}],
        offers=[{"offer_id": "O1", "capacity": 2, "qpv_reserved": 1}],
    )
    result = analyse(instance, Plan([("N1", "placement", "O1")]))
    assert result.stable
    assert result.wasted_seats.tolist() == [0]


def test_unknown_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="does not have"):
        analyse(_three_students(), Plan([("X", "placement", "O1")]))


# --------------------------------------------------------------------------------------------
# Tables


def _two_schools() -> tuple[Instance, Plan]:
    schools = [
        {"school_id": "0590001A", "name": "A", "lat": CENTRE[0], "lon": CENTRE[1]},
        {"school_id": "0590002B", "name": "B", "lat": CENTRE[0], "lon": CENTRE[1]},
    ]
    instance = make_instance(
        students=[
            {"student_id": "A1", "school_id": "0590001A", "qpv": True},
            {"student_id": "A2", "school_id": "0590001A"},
            {"student_id": "B1", "school_id": "0590002B"},
            {"student_id": "B2", "school_id": "0590002B"},
        ],
        offers=[{"offer_id": "O1", "capacity": 3}],
        schools=schools,
    )
    return instance, Plan([("A1", "placement", "O1"), ("B1", "placement", "O1")])


def test_by_school_and_by_group() -> None:
    instance, plan = _two_schools()
    result = analyse(instance, plan)
    schools = result.by_school().set_index("school_id")
    assert schools["placed_rate"].tolist() == [0.5, 0.5]
    assert schools.loc["0590001A", "qpv_placed_rate"] == 1.0
    assert schools["qpv_placed_rate"].isna().tolist() == [False, True]
    summary = result.summary()
    assert summary["school_gini"] == 0
    assert summary["school_min_max_ratio"] == 1
    assert summary["wasted_seats"] == 1  # A2 and B2 want the third seat
    groups = result.by_group().set_index("group")
    assert groups.loc["QPV", "placed_rate"] == 1.0
    assert groups.loc["Non-QPV", "placed"] == 1
    assert groups.loc["Non-QPV", "wasted_seat_pairs"] == 2
    assert groups.loc["All students", "first_wish_rate"] == 0  # nobody wished anything


def test_compare_and_price_of_stability() -> None:
    """A prefers O1 and has priority there; B reaches only O1. Stability costs B's placement.

    Offers lie 5 km east of the centre (O2) and at the centre (O1); B lives 5 km west, so O2 is
    about 53 transit minutes away from B, beyond the 45-minute limit.
    """
    east = CENTRE[1] + 5 / (111.32 * math.cos(math.radians(CENTRE[0])))
    west = 2 * CENTRE[1] - east
    instance = make_instance(
        students=[
            {"student_id": "A", "wished_offers": "O1"},
            {"student_id": "B", "home_lat": CENTRE[0], "home_lon": west},
        ],
        offers=[{"offer_id": "O1"}, {"offer_id": "O2", "lat": CENTRE[0], "lon": east}],
    )
    stable = deferred_acceptance(instance)
    assert stable == Plan([("A", "placement", "O1")])
    optimum = Plan([("A", "placement", "O2"), ("B", "placement", "O1")])
    price = price_of_stability(instance, optimum)
    assert (price.placed_optimum, price.placed_stable, price.students_lost) == (2, 1, 1)
    assert price.ratio == 2
    assert price.qpv_ratio == 1  # no QPV student: 0 / 0 reads as no cost
    solved = price_of_stability(instance, time_limit=10)
    assert solved.placed_optimum == 2
    table = compare(instance, {"optimum": optimum, "stable": stable})
    assert table.loc["stable", "stable"]
    assert not table.loc["optimum", "stable"]
    assert table.loc["optimum", "justified_envy_pairs"] == 1  # A envies B at O1


def test_an_empty_plan_has_only_wasted_seats() -> None:
    instance = _three_students()
    result = analyse(instance, Plan([]))
    assert not result.pair_envy.any()
    assert result.pair_wasted.all()
    assert result.summary()["placed"] == 0
    assert np.isnan(result.summary()["first_wish_rate"])
    assert result.summary()["wasted_seats"] == 2
