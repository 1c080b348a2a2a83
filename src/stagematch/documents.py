"""What a JSON solve returns, as pydantic models: they build the documents and give their schema.

``stagematch solve --json``, :func:`stagematch.solve_json` and ``stagematch serve`` answer with
one of :class:`SolvedDocument`, :class:`InvalidInputDocument` or :class:`ErrorDocument` (told
apart by ``status``: :data:`ResultDocument`); the documents are built through these models and
their JSON Schema (:func:`stagematch.schema.result_schema`) is derived from them, so output and
schema cannot drift apart.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .errors import Problem
from .rows import ItemKind

__all__ = [
    "AssignmentRecord",
    "Counts",
    "ErrorDocument",
    "InvalidInputDocument",
    "Kpis",
    "LevelValue",
    "ProblemRecord",
    "ResultDocument",
    "SolveOptions",
    "SolvedDocument",
    "TransportSummary",
    "UnplacedRecord",
    "problem_record",
]

ResultLevel = Literal[
    "qpv_placed", "placed", "workshops", "coaches", "coverage", "preference", "travel"
]


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
    kind: ItemKind
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
    parts: int | None = Field(
        default=None, description="How many parts (method parts, or a solve over the memory limit)."
    )
    memory_limit: int | Literal["off"] | None = Field(
        default=None,
        description="Megabytes the solve could expect to use (off: no limit; absent: older plan).",
    )
    parts_reason: Literal["memory_limit"] | None = Field(
        default=None,
        description="Why a solve went by parts: its estimated memory was above the limit.",
    )
    estimated_memory: int | None = Field(
        default=None, description="The estimated megabytes that sent the solve by parts."
    )


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
    levels: dict[ResultLevel, LevelValue] = Field(description="Level name → value and bound.")
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


def problem_record(problem: Problem) -> ProblemRecord:
    """A :class:`~stagematch.errors.Problem` as a :class:`ProblemRecord`."""
    return ProblemRecord(**problem.as_dict())
