"""One :class:`SolveOptions` for every entry point, and the stages' shared context.

Keyword arguments and an options object must be interchangeable (the README's
``solve(instance, budget=…, seed=…)`` builds one), ``None`` must mean "the dataset's setting",
and a knob that does not exist must be an error, never silently ignored.
"""

from __future__ import annotations

import dataclasses

import pytest
from strategies import make_instance

from stagematch.model import CHANGES, Instance
from stagematch.solver import SolveOptions, Tuning, objective_levels, solve
from stagematch.solver.pipeline import flow_prefix, prepare


@pytest.fixture(scope="module")
def tiny() -> Instance:
    return make_instance(
        students=[{"student_id": f"S{i}", "wishes": "health"} for i in range(3)],
        offers=[{"offer_id": "O1", "capacity": 2}, {"offer_id": "O2"}],
        slots=[{"slot_id": "A"}],
        settings={"seed": 5, "budget": 2, "time_limit_s": 30, "workshops_per_student": 1},
    )


def test_unset_options_take_the_datasets_settings(tiny: Instance) -> None:
    resolved = SolveOptions().resolved(tiny.settings)
    assert (resolved.seed, resolved.budget, resolved.time_limit) == (5, 2.0, 30.0)
    assert resolved.stable is False
    given = SolveOptions(seed=1, budget=0.5, time_limit=9, stable=True).resolved(tiny.settings)
    assert (given.seed, given.budget, given.time_limit, given.stable) == (1, 0.5, 9.0, True)


def test_keywords_override_the_options_and_none_keeps_them() -> None:
    base = SolveOptions(seed=1, budget=3.0, workers=2)
    merged = SolveOptions.given(base, seed=7, budget=None, workers=None)
    assert (merged.seed, merged.budget, merged.workers) == (7, 3.0, 2)
    assert SolveOptions.given(None) == SolveOptions()


def test_an_unknown_knob_is_an_error() -> None:
    with pytest.raises(TypeError):
        Tuning(EXACT_PAIRS=0)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        SolveOptions.given(None, budgett=1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        SolveOptions().seed = 3  # type: ignore[misc]


def test_keywords_and_options_give_the_same_plan(tiny: Instance) -> None:
    by_keywords = solve(tiny, seed=2, budget=1.0, time_limit=30)
    by_options = solve(tiny, SolveOptions(seed=2, budget=1.0, time_limit=30))
    assert by_keywords.plan == by_options.plan
    assert by_keywords.options == by_options.options
    assert by_options.options["seed"] == 2 and by_options.options["budget"] == 1.0


def test_the_first_stage_reads_the_options(tiny: Instance) -> None:
    options = SolveOptions(seed=0, tuning=Tuning(shortlist=1)).resolved(tiny.settings)
    context = prepare(tiny, options)
    assert context.options is options
    assert context.objective == list(tiny.settings.objective)
    assert context.leading == ["qpv_placed", "placed"]
    # one cheapest offer and one nearest per student: both offers, each student listed
    assert sorted(set(context.cand.offers.student[context.short].tolist())) == [0, 1, 2]
    stable = prepare(tiny, dataclasses.replace(options, stable=True))
    assert stable.leading == [] and stable.stability is not None


def test_changes_join_the_objective_only_when_replanning() -> None:
    objective = ("qpv_placed", "placed", "workshops", "coverage", "preference", "travel")
    assert objective_levels(objective, replanning=False) == list(objective)
    replanning = objective_levels(objective, replanning=True)
    assert replanning.index(CHANGES) == 2
    assert flow_prefix(replanning) == ["qpv_placed", "placed"]
    assert flow_prefix(["workshops", "placed"]) == []
