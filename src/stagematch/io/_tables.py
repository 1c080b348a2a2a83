"""From rows of cells to a validated :class:`~stagematch.model.Instance`, whatever the source.

Every reader (CSV folder, Excel workbook, DataFrames, JSON) produces the same intermediate: a
:class:`RawDataset` of :class:`RawTable`\\ s (rows as ``column → value`` with their spreadsheet
row numbers) plus the problems met while reading. :func:`build_instance` then checks headers,
hands the rows to :class:`~stagematch.model.Instance` and merges its problems with the readers',
so that a coordinator gets *one* list with every problem, and not a hundred consequences of one:
a missing table or column is reported once, not once per row that would refer to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InvalidInputError, Problem, display_value
from ..i18n import LANGUAGES, LazyText, lazy_text
from ..model import (
    ID_COLUMNS,
    LOCATION_COLUMNS,
    REQUIRED_TABLES,
    ROW_MODELS,
    TABLES,
    Instance,
    parse_id,
)
from ._cells import cell_text, column_letter
from ._columns import apply_column_map, mapping_from_settings, with_their_headers
from ._raw import RawDataset, RawTable

ROW_TABLES: tuple[str, ...] = TABLES[1:]
"""The tables made of rows (every table but ``settings``), in SPEC order."""

Records = Iterable[tuple[int, Sequence[Any]]]
"""Rows of cells with their spreadsheet row numbers (the header is row 1)."""


def table_from_records(
    name: str, records: Records, problems: list[Problem], *, container: str = "file"
) -> RawTable | None:
    """A table from rows of cells whose first row is the header, or ``None`` if unusable.

    Fully blank rows are skipped (their numbers still count, as in the spreadsheet); cells beyond
    the header or under a column without a name are reported rather than silently dropped.

    Parameters
    ----------
    name
        The table's SPEC name, used in problems.
    records
        ``(row number, cells)`` pairs; the first is the header.
    problems
        Where problems are appended.
    container
        ``"file"`` or ``"sheet"``, for messages about an empty source.
    """
    iterator = iter(records)
    header: list[str] | None = None
    header_number = 1
    for number, cells in iterator:
        header = [cell_text(c).strip() for c in cells]
        header_number = number
        break
    if header is None or not any(header):
        if header is None or not _any_nonblank(iterator):
            problems.append(Problem(name, None, None, None, _empty(container)))
        else:
            problems.append(
                Problem(
                    name,
                    header_number,
                    None,
                    None,
                    lazy_text("the header row is empty: it must be row 1"),
                )
            )
        return None
    if not _header_ok(name, header, header_number, problems):
        return None
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    unnamed_reported: set[int] = set()
    for number, cells in iterator:
        texts = [cell_text(c) for c in cells]
        if not any(t.strip() for t in texts):
            continue
        _check_row_width(name, header, number, texts, unnamed_reported, problems)
        rows.append({c: t for c, t in zip(header, texts, strict=False) if c and t.strip()})
        numbers.append(number)
    return RawTable(name, [c for c in header if c], rows, numbers)


def _check_row_width(
    name: str,
    header: list[str],
    number: int,
    texts: list[str],
    unnamed_reported: set[int],
    problems: list[Problem],
) -> None:
    """Cells beyond the header, or under a column without a name (said once per column)."""
    width = len(header)
    overflow = [t for t in texts[width:] if t.strip()]
    if overflow:
        problems.append(
            Problem(
                name,
                number,
                None,
                display_value(";".join(overflow)),
                lazy_text(
                    "this row has more cells than the header has columns ({width}): quote a "
                    "cell that holds the delimiter, or check the delimiter",
                    width=width,
                ),
            )
        )
    for index, text in enumerate(texts[:width]):
        if text.strip() and not header[index] and index not in unnamed_reported:
            unnamed_reported.add(index)
            problems.append(
                Problem(
                    name,
                    number,
                    None,
                    display_value(text),
                    lazy_text(
                        "column {letter} has values but no name in the header",
                        letter=column_letter(index),
                    ),
                )
            )


def _empty(container: str) -> LazyText:
    """ "The file/sheet/table is empty", whole sentences so that each can be translated."""
    if container == "sheet":
        return lazy_text("the sheet is empty")
    if container == "table":
        return lazy_text("the table is empty")
    return lazy_text("the file is empty")


def _any_nonblank(records: Records) -> bool:
    return any(any(cell_text(c).strip() for c in cells) for _, cells in records)


def _header_ok(name: str, header: list[str], number: int, problems: list[Problem]) -> bool:
    """Report columns named twice; a duplicated column makes the table unusable (which one?)."""
    first_seen: dict[str, int] = {}
    ok = True
    for index, column in enumerate(header):
        if not column:
            continue
        if column in first_seen:
            ok = False
            problems.append(
                Problem(
                    name,
                    number,
                    column,
                    column,
                    lazy_text(
                        "the header names this column twice (columns {first} and {second})",
                        first=column_letter(first_seen[column]),
                        second=column_letter(index),
                    ),
                )
            )
        else:
            first_seen[column] = index
    return ok


def settings_from_records(
    records: Records, dataset: RawDataset, *, container: str = "file"
) -> None:
    """Fill ``dataset.settings`` from ``key, value`` rows (an optional ``key,value`` header).

    Extra cells after the value are joined with ``;``: a list written across cells, or a
    ``;``-list in a ``;``-delimited file that was not quoted, means what the user intended.
    """
    settings: dict[str, Any] = {}
    rows: list[int | None] = []
    first_row: dict[str, int] = {}
    seen_any = False
    for number, cells in records:
        texts = [cell_text(c).strip() for c in cells]
        if not any(texts):
            continue
        key = texts[0]
        value = ";".join(t for t in texts[1:] if t)
        if not seen_any and key.lower() == "key":
            seen_any = True
            continue  # the optional header row
        seen_any = True
        if not key:
            dataset.problems.append(
                Problem(
                    "settings",
                    number,
                    None,
                    display_value(value),
                    lazy_text("a value without a key"),
                )
            )
        elif key in first_row:
            dataset.problems.append(
                Problem(
                    "settings",
                    number,
                    key,
                    display_value(value),
                    lazy_text("setting given twice, first on row {row}", row=first_row[key]),
                )
            )
        else:
            first_row[key] = number
            settings[key] = value
            rows.append(number)
    if not seen_any:
        dataset.problems.append(Problem("settings", None, None, None, _empty(container)))
        dataset.broken.add("settings")
        return
    dataset.settings = settings
    dataset.settings_rows = rows


# --------------------------------------------------------------------------------------------
# Validation of the whole


# A reference problem found by Instance, keyed by (table, column), and the tables it refers to:
# it is a consequence, not news, when one of them could not be read, or holds the id in a row
# that was rejected for its own problems.
_REFERENCES: dict[tuple[str, str], tuple[str, ...]] = {
    ("students", "school_id"): ("schools",),
    ("students", "wished_offers"): ("offers",),
    ("students", "pinned_offer"): ("offers",),
    ("students", "pinned_slots"): ("workshop_slots",),
    ("students", "banned_hosts"): ("hosts",),  # the host ids of the offers table
    ("offers", "reserved_schools"): ("schools",),
    ("travel_times", "origin"): ("students", "schools"),
    ("travel_times", "destination"): ("offers", "workshop_slots"),
}
_REFERENCE_MESSAGES = ("unknown ", "not a")


@dataclass
class _HeaderCheck:
    """Columns a header lacks: ``required`` ones make every row invalid, all are ``ignored``."""

    required: set[str] = field(default_factory=set)
    ignored: set[str] = field(default_factory=set)


def _check_header(table: RawTable, problems: list[Problem]) -> _HeaderCheck:
    """Report missing columns once, on the header row, instead of once per data row."""
    check = _HeaderCheck()
    if table.columns is None:
        return check
    present = set(table.columns)
    model = ROW_MODELS[table.name]
    for column, info in model.model_fields.items():
        if info.is_required() and column not in present:
            problems.append(
                Problem(table.name, 1, column, None, lazy_text("required column is missing"))
            )
            check.required.add(column)
    if table.name in LOCATION_COLUMNS and table.rows:  # a table without rows needs no location
        lat, lon, commune = LOCATION_COLUMNS[table.name]
        if (lat in present) != (lon in present):
            absent = lon if lat in present else lat
            problems.append(
                Problem(
                    table.name,
                    1,
                    absent,
                    None,
                    lazy_text("give both columns {lat} and {lon}", lat=lat, lon=lon),
                )
            )
            check.ignored.add(absent)
        elif lat not in present and commune not in present and table.name != "students":
            problems.append(
                Problem(
                    table.name,
                    1,
                    commune,
                    None,
                    lazy_text(
                        "no location column: add {lat} and {lon}, or {commune}",
                        lat=lat,
                        lon=lon,
                        commune=commune,
                    ),
                )
            )
            check.ignored.add(commune)
    check.ignored |= check.required
    return check


def build_instance(
    raw: RawDataset, columns: Mapping[str, Mapping[str, str]] | None = None
) -> Instance:
    """Validate a raw dataset into an :class:`Instance`, raising every problem at once.

    ``columns`` maps the coordinator's headers to stagematch's columns, per table (see
    :mod:`stagematch.io._columns`); it adds to a ``columns`` setting of the dataset, and
    problems then name the coordinator's headers.

    Raises
    ------
    InvalidInputError
        With the readers' problems and the Instance's, minus those that only restate a table or
        column already reported missing or unreadable.
    """
    mapping = mapping_from_settings(raw)
    for table_name, headers in (columns or {}).items():
        mapping.setdefault(table_name, {}).update(headers)
    renamed = apply_column_map(raw, mapping)
    problems = list(raw.problems)
    broken, checks = _check_tables(raw, problems)
    unknown_ids, given_ids = _ids_given(raw, broken, checks)
    try:
        instance = _validated(raw)
    except InvalidInputError as error:
        key_rows = dict(zip(raw.settings or {}, raw.settings_rows or [], strict=False))
        for problem in [*error.problems, *error.warnings]:
            if _is_consequence(problem, broken, unknown_ids, given_ids, checks):
                continue
            if problem.table == "settings" and problem.row is None and problem.column:
                problem = replace(problem, row=key_rows.get(problem.column))
            problems.append(problem)
        raise InvalidInputError(
            with_their_headers(problems, renamed), language=_language_of(raw)
        ) from None
    if problems:
        raise InvalidInputError(
            with_their_headers(problems, renamed),
            with_their_headers(list(instance.warnings), renamed),
            language=_language_of(raw),
        )
    if renamed:  # warnings name the columns as the coordinator's headers do
        instance.warnings = tuple(with_their_headers(list(instance.warnings), renamed))
    return instance


def _rows(raw: RawDataset, name: str) -> list[dict[str, Any]]:
    table = raw.tables.get(name)
    return table.rows if table is not None else []


def _check_tables(
    raw: RawDataset, problems: list[Problem]
) -> tuple[set[str], dict[str, _HeaderCheck]]:
    """Missing tables and headers: the tables that cannot be read (``broken``) and each read
    table's header check."""
    broken = set(raw.broken)
    checks: dict[str, _HeaderCheck] = {}
    for name in ROW_TABLES:
        table = raw.tables.get(name)
        if table is None:
            if name in REQUIRED_TABLES and name not in broken:
                problems.append(Problem(name, None, None, None, lazy_text("the table is missing")))
            broken.add(name)
        else:
            checks[name] = _check_header(table, problems)
    if raw.settings is None and "settings" not in broken:
        problems.append(Problem("settings", None, None, None, lazy_text("the table is missing")))
        broken.add("settings")
    return broken, checks


