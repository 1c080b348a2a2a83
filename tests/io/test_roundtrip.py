"""Writing datasets, and the promise that every form reads back into an equal Instance.

CSV folder, Excel workbook, JSON file, JSON text and DataFrames are interchangeable; writing is
whole or nothing; input files are never modified by loading.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stagematch.io import from_dataframes, load, loads_json, write_dataset, writers
from stagematch.model import Instance

DATA = Path(__file__).parent.parent / "data"
VALID = DATA / "valid"
ROW_TABLES = ("schools", "students", "offers", "workshop_slots", "travel_times")


def digest(path: Path) -> dict[str, str]:
    """SHA-256 of every file under ``path`` (or of the file itself), by relative name."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {
        str(p.relative_to(path.parent)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }


@pytest.fixture(scope="module")
def valid() -> Instance:
    return load(VALID)


# --------------------------------------------------------------------------------------------
# Every route gives the same instance


def test_all_routes_give_equal_instances(tmp_path: Path, valid: Instance) -> None:
    frames = {
        t: pd.read_csv(VALID / f"{t}.csv", dtype=str, keep_default_na=False) for t in ROW_TABLES
    }
    with (VALID / "settings.toml").open("rb") as handle:
        settings_ = tomllib.load(handle)
    assert from_dataframes(frames, settings_) == valid
    assert loads_json(json.dumps(valid.to_dict())) == valid
    assert Instance.from_dict(valid.to_dict()) == valid
    for name in ("copy", "copy.xlsx", "copy.json"):
        assert load(write_dataset(valid, tmp_path / name)) == valid


def test_dataframes_with_typed_columns(valid: Instance) -> None:
    frames = {
        t: pd.read_csv(VALID / f"{t}.csv", dtype=str, keep_default_na=False) for t in ROW_TABLES
    }
    offers = pd.read_csv(
        VALID / "offers.csv", dtype={"offer_id": str, "host_id": str, "reserved_schools": str}
    )
    offers["start"] = pd.to_datetime(offers["start"])
    offers["end"] = pd.to_datetime(offers["end"])
    assert offers["capacity"].dtype.kind == "i" and offers["min_age"].dtype.kind == "f"
    frames["offers"] = offers.set_index("offer_id", drop=False)  # the index is ignored
    students = frames["students"].copy()
    students["wishes"] = [w.split(";") if w else [] for w in students["wishes"]]  # lists
    frames["students"] = students
    with (VALID / "settings.toml").open("rb") as handle:
        assert from_dataframes(frames, tomllib.load(handle)) == valid


@pytest.mark.parametrize(
    "chain",
    [
        ("csv", "xlsx"),
        ("csv", "json"),
        ("csv", "folder"),
        ("xlsx", "json", "folder", "xlsx"),
        ("json", "xlsx", "folder", "json"),
    ],
)
def test_round_trips(tmp_path: Path, valid: Instance, chain: tuple[str, ...]) -> None:
    instance = valid
    for step, form in enumerate(chain[1:]):
        target = tmp_path / (f"step{step}" + ("" if form == "folder" else f".{form}"))
        instance = load(write_dataset(instance, target))
        assert instance == valid, form


