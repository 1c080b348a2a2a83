"""The row models: what a dataset is, table by table and column by column.

Rows are frozen pydantic models whose field names are the column names of the SPEC, so a CSV
header, an Excel sheet, a JSON object and a keyword argument all mean the same thing. Each field
carries its meaning (``Field(description=...)``): the JSON Schema (:mod:`stagematch.schema`) and
the data format page are generated from these models, so they cannot drift apart. Cell syntax
is parsed by the column types of :mod:`stagematch.parsing`; checks that involve more than one
cell live in :mod:`stagematch.validation`.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeGuard, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from .parsing import (
    Commune,
    Count,
    DateList,
    Euros,
    Flag,
    Id,
    IdList,
    IsoDate,
    Latitude,
    Longitude,
    Minutes,
    Percent,
    lower_word,
    parse_int,
    parse_number,
    split_list,
    upper_word,
)

Level = Literal[
    "qpv_placed", "placed", "changes", "workshops", "coaches", "coverage", "preference", "travel"
]
DEFAULT_OBJECTIVE: tuple[Level, ...] = (
    "qpv_placed",
    "placed",
    "workshops",
    "coverage",
    "preference",
    "travel",
)
LEVELS: tuple[str, ...] = DEFAULT_OBJECTIVE
"""Every optimisation level, in the default order (most important first)."""

MAXIMISED_LEVELS = frozenset({"qpv_placed", "placed", "workshops", "coverage"})

CHANGES = "changes"
"""The re-planning level: students whose items differ from a previous plan (min). It only
means something against a previous plan (:func:`stagematch.resolve`), which puts it right after
``placed`` unless ``objective`` places it; a fresh solve leaves it out."""
COACHES = "coaches"
"""The transport level: Σ over (session, school) groups of ⌈students / coach_capacity⌉ (min).
Only with ``coach_capacity``; a dataset puts it anywhere in ``objective`` (e.g. right after
``workshops``). Not in the default objective, which stays the SPEC's."""
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

Mode = Literal["walk", "bike", "transit", "car"]
Part = Literal["AM", "PM", "DAY"]
Language = Literal["fr", "en"]

ItemKind = Literal["placement", "workshop"]
"""What a student is given: a placement (an offer) or a workshop session (a slot). The one
vocabulary of the package (``assignments.csv``'s ``kind``); :data:`ITEM_TABLES` names each
kind's table."""
ITEM_KINDS: tuple[ItemKind, ...] = get_args(ItemKind)
ITEM_TABLES: dict[ItemKind, str] = {"placement": "offers", "workshop": "workshop_slots"}
"""Item kind → the table its items come from."""


def is_item_kind(value: object) -> TypeGuard[ItemKind]:
    """Whether ``value`` is an item kind (text read from a file is checked with this)."""
    return value in ITEM_KINDS


TRANSPORT_SETTINGS = frozenset(
    {"coach_capacity", "coach_cost", "coach_cost_per_km", "transit_daily_cost"}
)
"""Settings of transport planning (:mod:`stagematch.transport`); all optional."""


class _Row(BaseModel):
    """Common configuration: immutable, extra columns kept (and ignored), strict names."""

    model_config = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=True)


