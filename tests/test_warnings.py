"""Right but awkward data is planned anyway, and said: problems of severity ``warning``.

Through the command line (``validate`` exits 0 and lists them, ``solve`` writes them to
``summary.json`` and the report), the JSON interface (both lists, each problem with its
severity) and Python (``Instance.warnings``, ``Result.warnings``, ``InvalidInputError`` carrying
errors only). Datasets are copies of ``tests/data/valid/`` with cells changed.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import openpyxl
import pytest

import stagematch
from stagematch.check import check
from stagematch.cli import main
from stagematch.errors import InvalidInputError, Problem
from stagematch.export import read_result
from stagematch.io import load

VALID = Path(__file__).parent / "data" / "valid"


def copy_valid(tmp_path: Path) -> Path:
    return Path(shutil.copytree(VALID, tmp_path / "dataset"))


def rows_of(folder: Path, table: str) -> list[list[str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(folder: Path, table: str, rows: list[list[str]]) -> None:
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def edit(folder: Path, table: str, row: int, column: str, value: str) -> None:
    rows = rows_of(folder, table)
    rows[row - 1][rows[0].index(column)] = value
    write_rows(folder, table, rows)


def awkward(tmp_path: Path) -> Path:
    """A wish for an offer that is gone, a sector nobody offers, a session on a Saturday."""
    folder = copy_valid(tmp_path)
    edit(folder, "students", 2, "wished_offers", "O2;GONE;O1")
    edit(folder, "students", 3, "wishes", "astronomy")
    edit(folder, "workshop_slots", 3, "date", "2026-06-20")
    return folder


EXPECTED = {
    ("students", 2, "wished_offers", "GONE"),
    ("students", 3, "wishes", "astronomy"),
    ("workshop_slots", 3, "date", "2026-06-20"),
    ("students", 1, "note", None),
}


def places(problems: list[Problem] | list[dict[str, object]]) -> set[tuple[object, ...]]:
    out = set()
    for p in problems:
        d = p.as_dict() if isinstance(p, Problem) else p
        out.add((d["table"], d["row"], d["column"], d["value"]))
    return out


def test_validate_exits_0_and_lists_the_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = awkward(tmp_path)
    assert main(["validate", str(folder)]) == 0
    captured = capsys.readouterr()
    assert "valid:" in captured.out
    for needle in ("'GONE'", "'astronomy'", "'2026-06-20'", "warning: students, row 2"):
        assert needle in captured.err, needle


def test_validate_lists_errors_and_warnings_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = awkward(tmp_path)
    edit(folder, "offers", 2, "capacity", "deux")
    assert main(["validate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "1 problem(s) found" in err
    assert "warning(s)" in err and "'GONE'" in err


def test_solve_records_warnings_in_summary_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = awkward(tmp_path)
    out = tmp_path / "plan"
    assert main(["solve", str(folder), "--out", str(out), "--time-limit", "5", "--report"]) == 0
    assert "'GONE'" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert places(summary["warnings"]) >= EXPECTED
    assert {w["severity"] for w in summary["warnings"]} == {"warning"}
    # The session on a Saturday can never be assigned: it is left out of the plan.
    saturday_slot = rows_of(folder, "workshop_slots")[2][0]
    assignments = rows_of(out, "assignments")
    assert all(row[2] != saturday_slot for row in assignments[1:])
    # ``stagematch report`` on the folder alone shows them too.
    result = read_result(out)
    assert places(list(result.warnings)) == places(summary["warnings"])
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    sheet = [list(r) for r in book["Data warnings"].iter_rows(values_only=True)]
    assert ("astronomy" in {str(v) for row in sheet for v in row}) and len(sheet) > 3
    html = (out / "report.html").read_text("utf-8")
    assert 'id="warnings"' in html and "astronomy" in html


def test_a_wish_for_a_gone_offer_keeps_the_other_ranks(tmp_path: Path) -> None:
    instance = load(awkward(tmp_path))
    result = stagematch.solve(instance, time_limit=5)
    assert check(instance, result.plan).ok
    from stagematch.check import wish_rank

    student = instance.students[0]
    o1 = next(o for o in instance.offers if o.offer_id == "O1")
    assert wish_rank(instance, student, o1) == 3  # O2, GONE, O1: GONE keeps its place


def test_offers_table_with_no_rows_plans_workshops_and_places_nobody(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    write_rows(folder, "offers", rows_of(folder, "offers")[:1])
    (folder / "travel_times.csv").unlink()
    out = tmp_path / "plan"
    assert main(["solve", str(folder), "--out", str(out), "--time-limit", "5"]) == 0
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert ("offers", None, None, None) in places(summary["warnings"])
    assert summary["counts"]["placed"] == 0
    assert summary["counts"]["workshop_sessions"] > 0
    unplaced = rows_of(out, "unplaced")
    assert len(unplaced) - 1 == summary["counts"]["students"]
    assert {row[2] for row in unplaced[1:]} == {"no_reachable_offer"}


def test_students_and_items_nobody_can_reach_are_warned(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "travel_times.csv").unlink()
    # S003 moves to Marseille: no offer, no session within reach.
    edit(folder, "students", 4, "home_commune", "")
    edit(folder, "students", 4, "home_lat", "43.3")
    edit(folder, "students", 4, "home_lon", "5.4")
    # O3 moves to Strasbourg, where no student lives.
    edit(folder, "offers", 4, "lat", "48.58")
    edit(folder, "offers", 4, "lon", "7.75")
    instance = load(folder)
    result = stagematch.solve(instance, time_limit=5)
    student = instance.students[2].student_id
    offer = instance.offers[2].offer_id
    found = places(list(result.warnings))
    assert ("students", 4, "student_id", student) in found
    assert ("offers", 4, "offer_id", offer) in found


def test_invalid_input_error_carries_errors_only(tmp_path: Path) -> None:
    folder = awkward(tmp_path)
    edit(folder, "offers", 2, "capacity", "deux")
    with pytest.raises(InvalidInputError) as caught:
        load(folder)
    assert [p.severity for p in caught.value.problems] == ["error"]
    # A wished sector is not warned about while an offer row is refused: it may be that row's.
    assert {
        ("students", 2, "wished_offers", "GONE"),
        ("workshop_slots", 3, "date", "2026-06-20"),
    } <= places(caught.value.warnings)
    assert all(w.severity == "warning" for w in caught.value.warnings)


def test_json_interface_returns_both(tmp_path: Path) -> None:
    folder = awkward(tmp_path)
    document = load(folder).to_dict()
    solved = stagematch.solve_json(document, time_limit=5)
    assert solved["status"] in ("optimal", "feasible")
    assert {w["severity"] for w in solved["warnings"]} == {"warning"}
    assert ("students", 2, "wished_offers", "GONE") in places(solved["warnings"])
    document["offers"][0]["capacity"] = 0
    refused = stagematch.solve_json(document)
    assert refused["status"] == "infeasible_input"
    assert [p["severity"] for p in refused["problems"]] == ["error"]
    assert ("students", 2, "wished_offers", "GONE") in places(refused["warnings"])
