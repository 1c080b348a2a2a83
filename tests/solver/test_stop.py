"""A stop flag ends the search early with a valid plan, on every entry point.

``solve``, ``resolve`` and ``solve_in_parts`` take any object with ``is_set()``. Once it is set
the search ends, the best valid plan found so far comes back, its levels are the plan's, and
``stopped_by`` is ``"interrupt"``. (How fast is measured in ``benchmarks/``, not asserted here.)
"""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest
from test_levels import assert_levels_are_the_plans

from stagematch.decompose import partition
from stagematch.generate import generate, load_pilot
from stagematch.model import Instance
from stagematch.replan import resolve
from stagematch.solver import solve
from stagematch.solver.parts import solve_in_parts

LONG = {"time_limit": 600.0, "budget": 10_000.0, "seed": 0}
"""Far more work than the instances below need to converge... or than a test may wait for."""


@pytest.fixture(scope="module")
def bassin() -> Instance:
    return generate("bassin", students=800, seed=1)


class _SetAfterChecks:
    """Set once it has been asked ``n`` times: a stop that fires somewhere in the search."""

    def __init__(self, n: int) -> None:
        self.asked = 0
        self.n = n

    def is_set(self) -> bool:
        self.asked += 1
        return self.asked > self.n


def test_a_timer_stops_a_long_solve_with_a_valid_plan(bassin: Instance) -> None:
    stop = threading.Event()
    timer = threading.Timer(2.0, stop.set)
    timer.start()
    try:
        result = solve(bassin, stop=stop, **LONG)
    finally:
        timer.cancel()
    assert stop.is_set()
    assert result.stopped_by == "interrupt"
    assert result.status == "feasible"
    assert_levels_are_the_plans(bassin, result)


@pytest.mark.parametrize("asked", [0, 1, 3, 10])
def test_a_stop_at_any_point_of_the_search_gives_a_valid_plan(asked: int) -> None:
    instance = load_pilot()
    stop = _SetAfterChecks(asked)
    result = solve(instance, stop=stop, **LONG)
    # A search that ended before the flag was ever seen set was not interrupted.
    assert result.stopped_by == ("interrupt" if stop.asked > asked else None)
    assert_levels_are_the_plans(instance, result)
    # The flow's optima come before any search: they hold however early the stop.
    for level in ("qpv_placed", "placed"):
        assert result.levels[level].proven


def test_a_multiprocessing_event_is_a_stop_flag() -> None:
    stop = multiprocessing.Event()
    stop.set()
    instance = load_pilot()
    result = solve(instance, stop=stop, **LONG)
    assert result.stopped_by == "interrupt"
    assert_levels_are_the_plans(instance, result)


def test_an_unset_flag_changes_nothing() -> None:
    instance = load_pilot()
    free = solve(instance, time_limit=60, seed=0)
    watched = solve(instance, time_limit=60, seed=0, stop=threading.Event())
    assert watched.plan == free.plan
    assert watched.stopped_by is None
    assert watched.status == "optimal"


@pytest.mark.parametrize("asked", [0, 3])
def test_resolve_and_parts_stop_too(asked: int) -> None:
    instance = load_pilot()
    previous = solve(instance, time_limit=60, seed=1).plan
    stop = _SetAfterChecks(asked)
    replanned = resolve(instance, previous, stop=stop, **LONG)
    assert replanned.stopped_by == ("interrupt" if stop.asked > asked else None)
    assert_levels_are_the_plans(instance, replanned)
    split = partition(instance, max_pairs=2_000.0)
    assert split.n_parts > 1
    stop = _SetAfterChecks(asked)
    parted = solve_in_parts(instance, split, stop=stop, **LONG)
    assert parted.stopped_by == ("interrupt" if stop.asked > asked else None)
    assert_levels_are_the_plans(instance, parted)


def test_a_stop_set_in_the_middle_of_solving_by_parts(bassin: Any) -> None:
    stop = threading.Event()
    timer = threading.Timer(2.0, stop.set)
    timer.start()
    try:
        result = solve_in_parts(bassin, partition(bassin, max_pairs=20_000.0), stop=stop, **LONG)
    finally:
        timer.cancel()
    assert result.stopped_by == "interrupt"
    assert_levels_are_the_plans(bassin, result)
