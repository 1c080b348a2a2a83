"""Write the data format reference page and the published JSON Schemas into a docs folder.

``python tools/data_format.py docs`` (run by ``make docs``) rewrites ``docs/data-format.md`` and
``docs/schema/*.schema.json``; ``--check`` only reports whether they are current (a test does the
same). It is a build tool, not part of the package: it loads broken datasets to collect the
messages users actually get, which the runtime never needs to do.

The page lists every table and column with its type, default, an example and its meaning (all
from the row models of :mod:`stagematch.rows`: the meanings are the fields' descriptions), then
the problems validation reports. The problems are not written by hand: each is produced by
feeding a deliberately broken copy of :data:`stagematch.schema.EXAMPLE_DATASET` to the loader.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stagematch.candidates import candidates, data_warnings
from stagematch.errors import InvalidInputError, Problem
from stagematch.io import loads_json
from stagematch.io.writers import csv_cell
from stagematch.rows import LOCATION_COLUMNS, TABLE_DOCS, TABLES
from stagematch.schema import (
    EXAMPLE_DATASET,
    annotation_schema,
    dataset_schema,
    example_value,
    json_value,
    model_of,
    result_schema,
)
from stagematch.transport import TABLE_DOCS as TRANSPORT_COLUMN_DOCS

_MISSING = object()
Mutation = Callable[[dict[str, Any]], None]


def _set(table: str, index: int, column: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target = data[table] if table == "settings" else data[table][index]
        if value is _MISSING:
            target.pop(column, None)
        else:
            target[column] = value

    return mutate


def _duplicate(table: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[table].append(copy.deepcopy(data[table][0]))

    return mutate


def _no_location(table: str) -> Mutation:
    lat, lon, commune = LOCATION_COLUMNS[table]

    def mutate(data: dict[str, Any]) -> None:
        for column in (lat, lon, commune):
            data[table][0].pop(column, None)

    return mutate


def _type_probes(table: str, column: str) -> list[tuple[str, Mutation]]:
    """Bad values for a column, chosen from its schema: (the value as typed, the mutation)."""
    model = model_of(table)
    info = model.model_fields[column]
    schema = annotation_schema(info.rebuild_annotation())
    probes: list[tuple[str, Any]] = []
    if info.is_required():
        probes.append(("(blank)", _MISSING))
    kind = schema["type"]
    if "enum" in schema:
        probes.append(("other", "other"))
    elif schema.get("pattern"):
        probes.append(("5960A", "5960A"))
    elif schema.get("format") == "date":
        probes.append(("14/06/2027", "14/06/2027"))
    elif kind == "boolean":
        probes.append(("maybe", "maybe"))
    elif kind == "integer":
        probes.append(("2.5", "2.5"))
    elif kind == "number":
        probes.append(("twelve", "twelve"))
    elif kind == "array":
        item = schema["items"]
        if item.get("format") == "date":
            probes.append(("2027-02-30", "2027-02-30"))
        elif "enum" in item:
            probes.append(("placed;speed", "placed;speed"))
    for keyword, delta in (("minimum", -1), ("exclusiveMinimum", 0), ("maximum", 1)):
        if keyword in schema:
            bound = schema[keyword] + delta
            probes.append((str(bound), bound))
    index = 0
    if table != "settings":
        index = next(i for i, row in enumerate(EXAMPLE_DATASET[table]) if column in row)
    return [(shown, _set(table, index, column, value)) for shown, value in probes]


def _cross_probes() -> list[tuple[str, str, str, Mutation]]:
    """Problems that involve more than one cell: (table, column, value as typed, mutation)."""
    probes: list[tuple[str, str, str, Mutation]] = [
        ("settings", "period_end", "2027-06-01", _set("settings", 0, "period_end", "2027-06-01")),
        ("settings", "holidays", "2027-07-14", _set("settings", 0, "holidays", ["2027-07-14"])),
        ("settings", "pace", "fast", _set("settings", 0, "pace", "fast")),
    ]

    def weekend(data: dict[str, Any]) -> None:
        data["settings"].update(period_start="2027-06-19", period_end="2027-06-20", holidays=[])
        for slot in data["workshop_slots"]:
            slot["date"] = "2027-06-19"
        for offer in data["offers"]:
            offer.pop("start", None)
            offer.pop("end", None)

    probes.append(("settings", "period_start", "2027-06-19 (a Saturday) to 06-20", weekend))
    for table, column in (
        ("schools", "school_id"),
        ("students", "student_id"),
        ("offers", "offer_id"),
        ("workshop_slots", "slot_id"),
    ):
        probes.append((table, column, "(a second row with the same id)", _duplicate(table)))
    for table, (_, lon, commune) in LOCATION_COLUMNS.items():
        probes.append((table, lon, "(lat without lon)", _set(table, 0, lon, _MISSING)))
        if table != "students":
            probes.append((table, commune, "(no location)", _no_location(table)))
        probes.append((table, commune, "99999", _set(table, 0, commune, "99999")))
    probes += [
        ("students", "school_id", "0599999X", _set("students", 0, "school_id", "0599999X")),
        ("offers", "offer_id", "=O002", _set("offers", 1, "offer_id", "=O002")),
        ("students", "wished_offers", "O999", _set("students", 0, "wished_offers", ["O999"])),
        ("students", "wishes", "astronomy", _set("students", 0, "wishes", ["astronomy"])),
        ("students", "nickname", "Zaza (a column stagematch does not know)", _set("students", 0, "nickname", "Zaza")),
        ("students", "student_id", "S002 (living 800 km from every offer)", _both("students", 1, home_lat=43.3, home_lon=5.4, home_commune=None)),
        ("offers", "offer_id", "O001 (min_age 99)", _set("offers", 0, "min_age", 99)),
        ("workshop_slots", "slot_id", "W001 (at a venue 800 km away)", _both("workshop_slots", 0, lat=43.3, lon=5.4, commune=None)),
        ("settings", "workshops_per_student", "1 (and no workshop session)", _no_sessions),
        ("students", "pinned_offer", "O999", _set("students", 0, "pinned_offer", ["O999"])),
        ("students", "pinned_slots", "W999", _set("students", 0, "pinned_slots", ["W999"])),
        ("students", "banned_hosts", "H99", _set("students", 1, "banned_hosts", ["H99"])),
        ("offers", "reserved_schools", "0599999X", _set("offers", 0, "reserved_schools", ["0599999X"])),
        ("offers", "start", "2027-07-01", _set("offers", 0, "start", "2027-07-01")),
        ("offers", "end", "2027-06-14 (before start 06-15)", _both("offers", 0, start="2027-06-15", end="2027-06-14")),
        ("offers", "start", "2027-06-19 to 06-20 (a weekend)", _both("offers", 0, start="2027-06-19", end="2027-06-20")),
        ("offers", "qpv_reserved", "3 (capacity 2)", _set("offers", 0, "qpv_reserved", 3)),
        ("workshop_slots", "date", "2027-07-01", _set("workshop_slots", 0, "date", "2027-07-01")),
        ("workshop_slots", "date", "2027-06-19 (a Saturday)", _set("workshop_slots", 0, "date", "2027-06-19")),
        ("workshop_slots", "qpv_reserved", "20 (capacity 15)", _set("workshop_slots", 0, "qpv_reserved", 20)),
        ("travel_times", "origin", "X1", _set("travel_times", 0, "origin", "X1")),
        ("travel_times", "destination", "X1", _set("travel_times", 0, "destination", "X1")),
    ]  # fmt: skip
    return probes


def _both(table: str, index: int, **values: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[table][index].update(values)
        for column in [c for c, v in values.items() if v is None]:
            del data[table][index][column]

    return mutate


def _no_sessions(data: dict[str, Any]) -> None:
    data["settings"]["workshops_per_student"] = 1
    data["workshop_slots"] = []
    for student in data["students"]:
        student.pop("pinned_slots", None)


def _problems_of(mutate: Mutation) -> list[Problem]:
    """Errors and warnings of the example with one change; warnings of reach included."""
    data = copy.deepcopy(EXAMPLE_DATASET)
    mutate(data)
    try:
        instance = loads_json(json.dumps(data), source="dataset.json")
    except InvalidInputError as error:
        return [*error.problems, *error.warnings]
    return list(data_warnings(instance, candidates(instance)))


def _messages(table: str, column: str, shown: str, mutate: Mutation) -> list[tuple[str, str]]:
    found = [
        (p.message, p.severity)
        for p in _problems_of(mutate)
        if p.table == table and p.column == column
    ]
    if not found:
        raise AssertionError(f"no problem reported for {table}.{column} = {shown}")
    return list(dict.fromkeys(found))


def _whole_file_problems() -> list[tuple[str, str]]:
    """Problems about the document itself, with what caused them."""

    def drop(data: dict[str, Any]) -> None:
        del data["offers"]

    def extra(data: dict[str, Any]) -> None:
        data["hosts"] = []

    def not_a_list(data: dict[str, Any]) -> None:
        data["offers"] = {"offer_id": "O001"}

    def bad_row(data: dict[str, Any]) -> None:
        data["offers"].append("O003")

    def no_offers(data: dict[str, Any]) -> None:
        data["offers"] = []
        for student in data["students"]:
            for column in ("wished_offers", "pinned_offer", "banned_hosts"):
                student.pop(column, None)
        data.pop("travel_times", None)

    out = []
    for cause, mutate in (
        ("a required table is absent", drop),
        ("a table that stagematch does not know", extra),
        ("a table that is not a list", not_a_list),
        ("a row that is not an object", bad_row),
        ("an offers table with no rows (early in a campaign)", no_offers),
    ):
        for problem in _problems_of(mutate):
            out.append((cause, str(problem)))
    try:
        loads_json('{"settings": {', source="dataset.json")
    except InvalidInputError as error:
        out.append(("text that is not JSON", str(error.problems[0])))
    return out


def _type_text(schema: dict[str, Any]) -> str:
    """A column's type in words, from its JSON Schema."""
    if "enum" in schema:
        words = "one of " + ", ".join(f"`{v}`" for v in schema["enum"] if v is not None)
    elif schema.get("format") == "date":
        words = "date (`YYYY-MM-DD`)"
    elif "pattern" in schema:
        words = "INSEE commune code (5 characters)"
    else:
        kind = schema["type"][0] if isinstance(schema["type"], list) else schema["type"]
        if kind == "array":
            item = _type_text(schema["items"])
            return f"list of {item}, `;`-separated in a cell"
        words = {"boolean": "boolean", "integer": "integer", "number": "number", "string": "text"}[
            kind
        ]
    bounds = []
    if "minimum" in schema:
        bounds.append(f"≥ {schema['minimum']}")
    if "exclusiveMinimum" in schema:
        bounds.append(f"> {schema['exclusiveMinimum']}")
    if "maximum" in schema:
        bounds.append(f"≤ {schema['maximum']}")
    if "minLength" in schema:
        bounds.append("not blank")
    return words + (" " + ", ".join(bounds) if bounds else "")


