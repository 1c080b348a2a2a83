"""The C library's heap: what the process keeps of the memory it frees, and how threads share it.

numpy's arrays are allocated by the C library (glibc on Linux). Listing an académie's pairs
allocates and frees thousands of chunk-sized arrays, and a solve in a worker thread allocates
from an arena of its own: both leave memory the process holds but no longer uses, at the phase
that sets a solve's peak. These calls change how much memory is held, never what is computed;
on other systems and C libraries they do nothing.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["one_heap_for_threads", "release_freed_memory"]


def release_freed_memory() -> None:
    """Give the memory freed by a listing back to the system (glibc's ``malloc_trim``).

    The listing allocates and frees thousands of chunk-sized arrays; glibc keeps
    the freed ones in its heap, which only shrinks from the top, so without this the process
    keeps about 3.5 bytes a listed pair it no longer uses (520 MB on an académie at twice the
    generator's offer density), through the flow phase that sets a solve's peak. Elsewhere
    (other C libraries, other systems) it does nothing; nothing computed depends on it.
    """
    if not sys.platform.startswith("linux"):
        return
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


M_ARENA_MAX = -8  # glibc's mallopt parameter number


def one_heap_for_threads() -> None:
    """Let the threads started from now on allocate from the main thread's heap (glibc's
    ``M_ARENA_MAX`` set to 1) rather than each from an arena of its own.

    ``stagematch solve`` solves in a worker thread, so that Ctrl-C reaches the main thread.
    In an arena of its own the académie at twice the generator's offer density peaked at
    4,028 and 4,160 MB, against 3,596 MB solved in the main thread and 3,708 MB with one heap
    (``MALLOC_ARENA_MAX=1``; ``docs/benchmarks.md``, "Memory"). Elsewhere it does nothing;
    nothing computed depends on it.
    """
    if not sys.platform.startswith("linux"):
        return
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(M_ARENA_MAX, 1)
