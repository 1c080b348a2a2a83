"""Fuzzed loaders: broken copies of a valid dataset, in each of its three forms.

Hypothesis mutates a valid CSV folder, workbook or JSON document (garbage in random cells,
deleted, renamed or duplicated columns, truncated files, other encodings and delimiters, huge
numbers, empty files, binary junk, missing files) and loads the result. Whatever the mutation,
loading ends in a valid :class:`Instance` or one :class:`InvalidInputError` whose problems each
name a table and say something, never in another exception; and the input files are never
modified.

The example count follows the hypothesis profile (``tests/conftest.py``): ``make test`` runs the
default; ``make fuzz`` runs the ``thorough`` profile (1,000 examples per form).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from stagematch.errors import InvalidInputError
from stagematch.io import load, write_dataset
from stagematch.model import TABLES, Instance

VALID = Path(__file__).parent.parent / "data" / "valid"
TABLE_FILES = [f"{t}.csv" for t in TABLES[1:]] + ["settings.toml"]

GARBAGE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            '=HYPERLINK("http://x")',
            "1e309",
            "-1e309",
            "99999999999999999999999999999",
            "NaN",
            "inf",
            "2026-02-30",
            "31/12/2026",
            "oui;non;peut-être",
            "\x00\x01",
            "\ufeff",
            '"',
            "a,b;c\nd",
            "nan",
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats().map(repr),
)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-32"]


def fingerprint(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes."""
    if root.is_file():
        return {root.name: hashlib.sha256(root.read_bytes()).hexdigest()}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def assert_loads_or_reports(path: Path) -> None:
    """The contract: an Instance, or problems naming a table; no other exception; no write."""
    before = fingerprint(path)
    try:
        instance = load(path)
    except InvalidInputError as error:
        assert error.problems, "an InvalidInputError without problems"
        for problem in [*error.problems, *error.warnings]:
            assert isinstance(problem.table, str) and problem.table, problem
            assert str(problem) and problem.text(), problem
            assert problem.row is None or isinstance(problem.row, int), problem
        assert str(error)
    else:
        assert isinstance(instance, Instance)
        for problem in instance.warnings:
            assert problem.table and problem.text()
    assert fingerprint(path) == before, "an input file was modified"


# --------------------------------------------------------------------------------------------
# CSV folders


def _read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _write_csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _csv_mutation(rng: random.Random, garbage: str, text: str) -> bytes | str | None:
    """One mutation of a CSV file's text; ``None`` deletes the file."""
    rows = _read_csv(text) or [[""]]
    width = max(len(r) for r in rows)
    kind = rng.randrange(12)
    if kind == 0 and len(rows) > 1:  # garbage in a random cell
        row = rows[rng.randrange(1, len(rows))]
        if row:
            row[rng.randrange(len(row))] = garbage
    elif kind == 1:  # a column deleted
        k = rng.randrange(width)
        rows = [r[:k] + r[k + 1 :] for r in rows]
    elif kind == 2:  # a column renamed
        rows[0][rng.randrange(len(rows[0]))] = garbage
    elif kind == 3:  # a column duplicated
        k = rng.randrange(width)
        rows = [[*r, r[k] if k < len(r) else ""] for r in rows]
    elif kind == 4:  # truncated
        return text[: rng.randrange(len(text) + 1)]
    elif kind == 5:  # another encoding (may not hold every character)
        return text.encode(rng.choice(ENCODINGS), errors="replace")
    elif kind == 6:  # another delimiter
        return _write_csv(rows, rng.choice([";", "\t", "|", ":"]))
    elif kind == 7:  # huge numbers everywhere in a row
        if len(rows) > 1:
            rows[rng.randrange(1, len(rows))] = ["9" * 400] * width
    elif kind == 8:  # empty
        return ""
    elif kind == 9:  # binary junk
        return rng.randbytes(rng.randrange(1, 300))
    elif kind == 10:  # deleted
        return None
    else:  # a row duplicated, another blanked
        if len(rows) > 1:
            rows.append(list(rows[rng.randrange(1, len(rows))]))
            rows[rng.randrange(1, len(rows))] = [""] * width
    return _write_csv(rows)


