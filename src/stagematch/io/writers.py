"""Write a dataset as a CSV folder, an Excel workbook or a JSON document.

:meth:`Instance.to_dict` is the single source of truth, so what is written is exactly what
:func:`~stagematch.io.load` reads back into an equal instance. Cells follow the SPEC's syntax:
lists ``;``-joined, ISO dates, ``true``/``false``, unset optional values blank.

Output appears whole or not at all: everything is written into a temporary sibling first and
moved into place only when complete, so a failure (full disk, a value Excel cannot hold) never
leaves a half-written dataset that would later load as a smaller, valid one.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import types
import typing
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel

from ..cells import is_formula_like, neutralise, text_cell
from ..model import ROW_MODELS, TABLES, Instance, Settings
from ._tables import ROW_TABLES

__all__ = ["write_dataset"]

Row = dict[str, Any]


def write_dataset(instance: Instance, path: str | Path) -> Path:
    """Write ``instance`` in the form ``path`` names, replacing what was there.

    * a path without suffix (or an existing folder): a folder with one CSV file per table
      (UTF-8, ``,``-delimited, every table written, ``travel_times.csv`` included) and
      ``settings.toml``. Other files already in the folder are left alone, except a
      ``settings.csv`` or a differently-cased table file, which would make the folder ambiguous;
    * ``.xlsx``: one workbook, one sheet per table and a ``settings`` sheet (key, value);
    * ``.json``: the document :func:`~stagematch.io.loads_json` reads.

    Parameters
    ----------
    instance
        The dataset to write.
    path
        Where to write it; missing parent folders are created.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        When the suffix names no supported form, or a value cannot be stored in a workbook.
    """
    path = Path(path)
    data = instance.to_dict()
    suffix = path.suffix.lower()
    if path.is_dir() or not suffix:
        _write_folder(data, path)
    elif suffix == ".xlsx":
        _write_file(path, lambda tmp: _write_workbook(data, tmp))
    elif suffix == ".json":
        _write_file(path, lambda tmp: _write_json(data, tmp))
    else:
        raise ValueError(
            f"cannot write {path.name!r}: give a folder (no suffix), an .xlsx or a .json path"
        )
    return path


# --------------------------------------------------------------------------------------------
# Whole-or-nothing output


@contextmanager
def _staging(target: Path) -> Iterator[Path]:
    """A fresh temporary folder next to ``target``, removed on the way out whatever happens.

    A sibling (same file system) makes the final move a rename. ``os.mkdir`` rather than
    ``tempfile`` keeps the user's umask, so the output gets normal permissions.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.tmp"
    os.mkdir(staging)
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_file(target: Path, write: Callable[[Path], None]) -> None:
    with _staging(target) as staging:
        tmp = staging / target.name
        write(tmp)
        os.replace(tmp, target)


