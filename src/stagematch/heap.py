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
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["keep_freed_memory", "one_heap_for_threads", "release_freed_memory"]


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


# glibc's mallopt parameter numbers, and the values :func:`keep_freed_memory` leaves.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -3, -4, -8
MMAP_MAX = 65_536  # glibc's default
MMAP_THRESHOLD = 32 << 20  # the most glibc's own adjustment raises it to
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD  # what glibc's adjustment sets with it
NEVER = -1  # as M_TRIM_THRESHOLD: the heap is never trimmed, every freed byte kept for reuse


def _mallopt(*settings: tuple[int, int]) -> None:
    if not sys.platform.startswith("linux"):
        return
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        for parameter, value in settings:
            mallopt(parameter, value)


@contextmanager
def keep_freed_memory() -> Iterator[None]:
    """Within the block, memory freed stays in the heap for the next allocation; after it,
    what is left is given back (:func:`release_freed_memory`).

    The listing allocates and frees a few hundred chunk-sized arrays (tens of megabytes each,
    some made by scipy's KD-tree). glibc serves those from fresh pages of the system, which
    the kernel faults in and zeroes one by one, every time: at twice the académie's offer
    density 6.4 of the listing's 19 CPU seconds were the kernel's, 3.3 with glibc's
    ``M_MMAP_MAX`` at 0 and no trim (``docs/benchmarks.md``, "Twice the offer density within
    the cap, session 12"). After the block, glibc is left as its own adjustment leaves it after large
    arrays were freed (arrays above 32 MB get pages of their own, the heap's top is given
    back beyond 64 MB free). Elsewhere it does nothing; nothing computed depends on it.
    """
    _mallopt((M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, NEVER))
    try:
        yield
    finally:
        _mallopt(
            (M_MMAP_MAX, MMAP_MAX),
            (M_MMAP_THRESHOLD, MMAP_THRESHOLD),
            (M_TRIM_THRESHOLD, TRIM_THRESHOLD),
        )
        release_freed_memory()


def one_heap_for_threads() -> None:
    """Let the threads started from now on allocate from the main thread's heap (glibc's
    ``M_ARENA_MAX`` set to 1) rather than each from an arena of its own.

    ``stagematch solve`` solves in a worker thread, so that Ctrl-C reaches the main thread.
    In an arena of its own the académie at twice the generator's offer density peaked at
    4,028 and 4,160 MB, against 3,596 MB solved in the main thread and 3,708 MB with one heap
    (``MALLOC_ARENA_MAX=1``; ``docs/benchmarks.md``, "Memory"). Elsewhere it does nothing;
    nothing computed depends on it.
    """
    _mallopt((M_ARENA_MAX, 1))
