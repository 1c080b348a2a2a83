"""The queue: queued jobs start in their own processes, at most ``jobs`` at once, oldest first.

One thread of the service owns the processes. It starts jobs as slots free up, notices when a
process ends (a process that ends without storing a result crashed: its job is marked failed
with the exit code), and ends a cancelled solve that did not stop within the grace period. The
queue itself is the database, so jobs queued when the service stopped start when it comes back;
jobs that were running cannot be resumed half-way and are marked failed, saying so.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import threading
import time
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

from ..i18n import N_
from .config import ServeConfig
from .store import JobStore
from .worker import run_job

__all__ = ["JobRunner"]

log = logging.getLogger(__name__)

# Stored in English (the job's record outlives any request) and translated when shown.
INTERRUPTED = N_(
    "the service stopped while this job was running; its partial work is lost: submit it again"
)
NOT_STOPPED = N_("cancelled; the solve did not stop in time, so no plan was kept")
CRASHED = N_("the solving process ended unexpectedly; it may have run out of memory")
NOT_STARTED = N_("could not start a process for the solve")


def _context() -> BaseContext:
    """Processes forked from a clean server that has the solver imported already (fast to
    start, and no copy of the service's threads); ``spawn`` where there is no fork."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["stagematch.serve.worker"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Running:
    process: BaseProcess
    stop: Any  # a multiprocessing Event
    kill_at: float | None = None
    killed: bool = False


class JobRunner:
    """Runs the jobs of ``store`` under ``config``; :meth:`start` it, then :meth:`close` it."""

    POLL_S = 0.1

    def __init__(self, store: JobStore, config: ServeConfig) -> None:
        self.store, self.config = store, config
        self._context = _context()
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="stagematch-jobs", daemon=True)

    def start(self) -> None:
        """Mark jobs left running by a previous service failed, then start the queue."""
        shutil.rmtree(self.config.scratch, ignore_errors=True)
        self.config.scratch.mkdir(parents=True, exist_ok=True)
        for job_id in self.store.fail_all_running(INTERRUPTED):
            log.warning("job %s was running when the service stopped: marked failed", job_id)
        self._thread.start()

    def wake(self) -> None:
        """A job was queued: look at the queue now rather than at the next poll."""
        self._wake.set()

    def cancel(self, job_id: str) -> bool:
        """Ask a running job to stop with its best plan; ``False`` if it is not running here."""
        with self._lock:
            running = self._running.get(job_id)
            if running is None or not self.store.request_cancel(job_id):
                return False
            running.stop.set()
            if running.kill_at is None:
                running.kill_at = time.monotonic() + self.config.cancel_grace_s
        log.info("job %s: cancel requested", job_id)
        return True

    def close(self) -> None:
        """Stop starting jobs, end the running ones and mark them failed."""
        self._closing = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._lock:
            for running in self._running.values():
                running.process.terminate()
            for running in self._running.values():
                running.process.join(5)
                if running.process.is_alive():
                    running.process.kill()
                    running.process.join()
            self._running.clear()
        for job_id in self.store.fail_all_running(INTERRUPTED):
            log.warning("job %s ended by the service's shutdown", job_id)

    def _loop(self) -> None:
        while not self._closing:
            try:
                with self._lock:
                    self._reap()
                    self._end_overdue()
                    self._launch()
            except Exception as error:  # keep the queue alive; the next turn tries again
                log.error("job queue: %s: %s", type(error).__name__, error)
            self._wake.wait(self.POLL_S)
            self._wake.clear()

    def _reap(self) -> None:
        for job_id, running in list(self._running.items()):
            if running.process.is_alive():
                continue
            running.process.join()
            del self._running[job_id]
            if running.killed:
                self.store.end_running(job_id, "cancelled", NOT_STOPPED)
            else:
                self.store.end_running(job_id, "failed", CRASHED)
            record = self.store.get(job_id)
            status = record.status if record else "gone"
            log.info("job %s %s (exit code %s)", job_id, status, running.process.exitcode)

    def _end_overdue(self) -> None:
        now = time.monotonic()
        for job_id, running in self._running.items():
            if running.kill_at is not None and now > running.kill_at and not running.killed:
                log.warning("job %s did not stop when cancelled: ending its process", job_id)
                running.process.kill()
                running.killed = True

    def _launch(self) -> None:
        while len(self._running) < self.config.jobs and not self._closing:
            job_id = self.store.start_next()
            if job_id is None:
                return
            stop = self._context.Event()
            process = self._context.Process(  # type: ignore[attr-defined]
                target=run_job,
                args=(str(self.store.path), str(self.config.scratch), job_id, stop),
                name=f"stagematch-job-{job_id[:8]}",
                daemon=True,
            )
            try:
                process.start()
            except OSError as error:
                log.error("job %s: could not start a process: %s", job_id, error)
                self.store.end_running(job_id, "failed", NOT_STARTED)
                continue
            self._running[job_id] = _Running(process, stop)
            log.info("job %s started", job_id)