def _write_folder(data: Row, target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a folder")
    with _staging(target) as staging:
        for table in ROW_TABLES:
            _write_csv(staging / f"{table}.csv", data[table], ROW_MODELS[table])
        (staging / "settings.toml").write_text(_settings_toml(data["settings"]), encoding="utf-8")
        if not target.exists():
            try:
                os.rename(staging, target)
                return
            except OSError:
                if not target.is_dir():  # not a race with another writer: a real failure
                    raise
        # Into an existing folder: drop files that would make it ambiguous (another casing of a
        # table file, a settings.csv beside our settings.toml), then move ours in one by one.
        written = {p.name for p in staging.iterdir()}
        stale = {"settings.csv"} | written
        for old in target.iterdir():
            if old.is_file() and old.name.lower() in stale and old.name not in written:
                old.unlink()
        for name in sorted(written):
            os.replace(staging / name, target / name)


# --------------------------------------------------------------------------------------------
# Cells


def _columns(rows: Sequence[Row], model: type[BaseModel]) -> list[str]:
    """The model's columns that are required or used (in model order), then extra columns.

    Required columns are written even for a table without rows, so the file reads back valid.
    """
    used: dict[str, None] = {}
    for row in rows:
        used.update(dict.fromkeys(row))
    fields = model.model_fields
    known = [c for c, info in fields.items() if c in used or info.is_required()]
    return known + [c for c in used if c not in fields]


def csv_cell(value: Any) -> str:
    """A JSON-ready value as a CSV cell: lists ``;``-joined, booleans ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, list | tuple):
        return ";".join(csv_cell(v) for v in value)
    return str(value)


def _csv_field(value: Any) -> Any:
    """A cell for :func:`csv.writer`: numbers as numbers (written bare and exact), text
    neutralised (:mod:`stagematch.cells`) and quoted."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    return neutralise(csv_cell(value))


def _write_csv(path: Path, rows: Sequence[Row], model: type[BaseModel]) -> None:
    columns = _columns(rows, model)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow([neutralise(c) for c in columns])
        writer = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        for row in rows:
            writer.writerow([_csv_field(row.get(c)) for c in columns])


def _settings_toml(settings: Row) -> str:
    """TOML with native dates (``period_start = 2026-06-15``), as a coordinator would type it."""
    dates = _date_fields(Settings)
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key in dates and isinstance(value, str):
            out[key] = date.fromisoformat(value)
        elif key == "holidays":
            out[key] = [date.fromisoformat(v) for v in value]
        else:
            out[key] = value
    return tomli_w.dumps(out)


def _date_fields(model: type[Any]) -> set[str]:
    """Fields holding one date (``Optional`` or not): written as real dates in a workbook."""
    out = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
        while typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        if annotation is date:
            out.add(name)
    return out


# --------------------------------------------------------------------------------------------
# JSON and Excel


def _write_json(data: Row, path: Path) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_workbook(data: Row, path: Path) -> None:
    """One sheet per table; numbers, booleans and dates as typed cells, everything else text.

    Text a spreadsheet would run (beginning with ``=``, ``+``, ``-``, ``@``...) is a string cell
    with Excel's quote prefix, so that it stays a value instead of becoming a formula (see
    :mod:`stagematch.cells`). openpyxl stores numbers with 16
    significant digits; the rare float that needs 17 (a computed coordinate, say) is written as
    its exact text instead, so that the workbook reads back equal.
    """
    import openpyxl

    _check_storable(data)
    workbook = openpyxl.Workbook(write_only=True)

    def cell(sheet: Any, value: Any, is_date: bool) -> Any:
        if is_date and isinstance(value, str):
            return date.fromisoformat(value)  # openpyxl gives dates a yyyy-mm-dd format
        if isinstance(value, list | tuple) or (
            isinstance(value, float) and float(f"{value:.16g}") != value
        ):
            value = csv_cell(value)
        if isinstance(value, str) and is_formula_like(value):
            return text_cell(sheet, value)
        return value

    def write_sheet(name: str, header: list[str], rows: list[list[tuple[Any, bool]]]) -> None:
        sheet = workbook.create_sheet(name)
        sheet.append([cell(sheet, column, False) for column in header])
        for values in rows:
            sheet.append([cell(sheet, value, is_date) for value, is_date in values])

    dates = _date_fields(Settings)
    settings = [[(k, False), (v, k in dates)] for k, v in data["settings"].items()]
    write_sheet("settings", ["key", "value"], settings)
    for table in TABLES[1:]:
        model = ROW_MODELS[table]
        columns = _columns(data[table], model)
        dates = _date_fields(model)
        rows = [[(row.get(c), c in dates) for c in columns] for row in data[table]]
        write_sheet(table, columns, rows)
    workbook.save(path)


def _check_storable(data: Row) -> None:
    """Refuse control characters up front: openpyxl would fail half-way through a sheet.

    Raises
    ------
    ValueError
        Naming the table and the row (as the workbook would show it).
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def bad(value: Any) -> bool:
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.search(value) is not None
        return isinstance(value, list) and any(bad(v) for v in value)

    tables: list[tuple[str, list[Row]]] = [("settings", [data["settings"]])]
    tables += [(t, data[t]) for t in TABLES[1:]]
    for table, rows in tables:
        for number, row in enumerate(rows, start=2):
            for column, value in row.items():
                if bad(value) or bad(column):
                    where = f"{table}, column {column!r}"
                    if table != "settings":
                        where = f"{table}, row {number}, column {column!r}"
                    raise ValueError(
                        f"{where}: the value holds control characters, which a workbook cannot "
                        "store"
                    )
