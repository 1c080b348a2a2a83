"""Jobs, their datasets, progress and results in one SQLite file, shared by every process.

The service and each solving process open their own connection (SQLite's WAL journal lets one
write while the others read). Every change of a job's status is one ``UPDATE … WHERE status =
…``, so a cancel racing a start, or a result racing a crash report, cannot both win. A finished
job's result document and files are written in the same transaction as its status: a job marked
``done`` always has them.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["FINISHED", "JobRecord", "JobStatus", "JobStore"]

JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED: tuple[JobStatus, ...] = ("done", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    options TEXT NOT NULL,
    students INTEGER NOT NULL,
    dataset BLOB NOT NULL,
    progress TEXT NOT NULL DEFAULT '{}',
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    result_status TEXT,
    stopped_by TEXT,
    result TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE TABLE IF NOT EXISTS files (
    job_id TEXT NOT NULL REFERENCES jobs (id),
    name TEXT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (job_id, name)
);
"""

_RECORD_COLUMNS = (
    "id, status, created_at, started_at, finished_at, options, students, progress, "
    "cancel_requested, error, result_status, stopped_by"
)


_NOT_BEFORE_START = "MAX(?, COALESCE(started_at, created_at))"
"""A job's end time, never before its start: wall-clock times (``time.time()``, shown to
people as moments) can step back when the system clock is adjusted, and a job then showed a
negative running time (seen once, -0.005 s, on a loaded machine)."""


@dataclass(frozen=True)
class JobRecord:
    """A job as stored, without its dataset, result or files."""

    id: str
    status: JobStatus
    created_at: float
    started_at: float | None
    finished_at: float | None
    options: dict[str, Any]
    students: int
    progress: dict[str, Any]
    cancel_requested: bool
    error: str | None
    result_status: str | None
    stopped_by: str | None

    @property
    def has_result(self) -> bool:
        return self.result_status is not None

    @classmethod
    def _from_row(cls, row: tuple[Any, ...]) -> JobRecord:
        (job_id, status, created, started, finished, options, students, progress) = row[:8]
        cancel_requested, error, result_status, stopped_by = row[8:]
        return cls(
            id=job_id,
            status=status,
            created_at=created,
            started_at=started,
            finished_at=finished,
            options=json.loads(options),
            students=students,
            progress=json.loads(progress),
            cancel_requested=bool(cancel_requested),
            error=error,
            result_status=result_status,
            stopped_by=stopped_by,
        )


class JobStore:
    """The job database at ``path`` (created with its tables if absent)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection whose block is one transaction (committed on success)."""
        with closing(sqlite3.connect(self.path, timeout=60)) as connection, connection:
            yield connection

    def add(self, dataset: bytes, options: dict[str, Any], students: int) -> JobRecord:
        """A new queued job for ``dataset`` (the validated dataset as JSON)."""
        job_id = uuid.uuid4().hex
        with self._connect() as connection:
            connection.execute(
                "INSERT INTO jobs (id, status, created_at, options, students, dataset) "
                "VALUES (?, 'queued', ?, ?, ?, ?)",
                (job_id, time.time(), json.dumps(options), students, dataset),
            )
        record = self.get(job_id)
        assert record is not None
        return record

    def get(self, job_id: str) -> JobRecord | None:
        with self._connect() as connection:
            row = connection.execute(
                f"SELECT {_RECORD_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        return None if row is None else JobRecord._from_row(row)

    def jobs(self) -> list[JobRecord]:
        """Every job, oldest first."""
        with self._connect() as connection:
            rows = connection.execute(f"SELECT {_RECORD_COLUMNS} FROM jobs ORDER BY seq").fetchall()
        return [JobRecord._from_row(row) for row in rows]

    def start_next(self) -> str | None:
        """Mark the oldest queued job running and return its id (``None``: the queue is empty)."""
        with self._connect() as connection:
            row = connection.execute(
                "UPDATE jobs SET status = 'running', started_at = MAX(?, created_at) "
                "WHERE seq = (SELECT seq FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1) "
                "RETURNING id",
                (time.time(),),
            ).fetchone()
        return None if row is None else str(row[0])

    def job_input(self, job_id: str) -> tuple[bytes, dict[str, Any]]:
        """The dataset (JSON bytes) and options of a job."""
        with self._connect() as connection:
            dataset, options = connection.execute(
                "SELECT dataset, options FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
        return bytes(dataset), json.loads(options)

    def cancel_queued(self, job_id: str) -> bool:
        """Cancel a job that has not started; ``False`` if it is no longer queued."""
        return self._move(job_id, "queued", "cancelled", cancel_requested=1)

    def request_cancel(self, job_id: str) -> bool:
        """Note that a running job was asked to stop; ``False`` if it is not running."""
        with self._connect() as connection:
            changed = connection.execute(
                "UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND status = 'running'",
                (job_id,),
            ).rowcount
        return changed == 1

    def set_progress(self, job_id: str, progress: dict[str, Any]) -> None:
        with self._connect() as connection:
            connection.execute(
                "UPDATE jobs SET progress = ? WHERE id = ? AND status = 'running'",
                (json.dumps(progress), job_id),
            )

    def finish(
        self,
        job_id: str,
        status: Literal["done", "cancelled"],
        result: dict[str, Any],
        files: dict[str, bytes],
    ) -> bool:
        """Store a running job's result and files and its final status, all at once."""
        with self._connect() as connection:
            changed = connection.execute(
                f"UPDATE jobs SET status = ?, finished_at = {_NOT_BEFORE_START}, result = ?, result_status = ?, "
                "stopped_by = ? WHERE id = ? AND status = 'running'",
                (
                    status,
                    time.time(),
                    json.dumps(result, ensure_ascii=False, allow_nan=False),
                    result["status"],
                    result.get("stopped_by"),
                    job_id,
                ),
            ).rowcount
            if changed != 1:
                return False
            connection.executemany(
                "INSERT INTO files (job_id, name, content) VALUES (?, ?, ?)",
                [(job_id, name, content) for name, content in files.items()],
            )
        return True

    def end_running(
        self, job_id: str, status: Literal["failed", "cancelled"], message: str
    ) -> bool:
        """End a running job without a result, saying why; ``False`` if it was not running."""
        return self._move(job_id, "running", status, error=message)

    def fail_all_running(self, message: str) -> list[str]:
        """Mark every running job failed (the service stopped under them); their ids."""
        with self._connect() as connection:
            rows = connection.execute(
                f"UPDATE jobs SET status = 'failed', finished_at = {_NOT_BEFORE_START}, error = ? "
                "WHERE status = 'running' RETURNING id",
                (time.time(), message),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def result(self, job_id: str) -> str | None:
        """The stored result document (JSON text), if the job has one."""
        with self._connect() as connection:
            row = connection.execute("SELECT result FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else row[0]

    def file(self, job_id: str, name: str) -> bytes | None:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT content FROM files WHERE job_id = ? AND name = ?", (job_id, name)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def _move(self, job_id: str, old: str, new: str, **values: Any) -> bool:
        assignments = "".join(f", {column} = ?" for column in values)
        with self._connect() as connection:
            changed = connection.execute(
                f"UPDATE jobs SET status = ?, finished_at = {_NOT_BEFORE_START}{assignments} "
                "WHERE id = ? AND status = ?",
                (new, time.time(), *values.values(), job_id, old),
            ).rowcount
        return changed == 1
