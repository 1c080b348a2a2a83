"""The same input, seed and options give the same plan: the search is budgeted in work, not time.

Two solves must agree assignment for assignment, through an exact model and through
neighbourhood search, and a more generous wall-clock cap must not change the plan (the cap only
matters when it cuts the search short, which ``stopped_by`` then says). A plan folder records
every option that shaped it, and ``stagematch reproduce`` re-solves it from the folder alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from stagematch.cli import main
from stagematch.generate import generate, load_pilot
from stagematch.io import write_dataset
from stagematch.model import Instance
from stagematch.result import Result
from stagematch.solver import SolveOptions, Tuning, solve


@pytest.fixture(scope="module")
def bassin() -> Instance:
    return generate("bassin", students=200, seed=2)


def _search(instance: Instance, **options: Any) -> Result:
    """Solve with every component improved by neighbourhood search."""
    return solve(instance, SolveOptions(tuning=Tuning(exact_pairs=0)), **options)


def test_neighbourhood_search_gives_the_same_plan_twice(bassin: Instance) -> None:
    first = _search(bassin, seed=4, budget=1.5, time_limit=600)
    second = _search(bassin, seed=4, budget=1.5, time_limit=600)
    assert first.stopped_by is None and second.stopped_by is None
    assert first.plan == second.plan
    assert first.levels == second.levels


def test_a_more_generous_time_limit_does_not_change_the_plan(bassin: Instance) -> None:
    tight = _search(bassin, seed=0, budget=1, time_limit=300)
    generous = _search(bassin, seed=0, budget=1, time_limit=3_000)
    assert tight.stopped_by is None and generous.stopped_by is None
    assert tight.plan == generous.plan


def test_the_work_budget_does_change_the_search(bassin: Instance) -> None:
    """The budget is what the plan depends on: more work is never worse on the first level the
    two plans differ on (each step only improves), and the options record it."""
    small = _search(bassin, seed=0, budget=0.2, time_limit=600)
    large = _search(bassin, seed=0, budget=2, time_limit=600)
    assert small.options["budget"] == 0.2 and large.options["budget"] == 2
    for name, level in small.levels.items():
        if level.value != large.levels[name].value:
            assert level.maximise == (large.levels[name].value > level.value), name
            break


def test_exact_components_give_the_same_plan_whatever_the_cap() -> None:
    pilot = load_pilot()
    first = solve(pilot, seed=1, time_limit=100)
    second = solve(pilot, seed=1, time_limit=1_000)
    assert first.stopped_by is None and second.stopped_by is None
    assert first.plan == second.plan


def test_a_time_limit_that_cuts_the_search_says_so(bassin: Instance) -> None:
    result = _search(bassin, seed=0, budget=10_000, time_limit=2)
    assert result.stopped_by == "time_limit"
    assert result.summary()["stopped_by"] == "time_limit"


# --------------------------------------------------------------------------------------------
# Plan folders record their options; ``stagematch reproduce`` re-solves them


def _solve_folder(tmp_path: Path, *options: str) -> Path:
    data = tmp_path / "data"
    write_dataset(load_pilot(), data)
    out = tmp_path / "plan"
    assert main(["solve", str(data), "--out", str(out), *options]) == 0
    return out


def test_every_option_is_recorded_and_reproduce_gets_the_same_plan(
    tmp_path: Path, capsys: Any
) -> None:
    out = _solve_folder(tmp_path, "--stable", "--time-limit", "500", "--seed", "3", "--budget", "1")
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["stopped_by"] is None
    options = summary["options"]
    assert options["method"] == "solve"
    assert options["stable"] is True
    assert options["time_limit"] == 500
    assert options["budget"] == 1
    assert options["seed"] == 3
    assert options["workers"] == 1
    assert options["objective"][:2] == ["qpv_placed", "placed"]
    capsys.readouterr()
    assert main(["reproduce", str(out)]) == 0
    assert "identical" in capsys.readouterr().out


def test_reproduce_fails_on_a_plan_that_differs(tmp_path: Path, capsys: Any) -> None:
    out = _solve_folder(tmp_path, "--budget", "1")
    assignments = pd.read_csv(out / "assignments.csv", dtype=str, keep_default_na=False)
    placements = assignments[assignments["kind"] == "placement"]
    first = placements.index[0]
    second = placements.index[placements["item_id"] != placements.loc[first, "item_id"]][-1]
    student = assignments.loc[first, "student_id"]
    # Swap two students' placements: still a plan, not the one the options give.
    items = assignments.loc[[first, second], "item_id"].tolist()
    assignments.loc[[first, second], "item_id"] = items[::-1]
    assignments.to_csv(out / "assignments.csv", index=False)
    capsys.readouterr()
    assert main(["reproduce", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "different" in printed
    assert student in printed


def test_reproduce_refuses_a_folder_without_options(tmp_path: Path, capsys: Any) -> None:
    out = _solve_folder(tmp_path, "--budget", "1")
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    del summary["options"]
    (out / "summary.json").write_text(json.dumps(summary), "utf-8")
    capsys.readouterr()
    assert main(["reproduce", str(out)]) == 1
    assert "cannot be re-solved" in capsys.readouterr().out
