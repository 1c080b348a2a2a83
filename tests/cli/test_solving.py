"""The command line contract: ``solve``, ``validate``, ``demo`` and ``generate``.

Commands run in-process through :func:`stagematch.cli.main` (fast, with ``capsys``), and once
through the installed ``stagematch`` console script in a subprocess, which is what scripts and
other tools call. Broken datasets are copies of ``tests/data/valid/`` with cells changed.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import stagematch
from stagematch.check import check, travel_minutes, wish_rank
from stagematch.cli import main
from stagematch.io import load
from stagematch.model import Instance
from stagematch.plan import Plan

VALID = Path(__file__).parent.parent / "data" / "valid"
ASSIGNMENT_COLUMNS = [
    "student_id",
    "kind",
    "item_id",
    "start",
    "end",
    "part",
    "travel_min",
    "wish_rank",
]
UNPLACED_COLUMNS = ["student_id", "qpv", "reason", "detail"]
LEVEL_NAMES = ["qpv_placed", "placed", "workshops", "coverage", "preference", "travel"]


def copy_valid(tmp_path: Path) -> Path:
    return Path(shutil.copytree(VALID, tmp_path / "dataset"))


def edit(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell, addressed as a spreadsheet shows it (row 2 = first data row)."""
    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def break_dataset(tmp_path: Path) -> Path:
    """Two problems in two tables: a non-numeric capacity and an unknown school."""
    folder = copy_valid(tmp_path)
    edit(folder, "offers", 2, "capacity", "abc")
    edit(folder, "students", 4, "school_id", "0000000X")
    return folder


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------------------------
# solve


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, str]:
    """``stagematch solve tests/data/valid --out DIR --time-limit 5 --seed 7``, run once."""
    out = tmp_path_factory.mktemp("plan") / "out"
    before = digest(VALID)
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["solve", str(VALID), "--out", str(out), "--time-limit", "5", "--seed", "7"])
    assert digest(VALID) == before, "the input files were modified"
    return out, code, stdout.getvalue(), stderr.getvalue()


def test_solve_exits_0_and_writes_the_three_files(solved: tuple[Path, int, str, str]) -> None:
    out, code, stdout, _ = solved
    assert code == 0
    for name in ("assignments.csv", "unplaced.csv", "summary.json"):
        assert (out / name).is_file(), name
    assert "status:" in stdout


def test_assignments_csv(solved: tuple[Path, int, str, str]) -> None:
    out, *_ = solved
    instance = load(VALID)
    frame = read_csv(out / "assignments.csv")
    assert list(frame.columns) == ASSIGNMENT_COLUMNS
    assert set(frame["kind"]) <= {"placement", "workshop"}
    assert (frame["kind"] == "placement").any()
    plan = Plan.from_frame(frame)
    report = check(instance, plan)
    assert report.ok, report.violations
    students = {s.student_id: s for s in instance.students}
    offers = {o.offer_id: o for o in instance.offers}
    slots = {w.slot_id: w for w in instance.workshop_slots}
    settings = instance.settings
    for row in frame.itertuples(index=False):
        student = students[row.student_id]
        if row.kind == "placement":
            offer = offers[row.item_id]
            assert row.start == str(offer.start or settings.period_start)
            assert row.end == str(offer.end or settings.period_end)
            assert row.part == ""
            rank = wish_rank(instance, student, offer)
            assert row.wish_rank == ("" if rank is None else str(rank))
            item = offer
        else:
            slot = slots[row.item_id]
            assert (row.start, row.end, row.part) == (str(slot.date), str(slot.date), slot.part)
            assert row.wish_rank == ""
            item = slot
        assert float(row.travel_min) == pytest.approx(travel_minutes(instance, student, item))


def test_unplaced_csv(solved: tuple[Path, int, str, str]) -> None:
    out, *_ = solved
    instance = load(VALID)
    placed = set(read_csv(out / "assignments.csv").query("kind == 'placement'")["student_id"])
    frame = read_csv(out / "unplaced.csv")
    assert list(frame.columns) == UNPLACED_COLUMNS
    assert sorted(frame["student_id"]) == sorted(
        s.student_id for s in instance.students if s.student_id not in placed
    )
    assert set(frame["reason"]) <= {"no_reachable_offer", "no_eligible_offer", "capacity"}
    qpv = {s.student_id: s.qpv for s in instance.students}
    for row in frame.itertuples(index=False):
        assert row.qpv.lower() == str(qpv[row.student_id]).lower()
        assert row.detail


def test_summary_json(solved: tuple[Path, int, str, str]) -> None:
    out, *_ = solved
    instance = load(VALID)
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    for key in ("status", "levels", "counts", "kpis", "seconds", "seed", "version", "input_hash"):
        assert key in summary, key
    assert summary["status"] in ("optimal", "feasible")
    assert list(summary["levels"]) == list(instance.settings.objective) == LEVEL_NAMES
    plan = Plan.from_frame(read_csv(out / "assignments.csv"))
    levels = check(instance, plan).levels
    for name, level in summary["levels"].items():
        assert set(level) == {"value", "bound"}
        assert level["value"] == pytest.approx(levels[name]), name
        if summary["status"] == "optimal":
            assert level["value"] == pytest.approx(level["bound"]), name
    assert summary["seed"] == 7
    assert summary["version"] == stagematch.__version__
    assert isinstance(summary["input_hash"], str) and len(summary["input_hash"]) >= 16
    counts = summary["counts"]
    assert counts["students"] == len(instance.students)
    assert counts["placed"] == levels["placed"]
    assert counts["qpv_placed"] == levels["qpv_placed"]
    assert counts["unplaced"] == len(read_csv(out / "unplaced.csv"))
    assert isinstance(summary["kpis"], dict) and summary["kpis"]
    assert summary["seconds"]["total"] >= 0


