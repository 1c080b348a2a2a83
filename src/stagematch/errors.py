"""Problems found in input data, and the one error that carries all of them.

A coordinator fixes a spreadsheet once, not once per error: every validation step collects
:class:`Problem` records instead of raising, and the caller raises a single
:class:`InvalidInputError` at the end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]
"""``error``: the data cannot be planned. ``warning``: it is planned anyway, and the user is told
(a wish no offer matches, an offer dated outside the period, a student nobody can host...)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as the user sees it.

    ``row`` is the row number a spreadsheet shows (header = 1, first data row = 2); it is ``None``
    for problems about a whole table or file. ``column`` is ``None`` for problems about a whole row
    or table. ``severity`` says whether the data can still be planned (``warning``) or not
    (``error``); every warning is listed on the data-format page.
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
        where = ("warning: " if self.is_warning else "") + self.table
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        value = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}: {self.message}{value}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
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

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()):
        given = list(problems)
        self.problems = sorted_problems(p for p in given if not p.is_warning)
        self.warnings = sorted_problems([*warnings, *(p for p in given if p.is_warning)])
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems[:50])
        more = f"\n  ... and {count - 50} more" if count > 50 else ""
        super().__init__(f"{count} problem(s) in the input:\n{lines}{more}")


def display_value(value: Any) -> str | None:
    """The value as a short string for a problem message (``None`` when absent)."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."
