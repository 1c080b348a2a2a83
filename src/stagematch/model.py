"""The domain model: what a dataset is, row by row, and the validated whole (:class:`Instance`).

Rows are frozen pydantic models whose field names are the column names of the SPEC, so a CSV
header, an Excel sheet, a JSON object and a keyword argument all mean the same thing. Cell
syntax that coordinators actually type (``oui``/``non``, ``health;law``, ``12,5``) is accepted by
``BeforeValidator``\\ s, so every loader shares one parser.

Checks that involve more than one cell (a location given as lat+lon or commune, reserved seats
against capacity, references between tables, dates against the period) live in
:class:`Instance`, which collects every problem with its table, row and column before raising one
:class:`~stagematch.errors.InvalidInputError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from .errors import InvalidInputError, Problem, display_value
from .geo import communes
from .i18n import N_, LazyText, lazy_text

if TYPE_CHECKING:
    from .arrays import InstanceArrays

LEVELS: tuple[str, ...] = ("qpv_placed", "placed", "workshops", "coverage", "preference", "travel")
"""Every optimisation level, in the default order (most important first)."""

MAXIMISED_LEVELS = frozenset({"qpv_placed", "placed", "workshops", "coverage"})

CHANGES = "changes"
"""The re-planning level: students whose items differ from a previous plan (min). It only
means something against a previous plan (:func:`stagematch.resolve`), which puts it right after
``placed`` unless ``objective`` places it; a fresh solve leaves it out."""
MODES: tuple[str, ...] = ("walk", "bike", "transit", "car")
PARTS: tuple[str, ...] = ("AM", "PM", "DAY")
TABLES: tuple[str, ...] = (
    "settings",
    "schools",
    "students",
    "offers",
    "workshop_slots",
    "travel_times",
)
REQUIRED_TABLES: tuple[str, ...] = TABLES[:-1]

# --------------------------------------------------------------------------------------------
# Cell parsers shared by every loader


_TRUE = {"true", "1", "yes", "oui", "y", "o", "vrai"}
_FALSE = {"false", "0", "no", "non", "n", "faux"}


def _is_blank(value: Any) -> bool:
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
    if _is_blank(value):
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


Id = Annotated[str, BeforeValidator(parse_id), Field(min_length=1)]
Commune = Annotated[str, BeforeValidator(parse_commune), Field(pattern=r"^[0-9][0-9AB][0-9]{3}$")]
Flag = Annotated[bool, BeforeValidator(parse_bool)]
Minutes = Annotated[float, BeforeValidator(parse_number), Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, BeforeValidator(parse_int), Field(ge=0)]
Latitude = Annotated[float, BeforeValidator(parse_number), Field(ge=-90, le=90)]
Longitude = Annotated[float, BeforeValidator(parse_number), Field(ge=-180, le=180)]
IsoDate = Annotated[date, BeforeValidator(parse_date)]
IdList = Annotated[tuple[str, ...], BeforeValidator(split_list)]
DateList = Annotated[tuple[IsoDate, ...], BeforeValidator(split_list)]
Mode = Literal["walk", "bike", "transit", "car"]
Part = Literal["AM", "PM", "DAY"]
Language = Literal["fr", "en"]
Level = Literal["qpv_placed", "placed", "changes", "workshops", "coverage", "preference", "travel"]
Percent = Annotated[int, BeforeValidator(parse_int), Field(ge=0, le=100)]
Euros = Annotated[float, BeforeValidator(parse_number), Field(ge=0, allow_inf_nan=False)]
TRANSPORT_SETTINGS = frozenset(
    {"coach_capacity", "coach_cost", "coach_cost_per_km", "transit_daily_cost"}
)
"""Settings of transport planning (:mod:`stagematch.transport`); all optional."""


def _mode(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _part(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


class _Row(BaseModel):
    """Common configuration: immutable, extra columns kept (and ignored), strict names."""

    model_config = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=True)


# --------------------------------------------------------------------------------------------
# Tables


class Settings(_Row):
    """Dataset-wide settings (the ``settings`` table); only the period is required."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    period_start: IsoDate
    period_end: IsoDate
    holidays: DateList = ()
    default_max_travel_min: Minutes = 45
    workshop_max_travel_min: Minutes = 60
    default_mode: Annotated[Mode, BeforeValidator(_mode)] = "transit"
    workshops_per_student: Count = 0
    max_placements_per_student: Annotated[int, BeforeValidator(parse_int), Field(ge=1)] = 2
    objective: Annotated[tuple[Level, ...], BeforeValidator(split_list)] = LEVELS  # type: ignore[assignment]
    unranked_cost: Count = 10
    time_limit_s: Annotated[float, BeforeValidator(parse_number), Field(gt=0)] = 60
    budget: Annotated[float, BeforeValidator(parse_number), Field(gt=0)] = 10
    seed: Annotated[int, BeforeValidator(parse_int)] = 0
    stable: Flag = False
    qpv_min_share: Percent = 0
    language: Annotated[Language, BeforeValidator(_mode)] | None = None
    coach_capacity: Annotated[int, BeforeValidator(parse_int), Field(ge=1)] | None = None
    coach_cost: Euros = 0
    coach_cost_per_km: Euros = 0
    transit_daily_cost: Euros = 0

    @property
    def plans_transport(self) -> bool:
        """Whether any transport setting is given; otherwise nothing is planned or costed."""
        return bool(self.model_fields_set & TRANSPORT_SETTINGS)