def _ids_given(
    raw: RawDataset, broken: set[str], checks: Mapping[str, _HeaderCheck]
) -> tuple[set[str], dict[str, set[str]]]:
    """The tables whose ids cannot all be known (unreadable, incomplete, or lacking a required
    column), and the ids each table's rows give, valid or not (``hosts`` for the offers')."""
    unknown_ids = broken | raw.incomplete
    unknown_ids |= {name for name, check in checks.items() if check.required}
    given_ids = {
        name: {
            str(parse_id(row[column])) for row in _rows(raw, name) if row.get(column) is not None
        }
        for name, column in ID_COLUMNS.items()
    }
    given_ids["hosts"] = {
        str(parse_id(row["host_id"]))
        for row in _rows(raw, "offers")
        if row.get("host_id") is not None
    }
    if "offers" in unknown_ids:
        unknown_ids.add("hosts")
    return unknown_ids, given_ids


def _validated(raw: RawDataset) -> Instance:
    """The :class:`Instance` of the rows read, told their spreadsheet rows and headers."""
    row_numbers: dict[str, Sequence[int | None]] = {
        name: table.row_numbers for name, table in raw.tables.items()
    }
    if raw.settings_rows is not None:
        row_numbers["settings_keys"] = raw.settings_rows
    header_of = {
        name: table.columns for name, table in raw.tables.items() if table.columns is not None
    }
    return Instance(
        settings=raw.settings if raw.settings is not None else {},
        schools=_rows(raw, "schools"),
        students=_rows(raw, "students"),
        offers=_rows(raw, "offers"),
        workshop_slots=_rows(raw, "workshop_slots"),
        travel_times=_rows(raw, "travel_times"),
        row_numbers=row_numbers,
        headers=header_of,
    )


def _language_of(raw: RawDataset) -> str | None:
    """The dataset's ``language`` setting, if it names a language stagematch speaks."""
    value = str((raw.settings or {}).get("language") or "").strip().lower()
    return value if value in LANGUAGES else None


def _is_consequence(
    problem: Problem,
    broken: set[str],
    unknown_ids: set[str],
    given_ids: Mapping[str, set[str]],
    checks: Mapping[str, _HeaderCheck],
) -> bool:
    """Whether an Instance problem only restates a problem reported elsewhere.

    That is: a problem in a table that could not be read, a row-level problem in a column the
    header lacks, or an "unknown id" reference to a table that could not be read or to a row
    that *is* in the input but was rejected for its own (reported) problems: telling the user
    that offer ``O1`` is unknown when its capacity is the problem would send them looking for a
    missing row.
    """
    if problem.table in broken:
        return True
    check = checks.get(problem.table)
    if check is not None and problem.column in check.ignored:
        return True
    targets = _REFERENCES.get((problem.table, problem.column or ""), ())
    if not targets or not problem.message.startswith(_REFERENCE_MESSAGES):
        return False
    return any(t in unknown_ids or problem.value in given_ids.get(t, ()) for t in targets)
