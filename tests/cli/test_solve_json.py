"""``stagematch solve --json``, driven the way another tool drives it: a subprocess, JSON on stdin.

The output must be exactly one JSON document on standard output whatever happens, valid against
``docs/schema/result.schema.json``, with exit code 0 for a plan and 1 otherwise. The Node.js and
shell examples of the embedding guide (``examples/embedding/``) run here too, when ``node`` and
``jq`` are on the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from stagematch.check import check
from stagematch.io import loads_json
from stagematch.plan import Plan
from stagematch.schema import EXAMPLE_DATASET

ROOT = Path(__file__).parent.parent.parent
RESULT_SCHEMA = json.loads((ROOT / "docs" / "schema" / "result.schema.json").read_text("utf-8"))
EMBEDDING = ROOT / "examples" / "embedding"
BIN = Path(sys.executable).parent
STAGEMATCH = shutil.which("stagematch", path=str(BIN)) or shutil.which("stagematch")


def run(
    *args: str, stdin: str | bytes = b"", cwd: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    assert STAGEMATCH, "the stagematch console script is not installed"
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    return subprocess.run(
        [STAGEMATCH, *args], input=data, capture_output=True, timeout=120, cwd=cwd, check=False
    )


def document(completed: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    """The one JSON document on stdout, validated against the committed result schema."""
    text = completed.stdout.decode("utf-8")
    parsed: dict[str, Any] = json.loads(text)  # exactly one document, nothing else
    jsonschema.Draft202012Validator(
        RESULT_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(parsed)
    return parsed


@pytest.fixture(scope="module")
def solved() -> tuple[subprocess.CompletedProcess[bytes], dict[str, Any]]:
    completed = run("solve", "--json", "-", "--time-limit", "10", stdin=json.dumps(EXAMPLE_DATASET))
    return completed, document(completed)


def test_solve_json_from_stdin(
    solved: tuple[subprocess.CompletedProcess[bytes], dict[str, Any]],
) -> None:
    completed, out = solved
    assert completed.returncode == 0, completed.stderr.decode()
    assert out["status"] in ("optimal", "feasible")
    assert out["counts"]["students"] == len(EXAMPLE_DATASET["students"])
    instance = loads_json(json.dumps(EXAMPLE_DATASET))
    plan = Plan((a["student_id"], a["kind"], a["item_id"]) for a in out["assignments"])
    assert check(instance, plan).ok
    assert out["counts"]["placed"] == len(plan.placements)


def test_stdout_holds_only_the_document(
    solved: tuple[subprocess.CompletedProcess[bytes], dict[str, Any]],
) -> None:
    completed, _ = solved
    assert completed.stdout.count(b"\n") == 1
    assert b"status:" not in completed.stdout  # the terminal summary is not printed


def test_invalid_input_on_stdin_exits_1_with_every_problem() -> None:
    data = json.loads(json.dumps(EXAMPLE_DATASET))
    data["students"][1]["school_id"] = "0599999X"
    data["offers"][0]["capacity"] = 0
    completed = run("solve", "--json", "-", stdin=json.dumps(data))
    assert completed.returncode == 1
    out = document(completed)
    assert out["status"] == "infeasible_input"
    assert {(p["table"], p["row"], p["column"]) for p in out["problems"]} == {
        ("students", 3, "school_id"),
        ("offers", 2, "capacity"),
    }
    assert not completed.stderr.strip().startswith(b"Traceback")


@pytest.mark.parametrize("stdin", [b"", b"{not json", b"\xff\xfe\x00", b"[]"])
def test_garbage_on_stdin_is_invalid_input(stdin: bytes) -> None:
    completed = run("solve", "--json", "-", stdin=stdin)
    assert completed.returncode == 1
    assert document(completed)["status"] == "infeasible_input"


def test_options_that_cannot_be_honoured_are_an_error_document() -> None:
    completed = run("solve", "--json", "-", "--report", stdin=json.dumps(EXAMPLE_DATASET))
    assert completed.returncode == 1
    out = document(completed)
    assert out["status"] == "error"
    assert "--out" in out["message"]


def test_missing_input_file_is_invalid_input(tmp_path: Path) -> None:
    completed = run("solve", "--json", str(tmp_path / "nowhere.json"))
    assert completed.returncode == 1
    assert document(completed)["status"] == "infeasible_input"


def test_json_with_a_file_and_out_also_writes_the_plan(tmp_path: Path) -> None:
    source = tmp_path / "dataset.json"
    source.write_text(json.dumps(EXAMPLE_DATASET), encoding="utf-8")
    completed = run(
        "solve", str(source), "--json", "--out", str(tmp_path / "plan"), "--report", "--seed", "3"
    )
    assert completed.returncode == 0, completed.stderr.decode()
    out = document(completed)
    assert out["seed"] == 3
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text("utf-8"))
    assert summary["input_hash"] == out["input_hash"]
    assert (tmp_path / "plan" / "report.html").is_file()
    assert b"report written" in completed.stderr  # messages moved to stderr


def test_solve_without_out_or_json_is_a_usage_error(tmp_path: Path) -> None:
    completed = run("solve", str(tmp_path))
    assert completed.returncode == 2
    assert b"--out" in completed.stderr


def test_stdin_dataset_without_json_writes_the_plan(tmp_path: Path) -> None:
    completed = run(
        "solve", "-", "--out", str(tmp_path / "plan"), stdin=json.dumps(EXAMPLE_DATASET)
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert (tmp_path / "plan" / "assignments.csv").is_file()


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_example(tmp_path: Path) -> None:
    source = tmp_path / "dataset.json"
    source.write_text(json.dumps(EXAMPLE_DATASET), encoding="utf-8")
    completed = subprocess.run(
        ["node", str(EMBEDDING / "solve.mjs"), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), "STAGEMATCH": str(STAGEMATCH)},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    first, *rest = completed.stdout.splitlines()
    assert first.startswith(("optimal:", "feasible:"))
    assert "placed" in first
    assert any(" -> O00" in line for line in rest)

    bad = json.loads(json.dumps(EXAMPLE_DATASET))
    bad["students"][0]["school_id"] = "nowhere"
    source.write_text(json.dumps(bad), encoding="utf-8")
    failed = subprocess.run(
        ["node", str(EMBEDDING / "solve.mjs"), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), "STAGEMATCH": str(STAGEMATCH)},
        check=False,
    )
    assert failed.returncode == 1
    assert "students, row 2, column school_id: unknown school" in failed.stderr


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_shell_jq_example(tmp_path: Path) -> None:
    source = tmp_path / "dataset.json"
    source.write_text(json.dumps(EXAMPLE_DATASET), encoding="utf-8")
    completed = subprocess.run(
        ["sh", str(EMBEDDING / "placements.sh"), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0] == "student_id,offer_id,start,end,travel_min"
    assert len(lines) >= 2 and lines[1].startswith('"S00')
    assert "placed" in completed.stderr

    source.write_text('{"settings": {}}', encoding="utf-8")
    failed = subprocess.run(
        ["sh", str(EMBEDDING / "placements.sh"), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
        check=False,
    )
    assert failed.returncode == 1
    assert "the table is missing" in failed.stderr
