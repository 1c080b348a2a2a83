"""A plan: which student goes to which placement (offer) and workshop session (slot).

The plan is deliberately just the decisions. Everything else — travel minutes, wish ranks,
levels, reasons — is derived from a plan and its instance, so a plan read back from
``assignments.csv`` or built by hand can be checked and reported exactly like a solver's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from .rows import ItemKind, is_item_kind


@dataclass(frozen=True, order=True)
class Assignment:
    """One student at one item: an offer (``kind="placement"``) or a slot (``kind="workshop"``)."""

    student_id: str
    kind: ItemKind
    item_id: str


@dataclass(frozen=True)
class Plan:
    """An immutable set of assignments, kept sorted so equal plans compare and print equal."""

    assignments: tuple[Assignment, ...]

    def __init__(self, assignments: Iterable[Assignment | tuple[str, str, str]] = ()) -> None:
        rows = sorted({a if isinstance(a, Assignment) else _assignment(*a) for a in assignments})
        for row in rows:
            if not is_item_kind(row.kind):
                raise ValueError(f"kind must be 'placement' or 'workshop', not {row.kind!r}")
        object.__setattr__(self, "assignments", tuple(rows))

    def __len__(self) -> int:
        return len(self.assignments)

    @cached_property
    def placements(self) -> dict[str, tuple[str, ...]]:
        """Student id → the offer ids they are placed with."""
        return self._by_student("placement")

    @cached_property
    def workshops(self) -> dict[str, tuple[str, ...]]:
        """Student id → the slot ids they attend."""
        return self._by_student("workshop")

    def _by_student(self, kind: ItemKind) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = defaultdict(list)
        for a in self.assignments:
            if a.kind == kind:
                out[a.student_id].append(a.item_id)
        return {k: tuple(v) for k, v in out.items()}

    def to_frame(self) -> pd.DataFrame:
        """``student_id, kind, item_id`` — one row per assignment."""
        return pd.DataFrame(
            [(a.student_id, a.kind, a.item_id) for a in self.assignments],
            columns=["student_id", "kind", "item_id"],
            dtype=str,
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Plan:
        """A plan from any frame with ``student_id, kind, item_id`` (e.g. ``assignments.csv``)."""
        missing = {"student_id", "kind", "item_id"} - set(frame.columns)
        if missing:
            raise ValueError(f"a plan needs the columns {', '.join(sorted(missing))}")
        return cls(
            _assignment(str(s), str(k), str(i))
            for s, k, i in zip(frame["student_id"], frame["kind"], frame["item_id"], strict=True)
        )


def _assignment(student_id: str, kind: str, item_id: str) -> Assignment:
    """An assignment from text (a file, a tuple): the kind is checked, not assumed."""
    if not is_item_kind(kind):
        raise ValueError(f"kind must be 'placement' or 'workshop', not {kind!r}")
    return Assignment(student_id, kind, item_id)