class School(_Row):
    """A lycée (``schools`` table), located by ``lat``+``lon`` or ``commune``."""

    school_id: Id
    name: str = ""
    lat: Latitude | None = None
    lon: Longitude | None = None
    commune: Commune | None = None


class Student(_Row):
    """A student (``students`` table). Travel starts at home, else at the school."""

    student_id: Id
    school_id: Id
    qpv: Flag = False
    home_lat: Latitude | None = None
    home_lon: Longitude | None = None
    home_commune: Commune | None = None
    max_travel_min: Minutes | None = None
    mode: Annotated[Mode, BeforeValidator(_mode)] | None = None
    wishes: IdList = ()
    wished_offers: IdList = ()
    needs_accessibility: Flag = False
    age: Annotated[float, BeforeValidator(parse_number), Field(ge=0, le=120)] | None = None
    split_ok: Flag = True
    unavailable: DateList = ()
    pinned_offer: IdList = ()
    pinned_slots: IdList = ()
    banned_hosts: IdList = ()


class Offer(_Row):
    """One placement a host proposes (``offers`` table)."""

    offer_id: Id
    host_id: Id
    host_name: str = ""
    sector: Annotated[str, Field(min_length=1)]
    lat: Latitude | None = None
    lon: Longitude | None = None
    commune: Commune | None = None
    capacity: Annotated[int, BeforeValidator(parse_int), Field(ge=1)]
    start: IsoDate | None = None
    end: IsoDate | None = None
    qpv_reserved: Count = 0
    reserved_schools: IdList = ()
    accessible: Flag = True
    min_age: Annotated[float, BeforeValidator(parse_number), Field(ge=0, le=120)] | None = None
    qpv_min_share: Percent | None = None


class WorkshopSlot(_Row):
    """One session of a workshop (``workshop_slots`` table)."""

    slot_id: Id
    workshop_id: Id
    title: str = ""
    association: str = ""
    venue: str = ""
    lat: Latitude | None = None
    lon: Longitude | None = None
    commune: Commune | None = None
    date: IsoDate
    part: Annotated[Part, BeforeValidator(_part)]
    capacity: Annotated[int, BeforeValidator(parse_int), Field(ge=1)]
    qpv_reserved: Count = 0
    accessible: Flag = True


class TravelTime(_Row):
    """An override of the estimated one-way minutes (``travel_times`` table)."""

    origin: Id
    destination: Id
    minutes: Minutes


ROW_MODELS: dict[str, type[_Row]] = {
    "schools": School,
    "students": Student,
    "offers": Offer,
    "workshop_slots": WorkshopSlot,
    "travel_times": TravelTime,
}
ID_COLUMNS: dict[str, str] = {
    "schools": "school_id",
    "students": "student_id",
    "offers": "offer_id",
    "workshop_slots": "slot_id",
}
LOCATION_COLUMNS: dict[str, tuple[str, str, str]] = {
    "schools": ("lat", "lon", "commune"),
    "students": ("home_lat", "home_lon", "home_commune"),
    "offers": ("lat", "lon", "commune"),
    "workshop_slots": ("lat", "lon", "commune"),
}

# --------------------------------------------------------------------------------------------
# The validated whole


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


def _pydantic_message(item: Any) -> str:
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
        context["error"] = str(context.get("error", ""))
    try:
        return lazy_text(template, **context)
    except (KeyError, IndexError):
        return str(item["msg"])


