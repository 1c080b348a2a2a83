"""The exact model's search is budgeted in simplex iterations, which do not depend on the clock.

HiGHS has no deterministic time; :func:`stagematch.solver.milp.solve_component` turns a
component's work into iterations weighted by the model's size (``ITERATIONS_PER_WORK``,
``iteration_weight``), caps each level in nodes at that rate and charges the iterations it
took. A budget too small to prove the levels must
still give the same plan on every run, with ``stopped_by`` left at ``None`` — the documented
meaning: the work budget ended the search — and ``status`` saying the levels were not proven.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pilot_family import pilot_shaped
from scipy.sparse import csr_matrix

from stagematch.check import check
from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.solver import SolveOptions, Tuning, milp, solve
from stagematch.solver.milp import HighsModel
from stagematch.solver.milp_model import INF, PairModel

# Generous: only the node cap may end these solves.
TIME_LIMIT = 600.0


def test_a_tiny_work_budget_caps_highs_the_same_way_on_every_run() -> None:
    instance = pilot_shaped(3, students=40)
    tiny = SolveOptions(budget=0.02, tuning=Tuning(min_component_work=0.0))
    first = solve(instance, tiny, seed=1, time_limit=TIME_LIMIT)
    second = solve(instance, tiny, seed=1, time_limit=TIME_LIMIT)
    assert first.stopped_by is None and second.stopped_by is None
    assert first.status == "feasible"  # the cap bit: some level is left unproven
    assert first.plan == second.plan
    assert first.levels == second.levels
    assert check(instance, first.plan).ok
    for level in first.levels.values():  # whatever was cut, the bounds still hold
        assert level.gap >= 0
    full = solve(instance, seed=1, time_limit=TIME_LIMIT)
    assert full.status == "optimal" and full.stopped_by is None


def test_each_run_gets_its_own_time_limit() -> None:
    """HiGHS 1.16 measures ``time_limit`` from the first run of an instance: a level solved
    after others must be given its seconds on top of the time already run."""
    model = PairModel(
        n_x=2,
        n_y=0,
        lower=np.zeros(2),
        upper=np.ones(2),
        a=csr_matrix(np.ones((1, 2))),
        row_lower=np.array([-INF]),
        row_upper=np.array([1.0]),
        levels={},
    )
    highs = HighsModel(model, seed=0, threads=1)
    for coefs in (np.array([1.0, 2.0]), np.array([3.0, 1.0])):
        before = highs.h.getRunTime()
        solution, _, proven = highs.optimise(coefs, True, 5.0, 10)
        assert proven and solution is not None
        assert highs.h.getOptionValue("time_limit")[1] == pytest.approx(before + 5.0)
        ran = highs.h.getRunTime()
        assert ran > before
        highs.limit_time(5.0)
        assert highs.h.getOptionValue("time_limit")[1] == pytest.approx(ran + 5.0)


def test_a_level_the_plan_already_meets_at_its_trivial_bound_is_not_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A level met at a bound that needs no search is proven by counting: no HiGHS run may be
    spent on it (with minimum QPV shares, HiGHS once spent a whole level's share on
    `qpv_placed` with every QPV student already placed, and found nothing). Here no workshop
    is asked for, so `workshops` is 0 in any plan."""
    data = pilot_shaped(3, students=40).to_dict()
    data["settings"]["objective"] = ["qpv_placed", "placed", "workshops", "coverage", "travel"]
    data["settings"]["workshops_per_student"] = 0
    instance = Instance.from_dict(data)
    searched: list[str] = []
    optimise = milp._Component.optimise

    def counted(self: Any, level: str, nodes: int, deadline: float) -> float:
        searched.append(level)
        return optimise(self, level, nodes, deadline)

    monkeypatch.setattr(milp._Component, "optimise", counted)
    result = solve(instance, seed=1, time_limit=TIME_LIMIT)
    assert result.status == "optimal"
    assert result.levels["workshops"].value == result.levels["workshops"].bound == 0
    assert searched == ["coverage", "travel"]  # the levels that need a search still get one
    checked = check(instance, result.plan).levels
    assert {k: checked[k] for k in result.levels} == {k: v.value for k, v in result.levels.items()}


@pytest.mark.parametrize("work", [0.005, 0.02, 10.0])
def test_until_unproven_stops_at_the_first_level_left_unproven(work: float) -> None:
    """What another method takes over from (stable components: CP-SAT): every level before
    the last is proven, and nothing below an unproven level was solved on top of it."""
    from test_milp_model import _components

    instance = pilot_shaped(3, students=40)
    objective = list(instance.settings.objective)
    for data in _components(instance):
        none_x = np.zeros(len(data.offer_student), dtype=bool)
        none_y = np.zeros(len(data.slot_student), dtype=bool)
        outcome = milp.solve_component(
            data, objective, {}, none_x, none_y, 1e12, 0, 1, work=work, until_unproven=True
        )
        solved = list(outcome.levels)
        assert solved == objective[: len(solved)]
        assert all(outcome.levels[level].proven for level in solved[:-1])
        if len(solved) < len(objective):
            assert not outcome.levels[solved[-1]].proven
        if work == 10.0:
            assert solved == objective  # enough work: every level proven, none left out


