"""What a reader got from its source, before validation: the one intermediate of every reader.

Every reader (CSV folder, Excel workbook, DataFrames, JSON) fills a :class:`RawDataset` of
:class:`RawTable`\\ s; the column mapping (:mod:`._columns`) renames their headers and
:mod:`._tables` turns them into an :class:`~stagematch.instance.Instance`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem


@dataclass
class RawTable:
    """One table as read: rows of ``column → value`` and the spreadsheet row of each.

    ``columns`` is the header, or ``None`` for sources without one (JSON), where a missing
    column is a missing key in each row and is reported row by row.
    """

    name: str
    columns: list[str] | None
    rows: list[dict[str, Any]]
    row_numbers: list[int]


@dataclass
class RawDataset:
    """Everything a reader got from its source, before validation.

    ``broken`` names the tables (``settings`` included) that exist but could not be read; their
    problems are already in ``problems`` and nothing that follows from their absence is reported.
    ``incomplete`` names tables some rows of which could not be read (a JSON row that is not an
    object): a reference to an id they might hold is not reported as unknown.
    """

    tables: dict[str, RawTable] = field(default_factory=dict)
    settings: dict[str, Any] | None = None
    settings_rows: list[int | None] | None = None
    problems: list[Problem] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)
    incomplete: set[str] = field(default_factory=set)
