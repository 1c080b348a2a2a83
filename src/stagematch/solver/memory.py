"""How much memory a solve will need, estimated before any candidate pair is listed.

Nearly all of a large solve's memory grows with its candidate pairs: the pairs themselves
(student, item, minutes, wish rank and cost), the arrays built while listing them, and the
per-pair flags and keys of the later stages. So the estimate is the pairs, counted without
listing any (:func:`stagematch.decompose.estimated_pairs`: a KD-tree count of the items
within each student's reach, every student counted up to 20,000 students, a sample above),
times the peak bytes a pair costs, measured on the generator's académie at its offer density
and at twice it (``docs/benchmarks.md``, "Memory"), plus what a solve holds whatever its size.

:func:`stagematch.solve` compares the estimate with ``memory_limit`` and, above it, solves by
parts (:mod:`.parts`) whose pairs each fit the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..decompose import estimated_pairs
from ..model import Instance

__all__ = ["BYTES_PER_PAIR", "FIXED_MB", "MemoryEstimate", "estimate", "pairs_within"]

MB = 1 << 20
"""A megabyte here is 1,048,576 bytes, as in the peaks the benchmarks report."""

BYTES_PER_PAIR = 32
"""Peak resident bytes per estimated candidate pair of a whole solve, with a margin: the
académie's whole solve peaked at 2,871 MB for 89 million estimated pairs, 29 bytes a pair above
the fixed part (``docs/benchmarks.md``, "Memory"). What they hold: 18 bytes a placement pair
kept (student, item, minutes, rank, cost), 8 more while the pairs wait to be scattered, and the
flows' networks over the pairs they activate."""

FIXED_MB = 400
"""Resident megabytes of a solve whatever its pairs: the interpreter, numpy, OR-Tools, HiGHS
and the dataset's rows."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Candidate pairs (offers and slots) and the peak megabytes a whole solve is expected to
    need. ``pairs`` is an upper bound of the pairs listed when every student was counted."""

    pairs: int
    megabytes: int


def estimate(instance: Instance) -> MemoryEstimate:
    """The pairs and peak memory of solving ``instance`` whole (module docstring)."""
    pairs = int(estimated_pairs(instance, overrides=True).sum())
    return MemoryEstimate(pairs=pairs, megabytes=FIXED_MB + -(-pairs * BYTES_PER_PAIR // MB))


def pairs_within(megabytes: float) -> int:
    """The most candidate pairs a part may hold to fit ``megabytes`` (at least one student's)."""
    return max(int((megabytes - FIXED_MB) * MB // BYTES_PER_PAIR), 1)
