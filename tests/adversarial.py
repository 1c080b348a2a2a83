"""Datasets shaped unlike ours, written the awkward ways coordinators write them.

Support for ``tests/test_adversarial.py`` (imported by bare name, like :mod:`strategies`).

:func:`scenarios` draws a valid :class:`~stagematch.model.Instance` over every setting of the
SPEC: any ordered subset of the levels (``coaches`` included when coaches are planned), levels
left out, ``stable``, a minimum QPV share, transport costs, every student QPV or none, seats
for nobody or for everyone, a session at a venue nobody can reach, pins on pairs that may or may
not hold, on top of what :func:`strategies.instances` already varies (periods with holidays,
one- and two-week and odd-range offers, AM/PM/DAY sessions, reserved seats, reserved schools,
unavailable dates, ``travel_times`` overrides, communes).

:func:`write_form` writes it as a coordinator's files: a clean CSV folder, a French Excel export
(``;``, decimal commas, CRLF, BOM or cp1252, a ``sep=;`` line, shuffled and extra columns,
headers renamed through a ``--columns`` mapping), an Excel workbook or a JSON document.

:data:`BREAKAGES` are mistakes made on a valid CSV folder, each knowing the (table, row, column)
its problem must name. At most one per table is made at once: a row with one broken cell is
left out of the checks across rows (references, duplicate ids), so a second mistake on that row
is only reported once the first is fixed (a known limitation, see the report of this audit).
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from strategies import COMMUNES, instances

from stagematch.io import write_dataset
from stagematch.model import LEVELS, Instance

FORMS = ("csv", "french_csv", "xlsx", "json")
RENAMED = {"students": {"Identifiant élève": "student_id", "UAI": "school_id"}}
"""Headers a coordinator's own spreadsheet might use, mapped back by ``--columns``."""


@st.composite
def scenarios(draw: st.DrawFn) -> Instance:
    """A small valid dataset over every setting and shape of the SPEC (see the module)."""
    data = draw(instances(max_students=6, max_offers=4, max_slots=4)).to_dict()
    settings = data["settings"]
    levels = list(LEVELS)
    if draw(st.integers(0, 2)) == 0:
        settings.update(
            coach_capacity=draw(st.integers(1, 3)),
            coach_cost=draw(st.sampled_from([0, 450])),
            coach_cost_per_km=draw(st.sampled_from([0, 1.2])),
            transit_daily_cost=draw(st.sampled_from([0, 4])),
        )
        levels.append("coaches")
    if draw(st.booleans()):  # any order, levels left out
        settings["objective"] = draw(st.lists(st.sampled_from(levels), unique=True, min_size=1))
    settings["stable"] = draw(st.integers(0, 4)) == 0
    settings["qpv_min_share"] = draw(st.sampled_from([0, 0, 0, 30, 100]))
    qpv = draw(st.sampled_from(["mixed", "mixed", "all", "none"]))
    for student in data["students"]:
        if qpv != "mixed":
            student["qpv"] = qpv == "all"
    density = draw(st.sampled_from(["as drawn", "as drawn", "everyone", "nobody"]))
    for item in data["offers"] + data["workshop_slots"]:
        if density == "everyone":
            item["capacity"] = max(item["capacity"], len(data["students"]))
        elif density == "nobody":  # seats exist, but only QPV students may take them
            item["qpv_reserved"] = item["capacity"]
    if data["workshop_slots"] and draw(st.integers(0, 3)) == 0:
        far = dict(data["workshop_slots"][0], slot_id="FAR", lat=48.85, lon=2.35)  # Paris
        far.pop("commune", None)
        data["workshop_slots"].append(far)
    if draw(st.integers(0, 4)) == 0:
        student = draw(st.sampled_from(data["students"]))
        student["pinned_offer"] = [draw(st.sampled_from(data["offers"]))["offer_id"]]
    return Instance.from_dict(data)


# --------------------------------------------------------------------------------------------
# The forms coordinators write


