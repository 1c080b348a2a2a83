"""A start solution (:meth:`stagematch.solver.highs.HighsModel.optimise`) changes HiGHS's work,
never its optimum: levels optimised one after another, each started from the level above's
solution (with the sub-MIP heuristics off, as :mod:`stagematch.solver.milp` does below a fixed
``coaches``), reach the same proven values as each level solved cold by a fresh instance."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pilot_family import pilot_shaped
from strategies import instances
from test_coaches import with_coaches
from test_milp_model import _components

from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.solver.highs import START_HEURISTICS_OFF, HighsModel
from stagematch.solver.milp_model import PairModel, build

SECONDS = 60.0  # generous: only the node cap or the proof may end these runs
NODES = 10_000


def _cold(
    model: PairModel, fixes: list[tuple[np.ndarray, bool, float]], coefs: np.ndarray, maximise: bool
) -> tuple[np.ndarray | None, float, bool]:
    """``coefs`` optimised by a fresh instance with ``fixes``, no start, heuristics on."""
    highs = HighsModel(model, seed=0, threads=1)
    for fixed_coefs, fixed_max, value in fixes:
        highs.fix(fixed_coefs, fixed_max, value)
    return highs.optimise(coefs, maximise, SECONDS, NODES)


def _feasible(model: PairModel, solution: np.ndarray, fixes: list) -> bool:
    """Within the columns' bounds, the model's rows and every fixed level."""
    if np.any(solution < model.lower - 1e-6) or np.any(solution > model.upper + 1e-6):
        return False
    rows = model.a @ solution
    if np.any(rows < model.row_lower - 1e-6) or np.any(rows > model.row_upper + 1e-6):
        return False
    return all(
        (coefs @ solution >= value - 1e-6) if maximise else (coefs @ solution <= value + 1e-6)
        for coefs, maximise, value in fixes
    )


@settings(max_examples=40, deadline=None)
@given(
    instances(max_students=7, max_offers=2, max_slots=4, max_schools=3),
    st.integers(1, 3),
    st.integers(0, 6),
    st.booleans(),
)
def test_levels_started_from_the_level_above_reach_the_cold_optimum(
    drawn: Instance, capacity: int, position: int, bad_start: bool
) -> None:
    instance = with_coaches(drawn, capacity, position)
    objective = list(instance.settings.objective)
    for data in _components(instance):
        model = build(data, objective)
        warm = HighsModel(model, seed=0, threads=1)
        fixes: list[tuple[np.ndarray, bool, float]] = []
        start: np.ndarray | None = None
        for level in objective:
            coefs, _ = model.levels[level]
            maximise = LEVELS[level].maximise
            given_start = start
            if bad_start and start is not None:  # outside the columns' bounds: to be ignored
                given_start = model.upper + 1.0
            solution, _, proven = warm.optimise(coefs, maximise, SECONDS, NODES, given_start)
            if given_start is None:  # on again in runs without a start
                assert all(warm.h.getOptionValue(o)[1] for o in START_HEURISTICS_OFF)
            cold_solution, _, cold_proven = _cold(model, fixes, coefs, maximise)
            assert proven and cold_proven, level
            assert solution is not None and cold_solution is not None
            assert float(coefs @ solution) == float(coefs @ cold_solution), level
            value = float(coefs @ solution)
            if start is not None:  # never worse than the start given
                assert (value >= coefs @ start) if maximise else (value <= coefs @ start)
            fixes.append((coefs, maximise, value))
            assert _feasible(model, solution, fixes), level
            warm.fix(coefs, maximise, value)
            start = solution


class _Clock:
    """A wall clock that moves one second each time it is read: a run given half a second is
    past its deadline at HiGHS's first check, whatever the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def _pilot_model() -> PairModel:
    component = max(_components(pilot_shaped(3)), key=lambda data: len(data.offer_student))
    return build(component, ["workshops", "coverage", "travel"])


def test_a_run_past_its_wall_clock_deadline_ends_and_says_time_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HiGHS 1.16's own ``time_limit`` let a level given 30 s run 45 s, then 83 s more without
    its start (a 300-student bassin, 142 s for a 60-s cap): the cutoff ends it at the deadline."""
    model = _pilot_model()
    highs = HighsModel(model, seed=0, threads=1)
    coefs, _ = model.levels["coverage"]
    assert highs.optimise(coefs, True, 60.0, NODES)[2]  # proven when time is no object
    clock = _Clock()
    monkeypatch.setattr(time, "monotonic", clock)
    again = HighsModel(model, seed=0, threads=1)
    solution, _, proven = again.optimise(coefs, True, 0.5, NODES)
    assert not proven
    assert again.cut() == "time_limit"
    assert clock.now < 100  # interrupted at the deadline, not run to the end
    if solution is not None:
        assert _feasible(model, solution, [])


def test_a_stop_flag_ends_a_run_and_says_interrupt() -> None:
    model = _pilot_model()
    highs = HighsModel(model, seed=0, threads=1)
    stop = threading.Event()
    stop.set()
    highs.interrupt_when(stop)
    coefs, _ = model.levels["coverage"]
    _, _, proven = highs.optimise(coefs, True, 60.0, NODES)
    assert not proven
    assert highs.cut() == "interrupt"
