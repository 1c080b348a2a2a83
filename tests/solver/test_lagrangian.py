"""Lagrangian bounds never cut off the optimum, however few rounds found their prices.

Pilot-shaped instances (:mod:`pilot_family`: reserved seats, ``max_placements`` 1 or 2, one-
and two-week offers, other objective orders) and a small generated bassin are solved with every
component searched and the Lagrangian bound switched on for all of them (``relaxation_pairs``
0), at the shipped number of rounds and cut to one round. Each level's reported bound must
allow the best value that a plain, independent MILP (:func:`pilot_family.milp_optimum`) finds
among the plans at least as good as the returned one on the levels before it, and must be no
looser than the search-free bound. A direct check compares the bound alone (not the better of
it and the search-free one) with the same optimum. With minimum QPV shares, whose rows are
priced, the yardstick keeps the share: the same MILP on pilot-shaped instances with a third of
the students QPV, and every plan keeping the share enumerated on tiny instances.
"""

from __future__ import annotations

import math
import random

import pytest
from bound_checks import TIME_LIMIT, assert_bounds_hold
from bruteforce import best_plan_where
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot_family import milp_optimum, pilot_shaped
from strategies import CENTRE, make_instance
from test_fairness import Brute
from test_qpv_share import share_holds, shared_instances

from stagematch.arrays import BoolArray
from stagematch.check import check
from stagematch.generate import generate
from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.plan import Plan
from stagematch.solver import SolveOptions, Tuning, solve
from stagematch.solver import master_plan as master_plan_module
from stagematch.solver.lagrangian import _settled, lagrangian_bounds
from stagematch.solver.relaxation import relaxation_bounds
from stagematch.solver.seat_rows import SeatRows

# The bound alone: the plans of the master (test_master_plan.py) would change the values.
LAGRANGIAN = Tuning(exact_pairs=0, relaxation_pairs=0, master_plan_nodes=0)
ONE_ROUND = Tuning(exact_pairs=0, relaxation_pairs=0, lagrangian_rounds=1, master_plan_nodes=0)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), tuning=st.sampled_from([LAGRANGIAN, ONE_ROUND]))
def test_lagrangian_bounds_hold_on_the_pilot_shaped_family(seed: int, tuning: Tuning) -> None:
    assert_bounds_hold(pilot_shaped(seed, students=24), tuning, seed)


@pytest.mark.parametrize("tuning", [LAGRANGIAN, ONE_ROUND])
def test_lagrangian_bounds_hold_on_a_generated_bassin(tuning: Tuning) -> None:
    assert_bounds_hold(generate("bassin", students=40, seed=3), tuning, 3)


def mixed_shares(seed: int, share: int) -> Instance:
    """A pilot-shaped instance where about 30 % of the students are QPV (not all, as in the
    pilot) and every offer has a minimum QPV share of ``share``: the share then bites."""
    data = pilot_shaped(seed, students=24).to_dict()
    rng = random.Random(seed)
    for student in data["students"]:
        student["qpv"] = rng.random() < 0.3
    data["settings"]["qpv_min_share"] = share
    return Instance.from_dict(data)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    share=st.sampled_from([30, 50, 100, 100]),
    tuning=st.sampled_from([LAGRANGIAN, ONE_ROUND]),
)
def test_lagrangian_bounds_hold_with_minimum_qpv_shares(
    seed: int, share: int, tuning: Tuning
) -> None:
    """The share's rows are priced (:mod:`stagematch.solver.share_rows`): the bounds still
    allow the independent MILP's conditional optimum, which keeps the share exactly. No row is
    dropped as broken by the plan (that guard would hide a row too tight for the plan)."""
    dropped: list[int] = []
    drop_broken = SeatRows.drop_broken

    def spy(rows: SeatRows, offer_chosen: BoolArray) -> None:
        before = sum(int((row >= 0).sum()) for row in rows.offer_rows)
        drop_broken(rows, offer_chosen)
        dropped.append(before - sum(int((row >= 0).sum()) for row in rows.offer_rows))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SeatRows, "drop_broken", spy)
        assert_bounds_hold(mixed_shares(seed, share), tuning, seed)
    assert dropped
    assert not any(dropped)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    rounds=st.sampled_from([1, 3, 30]),
    share=st.sampled_from([0, 0, 30, 50, 100]),
)
def test_the_bound_alone_holds(seed: int, rounds: int, share: int) -> None:
    """The Lagrangian bound itself, before the better of it and the search-free bound is
    taken, summed over the components, against the independent MILP's conditional optimum
    (with a minimum QPV share where ``share`` is set)."""
    instance = mixed_shares(seed, share) if share else pilot_shaped(seed, students=24)
    reached, bounds = _bounds_alone(instance, rounds, seed)
    best = milp_optimum(instance, reached)
    for name, total in bounds.items():
        if LEVELS[name].maximise:
            assert best[name] - 1e-6 <= total, name
        else:
            assert total <= best[name] + 1e-6, name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shared_instances(max_students=4, max_offers=3, max_slots=1), st.integers(0, 3))
