"""The coordinator's own headers: a ``columns`` mapping (setting or ``--columns`` file) maps
them to stagematch's columns, is validated, and problems then name the coordinator's headers."""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
from pathlib import Path

import pytest

from stagematch.cli import main
from stagematch.errors import InvalidInputError
from stagematch.io import load, read_column_map

VALID = Path(__file__).parent.parent / "data" / "valid"
THEIRS = {"student_id": "Nom de l'élève", "school_id": "UAI", "home_commune": "Code commune"}


def _rename_headers(folder: Path, table: str, renames: dict[str, str]) -> None:
    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0] = [renames.get(c, c) for c in rows[0]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _their_dataset(tmp_path: Path) -> Path:
    folder = Path(shutil.copytree(VALID, tmp_path / "theirs"))
    _rename_headers(folder, "students", THEIRS)
    return folder


def _mapping_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "mapping.toml"
    lines = ["[students]"] + [f'"{theirs}" = "{ours}"' for ours, theirs in THEIRS.items()]
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def test_a_mapping_file_reads_the_coordinators_headers(tmp_path: Path) -> None:
    folder = _their_dataset(tmp_path)
    with pytest.raises(InvalidInputError):
        load(folder)
    assert load(folder, columns=read_column_map(_mapping_file(tmp_path))) == load(VALID)


def test_the_mapping_can_be_a_setting(tmp_path: Path) -> None:
    folder = _their_dataset(tmp_path)
    settings = folder / "settings.toml"
    table = "\n".join(f'"{theirs}" = "{ours}"' for ours, theirs in THEIRS.items())
    settings.write_text(
        settings.read_text("utf-8") + "\n[columns.students]\n" + table + "\n", encoding="utf-8"
    )
    assert load(folder) == load(VALID)


def test_the_mapping_as_rows_of_a_settings_sheet(tmp_path: Path) -> None:
    folder = _their_dataset(tmp_path)
    toml = (folder / "settings.toml").read_text("utf-8")
    (folder / "settings.toml").unlink()
    rows = [line.split(" = ", 1) for line in toml.splitlines() if " = " in line]
    pairs = "; ".join(f"{theirs}={ours}" for ours, theirs in THEIRS.items())
    with (folder / "settings.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["key", "value"])
        for key, value in rows:
            writer.writerow([key.strip(), value.strip().strip('"[]').replace('", "', ";")])
        writer.writerow(["columns.students", pairs])
    assert load(folder) == load(VALID)


def test_problems_name_the_coordinators_headers(tmp_path: Path) -> None:
    folder = _their_dataset(tmp_path)
    path = folder / "students.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("UAI")] = "0000000X"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    with pytest.raises(InvalidInputError) as caught:
        load(folder, columns=read_column_map(_mapping_file(tmp_path)))
    assert [(p.table, p.row, p.column) for p in caught.value.problems] == [("students", 2, "UAI")]


def test_a_bad_mapping_is_reported_with_everything_else(tmp_path: Path) -> None:
    folder = _their_dataset(tmp_path)
    bad = _mapping_file(
        tmp_path,
        '"Âge" = "agee"\n"Classe" = "school_id"\n["élèves"]\nx = "student_id"\n',
    )
    with pytest.raises(InvalidInputError) as caught:
        load(folder, columns=read_column_map(bad))
    found = {(p.table, p.column, str(p.message)) for p in caught.value.problems}
    assert ("settings", "columns", "agee is not a column of students") in found
    assert ("settings", "columns", "UAI and Classe are both mapped to school_id") in found
    assert any(
        p.table == "settings" and "unknown table" in p.message for p in caught.value.problems
    )


def test_a_mapped_header_the_table_lacks_is_a_problem(tmp_path: Path) -> None:
    mapping = {"students": {**{v: k for k, v in THEIRS.items()}, "Âge": "age"}}
    with pytest.raises(InvalidInputError) as caught:
        load(_their_dataset(tmp_path), columns=mapping)
    assert [(p.table, p.row, p.column) for p in caught.value.problems] == [("students", 1, "Âge")]


def test_validate_columns_option_in_french(tmp_path: Path) -> None:
    folder = _their_dataset(tmp_path)
    mapping = _mapping_file(tmp_path, '"Âge" = "agee"\n')
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["validate", str(folder), "--columns", str(mapping), "--lang", "fr"])
    assert code == 1
    assert "agee n'est pas une colonne de students" in err.getvalue()
    good = _mapping_file(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["validate", str(folder), "--columns", str(good)]) == 0


def test_an_unreadable_mapping_file_is_one_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[students\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        read_column_map(broken)
    assert caught.value.problems[0].table == "broken.toml"
    flat = tmp_path / "flat.toml"
    flat.write_text('UAI = "school_id"\n', encoding="utf-8")
    with pytest.raises(InvalidInputError):
        read_column_map(flat)
