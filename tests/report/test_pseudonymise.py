"""Pseudonymous exports and the ``report`` / ``solve --report --pseudonymise`` command line.

Student ids here are distinctive strings (``ELEVE-…``), so "no original id anywhere" is tested by
plain substring search over every file written, including inside the ``.xlsx`` zip.
"""

from __future__ import annotations

import csv
import json
import re
import stat
import zipfile
from pathlib import Path

import pypdf
import pytest
from report_support import hand_made

from stagematch.cli import main
from stagematch.evaluate import evaluate
from stagematch.export import read_result, write_plan
from stagematch.model import Instance
from stagematch.plan import Plan
from stagematch.report import write_report
from stagematch.report.pseudonymise import (
    Pseudonyms,
    check_key_outside,
    default_key_path,
    pseudonymise_result,
    pseudonyms_for,
    read_key_file,
    token_for,
    write_key_file,
)
from stagematch.result import Result

TOKEN = re.compile(r"^P-[0-9A-F]{8}$")


def renamed(result: Result) -> Result:
    """The hand-made result with distinctive student ids (``Q1`` → ``ELEVE-Q1-0042``)."""
    mapping = {s.student_id: f"ELEVE-{s.student_id}-0042" for s in result.instance.students}
    data = result.instance.to_dict()
    for row in data["students"]:
        row["student_id"] = mapping[row["student_id"]]
    for row in data["travel_times"]:
        row["origin"] = mapping.get(row["origin"], row["origin"])
    plan = Plan((mapping[a.student_id], a.kind, a.item_id) for a in result.plan.assignments)
    return evaluate(Instance.from_dict(data), plan)