def test_the_bound_alone_holds_by_enumeration_with_shares(instance: Instance, seed: int) -> None:
    """The same on tiny instances with minimum QPV shares, against every plan that keeps the
    share (enumerated by :func:`bruteforce.best_plan_where`, the share tested from its
    definition, the levels by the checker): no plan as good as the returned one on the
    levels before a level beats its bound."""
    reached, bounds = _bounds_alone(instance, 30, seed)
    brute = Brute.of(instance)
    kept: list[dict[str, float]] = []

    def keep(plan: Plan) -> bool:
        if share_holds(brute, plan):
            kept.append(check(instance, plan).levels)
        return False

    best_plan_where(instance, keep)
    objective = list(instance.settings.objective)
    for position, name in enumerate(objective):
        sense = 1 if LEVELS[name].maximise else -1
        allowed = [
            levels[name]
            for levels in kept
            if all(
                (1 if LEVELS[before].maximise else -1) * (levels[before] - reached[before]) >= -1e-6
                for before in objective[:position]
            )
        ]
        if allowed and name in bounds:
            assert max(sense * v for v in allowed) <= sense * bounds[name] + 1e-6, name


def _bounds_alone(
    instance: Instance, rounds: int, seed: int
) -> tuple[dict[str, float], dict[str, float]]:
    """The levels a solve reached and the Lagrangian bounds alone (``rounds`` of column
    generation a level), summed over the components, in the levels' units."""
    calls: list[tuple[dict[str, int], float]] = []

    def spy(data, objective, achieved, known, _rounds, *args, **kwargs):  # type: ignore[no-untyped-def]
        bounds = lagrangian_bounds(data, objective, achieved, known, rounds, *args, **kwargs)
        calls.append((bounds, achieved["travel"]))
        return bounds

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(master_plan_module, "lagrangian_bounds", spy)
        result = solve(instance, SolveOptions(tuning=LAGRANGIAN), time_limit=TIME_LIMIT, seed=seed)
    reached = {name: level.value for name, level in result.levels.items()}
    if not calls:
        return reached, {}
    # Inside the solver travel counts 1/scale minutes (scale 1, or 100 with fractional minutes).
    scale = round(sum(a for _, a in calls) / reached["travel"]) if reached["travel"] else 1
    names = set.intersection(*(set(c) for c, _ in calls))
    bounds = {
        name: sum(c[name] for c, _ in calls) / (scale if name == "travel" else 1) for name in names
    }
    return reached, bounds


def test_lagrangian_bounds_hold_when_no_seat_is_short() -> None:
    """With seats for everyone no seat row binds, so nothing is priced but the levels above
    (once an index error: the prices of no row were read at row 0)."""
    data = generate("bassin", students=40, seed=3).to_dict()
    for item in (*data["offers"], *data["workshop_slots"]):
        item["capacity"] = 100
        item["qpv_reserved"] = 0
    assert_bounds_hold(Instance.from_dict(data), LAGRANGIAN, 3)


