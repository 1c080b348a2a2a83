"""The checks of a dataset that involve more than one cell, and pydantic's messages in French.

A row model checks its own cells; what needs several cells, rows or tables (a location given as
lat+lon or commune, unique ids, references between tables, dates against the period, reserved
seats against capacity) is checked here, on the rows that passed their own validation. Every
check appends :class:`~stagematch.errors.Problem`\\ s located by table, spreadsheet row and
column, so :class:`~stagematch.instance.Instance` can report them all at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .errors import Problem, display_value, warning
from .geo import communes
from .i18n import lazy_text
from .parsing import Id
from .rows import (
    COACHES,
    ID_COLUMNS,
    LOCATION_COLUMNS,
    ROW_MODELS,
    TABLES,
    Offer,
    School,
    Settings,
    Student,
    TravelTime,
    WorkshopSlot,
)

_ID: TypeAdapter[str] = TypeAdapter(Id)


@dataclass(frozen=True)
class _KnownIds:
    """The ids other tables may refer to."""

    schools: set[str]
    students: set[str]
    offers: set[str]
    slots: set[str]
    host_of: dict[str, str]

    @cached_property
    def hosts(self) -> set[str]:
        """Every host id (built once: every student's banned hosts are looked up in it)."""
        return set(self.host_of.values())


class InstanceChecks:
    """The cross-cell checks of :class:`~stagematch.instance.Instance`, and the row bookkeeping
    they share (a record's position in its input table and its spreadsheet row)."""

    settings: Settings
    schools: tuple[School, ...]
    students: tuple[Student, ...]
    offers: tuple[Offer, ...]
    workshop_slots: tuple[WorkshopSlot, ...]
    travel_times: tuple[TravelTime, ...]
    _settings_ok: bool
    _offers_complete: bool
    _row_numbers: dict[str, list[int | None]]
    _settings_keys: list[str]
    _valid_positions: dict[str, list[int]]
    _failed_rows: dict[str, dict[int, Any]]

    def table(self, name: str) -> tuple[Any, ...]:
        """The rows of a table by its SPEC name."""
        if name not in TABLES[1:]:
            raise KeyError(f"unknown table {name!r}; expected one of {', '.join(TABLES[1:])}")
        return tuple(getattr(self, name))

    def row_number(self, table: str, position: int) -> int | None:
        """The spreadsheet row of the record at ``position`` in the input table."""
        numbers = self._row_numbers.get(table)
        if numbers is not None and position < len(numbers):
            return numbers[position]
        return position + 2

    def _positions(self, table: str) -> list[tuple[int, Any]]:
        rows = self.table(table)
        return list(zip(self._valid_positions[table], rows, strict=True))

    def _ids_of_failed_rows(self, table: str, column: str) -> dict[int, str]:
        """The valid ids in ``column`` of the rows of ``table`` that failed their own checks.

        Such a row is already reported for its bad cell; its id still counts, so that a second
        row with the same id is reported as a duplicate and the rows that refer to it are not
        reported as referring to an unknown id (one mistake, one message).
        """
        ids: dict[int, str] = {}
        for position, row in self._failed_rows.get(table, {}).items():
            cell = row.get(column) if isinstance(row, Mapping) else getattr(row, column, None)
            if cell is None:
                continue
            try:
                ids[position] = _ID.validate_python(cell)
            except ValidationError:
                continue  # the row's own message names this cell
        return ids

    def _check_unique_ids(self, problems: list[Problem]) -> None:
        for table, column in ID_COLUMNS.items():
            first_seen: dict[str, int] = {}
            keys = {position: getattr(row, column) for position, row in self._positions(table)}
            keys.update(self._ids_of_failed_rows(table, column))
            for position, key in sorted(keys.items()):
                if key in first_seen:
                    problems.append(
                        Problem(
                            table,
                            self.row_number(table, position),
                            column,
                            key,
                            lazy_text(
                                "duplicate id, first used on row {row}",
                                row=self.row_number(table, first_seen[key]),
                            ),
                        )
                    )
                else:
                    first_seen[key] = position

    def _check_locations(self, problems: list[Problem]) -> None:
        table_of_communes = communes()
        for table, (lat_col, lon_col, commune_col) in LOCATION_COLUMNS.items():
            optional = table == "students"
            for position, row in self._positions(table):
                lat, lon, commune = (getattr(row, c) for c in (lat_col, lon_col, commune_col))
                where = (table, self.row_number(table, position))
                if (lat is None) != (lon is None):
                    missing = lon_col if lon is None else lat_col
                    problems.append(
                        Problem(
                            *where,
                            missing,
                            None,
                            lazy_text("give both {lat} and {lon}", lat=lat_col, lon=lon_col),
                        )
                    )
                elif lat is None and commune is None and not optional:
                    problems.append(
                        Problem(
                            *where,
                            commune_col,
                            None,
                            lazy_text(
                                "no location: give {lat} and {lon}, or {commune}",
                                lat=lat_col,
                                lon=lon_col,
                                commune=commune_col,
                            ),
                        )
                    )
                if commune is not None and commune not in table_of_communes.index:
                    problems.append(
                        Problem(*where, commune_col, commune, "unknown INSEE commune code")
                    )
                elif (
                    commune is not None and lat is None and not table_of_communes.has_point(commune)
                ):
                    problems.append(
                        Problem(
                            *where,
                            commune_col,
                            commune,
                            lazy_text(
                                "this commune has no known point; give {lat} and {lon}",
                                lat=lat_col,
                                lon=lon_col,
                            ),
                        )
                    )

    def _run_checks(
        self, headers: Mapping[str, Sequence[str]], problems: list[Problem]
    ) -> dict[str, set[int]]:
        """Every cross-cell check, in reading order; returns the positions of the offers and
        sessions that can never be assigned (dated outside the period or on no working day)."""
        self._check_unique_ids(problems)
        self._check_columns(headers, problems)
        self._check_locations(problems)
        self._check_references(problems)
        self._check_wished_sectors(problems)
        self._check_workshops_wanted(problems)
        never = self._check_dates(problems)
        self._check_seats(problems)
        self._check_pins_assignable(never, problems)
        self._check_transport(problems)
        return never

    def _known_ids(self) -> _KnownIds:
        """The ids of every row, including rows that failed their own checks."""

        def ids(table: str) -> set[str]:
            column = ID_COLUMNS[table]
            failed = self._ids_of_failed_rows(table, column).values()
            return {getattr(row, column) for row in self.table(table)} | set(failed)

        failed_hosts = self._ids_of_failed_rows("offers", "host_id")
        host_of = {o.offer_id: o.host_id for o in self.offers}
        for position, offer_id in self._ids_of_failed_rows("offers", "offer_id").items():
            host_of.setdefault(offer_id, failed_hosts.get(position, ""))
        slots = ids("workshop_slots")
        return _KnownIds(ids("schools"), ids("students"), ids("offers"), slots, host_of)

    def _check_references(self, problems: list[Problem]) -> None:
        known = self._known_ids()
        for position, student in self._positions("students"):
            row = self.row_number("students", position)
            self._check_student_references(student, row, known, problems)
        for position, offer in self._positions("offers"):
            for school_id in offer.reserved_schools:
                if school_id not in known.schools:
                    problems.append(
                        Problem(
                            "offers",
                            self.row_number("offers", position),
                            "reserved_schools",
                            school_id,
                            lazy_text("unknown school"),
                        )
                    )
        self._check_override_references(known, problems)

    @staticmethod
    def _check_student_references(
        student: Student, row: int | None, known: _KnownIds, problems: list[Problem]
    ) -> None:
        if student.school_id not in known.schools:
            problems.append(
                Problem(
                    "students", row, "school_id", student.school_id, lazy_text("unknown school")
                )
            )
        for offer_id in dict.fromkeys(student.wished_offers):
            if offer_id not in known.offers:
                problems.append(
                    warning(
                        "students",
                        row,
                        "wished_offers",
                        offer_id,
                        lazy_text(
                            "unknown offer: the wish is ignored (the others keep their ranks)"
                        ),
                    )
                )
        for column, ids, ids_known, unknown in (
            ("pinned_offer", student.pinned_offer, known.offers, lazy_text("unknown offer")),
            ("pinned_slots", student.pinned_slots, known.slots, lazy_text("unknown workshop slot")),
            ("banned_hosts", student.banned_hosts, known.hosts, lazy_text("unknown host")),
        ):
            for item_id in ids:
                if item_id not in ids_known:
                    problems.append(Problem("students", row, column, item_id, unknown))
        host_of = known.host_of
        banned_pins = [
            offer_id
            for offer_id in student.pinned_offer
            if offer_id in host_of and host_of[offer_id] in student.banned_hosts
        ]
        for offer_id in banned_pins:
            problems.append(
                Problem(
                    "students",
                    row,
                    "pinned_offer",
                    offer_id,
                    lazy_text(
                        "pinned to host {host}, which banned_hosts forbids",
                        host=host_of[offer_id],
                    ),
                )
            )

    def _check_override_references(self, known: _KnownIds, problems: list[Problem]) -> None:
        known_communes = communes().index
        for position, override in self._positions("travel_times"):
            row = self.row_number("travel_times", position)
            if not (
                override.origin in known.students
                or override.origin in known.schools
                or override.origin in known_communes
            ):
                problems.append(
                    Problem(
                        "travel_times",
                        row,
                        "origin",
                        override.origin,
                        lazy_text("not a student id, school id or commune code"),
                    )
                )
            if not (
                override.destination in known.offers
                or override.destination in known.slots
                or override.destination in known_communes
            ):
                problems.append(
                    Problem(
                        "travel_times",
                        row,
                        "destination",
                        override.destination,
                        lazy_text("not an offer id, slot id or commune code"),
                    )
                )

    def _check_columns(self, headers: Mapping[str, Sequence[str]], problems: list[Problem]) -> None:
        """Unknown columns are kept and ignored, and said once per table: a typo in an optional
        column's name (``wishs``) would otherwise go unnoticed."""
        message = lazy_text("unknown column: kept and ignored")
        for table, model in ROW_MODELS.items():
            if table in headers:
                for column in headers[table]:
                    if column not in model.model_fields:
                        problems.append(warning(table, 1, column, None, message))
                continue
            seen: set[str] = set()
            for position, row in self._positions(table):
                for column, value in (row.model_extra or {}).items():
                    if column not in seen:
                        seen.add(column)
                        problems.append(
                            warning(
                                table,
                                self.row_number(table, position),
                                column,
                                display_value(value),
                                message,
                            )
                        )

    def _check_wished_sectors(self, problems: list[Problem]) -> None:
        """A wished sector that no offer has, once per sector (on the first row that wishes it):
        a sector is a category, so one typo would otherwise be repeated on thousands of rows."""
        if not self.offers or not self._offers_complete:
            return  # the offers table's own warning (or a rejected row's error) says it all
        sectors = {offer.sector for offer in self.offers}
        first: dict[str, tuple[int, int]] = {}
        for position, student in self._positions("students"):
            for sector in student.wishes:
                if sector not in sectors:
                    at, count = first.get(sector, (position, 0))
                    first[sector] = (at, count + 1)
        for sector, (position, count) in first.items():
            message = (
                lazy_text(
                    "no offer has this sector: the wish is ignored (wished on {count} rows; "
                    "the first is shown)",
                    count=count,
                )
                if count > 1
                else lazy_text("no offer has this sector: the wish is ignored")
            )
            problems.append(
                warning(
                    "students", self.row_number("students", position), "wishes", sector, message
                )
            )

    def _check_workshops_wanted(self, problems: list[Problem]) -> None:
        wanted = self.settings.workshops_per_student
        if wanted and not self.workshop_slots:
            problems.append(
                warning(
                    "settings",
                    None,
                    "workshops_per_student",
                    str(wanted),
                    lazy_text("there is no workshop session: nobody attends a workshop"),
                )
            )

    def _check_dates(self, problems: list[Problem]) -> dict[str, set[int]]:
        """Date problems; returns the positions of offers and slots that can never be assigned.

        An offer or session dated outside the period, or on no working day, is planned around
        (a warning): the rest of the data is still worth a plan. An offer that ends before it
        starts is an error: the row cannot mean anything.
        """
        never: dict[str, set[int]] = {"offers": set(), "workshop_slots": set()}
        if not self._settings_ok or not self._check_period(problems):
            return never
        never["offers"] = self._check_offer_dates(problems)
        never["workshop_slots"] = self._check_slot_dates(problems)
        return never

    def _check_period(self, problems: list[Problem]) -> bool:
        """The period's own problems; whether it has working days to date items against."""
        settings = self.settings
        start, end = settings.period_start, settings.period_end
        if start > end:
            problems.append(
                Problem(
                    "settings",
                    None,
                    "period_end",
                    str(end),
                    lazy_text("the period ends before it starts"),
                )
            )
            return False
        for day in settings.holidays:
            if not start <= day <= end:
                problems.append(
                    Problem(
                        "settings",
                        None,
                        "holidays",
                        str(day),
                        lazy_text("holiday outside the period"),
                    )
                )
        if not self.working_days:
            problems.append(
                Problem(
                    "settings",
                    None,
                    "period_start",
                    str(start),
                    lazy_text("the period has no working day"),
                )
            )
            return False
        return True

    def _check_offer_dates(self, problems: list[Problem]) -> set[int]:
        """Offers' date problems; the positions of the offers that can never be assigned."""
        start, end = self.settings.period_start, self.settings.period_end
        working = set(self.working_days)
        never: set[int] = set()
        for position, offer in self._positions("offers"):
            row = self.row_number("offers", position)
            first = offer.start or start
            last = offer.end or end
            bad = False
            for column, day in (("start", offer.start), ("end", offer.end)):
                if day is not None and not start <= day <= end:
                    problems.append(
                        warning(
                            "offers",
                            row,
                            column,
                            str(day),
                            lazy_text("date outside the period: it can never be assigned"),
                        )
                    )
                    bad = True
            if bad:
                never.add(position)
            elif first > last:
                problems.append(
                    Problem("offers", row, "end", str(last), lazy_text("end is before start"))
                )
            elif not any(d in working for d in _days(first, last)):
                problems.append(
                    warning(
                        "offers",
                        row,
                        "start",
                        str(first),
                        lazy_text("the range has no working day: it can never be assigned"),
                    )
                )
                never.add(position)
        return never

    def _check_slot_dates(self, problems: list[Problem]) -> set[int]:
        """Sessions' date problems; the positions of the sessions that can never be assigned."""
        start, end = self.settings.period_start, self.settings.period_end
        working = set(self.working_days)
        never: set[int] = set()
        for position, slot in self._positions("workshop_slots"):
            if slot.date not in working:
                reason = (
                    lazy_text("date outside the period")
                    if not start <= slot.date <= end
                    else lazy_text("not a working day (weekend or holiday)")
                )
                problems.append(
                    warning(
                        "workshop_slots",
                        self.row_number("workshop_slots", position),
                        "date",
                        str(slot.date),
                        lazy_text("{reason}: it can never be assigned", reason=reason),
                    )
                )
                never.add(position)
        return never

    def _check_pins_assignable(self, never: dict[str, set[int]], problems: list[Problem]) -> None:
        """A pin is a decision already taken: pinning an item that can never be assigned is an
        error, not something to plan around."""
        left_out = {
            table: {getattr(row, ID_COLUMNS[table]) for p, row in self._positions(table) if p in at}
            for table, at in never.items()
        }
        for position, student in self._positions("students"):
            for column, table in (("pinned_offer", "offers"), ("pinned_slots", "workshop_slots")):
                for item_id in getattr(student, column):
                    if item_id in left_out[table]:
                        problems.append(
                            Problem(
                                "students",
                                self.row_number("students", position),
                                column,
                                item_id,
                                lazy_text(
                                    "pinned to an item dated outside the period or on no "
                                    "working day: it can never be assigned"
                                ),
                            )
                        )

    def _leave_out(self, never: dict[str, set[int]]) -> None:
        """Drop the offers and sessions that can never be assigned from what is planned."""
        for table, positions in never.items():
            if not positions:
                continue
            kept = [(p, row) for p, row in self._positions(table) if p not in positions]
            self._valid_positions[table] = [p for p, _ in kept]
            setattr(self, table, tuple(row for _, row in kept))

    def _check_seats(self, problems: list[Problem]) -> None:
        for table in ("offers", "workshop_slots"):
            for position, row in self._positions(table):
                if row.qpv_reserved > row.capacity:
                    problems.append(
                        Problem(
                            table,
                            self.row_number(table, position),
                            "qpv_reserved",
                            str(row.qpv_reserved),
                            lazy_text(
                                "more reserved seats than the capacity ({capacity})",
                                capacity=row.capacity,
                            ),
                        )
                    )

    def _check_transport(self, problems: list[Problem]) -> None:
        settings = self.settings
        if settings.coach_capacity is not None:
            return
        if COACHES in settings.objective:
            problems.append(
                Problem(
                    "settings",
                    self._settings_row("objective"),
                    "objective",
                    COACHES,
                    lazy_text("the coaches level needs coach_capacity (seats per coach)"),
                )
            )
        for column in ("coach_cost", "coach_cost_per_km"):
            if column in settings.model_fields_set:
                problems.append(
                    Problem(
                        "settings",
                        self._settings_row(column),
                        column,
                        display_value(getattr(settings, column)),
                        lazy_text("a coach cost needs coach_capacity (seats per coach)"),
                    )
                )

    def _settings_row(self, key: str) -> int | None:
        """The spreadsheet row of a settings key, when the loader recorded it."""
        rows = self._row_numbers.get("settings_keys")
        if rows is None or key not in self._settings_keys:
            return None
        return rows[self._settings_keys.index(key)]

    @cached_property
    def working_days(self) -> tuple[date, ...]:
        """Mon–Fri days of the period, minus holidays, in order."""
        holidays = set(self.settings.holidays)
        return tuple(
            d
            for d in _days(self.settings.period_start, self.settings.period_end)
            if d.weekday() < 5 and d not in holidays
        )


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
