"""Cell parsers shared by every loader, and the column types built on them.

Coordinators type ``oui``/``non``, ``health;law``, ``12,5`` or an Excel date; the row models of
:mod:`stagematch.rows` accept all of it through the ``BeforeValidator``\\ s below, so a CSV cell,
an Excel cell, a JSON value and a keyword argument go through one parser.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from .cells import neutralise
from .i18n import N_, lazy_text

_TRUE = {"true", "1", "yes", "oui", "y", "o", "vrai"}
_FALSE = {"false", "0", "no", "non", "n", "faux"}


def is_blank(value: Any) -> bool:
    """A blank cell (``None``, NaN, empty or spaces) means "use the default"."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def parse_bool(value: Any) -> Any:
    """``true/false``, ``1/0``, ``yes/no``, ``oui/non`` in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(lazy_text(N_("expected a boolean: true/false, 1/0, yes/no or oui/non")))


def parse_number(value: Any) -> Any:
    """Numbers, accepting a decimal comma (``12,5``) as French spreadsheets export them."""
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        return text
    return value


def parse_int(value: Any) -> Any:
    """Integers; ``3.0`` (as Excel stores whole numbers) is accepted, ``3.5`` is not."""
    value = parse_number(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        if number.is_integer():
            return int(number)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def parse_id(value: Any) -> Any:
    """Ids are strings; a whole number from Excel becomes its digits (``59350.0`` → ``"59350"``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def parse_commune(value: Any) -> Any:
    """INSEE codes have five characters; a number that lost its leading zero gets it back."""
    value = parse_id(value)
    if isinstance(value, str) and value.isdigit() and len(value) < 5:
        return value.zfill(5)
    return value


def split_list(value: Any) -> Any:
    """``a;b;c`` → ``("a", "b", "c")``; lists and tuples pass through."""
    if is_blank(value):
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    if isinstance(value, list | tuple):
        return tuple(parse_id(v) for v in value)
    return value


def parse_date(value: Any) -> Any:
    """ISO dates; a spreadsheet datetime at midnight is taken as its date."""
    if hasattr(value, "date") and callable(value.date) and not isinstance(value, str):
        return value.date()
    if isinstance(value, str):
        return value.strip()
    return value


def inert_id(value: str) -> str:
    """Refuse an id a spreadsheet would read as a formula: ids are written unchanged in every
    export (scripts join on them), so they must be safe as they are (see :mod:`.cells`)."""
    if neutralise(value) != value:
        raise ValueError(
            lazy_text(
                "an id may not begin with =, +, -, @ (nor have one right after a comma, a "
                "semicolon or a line break): spreadsheet programs would read it as a formula"
            )
        )
    return value


Id = Annotated[str, BeforeValidator(parse_id), Field(min_length=1), AfterValidator(inert_id)]
Commune = Annotated[str, BeforeValidator(parse_commune), Field(pattern=r"^[0-9][0-9AB][0-9]{3}$")]
Flag = Annotated[bool, BeforeValidator(parse_bool)]
Minutes = Annotated[float, BeforeValidator(parse_number), Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, BeforeValidator(parse_int), Field(ge=0)]
Latitude = Annotated[float, BeforeValidator(parse_number), Field(ge=-90, le=90)]
Longitude = Annotated[float, BeforeValidator(parse_number), Field(ge=-180, le=180)]
IsoDate = Annotated[date, BeforeValidator(parse_date)]
IdList = Annotated[tuple[str, ...], BeforeValidator(split_list)]
DateList = Annotated[tuple[IsoDate, ...], BeforeValidator(split_list)]
Percent = Annotated[int, BeforeValidator(parse_int), Field(ge=0, le=100)]
Euros = Annotated[float, BeforeValidator(parse_number), Field(ge=0, allow_inf_nan=False)]


def lower_word(value: Any) -> Any:
    """Choices typed in any case (``Transit``, `` FR``) read as the lower-case word."""
    return value.strip().lower() if isinstance(value, str) else value


def upper_word(value: Any) -> Any:
    """Choices typed in any case (``am``) read as the upper-case word."""
    return value.strip().upper() if isinstance(value, str) else value