def every_text(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` as text, with each member of a zip (xlsx) unpacked and the text
    of each PDF letter extracted."""
    out = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".pdf":
            reader = pypdf.PdfReader(path)
            out[str(path.relative_to(folder))] = "\n".join(p.extract_text() for p in reader.pages)
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    out[f"{path.name}/{name}"] = archive.read(name).decode("utf-8", "replace")
        else:
            out[path.name] = path.read_text("utf-8", errors="replace")
    return out


def test_tokens_are_stable_for_a_salt_and_change_with_it() -> None:
    ids = ["a", "b", "c"]
    salt = bytes(range(16))
    first = Pseudonyms.create(ids, salt)
    assert first.tokens == Pseudonyms.create(ids, salt).tokens
    assert all(TOKEN.match(t) for t in first.tokens.values())
    assert first("a") == token_for("a", salt)
    other = Pseudonyms.create(ids, bytes(16))
    assert set(other.tokens.values()).isdisjoint(first.tokens.values())
    assert len(Pseudonyms.create(ids).salt) == 16
    assert Pseudonyms.create(ids).salt != Pseudonyms.create(ids).salt


def test_tokens_grow_until_unique() -> None:
    ids = [f"student-{k}" for k in range(300)]
    tokens = Pseudonyms.create(ids, b"salt", min_length=1).tokens
    assert len(set(tokens.values())) == 300
    assert len({len(t) for t in tokens.values()}) == 1
    assert len(next(iter(tokens.values()))) > 3


def test_key_file_round_trip_private_and_reused(tmp_path: Path) -> None:
    key = tmp_path / "plan.key.csv"
    first = pseudonyms_for(["a", "b"], key)
    write_key_file(first, key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    with key.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["student_id"] for r in rows] == ["a", "b"]
    assert {r["salt"] for r in rows} == {first.salt.hex()}
    back = read_key_file(key)
    assert back.salt == first.salt and dict(back.tokens) == dict(first.tokens)
    again = pseudonyms_for(["b", "c"], key)  # a later run: same salt, same tokens, c is new
    assert again.salt == first.salt
    assert again("b") == first("b")
    assert again("c") == token_for("c", first.salt)
    assert again("a") == first("a")  # kept, so earlier exports still map back


def test_key_file_must_stay_outside_the_shared_folder(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert default_key_path(out) == tmp_path / "plan.key.csv"
    check_key_outside(default_key_path(out), out)
    with pytest.raises(ValueError, match="must not be inside"):
        check_key_outside(out / "key.csv", out)
    with pytest.raises(ValueError, match="must not be inside"):
        check_key_outside(out / "sub" / "key.csv", out)


def test_pseudonymised_exports_hold_no_student_id(tmp_path: Path) -> None:
    original = renamed(hand_made())
    ids = [s.student_id for s in original.instance.students]
    pseudonyms = Pseudonyms.create(ids)
    shared = pseudonymise_result(original, pseudonyms)
    out = tmp_path / "plan"
    write_plan(shared, out)
    write_report(shared, out)
    texts = every_text(out)
    assert {"assignments.csv", "unplaced.csv", "input.json", "summary.json", "report.html"} <= set(
        texts
    )
    assert any(name.startswith("report.xlsx/") for name in texts)
    for name, text in texts.items():
        for sid in ids:
            assert sid not in text, (name, sid)
    # Tokens are there instead, and the plan is the same plan.
    assert pseudonyms("ELEVE-Q2-0042") in texts["assignments.csv"]
    assert shared.levels == original.levels
    assert shared.counts() == original.counts()
    back = read_result(out)
    assert back.plan == shared.plan
    assert [u.reason for u in back.unplaced] == [u.reason for u in original.unplaced]


def test_the_key_maps_tokens_back_to_the_plan(tmp_path: Path) -> None:
    original = renamed(hand_made())
    pseudonyms = Pseudonyms.create(s.student_id for s in original.instance.students)
    key = write_key_file(pseudonyms, tmp_path / "key.csv")
    shared = pseudonymise_result(original, pseudonyms)
    to_student = read_key_file(key).students
    restored = Plan((to_student[a.student_id], a.kind, a.item_id) for a in shared.plan.assignments)
    assert restored == original.plan
    assert {to_student[u.student_id] for u in shared.unplaced} == {
        u.student_id for u in original.unplaced
    }
    travel = {(to_student[s], i): m for (s, i), m in shared.travel_minutes.items()}
    assert travel == original.travel_minutes


def test_ids_in_free_text_details_are_replaced_too() -> None:
    import dataclasses

    from stagematch.result import Unplaced

    original = renamed(hand_made())
    leaky = dataclasses.replace(
        original,
        unplaced=(Unplaced("ELEVE-N2-0042", False, "capacity", "seat held by ELEVE-Q1-0042;"),),
    )
    pseudonyms = Pseudonyms.create(s.student_id for s in original.instance.students)
    shared = pseudonymise_result(leaky, pseudonyms)
    assert shared.unplaced[0].detail == f"seat held by {pseudonyms('ELEVE-Q1-0042')};"


# --------------------------------------------------------------------------------------------
# Command line


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "input.json"
    data = renamed(hand_made()).instance.to_dict()
    data["settings"]["time_limit_s"] = 5
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_solve_report_pseudonymise(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "shared"
    code = main(["solve", str(dataset), "--out", str(out), "--report", "--pseudonymise"])
    assert code == 0
    key = tmp_path / "shared.key.csv"
    assert key.is_file() and not (out / key.name).exists()
    assert sorted(p.name for p in out.iterdir()) == [
        "assignments.csv",
        "input.json",
        "letters",
        "report.html",
        "report.xlsx",
        "summary.json",
        "unplaced.csv",
    ]
    texts = every_text(out)
    for name, text in texts.items():
        assert "ELEVE-" not in text, name
    letters = "\n".join(text for name, text in texts.items() if name.startswith("letters/"))
    assert re.search(r"P-[0-9A-F]{8}", letters)
    printed = capsys.readouterr().out
    assert "ELEVE-" not in printed
    first = (out / "assignments.csv").read_text("utf-8")
    tokens = set(re.findall(r"P-[0-9A-F]{8}", first))
    assert tokens and tokens <= set(read_key_file(key).students)
    # Run again with the same key file: same salt, same tokens.
    assert main(["solve", str(dataset), "--out", str(out), "--pseudonymise"]) == 0
    assert (out / "assignments.csv").read_text("utf-8") == first


def test_key_file_inside_out_is_refused_before_solving(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "shared"
    code = main(
        [
            "solve",
            str(dataset),
            "--out",
            str(out),
            "--pseudonymise",
            "--key-file",
            str(out / "k.csv"),
        ]
    )
    assert code == 1
    assert "must not be inside" in capsys.readouterr().err
    assert not out.exists()


def test_a_broken_key_file_is_refused_before_solving(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "k.csv"
    key.write_text("hello,world\n1,2\n", "utf-8")
    out = tmp_path / "shared"
    args = ["solve", str(dataset), "--out", str(out), "--pseudonymise", "--key-file", str(key)]
    assert main(args) == 1
    assert "not a stagematch key file" in capsys.readouterr().err
    assert not out.exists()


def test_report_command_writes_both_files(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    assert main(["solve", str(dataset), "--out", str(out), "--key-file", "x"]) == 1
    assert main(["solve", str(dataset), "--out", str(out)]) == 0
    assert not (out / "report.html").exists()
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").is_file() and (out / "report.xlsx").is_file()
    assert "ELEVE-N2-0042" in (out / "report.html").read_text("utf-8")  # unplaced, listed
    assert main(["report", str(tmp_path / "missing")]) == 1


def test_demo_export_flags_need_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--report"]) == 1
    assert "need --out" in capsys.readouterr().err
