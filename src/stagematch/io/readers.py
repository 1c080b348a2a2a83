"""Load a dataset from a CSV folder, an Excel workbook, JSON or pandas DataFrames.

All routes give equal :class:`~stagematch.model.Instance`\\ s: every cell is read as the text a
spreadsheet shows (JSON keeps its own types, which the row models parse alike), then validated
once by :func:`~stagematch.io._tables.build_instance`. Bad data never raises anything but one
:class:`~stagematch.errors.InvalidInputError` listing every problem with its table, the row as a
spreadsheet shows it (header = row 1, first data row = 2) and the column.

Input files are only ever opened for reading, and read whole into memory before parsing, so a
workbook open in Excel is neither locked nor touched.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..cells import restore
from ..errors import InvalidInputError, Problem, display_value
from ..i18n import lazy_text
from ..model import TABLES, Instance
from ._cells import ENCODINGS_TRIED, BinaryFileError, UndecodableError, decode_text
from ._raw import RawDataset, RawTable
from ._tables import ROW_TABLES, build_instance, settings_from_records, table_from_records

__all__ = ["from_dataframes", "load", "loads_json"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def load(path: str | Path, *, columns: Mapping[str, Mapping[str, str]] | None = None) -> Instance:
    """Load a dataset from a folder of CSV files, an ``.xlsx`` workbook or a ``.json`` file.

    A folder holds ``schools.csv``, ``students.csv``, ``offers.csv``, ``workshop_slots.csv``,
    optionally ``travel_times.csv``, and the settings as ``settings.toml`` (or a two-column
    ``settings.csv``: key, value). CSV files may be comma- or semicolon-delimited and encoded in
    UTF-8 (with or without BOM) or Windows-1252, as French spreadsheet exports are. A workbook
    has one sheet per table with the same names and a two-column ``settings`` sheet. A JSON
    file has the shape of :meth:`Instance.to_dict`.

    Parameters
    ----------
    path
        The folder, workbook or JSON file. It is only read.
    columns
        The coordinator's headers → stagematch's columns, per table (``{"students": {"UAI":
        "school_id"}}``), added to the dataset's ``columns`` setting; see
        :func:`stagematch.io.read_column_map` and ``docs/data-format.md``.

    Returns
    -------
    Instance
        The validated dataset.

    Raises
    ------
    InvalidInputError
        With every problem found. Rows are numbered as a spreadsheet shows them (header = row 1);
        in ``settings.toml`` and in a JSON document that is not valid, the row is the line.
    """
    path = Path(path)
    source = path.name or str(path)
    if path.is_dir():
        return build_instance(_read_folder(path), columns)
    if not path.exists():
        raise _fatal(source, lazy_text("no such file or folder"))
    suffix = path.suffix.lower()
    if suffix not in (*WORKBOOK_SUFFIXES, ".json"):
        hint = {
            ".csv": lazy_text("give the folder that holds the CSV files, not one of them"),
            ".xls": lazy_text("old .xls workbooks are not read: save it as .xlsx"),
            ".ods": lazy_text("save the workbook as .xlsx"),
        }.get(suffix, lazy_text("give a folder of CSV files, an .xlsx workbook or a .json file"))
        raise _fatal(source, lazy_text("unsupported input: {hint}", hint=hint))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _fatal(
            source, lazy_text("cannot read the file: {error}", error=error.strerror or error)
        ) from None
    if suffix == ".json":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _fatal(source, lazy_text("a JSON file must be UTF-8 text")) from None
        return loads_json(text, source=source, columns=columns)
    return build_instance(_read_workbook(data, source), columns)


def loads_json(
    text: str,
    *,
    source: str = "input",
    columns: Mapping[str, Mapping[str, str]] | None = None,
) -> Instance:
    """Load a dataset from a JSON document shaped like :meth:`Instance.to_dict`.

    The document is an object with a ``settings`` object and one list of row objects per table
    (``travel_times`` optional). Rows are numbered as if the list were a sheet: the row at list
    index *i* is reported as row *i* + 2, as in every other form of the dataset.

    Parameters
    ----------
    text
        The JSON text (for instance read from stdin).
    source
        A name for the document in problems about the document as a whole.

    Raises
    ------
    InvalidInputError
        With every problem found. When the text is not JSON at all, the row is its line.
    """
    return build_instance(_raw_from_json(_json_object(text, source)), columns)


def _json_object(text: str, source: str) -> dict[str, Any]:
    """The JSON document, which must be an object; anything else stops here, as its only problem."""
    try:
        document = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        raise _fatal(
            source,
            lazy_text(
                "not valid JSON: {error} (line {line}, column {column})",
                error=error.msg,
                line=error.lineno,
                column=error.colno,
            ),
            row=error.lineno,
        ) from None
    except RecursionError:
        raise _fatal(source, lazy_text("the JSON document is nested too deeply")) from None
    if not isinstance(document, dict):
        raise _fatal(
            source,
            lazy_text(
                "the JSON document must be an object with a settings object and one list per table"
            ),
        )
    return document


def _raw_from_json(document: dict[str, Any]) -> RawDataset:
    """The tables of a JSON document; a key, settings or table of the wrong shape is a problem."""
    raw = RawDataset()
    for key in document:
        if key not in TABLES:
            raw.problems.append(
                Problem(
                    str(key),
                    None,
                    None,
                    None,
                    lazy_text("unknown table; expected {tables}", tables=", ".join(TABLES)),
                )
            )
    settings = document.get("settings")
    if isinstance(settings, dict):
        raw.settings = {str(k): v for k, v in settings.items()}
    elif "settings" in document:
        raw.problems.append(
            Problem(
                "settings",
                None,
                None,
                display_value(settings),
                lazy_text("settings must be an object"),
            )
        )
        raw.broken.add("settings")
    for name in ROW_TABLES:
        if name not in document or (name == "travel_times" and document[name] is None):
            continue
        _json_table(name, document[name], raw)
    return raw


def _json_table(name: str, rows: Any, raw: RawDataset) -> None:
    """One table of a JSON document into ``raw``: a list of row objects, numbered as a sheet."""
    if not isinstance(rows, list):
        raw.problems.append(
            Problem(
                name,
                None,
                None,
                display_value(rows),
                lazy_text("must be a list of row objects"),
            )
        )
        raw.broken.add(name)
        return
    table = RawTable(name, None, [], [])
    for index, row in enumerate(rows):
        if isinstance(row, dict):
            table.rows.append({str(k): v for k, v in row.items()})
            table.row_numbers.append(index + 2)
        else:
            raw.problems.append(
                Problem(
                    name,
                    index + 2,
                    None,
                    display_value(row),
                    lazy_text("a row must be an object"),
                )
            )
            raw.incomplete.add(name)
    raw.tables[name] = table


def from_dataframes(
    tables: Mapping[str, pd.DataFrame],
    settings: Mapping[str, Any],
    *,
    columns: Mapping[str, Mapping[str, str]] | None = None,
) -> Instance:
    """Build a dataset from one DataFrame per table and a settings mapping.

    Cells are read as a spreadsheet shows them (``59350.0`` → ``"59350"``, a timestamp at
    midnight → its ISO date), so a frame from ``pd.read_csv(..., dtype=str)`` or
    ``pd.read_excel`` gives the same instance as the files. The row at position *i* of a frame
    is reported as row *i* + 2, whatever the frame's index.

    Parameters
    ----------
    tables
        Table name → DataFrame whose columns are the SPEC's columns; ``travel_times`` optional.
    settings
        The settings (``period_start`` and ``period_end`` at least).

    Raises
    ------
    InvalidInputError
        With every problem found, including table names that are not SPEC tables.
    """
    raw = RawDataset(settings=dict(settings))
    for name, frame in tables.items():
        if name not in ROW_TABLES:
            raw.problems.append(
                Problem(
                    str(name),
                    None,
                    None,
                    None,
                    lazy_text("unknown table; expected {tables}", tables=", ".join(ROW_TABLES)),
                )
            )
            continue
        header = [str(c) for c in frame.columns]
        records = [(1, header)]
        records.extend(
            (position + 2, list(cells))
            for position, cells in enumerate(frame.itertuples(index=False, name=None))
        )
        table = table_from_records(name, records, raw.problems, container="table")
        if table is None:
            raw.broken.add(name)
        else:
            raw.tables[name] = table
    return build_instance(raw, columns)


# --------------------------------------------------------------------------------------------
# Folder of CSV files


def _read_folder(folder: Path) -> RawDataset:
    """Read every table file of a folder; missing ones are left for ``build_instance``."""
    raw = RawDataset()
    by_name: dict[str, list[Path]] = {}
    try:
        children = list(folder.iterdir())
    except OSError as error:
        raise _fatal(
            folder.name,
            lazy_text("cannot read the folder: {error}", error=error.strerror or error),
        ) from None
    for child in children:
        if child.is_file():
            by_name.setdefault(child.name.lower(), []).append(child)
    for name in ROW_TABLES:
        path = _one_file(by_name, f"{name}.csv", name, raw)
        if path is None:
            continue
        text = _read_text(path, name, raw)
        if text is None:
            continue
        records = _csv_records(text, name, raw)
        if name in raw.broken:
            continue
        table = table_from_records(name, records, raw.problems)
        if table is None:
            raw.broken.add(name)
        else:
            raw.tables[name] = table
    toml_path = _one_file(by_name, "settings.toml", "settings", raw)
    csv_path = _one_file(by_name, "settings.csv", "settings", raw)
    if toml_path is not None and csv_path is not None:
        raw.problems.append(
            Problem(
                "settings",
                None,
                None,
                None,
                lazy_text("both settings.toml and settings.csv are present: keep only one"),
            )
        )
        raw.broken.add("settings")
    elif toml_path is not None:
        text = _read_text(toml_path, "settings", raw)
        if text is not None:
            _read_toml(text, raw)
    elif csv_path is not None:
        text = _read_text(csv_path, "settings", raw)
        if text is not None:
            records = _csv_records(text, "settings", raw, settings=True)
            if "settings" not in raw.broken:
                settings_from_records(records, raw)
    return raw


def _one_file(
    by_name: Mapping[str, list[Path]], file_name: str, table: str, raw: RawDataset
) -> Path | None:
    """The file of a table, matched without regard to case; two candidates are a problem."""
    candidates = by_name.get(file_name, [])
    if len(candidates) > 1:
        names = ", ".join(sorted(p.name for p in candidates))
        raw.problems.append(
            Problem(
                table,
                None,
                None,
                None,
                lazy_text("several files could be this table: {names}", names=names),
            )
        )
        raw.broken.add(table)
        return None
    return candidates[0] if candidates else None


def _read_text(path: Path, table: str, raw: RawDataset) -> str | None:
    """The decoded text of a file, or ``None`` with a problem recorded."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raw.problems.append(
            Problem(
                table,
                None,
                None,
                None,
                lazy_text("cannot read the file: {error}", error=error.strerror or error),
            )
        )
        raw.broken.add(table)
        return None
    try:
        return decode_text(data)
    except BinaryFileError as error:
        raw.problems.append(Problem(table, None, None, None, error.args[0]))
    except UndecodableError as error:
        raw.problems.append(
            Problem(
                table,
                error.line,
                None,
                f"0x{error.byte:02x}",
                lazy_text(
                    "cannot decode the file: it is neither {encodings}; save it as CSV UTF-8",
                    encodings=ENCODINGS_TRIED,
                ),
            )
        )
    raw.broken.add(table)
    return None