def _spied_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every HiGHS MILP run of the exact model from now on: (node cap, iterations)."""
    runs: list[tuple[int, int]] = []
    optimise = HighsModel.optimise

    def spied(self: HighsModel, *args: Any, **kwargs: Any) -> Any:
        before = self.iterations
        found = optimise(self, *args, **kwargs)
        runs.append((int(self.h.getOptionValue("mip_max_nodes")[1]), self.iterations - before))
        return found

    monkeypatch.setattr(HighsModel, "optimise", spied)
    return runs


@pytest.mark.parametrize("work", [0.05, 0.5, 10.0])
def test_the_work_used_is_the_weighted_iterations_of_every_run(
    monkeypatch: pytest.MonkeyPatch, work: float
) -> None:
    """``outcome.work`` counts the simplex iterations HiGHS took, weighted by the model's size,
    not its nodes: a root node of many iterations costs what it takes (before, one node a
    level, whatever its iterations: 0.1 CPU s on the pilot, 16 on a 23,297-pair component)."""
    from test_milp_model import _components

    instance = pilot_shaped(3, students=40)
    objective = list(instance.settings.objective)
    for data in _components(instance):
        runs = _spied_runs(monkeypatch)
        none_x = np.zeros(len(data.offer_student), dtype=bool)
        none_y = np.zeros(len(data.slot_student), dtype=bool)
        outcome = milp.solve_component(data, objective, {}, none_x, none_y, 1e12, 0, 1, work=work)
        weight = milp.iteration_weight(milp.build(data, objective).a.nnz)
        iterations = sum(taken for _, taken in runs)
        assert iterations > 0
        assert outcome.work == pytest.approx(iterations * weight / milp.ITERATIONS_PER_WORK)
        assert outcome.stopped_by is None
        per_node = milp.ITERATIONS_PER_NODE * weight
        for cap, _ in runs:  # no level may be given more nodes than the work allows
            assert cap * per_node <= 2 * work * milp.ITERATIONS_PER_WORK


def test_a_budget_spent_on_one_root_leaves_the_levels_below_unsearched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Work enough for one node: the first level's root takes iterations from it, so less
    than a node is left and the level below is not searched; it keeps the plan with a bound
    that needs no search, and two runs agree. In nodes (before), this work bought none."""
    from test_milp_model import _components

    instance = pilot_shaped(3, students=40)
    objective = ["workshops", "coverage"]  # the first of two levels may use all the work
    data = max(_components(instance), key=lambda d: len(d.offer_student))
    weight = milp.iteration_weight(milp.build(data, objective).a.nnz)
    work = 1.01 * milp.ITERATIONS_PER_NODE * weight / milp.ITERATIONS_PER_WORK
    hint_x = np.zeros(len(data.offer_student), dtype=bool)
    hint_y = np.zeros(len(data.slot_student), dtype=bool)
    outcomes = []
    for _ in range(2):
        runs = _spied_runs(monkeypatch)
        outcomes.append(
            milp.solve_component(data, objective, {}, hint_x, hint_y, 1e12, 0, 1, work=work)
        )
        assert [cap for cap, _ in runs] == [1]  # the first level's root, nothing after it
        left = work * milp.ITERATIONS_PER_WORK - runs[0][1] * weight
        assert left < milp.ITERATIONS_PER_NODE * weight
    first, again = outcomes
    assert first.stopped_by is None
    assert first.levels == again.levels
    assert np.array_equal(first.offer_chosen, again.offer_chosen)
    assert np.array_equal(first.slot_chosen, again.slot_chosen)
    assert first.levels["coverage"].bound == round(LEVELS["coverage"].trivial_bound(data))


def test_a_larger_model_gets_fewer_nodes_for_the_same_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The node cap of a level shrinks as the model's iterations cost more: the same work buys
    the same weighted iterations, so about the same CPU, on a small and a large component."""
    from test_milp_model import _components

    caps = {}
    for students in (20, 120):
        instance = pilot_shaped(3, students=students)
        objective = list(instance.settings.objective)
        data = max(_components(instance), key=lambda d: len(d.offer_student))
        runs = _spied_runs(monkeypatch)
        hint_x = np.zeros(len(data.offer_student), dtype=bool)
        hint_y = np.zeros(len(data.slot_student), dtype=bool)
        milp.solve_component(data, objective, {}, hint_x, hint_y, 1e12, 0, 1, work=1.0)
        weight = milp.iteration_weight(milp.build(data, objective).a.nnz)
        caps[students] = (runs[0][0], weight)
    (small, small_weight), (large, large_weight) = caps[20], caps[120]
    assert large_weight > small_weight
    assert large < small
    assert large * large_weight == pytest.approx(small * small_weight, rel=0.05)
