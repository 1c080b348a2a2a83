"""Output folders that cannot be mixed up (``--out``): whose folder, who writes, all at once.

Through the command line: a folder holding other files is refused unless ``--force`` (and then
those files are kept); a plan folder is replaced whole (no stale report beside a new plan); a
run that finds another writing the folder stops at once with a clear error; two solves started
together leave one whole plan; a failure while writing leaves the old plan as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import stagematch.report as report_module
from stagematch.check import check
from stagematch.cli import main
from stagematch.export import read_plan
from stagematch.generate import load_pilot
from stagematch.io import load, write_dataset
from stagematch.outfolder import PlanFolder, lock_path

VALID = Path(__file__).parent / "data" / "valid"


def solve_args(data: Path, out: Path, *extra: str) -> list[str]:
    return ["solve", str(data), "--out", str(out), "--time-limit", "5", *extra]


def test_a_folder_with_other_files_is_refused_unless_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_bytes(b"years of work")
    assert main(solve_args(VALID, out)) == 1
    err = capsys.readouterr().err
    assert "not a stagematch plan" in err and "chapter1.docx" in err and "--force" in err
    assert sorted(p.name for p in out.iterdir()) == ["chapter1.docx"]  # untouched

    assert main(solve_args(VALID, out, "--force")) == 0
    names = {p.name for p in out.iterdir()}
    assert {"chapter1.docx", "assignments.csv", "summary.json"} <= names
    assert (out / "chapter1.docx").read_bytes() == b"years of work"
    # A plan among other files is still written whole and read back.
    assert check(load(VALID), read_plan(out)[1]).ok


def test_a_plan_folder_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert main(solve_args(VALID, out, "--report")) == 0
    assert (out / "report.xlsx").is_file()
    assert main(solve_args(VALID, out)) == 0  # a plan folder: no --force needed
    # The earlier report would describe another plan: it does not survive beside this one.
    assert not (out / "report.xlsx").exists()
    assert {p.name for p in out.iterdir()} == {
        "assignments.csv",
        "unplaced.csv",
        "summary.json",
        "input.json",
    }
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan.") and p.is_dir()]


def test_a_folder_being_written_is_refused_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "plan"
    with PlanFolder(out):  # another run holds it
        assert main(solve_args(VALID, out)) == 1
    err = capsys.readouterr().err
    assert "another stagematch is writing to" in err and str(lock_path(out)) in err
    assert not out.exists()
    assert main(solve_args(VALID, out)) == 0  # free again


def test_a_failure_while_writing_leaves_the_old_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "plan"
    assert main(solve_args(VALID, out)) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken_writers(result: object) -> dict[str, object]:
        def fail(path: Path) -> None:
            path.write_text("half")
            raise OSError("disk full")

        return {"report.xlsx": fail}

    monkeypatch.setattr(report_module, "report_writers", broken_writers)
    assert main(solve_args(VALID, out, "--seed", "7", "--report")) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name != "plan"] == [".plan.lock"]


def _plan_is_whole(out: Path) -> str:
    """The input hash of the plan in ``out``, after checking every file belongs to it."""
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    instance, plan, _ = read_plan(out)
    assert check(instance, plan).ok
    from stagematch.result import input_hash

    assert input_hash(instance) == summary["input_hash"]
    return str(summary["input_hash"])


def test_two_solves_into_one_folder_leave_one_whole_plan(tmp_path: Path) -> None:
    """Two real processes, two different datasets, one folder: one whole plan, and the other
    run either finished before or failed with a clear error, never a mix."""
    pilot = tmp_path / "pilot"
    write_dataset(load_pilot(), pilot)
    other = tmp_path / "valid"
    shutil.copytree(VALID, other)
    out = tmp_path / "plan"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "stagematch", *solve_args(data, out, "--lang", "en")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for data in (pilot, other)
    ]
    outcomes = [(run.wait(timeout=300), run.stderr.read() if run.stderr else "") for run in runs]
    codes = sorted(code for code, _ in outcomes)
    assert codes in ([0, 0], [0, 1]), outcomes
    for code, err in outcomes:
        if code == 1:
            assert "another stagematch is writing to" in err, err
        assert "Traceback" not in err
    _plan_is_whole(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".plan.") and p.is_dir()]
