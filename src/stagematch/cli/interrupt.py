"""Ctrl-C and SIGTERM during a solve: the best plan so far is kept, a second signal aborts."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from ..heap import one_heap_for_threads
from ..i18n import _
from ..result import Result


class Interrupt:
    """Ctrl-C or SIGTERM during a solve: the first stops the search, the second aborts.

    The first signal sets the solver's stop event: the search ends within a second or two and
    the best valid plan so far is written whole (``stopped_by: "interrupt"``). A second signal
    raises :class:`KeyboardInterrupt`, and since a plan folder is only ever swapped in whole,
    nothing half-written is left. The solve runs in a worker thread because a signal handler
    only runs when the main thread executes Python, which it does not inside a solver call.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupt:
        if threading.current_thread() is threading.main_thread():
            for number in self.SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()
        print(
            _("stopping: the best plan so far will be written (interrupt again to abort)"),
            file=sys.stderr,
        )

    def run(self, work: Callable[[], Result]) -> Result:
        """``work()`` in a worker thread, the main thread waiting where signals reach it."""
        results: list[Result] = []
        errors: list[BaseException] = []

        def target() -> None:
            try:
                results.append(work())
            except BaseException as error:  # handed to the main thread, raised there
                errors.append(error)

        one_heap_for_threads()  # the solve's memory as in the main thread (its docstring)
        worker = threading.Thread(target=target, name="stagematch-solve", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.1)
        except KeyboardInterrupt:
            # The solve's thread is inside native solver code, which cannot be unwound, and an
            # interpreter shutting down around it aborts: leave at once. Nothing is written
            # before the solve returns, so nothing is left half.
            print(_("interrupted"), file=sys.stderr, flush=True)
            sys.stdout.flush()
            os._exit(130)
        if errors:
            raise errors[0]
        return results[0]
