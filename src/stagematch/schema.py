"""The data contract, written down: JSON Schemas and the data format reference, from the models.

Other tools embed stagematch through JSON (``stagematch solve --json -`` or
:func:`stagematch.solve_json`); this module says exactly what goes in and what comes out:

* :func:`dataset_schema` — the JSON Schema of an input dataset, derived from the row models of
  :mod:`stagematch.model` (their types, constraints, defaults) plus a one-line meaning per column;
* :func:`result_schema` — the JSON Schema of what a JSON solve returns: a solved plan, or the
  problems that made the input invalid, or an error; the documents are built through the pydantic
  models below (:class:`SolvedDocument`, :class:`InvalidInputDocument`, :class:`ErrorDocument`),
  so output and schema cannot drift apart;
* :func:`data_format_markdown` — the data format reference page (every table and column, its
  type, default, an example and the problems validation reports). The problems are not written
  by hand: each is produced by feeding a deliberately broken copy of :data:`EXAMPLE_DATASET` to
  the loader, so the page shows the messages users actually get.

``python -m stagematch.schema docs`` rewrites ``docs/data-format.md`` and
``docs/schema/*.schema.json``; ``--check`` only reports whether they are current (a test does the
same).

The dataset schema describes the *canonical* JSON form — the one
:func:`stagematch.io.write_dataset` writes and every loader reads. The loaders are more lenient
than the schema, as coordinators' spreadsheets require: booleans may be ``"oui"``/``"non"``, lists
may be ``;``-separated strings, numbers may be strings with a decimal comma. What a schema cannot
express (unique ids, references between tables, dates inside the period) is checked on loading
and reported as problems.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import types
import typing
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.fields import FieldInfo

from .errors import InvalidInputError, Problem
from .model import LEVELS, LOCATION_COLUMNS, ROW_MODELS, TABLES, Settings
from .transport import TABLE_DOCS as TRANSPORT_COLUMN_DOCS

__all__ = [
    "COLUMN_DOCS",
    "EXAMPLE_DATASET",
    "TABLE_DOCS",
    "AssignmentRecord",
    "Counts",
    "ErrorDocument",
    "InvalidInputDocument",
    "Kpis",
    "LevelValue",
    "ProblemRecord",
    "ResultDocument",
    "SolvedDocument",
    "TransportSummary",
    "UnplacedRecord",
    "data_format_markdown",
    "dataset_schema",
    "result_schema",
    "schema_files",
    "write_docs",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# --------------------------------------------------------------------------------------------
# What each table and column means (the models give types, constraints and defaults)

TABLE_DOCS: dict[str, str] = {
    "settings": "Dataset-wide settings. Only the period is required.",
    "schools": "The lycées the students come from.",
    "students": "One row per student. Travel starts at home, else at the school.",
    "offers": (
        "One row per placement a host proposes: `capacity` students for the whole date range. "
        "The same seats offered in two different weeks are two rows."
    ),
    "workshop_slots": "One row per session of a workshop (a half-day or a whole day at a venue).",
    "travel_times": (
        "Optional overrides of the estimated one-way travel minutes, for every mode. When several "
        "rows apply, the student's id beats the school's, which beats a commune; an item id "
        "beats a commune."
    ),
}

COLUMN_DOCS: dict[str, dict[str, str]] = {
    "settings": {
        "period_start": "First day of the placement period.",
        "period_end": "Last day of the placement period; its working days are Mon–Fri minus `holidays`.",
        "holidays": "Dates inside the period that are not worked.",
        "default_max_travel_min": "One-way limit (minutes) for a placement when the student gives none.",
        "workshop_max_travel_min": "One-way limit (minutes) to a workshop venue.",
        "default_mode": "Travel mode when the student gives none.",
        "workshops_per_student": "How many distinct workshops each student should attend.",
        "max_placements_per_student": "2 allows a split into two placements; 1 forbids it.",
        "objective": "The levels, most important first (see Concepts › What “best” means).",
        "unranked_cost": "Preference cost of a placement that matches none of the student's wishes.",
        "time_limit_s": (
            "Wall-clock safety cap in seconds: the search is measured in `budget`; a solve this "
            "cap cuts short says so (`stopped_by` in summary.json) and may differ between runs."
        ),
        "budget": (
            "Search work, in CP-SAT deterministic time units: the same input, seed and budget "
            "give the same plan on any machine (see Concepts › Determinism)."
        ),
        "seed": "Solver seed: the same input and seed give the same plan.",
        "stable": (
            "`true`: the best plan among those without justified envy (see Fairness); "
            "fewer students are placed."
        ),
        "qpv_min_share": (
            "Minimum percentage of QPV students among each offer's students, while enough "
            "QPV students could go there (see Fairness › Minimum QPV share); 0: none."
        ),
        "language": (
            "`fr` or `en`: the language of the reports, letters and messages for this dataset "
            "(`--lang` wins over it; without either, the environment's locale decides)."
        ),
        "coach_capacity": (
            "Seats per coach. Given: the students of one school at one workshop session travel "
            "together by coach from their school, ⌈students / coach_capacity⌉ coaches per "
            "(session, school) group (see Concepts › Transport); absent: no coaches planned."
        ),
        "coach_cost": "Euros per coach for one session's round trip (the fixed part).",
        "coach_cost_per_km": (
            "Euros per coach and kilometre of the round trip school → venue → school "
            "(the distance-dependent part; added to `coach_cost`)."
        ),
        "transit_daily_cost": (
            "Euros per student and placement day for public transport (students whose mode "
            "is `transit`)."
        ),
    },
    "schools": {
        "school_id": "The school's id (UAI). Unique.",
        "name": "Display name.",
        "lat": "Latitude (WGS84 degrees), with `lon`.",
        "lon": "Longitude (WGS84 degrees), with `lat`.",
        "commune": "INSEE commune code, used for the location when `lat`/`lon` are absent.",
    },
    "students": {
        "student_id": "Unique id.",
        "school_id": "The student's school; must exist in `schools`.",
        "qpv": "Lives in a QPV: has priority.",
        "home_lat": "Home latitude, with `home_lon`.",
        "home_lon": "Home longitude, with `home_lat`.",
        "home_commune": "Home commune (INSEE code), when `home_lat`/`home_lon` are absent.",
        "max_travel_min": "This student's one-way limit (minutes) for placements.",
        "mode": "Travel mode, for placements and workshops.",
        "wishes": "Ranked sectors, most wanted first.",
        "wished_offers": "Ranked offer ids; they outrank `wishes`.",
        "needs_accessibility": "Only accessible hosts and venues.",
        "age": "Compared with an offer's `min_age`; a student without age is eligible.",
        "split_ok": "`false`: at most one placement.",
        "unavailable": "Dates on which the student can be given nothing.",
        "pinned_offer": "Offer id(s) this student must be given, whatever else changes (a pin).",
        "pinned_slots": "Workshop slot ids this student must attend (pins).",
        "banned_hosts": "Host ids this student must never be placed with.",
    },
    "offers": {
        "offer_id": "Unique id.",
        "host_id": "The company or organisation; several offers may share a host.",
        "host_name": "Display name of the host.",
        "sector": "Compared with the students' `wishes`.",
        "lat": "Latitude of the place the student goes to, with `lon`.",
        "lon": "Longitude, with `lat`.",
        "commune": "INSEE commune code, used when `lat`/`lon` are absent.",
        "capacity": "Students it takes for its whole date range.",
        "start": "First day covered (default: the start of the period).",
        "end": "Last day covered (default: the end of the period).",
        "qpv_reserved": "Seats only QPV students may take.",
        "reserved_schools": "If set, only students of these schools.",
        "accessible": "Accessible to students who need it.",
        "min_age": "Minimum age.",
        "qpv_min_share": "This offer's minimum QPV share in percent (default: the setting).",
    },
    "workshop_slots": {
        "slot_id": "Unique id.",
        "workshop_id": "The workshop this session belongs to; a student attends a workshop at most once.",
        "title": "Display title of the workshop.",
        "association": "The association running it.",
        "venue": "Where it takes place (display name).",
        "lat": "Latitude of the venue, with `lon`.",
        "lon": "Longitude, with `lat`.",
        "commune": "INSEE commune code, used when `lat`/`lon` are absent.",
        "date": "The day of the session (a working day of the period).",
        "part": "`AM`, `PM` or `DAY` (both half-days).",
        "capacity": "Students the session takes.",
        "qpv_reserved": "Seats only QPV students may take.",
        "accessible": "Accessible to students who need it.",
    },
    "travel_times": {
        "origin": "A student id, a school id (students travelling from school) or a commune code.",
        "destination": "An offer id, a slot id or a commune code.",
        "minutes": "One-way minutes, replacing the estimate.",
    },
}

EXAMPLE_DATASET: dict[str, Any] = {
    "settings": {
        "period_start": "2027-06-14",
        "period_end": "2027-06-25",
        "holidays": ["2027-06-24"],
        "default_max_travel_min": 45,
        "workshop_max_travel_min": 60,
        "default_mode": "transit",
        "workshops_per_student": 1,
        "max_placements_per_student": 2,
        "objective": list(LEVELS),
        "unranked_cost": 10,
        "time_limit_s": 10,
        "budget": 10,
        "seed": 0,
        "stable": False,
        "qpv_min_share": 0,
        "language": "en",
        "coach_capacity": 30,
        "coach_cost": 450,
        "coach_cost_per_km": 1.2,
        "transit_daily_cost": 4,
    },
    "schools": [
        {
            "school_id": "0590221V",
            "name": "Lycée A, Valenciennes",
            "lat": 50.3641,
            "lon": 3.5212,
            "commune": "59606",
        },
        {"school_id": "0620108R", "name": "Lycée B, Lens", "commune": "62498"},
    ],
    "students": [
        {
            "student_id": "S001",
            "school_id": "0590221V",
            "qpv": True,
            "home_lat": 50.358,
            "home_lon": 3.4916,
            "home_commune": "59606",
            "max_travel_min": 40,
            "mode": "transit",
            "wishes": ["health", "law"],
            "wished_offers": ["O001"],
            "needs_accessibility": False,
            "age": 15,
            "split_ok": True,
            "unavailable": ["2027-06-25"],
            "pinned_offer": ["O001"],
            "pinned_slots": ["W001"],
        },
        {
            "student_id": "S002",
            "school_id": "0620108R",
            "home_commune": "62498",
            "banned_hosts": ["H01"],
        },
    ],
    "offers": [
        {
            "offer_id": "O001",
            "host_id": "H01",
            "host_name": "Centre hospitalier",
            "sector": "health",
            "lat": 50.3702,
            "lon": 3.5096,
            "commune": "59606",
            "capacity": 2,
            "start": "2027-06-14",
            "end": "2027-06-18",
            "qpv_reserved": 1,
            "reserved_schools": ["0590221V"],
            "accessible": True,
            "min_age": 15,
            "qpv_min_share": 50,
        },
        {"offer_id": "O002", "host_id": "H02", "sector": "law", "commune": "62498", "capacity": 1},
    ],
    "workshop_slots": [
        {
            "slot_id": "W001",
            "workshop_id": "WK1",
            "title": "Job interview practice",
            "association": "Égalité des chances",
            "venue": "Chamber of commerce",
            "lat": 50.3592,
            "lon": 3.5207,
            "commune": "59606",
            "date": "2027-06-21",
            "part": "AM",
            "capacity": 15,
            "qpv_reserved": 5,
            "accessible": True,
        }
    ],
    "travel_times": [
        {"origin": "S001", "destination": "O001", "minutes": 25},
        {"origin": "0620108R", "destination": "W001", "minutes": 55},
    ],
}
"""A small valid dataset that uses every column: the examples of the reference page, and the
starting point of every broken copy that produces its problem messages."""

# --------------------------------------------------------------------------------------------
# JSON Schema of the dataset, from the row models' annotations


def _constrain(schema: dict[str, Any], meta: Any) -> None:
    """Apply one piece of ``Annotated`` metadata (annotated-types or pydantic) to ``schema``."""
    if isinstance(meta, FieldInfo):
        for inner in meta.metadata:
            _constrain(schema, inner)
        return
    for attr, keyword in (
        ("ge", "minimum"),
        ("le", "maximum"),
        ("gt", "exclusiveMinimum"),
        ("lt", "exclusiveMaximum"),
        ("min_length", "minLength"),
        ("pattern", "pattern"),
    ):
        value = getattr(meta, attr, None)
        if value is not None and not callable(value):
            schema[keyword] = value


def _annotation_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of a field annotation (nullability is the caller's business)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *metadata = typing.get_args(annotation)
        schema = _annotation_schema(base)
        for meta in metadata:
            _constrain(schema, meta)
        return schema
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:  # pragma: no cover - the models have no such field
            raise TypeError(f"unsupported union {annotation!r}")
        return _annotation_schema(args[0])
    if origin is Literal:
        return {"type": "string", "enum": list(typing.get_args(annotation))}
    if origin is tuple:
        return {"type": "array", "items": _annotation_schema(typing.get_args(annotation)[0])}
    simple = {
        bool: {"type": "boolean"},
        int: {"type": "integer"},
        float: {"type": "number"},
        str: {"type": "string"},
        date: {"type": "string", "format": "date"},
    }
    if annotation in simple:
        return dict(simple[annotation])
    raise TypeError(f"unsupported annotation {annotation!r}")  # pragma: no cover


def _json_value(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_json_value(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _column_schema(model: type[BaseModel], table: str, column: str) -> dict[str, Any]:
    info = model.model_fields[column]
    schema = _annotation_schema(info.rebuild_annotation())
    schema["description"] = COLUMN_DOCS[table][column]
    if not info.is_required():
        schema["default"] = _json_value(info.default)
        # A null (a blank cell) means "use the default".
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        schema["type"] = [schema["type"], "null"]
    example = _example_value(table, column)
    if example is not None:
        schema["examples"] = [example]
    return schema


def _example_value(table: str, column: str) -> Any:
    if table == "settings":
        return EXAMPLE_DATASET["settings"].get(column)
    for row in EXAMPLE_DATASET[table]:
        if column in row:
            return row[column]
    return None


def _model_of(table: str) -> type[BaseModel]:
    return Settings if table == "settings" else ROW_MODELS[table]


def _table_schema(table: str) -> dict[str, Any]:
    model = _model_of(table)
    properties = {column: _column_schema(model, table, column) for column in model.model_fields}
    schema: dict[str, Any] = {
        "type": "object",
        "description": TABLE_DOCS[table],
        "properties": properties,
        "required": [c for c, info in model.model_fields.items() if info.is_required()],
        # Settings are a closed set; unknown columns of a table are kept and ignored.
        "additionalProperties": table != "settings",
    }
    if table in LOCATION_COLUMNS:
        lat, lon, commune = LOCATION_COLUMNS[table]
        schema["dependentRequired"] = {lat: [lon], lon: [lat]}
        if table != "students":
            schema["anyOf"] = [{"required": [lat, lon]}, {"required": [commune]}]
    return schema


def dataset_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a dataset as one JSON document.

    One object with a ``settings`` object and one list of row objects per table
    (``travel_times`` optional). Generated from the row models of :mod:`stagematch.model`.

    Returns
    -------
    dict
        The schema, ready for ``json.dumps``.
    """
    defs = {table: _table_schema(table) for table in TABLES}
    properties: dict[str, Any] = {"settings": {"$ref": "#/$defs/settings"}}
    for table in TABLES[1:]:
        properties[table] = {
            "type": "array" if table != "travel_times" else ["array", "null"],
            "items": {"$ref": f"#/$defs/{table}"},
        }
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "stagematch dataset",
        "description": (
            "The input of stagematch as one JSON document (the canonical form: the loaders also "
            "accept spreadsheet spellings such as 'oui' or 'a;b'). Unique ids, references "
            "between tables and dates inside the period are checked on loading."
        ),
        "type": "object",
        "properties": properties,
        "required": [t for t in TABLES if t != "travel_times"],
        "additionalProperties": False,
        "$defs": defs,
    }


