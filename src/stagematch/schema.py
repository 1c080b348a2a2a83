"""The data contract, written down: the JSON Schemas of what goes in and what comes out.

Other tools embed stagematch through JSON (``stagematch solve --json -`` or
:func:`stagematch.solve_json`); this module says exactly what goes in and what comes out:

* :func:`dataset_schema` — the JSON Schema of an input dataset, derived from the row models of
  :mod:`stagematch.rows` (their types, constraints, defaults and each field's description);
* :func:`result_schema` — the JSON Schema of what a JSON solve returns: a solved plan, or the
  problems that made the input invalid, or an error, derived from the models of
  :mod:`stagematch.documents` that build those documents.

The published copies (``docs/schema/*.schema.json``) and the data format reference page are
written by ``python tools/data_format.py docs`` (``make docs``); a test checks they are current.

The dataset schema describes the *canonical* JSON form — the one
:func:`stagematch.io.write_dataset` writes and every loader reads. The loaders are more lenient
than the schema, as coordinators' spreadsheets require: booleans may be ``"oui"``/``"non"``, lists
may be ``;``-separated strings, numbers may be strings with a decimal comma. What a schema cannot
express (unique ids, references between tables, dates inside the period) is checked on loading
and reported as problems.
"""

from __future__ import annotations

import types
import typing
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from .documents import ResultDocument
from .rows import LEVELS, LOCATION_COLUMNS, ROW_MODELS, TABLE_DOCS, TABLES, Settings

__all__ = [
    "EXAMPLE_DATASET",
    "JSON_SCHEMA_DIALECT",
    "annotation_schema",
    "dataset_schema",
    "example_value",
    "json_value",
    "model_of",
    "result_schema",
]

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

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


def annotation_schema(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of a field annotation (nullability is the caller's business)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *metadata = typing.get_args(annotation)
        schema = annotation_schema(base)
        for meta in metadata:
            _constrain(schema, meta)
        return schema
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:  # pragma: no cover - the models have no such field
            raise TypeError(f"unsupported union {annotation!r}")
        return annotation_schema(args[0])
    if origin is Literal:
        return {"type": "string", "enum": list(typing.get_args(annotation))}
    if origin is tuple:
        return {"type": "array", "items": annotation_schema(typing.get_args(annotation)[0])}
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


def json_value(value: Any) -> Any:
    """A default or example in its canonical JSON form (tuples as lists, dates as ISO text)."""
    if isinstance(value, tuple | list):
        return [json_value(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _column_schema(model: type[BaseModel], table: str, column: str) -> dict[str, Any]:
    info = model.model_fields[column]
    schema = annotation_schema(info.rebuild_annotation())
    schema["description"] = info.description
    if not info.is_required():
        schema["default"] = json_value(info.default)
        # A null (a blank cell) means "use the default".
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        schema["type"] = [schema["type"], "null"]
    example = example_value(table, column)
    if example is not None:
        schema["examples"] = [example]
    return schema


def example_value(table: str, column: str) -> Any:
    """The column's value in :data:`EXAMPLE_DATASET` (the first row that gives it), else ``None``."""
    if table == "settings":
        return EXAMPLE_DATASET["settings"].get(column)
    for row in EXAMPLE_DATASET[table]:
        if column in row:
            return row[column]
    return None


def model_of(table: str) -> type[BaseModel]:
    """The row model of a table (:class:`~stagematch.rows.Settings` for ``settings``)."""
    return Settings if table == "settings" else ROW_MODELS[table]


def _table_schema(table: str) -> dict[str, Any]:
    model = model_of(table)
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
