"""Loading datasets: every problem class is reported at its exact (table, row, column).

Broken datasets are the valid base in ``tests/data/valid/`` copied to ``tmp_path`` with one cell
(or one file) changed, so each test shows exactly what breaks. Rows are numbered as a
spreadsheet shows them: header = row 1, first data row = 2.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stagematch.errors import InvalidInputError, Problem
from stagematch.io import from_dataframes, load, loads_json, write_dataset
from stagematch.model import Instance

DATA = Path(__file__).parent.parent / "data"
VALID = DATA / "valid"

Where = tuple[str, int | None, str | None]


# --------------------------------------------------------------------------------------------
# Helpers


def copy_valid(tmp_path: Path) -> Path:
    """A fresh, writable copy of the valid base dataset."""
    return Path(shutil.copytree(VALID, tmp_path / "dataset"))


def read_table(folder: Path, table: str) -> list[list[str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_table(folder: Path, table: str, rows: Iterable[list[str]]) -> None:
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def edit(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell, addressed as in a spreadsheet (row 2 = first data row)."""
    rows = read_table(folder, table)
    rows[row - 1][rows[0].index(column)] = value
    write_table(folder, table, rows)


def drop_columns(folder: Path, table: str, *columns: str) -> None:
    rows = read_table(folder, table)
    keep = [i for i, name in enumerate(rows[0]) if name not in columns]
    write_table(folder, table, ([r[i] for i in keep] for r in rows))


def edit_settings(folder: Path, old: str, new: str) -> None:
    path = folder / "settings.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def problems_of(source: Path) -> list[Problem]:
    with pytest.raises(InvalidInputError) as caught:
        load(source)
    return caught.value.problems


def where(problems: Iterable[Problem]) -> set[Where]:
    return {(p.table, p.row, p.column) for p in problems}


# --------------------------------------------------------------------------------------------
# The base dataset


def test_valid_base_loads() -> None:
    instance = load(VALID)
    assert [s.student_id for s in instance.students] == ["S001", "S002", "S003", "S004"]
    assert instance.schools[0].school_id == "0590001A"  # ids stay text
    assert instance.students[1].home_commune == "59606"
    assert instance.students[0].qpv is True
    assert instance.students[0].wished_offers == ("O2", "O1")
    assert instance.students[3].max_travel_min == 62.5
    assert instance.students[0].model_extra == {"note": "first"}  # unknown columns kept
    assert instance.settings.holidays == (datetime(2026, 6, 24).date(),)
    assert len(instance.travel_times) == 3


def test_travel_times_is_optional(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "travel_times.csv").unlink()
    assert load(folder).travel_times == ()


# --------------------------------------------------------------------------------------------
# One bad cell: every problem class at its exact place