def _pydantic_problems(table: str, row: int | None, error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = item.get("loc", ())
        column = str(loc[0]) if loc else None
        value = item.get("input") if item["type"] != "missing" else None
        problems.append(Problem(table, row, column, display_value(value), _pydantic_message(item)))
    return problems


def _rows_of(table: str, rows: Iterable[Any]) -> list[Any]:
    if isinstance(rows, str | bytes | Mapping):
        raise TypeError(f"{table} must be a sequence of rows, not {type(rows).__name__}")
    return list(rows)


def _as_plain(row: Any) -> Any:
    """Blank cells mean 'use the default': drop them before validation."""
    if isinstance(row, Mapping):
        return {str(k): v for k, v in row.items() if not _is_blank(v)}
    return row


class Instance:
    """A validated dataset: settings, schools, students, offers, workshop slots, travel times.

    Build it from row models or plain dictionaries (blank values mean "use the default")::

        Instance(settings={"period_start": "2026-06-15", "period_end": "2026-06-26"},
                 schools=[{"school_id": "0590001A", "commune": "59606"}], students=[...],
                 offers=[...], workshop_slots=[])

    Every problem is collected before one :class:`~stagematch.errors.InvalidInputError` is
    raised. ``row_numbers`` (table → spreadsheet row of each record) lets loaders report rows as
    the user's file shows them; without it, record *i* is row *i* + 2 (header = row 1).

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
    ) -> None:
        problems: list[Problem] = []
        self._settings_ok = True
        self._row_numbers = {k: list(v) for k, v in (row_numbers or {}).items()}
        self.settings: Settings = self._validate_settings(settings, problems)
        raw = {
            "schools": _rows_of("schools", schools),
            "students": _rows_of("students", students),
            "offers": _rows_of("offers", offers),
            "workshop_slots": _rows_of("workshop_slots", workshop_slots),
            "travel_times": _rows_of("travel_times", travel_times),
        }
        valid: dict[str, list[Any]] = {}
        for table, rows in raw.items():
            valid[table] = self._validate_rows(table, rows, problems)
        self.schools: tuple[School, ...] = _present(valid["schools"])
        self.students: tuple[Student, ...] = _present(valid["students"])
        self.offers: tuple[Offer, ...] = _present(valid["offers"])
        self.workshop_slots: tuple[WorkshopSlot, ...] = _present(valid["workshop_slots"])
        self.travel_times: tuple[TravelTime, ...] = _present(valid["travel_times"])
        for table in ("schools", "students", "offers"):
            if not raw[table]:
                problems.append(
                    Problem(table, None, None, None, lazy_text("the table has no rows"))
                )
        # Indices of rows that failed validation are unknown here; cross-checks run on the rest.
        self._valid_positions = {
            table: [i for i, row in enumerate(rows) if row is not None]
            for table, rows in valid.items()
        }
        self._check_unique_ids(problems)
        self._check_locations(problems)
        self._check_references(problems)
        self._check_dates(problems)
        self._check_seats(problems)
        self._check_transport(problems)
        if problems:
            raise InvalidInputError(problems)

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
            out[table] = [
                row.model_dump(mode="json", exclude_none=True) for row in self.table(table)
            ]
        return out

    def table(self, name: str) -> tuple[Any, ...]:
        """The rows of a table by its SPEC name."""
        if name not in TABLES[1:]:
            raise KeyError(f"unknown table {name!r}; expected one of {', '.join(TABLES[1:])}")
        return tuple(getattr(self, name))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Instance):
            return NotImplemented
        return self.settings == other.settings and all(
            self.table(t) == other.table(t) for t in TABLES[1:]
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

    def row_number(self, table: str, position: int) -> int | None:
        """The spreadsheet row of the record at ``position`` in the input table."""
        numbers = self._row_numbers.get(table)
        if numbers is not None and position < len(numbers):
            return numbers[position]
        return position + 2

    def _validate_settings(
        self, settings: Settings | Mapping[str, Any], problems: list[Problem]
    ) -> Settings:
        self._settings_keys: list[str] = []
        if isinstance(settings, Settings):
            return settings
        rows = self._row_numbers.get("settings_keys")
        keys = list(settings) if isinstance(settings, Mapping) else []
        self._settings_keys = keys
        try:
            return Settings.model_validate(_as_plain(settings))
        except ValidationError as error:
            for problem in _pydantic_problems("settings", None, error):
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
                problems.extend(_pydantic_problems(table, self.row_number(table, position), error))
                out.append(None)
        return out

    def _positions(self, table: str) -> list[tuple[int, Any]]:
        rows = self.table(table)
        return list(zip(self._valid_positions[table], rows, strict=True))

    def _check_unique_ids(self, problems: list[Problem]) -> None:
        for table, column in ID_COLUMNS.items():
            first_seen: dict[str, int] = {}
            for position, row in self._positions(table):
                key = getattr(row, column)
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

    def _check_references(self, problems: list[Problem]) -> None:
        schools = {s.school_id for s in self.schools}
        offers = {o.offer_id for o in self.offers}
        students = {s.student_id for s in self.students}
        slots = {s.slot_id for s in self.workshop_slots}
        host_of = {o.offer_id: o.host_id for o in self.offers}
        hosts = set(host_of.values())
        for position, student in self._positions("students"):
            row = self.row_number("students", position)
            if student.school_id not in schools:
                problems.append(
                    Problem(
                        "students", row, "school_id", student.school_id, lazy_text("unknown school")
                    )
                )
            for column, ids, known, unknown in (
                ("wished_offers", student.wished_offers, offers, lazy_text("unknown offer")),
                ("pinned_offer", student.pinned_offer, offers, lazy_text("unknown offer")),
                ("pinned_slots", student.pinned_slots, slots, lazy_text("unknown workshop slot")),
                ("banned_hosts", student.banned_hosts, hosts, lazy_text("unknown host")),
            ):
                for item_id in ids:
                    if item_id not in known:
                        problems.append(Problem("students", row, column, item_id, unknown))
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
        for position, offer in self._positions("offers"):
            for school_id in offer.reserved_schools:
                if school_id not in schools:
                    problems.append(
                        Problem(
                            "offers",
                            self.row_number("offers", position),
                            "reserved_schools",
                            school_id,
                            lazy_text("unknown school"),
                        )
                    )
        known_communes = communes().index
        for position, override in self._positions("travel_times"):
            row = self.row_number("travel_times", position)
            if not (
                override.origin in students
                or override.origin in schools
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
                override.destination in offers
                or override.destination in slots
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

    def _check_dates(self, problems: list[Problem]) -> None:
        if not self._settings_ok:
            return
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
            return
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
        working = set(self.working_days)
        if not working:
            problems.append(
                Problem(
                    "settings",
                    None,
                    "period_start",
                    str(start),
                    lazy_text("the period has no working day"),
                )
            )
            return
        for position, offer in self._positions("offers"):
            row = self.row_number("offers", position)
            first = offer.start or start
            last = offer.end or end
            bad = False
            for column, day in (("start", offer.start), ("end", offer.end)):
                if day is not None and not start <= day <= end:
                    problems.append(
                        Problem(
                            "offers", row, column, str(day), lazy_text("date outside the period")
                        )
                    )
                    bad = True
            if bad:
                continue
            if first > last:
                problems.append(
                    Problem("offers", row, "end", str(last), lazy_text("end is before start"))
                )
            elif not any(d in working for d in _days(first, last)):
                problems.append(
                    Problem(
                        "offers",
                        row,
                        "start",
                        str(first),
                        lazy_text("the range has no working day"),
                    )
                )
        for position, slot in self._positions("workshop_slots"):
            if slot.date not in working:
                reason = (
                    lazy_text("date outside the period")
                    if not start <= slot.date <= end
                    else lazy_text("not a working day (weekend or holiday)")
                )
                problems.append(
                    Problem(
                        "workshop_slots",
                        self.row_number("workshop_slots", position),
                        "date",
                        str(slot.date),
                        reason,
                    )
                )

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

    # ---- derived views ---------------------------------------------------------------------

    @cached_property
    def working_days(self) -> tuple[date, ...]:
        """Mon–Fri days of the period, minus holidays, in order."""
        holidays = set(self.settings.holidays)
        return tuple(
            d
            for d in _days(self.settings.period_start, self.settings.period_end)
            if d.weekday() < 5 and d not in holidays
        )

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
        from .arrays import InstanceArrays

        return InstanceArrays.from_instance(self)


def _present(rows: list[Any]) -> tuple[Any, ...]:
    return tuple(row for row in rows if row is not None)


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
