"""The memory estimate (:mod:`stagematch.solver.memory`) and the ``memory_limit`` option.

The estimate decides, before any pair is listed, whether a solve goes whole or by parts; it must
never count fewer pairs than the solve then lists (every student is counted on an instance this
small). A limit the estimate passes sends the solve by parts, whose plan is valid and recorded
as such; a limit the estimate does not pass leaves the plan exactly what it was.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances

from stagematch.candidates import candidates
from stagematch.check import check
from stagematch.decompose import estimated_pairs
from stagematch.generate import generate, load_pilot
from stagematch.model import Instance
from stagematch.solver import Progress, solve
from stagematch.solver.memory import (
    BYTES_PER_PAIR,
    BYTES_PER_STUDENT,
    FIXED_MB,
    estimate,
    pairs_within,
)
from stagematch.solver.options import DEFAULT_MEMORY_LIMIT, memory_megabytes
from stagematch.travel import reach_counts, reachable


@settings(max_examples=60, deadline=None)
@given(instances(max_students=8, max_offers=6, max_slots=4))
def test_the_estimate_counts_at_least_the_pairs_listed(instance: Instance) -> None:
    cand = candidates(instance)
    guess = estimate(instance)
    assert guess.pairs >= len(cand.offers) + len(cand.slots)
    assert guess.megabytes >= FIXED_MB + guess.pairs * BYTES_PER_PAIR / 2**20
    # Student by student, before eligibility: the counts bound the reachable pairs.
    everyone = np.arange(instance.arrays.n_students)
    for kind in ("placement", "workshop"):
        listed = np.bincount(reachable(instance, kind).student, minlength=len(everyone))
        assert (reach_counts(instance, kind, everyone) >= listed).all()


def test_the_sampled_estimate_is_near_the_pairs_of_a_bassin() -> None:
    """Above the sample size each student stands for its neighbours: an estimate, not a bound
    (within 10 % of the pairs listed here)."""
    instance = generate("bassin", students=1_500, seed=3)
    listed = len(reachable(instance, "placement")) + len(reachable(instance, "workshop"))
    counted = estimated_pairs(instance, overrides=True)
    sampled = estimated_pairs(instance, sampled=300, overrides=True)
    assert counted.sum() >= listed
    assert abs(sampled.sum() - counted.sum()) <= 0.1 * counted.sum()


@pytest.mark.parametrize(
    ("text", "megabytes"),
    [("4GB", 4096), ("4 gb", 4096), ("0.5G", 512), ("3500MB", 3500), ("3500", 3500), (2000, 2000)],
)
def test_memory_limits_are_read_in_megabytes(text: str | int, megabytes: int) -> None:
    assert memory_megabytes(text) == megabytes


@pytest.mark.parametrize("text", ["lots", "4TB", "-1GB", "0", "0.5MB", "", "4 GB RAM"])
def test_a_memory_limit_that_is_not_a_size_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="4GB or 3500MB"):
        memory_megabytes(text)


def test_off_means_no_limit_and_the_default_fits_a_laptop() -> None:
    assert memory_megabytes("off") is None
    assert memory_megabytes("OFF") is None
    assert DEFAULT_MEMORY_LIMIT <= 8 * 1024 // 2
    assert pairs_within(FIXED_MB + 1) == 2**20 // BYTES_PER_PAIR
    assert pairs_within(1) == 1


class _Memory(Progress):
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []

    def on_memory(self, estimated: int, limit: int, parts: int) -> None:
        self.calls.append((estimated, limit, parts))


@st.composite
def _splittable(draw: st.DrawFn) -> Instance:
    instance = draw(instances(max_students=6, max_offers=4, max_slots=3))
    if instance.settings.stable or (instance.arrays.min_share > 0).any():
        instance = Instance.from_dict(
            {
                **instance.to_dict(),
                "settings": {
                    **instance.to_dict()["settings"],
                    "stable": False,
                    "qpv_min_share": 0,
                },
            }
        )
    return instance


@settings(max_examples=15, deadline=None)
@given(_splittable())
def test_a_tiny_limit_solves_by_parts_and_the_plan_is_valid(instance: Instance) -> None:
    heard = _Memory()
    result = solve(instance, memory_limit="1MB", budget=1, progress=heard)
    assert check(instance, result.plan).ok
    options = result.options
    assert options["method"] == "solve"
    assert options["parts_reason"] == "memory_limit"
    assert options["memory_limit"] == 1
    assert options["estimated_memory"] == estimate(instance).megabytes
    assert heard.calls == [(estimate(instance).megabytes, 1, options["parts"])]
    assert options["parts"] >= 1


def test_within_the_limit_the_plan_is_the_whole_solve() -> None:
    pilot = load_pilot()
    heard = _Memory()
    default = solve(pilot, budget=1, progress=heard)
    off = solve(pilot, budget=1, memory_limit="off")
    assert heard.calls == []
    assert default.options["memory_limit"] == DEFAULT_MEMORY_LIMIT
    assert off.options["memory_limit"] == "off"
    assert "parts" not in default.options
    assert default.plan.assignments == off.plan.assignments


def test_stable_plans_over_the_limit_are_solved_whole_and_say_so() -> None:
    pilot = load_pilot()
    heard = _Memory()
    result = solve(pilot, budget=1, stable=True, memory_limit=1, progress=heard)
    assert heard.calls == [(estimate(pilot).megabytes, 1, 0)]
    assert "parts" not in result.options
    assert check(pilot, result.plan).ok


def test_the_estimate_decides_whole_or_parts_at_the_limit() -> None:
    """Within the limit (the estimate equal to it) the solve is whole; a megabyte less sends
    it by parts, each holding at most the pairs that fit beside every student's share."""
    pilot = load_pilot()
    guess = estimate(pilot)
    students = pilot.arrays.n_students
    assert guess.megabytes == FIXED_MB + -(
        -(guess.pairs * BYTES_PER_PAIR + students * BYTES_PER_STUDENT) // 2**20
    )
    heard = _Memory()
    whole = solve(pilot, budget=1, memory_limit=guess.megabytes, progress=heard)
    assert heard.calls == [] and "parts" not in whole.options
    by_parts = solve(pilot, budget=1, memory_limit=guess.megabytes - 1, progress=heard)
    assert heard.calls == [(guess.megabytes, guess.megabytes - 1, by_parts.options["parts"])]
    assert check(pilot, by_parts.plan).ok
    room = (guess.megabytes - 1 - FIXED_MB) * 2**20 - students * BYTES_PER_STUDENT
    assert pairs_within(guess.megabytes - 1, students) == max(room // BYTES_PER_PAIR, 1)
