"""Smoke test of the peers benchmark (``benchmarks/peers.py``, ``benchmarks/peers_models.py``).

The benchmark runs for minutes, so its results could rot unnoticed: a peer that returned an
invalid plan would make the published comparison meaningless. Here every peer builds and
solves a 60-student instance in seconds, and its plan must pass the independent checker.
``matching`` and ``pulp`` are in the ``bench`` extra, not in ``test`` (``highspy`` is a core dependency): their
peers are skipped when missing. The CP-SAT peer (OR-Tools is a core dependency) always runs.

``benchmarks/`` is not a package, so its modules are imported by path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from stagematch.candidates import Candidates, candidates
from stagematch.check import check
from stagematch.generate import generate
from stagematch.model import Instance

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # peers.py imports common and peers_models
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def models() -> ModuleType:
    return _load("peers_models")


@pytest.fixture(scope="module")
def tiny() -> tuple[Instance, Candidates]:
    instance = generate("bassin", students=60, seed=0)
    return instance, candidates(instance)


def _solve(models: ModuleType, tiny: tuple[Instance, Candidates], backend: str, limit: float):
    instance, cand = tiny
    model = models.build_model(instance, cand)
    outcome = models.lexicographic(model, models.BACKENDS[backend], limit)
    assert outcome.values is not None
    plan = models.plan_from_values(instance, cand, outcome.values)
    report = check(instance, plan)
    assert report.ok, report.violations[:5]
    # The checker counts from the plan; the model's indicators can only undercount.
    for name, record in outcome.levels.items():
        if name in ("qpv_placed", "placed", "workshops") and record.value is not None:
            assert report.levels[name] >= record.value
    return outcome, report


def test_cpsat_peer_gives_a_valid_plan(models: ModuleType, tiny: Any) -> None:
    outcome, report = _solve(models, tiny, "cpsat", 3.0)
    assert set(outcome.levels) <= set(tiny[0].settings.objective)
    assert report.levels["placed"] > 0


@pytest.mark.parametrize(("backend", "library"), [("highs", "highspy"), ("cbc", "pulp")])
def test_milp_peers_prove_the_tiny_instance(
    models: ModuleType, tiny: Any, backend: str, library: str
) -> None:
    pytest.importorskip(library)
    outcome, report = _solve(models, tiny, backend, 20.0)
    assert outcome.stopped == "proven"
    # Both levels are proven optimal by the MILP and by stagematch's flow: they must agree.
    from stagematch.solver import solve

    ours = check(tiny[0], solve(tiny[0], time_limit=10).plan)
    assert report.levels["qpv_placed"] == ours.levels["qpv_placed"]
    assert report.levels["placed"] == ours.levels["placed"]


def test_deferred_acceptance_gives_one_placement_each(models: ModuleType, tiny: Any) -> None:
    pytest.importorskip("matching")
    instance, cand = tiny
    plan = models.deferred_acceptance(instance, cand)
    report = check(instance, plan)
    assert report.ok, report.violations[:5]
    assert all(len(offers) == 1 for offers in plan.placements.values())
    assert not plan.workshops
    assert report.levels["placed"] > 0


def test_child_run_and_report(tmp_path: Path) -> None:
    """One child run in-process, then the docs section and the plot from it."""
    peers = _load("peers")
    result = peers.run_child("cpsat", 60, 0, 2.0, 1.0, tmp_path / "progress.json")
    assert result["valid"] is True
    assert result["outcome"] in ("done", "limit")
    killed = {
        **result,
        "peer": "cbc",
        "outcome": "killed",
        "levels": None,
        "valid": None,
        "details": {"phase": "build"},
    }
    text = peers.section([result, killed])
    assert text.startswith(peers.SECTION)
    assert "img/peers.png" in text
    assert "timed out, killed (building the model)" in text
    image = tmp_path / "peers.png"
    peers.plot([result, killed], image)
    assert image.stat().st_size > 0
