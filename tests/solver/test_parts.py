"""Solving by parts: a valid plan, bounds that hold for the undecomposed optimum, same candidates.

The parts are forced on tiny random instances (``max_pairs`` small enough to cut them into
several parts, down to one student each) so that :func:`bruteforce.brute_force` can judge the
bounds, and :func:`stagematch.check.check` the plan.
"""

from __future__ import annotations

import numpy as np
import pytest
from bruteforce import brute_force
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances

from stagematch.candidates import candidates
from stagematch.check import check
from stagematch.decompose import part_instance, partition
from stagematch.model import MAXIMISED_LEVELS, Instance
from stagematch.solver.parts import solve_in_parts

TOL = 1e-6


def _pair_set(cand_offers, students, items) -> set[tuple[int, int, float]]:  # type: ignore[no-untyped-def]
    return {
        (int(students[s]), int(items[j]), float(m))
        for s, j, m in zip(cand_offers.student, cand_offers.item, cand_offers.minutes, strict=True)
    }


@settings(max_examples=40)
@given(instances(max_students=8, max_offers=6, max_slots=3), st.sampled_from([1.0, 8.0, 1e9]))
def test_each_student_in_one_part_with_the_candidates_of_the_whole(
    instance: Instance, max_pairs: float
) -> None:
    split = partition(instance, max_pairs=max_pairs)
    arrays = instance.arrays
    assert len(split.student_part) == arrays.n_students
    assert set(split.student_part.tolist()) == set(range(split.n_parts))
    assert ((split.offer_part >= 0) & (split.offer_part < split.n_parts)).all()
    assert ((split.slot_part >= 0) & (split.slot_part < split.n_parts)).all()
    whole = candidates(instance)
    for p in range(split.n_parts):
        part = part_instance(instance, split, p)
        sub = candidates(part.instance)
        mine = np.isin(whole.offers.student, part.students)
        assert _pair_set(sub.offers, part.students, part.offers) == _pair_set(
            whole.offers.select(mine), np.arange(arrays.n_students), np.arange(len(arrays.offers))
        )
        ranks = {
            (int(part.students[s]), int(part.offers[j])): int(r)
            for s, j, r in zip(sub.offers.student, sub.offers.item, sub.offer_rank, strict=True)
        }
        assert ranks == {
            (int(s), int(j)): int(r)
            for s, j, r in zip(
                whole.offers.student[mine],
                whole.offers.item[mine],
                whole.offer_rank[mine],
                strict=True,
            )
        }
        mine = np.isin(whole.slots.student, part.students)
        assert _pair_set(sub.slots, part.students, part.slots) == _pair_set(
            whole.slots.select(mine), np.arange(arrays.n_students), np.arange(len(arrays.slots))
        )


@settings(max_examples=40)
@given(instances(), st.sampled_from([1.0, 8.0, 1e9]))
def test_parts_give_a_valid_plan_and_bounds_of_the_undecomposed_optimum(
    instance: Instance, max_pairs: float
) -> None:
    split = partition(instance, max_pairs=max_pairs)
    result = solve_in_parts(instance, split, time_limit=5, seed=0)
    report = check(instance, result.plan)
    assert report.violations == (), report.violations
    expected, _ = brute_force(instance)
    for name, level in result.levels.items():
        assert level.value == pytest.approx(report.levels[name], abs=TOL), name
        if name in MAXIMISED_LEVELS:
            assert level.value <= level.bound + TOL, name
        else:
            assert level.value >= level.bound - TOL, name
    # The bounds hold for the undecomposed lexicographic optimum, level by level.
    for name, level in result.levels.items():
        if name in MAXIMISED_LEVELS:
            assert level.bound >= expected[name] - TOL, name
        else:
            assert level.bound <= expected[name] + TOL, name
    if result.status == "optimal":
        assert {n: lvl.value for n, lvl in result.levels.items()} == pytest.approx(expected)


@settings(max_examples=20)
@given(instances(), st.sampled_from([1.0, 8.0]))
def test_parts_plan_does_not_depend_on_the_time_the_parts_take(
    instance: Instance, max_pairs: float
) -> None:
    split = partition(instance, max_pairs=max_pairs)
    first = solve_in_parts(instance, split, time_limit=5, seed=0)
    second = solve_in_parts(instance, split, time_limit=50, seed=0)
    if first.status == second.status == "optimal":
        assert first.plan == second.plan