# (table, spreadsheet row, column, new value) edits → the one place expected
CELL_CASES: dict[str, tuple[list[tuple[str, int, str, str]], Where]] = {
    "duplicate id": ([("students", 3, "student_id", "S001")], ("students", 3, "student_id")),
    "duplicate slot id": (
        [("workshop_slots", 3, "slot_id", "W1-AM")],
        ("workshop_slots", 3, "slot_id"),
    ),
    "unknown school": ([("students", 2, "school_id", "0599999Z")], ("students", 2, "school_id")),
    "unknown reserved school": (
        [("offers", 3, "reserved_schools", "0590001A;0599999Z")],
        ("offers", 3, "reserved_schools"),
    ),
    "bad number": ([("offers", 2, "capacity", "deux")], ("offers", 2, "capacity")),
    "bad minutes": (
        [("students", 3, "max_travel_min", "trente")],
        ("students", 3, "max_travel_min"),
    ),
    "negative minutes": ([("travel_times", 3, "minutes", "-4")], ("travel_times", 3, "minutes")),
    "fractional capacity": ([("offers", 2, "capacity", "2,5")], ("offers", 2, "capacity")),
    "bad boolean": ([("students", 2, "qpv", "peut-être")], ("students", 2, "qpv")),
    "bad offer date": ([("offers", 2, "start", "2026-06-31")], ("offers", 2, "start")),
    "bad slot date": ([("workshop_slots", 2, "date", "16/06/2026")], ("workshop_slots", 2, "date")),
    "bad date in a list": (
        [("students", 5, "unavailable", "2026-06-18;demain")],
        ("students", 5, "unavailable"),
    ),
    "offer dates reversed": (
        [("offers", 2, "start", "2026-06-19"), ("offers", 2, "end", "2026-06-15")],
        ("offers", 2, "end"),
    ),
    "capacity 0": ([("offers", 3, "capacity", "0")], ("offers", 3, "capacity")),
    "slot capacity 0": (
        [("workshop_slots", 2, "capacity", "0")],
        ("workshop_slots", 2, "capacity"),
    ),
    "reserved above capacity": (
        [("offers", 2, "qpv_reserved", "3")],
        ("offers", 2, "qpv_reserved"),
    ),
    "slot reserved above capacity": (
        [("workshop_slots", 2, "qpv_reserved", "11")],
        ("workshop_slots", 2, "qpv_reserved"),
    ),
    "latitude out of range": ([("schools", 2, "lat", "95")], ("schools", 2, "lat")),
    "longitude out of range": ([("offers", 2, "lon", "-181")], ("offers", 2, "lon")),
    "latitude without longitude": ([("schools", 2, "lon", "")], ("schools", 2, "lon")),
    "no location": ([("offers", 3, "commune", "")], ("offers", 3, "commune")),
    "unknown commune": ([("schools", 3, "commune", "99999")], ("schools", 3, "commune")),
    "malformed commune": (
        [("students", 3, "home_commune", "Valenciennes")],
        ("students", 3, "home_commune"),
    ),
    "bad mode": ([("students", 2, "mode", "train")], ("students", 2, "mode")),
    "bad part": ([("workshop_slots", 2, "part", "soir")], ("workshop_slots", 2, "part")),
    "missing required value": ([("offers", 3, "sector", "")], ("offers", 3, "sector")),
    "unknown travel origin": (
        [("travel_times", 2, "origin", "S999")],
        ("travel_times", 2, "origin"),
    ),
    "unknown travel destination": (
        [("travel_times", 4, "destination", "W9")],
        ("travel_times", 4, "destination"),
    ),
    # A row with a bad cell still exists: the rows that refer to it are not told it is unknown.
    "bad cell of a school students attend": (
        [("schools", 2, "lat", "nord")],
        ("schools", 2, "lat"),
    ),
    "bad cell of a travel time's origin": (
        [("students", 2, "age", "quinze")],
        ("students", 2, "age"),
    ),
}


# Right but awkward: planned anyway, and said where (severity ``warning``).
WARNING_CASES: dict[str, tuple[list[tuple[str, int, str, str]], Where]] = {
    "unknown wished offer": (
        [("students", 2, "wished_offers", "O2;O9")],
        ("students", 2, "wished_offers"),
    ),
    "offer ends after the period": ([("offers", 2, "end", "2026-07-03")], ("offers", 2, "end")),
    "offer starts before the period": (
        [("offers", 4, "start", "2026-06-08")],
        ("offers", 4, "start"),
    ),
    "slot on a weekend": (
        [("workshop_slots", 3, "date", "2026-06-20")],
        ("workshop_slots", 3, "date"),
    ),
    "slot on a holiday": (
        [("workshop_slots", 4, "date", "2026-06-24")],
        ("workshop_slots", 4, "date"),
    ),
}


@pytest.mark.parametrize("case", list(WARNING_CASES))
def test_one_awkward_cell_is_a_warning_at_its_place(tmp_path: Path, case: str) -> None:
    edits, expected = WARNING_CASES[case]
    folder = copy_valid(tmp_path)
    before = set(load(folder).warnings)
    for table, row, column, value in edits:
        edit(folder, table, row, column, value)
    instance = load(folder)
    new = [w for w in instance.warnings if w not in before]
    assert where(new) == {expected}, new
    assert all(w.severity == "warning" and w.message for w in new)