@given(seed=st.integers(0, 2**32 - 1), garbage=GARBAGE, n=st.integers(1, 4))
def test_fuzzed_csv_folders(seed: int, garbage: str, n: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        folder.mkdir()
        for name in TABLE_FILES:
            (folder / name).write_bytes((VALID / name).read_bytes())
        for _ in range(n):
            target = folder / rng.choice(TABLE_FILES)
            if not target.exists():
                continue
            changed = _csv_mutation(rng, garbage, target.read_text("utf-8", errors="replace"))
            if changed is None:
                target.unlink()
            elif isinstance(changed, bytes):
                target.write_bytes(changed)
            else:
                target.write_text(changed, "utf-8")
        assert_loads_or_reports(folder)


# --------------------------------------------------------------------------------------------
# Workbooks


def _sheet_mutation(rng: random.Random, garbage: object, ws: object) -> None:
    rows = [list(r) for r in ws.iter_rows(values_only=True)]  # type: ignore[attr-defined]
    width = max((len(r) for r in rows), default=1)
    kind = rng.randrange(6)
    if kind == 0 and len(rows) > 1:
        rows[rng.randrange(1, len(rows))][rng.randrange(width)] = garbage
    elif kind == 1:
        k = rng.randrange(width)
        rows = [r[:k] + r[k + 1 :] for r in rows]
    elif kind == 2 and rows:
        rows[0][rng.randrange(width)] = garbage
    elif kind == 3:
        k = rng.randrange(width)
        rows = [[*r, r[k]] for r in rows]
    elif kind == 4 and len(rows) > 1:
        rows[rng.randrange(1, len(rows))] = [10**300] * width
    else:
        rows = rows[: rng.randrange(len(rows) + 1)]
    ws.delete_rows(1, ws.max_row)  # type: ignore[attr-defined]
    for row in rows:
        ws.append(row)  # type: ignore[attr-defined]


WORKBOOK_GARBAGE = st.one_of(
    GARBAGE,
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.dates().map(str),
)


@given(seed=st.integers(0, 2**32 - 1), garbage=WORKBOOK_GARBAGE, n=st.integers(1, 3))
def test_fuzzed_workbooks(seed: int, garbage: object, n: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.xlsx"
        write_dataset(load(VALID), path)
        kind = rng.randrange(5)
        if kind == 0:  # truncated bytes
            data = path.read_bytes()
            path.write_bytes(data[: rng.randrange(len(data))])
        elif kind == 1:  # junk
            path.write_bytes(rng.randbytes(rng.randrange(0, 2000)))
        else:
            book = openpyxl.load_workbook(path)
            for _ in range(n):
                if kind == 2 and len(book.sheetnames) > 1:
                    del book[rng.choice(book.sheetnames)]
                else:
                    name = rng.choice(book.sheetnames)
                    if isinstance(garbage, str) and garbage.startswith("="):
                        garbage = "'" + garbage  # a formula would be evaluated by Excel only
                    try:
                        _sheet_mutation(rng, garbage, book[name])
                    except (ValueError, IllegalCharacterError):  # control characters
                        continue
            book.save(path)
        assert_loads_or_reports(path)


# --------------------------------------------------------------------------------------------
# JSON documents

JSON_GARBAGE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**40), 10**40),
        st.floats(allow_nan=False),
        GARBAGE,
    ),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _json_mutation(rng: random.Random, garbage: object, document: dict[str, Any]) -> None:
    garbage = copy.deepcopy(garbage)  # a fresh copy each time: never one object in two places
    tables = [
        t
        for t in document
        if isinstance(document[t], list) and any(isinstance(r, dict) and r for r in document[t])
    ]
    kind = rng.randrange(6)
    if kind == 0 and tables:  # garbage in a random cell
        row = rng.choice(document[rng.choice(tables)])
        if isinstance(row, dict) and row and rng.random() < 0.9:
            row[rng.choice(sorted(row))] = garbage
    elif kind == 1 and tables:  # a key deleted from every row
        rows = [r for r in document[rng.choice(tables)] if isinstance(r, dict)]
        key = rng.choice(sorted({k for r in rows for k in r}))
        for r in rows:
            r.pop(key, None)
    elif kind == 2 and tables:  # a key renamed
        rows = [r for r in document[rng.choice(tables)] if isinstance(r, dict)]
        key = rng.choice(sorted({k for r in rows for k in r}))
        for r in rows:
            if key in r:
                r[str(garbage)[:10] or "x"] = r.pop(key)
    elif kind == 3:  # a table replaced by garbage
        document[rng.choice(sorted(document))] = garbage
    elif kind == 4:  # a table deleted
        del document[rng.choice(sorted(document))]
    else:  # a setting replaced
        settings = document.get("settings")
        if isinstance(settings, dict) and settings:
            settings[rng.choice(sorted(settings))] = garbage


@given(seed=st.integers(0, 2**32 - 1), garbage=JSON_GARBAGE, n=st.integers(1, 4))
def test_fuzzed_json_documents(seed: int, garbage: object, n: int) -> None:
    rng = random.Random(seed)
    document = load(VALID).to_dict()
    for _ in range(n):
        if document:
            _json_mutation(rng, garbage, document)
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5)
    encode: Callable[[str], bytes] = rng.choice(
        [
            lambda t: t.encode("utf-8"),
            lambda t: t.encode("utf-16"),
            lambda t: t.encode("cp1252", errors="replace"),
            lambda t: t.encode("utf-8")[: rng.randrange(len(t) + 1)],  # truncated
            lambda t: rng.randbytes(rng.randrange(200)),  # junk
            lambda t: b"",  # empty
            lambda t: ("[" * 100_000).encode(),  # nested too deeply
        ]
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.json"
        path.write_bytes(encode(text))
        assert_loads_or_reports(path)
