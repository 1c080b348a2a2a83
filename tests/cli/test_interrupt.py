"""Ctrl-C or SIGTERM during ``stagematch solve``: the first keeps the best plan, the second aborts.

Each test runs the real command in a subprocess on a dataset whose search would run far longer
than the test waits, and sends real signals once the search has started (the terminal progress
says so on standard error). How fast the search stops is measured, not asserted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stagematch.check import check
from stagematch.cli.interrupt import Interrupt
from stagematch.export import read_plan
from stagematch.generate import generate
from stagematch.io.writers import write_dataset
from stagematch.result import Result

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

LONG = ["--budget", "10000", "--time-limit", "600", "--seed", "0"]
"""Far more work than any test waits for: only a signal ends these solves early."""


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bassin") / "data"
    write_dataset(generate("bassin", students=800, seed=1), folder)
    return folder


def _start_and_wait_for_search(dataset: Path, out: Path) -> subprocess.Popen[str]:
    """The solve, once its greedy warm start is done (the search is running from then on)."""
    solve = subprocess.Popen(
        [sys.executable, "-m", "stagematch", "solve", str(dataset), "--out", str(out), *LONG],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LANG": "C.UTF-8", "LANGUAGE": "en"},
    )
    assert solve.stderr is not None
    for line in solve.stderr:
        if "greedy done" in line:
            return solve
    solve.wait()
    raise AssertionError(f"the solve ended before its search (exit {solve.returncode})")


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_one_signal_writes_the_best_plan_so_far_whole(
    dataset: Path, tmp_path: Path, number: signal.Signals
) -> None:
    out = tmp_path / "plan"
    solve = _start_and_wait_for_search(dataset, out)
    solve.send_signal(number)
    solve.communicate(timeout=300)
    assert solve.returncode == 0
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["stopped_by"] == "interrupt"
    assert summary["status"] == "feasible"
    instance, plan, _ = read_plan(out)
    report = check(instance, plan)
    assert report.ok, report.violations[:5]
    for name, level in summary["levels"].items():
        assert level["value"] == pytest.approx(report.levels[name]), name


def test_a_second_signal_aborts_and_writes_nothing_half(dataset: Path, tmp_path: Path) -> None:
    """The second signal is sent as soon as the first was acknowledged (two signals sent at
    once may reach Python as one). If the stopped plan was written before it arrived, that plan
    is whole; otherwise the command aborts with 130 and the folder holds nothing."""
    out = tmp_path / "plan"
    solve = _start_and_wait_for_search(dataset, out)
    solve.send_signal(signal.SIGINT)
    assert solve.stderr is not None
    for line in solve.stderr:
        if line.startswith("stopping:"):
            break
    solve.send_signal(signal.SIGINT)
    solve.communicate(timeout=300)
    written = sorted(path.name for path in out.glob("*")) if out.exists() else []
    if solve.returncode == 130:
        assert written == []
    else:
        assert solve.returncode == 0
        assert {"assignments.csv", "unplaced.csv", "summary.json"} <= set(written)


def test_the_handler_stops_first_and_aborts_second() -> None:
    interrupt = Interrupt()
    interrupt._handle(signal.SIGINT, None)
    assert interrupt.stop.is_set()
    with pytest.raises(KeyboardInterrupt):
        interrupt._handle(signal.SIGINT, None)


def test_an_error_in_the_solve_reaches_the_caller() -> None:
    def failing() -> Result:
        raise ValueError("boom")

    with Interrupt() as interrupt, pytest.raises(ValueError, match="boom"):
        interrupt.run(failing)
