"""The documents of the HTTP API that the JSON contract does not already have.

A solved job's result is exactly :class:`~stagematch.documents.SolvedDocument` and an invalid
dataset's answer exactly :class:`~stagematch.documents.InvalidInputDocument`, as ``stagematch solve
--json`` prints them; what is new here is a job (its options, status, progress and times) and
the answer of a valid dataset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..documents import ProblemRecord
from ..i18n import translate
from ..solver.options import memory_megabytes
from .store import JobRecord, JobStatus

__all__ = [
    "Job",
    "JobList",
    "JobOptions",
    "JobProgress",
    "JobTimes",
    "ValidDocument",
    "job_document",
]


class JobOptions(BaseModel):
    """How to solve: given as query parameters of ``POST /v1/jobs``."""

    model_config = ConfigDict(extra="forbid")

    time_limit: float | None = Field(
        None, gt=0, description="Seconds for the solve (default: the dataset's time_limit_s)."
    )
    seed: int | None = Field(None, ge=0, description="Solver seed (default: the dataset's seed).")
    stable: bool | None = Field(
        None,
        description="Only plans without justified envy, the best of them "
        "(default: the dataset's stable setting).",
    )
    memory_limit: str | None = Field(
        None,
        description="Memory the solve may expect to use, such as 4GB or 3500MB (a number "
        "alone is megabytes), or off (default: 4GB, as on the command line); above it the "
        "dataset is solved by geographic parts, and the result's options say so.",
    )
    report: bool = Field(
        True,
        description="Also make report.xlsx and report.html (their plots take a few seconds); "
        "plan.zip and the result are always made.",
    )
    language: Literal["en", "fr"] | None = Field(
        None,
        description="Language of the report files and of the messages (default: the dataset's "
        "language setting, else English).",
    )

    @field_validator("memory_limit")
    @classmethod
    def _a_size(cls, value: str | None) -> str | None:
        """Checked when the job is submitted (a 400 naming the option, not a failed job); kept
        as typed, so the job and the result show the same words as the request."""
        if value is not None:
            memory_megabytes(value)
        return value


class LevelProgress(BaseModel):
    value: float
    bound: float


class ComponentsProgress(BaseModel):
    done: int
    total: int


class JobProgress(BaseModel):
    """What the solver has reported so far."""

    phase: str | None = Field(None, description="The last solver phase finished.")
    phases: dict[str, float] = Field(
        default_factory=dict, description="Seconds of each phase finished."
    )
    components: ComponentsProgress | None = Field(
        None, description="Independent parts of the dataset solved so far, of how many."
    )
    levels: dict[str, LevelProgress] = Field(
        default_factory=dict,
        description="The last value and bound reported for each level (of the part being solved).",
    )


class JobTimes(BaseModel):
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    queued_s: float | None = Field(description="Seconds between submission and start.")
    running_s: float | None = Field(description="Seconds running, so far or in all.")


class Job(BaseModel):
    """A solve submitted to the service."""

    id: str
    status: JobStatus = Field(
        description="queued, running, done, failed or cancelled (a cancelled job keeps the "
        "best plan found when it stopped, if any: see has_result)."
    )
    students: int
    options: JobOptions
    progress: JobProgress
    times: JobTimes
    cancel_requested: bool
    has_result: bool = Field(description="Whether the result and the files can be fetched.")
    result_status: Literal["optimal", "feasible"] | None = Field(
        description="The plan's status, once there is one."
    )
    stopped_by: str | None = Field(description="What cut the search short, if anything.")
    message: str | None = Field(description="Why the job failed, or ended without a plan.")


class JobList(BaseModel):
    jobs: list[Job] = Field(description="Every job the service has stored, oldest first.")


class DatasetSize(BaseModel):
    schools: int
    students: int
    offers: int
    workshop_slots: int
    travel_times: int


class ValidDocument(BaseModel):
    """A dataset that can be solved."""

    status: Literal["valid"]
    problems: list[ProblemRecord] = Field(description="Empty: nothing stops a solve.")
    warnings: list[ProblemRecord] = Field(
        default_factory=list,
        description="Data that is right but awkward: it will be planned around, as said here.",
    )
    dataset: DatasetSize


def _moment(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


def job_document(record: JobRecord, now: float) -> Job:
    """The API's view of a stored job (``now`` for the running time of a running job)."""
    queued = None if record.started_at is None else record.started_at - record.created_at
    running = None
    if record.started_at is not None:
        running = (record.finished_at or now) - record.started_at
    created = _moment(record.created_at)
    assert created is not None
    return Job(
        id=record.id,
        status=record.status,
        students=record.students,
        options=JobOptions(**record.options),
        progress=JobProgress(**record.progress),
        times=JobTimes(
            created_at=created,
            started_at=_moment(record.started_at),
            finished_at=_moment(record.finished_at),
            queued_s=None if queued is None else round(queued, 3),
            running_s=None if running is None else round(running, 3),
        ),
        cancel_requested=record.cancel_requested,
        has_result=record.has_result,
        result_status=record.result_status,
        stopped_by=record.stopped_by,
        message=None if record.error is None else translate(record.error),
    )