_SEP_LINE = re.compile(r"^sep=(.)\s*$")


def _csv_records(
    text: str, table: str, raw: RawDataset, *, settings: bool = False
) -> list[tuple[int, list[str]]]:
    """Parse CSV text into numbered records, detecting a ``,`` or ``;`` delimiter.

    Records are numbered as a spreadsheet shows them: a record spanning several lines (a quoted
    line break) is one row, and Excel's ``sep=;`` hint line is not a row. A file whose header
    uses another delimiter (tab, ``|``) or has a single column is reported, since its rows would
    otherwise be read as one meaningless column. On a problem, it is recorded, ``table`` is
    marked broken and no record is returned.
    """
    first = _first_line(text)
    hint = _SEP_LINE.match(first)
    if hint is not None:
        text = text.split("\n", 1)[1] if "\n" in text else ""
        first = _first_line(text)
        delimiter = hint.group(1)
    else:
        delimiter = ";" if first.count(";") > first.count(",") else ","
    undelimited = first.strip() and "," not in first and ";" not in first
    if delimiter not in ",;" or (undelimited and (not settings or "\t" in first or "|" in first)):
        raw.problems.append(_delimiter_problem(table, first, delimiter))
        raw.broken.add(table)
        return []
    records: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            # A quote that kept a spreadsheet from running the cell is not part of the text.
            records.append((number, [restore(cell) for cell in cells]))
    except csv.Error as error:
        raw.problems.append(
            Problem(
                table,
                reader.line_num,
                None,
                None,
                lazy_text("cannot read the CSV: {error}", error=error),
            )
        )
        raw.broken.add(table)
        return []
    return records


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0].rstrip("\r")


