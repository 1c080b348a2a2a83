"""Problems found in input data, and the one error that carries all of them.

A coordinator fixes a spreadsheet once, not once per error: every validation step collects
:class:`Problem` records instead of raising, and the caller raises a single
:class:`InvalidInputError` at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .i18n import _, ngettext, translate


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as the user sees it.

    ``row`` is the row number a spreadsheet shows (header = 1, first data row = 2); it is ``None``
    for problems about a whole table or file. ``column`` is ``None`` for problems about a whole row
    or table. ``message`` is English (usually a :class:`~stagematch.i18n.LazyText`); ``str()``
    and :meth:`as_dict` give it in the language in force when they are called.
    """

    table: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = self.table
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
        }


def _sort_key(problem: Problem) -> tuple[str, int, str]:
    return (problem.table, problem.row or 0, problem.column or "")


class InvalidInputError(ValueError):
    """The input cannot be used; ``problems`` lists everything that is wrong with it."""

    def __init__(self, problems: list[Problem], *, language: str | None = None):
        self.problems = sorted(problems, key=_sort_key)
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
