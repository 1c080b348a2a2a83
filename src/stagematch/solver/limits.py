"""What may end a search early: a stop flag set from outside, and the wall-clock safety cap.

A search normally ends when its *work budget* is spent or it converges: both are measured in
deterministic units (CP-SAT's deterministic time, step counts), so the same input, seed and
options give the same plan on any machine under any load. Two things can cut it short, and the
result says which (``Result.stopped_by``):

- ``"interrupt"`` — a *stop* object was set: anything with ``is_set()``, such as a
  :class:`threading.Event` (Ctrl-C in the command line) or a :class:`multiprocessing.Event`
  (a web service's cancel). The running CP-SAT solve is stopped by a watcher thread within a
  fraction of a second and the best valid plan found so far is returned.
- ``"time_limit"`` — the wall-clock cap (``time_limit``) ran out first: the plan then depends
  on the machine's speed and load.

:class:`Limits` carries both for one solve and remembers the first that fired.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from ortools.sat.python import cp_model

from ..result import StoppedBy
from .options import Stop

__all__ = ["POLL_SECONDS", "Limits", "Stop", "StoppedBy", "watching"]

T = TypeVar("T")

POLL_SECONDS = 0.05
"""How often a running CP-SAT solve looks at the stop flag."""


@dataclass
class Limits:
    """The wall-clock cap (a ``time.monotonic()`` deadline) and the stop flag of one search.

    ``stopped_by`` is the first of the two that ended some part of the search, or ``None``.
    """

    deadline: float
    stop: Stop | None = None
    stopped_by: StoppedBy | None = None

    def interrupted(self) -> bool:
        """Is the stop flag set? (Remembered as ``"interrupt"``.)"""
        if self.stop is not None and self.stop.is_set():
            self.stopped_by = self.stopped_by or "interrupt"
            return True
        return False

    def out_of_time(self) -> bool:
        """Has the wall-clock cap passed? (Remembered as ``"time_limit"``.)"""
        if time.monotonic() >= self.deadline:
            self.stopped_by = self.stopped_by or "time_limit"
            return True
        return False

    def exhausted(self) -> bool:
        """Must the search end now, for either reason?"""
        return self.interrupted() or self.out_of_time()

    def seconds_left(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def note(self, cause: StoppedBy | None) -> None:
        """Record what ended a part of the search run elsewhere (a task, a part)."""
        if cause is not None:
            self.stopped_by = self.stopped_by or cause

    def outcome(self, future: Future[T] | None) -> T | None:
        """A task's outcome, or ``None`` if it never ran or the stop flag was set while it ran
        elsewhere (it is then cancelled if it has not started, and its result ignored)."""
        if future is None:
            return None
        while not future.done():
            if self.interrupted():
                future.cancel()
                return None
            wait([future], timeout=POLL_SECONDS)
        return future.result()


@contextmanager
def watching(solver: cp_model.CpSolver, stop: Stop | None) -> Iterator[None]:
    """While the block runs ``solver.solve``, a thread stops the search once ``stop`` is set.

    ``stop_search`` before the solve has started does nothing, so the watcher keeps calling
    it every :data:`POLL_SECONDS` until the block ends.
    """
    if stop is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(POLL_SECONDS):
            if stop.is_set():
                solver.stop_search()

    thread = threading.Thread(target=watch, name="stagematch-stop", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