def _delimiter_problem(table: str, header: str, delimiter: str) -> Problem:
    value = display_value(header)
    if delimiter not in ",;":
        message = lazy_text(
            "columns are separated by {delimiter!r}: use ',' or ';'", delimiter=delimiter
        )
    elif "\t" in header:
        message = lazy_text("columns are separated by tabs: use ',' or ';'")
    elif "|" in header:
        message = lazy_text("columns are separated by '|': use ',' or ';'")
    else:
        message = lazy_text(
            "the header has a single column: columns must be separated by ',' or ';'"
        )
    return Problem(table, 1, None, value, message)


# --------------------------------------------------------------------------------------------
# settings.toml


_TOML_LINE = re.compile(r"at line (\d+)")


def _read_toml(text: str, raw: RawDataset) -> None:
    """Settings from TOML; a ``[settings]`` section is accepted too. Rows are the keys' lines."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = _TOML_LINE.search(str(error))
        raw.problems.append(
            Problem(
                "settings",
                int(match.group(1)) if match else None,
                None,
                None,
                lazy_text("not valid TOML: {error}", error=error),
            )
        )
        raw.broken.add("settings")
        return
    if list(document) == ["settings"] and isinstance(document["settings"], dict):
        document = document["settings"]
    raw.settings = document
    raw.settings_rows = [_toml_key_line(text, key) for key in document]


def _toml_key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*([\"']?){re.escape(key)}\1\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


# --------------------------------------------------------------------------------------------
# Excel workbook


def _read_workbook(data: bytes, source: str) -> RawDataset:
    """Read every table sheet of a workbook (sheet names matched without regard to case)."""
    import openpyxl

    raw = RawDataset()
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file
        raise _fatal(source, lazy_text("cannot read the workbook: {error}", error=error)) from None
    try:
        sheets: dict[str, list[str]] = {}
        for title in workbook.sheetnames:
            sheets.setdefault(title.strip().lower(), []).append(title)
        for name in TABLES:
            titles = sheets.get(name, [])
            if len(titles) > 1:
                raw.problems.append(
                    Problem(
                        name,
                        None,
                        None,
                        None,
                        lazy_text("several sheets could be this table: {titles}", titles=titles),
                    )
                )
                raw.broken.add(name)
                continue
            if not titles:
                continue
            sheet = workbook[titles[0]]
            if not hasattr(sheet, "iter_rows"):
                raw.problems.append(
                    Problem(name, None, None, None, lazy_text("the sheet is a chart"))
                )
                raw.broken.add(name)
                continue
            sheet.reset_dimensions()  # some writers store wrong dimensions: read every row
            records = enumerate(sheet.iter_rows(values_only=True), start=1)
            if name == "settings":
                settings_from_records(records, raw, container="sheet")
                continue
            table = table_from_records(name, records, raw.problems, container="sheet")
            if table is None:
                raw.broken.add(name)
            else:
                raw.tables[name] = table
    finally:
        workbook.close()
    return raw


def _fatal(source: str, message: str, *, row: int | None = None) -> InvalidInputError:
    """The error for a problem with the input as a whole (nothing else can be checked)."""
    return InvalidInputError([Problem(source, row, None, None, message)])
