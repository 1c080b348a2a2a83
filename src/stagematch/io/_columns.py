"""The coordinator's own column names: a mapping from their headers to stagematch's columns.

A coordinator's spreadsheet has its own headers (``Nom de l'élève``, ``UAI``, ``Code
commune``…). Rather than asking them to rename columns, a mapping says which header is which
column, per table::

    [students]                      # in settings.toml as [columns.students], or a file given
    "Nom de l'élève" = "student_id"  # to --columns / load(..., columns=...)
    UAI = "school_id"

    [schools]
    UAI = "school_id"

In a ``settings`` sheet or CSV the same is one row per table: key ``columns.students``, value
``Nom de l'élève=student_id; UAI=school_id``. The mapping is validated like the rest (an
unknown table or column, a header mapped twice or absent from the table are problems), applied
to the rows before validation, and every problem about a mapped column then names the
coordinator's header, since that is what they see.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError, Problem, display_value
from ..i18n import lazy_text
from ..model import ROW_MODELS
from ._raw import RawDataset, RawTable

ColumnMap = dict[str, dict[str, str]]
"""Table → {the coordinator's header → stagematch's column}."""

SETTING = "columns"


def read_column_map(path: str | Path) -> ColumnMap:
    """A mapping from a TOML file (one table per dataset table, ``header = "column"``).

    Raises
    ------
    InvalidInputError
        When the file cannot be read, is not TOML, or is not shaped as above.
    """
    path = Path(path)
    source = path.name or str(path)
    try:
        document = tomllib.loads(path.read_text("utf-8-sig"))
    except OSError as error:
        raise _fatal(source, lazy_text("cannot read the file: {error}", error=error)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise _fatal(source, lazy_text("not valid TOML: {error}", error=error)) from None
    problems: list[Problem] = []
    mapping = _shaped(document, source, None, problems)
    if problems:
        raise InvalidInputError(problems)
    return mapping


def _fatal(source: str, message: str) -> InvalidInputError:
    return InvalidInputError([Problem(source, None, None, None, message)])


def _shaped(document: Any, table: str, column: str | None, problems: list[Problem]) -> ColumnMap:
    """``document`` as a :data:`ColumnMap`; what is not a table of strings is a problem."""
    if not isinstance(document, Mapping):
        problems.append(
            Problem(
                table,
                None,
                column,
                display_value(document),
                lazy_text("a column mapping is one table per dataset table: header = column"),
            )
        )
        return {}
    mapping: ColumnMap = {}
    for name, headers in document.items():
        if not isinstance(headers, Mapping) or not all(
            isinstance(v, str) for v in headers.values()
        ):
            problems.append(
                Problem(
                    table,
                    None,
                    column,
                    display_value(headers),
                    lazy_text(
                        "the mapping of {table} must be header = column pairs of text",
                        table=name,
                    ),
                )
            )
            continue
        mapping[str(name)] = {str(h).strip(): str(c).strip() for h, c in headers.items()}
    return mapping


def mapping_from_settings(raw: RawDataset) -> ColumnMap:
    """Take the ``columns`` setting out of ``raw.settings`` (it is not a setting of the plan):
    a nested table from TOML or JSON, or ``columns.<table>`` rows of ``header=column`` pairs
    from a sheet or CSV."""
    if not raw.settings:
        return {}
    rows = dict(zip(raw.settings, raw.settings_rows or [], strict=False))
    keys = [k for k in raw.settings if k == SETTING or k.startswith(SETTING + ".")]
    if not keys:
        return {}
    problems = raw.problems
    mapping: ColumnMap = {}
    for key in keys:
        value = raw.settings.pop(key)
        row = rows.get(key)
        if key == SETTING:
            for name, headers in _shaped(value, "settings", key, problems).items():
                mapping.setdefault(name, {}).update(headers)
            continue
        table = key.removeprefix(SETTING + ".")
        pairs = mapping.setdefault(table, {})
        for pair in str(value).split(";"):
            header, equals, column = pair.partition("=")
            if not pair.strip():
                continue
            if not equals or not header.strip() or not column.strip():
                problems.append(
                    Problem(
                        "settings",
                        row,
                        key,
                        display_value(pair.strip()),
                        lazy_text("expected header=column pairs separated by ';'"),
                    )
                )
                continue
            pairs[header.strip()] = column.strip()
    if raw.settings_rows is not None:
        raw.settings_rows = [rows.get(k) for k in raw.settings]
    return mapping


def apply_column_map(raw: RawDataset, mapping: Mapping[str, Mapping[str, str]]) -> ColumnMap:
    """Rename the mapped headers of ``raw``'s tables to stagematch's columns, in place.

    Problems with the mapping go to ``raw.problems`` (table ``settings``, column ``columns``
    for the mapping itself; the table and its header row for a header it lacks). Returns, per
    table, stagematch's column → the coordinator's header, to name problems as they see them.
    """
    renamed: ColumnMap = {}
    for table, headers in mapping.items():
        model = ROW_MODELS.get(table)
        if model is None:
            raw.problems.append(
                Problem(
                    *_WHERE,
                    table,
                    lazy_text(
                        "the column mapping names an unknown table; expected {tables}",
                        tables=", ".join(ROW_MODELS),
                    ),
                )
            )
            continue
        targets = _targets(table, headers, set(model.model_fields), raw.problems)
        raw_table = raw.tables.get(table)
        if raw_table is None:
            continue
        usable = _usable(table, raw_table, targets, raw.problems)
        if not usable:
            continue
        if raw_table.columns is not None:
            raw_table.columns = [usable.get(c, c) for c in raw_table.columns]
        raw_table.rows = [{usable.get(k, k): v for k, v in row.items()} for row in raw_table.rows]
        renamed[table] = {column: header for header, column in usable.items()}
    return renamed


_WHERE = ("settings", None, SETTING)
"""Where a problem with the mapping itself is reported: the ``columns`` setting."""


def _targets(
    table: str, headers: Mapping[str, str], known: set[str], problems: list[Problem]
) -> dict[str, str]:
    """The mapping of one table as column → header, without the pairs that cannot be used (an
    unknown column, a column mapped twice), which are problems."""
    targets: dict[str, str] = {}
    for header, column in headers.items():
        if column not in known:
            problems.append(
                Problem(
                    *_WHERE,
                    f"{header} = {column}",
                    lazy_text("{column} is not a column of {table}", column=column, table=table),
                )
            )
            continue
        if column in targets:
            problems.append(
                Problem(
                    *_WHERE,
                    f"{header} = {column}",
                    lazy_text(
                        "{first} and {second} are both mapped to {column}",
                        first=targets[column],
                        second=header,
                        column=column,
                    ),
                )
            )
            continue
        targets[column] = header
    return targets


def _usable(
    table: str, raw_table: RawTable, targets: Mapping[str, str], problems: list[Problem]
) -> dict[str, str]:
    """header → column for the mapped headers the table has, unless the column is there too."""
    present = set(raw_table.columns) if raw_table.columns is not None else None
    usable: dict[str, str] = {}
    for column, header in targets.items():
        if present is not None and header not in present:
            problems.append(
                Problem(
                    table,
                    1,
                    header,
                    None,
                    lazy_text(
                        "the column mapping names this header ({column}), which the table "
                        "does not have",
                        column=column,
                    ),
                )
            )
            continue
        if present is not None and column in present and column != header:
            problems.append(
                Problem(
                    table,
                    1,
                    header,
                    None,
                    lazy_text(
                        "both {header} (mapped to {column}) and {column} are columns: keep one",
                        header=header,
                        column=column,
                    ),
                )
            )
            continue
        usable[header] = column
    return usable


def with_their_headers(problems: list[Problem], renamed: ColumnMap) -> list[Problem]:
    """Problems about a mapped column, renamed to the coordinator's header."""
    out = []
    for problem in problems:
        header = renamed.get(problem.table, {}).get(problem.column or "")
        out.append(dataclasses.replace(problem, column=header) if header else problem)
    return out
