"""Rebuild ``french_export/`` from ``valid/``: the same data as a French Excel would export it.

Semicolons, decimal commas, CRLF, ``VRAI``/``FAUX``/``Oui``/``Non``, a mix of cp1252 and UTF-8
with BOM, an Excel ``sep=;`` hint line, a trailing blank row, and settings as ``settings.csv``.
The test suite checks that it loads to the same Instance as ``valid/``. Run from this folder:
``python make_french_export.py``.
"""

import csv
import io
import re
from pathlib import Path

SRC, DST = Path("valid"), Path("french_export")
BOOLS = {"true": "VRAI", "false": "FAUX", "oui": "Oui", "no": "Non"}
SETTINGS = [
    ["key", "value"],
    ["period_start", "2026-06-15"],
    ["period_end", "2026-06-26"],
    ["holidays", "2026-06-24"],
    ["default_max_travel_min", "45,0"],
    ["workshops_per_student", "1"],
    ["objective", "qpv_placed;placed;workshops;coverage;preference;travel"],
]


def comma(cell: str) -> str:
    return re.sub(r"^(-?\d+)\.(\d+)$", r"\1,\2", cell)


def rows(name: str) -> list[list[str]]:
    with open(SRC / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def dump(table: list[list[str]], encoding: str, *, bom=False, sep_line=False, blank=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in table:
        writer.writerow([comma(c) for c in row])
    text = ("sep=;\r\n" if sep_line else "") + buffer.getvalue() + (";;;\r\n" if blank else "")
    data = text.encode(encoding)
    return b"\xef\xbb\xbf" + data if bom else data


def main() -> None:
    DST.mkdir(exist_ok=True)
    students = rows("students")
    students = [students[0]] + [[BOOLS.get(c, c) for c in r] for r in students[1:]]
    (DST / "schools.csv").write_bytes(dump(rows("schools"), "utf-8", bom=True))
    (DST / "students.csv").write_bytes(dump(students, "cp1252", blank=True))
    (DST / "offers.csv").write_bytes(dump(rows("offers"), "cp1252", sep_line=True))
    (DST / "workshop_slots.csv").write_bytes(dump(rows("workshop_slots"), "utf-8", bom=True))
    (DST / "travel_times.csv").write_bytes(dump(rows("travel_times"), "cp1252"))
    (DST / "settings.csv").write_bytes(dump(SETTINGS, "cp1252"))


if __name__ == "__main__":
    main()
