"""Cells and bytes as spreadsheets and exports hand them to us.

Every loader turns each cell into the text a coordinator sees in it, so that a CSV folder, an
Excel workbook and a DataFrame give the *same* rows: the row models then parse that text once
(``oui``, ``12,5``, ``2026-06-15``). Reading cells as text is also what keeps ``0590001A`` and
``01001`` intact.
"""

from __future__ import annotations

import codecs
import math
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pandas as pd

from ..i18n import lazy_text

ENCODINGS_TRIED = "UTF-8 or Windows-1252 (cp1252)"
"""The encodings :func:`decode_text` accepts, for messages."""


def cell_text(value: Any) -> str:
    """The text of one cell; ``""`` for an empty cell.

    Text is returned as is: the row models strip what they parse, and an unknown column keeps
    exactly what the user typed whatever the route (JSON included).

    Numbers are written the shortest way that reads back to the same value (``3.0`` → ``"3"``,
    ``50.36205`` → ``"50.36205"``) so that an Excel number and a CSV text give the same field.
    A spreadsheet datetime at midnight is its ISO date; booleans are ``true``/``false``; a list
    (from a DataFrame) is ``;``-joined as in a CSV cell.
    """
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(text for text in (cell_text(v).strip() for v in value) if text)
    return str(value)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 → ``A``, 26 → ``AA``)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class UndecodableError(ValueError):
    """The bytes are no text we know: ``line`` (1-based) and ``byte`` locate the first bad byte."""

    def __init__(self, line: int, byte: int) -> None:
        self.line = line
        self.byte = byte
        super().__init__(f"byte 0x{byte:02x} on line {line} is not {ENCODINGS_TRIED}")


class BinaryFileError(ValueError):
    """The bytes hold NUL characters: a binary file (an ``.xlsx`` renamed ``.csv``, say)."""


def decode_text(data: bytes) -> str:
    """Decode a text file as French exports come: UTF-8 (with or without BOM), else cp1252.

    UTF-8 is tried first because it is strict: cp1252 text with accents is almost never valid
    UTF-8, while cp1252 accepts nearly any byte. A UTF-16 file is accepted when it has a BOM
    (Excel's "Unicode text"). A UTF-8 BOM in front of cp1252 bytes (a file converted twice) is
    dropped rather than shown as ``ï»¿``.

    Raises
    ------
    BinaryFileError
        When the bytes contain NUL characters.
    UndecodableError
        When the bytes are neither UTF-8 nor cp1252 (cp1252 leaves five byte values undefined).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        raise BinaryFileError(
            lazy_text("the file holds NUL bytes: it is a binary file, not a text file")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError as error:
        position = error.start
        line = body[:position].count(b"\n") + 1
        raise UndecodableError(line, body[position]) from None