def _cell(value: Any) -> str:
    """A value as a spreadsheet cell shows it (lists ``;``-joined, booleans true/false)."""
    return csv_cell(json_value(value))


def _md(text: str) -> str:
    """Markdown safe in a table cell: no column break, no line break."""
    return text.replace("|", "\\|").replace("\n", " ")


def _plain(text: str) -> str:
    """Plain text (a message) in a table cell: markdown characters shown as they are."""
    for char in "\\[]*_<`":
        text = text.replace(char, "\\" + char)
    return _md(text)


def _code(value: str) -> str:
    return f"`{value}`" if value else ""


_INTRO = """\
# Data format reference

<!-- Generated by `python tools/data_format.py docs` from the models in stagematch.rows:
     do not edit by hand (a test fails when this page is not current). -->

A dataset has six tables: `settings`, `schools`, `students`, `offers`, `workshop_slots` and the
optional `travel_times`. It comes in three interchangeable forms:

- **a folder of CSV files** (`schools.csv`, `students.csv`, …; UTF-8 or Windows-1252, `,` or `;`
  delimited, a header row) with the settings in `settings.toml` (or a two-column `key,value`
  `settings.csv`);
- **an Excel workbook** (`.xlsx`) with one sheet per table, named as the tables, and a two-column
  `settings` sheet (`key`, `value`);
- **a JSON document** with a `settings` object and one list of row objects per table — its JSON
  Schema is [`schema/dataset.schema.json`](schema/dataset.schema.json).

`stagematch.io.write_dataset(instance, path)` writes any of the three (by the suffix of `path`) and
`stagematch.io.load(path)` reads any of them.

## Cells

- **Blank** means "use the default" (an empty *default* below: no value, the column is
  simply absent); a **required** column may not be blank.
- **Booleans** accept `true`/`false`, `1`/`0`, `yes`/`no`, `oui`/`non`, in any case.
- **Lists** are `;`-separated in a cell (`health;law;media`); JSON may use arrays.
- **Numbers** may use a decimal comma (`12,5`), as French spreadsheets export them.
- **Dates** are ISO `YYYY-MM-DD`; an Excel date cell works too.
- **Ids** are text: leading zeros matter (`0590221V`, `05900`). A whole number typed in Excel
  (`59350` stored as `59350.0`) is read as its digits. An id may not begin with `=`, `+`, `-`,
  `@`, a tab or a line break: spreadsheet programs would read it as a formula, and ids are
  written unchanged in every export (scripts join on them).
- **Text that a spreadsheet would run** (a host name beginning with `=`, `+`, `-`, `@`, a tab
  or a carriage return) is written inert: in every CSV stagematch writes it gets a leading `'`
  and text cells are quoted (OWASP's advice on CSV injection); in a workbook it is a text cell
  with Excel's quote prefix, never a formula. Reading a CSV removes that `'` again, so a dataset
  written by stagematch reads back equal.
- **Locations** are `lat` + `lon` (WGS84 degrees) or a `commune` (5-character INSEE code, resolved
  offline by a table shipped with the package; a code that lost its leading zero gets it back).
  Students' columns are `home_lat`, `home_lon`, `home_commune`; without them a student travels
  from their school.
- **Unknown columns** are kept and ignored (handy for notes), except in `settings`, where an
  unknown key is reported (it is most likely a typo).

## Problems

Bad input never stops at the first mistake: loading reports *every* problem at once, each with its
table, its row as a spreadsheet shows it (the header is row 1, the first data row is row 2), its
column, the value and a plain message.

Each problem has a **severity**:

- **error**: the data cannot be planned. In Python they are `InvalidInputError.problems`; on the
  command line `stagematch validate INPUT` lists them and exits 1; a JSON solve returns
  `{"status": "infeasible_input", "problems": [...], "warnings": [...]}`.
- **warning**: the data is right but awkward, and it is planned anyway: a wish for an offer or a
  sector that no offer has (the wish is ignored, the student's other wishes keep their ranks), an
  offers table with no rows (nobody is placed, workshops are still planned, every student's reason
  is `no_reachable_offer`), an unknown column, a student no offer is open to, an offer or session
  no student can take, an offer or session dated outside the period or on no working day (it is
  left out of the plan, and kept in the dataset). `Instance.warnings` holds those found on
  loading; `Result.warnings` adds those that need travel times (who can reach what);
  `stagematch validate` lists them all and exits 0; `stagematch solve` prints them, writes them
  to `summary.json` (`warnings`) and the report shows them; a JSON solve returns them as
  `warnings`. A wished sector that no offer has is reported once per sector, on the first row
  that wishes it.

The messages below are the ones you get: each was produced by loading a copy of the example
dataset with that one change (and, for warnings of reach, computing who can reach what).
"""


