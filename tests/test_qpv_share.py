"""The minimum QPV share (``qpv_min_share``): validated, enforced by the solver, checked.

The rule: an offer holding n students, k of them QPV, needs k ≥ min(⌈share·n/100⌉, E), E the
QPV students for whom it is a candidate. The tests recompute it from the definitions with the
brute force of :mod:`test_fairness` (acceptable pairs from the checker, pair by pair), not with
:mod:`stagematch.share` or the checker's rule.
"""

from __future__ import annotations

from typing import Any

import pytest
from bruteforce import best_plan_where, oriented
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import CENTRE, instances, make_instance
from test_fairness import Brute

from stagematch import solve
from stagematch.check import check
from stagematch.errors import InvalidInputError
from stagematch.model import Instance
from stagematch.plan import Plan
from stagematch.solver import SolveOptions, Tuning


def with_shares(instance: Instance, setting: int, per_offer: dict[int, int]) -> Instance:
    data = instance.to_dict()
    data["settings"]["qpv_min_share"] = setting
    for k, share in per_offer.items():
        data["offers"][k]["qpv_min_share"] = share
    return Instance.from_dict(data)


def share_holds(brute: Brute, plan: Plan) -> bool:
    """The rule, straight from its definition."""
    instance = brute.instance
    by_offer, _ = brute.holders(plan)
    for o, offer in enumerate(instance.offers):
        share = offer.qpv_min_share
        share = instance.settings.qpv_min_share if share is None else share
        held = by_offer[o]
        k = sum(instance.students[s].qpv for s in held)
        could_come = sum(
            1 for s, st_ in enumerate(instance.students) if st_.qpv and (s, o) in brute.acceptable
        )
        asked = -(-share * len(held) // 100)
        if k < min(asked, could_come):
            return False
    return True


@st.composite
def shared_instances(draw: st.DrawFn, **sizes: Any) -> Instance:
    instance = draw(instances(**sizes))
    shares = st.sampled_from([0, 30, 50, 100])
    per_offer = {
        k: draw(shares) for k in range(len(instance.offers)) if draw(st.integers(0, 2)) == 0
    }
    return with_shares(instance, draw(shares), per_offer)


@settings(max_examples=30)
@given(shared_instances(max_students=6, max_offers=4, max_slots=2))
def test_solved_plans_keep_the_share(instance: Instance) -> None:
    result = solve(instance, time_limit=10)
    assert check(instance, result.plan).ok
    assert share_holds(Brute.of(instance), result.plan)


@settings(max_examples=20)
@given(shared_instances(max_students=4, max_offers=3, max_slots=0, overrides=False))
def test_solved_plans_are_the_best_with_the_share(instance: Instance) -> None:
    brute = Brute.of(instance)
    best = best_plan_where(instance, lambda plan: share_holds(brute, plan))
    assert best is not None
    result = solve(instance, time_limit=10)
    got = oriented(instance, check(instance, result.plan).levels)
    assert got <= tuple(v + 1e-6 for v in best[0])
    if result.status == "optimal":
        assert got == pytest.approx(best[0])


@settings(max_examples=20)
@given(shared_instances(max_students=6, max_offers=4, max_slots=0), st.data())
def test_checker_flags_exactly_the_plans_that_break_the_share(
    instance: Instance, data: st.DataObject
) -> None:
    """Any plan of acceptable pairs within capacity: the checker agrees with the definition."""
    brute = Brute.of(instance)
    pairs = sorted(brute.acceptable)
    chosen = data.draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    plan = Plan(
        (instance.students[s].student_id, "placement", instance.offers[o].offer_id)
        for s, o in chosen
    )
    flagged = any(v.rule == "qpv_min_share" for v in check(instance, plan).violations)
    assert flagged == (not share_holds(brute, plan))


def test_neighbourhood_search_keeps_the_share() -> None:
    """Large components: each neighbourhood counts the seats held outside it."""
    from stagematch.generate import load_pilot

    instance = with_shares(load_pilot(), 60, {})
    result = solve(instance, SolveOptions(tuning=Tuning(exact_pairs=0)), time_limit=10)
    assert check(instance, result.plan).ok
    assert share_holds(Brute.of(instance), result.plan)
    assert result.status == "feasible"  # the flow's optimum is only a bound now


def _one_qpv_two_others(q_home: tuple[float, float] = CENTRE) -> Instance:
    """Offer O (2 seats, share 50) at the centre; Q (QPV) at ``q_home``, N1 and N2 near."""
    return make_instance(
        students=[
            {"student_id": "Q", "qpv": True, "home_lat": q_home[0], "home_lon": q_home[1]},
            {"student_id": "N1"},
            {"student_id": "N2"},
        ],
        offers=[{"offer_id": "O", "capacity": 2, "qpv_min_share": 50}],
    )


def test_checker_by_hand() -> None:
    instance = _one_qpv_two_others()
    both = check(instance, Plan([("N1", "placement", "O"), ("N2", "placement", "O")]))
    assert [v.rule for v in both.violations] == ["qpv_min_share"]
    assert "asks for 1" in both.violations[0].message
    assert check(instance, Plan([("Q", "placement", "O"), ("N1", "placement", "O")])).ok
    # One non-QPV student alone is already 0 of 1 against a share of 50%: ⌈0.5⌉ = 1.
    assert not check(instance, Plan([("N1", "placement", "O")])).ok
    # Q cannot reach O (80 km away): no QPV student could come, the share asks nothing.
    far = _one_qpv_two_others((CENTRE[0] + 0.7, CENTRE[1]))
    assert check(far, Plan([("N1", "placement", "O"), ("N2", "placement", "O")])).ok


def test_solver_and_reasons_by_hand() -> None:
    """O (3 seats, share 50%) could take Q1 and Q2; Q2 prefers P, a seat reserved for QPV.

    With Q1 alone of its two QPV candidates, O may hold 2 students; with both, any number. The
    optimum sends Q2 to P (a wish) and keeps O at Q1 + one other: N2 is unplaced, and told
    that O's free seat is held by the share.
    """
    instance = make_instance(
        students=[
            {"student_id": "Q1", "qpv": True},
            {"student_id": "Q2", "qpv": True, "wished_offers": "P"},
            {"student_id": "N1"},
            {"student_id": "N2"},
        ],
        offers=[
            {"offer_id": "O", "capacity": 3},
            {"offer_id": "P", "capacity": 1, "qpv_reserved": 1},
        ],
        settings={"qpv_min_share": 50, "max_placements_per_student": 1},
    )
    result = solve(instance, time_limit=10)
    assert result.status == "optimal"
    assert result.value("placed") == 3
    assert result.plan.placements["Q2"] == ("P",)
    (unplaced,) = result.unplaced
    assert unplaced.reason == "capacity"
    assert "1 free seat(s) are held for QPV students by the offers' minimum QPV share" in (
        unplaced.detail
    )


def test_share_out_of_range_is_reported_with_its_row() -> None:
    with pytest.raises(InvalidInputError) as error:
        make_instance(
            students=[{"student_id": "S"}],
            offers=[{"offer_id": "O", "qpv_min_share": 120}],
            settings={"qpv_min_share": -5},
        )
    where = {(p.table, p.row, p.column) for p in error.value.problems}
    assert where == {("offers", 2, "qpv_min_share"), ("settings", None, "qpv_min_share")}