def _captured(instance: Instance, seed: int) -> tuple:  # type: ignore[type-arg]
    """The arguments of the largest component's Lagrangian bound in a solve of ``instance``."""
    calls: list[tuple] = []  # type: ignore[type-arg]

    def spy(data, objective, achieved, known, rounds, plan, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append((data, objective, achieved, known, plan))
        return lagrangian_bounds(data, objective, achieved, known, rounds, plan, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(master_plan_module, "lagrangian_bounds", spy)
        solve(instance, SolveOptions(tuning=LAGRANGIAN), time_limit=TIME_LIMIT, seed=seed)
    return max(calls, key=lambda call: call[0].n_students)


def test_converged_bounds_are_the_tightest_and_reach_the_relaxation() -> None:
    """Rounds go on until the bound has converged: it is then no looser than after any fixed
    number of rounds, and at least as tight as the pair model's linear relaxation (the
    Lagrangian dual over whole programmes is never weaker), up to the tolerance; one round is
    not enough on this instance, so stopping too early fails here. The same call twice gives
    the same bounds."""
    data, objective, achieved, known, plan = _captured(generate("bassin", students=120, seed=5), 5)
    tuning = Tuning()

    def bounds(rounds: int) -> dict[str, int]:
        return lagrangian_bounds(
            data, objective, achieved, known, rounds, plan, tolerance=tuning.lagrangian_tolerance
        )

    converged = bounds(tuning.lagrangian_rounds)
    assert converged == bounds(tuning.lagrangian_rounds)
    relaxed = relaxation_bounds(data, objective, achieved, known, TIME_LIMIT, tuning=tuning)
    looser = False
    for rounds in (1, 3, 30):
        fewer = bounds(rounds)
        for name, bound in converged.items():
            sense = 1 if LEVELS[name].maximise else -1
            assert sense * bound <= sense * fewer[name], (name, rounds)
            looser |= rounds == 1 and bound != fewer[name]
    assert looser
    for name, bound in converged.items():
        if name in relaxed:
            sense = 1 if LEVELS[name].maximise else -1
            assert sense * bound <= sense * relaxed[name] + 1, name


@given(
    master=st.floats(-1e6, 1e6),
    above=st.floats(0, 1e3),
    below=st.floats(0, 1e3),
    tolerance=st.sampled_from([0.0, 1e-5]),
)
def test_a_settled_bound_can_no_longer_move_by_more_than_the_tolerance(
    master: float, above: float, below: float, tolerance: float
) -> None:
    """Whatever later rounds find lies between the master's value and the best bound: once
    settled, the integer bound reported from any of them differs from the best one's by at
    most the tolerance (none at all with tolerance 0)."""
    best = master + above + below
    optimum = master + below  # any value later rounds could still reach
    if _settled(best, master, tolerance):
        slack = tolerance * max(1.0, abs(best))
        assert math.floor(best) - math.floor(optimum) <= math.ceil(slack)
        if tolerance == 0.0:
            assert math.floor(best) == math.floor(optimum)


def test_the_share_tightens_the_bound() -> None:
    """Q, the only QPV student, can take O1 or O2 (four seats each, a 50 % share), not both;
    four others can take only O1, four only O2. The offer Q does not take must stay empty,
    so at most four are placed: priced, the share rows give that bound (``n ≤ 4·k`` on each
    offer, ``k1 + k2 ≤ 1``); without them it was 8 (seats alone)."""
    schools = [
        {"school_id": uai, "name": uai, "lat": CENTRE[0], "lon": CENTRE[1]}
        for uai in ("0590001A", "0590002B", "0590003C")
    ]
    students = [{"student_id": "Q", "qpv": True, "school_id": "0590003C", "split_ok": False}]
    students += [{"student_id": f"N{k}", "school_id": "0590001A"} for k in range(4)]
    students += [{"student_id": f"M{k}", "school_id": "0590002B"} for k in range(4)]
    offers = [
        {"offer_id": "O1", "capacity": 4, "reserved_schools": "0590001A;0590003C"},
        {"offer_id": "O2", "capacity": 4, "reserved_schools": "0590002B;0590003C"},
    ]
    instance = make_instance(students, offers, schools=schools, settings={"qpv_min_share": 50})
    result = solve(instance, SolveOptions(tuning=LAGRANGIAN), time_limit=TIME_LIMIT, seed=0)
    assert check(instance, result.plan).ok
    assert result.levels["placed"].value == 4
    assert result.levels["placed"].bound == 4
    assert result.levels["coverage"].bound == 80  # four students, two weeks each