def fingerprint(root: Path) -> dict[str, str]:
    """Every file under ``root`` (or ``root`` itself) with the hash of its bytes."""
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def write_form(instance: Instance, folder: Path, form: str, seed: int) -> tuple[Path, list[str]]:
    """``instance`` written in ``form`` under ``folder``: the input path and the extra CLI
    arguments that read it (``--columns`` for renamed headers)."""
    if form in ("xlsx", "json"):
        return write_dataset(instance, folder / f"dataset.{form}"), []
    path = write_dataset(instance, folder / "dataset")
    if form == "csv":
        return path, []
    rng = random.Random(seed)
    for table in sorted(path.glob("*.csv")):
        rows = list(csv.reader(io.StringIO(table.read_text("utf-8"))))
        table.write_bytes(_french_export(table.stem, rows, rng))
    mapping = folder / "columns.toml"
    lines = []
    for table_name, headers in RENAMED.items():
        lines.append(f"[{table_name}]")
        lines += [f'"{header}" = "{column}"' for header, column in headers.items()]
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, ["--columns", str(mapping)]


def _french_export(table: str, rows: list[list[str]], rng: random.Random) -> bytes:
    """One CSV as a French Excel exports it, its columns shuffled, one added, some renamed."""
    header, body = rows[0], rows[1:]
    order = list(range(len(header)))
    rng.shuffle(order)
    renamed = {c: h for h, c in RENAMED.get(table, {}).items()}
    rows = [[renamed.get(header[k], header[k]) for k in order] + ["remarque"]]
    rows += [[_comma(r[k]) for k in order] + ["à voir; merci"] for r in body]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    text = ("sep=;\r\n" if rng.random() < 0.3 else "") + buffer.getvalue()
    if rng.random() < 0.5:
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode("cp1252", errors="strict") if _cp1252(text) else text.encode("utf-8")


def _comma(cell: str) -> str:
    """A decimal number with a decimal comma, as French spreadsheets write it."""
    head, dot, tail = cell.partition(".")
    numeric = head.lstrip("-").isdigit() and tail.isdigit()
    return f"{head},{tail}" if dot and numeric else cell


def _cp1252(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Mistakes, each with the place its problem must name


@dataclass(frozen=True)
class Breakage:
    """A mistake made on one CSV table: ``apply`` edits its rows (header first) and returns the
    (table, row, column) the problem must name, or ``None`` when the table is too small."""

    table: str
    name: str
    apply: Callable[[list[list[str]]], tuple[int, str] | None]


def _set(column: str, value: Callable[[list[str], dict[str, int]], str]) -> Callable[..., Any]:
    def apply(rows: list[list[str]]) -> tuple[int, str] | None:
        if len(rows) < 2 or column not in rows[0]:
            return None
        index = {c: k for k, c in enumerate(rows[0])}
        rows[1][index[column]] = value(rows[1], index)
        return 2, column

    return apply


def _duplicate_last(column: str) -> Callable[..., Any]:
    """The last row again (with two data rows at least: not the row the other mistakes edit)."""

    def apply(rows: list[list[str]]) -> tuple[int, str] | None:
        if len(rows) < 3:
            return None
        rows.append(list(rows[-1]))
        return len(rows), column

    return apply


def _drop_column(column: str) -> Callable[..., Any]:
    def apply(rows: list[list[str]]) -> tuple[int, str] | None:
        k = rows[0].index(column)
        for row in rows:
            del row[k]
        return 1, column

    return apply


def _day_first(row: list[str], index: dict[str, int]) -> str:
    return "15/06/2026"


BREAKAGES = (
    Breakage("students", "duplicate id", _duplicate_last("student_id")),
    Breakage("students", "unknown school", _set("school_id", lambda r, i: "0599999Z")),
    Breakage("students", "blank id", _set("student_id", lambda r, i: " ")),
    Breakage("students", "bad boolean", _set("qpv", lambda r, i: "peut-être")),
    Breakage("offers", "day-first date", _set("start", _day_first)),
    Breakage("offers", "capacity zero", _set("capacity", lambda r, i: "0")),
    Breakage("offers", "capacity in words", _set("capacity", lambda r, i: "deux")),
    Breakage("offers", "no sector column", _drop_column("sector")),
    Breakage("offers", "duplicate id", _duplicate_last("offer_id")),
    Breakage("workshop_slots", "part", _set("part", lambda r, i: "matin")),
)


def break_folder(folder: Path, chosen: list[Breakage]) -> list[tuple[str, int, str]]:
    """Apply ``chosen`` to the CSV folder; the (table, row, column) of every problem made."""
    expected = []
    for breakage in chosen:
        path = folder / f"{breakage.table}.csv"
        rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
        where = breakage.apply(rows)
        if where is None:
            continue
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        expected.append((breakage.table, *where))
    return expected


__all__ = [
    "BREAKAGES",
    "COMMUNES",
    "FORMS",
    "Breakage",
    "break_folder",
    "fingerprint",
    "scenarios",
    "write_form",
]