class Settings(_Row):
    """Dataset-wide settings (the ``settings`` table); only the period is required."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    period_start: IsoDate = Field(description="First day of the placement period.")
    period_end: IsoDate = Field(
        description=(
            "Last day of the placement period; its working days are Mon–Fri minus `holidays`."
        )
    )
    holidays: DateList = Field((), description="Dates inside the period that are not worked.")
    default_max_travel_min: Minutes = Field(
        45, description="One-way limit (minutes) for a placement when the student gives none."
    )
    workshop_max_travel_min: Minutes = Field(
        60, description="One-way limit (minutes) to a workshop venue."
    )
    default_mode: Annotated[Mode, BeforeValidator(lower_word)] = Field(
        "transit", description="Travel mode when the student gives none."
    )
    workshops_per_student: Count = Field(
        0, description="How many distinct workshops each student should attend."
    )
    max_placements_per_student: Annotated[int, BeforeValidator(parse_int), Field(ge=1)] = Field(
        2, description="2 allows a split into two placements; 1 forbids it."
    )
    objective: Annotated[tuple[Level, ...], BeforeValidator(split_list)] = Field(
        DEFAULT_OBJECTIVE,
        description="The levels, most important first (see Concepts › What “best” means).",
    )
    unranked_cost: Count = Field(
        10, description="Preference cost of a placement that matches none of the student's wishes."
    )
    time_limit_s: Annotated[float, BeforeValidator(parse_number), Field(gt=0)] = Field(
        60,
        description=(
            "Wall-clock safety cap in seconds: the search is measured in `budget`; a solve this "
            "cap cuts short says so (`stopped_by` in summary.json) and may differ between runs."
        ),
    )
    budget: Annotated[float, BeforeValidator(parse_number), Field(gt=0)] = Field(
        10,
        description=(
            "Search work, in CP-SAT deterministic time units: the same input, seed and budget "
            "give the same plan on any machine (see Concepts › Determinism)."
        ),
    )
    seed: Annotated[int, BeforeValidator(parse_int)] = Field(
        0, description="Solver seed: the same input and seed give the same plan."
    )
    stable: Flag = Field(
        False,
        description=(
            "`true`: the best plan among those without justified envy (see Fairness); fewer "
            "students are placed."
        ),
    )
    qpv_min_share: Percent = Field(
        0,
        description=(
            "Minimum percentage of QPV students among each offer's students, while enough QPV "
            "students could go there (see Fairness › Minimum QPV share); 0: none."
        ),
    )
    language: Annotated[Language, BeforeValidator(lower_word)] | None = Field(
        None,
        description=(
            "`fr` or `en`: the language of the reports, letters and messages for this dataset "
            "(`--lang` wins over it; without either, the environment's locale decides)."
        ),
    )
    coach_capacity: Annotated[int, BeforeValidator(parse_int), Field(ge=1)] | None = Field(
        None,
        description=(
            "Seats per coach. Given: the students of one school at one workshop session travel "
            "together by coach from their school, ⌈students / coach_capacity⌉ coaches per "
            "(session, school) group (see Concepts › Transport); absent: no coaches planned."
        ),
    )
    coach_cost: Euros = Field(
        0, description="Euros per coach for one session's round trip (the fixed part)."
    )
    coach_cost_per_km: Euros = Field(
        0,
        description=(
            "Euros per coach and kilometre of the round trip school → venue → school (the "
            "distance-dependent part; added to `coach_cost`)."
        ),
    )
    transit_daily_cost: Euros = Field(
        0,
        description=(
            "Euros per student and placement day for public transport (students whose mode is "
            "`transit`)."
        ),
    )

    @property
    def plans_transport(self) -> bool:
        """Whether any transport setting is given; otherwise nothing is planned or costed."""
        return bool(self.model_fields_set & TRANSPORT_SETTINGS)


class School(_Row):
    """A lycée (``schools`` table), located by ``lat``+``lon`` or ``commune``."""

    school_id: Id = Field(description="The school's id (UAI). Unique.")
    name: str = Field("", description="Display name.")
    lat: Latitude | None = Field(None, description="Latitude (WGS84 degrees), with `lon`.")
    lon: Longitude | None = Field(None, description="Longitude (WGS84 degrees), with `lat`.")
    commune: Commune | None = Field(
        None, description="INSEE commune code, used for the location when `lat`/`lon` are absent."
    )


class Student(_Row):
    """A student (``students`` table). Travel starts at home, else at the school."""

    student_id: Id = Field(description="Unique id.")
    school_id: Id = Field(description="The student's school; must exist in `schools`.")
    qpv: Flag = Field(False, description="Lives in a QPV: has priority.")
    home_lat: Latitude | None = Field(None, description="Home latitude, with `home_lon`.")
    home_lon: Longitude | None = Field(None, description="Home longitude, with `home_lat`.")
    home_commune: Commune | None = Field(
        None, description="Home commune (INSEE code), when `home_lat`/`home_lon` are absent."
    )
    max_travel_min: Minutes | None = Field(
        None, description="This student's one-way limit (minutes) for placements."
    )
    mode: Annotated[Mode, BeforeValidator(lower_word)] | None = Field(
        None, description="Travel mode, for placements and workshops."
    )
    wishes: IdList = Field((), description="Ranked sectors, most wanted first.")
    wished_offers: IdList = Field((), description="Ranked offer ids; they outrank `wishes`.")
    needs_accessibility: Flag = Field(False, description="Only accessible hosts and venues.")
    age: Annotated[float, BeforeValidator(parse_number), Field(ge=0, le=120)] | None = Field(
        None, description="Compared with an offer's `min_age`; a student without age is eligible."
    )
    split_ok: Flag = Field(True, description="`false`: at most one placement.")
    unavailable: DateList = Field(
        (), description="Dates on which the student can be given nothing."
    )
    pinned_offer: IdList = Field(
        (), description="Offer id(s) this student must be given, whatever else changes (a pin)."
    )
    pinned_slots: IdList = Field(
        (), description="Workshop slot ids this student must attend (pins)."
    )
    banned_hosts: IdList = Field(
        (), description=("Host ids this student must never be placed with.")
    )


class Offer(_Row):
    """One placement a host proposes (``offers`` table)."""

    offer_id: Id = Field(description="Unique id.")
    host_id: Id = Field(
        description=("The company or organisation; several offers may share a host.")
    )
    host_name: str = Field("", description="Display name of the host.")
    sector: Annotated[str, Field(min_length=1)] = Field(
        description="Compared with the students' `wishes`."
    )
    lat: Latitude | None = Field(
        None, description="Latitude of the place the student goes to, with `lon`."
    )
    lon: Longitude | None = Field(None, description="Longitude, with `lat`.")
    commune: Commune | None = Field(
        None, description="INSEE commune code, used when `lat`/`lon` are absent."
    )
    capacity: Annotated[int, BeforeValidator(parse_int), Field(ge=1)] = Field(
        description="Students it takes for its whole date range."
    )
    start: IsoDate | None = Field(
        None, description="First day covered (default: the start of the period)."
    )
    end: IsoDate | None = Field(
        None, description="Last day covered (default: the end of the period)."
    )
    qpv_reserved: Count = Field(0, description="Seats only QPV students may take.")
    reserved_schools: IdList = Field((), description="If set, only students of these schools.")
    accessible: Flag = Field(True, description="Accessible to students who need it.")
    min_age: Annotated[float, BeforeValidator(parse_number), Field(ge=0, le=120)] | None = Field(
        None, description="Minimum age."
    )
    qpv_min_share: Percent | None = Field(
        None, description="This offer's minimum QPV share in percent (default: the setting)."
    )


class WorkshopSlot(_Row):
    """One session of a workshop (``workshop_slots`` table)."""

    slot_id: Id = Field(description="Unique id.")
    workshop_id: Id = Field(
        description=(
            "The workshop this session belongs to; a student attends a workshop at most once."
        )
    )
    title: str = Field("", description="Display title of the workshop.")
    association: str = Field("", description="The association running it.")
    venue: str = Field("", description="Where it takes place (display name).")
    lat: Latitude | None = Field(None, description="Latitude of the venue, with `lon`.")
    lon: Longitude | None = Field(None, description="Longitude, with `lat`.")
    commune: Commune | None = Field(
        None, description="INSEE commune code, used when `lat`/`lon` are absent."
    )
    date: IsoDate = Field(description="The day of the session (a working day of the period).")
    part: Annotated[Part, BeforeValidator(upper_word)] = Field(
        description="`AM`, `PM` or `DAY` (both half-days)."
    )
    capacity: Annotated[int, BeforeValidator(parse_int), Field(ge=1)] = Field(
        description="Students the session takes."
    )
    qpv_reserved: Count = Field(0, description="Seats only QPV students may take.")
    accessible: Flag = Field(True, description="Accessible to students who need it.")


class TravelTime(_Row):
    """An override of the estimated one-way minutes (``travel_times`` table)."""

    origin: Id = Field(
        description=(
            "A student id, a school id (students travelling from school) or a commune code."
        )
    )
    destination: Id = Field(description="An offer id, a slot id or a commune code.")
    minutes: Minutes = Field(description="One-way minutes, replacing the estimate.")


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

TABLE_DOCS: dict[str, str] = {
    "settings": "Dataset-wide settings. Only the period is required.",
    "schools": "The lycées the students come from.",
    "students": "One row per student. Travel starts at home, else at the school.",
    "offers": "One row per placement a host proposes: `capacity` students for the whole date range. The same seats offered in two different weeks are two rows.",
    "workshop_slots": "One row per session of a workshop (a half-day or a whole day at a venue).",
    "travel_times": "Optional overrides of the estimated one-way travel minutes, for every mode. When several rows apply, the student's id beats the school's, which beats a commune; an item id beats a commune.",
}
"""What each table holds (its columns' meanings are on the row models' fields)."""