def data_format_markdown() -> str:
    """The data format reference page (markdown), generated from the models.

    Every table and column with its type, whether it is required, its default, an example (from
    :data:`EXAMPLE_DATASET`) and its meaning; then the problems validation reports, each obtained
    by loading a broken copy of the example dataset.

    Raises
    ------
    AssertionError
        When a probe no longer produces a problem (validation lost a check).
    """
    cross: dict[str, list[tuple[str, str, Mutation]]] = {}
    for table, column, shown, mutate in _cross_probes():
        cross.setdefault(table, []).append((column, shown, mutate))
    lines = [_INTRO]
    for table in TABLES:
        model = model_of(table)
        required = table != "travel_times"
        lines.append(f"## {table}\n")
        lines.append(TABLE_DOCS[table] + (" *(optional table)*" if not required else "") + "\n")
        header = "key" if table == "settings" else "column"
        lines.append(f"| {header} | type | default | example | meaning |")
        lines.append("|---|---|---|---|---|")
        probes: list[tuple[str, str, Mutation]] = []
        for column, info in model.model_fields.items():
            schema = annotation_schema(info.rebuild_annotation())
            if info.is_required():
                default = "**required**"
            elif info.default is None:
                default = ""
            else:
                default = _md(_code(_cell(info.default)))
            example = _code(_cell(example_value(table, column)))
            lines.append(
                f"| `{column}` | {_md(_type_text(schema))} | {default} | {_md(example)} | "
                f"{_md(info.description or '')} |"
            )
            probes += [(column, shown, mutate) for shown, mutate in _type_probes(table, column)]
        probes += cross.get(table, [])
        lines.append("")
        lines.append(f"**Problems reported in `{table}`**\n")
        lines.append(f"| {header} | value | severity | message |")
        lines.append("|---|---|---|---|")
        for column, shown, mutate in probes:
            for message, severity in _messages(table, column, shown, mutate):
                lines.append(
                    f"| `{column}` | {_md(_code(shown))} | {severity} | {_plain(message)} |"
                )
        lines.append("")
    lines.append("## The dataset as a whole\n")
    lines.append("| cause | problem as reported (JSON form) |")
    lines.append("|---|---|")
    for cause, problem in _whole_file_problems():
        lines.append(f"| {cause} | {_plain(problem)} |")
    lines.append("")
    lines.append(_transport_outputs())
    lines.append("## Example\n")
    lines.append(
        "The dataset every example above comes from, in the JSON form "
        "(`stagematch.schema.EXAMPLE_DATASET`):\n"
    )
    lines.append("```json")
    lines.append(json.dumps(EXAMPLE_DATASET, indent=2, ensure_ascii=False))
    lines.append("```\n")
    return "\n".join(lines)