def test_written_twice_is_byte_identical(tmp_path: Path, valid: Instance) -> None:
    first = load(write_dataset(valid, tmp_path / "a"))
    write_dataset(first, tmp_path / "b")
    for name in os.listdir(tmp_path / "a"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_written_cells_follow_the_spec(tmp_path: Path, valid: Instance) -> None:
    folder = write_dataset(valid, tmp_path / "out")
    assert sorted(os.listdir(folder)) == sorted(
        [f"{t}.csv" for t in ROW_TABLES] + ["settings.toml"]
    )
    students = pd.read_csv(folder / "students.csv", dtype=str, keep_default_na=False)
    first = students.iloc[0]
    assert first["school_id"] == "0590001A"
    assert first["wishes"] == "health;law"
    assert first["qpv"] == "true" and first["needs_accessibility"] == "false"
    assert first["home_commune"] == ""  # unset optional value: blank
    assert first["max_travel_min"] == "45"
    assert students.iloc[3]["unavailable"] == "2026-06-18;2026-06-19"
    assert students.iloc[3]["note"] == "élève, Cœur"  # unknown columns kept, text as typed
    assert students.iloc[2]["note"] == ""
    offers = pd.read_csv(folder / "offers.csv", dtype=str, keep_default_na=False)
    assert offers.iloc[0]["start"] == "2026-06-15"
    assert offers.iloc[0]["host_name"] == "Clinique du Sacré-Cœur"
    text = (folder / "settings.toml").read_text(encoding="utf-8")
    assert "period_start = 2026-06-15" in text
    assert tomllib.loads(text)["holidays"] == [date(2026, 6, 24)]


def test_workbook_cells_are_typed(tmp_path: Path, valid: Instance) -> None:
    path = write_dataset(valid, tmp_path / "out.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["settings", *ROW_TABLES]
    offers = workbook["offers"]
    header = [c.value for c in offers[1]]
    row = {h: c.value for h, c in zip(header, offers[2], strict=True)}
    assert row["capacity"] == 2 and row["accessible"] is True
    assert row["start"].date() == date(2026, 6, 15)
    assert row["offer_id"] == "O1"
    schools = workbook["schools"]
    assert schools["A2"].value == "0590001A" and schools["A2"].data_type == "s"


def test_empty_tables_are_written_with_their_header(tmp_path: Path, valid: Instance) -> None:
    document = valid.to_dict()
    document["workshop_slots"] = []
    document["travel_times"] = []
    instance = Instance.from_dict(document)
    for name in ("out", "out.xlsx", "out.json"):
        assert load(write_dataset(instance, tmp_path / name)) == instance
    header = (tmp_path / "out" / "travel_times.csv").read_text(encoding="utf-8")
    assert header == "origin,destination,minutes\n"


def test_formula_looking_text_stays_text(tmp_path: Path, valid: Instance) -> None:
    document = valid.to_dict()
    document["schools"][0]["name"] = '=HYPERLINK("x")'
    document["students"][0]["note"] = "+33 6 12"
    instance = Instance.from_dict(document)
    assert load(write_dataset(instance, tmp_path / "out.xlsx")) == instance


# --------------------------------------------------------------------------------------------
# Inputs are never modified


@pytest.mark.parametrize("form", ["folder", "xlsx", "json", "french"])
def test_loading_leaves_inputs_byte_identical(tmp_path: Path, valid: Instance, form: str) -> None:
    if form == "french":
        source = Path(shutil.copytree(DATA / "french_export", tmp_path / "french"))
    elif form == "folder":
        source = Path(shutil.copytree(VALID, tmp_path / "folder"))
    else:
        source = write_dataset(valid, tmp_path / f"data.{form}")
    before = digest(source)
    mtimes = {p: p.stat().st_mtime_ns for p in ([source] if source.is_file() else source.iterdir())}
    for path in mtimes:  # read-only files: loading must not need to write
        path.chmod(stat.S_IRUSR)
    try:
        assert load(source) == valid
    finally:
        for path in mtimes:
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert digest(source) == before
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_loading_invalid_input_leaves_it_byte_identical(tmp_path: Path) -> None:
    source = Path(shutil.copytree(VALID, tmp_path / "folder"))
    (source / "offers.csv").write_bytes(b"offer_id\tcapacity\n")
    before = digest(source)
    with pytest.raises(ValueError):
        load(source)
    assert digest(source) == before


# --------------------------------------------------------------------------------------------
# Whole or nothing


def fail_on(table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    original = writers._write_csv

    def failing(path: Path, rows: Any, model: Any) -> None:
        if path.name == f"{table}.csv":
            path.write_text("half a fi", encoding="utf-8")
            raise OSError(28, "No space left on device")
        original(path, rows, model)

    monkeypatch.setattr(writers, "_write_csv", failing)


def test_failed_folder_write_leaves_nothing(
    tmp_path: Path, valid: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_on("offers", monkeypatch)
    with pytest.raises(OSError, match="No space"):
        write_dataset(valid, tmp_path / "out")
    assert os.listdir(tmp_path) == []


def test_failed_folder_write_keeps_the_previous_dataset(
    tmp_path: Path, valid: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = Path(shutil.copytree(DATA / "french_export", tmp_path / "out"))
    before = digest(target)
    fail_on("workshop_slots", monkeypatch)
    with pytest.raises(OSError):
        write_dataset(valid, target)
    assert digest(target) == before
    assert os.listdir(tmp_path) == ["out"]


def test_failed_file_write_leaves_nothing(
    tmp_path: Path, valid: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_dataset(valid, tmp_path / "old.json")
    before = digest(tmp_path / "old.json")

    def failing(data: Any, path: Path) -> None:
        path.write_text('{"settings": ', encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writers, "_write_json", failing)
    monkeypatch.setattr(writers, "_write_workbook", failing)
    for name in ("old.json", "new.json", "new.xlsx"):
        with pytest.raises(OSError):
            write_dataset(valid, tmp_path / name)
    assert os.listdir(tmp_path) == ["old.json"]
    assert digest(tmp_path / "old.json") == before


def test_value_a_workbook_cannot_hold(tmp_path: Path, valid: Instance) -> None:
    document = valid.to_dict()
    document["offers"][1]["host_name"] = "bell\x07"
    instance = Instance.from_dict(document)
    with pytest.raises(ValueError, match="offers, row 3"):
        write_dataset(instance, tmp_path / "out.xlsx")
    assert os.listdir(tmp_path) == []


def test_writing_over_a_folder_replaces_dataset_files_only(tmp_path: Path, valid: Instance) -> None:
    target = Path(shutil.copytree(DATA / "french_export", tmp_path / "out"))
    (target / "README.txt").write_text("keep me", encoding="utf-8")
    (target / "Schools.csv").write_text("stale", encoding="utf-8")
    (target / "schools.csv").unlink()
    write_dataset(valid, target)
    names = sorted(os.listdir(target))
    assert "settings.csv" not in names and "Schools.csv" not in names
    assert "README.txt" in names and "settings.toml" in names
    assert load(target) == valid
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unsupported_output(tmp_path: Path, valid: Instance) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        write_dataset(valid, tmp_path / "out.csv")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(NotADirectoryError):
        write_dataset(valid, tmp_path / "file")


def test_parents_are_created(tmp_path: Path, valid: Instance) -> None:
    assert load(write_dataset(valid, tmp_path / "a" / "b" / "data.json")) == valid


# --------------------------------------------------------------------------------------------
# Any valid dataset survives every form


PERIOD_START = date(2026, 6, 15)
WORKING = [PERIOD_START + timedelta(days=d) for d in range(12) if d % 7 < 5]
COMMUNES = ["59606", "62498", "59350", "01001"]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12)
IDS = st.from_regex(r"[0-9][0-9A-Z_-]{0,7}", fullmatch=True)


@st.composite
def locations(draw: st.DrawFn, prefix: str = "") -> dict[str, Any]:
    if draw(st.booleans()):
        return {f"{prefix}commune": draw(st.sampled_from(COMMUNES))}
    return {
        f"{prefix}lat": draw(st.floats(49.0, 51.5)),
        f"{prefix}lon": draw(st.floats(1.5, 4.5)),
    }


def optional(draw: st.DrawFn, key: str, strategy: st.SearchStrategy[Any]) -> dict[str, Any]:
    return {key: draw(strategy)} if draw(st.booleans()) else {}


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    ids = draw(st.lists(IDS, min_size=6, max_size=12, unique=True))
    school_ids, offer_ids, student_ids = ids[:2], ids[2:4], ids[4:]
    slot_ids = draw(st.lists(IDS.filter(lambda i: i not in ids), max_size=2, unique=True))
    schools = [{"school_id": s, "name": draw(TEXT), **draw(locations())} for s in school_ids]
    offers = []
    for offer_id in offer_ids:
        capacity = draw(st.integers(1, 5))
        first, last = sorted(draw(st.lists(st.sampled_from(WORKING), min_size=2, max_size=2)))
        offers.append(
            {
                "offer_id": offer_id,
                "host_id": draw(IDS),
                "host_name": draw(TEXT),
                "sector": draw(st.sampled_from(["health", "law", "média", "BTP"])),
                "capacity": capacity,
                "start": first.isoformat(),
                "end": last.isoformat(),
                "qpv_reserved": draw(st.integers(0, capacity)),
                "reserved_schools": draw(st.lists(st.sampled_from(school_ids), max_size=2)),
                "accessible": draw(st.booleans()),
                **optional(draw, "min_age", st.floats(10, 20)),
                **draw(locations()),
            }
        )
    students = []
    for student_id in student_ids:
        students.append(
            {
                "student_id": student_id,
                "school_id": draw(st.sampled_from(school_ids)),
                "qpv": draw(st.booleans()),
                "wishes": draw(st.lists(st.sampled_from(["health", "law", "média"]), max_size=3)),
                "wished_offers": draw(st.lists(st.sampled_from(offer_ids), max_size=2)),
                "unavailable": [
                    d.isoformat() for d in draw(st.lists(st.sampled_from(WORKING), max_size=2))
                ],
                **optional(draw, "max_travel_min", st.floats(0, 120)),
                **optional(draw, "mode", st.sampled_from(["walk", "bike", "transit", "car"])),
                **optional(draw, "age", st.integers(14, 18)),
                **optional(draw, "note", TEXT.filter(str.strip)),
                **(draw(locations("home_")) if draw(st.booleans()) else {}),
            }
        )
    slots = [
        {
            "slot_id": slot_id,
            "workshop_id": draw(IDS),
            "title": draw(TEXT),
            "date": draw(st.sampled_from(WORKING)).isoformat(),
            "part": draw(st.sampled_from(["AM", "PM", "DAY"])),
            "capacity": draw(st.integers(1, 30)),
            **draw(locations()),
        }
        for slot_id in slot_ids
    ]
    travel = [
        {
            "origin": draw(st.sampled_from(student_ids + school_ids)),
            "destination": o,
            "minutes": draw(st.floats(0, 90)),
        }
        for o in draw(st.lists(st.sampled_from(offer_ids), max_size=2))
    ]
    settings_ = {
        "period_start": PERIOD_START.isoformat(),
        "period_end": WORKING[-1].isoformat(),
        **optional(draw, "default_max_travel_min", st.floats(1, 90)),
        **optional(draw, "seed", st.integers(0, 2**31)),
        **optional(draw, "default_mode", st.sampled_from(["walk", "car"])),
    }
    return Instance(settings_, schools, students, offers, slots, travel)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(instance=instances())
def test_any_valid_dataset_round_trips(
    tmp_path_factory: pytest.TempPathFactory, instance: Instance
) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    for name in ("folder", "data.xlsx", "data.json"):
        assert load(write_dataset(instance, folder / name)) == instance, name
