"""Problems found in input data, and the one error that carries all of them.

A coordinator fixes a spreadsheet once, not once per error: every validation step collects
:class:`Problem` records instead of raising, and the caller raises a single
:class:`InvalidInputError` at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as the user sees it.

    ``row`` is the row number a spreadsheet shows (header = 1, first data row = 2); it is ``None``
    for problems about a whole table or file. ``column`` is ``None`` for problems about a whole row
    or table.
    """

    table: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.table
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
        }


def _sort_key(problem: Problem) -> tuple[str, int, str]:
    return (problem.table, problem.row or 0, problem.column or "")


class InvalidInputError(ValueError):
    """The input cannot be used; ``problems`` lists everything that is wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=_sort_key)
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