def _transport_outputs() -> str:
    """The plan folder's ``transport.csv``: what the transport settings above produce."""
    lines = [
        "## Output: transport.csv\n",
        "With a transport setting, the plan folder holds `transport.csv` beside "
        "`assignments.csv`: one `coach` row per (session, school) group, then one `transit` row "
        "per offer and school for the students placed there who go by public transport (with "
        "`transit_daily_cost`). See Concepts › Transport.\n",
        "| column | meaning |",
        "|---|---|",
        *(f"| `{column}` | {_md(text)} |" for column, text in TRANSPORT_COLUMN_DOCS.items()),
        "",
    ]
    return "\n".join(lines)


def schema_files() -> dict[str, str]:
    """The generated documentation files: path relative to ``docs/`` → content."""

    def dump(schema: dict[str, Any]) -> str:
        return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"

    return {
        "data-format.md": data_format_markdown(),
        "schema/dataset.schema.json": dump(dataset_schema()),
        "schema/result.schema.json": dump(result_schema()),
    }


def write_docs(docs_dir: str | Path, *, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, compare) the generated files under ``docs_dir``.

    Parameters
    ----------
    docs_dir
        The documentation folder (``docs/`` of the repository).
    check
        Only compare: write nothing.

    Returns
    -------
    list of Path
        The files written, or with ``check`` the files that are missing or out of date.
    """
    root = Path(docs_dir)
    out = []
    for name, text in schema_files().items():
        path = root / name
        current = path.read_text("utf-8") if path.is_file() else None
        if current == text:
            continue
        out.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python tools/data_format.py DOCS_DIR [--check]``."""
    parser = argparse.ArgumentParser(
        prog="python tools/data_format.py",
        description="Write the data format page and the JSON Schemas into a docs folder.",
    )
    parser.add_argument("docs_dir", help="the documentation folder, e.g. docs")
    parser.add_argument("--check", action="store_true", help="only report files out of date")
    args = parser.parse_args(argv)
    changed = write_docs(args.docs_dir, check=args.check)
    for path in changed:
        print(f"{'out of date' if args.check else 'written'}: {path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
