"""The validated whole: :class:`Instance`, a dataset whose every problem has been reported.

The rows come from :mod:`stagematch.rows` (one pydantic model per table); the checks that
involve more than one cell come from :mod:`stagematch.validation`; the column arrays the hot
paths use (:attr:`Instance.arrays`) from :mod:`stagematch.arrays`. The imports run one way:
rows ← arrays, validation ← instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cache, cached_property
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .arrays import InstanceArrays
from .errors import InvalidInputError, Problem, pydantic_problems, sorted_problems, warning
from .i18n import lazy_text
from .parsing import is_blank
from .rows import (
    REQUIRED_TABLES,
    ROW_MODELS,
    TABLES,
    Offer,
    School,
    Settings,
    Student,
    TravelTime,
    WorkshopSlot,
)
from .validation import InstanceChecks


def _rows_of(table: str, rows: Iterable[Any]) -> list[Any]:
    if isinstance(rows, str | bytes | Mapping):
        raise TypeError(f"{table} must be a sequence of rows, not {type(rows).__name__}")
    return list(rows)


@cache
def _rows_adapter(table: str) -> TypeAdapter[list[Any]]:
    """One serialiser for a whole table: each row as ``model_dump`` gives it, in one call
    (a quarter of the time of a ``model_dump`` per row, which the académie's 70,000 rows feel)."""
    model: Any = ROW_MODELS[table]
    return TypeAdapter(list[model])


def _as_plain(row: Any) -> Any:
    """Blank cells mean 'use the default': drop them before validation."""
    if isinstance(row, Mapping):
        return {str(k): v for k, v in row.items() if not is_blank(v)}
    return row


class Instance(InstanceChecks):
    """A validated dataset: settings, schools, students, offers, workshop slots, travel times.

    Build it from row models or plain dictionaries (blank values mean "use the default")::

        Instance(settings={"period_start": "2026-06-15", "period_end": "2026-06-26"},
                 schools=[{"school_id": "0590001A", "commune": "59606"}], students=[...],
                 offers=[...], workshop_slots=[])

    Every problem is collected before one :class:`~stagematch.errors.InvalidInputError` is
    raised. ``row_numbers`` (table → spreadsheet row of each record) lets loaders report rows as
    the user's file shows them; without it, record *i* is row *i* + 2 (header = row 1).
    ``headers`` (table → its header row, for loaders that have one) lets an unknown column be
    reported once, on row 1, even where every cell of it is blank; ``warnings`` are problems a
    loader already found that do not block planning.

    Data that is right but awkward is planned anyway, and said: :attr:`warnings` lists those
    problems (severity ``warning``; the data-format page lists every one). An offer or workshop
    session dated outside the period can never be assigned: it is warned about and left out of
    :attr:`offers` / :attr:`workshop_slots` (ids that refer to it stay valid; :meth:`to_dict`
    keeps it, so the dataset written back is the dataset read).

    The instance is immutable; its rows keep the values as given (a location given as a commune
    stays a commune) and the resolved points and time spans are derived properties.
    """

    def __init__(
        self,
        settings: Settings | Mapping[str, Any],
        schools: Iterable[School | Mapping[str, Any]],
        students: Iterable[Student | Mapping[str, Any]],
        offers: Iterable[Offer | Mapping[str, Any]],
        workshop_slots: Iterable[WorkshopSlot | Mapping[str, Any]] = (),
        travel_times: Iterable[TravelTime | Mapping[str, Any]] = (),
        *,
        row_numbers: Mapping[str, Sequence[int | None]] | None = None,
        headers: Mapping[str, Sequence[str]] | None = None,
        warnings: Iterable[Problem] = (),
    ) -> None:
        problems: list[Problem] = list(warnings)
        self._settings_ok = True
        self._row_numbers = {k: list(v) for k, v in (row_numbers or {}).items()}
        self.settings = self._validate_settings(settings, problems)
        raw = {
            "schools": _rows_of("schools", schools),
            "students": _rows_of("students", students),
            "offers": _rows_of("offers", offers),
            "workshop_slots": _rows_of("workshop_slots", workshop_slots),
            "travel_times": _rows_of("travel_times", travel_times),
        }
        valid: dict[str, list[Any]] = {}
        self._failed_rows = {}
        for table, rows in raw.items():
            valid[table] = self._validate_rows(table, rows, problems)
        self.schools = _present(valid["schools"])
        self.students = _present(valid["students"])
        self.offers = _present(valid["offers"])
        self.workshop_slots = _present(valid["workshop_slots"])
        self.travel_times = _present(valid["travel_times"])
        for table in ("schools", "students"):
            if not raw[table]:
                problems.append(
                    Problem(table, None, None, None, lazy_text("the table has no rows"))
                )
        if not raw["offers"]:
            problems.append(
                warning(
                    "offers",
                    None,
                    None,
                    None,
                    lazy_text(
                        "the table has no rows: nobody is placed, workshops are still planned"
                    ),
                )
            )
        # Cross-checks run on the rows that passed; the ids of those that failed still count
        # for duplicates and references (see InstanceChecks._ids_of_failed_rows).
        self._valid_positions = {
            table: [i for i, row in enumerate(rows) if row is not None]
            for table, rows in valid.items()
        }
        self._rows_as_given = {table: self.table(table) for table in TABLES[1:]}
        self._offers_complete = all(row is not None for row in valid["offers"])
        never = self._run_checks(headers or {}, problems)
        if any(not p.is_warning for p in problems):
            raise InvalidInputError(problems)
        self.warnings: tuple[Problem, ...] = tuple(sorted_problems(problems))
        """Problems that did not stop planning (severity ``warning``), in reading order."""
        self._leave_out(never)

    # ---- construction helpers -------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Instance:
        """An instance from one mapping with one list per table and a ``settings`` object."""
        problems = [
            Problem(table, None, None, None, lazy_text("the table is missing"))
            for table in REQUIRED_TABLES
            if table not in data
        ]
        if problems:
            raise InvalidInputError(problems)
        return cls(
            settings=data["settings"],
            schools=data["schools"],
            students=data["students"],
            offers=data["offers"],
            workshop_slots=data["workshop_slots"],
            travel_times=data.get("travel_times") or (),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (dates as ISO strings, unset values left out); ``from_dict`` inverts it."""
        out: dict[str, Any] = {
            "settings": self.settings.model_dump(mode="json", exclude_unset=True)
        }
        for table in TABLES[1:]:
            rows = list(self._rows_as_given[table])
            out[table] = _rows_adapter(table).dump_python(rows, mode="json", exclude_none=True)
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Instance):
            return NotImplemented
        return self.settings == other.settings and all(
            self._rows_as_given[t] == other._rows_as_given[t] for t in TABLES[1:]
        )

    def __hash__(self) -> int:
        return hash((self.settings, len(self.students), len(self.offers)))

    def __repr__(self) -> str:
        return (
            f"Instance({len(self.students)} students, {len(self.schools)} schools, "
            f"{len(self.offers)} offers, {len(self.workshop_slots)} workshop slots, "
            f"{len(self.travel_times)} travel times, period {self.settings.period_start}"
            f"..{self.settings.period_end})"
        )

    def row_of(self, table: str, index: int) -> int | None:
        """The spreadsheet row of ``self.table(table)[index]`` (rows left out are skipped)."""
        return self.row_number(table, self._valid_positions[table][index])

    def _validate_settings(
        self, settings: Settings | Mapping[str, Any], problems: list[Problem]
    ) -> Settings:
        self._settings_keys = []
        if isinstance(settings, Settings):
            return settings
        rows = self._row_numbers.get("settings_keys")
        keys = list(settings) if isinstance(settings, Mapping) else []
        self._settings_keys = keys
        try:
            return Settings.model_validate(_as_plain(settings))
        except ValidationError as error:
            for problem in pydantic_problems("settings", None, error):
                row = None
                if rows is not None and problem.column in keys:
                    row = rows[keys.index(problem.column)]
                problems.append(
                    Problem(problem.table, row, problem.column, problem.value, problem.message)
                )
        # A stand-in so row checks can run; date checks are skipped, problems are raised at the end.
        self._settings_ok = False
        return Settings(period_start=date(2000, 1, 3), period_end=date(2000, 1, 3))

    def _validate_rows(self, table: str, rows: list[Any], problems: list[Problem]) -> list[Any]:
        model = ROW_MODELS[table]
        out: list[Any] = []
        for position, row in enumerate(rows):
            if isinstance(row, model):
                out.append(row)
                continue
            try:
                out.append(model.model_validate(_as_plain(row)))
            except ValidationError as error:
                problems.extend(pydantic_problems(table, self.row_number(table, position), error))
                self._failed_rows.setdefault(table, {})[position] = _as_plain(row)
                out.append(None)
        return out

    @property
    def n_half_days(self) -> int:
        """Half-days in the period (two per working day): the most a student can cover."""
        return 2 * len(self.working_days)

    def half_days_of_offer(self, offer: Offer) -> tuple[int, int]:
        """The first and last half-day index (inclusive) an offer covers."""
        days = self.working_days
        first = offer.start or self.settings.period_start
        last = offer.end or self.settings.period_end
        lo = next(i for i, d in enumerate(days) if d >= first)
        hi = max(i for i, d in enumerate(days) if d <= last)
        return 2 * lo, 2 * hi + 1

    def half_days_of_slot(self, slot: WorkshopSlot) -> tuple[int, int]:
        """The first and last half-day index (inclusive) a workshop session covers."""
        i = self.working_days.index(slot.date)
        return {"AM": (2 * i, 2 * i), "PM": (2 * i + 1, 2 * i + 1), "DAY": (2 * i, 2 * i + 1)}[
            slot.part
        ]

    def half_days_of_date(self, day: date) -> tuple[int, int] | None:
        """Both half-days of a working day, or ``None`` when the date is not worked."""
        try:
            i = self.working_days.index(day)
        except ValueError:
            return None
        return 2 * i, 2 * i + 1

    @cached_property
    def arrays(self) -> InstanceArrays:
        """Column arrays of the whole instance, for the solver and other hot paths."""
        return InstanceArrays.from_instance(self)


def _present(rows: list[Any]) -> tuple[Any, ...]:
    return tuple(row for row in rows if row is not None)
