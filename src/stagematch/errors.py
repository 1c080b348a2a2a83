"""Problems found in input data, and the one error that carries all of them.

A coordinator fixes a spreadsheet once, not once per error: every validation step collects
:class:`Problem` records instead of raising, and the caller raises a single
:class:`InvalidInputError` at the end. A row that pydantic refuses becomes problems too
(:func:`pydantic_problems`), its messages marked for translation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import ValidationError

from .i18n import N_, LazyText, _, lazy_text, ngettext, translate

Severity = Literal["error", "warning"]
"""``error``: the data cannot be planned. ``warning``: it is planned anyway, and the user is told
(a wish no offer matches, an offer dated outside the period, a student nobody can host...)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as the user sees it.

    ``row`` is the row number a spreadsheet shows (header = 1, first data row = 2); it is ``None``
    for problems about a whole table or file. ``column`` is ``None`` for problems about a whole row
    or table. ``message`` is English (usually a :class:`~stagematch.i18n.LazyText`); ``str()``
    and :meth:`as_dict` give it in the language in force when they are called. ``severity``
    says whether the data can still be planned (``warning``) or not (``error``); every warning
    is listed on the data-format page.
    """

    table: str
    row: int | None
    column: str | None
    value: str | None
    message: str
    severity: Severity = "error"

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"

    def __str__(self) -> str:
        where = (_("warning: ") if self.is_warning else "") + self.table
        if self.row is not None:
            where += _(", row {row}").format(row=self.row)
        if self.column is not None:
            where += _(", column {column!r}").format(column=self.column)
        value = "" if self.value is None else _(" (value {value!r})").format(value=self.value)
        return _("{where}: {message}{value}").format(where=where, message=self.text(), value=value)

    def text(self) -> str:
        """The message in the language in force."""
        return translate(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.text(),
            "severity": self.severity,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        """The inverse of :meth:`as_dict` (``severity`` defaults to ``error``)."""
        return cls(
            str(data["table"]),
            None if data.get("row") is None else int(data["row"]),
            None if data.get("column") is None else str(data["column"]),
            None if data.get("value") is None else str(data["value"]),
            str(data["message"]),
            "warning" if data.get("severity") == "warning" else "error",
        )


def warning(
    table: str, row: int | None, column: str | None, value: str | None, message: str
) -> Problem:
    """A :class:`Problem` that does not block planning."""
    return Problem(table, row, column, value, message, "warning")


def _sort_key(problem: Problem) -> tuple[str, int, str]:
    return (problem.table, problem.row or 0, problem.column or "")


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in reading order: by table, row, column (stable for the rest)."""
    return sorted(problems, key=_sort_key)


class InvalidInputError(ValueError):
    """The input cannot be used; ``problems`` lists every error, ``warnings`` what else was found.

    Warnings given among ``problems`` are moved to ``warnings``: ``problems`` holds errors only,
    so a caller that reports ``problems`` reports why the data was refused.
    """

    def __init__(
        self,
        problems: Iterable[Problem],
        warnings: Iterable[Problem] = (),
        *,
        language: str | None = None,
    ):
        given = list(problems)
        self.problems = sorted_problems(p for p in given if not p.is_warning)
        self.warnings = sorted_problems([*warnings, *(p for p in given if p.is_warning)])
        self.language = language
        """The dataset's ``language`` setting when it could be read: the CLI shows the problems
        in it unless ``--lang`` was given."""
        super().__init__(self.problems)

    def __str__(self) -> str:
        """Every problem (the first 50) in the language in force when it is printed."""
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = _("\n  ... and {n} more").format(n=count - 50) if count > 50 else ""
        head = ngettext(
            "{count} problem(s) in the input:", "{count} problem(s) in the input:", count
        ).format(count=count)
        return f"{head}\n{lines}{more}"


def display_value(value: Any) -> str | None:
    """The value as a short string for a problem message (``None`` when absent)."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---- pydantic's errors as problems, its messages marked for translation ----------------------


PYDANTIC_MESSAGES = {
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "float_type": N_("Input should be a valid number"),
    "finite_number": N_("Input should be a finite number"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing_size": N_("Unable to parse input string as an integer, exceeded maximum size"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "greater_than": N_("Input should be greater than {gt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "less_than": N_("Input should be less than {lt}"),
    "string_too_short": N_("String should have at least {min_length} character{expected_plural}"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "string_type": N_("Input should be a valid string"),
    "literal_error": N_("Input should be {expected}"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, {error}"),
    "date_from_datetime_inexact": N_(
        "Datetimes provided to dates should have zero time - e.g. be exact dates"
    ),
    "date_type": N_("Input should be a valid date"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "tuple_type": N_("Input should be a valid tuple"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
}
"""pydantic's messages for the error types the row models can produce, as pydantic writes them
in English (so English output is pydantic's own), marked for translation."""


DATE_ERRORS = {
    text: text
    for text in (
        N_("input is too short"),
        N_("input is too long"),
        N_("invalid character in year"),
        N_("invalid character in month"),
        N_("invalid character in day"),
        N_("invalid date separator, expected `-`"),
        N_("month value is outside expected range of 1-12"),
        N_("day value is outside expected range"),
        N_("unexpected extra characters at the end of the input"),
        N_("invalid datetime separator, expected `T`, `t`, `_` or space"),
        N_("invalid character in hour"),
    )
}
"""pydantic's reasons why a text is not an ISO date (its English; translated when shown)."""

_DAY_FIRST = re.compile(r"\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4})\s*")


def _day_first(value: Any) -> str | None:
    """The ISO form of a day-first date (``15/06/2026``, ``15.06.2026``, ``15-06-2026``, as
    French spreadsheets write them), to show in the message; ``None`` for anything else."""
    match = _DAY_FIRST.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    day, month, year = (int(match.group(k)) for k in (1, 3, 4))
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def pydantic_message(item: Any) -> str:
    """The message of one pydantic error, as a :class:`~stagematch.i18n.LazyText` where the
    type is one the loaders can produce (pydantic's own English otherwise)."""
    kind = item["type"]
    context = dict(item.get("ctx") or {})
    if kind == "missing":
        return lazy_text(N_("required value is missing"))
    if kind == "extra_forbidden":
        return lazy_text(N_("unknown setting"))
    if kind == "value_error":
        cause = context.get("error")
        reason = cause.args[0] if isinstance(cause, ValueError) and cause.args else None
        if isinstance(reason, LazyText):
            return reason
        return str(item["msg"]).removeprefix("Value error, ")
    template = PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return str(item["msg"])
    if kind == "literal_error":
        # "'walk', 'bike', 'transit' or 'car'": the last "or" is a word to translate.
        head, _or, last = str(context.get("expected", "")).rpartition(" or ")
        if head:
            context["expected"] = lazy_text(N_("{choices} or {last}"), choices=head, last=last)
    if kind in ("date_parsing", "date_from_datetime_parsing"):
        day_first = _day_first(item.get("input"))
        if day_first is not None:
            return lazy_text(N_("expected a date as YYYY-MM-DD: write {iso}"), iso=day_first)
        error = str(context.get("error", ""))
        context["error"] = lazy_text(DATE_ERRORS[error]) if error in DATE_ERRORS else error
    try:
        return lazy_text(template, **context)
    except (KeyError, IndexError):
        return str(item["msg"])


def pydantic_problems(table: str, row: int | None, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = item.get("loc", ())
        column = str(loc[0]) if loc else None
        value = item.get("input") if item["type"] != "missing" else None
        problems.append(Problem(table, row, column, display_value(value), pydantic_message(item)))
    return problems