def test_solve_is_reproducible_and_the_hash_follows_the_input(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["solve", str(VALID), "--out", str(first), "--time-limit", "5"]) == 0
    assert main(["solve", str(VALID), "--out", str(second), "--time-limit", "5"]) == 0
    for name in ("assignments.csv", "unplaced.csv"):
        assert (first / name).read_text("utf-8") == (second / name).read_text("utf-8")
    a = json.loads((first / "summary.json").read_text("utf-8"))
    b = json.loads((second / "summary.json").read_text("utf-8"))
    assert a["input_hash"] == b["input_hash"]
    assert a["seed"] == b["seed"] == 0  # the settings' default seed
    changed = copy_valid(tmp_path)
    edit(changed, "offers", 2, "capacity", "3")
    third = tmp_path / "c"
    assert main(["solve", str(changed), "--out", str(third), "--time-limit", "5"]) == 0
    c = json.loads((third / "summary.json").read_text("utf-8"))
    assert c["input_hash"] != a["input_hash"]


def test_solve_invalid_input_exits_1_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = break_dataset(tmp_path)
    before = digest(folder)
    out = tmp_path / "out"
    assert main(["solve", str(folder), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "2 problem" in err
    assert "capacity" in err and "row 2" in err
    assert "school_id" in err and "row 4" in err and "0000000X" in err
    assert not (out / "summary.json").exists()
    assert digest(folder) == before


def test_solve_missing_input_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["solve", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "out")])
    assert code == 1
    assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# validate


def test_validate_valid_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(VALID)]) == 0
    assert "valid" in capsys.readouterr().out


def test_validate_broken_dataset_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = break_dataset(tmp_path)
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = err.split("warning(s)")[0]  # the unknown column 'note' is only a warning
    lines = [line for line in errors.splitlines() if line.strip().startswith("-")]
    assert len(lines) == 2, err
    assert any("offers" in line and "capacity" in line and "row 2" in line for line in lines)
    assert any("students" in line and "school_id" in line and "row 4" in line for line in lines)


# --------------------------------------------------------------------------------------------
# demo and generate


def test_demo_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--time-limit", "10"]) == 0
    stdout = capsys.readouterr().out
    assert "status:" in stdout
    assert "students placed:" in stdout
    for level in LEVEL_NAMES:
        assert level in stdout, level
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["counts"]["students"] == 105


def test_generate_pilot_writes_a_valid_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pilot"
    assert main(["generate", "pilot", str(out)]) == 0
    for table in ("settings.toml", "schools.csv", "students.csv", "offers.csv"):
        assert (out / table).is_file(), table
    assert (out / "workshop_slots.csv").is_file()
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    instance: Instance = load(out)
    assert len(instance.students) > 0


def test_generate_unknown_family_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "atlantis", str(tmp_path / "x")]) == 1
    assert "Traceback" not in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# The installed command, in a subprocess


def console_script() -> Path:
    bin_dir = Path(sys.executable).parent
    for name in ("stagematch", "stagematch.exe"):
        if (bin_dir / name).exists():
            return bin_dir / name
    pytest.fail(f"the stagematch console script is not installed in {bin_dir}")


def test_console_script_solve_and_invalid_input(tmp_path: Path) -> None:
    script = str(console_script())
    out = tmp_path / "out"
    done = subprocess.run(
        [script, "solve", str(VALID), "--out", str(out), "--time-limit", "5", "--seed", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert list(read_csv(out / "assignments.csv").columns) == ASSIGNMENT_COLUMNS
    assert list(read_csv(out / "unplaced.csv").columns) == UNPLACED_COLUMNS
    assert json.loads((out / "summary.json").read_text("utf-8"))["seed"] == 2

    broken = break_dataset(tmp_path)
    done = subprocess.run(
        [script, "solve", str(broken), "--out", str(tmp_path / "out2")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "0000000X" in done.stderr and "capacity" in done.stderr


@pytest.mark.parametrize("value", ["lots", "4TB", "0"])
def test_a_bad_memory_limit_is_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["solve", str(VALID), "--out", str(tmp_path / "plan"), "--memory-limit", value])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--memory-limit" in err and "4GB or 3500MB" in err and repr(value) in err
    assert "Traceback" not in err
    assert not (tmp_path / "plan").exists()


def test_a_memory_limit_below_the_estimate_solves_by_parts_and_reproduces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The limit, and that it sent the solve by parts, are in summary.json; the progress says
    so; ``reproduce`` takes the same road and gets the same plan."""
    out = tmp_path / "plan"
    code = main(["solve", str(VALID), "--out", str(out), "--memory-limit", "1MB", "--budget", "1"])
    assert code == 0
    assert "geographic parts" in capsys.readouterr().err
    options = json.loads((out / "summary.json").read_text("utf-8"))["options"]
    assert options["memory_limit"] == 1
    assert options["parts_reason"] == "memory_limit"
    assert options["parts"] > 1
    assert options["estimated_memory"] > 1
    instance = load(VALID)
    assert check(instance, Plan.from_frame(read_csv(out / "assignments.csv"))).ok
    assert main(["reproduce", str(out)]) == 0
    assert "identical" in capsys.readouterr().out