def test_items_that_can_never_be_assigned_are_left_out_but_written_back(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    edit(folder, "offers", 2, "end", "2026-07-03")
    edit(folder, "workshop_slots", 3, "date", "2026-06-20")
    instance = load(folder)
    all_offers = [row[0] for row in read_table(folder, "offers")[1:]]
    assert [o.offer_id for o in instance.offers] == all_offers[1:]
    assert len(instance.workshop_slots) == len(read_table(folder, "workshop_slots")) - 2
    assert [o["offer_id"] for o in instance.to_dict()["offers"]] == all_offers
    assert Instance.from_dict(instance.to_dict()) == instance


def test_pinning_an_item_that_can_never_be_assigned_is_an_error(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    edit(folder, "offers", 2, "end", "2026-07-03")
    rows = read_table(folder, "students")
    rows[0].append("pinned_offer")
    rows[1].append(read_table(folder, "offers")[1][0])
    for row in rows[2:]:
        row.append("")
    write_table(folder, "students", rows)
    problems = problems_of(folder)
    assert where(problems) == {("students", 2, "pinned_offer")}, problems


def test_an_unknown_column_is_a_warning_on_the_header() -> None:
    notes = [w for w in load(VALID).warnings if w.column == "note"]
    assert where(notes) == {("students", 1, "note")}
    assert notes[0].message == "unknown column: kept and ignored"


@pytest.mark.parametrize("case", list(CELL_CASES))
def test_one_bad_cell_is_reported_at_its_place(tmp_path: Path, case: str) -> None:
    edits, expected = CELL_CASES[case]
    folder = copy_valid(tmp_path)
    for table, row, column, value in edits:
        edit(folder, table, row, column, value)
    problems = problems_of(folder)
    assert where(problems) == {expected}, problems
    assert all(p.message for p in problems)


def test_a_row_with_a_bad_cell_keeps_its_id_for_the_duplicate_check(tmp_path: Path) -> None:
    """All problems at once: the second use of an id is reported even when the row that used
    it first is rejected for another cell."""
    folder = copy_valid(tmp_path)
    edit(folder, "students", 2, "qpv", "peut-être")
    edit(folder, "students", 3, "student_id", "S001")
    edit(folder, "offers", 2, "capacity", "deux")
    edit(folder, "offers", 4, "offer_id", "O1")
    assert where(problems_of(folder)) == {
        ("students", 2, "qpv"),
        ("students", 3, "student_id"),
        ("offers", 2, "capacity"),
        ("offers", 4, "offer_id"),
        ("travel_times", 3, "destination"),  # O3, renamed O1 above, is gone
    }


def test_problem_carries_the_value_and_a_plain_message(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    edit(folder, "offers", 2, "qpv_reserved", "3")
    (problem,) = problems_of(folder)
    assert problem.value == "3"
    assert "capacity" in problem.message
    assert "Traceback" not in str(problem)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    edit(folder, "students", 2, "qpv", "peut-être")
    edit(folder, "students", 4, "school_id", "0599999Z")
    edit(folder, "offers", 3, "capacity", "0")
    edit(folder, "schools", 2, "lat", "95")
    edit(folder, "workshop_slots", 3, "part", "soir")
    edit_settings(folder, "workshops_per_student = 1", "workshops_per_student = -1")
    (folder / "travel_times.csv").write_bytes(b"origin\tdestination\tminutes\nS001\tO1\t12\n")
    assert where(problems_of(folder)) == {
        ("students", 2, "qpv"),
        ("students", 4, "school_id"),
        ("offers", 3, "capacity"),
        ("schools", 2, "lat"),
        ("workshop_slots", 3, "part"),
        ("settings", 6, "workshops_per_student"),
        ("travel_times", 1, None),
    }


def test_rows_count_blank_lines_as_a_spreadsheet_does(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    rows = read_table(folder, "students")
    rows[2][rows[0].index("qpv")] = "peut-être"  # S002, row 3 before the blank lines
    write_table(folder, "students", [rows[0], [], ["", "", ""], *rows[1:]])
    assert where(problems_of(folder)) == {("students", 5, "qpv")}


def test_a_quoted_line_break_is_one_row(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    edit(folder, "offers", 2, "host_name", "Clinique\ndu Sacré-Cœur")
    edit(folder, "offers", 3, "capacity", "0")
    assert where(problems_of(folder)) == {("offers", 3, "capacity")}


# --------------------------------------------------------------------------------------------
# Settings


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "workshops_per_student = 1",
            "workshops_per_student = -1",
            ("settings", 6, "workshops_per_student"),
        ),
        ("period_end = 2026-06-26", "period_end = 2026-06-12", ("settings", 3, "period_end")),
        ("period_start = 2026-06-15", "period_start = 2026-13-01", ("settings", 2, None)),
        ("period_start = 2026-06-15\n", "", ("settings", None, "period_start")),
        ("holidays = [2026-06-24]", "holidays = [2026-07-24]", ("settings", 4, "holidays")),
        (
            "workshops_per_student = 1",
            "workshop_per_student = 1",
            ("settings", 6, "workshop_per_student"),
        ),
        ('"travel"]', '"distance"]', ("settings", 7, "objective")),
    ],
    ids=[
        "bad value",
        "period reversed",
        "invalid toml",
        "period missing",
        "holiday outside",
        "unknown setting",
        "bad level",
    ],
)
def test_settings_problems(tmp_path: Path, old: str, new: str, expected: Where) -> None:
    folder = copy_valid(tmp_path)
    edit_settings(folder, old, new)
    assert expected in where(problems_of(folder))


def test_settings_csv_is_read_with_its_rows(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "settings.toml").unlink()
    (folder / "settings.csv").write_text(
        "key,value\n"
        "period_start,2026-06-15\n"
        "period_end,2026-06-26\n"
        "holidays,2026-06-24\n"
        "default_max_travel_min,45\n"
        "workshops_per_student,1\n"
        "objective,qpv_placed;placed;workshops;coverage;preference;travel\n",
        encoding="utf-8",
    )
    assert load(folder) == load(VALID)
    text = (folder / "settings.csv").read_text(encoding="utf-8")
    (folder / "settings.csv").write_text(
        text.replace("workshops_per_student,1", "workshops_per_student,un")
        + "period_end,2026-06-19\nlangue,fr\n",
        encoding="utf-8",
    )
    assert where(problems_of(folder)) == {
        ("settings", 6, "workshops_per_student"),
        ("settings", 8, "period_end"),  # given twice
        ("settings", 9, "langue"),  # unknown setting
    }


def test_settings_toml_and_csv_together_are_ambiguous(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "settings.csv").write_text("period_start,2026-06-15\n", encoding="utf-8")
    assert where(problems_of(folder)) == {("settings", None, None)}


def test_settings_in_a_toml_section(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    text = (folder / "settings.toml").read_text(encoding="utf-8")
    (folder / "settings.toml").write_text("[settings]\n" + text, encoding="utf-8")
    assert load(folder) == load(VALID)


# --------------------------------------------------------------------------------------------
# Whole files and columns


def test_missing_table(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "offers.csv").unlink()
    problems = problems_of(folder)
    # students' wished offers and travel times to offers are not reported as unknown
    assert where(problems) == {("offers", None, None)}
    assert problems[0].message == "the table is missing"


def test_missing_settings(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "settings.toml").unlink()
    assert where(problems_of(folder)) == {("settings", None, None)}


def test_missing_required_column_is_reported_once(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    drop_columns(folder, "offers", "capacity")
    problems = problems_of(folder)
    assert where(problems) == {("offers", 1, "capacity")}
    assert problems[0].message == "required column is missing"


def test_missing_id_column_does_not_make_every_reference_unknown(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    drop_columns(folder, "schools", "school_id")
    assert where(problems_of(folder)) == {("schools", 1, "school_id")}


def test_missing_location_columns(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    drop_columns(folder, "offers", "lat", "lon", "commune")
    assert where(problems_of(folder)) == {("offers", 1, "commune")}


def test_latitude_column_without_longitude_column(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    drop_columns(folder, "schools", "lon")
    assert where(problems_of(folder)) == {("schools", 1, "lon")}


def test_duplicated_header_column(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    rows = read_table(folder, "offers")
    rows[0][rows[0].index("min_age")] = "capacity"
    write_table(folder, "offers", rows)
    problems = problems_of(folder)
    assert where(problems) == {("offers", 1, "capacity")}
    assert "columns H and N" in problems[0].message


@pytest.mark.parametrize(
    "content", [b"", b"\n\n", b" ; ;\r\n"], ids=["empty", "blank lines", "blank cells"]
)
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    folder = copy_valid(tmp_path)
    (folder / "schools.csv").write_bytes(content)
    assert where(problems_of(folder)) == {("schools", None, None)}


def test_table_without_rows(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    write_table(folder, "offers", read_table(folder, "offers")[:1])
    (folder / "travel_times.csv").unlink()
    instance = load(folder)  # early in a campaign: students and workshops, offers to come
    assert instance.offers == ()
    warned = where(instance.warnings)
    assert ("offers", None, None) in warned
    # with no offers, the students' wished offers are genuinely unknown: said, not refused
    assert warned - {("offers", None, None), ("students", 1, "note")} <= {
        ("students", 2, "wished_offers"),
        ("students", 4, "wished_offers"),
    }


def test_header_only_workshops_and_travel_times_are_fine(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    write_table(folder, "workshop_slots", read_table(folder, "workshop_slots")[:1])
    write_table(folder, "travel_times", read_table(folder, "travel_times")[:2])
    instance = load(folder)
    assert instance.workshop_slots == ()
    assert len(instance.travel_times) == 1


def test_header_not_on_the_first_row(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "schools.csv").write_text("\n" + (VALID / "schools.csv").read_text("utf-8"), "utf-8")
    assert where(problems_of(folder)) == {("schools", 1, None)}


@pytest.mark.parametrize("delimiter", ["\t", "|"], ids=["tab", "pipe"])
def test_wrong_delimiter(tmp_path: Path, delimiter: str) -> None:
    folder = copy_valid(tmp_path)
    text = (folder / "students.csv").read_text(encoding="utf-8")
    (folder / "students.csv").write_text(text.replace(",", delimiter), encoding="utf-8")
    problems = problems_of(folder)
    assert where(problems) == {("students", 1, None)}
    assert "separated" in problems[0].message


def test_single_column_header(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "schools.csv").write_text("school_id name commune\n0590001A x 59606\n", "utf-8")
    problems = problems_of(folder)
    assert where(problems) == {("schools", 1, None)}
    assert "single column" in problems[0].message


def test_more_cells_than_the_header(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    rows = read_table(folder, "schools")
    rows[1][2:4] = ["50", "3605", "3", "5196"]  # decimal commas unquoted in a ,-file
    write_table(folder, "schools", rows)
    problems = problems_of(folder)
    assert ("schools", 2, None) in where(problems)
    assert "quote" in next(p for p in problems if p.column is None).message


def test_trailing_empty_cells_are_harmless(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    text = (folder / "schools.csv").read_text(encoding="utf-8")
    (folder / "schools.csv").write_text(text.replace("\n", ",,\n"), encoding="utf-8")
    assert load(folder) == load(VALID)


def test_values_in_an_unnamed_column(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    rows = read_table(folder, "schools")
    write_table(folder, "schools", [rows[0] + [""], rows[1] + [""], rows[2] + ["oops"]])
    assert where(problems_of(folder)) == {("schools", 3, None)}


def test_bad_encoding(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    data = (folder / "students.csv").read_bytes()
    lines = data.split(b"\n")
    lines[2] = lines[2].replace(b"bike", b"bi\x81ke")  # 0x81: neither UTF-8 nor cp1252
    (folder / "students.csv").write_bytes(b"\n".join(lines))
    problems = problems_of(folder)
    assert where(problems) == {("students", 3, None)}
    assert problems[0].value == "0x81"
    assert "UTF-8" in problems[0].message


def test_binary_file(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    workbook = openpyxl.Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    (folder / "offers.csv").write_bytes(buffer.getvalue())
    assert where(problems_of(folder)) == {("offers", None, None)}


def test_cp1252_utf16_and_bom_are_decoded(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    text = (folder / "offers.csv").read_text(encoding="utf-8")
    (folder / "offers.csv").write_bytes(text.encode("cp1252"))
    (folder / "schools.csv").write_bytes(
        (VALID / "schools.csv").read_text("utf-8").encode("utf-16")
    )
    students = (VALID / "students.csv").read_text("utf-8")
    (folder / "students.csv").write_bytes(b"\xef\xbb\xbf" + students.encode("cp1252"))
    assert load(folder) == load(VALID)


def test_file_names_match_without_case(tmp_path: Path) -> None:
    folder = copy_valid(tmp_path)
    (folder / "schools.csv").rename(folder / "Schools.CSV")
    assert load(folder) == load(VALID)
    shutil.copy(VALID / "schools.csv", folder / "schools.csv")
    assert where(problems_of(folder)) == {("schools", None, None)}


def test_the_french_export_loads_like_the_clean_dataset() -> None:
    export = DATA / "french_export"
    assert b"\xef\xbb\xbf" in (export / "schools.csv").read_bytes()
    assert "Cœur".encode("cp1252") in (export / "offers.csv").read_bytes()
    assert load(export) == load(VALID)


# --------------------------------------------------------------------------------------------
# Paths and other forms


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("nowhere", None, "no such file"),
        ("students.csv", b"a,b\n", "folder"),
        ("data.xls", b"", ".xlsx"),
        ("data.txt", b"", "unsupported"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "cannot read the workbook"),
        ("latin.json", b'{"settings": "\xe9"}', "UTF-8"),
    ],
)
def test_unusable_paths(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    (problem,) = problems_of(path)
    assert (problem.table, problem.row, problem.column) == (name, None, None)
    assert message in problem.message


def workbook_of(tmp_path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path = tmp_path / "data.xlsx"
    workbook.save(path)
    return path


def valid_sheets() -> dict[str, list[list[object]]]:
    sheets: dict[str, list[list[object]]] = {
        t: [list(r) for r in read_table(VALID, t)]
        for t in ("schools", "students", "offers", "workshop_slots", "travel_times")
    }
    sheets["Settings"] = [
        ["period_start", datetime(2026, 6, 15)],
        ["period_end", datetime(2026, 6, 26)],
        ["holidays", "2026-06-24"],
        ["default_max_travel_min", 45],
        ["workshops_per_student", 1.0],
        ["objective", "qpv_placed;placed;workshops;coverage;preference;travel"],
    ]
    return sheets


def test_workbook_problems_have_sheet_rows(tmp_path: Path) -> None:
    sheets = valid_sheets()
    sheets["offers"][2][sheets["offers"][0].index("capacity")] = 0
    sheets["students"].insert(2, [None, None])  # a blank row still counts
    sheets["students"][4][sheets["students"][0].index("qpv")] = "peut-être"
    del sheets["workshop_slots"]
    sheets["schools"] = []
    sheets["Settings"][4][1] = -1
    assert where(problems_of(workbook_of(tmp_path, sheets))) == {
        ("offers", 3, "capacity"),
        ("students", 5, "qpv"),
        ("workshop_slots", None, None),
        ("schools", None, None),
        ("settings", 5, "workshops_per_student"),
    }


def test_workbook_typed_cells_read_as_text(tmp_path: Path) -> None:
    sheets = valid_sheets()
    offers = sheets["offers"]
    header = offers[0]
    for row in offers[1:]:
        for column in ("lat", "lon", "capacity", "qpv_reserved", "min_age"):
            i = header.index(column)
            if row[i]:
                row[i] = float(str(row[i]))
        for column in ("start", "end"):
            i = header.index(column)
            if row[i]:
                row[i] = datetime.fromisoformat(str(row[i]))
        i = header.index("accessible")
        row[i] = row[i] == "true"
    schools = sheets["schools"]
    schools[2][schools[0].index("commune")] = 62498  # a number in an id column
    times = sheets["travel_times"]
    times[3][0] = 59606.0
    assert load(workbook_of(tmp_path, sheets)) == load(VALID)


def test_json_problems(tmp_path: Path) -> None:
    document = load(VALID).to_dict()
    document["students"][1]["qpv"] = "peut-être"
    document["offers"][0] = "O1"
    document["workshop_slots"] = {"W1": {}}
    document["student"] = []
    with pytest.raises(InvalidInputError) as caught:
        loads_json(json.dumps(document))
    problems = caught.value.problems
    assert where(problems) == {
        ("students", 3, "qpv"),
        ("offers", 2, None),
        ("workshop_slots", None, None),
        ("student", None, None),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2]", ("input", None, None)),
        ("[" * 100_000 + "]" * 100_000, ("input", None, None)),
        ('{"settings": {},\n "schools": [}', ("input", 2, None)),
        (
            '{"settings": [], "schools": [], "students": [], "offers": [], "workshop_slots": []}',
            ("settings", None, None),
        ),
    ],
)
def test_json_document_problems(text: str, expected: Where) -> None:
    with pytest.raises(InvalidInputError) as caught:
        loads_json(text)
    assert expected in where(caught.value.problems)


def test_dataframes_problems() -> None:
    frames = {
        t: pd.read_csv(VALID / f"{t}.csv", dtype=str, keep_default_na=False)
        for t in ("schools", "students", "offers")
    }
    frames["offers"].loc[1, "capacity"] = "0"
    frames["offer"] = frames["offers"]
    with pytest.raises(InvalidInputError) as caught:
        from_dataframes(frames, {"period_start": "2026-06-15", "period_end": "2026-06-26"})
    assert where(caught.value.problems) == {
        ("offers", 3, "capacity"),
        ("workshop_slots", None, None),
        ("offer", None, None),
    }


# --------------------------------------------------------------------------------------------
# Bad data never gives anything but InvalidInputError


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=st.sampled_from(["schools", "students", "offers", "workshop_slots", "travel_times"]),
    cut=st.integers(min_value=0, max_value=400),
    junk=st.binary(max_size=12),
)
def test_mangled_bytes_never_crash(tmp_path: Path, table: str, cut: int, junk: bytes) -> None:
    folder = tmp_path / f"fuzz-{table}-{cut}-{junk.hex()}"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(VALID, folder)
    data = (folder / f"{table}.csv").read_bytes()
    (folder / f"{table}.csv").write_bytes(data[:cut] + junk + data[cut + len(junk) :])
    try:
        assert isinstance(load(folder), Instance)
    except InvalidInputError as error:
        assert error.problems
        assert all(isinstance(p, Problem) and p.message for p in error.problems)


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_json_never_crashes(document: object) -> None:
    try:
        loads_json(json.dumps(document))
    except InvalidInputError as error:
        assert error.problems


def test_json_rows_are_list_index_plus_two() -> None:
    document = load(VALID).to_dict()
    document["offers"][2]["capacity"] = 0
    with pytest.raises(InvalidInputError) as caught:
        loads_json("\ufeff" + json.dumps(document))  # a BOM from a Windows pipe is fine
    assert where(caught.value.problems) == {("offers", 4, "capacity")}


def test_write_then_load_reports_the_same_rows(tmp_path: Path) -> None:
    instance = load(VALID)
    write_dataset(instance, tmp_path / "out.json")
    document = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    document["schools"][1]["commune"] = "99999"
    (tmp_path / "bad.json").write_text(json.dumps(document), encoding="utf-8")
    assert where(problems_of(tmp_path / "bad.json")) == {("schools", 3, "commune")}