# --------------------------------------------------------------------------------------------
# The JSON result: pydantic models that both build the output and give its schema

Level = Literal["qpv_placed", "placed", "workshops", "coaches", "coverage", "preference", "travel"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LevelValue(_Out):
    """A level's value and the best bound proven for it."""

    value: float = Field(description="The value the plan reaches.")
    bound: float = Field(
        description="The best proven bound: upper for maximised levels, lower for minimised ones."
    )


class Counts(_Out):
    """Head counts of the dataset and the plan."""

    model_config = ConfigDict(frozen=True, extra="allow")

    students: int = Field(description="Students in the dataset.")
    qpv_students: int = Field(description="QPV students in the dataset.")
    placed: int = Field(description="Students with at least one placement.")
    qpv_placed: int = Field(description="QPV students with at least one placement.")
    unplaced: int = Field(description="Students without a placement.")
    placements: int = Field(description="Placements given (a split student has two).")
    workshop_sessions: int = Field(description="Workshop sessions given.")
    offers: int = Field(description="Offers in the dataset.")
    workshop_slots: int = Field(description="Workshop slots in the dataset.")


class Kpis(_Out):
    """Headline indicators (``null`` when undefined, e.g. travel with no placement)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    placed_rate: float | None = Field(description="placed / students.")
    qpv_placed_rate: float | None = Field(description="qpv_placed / qpv_students.")
    mean_coverage_rate: float | None = Field(
        description="Half-days covered / (students × half-days of the period)."
    )
    first_wish_rate: float | None = Field(description="Share of placements at wish rank 1.")
    travel_median_min: float | None = Field(description="Median one-way minutes over all items.")
    travel_max_min: float | None = Field(description="Longest one-way minutes of any item.")
    unplaced_no_reachable_offer: int = Field(description="Unplaced: no offer within reach.")
    unplaced_no_eligible_offer: int = Field(
        description="Unplaced: none of the reachable offers eligible."
    )
    unplaced_capacity: int = Field(description="Unplaced: eligible seats went to others.")


class TransportSummary(_Out):
    """What getting students there costs (present when the dataset gives a transport setting)."""

    coaches: int = Field(description="Coaches over all (session, school) groups.")
    coach_groups: int = Field(description="(Session, school) groups travelling by coach.")
    coach_cost: float = Field(description="Euros for the coaches.")
    transit_cost: float = Field(description="Euros of public transport to placements.")
    total_cost: float = Field(description="coach_cost + transit_cost.")
    cost_per_placed_student: float | None = Field(
        description="total_cost / placed students; null when nobody is placed."
    )
    cost_per_placed_qpv_student: float | None = Field(
        description="total_cost / placed QPV students; null when no QPV student is placed."
    )


class AssignmentRecord(_Out):
    """One row of ``assignments.csv``: a student's placement or workshop session."""

    student_id: str
    kind: Literal["placement", "workshop"]
    item_id: str = Field(description="The offer id (placement) or slot id (workshop).")
    start: date
    end: date
    part: Literal["AM", "PM", "DAY"] | None = Field(
        description="The half-day of a workshop session; null for a placement."
    )
    travel_min: float | None = Field(description="One-way travel minutes.")
    wish_rank: int | None = Field(
        description="Rank of the placement in the student's wishes (1 = first); null when unranked or a workshop."
    )


class UnplacedRecord(_Out):
    """One row of ``unplaced.csv``: a student without a placement and the first reason that applies."""

    student_id: str
    qpv: bool
    reason: Literal["no_reachable_offer", "no_eligible_offer", "capacity"]
    detail: str = Field(description="A plain sentence for the coordinator.")


class SolveOptions(_Out):
    """The options a plan was solved with: ``stagematch reproduce`` solves with them again."""

    method: Literal["solve", "resolve", "parts"] = Field(
        description="solve; resolve (re-planned close to a previous plan); parts (by parts)."
    )
    objective: list[str] = Field(description="The levels optimised, most important first.")
    stable: bool
    qpv_min_share: int
    budget: float = Field(description="Search work, in CP-SAT deterministic time units.")
    time_limit: float = Field(description="The wall-clock safety cap in seconds.")
    seed: int
    workers: int
    parts: int | None = Field(default=None, description="How many parts (method parts).")


class ProblemRecord(_Out):
    """One thing wrong with the input, located as the user sees it."""

    table: str
    row: int | None = Field(description="Spreadsheet row (header = 1); null for a whole table.")
    column: str | None
    value: str | None
    message: str
    severity: Literal["error", "warning"] = Field(
        description="error: the data cannot be planned; warning: it is planned anyway."
    )


class SolvedDocument(_Out):
    """A solved plan: the content of ``summary.json`` plus the assignments and the unplaced."""

    status: Literal["optimal", "feasible"] = Field(
        description="optimal: every level proven; feasible: a valid plan, some level not proven."
    )
    levels: dict[Level, LevelValue] = Field(description="Level name → value and bound.")
    counts: Counts
    kpis: Kpis
    seconds: dict[str, float] = Field(description="Wall-clock seconds per solver phase and total.")
    seed: int
    version: str = Field(description="The stagematch version that made the plan.")
    input_hash: str = Field(description="sha256 of the canonical input: same data, same hash.")
    stopped_by: Literal["time_limit", "interrupt"] | None = Field(
        default=None,
        description="null: the work budget or convergence ended the search (the same input and "
        "options give the same plan); time_limit: the wall-clock cap cut it short; interrupt: "
        "it was stopped.",
    )
    options: SolveOptions | None = Field(
        default=None,
        description="Every option that shaped the plan (null for a plan the solver did not make).",
    )
    warnings: list[ProblemRecord] = Field(
        description="What was planned around (severity warning): see the data-format page."
    )
    transport: TransportSummary | None = Field(
        default=None, description="Coach and public-transport costs, when transport is planned."
    )
    assignments: list[AssignmentRecord]
    unplaced: list[UnplacedRecord]


class InvalidInputDocument(_Out):
    """The input cannot be used; every error is listed, and every warning found alongside."""

    status: Literal["infeasible_input"]
    problems: list[ProblemRecord] = Field(description="The errors (severity error).")
    warnings: list[ProblemRecord] = Field(
        description="What would have been planned around (severity warning)."
    )


class ErrorDocument(_Out):
    """Something other than the data went wrong (an option that cannot be honoured, a file)."""

    status: Literal["error"]
    message: str


ResultDocument = Annotated[
    SolvedDocument | InvalidInputDocument | ErrorDocument, Field(discriminator="status")
]
"""What a JSON solve returns, told apart by ``status``."""


def result_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of what ``stagematch solve --json`` and
    :func:`stagematch.solve_json` return.

    Returns
    -------
    dict
        The schema, ready for ``json.dumps``.
    """
    schema = TypeAdapter(ResultDocument).json_schema(mode="serialization")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "stagematch result",
        "description": (
            "The outcome of a JSON solve, told apart by status: optimal or feasible (a plan), "
            "infeasible_input (the problems; exit code 1) or error (exit code 1)."
        ),
        **schema,
    }


def problem_record(problem: Problem) -> ProblemRecord:
    """A :class:`~stagematch.errors.Problem` as a :class:`ProblemRecord`."""
    return ProblemRecord(**problem.as_dict())


# --------------------------------------------------------------------------------------------
# The data format reference page

_MISSING = object()
Mutation = Callable[[dict[str, Any]], None]


def _set(table: str, index: int, column: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target = data[table] if table == "settings" else data[table][index]
        if value is _MISSING:
            target.pop(column, None)
        else:
            target[column] = value

    return mutate


def _duplicate(table: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[table].append(copy.deepcopy(data[table][0]))

    return mutate


def _no_location(table: str) -> Mutation:
    lat, lon, commune = LOCATION_COLUMNS[table]

    def mutate(data: dict[str, Any]) -> None:
        for column in (lat, lon, commune):
            data[table][0].pop(column, None)

    return mutate


def _type_probes(table: str, column: str) -> list[tuple[str, Mutation]]:
    """Bad values for a column, chosen from its schema: (the value as typed, the mutation)."""
    model = _model_of(table)
    info = model.model_fields[column]
    schema = _annotation_schema(info.rebuild_annotation())
    probes: list[tuple[str, Any]] = []
    if info.is_required():
        probes.append(("(blank)", _MISSING))
    kind = schema["type"]
    if "enum" in schema:
        probes.append(("other", "other"))
    elif schema.get("pattern"):
        probes.append(("5960A", "5960A"))
    elif schema.get("format") == "date":
        probes.append(("14/06/2027", "14/06/2027"))
    elif kind == "boolean":
        probes.append(("maybe", "maybe"))
    elif kind == "integer":
        probes.append(("2.5", "2.5"))
    elif kind == "number":
        probes.append(("twelve", "twelve"))
    elif kind == "array":
        item = schema["items"]
        if item.get("format") == "date":
            probes.append(("2027-02-30", "2027-02-30"))
        elif "enum" in item:
            probes.append(("placed;speed", "placed;speed"))
    for keyword, delta in (("minimum", -1), ("exclusiveMinimum", 0), ("maximum", 1)):
        if keyword in schema:
            bound = schema[keyword] + delta
            probes.append((str(bound), bound))
    index = 0
    if table != "settings":
        index = next(i for i, row in enumerate(EXAMPLE_DATASET[table]) if column in row)
    return [(shown, _set(table, index, column, value)) for shown, value in probes]


def _cross_probes() -> list[tuple[str, str, str, Mutation]]:
    """Problems that involve more than one cell: (table, column, value as typed, mutation)."""
    probes: list[tuple[str, str, str, Mutation]] = [
        ("settings", "period_end", "2027-06-01", _set("settings", 0, "period_end", "2027-06-01")),
        ("settings", "holidays", "2027-07-14", _set("settings", 0, "holidays", ["2027-07-14"])),
        ("settings", "pace", "fast", _set("settings", 0, "pace", "fast")),
    ]

    def weekend(data: dict[str, Any]) -> None:
        data["settings"].update(period_start="2027-06-19", period_end="2027-06-20", holidays=[])
        for slot in data["workshop_slots"]:
            slot["date"] = "2027-06-19"
        for offer in data["offers"]:
            offer.pop("start", None)
            offer.pop("end", None)

    probes.append(("settings", "period_start", "2027-06-19 (a Saturday) to 06-20", weekend))
    for table, column in (
        ("schools", "school_id"),
        ("students", "student_id"),
        ("offers", "offer_id"),
        ("workshop_slots", "slot_id"),
    ):
        probes.append((table, column, "(a second row with the same id)", _duplicate(table)))
    for table, (_, lon, commune) in LOCATION_COLUMNS.items():
        probes.append((table, lon, "(lat without lon)", _set(table, 0, lon, _MISSING)))
        if table != "students":
            probes.append((table, commune, "(no location)", _no_location(table)))
        probes.append((table, commune, "99999", _set(table, 0, commune, "99999")))
    probes += [
        ("students", "school_id", "0599999X", _set("students", 0, "school_id", "0599999X")),
        ("offers", "offer_id", "=O002", _set("offers", 1, "offer_id", "=O002")),
        ("students", "wished_offers", "O999", _set("students", 0, "wished_offers", ["O999"])),
        ("students", "wishes", "astronomy", _set("students", 0, "wishes", ["astronomy"])),
        ("students", "nickname", "Zaza (a column stagematch does not know)", _set("students", 0, "nickname", "Zaza")),
        ("students", "student_id", "S002 (living 800 km from every offer)", _both("students", 1, home_lat=43.3, home_lon=5.4, home_commune=None)),
        ("offers", "offer_id", "O001 (min_age 99)", _set("offers", 0, "min_age", 99)),
        ("workshop_slots", "slot_id", "W001 (at a venue 800 km away)", _both("workshop_slots", 0, lat=43.3, lon=5.4, commune=None)),
        ("settings", "workshops_per_student", "1 (and no workshop session)", _no_sessions),
        ("students", "pinned_offer", "O999", _set("students", 0, "pinned_offer", ["O999"])),
        ("students", "pinned_slots", "W999", _set("students", 0, "pinned_slots", ["W999"])),
        ("students", "banned_hosts", "H99", _set("students", 1, "banned_hosts", ["H99"])),
        ("offers", "reserved_schools", "0599999X", _set("offers", 0, "reserved_schools", ["0599999X"])),
        ("offers", "start", "2027-07-01", _set("offers", 0, "start", "2027-07-01")),
        ("offers", "end", "2027-06-14 (before start 06-15)", _both("offers", 0, start="2027-06-15", end="2027-06-14")),
        ("offers", "start", "2027-06-19 to 06-20 (a weekend)", _both("offers", 0, start="2027-06-19", end="2027-06-20")),
        ("offers", "qpv_reserved", "3 (capacity 2)", _set("offers", 0, "qpv_reserved", 3)),
        ("workshop_slots", "date", "2027-07-01", _set("workshop_slots", 0, "date", "2027-07-01")),
        ("workshop_slots", "date", "2027-06-19 (a Saturday)", _set("workshop_slots", 0, "date", "2027-06-19")),
        ("workshop_slots", "qpv_reserved", "20 (capacity 15)", _set("workshop_slots", 0, "qpv_reserved", 20)),
        ("travel_times", "origin", "X1", _set("travel_times", 0, "origin", "X1")),
        ("travel_times", "destination", "X1", _set("travel_times", 0, "destination", "X1")),
    ]  # fmt: skip
    return probes


def _both(table: str, index: int, **values: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[table][index].update(values)
        for column in [c for c, v in values.items() if v is None]:
            del data[table][index][column]

    return mutate


def _no_sessions(data: dict[str, Any]) -> None:
    data["settings"]["workshops_per_student"] = 1
    data["workshop_slots"] = []
    for student in data["students"]:
        student.pop("pinned_slots", None)


def _problems_of(mutate: Mutation) -> list[Problem]:
    """Errors and warnings of the example with one change; warnings of reach included."""
    from .candidates import candidates, data_warnings
    from .io import loads_json

    data = copy.deepcopy(EXAMPLE_DATASET)
    mutate(data)
    try:
        instance = loads_json(json.dumps(data), source="dataset.json")
    except InvalidInputError as error:
        return [*error.problems, *error.warnings]
    return list(data_warnings(instance, candidates(instance)))


def _messages(table: str, column: str, shown: str, mutate: Mutation) -> list[tuple[str, str]]:
    found = [
        (p.message, p.severity)
        for p in _problems_of(mutate)
        if p.table == table and p.column == column
    ]
    if not found:
        raise AssertionError(f"no problem reported for {table}.{column} = {shown}")
    return list(dict.fromkeys(found))


def _whole_file_problems() -> list[tuple[str, str]]:
    """Problems about the document itself, with what caused them."""
    from .io import loads_json

    def drop(data: dict[str, Any]) -> None:
        del data["offers"]

    def extra(data: dict[str, Any]) -> None:
        data["hosts"] = []

    def not_a_list(data: dict[str, Any]) -> None:
        data["offers"] = {"offer_id": "O001"}

    def bad_row(data: dict[str, Any]) -> None:
        data["offers"].append("O003")

    def no_offers(data: dict[str, Any]) -> None:
        data["offers"] = []
        for student in data["students"]:
            for column in ("wished_offers", "pinned_offer", "banned_hosts"):
                student.pop(column, None)
        data.pop("travel_times", None)

    out = []
    for cause, mutate in (
        ("a required table is absent", drop),
        ("a table that stagematch does not know", extra),
        ("a table that is not a list", not_a_list),
        ("a row that is not an object", bad_row),
        ("an offers table with no rows (early in a campaign)", no_offers),
    ):
        for problem in _problems_of(mutate):
            out.append((cause, str(problem)))
    try:
        loads_json('{"settings": {', source="dataset.json")
    except InvalidInputError as error:
        out.append(("text that is not JSON", str(error.problems[0])))
    return out


def _type_text(schema: dict[str, Any]) -> str:
    """A column's type in words, from its JSON Schema."""
    if "enum" in schema:
        words = "one of " + ", ".join(f"`{v}`" for v in schema["enum"] if v is not None)
    elif schema.get("format") == "date":
        words = "date (`YYYY-MM-DD`)"
    elif "pattern" in schema:
        words = "INSEE commune code (5 characters)"
    else:
        kind = schema["type"][0] if isinstance(schema["type"], list) else schema["type"]
        if kind == "array":
            item = _type_text(schema["items"])
            return f"list of {item}, `;`-separated in a cell"
        words = {"boolean": "boolean", "integer": "integer", "number": "number", "string": "text"}[
            kind
        ]
    bounds = []
    if "minimum" in schema:
        bounds.append(f"≥ {schema['minimum']}")
    if "exclusiveMinimum" in schema:
        bounds.append(f"> {schema['exclusiveMinimum']}")
    if "maximum" in schema:
        bounds.append(f"≤ {schema['maximum']}")
    if "minLength" in schema:
        bounds.append("not blank")
    return words + (" " + ", ".join(bounds) if bounds else "")


def _cell(value: Any) -> str:
    """A value as a spreadsheet cell shows it (lists ``;``-joined, booleans true/false)."""
    from .io.writers import csv_cell

    return csv_cell(_json_value(value))


def _md(text: str) -> str:
    """Markdown safe in a table cell: no column break, no line break."""
    return text.replace("|", "\\|").replace("\n", " ")


def _plain(text: str) -> str:
    """Plain text (a message) in a table cell: markdown characters shown as they are."""
    for char in "\\[]*_<`":
        text = text.replace(char, "\\" + char)
    return _md(text)


def _code(value: str) -> str:
    return f"`{value}`" if value else ""


_INTRO = """\
# Data format reference

<!-- Generated by `python -m stagematch.schema docs` from the models in stagematch.model:
     do not edit by hand (a test fails when this page is not current). -->

A dataset has six tables: `settings`, `schools`, `students`, `offers`, `workshop_slots` and the
optional `travel_times`. It comes in three interchangeable forms:

- **a folder of CSV files** (`schools.csv`, `students.csv`, …; UTF-8 or Windows-1252, `,` or `;`
  delimited, a header row) with the settings in `settings.toml` (or a two-column `key,value`
  `settings.csv`);
- **an Excel workbook** (`.xlsx`) with one sheet per table, named as the tables, and a two-column
  `settings` sheet (`key`, `value`);
- **a JSON document** with a `settings` object and one list of row objects per table — its JSON
  Schema is [`schema/dataset.schema.json`](schema/dataset.schema.json).

`stagematch.io.write_dataset(instance, path)` writes any of the three (by the suffix of `path`) and
`stagematch.io.load(path)` reads any of them.

## Cells

- **Blank** means "use the default" (an empty *default* below: no value, the column is
  simply absent); a **required** column may not be blank.
- **Booleans** accept `true`/`false`, `1`/`0`, `yes`/`no`, `oui`/`non`, in any case.
- **Lists** are `;`-separated in a cell (`health;law;media`); JSON may use arrays.
- **Numbers** may use a decimal comma (`12,5`), as French spreadsheets export them.
- **Dates** are ISO `YYYY-MM-DD`; an Excel date cell works too.
- **Ids** are text: leading zeros matter (`0590221V`, `05900`). A whole number typed in Excel
  (`59350` stored as `59350.0`) is read as its digits. An id may not begin with `=`, `+`, `-`,
  `@`, a tab or a line break: spreadsheet programs would read it as a formula, and ids are
  written unchanged in every export (scripts join on them).
- **Text that a spreadsheet would run** (a host name beginning with `=`, `+`, `-`, `@`, a tab
  or a carriage return) is written inert: in every CSV stagematch writes it gets a leading `'`
  and text cells are quoted (OWASP's advice on CSV injection); in a workbook it is a text cell
  with Excel's quote prefix, never a formula. Reading a CSV removes that `'` again, so a dataset
  written by stagematch reads back equal.
- **Locations** are `lat` + `lon` (WGS84 degrees) or a `commune` (5-character INSEE code, resolved
  offline by a table shipped with the package; a code that lost its leading zero gets it back).
  Students' columns are `home_lat`, `home_lon`, `home_commune`; without them a student travels
  from their school.
- **Unknown columns** are kept and ignored (handy for notes), except in `settings`, where an
  unknown key is reported (it is most likely a typo).

## Problems

Bad input never stops at the first mistake: loading reports *every* problem at once, each with its
table, its row as a spreadsheet shows it (the header is row 1, the first data row is row 2), its
column, the value and a plain message.

Each problem has a **severity**:

- **error**: the data cannot be planned. In Python they are `InvalidInputError.problems`; on the
  command line `stagematch validate INPUT` lists them and exits 1; a JSON solve returns
  `{"status": "infeasible_input", "problems": [...], "warnings": [...]}`.
- **warning**: the data is right but awkward, and it is planned anyway: a wish for an offer or a
  sector that no offer has (the wish is ignored, the student's other wishes keep their ranks), an
  offers table with no rows (nobody is placed, workshops are still planned, every student's reason
  is `no_reachable_offer`), an unknown column, a student no offer is open to, an offer or session
  no student can take, an offer or session dated outside the period or on no working day (it is
  left out of the plan, and kept in the dataset). `Instance.warnings` holds those found on
  loading; `Result.warnings` adds those that need travel times (who can reach what);
  `stagematch validate` lists them all and exits 0; `stagematch solve` prints them, writes them
  to `summary.json` (`warnings`) and the report shows them; a JSON solve returns them as
  `warnings`. A wished sector that no offer has is reported once per sector, on the first row
  that wishes it.

The messages below are the ones you get: each was produced by loading a copy of the example
dataset with that one change (and, for warnings of reach, computing who can reach what).
"""


def data_format_markdown() -> str:
    """The data format reference page (markdown), generated from the models.

    Every table and column with its type, whether it is required, its default, an example (from
    :data:`EXAMPLE_DATASET`) and its meaning; then the problems validation reports, each obtained
    by loading a broken copy of the example dataset.

    Raises
    ------
    AssertionError
        When a probe no longer produces a problem (validation lost a check).
    """
    cross: dict[str, list[tuple[str, str, Mutation]]] = {}
    for table, column, shown, mutate in _cross_probes():
        cross.setdefault(table, []).append((column, shown, mutate))
    lines = [_INTRO]
    for table in TABLES:
        model = _model_of(table)
        required = table != "travel_times"
        lines.append(f"## {table}\n")
        lines.append(TABLE_DOCS[table] + (" *(optional table)*" if not required else "") + "\n")
        header = "key" if table == "settings" else "column"
        lines.append(f"| {header} | type | default | example | meaning |")
        lines.append("|---|---|---|---|---|")
        probes: list[tuple[str, str, Mutation]] = []
        for column, info in model.model_fields.items():
            schema = _annotation_schema(info.rebuild_annotation())
            if info.is_required():
                default = "**required**"
            elif info.default is None:
                default = ""
            else:
                default = _md(_code(_cell(info.default)))
            example = _code(_cell(_example_value(table, column)))
            lines.append(
                f"| `{column}` | {_md(_type_text(schema))} | {default} | {_md(example)} | "
                f"{_md(COLUMN_DOCS[table][column])} |"
            )
            probes += [(column, shown, mutate) for shown, mutate in _type_probes(table, column)]
        probes += cross.get(table, [])
        lines.append("")
        lines.append(f"**Problems reported in `{table}`**\n")
        lines.append(f"| {header} | value | severity | message |")
        lines.append("|---|---|---|---|")
        for column, shown, mutate in probes:
            for message, severity in _messages(table, column, shown, mutate):
                lines.append(
                    f"| `{column}` | {_md(_code(shown))} | {severity} | {_plain(message)} |"
                )
        lines.append("")
    lines.append("## The dataset as a whole\n")
    lines.append("| cause | problem as reported (JSON form) |")
    lines.append("|---|---|")
    for cause, problem in _whole_file_problems():
        lines.append(f"| {cause} | {_plain(problem)} |")
    lines.append("")
    lines.append(_transport_outputs())
    lines.append("## Example\n")
    lines.append(
        "The dataset every example above comes from, in the JSON form "
        "(`stagematch.schema.EXAMPLE_DATASET`):\n"
    )
    lines.append("```json")
    lines.append(json.dumps(EXAMPLE_DATASET, indent=2, ensure_ascii=False))
    lines.append("```\n")
    return "\n".join(lines)


def _transport_outputs() -> str:
    """The plan folder's ``transport.csv``: what the transport settings above produce."""
    lines = [
        "## Output: transport.csv\n",
        "With a transport setting, the plan folder holds `transport.csv` beside "
        "`assignments.csv`: one `coach` row per (session, school) group, then one `transit` row "
        "per offer and school for the students placed there who go by public transport (with "
        "`transit_daily_cost`). See Concepts › Transport.\n",
        "| column | meaning |",
        "|---|---|",
        *(f"| `{column}` | {_md(text)} |" for column, text in TRANSPORT_COLUMN_DOCS.items()),
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Writing and checking the generated files


def schema_files() -> dict[str, str]:
    """The generated documentation files: path relative to ``docs/`` → content."""

    def dump(schema: dict[str, Any]) -> str:
        return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"

    return {
        "data-format.md": data_format_markdown(),
        "schema/dataset.schema.json": dump(dataset_schema()),
        "schema/result.schema.json": dump(result_schema()),
    }


def write_docs(docs_dir: str | Path, *, check: bool = False) -> list[Path]:
    """Write (or, with ``check``, compare) the generated files under ``docs_dir``.

    Parameters
    ----------
    docs_dir
        The documentation folder (``docs/`` of the repository).
    check
        Only compare: write nothing.

    Returns
    -------
    list of Path
        The files written, or with ``check`` the files that are missing or out of date.
    """
    root = Path(docs_dir)
    out = []
    for name, text in schema_files().items():
        path = root / name
        current = path.read_text("utf-8") if path.is_file() else None
        if current == text:
            continue
        out.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m stagematch.schema DOCS_DIR [--check]``."""
    parser = argparse.ArgumentParser(
        prog="python -m stagematch.schema",
        description="Write the data format page and the JSON Schemas into a docs folder.",
    )
    parser.add_argument("docs_dir", help="the documentation folder, e.g. docs")
    parser.add_argument("--check", action="store_true", help="only report files out of date")
    args = parser.parse_args(argv)
    changed = write_docs(args.docs_dir, check=args.check)
    for path in changed:
        print(f"{'out of date' if args.check else 'written'}: {path}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
