"""What runs in a job's own process: load the stored dataset, solve, store the result and files.

A solve runs outside the service's process so that a crash, a runaway memory use or a stop
cannot take the service (or the other jobs) with it. The process talks to the service only
through the database — progress as it comes, then the result, the report and the plan files in
one transaction — and through the stop event the service sets when the job is cancelled.
"""

from __future__ import annotations

import io
import shutil
import signal
import time
import zipfile
from pathlib import Path
from typing import Any, Protocol

from ..api import load_json_dataset, result_document
from ..export import write_plan
from ..i18n import _, language
from ..report import REPORT_FILES, write_report
from ..result import Result
from ..solver import Progress, solve
from .store import JobStore

__all__ = ["LETTERS_ZIP", "PLAN_ZIP", "StopEvent", "run_job"]

PLAN_ZIP = "plan.zip"
"""The plan folder (what ``stagematch solve --out`` writes), zipped."""

LETTERS_ZIP = "letters.zip"
"""The printable letters (PDF) that come with the report, zipped."""

PROGRESS_INTERVAL_S = 0.5
"""Component events come by the thousand on large datasets: stored at most this often."""


class StopEvent(Protocol):
    """Set by the service when the job is cancelled (a ``multiprocessing.Event``)."""

    def is_set(self) -> bool: ...


class _StoredProgress(Progress):
    """Solver progress written to the job's row, for ``GET /v1/jobs/{id}`` to show."""

    def __init__(self, store: JobStore, job_id: str) -> None:
        self.store, self.job_id = store, job_id
        self.state: dict[str, Any] = {"phase": None, "phases": {}, "components": None, "levels": {}}
        self.stored_at = 0.0

    def _store(self, *, always: bool) -> None:
        now = time.monotonic()
        if always or now - self.stored_at >= PROGRESS_INTERVAL_S:
            self.store.set_progress(self.job_id, self.state)
            self.stored_at = now

    def on_phase(self, phase: str, seconds: float) -> None:
        self.state["phase"] = phase
        self.state["phases"][phase] = round(seconds, 3)
        self._store(always=True)

    def on_component(self, done: int, total: int, students: int) -> None:
        self.state["components"] = {"done": done, "total": total}
        self._store(always=done == total)

    def on_level(self, level: str, value: float, bound: float) -> None:
        self.state["levels"][level] = {"value": value, "bound": bound}
        self._store(always=False)


def _zipped(folder: Path, prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, f"{prefix}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()


def _files(result: Result, folder: Path, *, report: bool, lang: str) -> dict[str, bytes]:
    """The zipped plan folder and, with ``report``, ``report.xlsx``, ``report.html`` and the
    zipped letters, in ``lang``."""
    try:
        files = {PLAN_ZIP: _zipped(write_plan(result, folder / "plan"), "plan")}
        if report:
            write_report(result, folder / "report", lang=lang)
            files.update({name: (folder / "report" / name).read_bytes() for name in REPORT_FILES})
            letters = folder / "report" / "letters"
            if letters.is_dir():
                files[LETTERS_ZIP] = _zipped(letters, "letters")
        return files
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_job(database: str, scratch: str, job_id: str, stop: StopEvent) -> None:
    """Solve job ``job_id`` (already marked running) and store what it gives.

    Ctrl-C in the terminal reaches every process of the group: the service decides what happens
    to its jobs, so this process ignores it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    store = JobStore(database)
    dataset, options = store.job_input(job_id)
    lang = options.get("language") or "en"
    with language(lang):
        try:
            instance = load_json_dataset(dataset)
            result = solve(
                instance,
                time_limit=options.get("time_limit"),
                seed=options.get("seed"),
                stable=options.get("stable"),
                memory_limit=options.get("memory_limit"),
                progress=_StoredProgress(store, job_id),
                stop=stop,
            )
            files = _files(
                result, Path(scratch) / job_id, report=options.get("report", True), lang=lang
            )
            store.finish(
                job_id, "cancelled" if stop.is_set() else "done", result_document(result), files
            )
        except Exception as error:  # the job fails, the service goes on: say what went wrong
            message = _("the solve failed: {error}").format(
                error=f"{type(error).__name__}: {error}"
            )
            store.end_running(job_id, "failed", message)
