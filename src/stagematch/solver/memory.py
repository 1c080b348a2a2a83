"""How much memory a solve will need, estimated before any candidate pair is listed.

Nearly all of a large solve's memory grows with its candidate pairs: the pairs themselves
(student, item, minutes, wish rank and cost), the arrays built while listing them, and the
per-pair flags and keys of the later stages. So the estimate is the pairs, counted without
listing any (:func:`stagematch.decompose.estimated_pairs`: a KD-tree count of the items
within each student's reach, every student counted up to 20,000 students, a sample above),
times the peak bytes a pair costs, plus what grows with the students (the flows' networks
over their short lists, the search's models), plus what a solve holds whatever its size —
measured on the generator's académie at its offer density and at twice it
(``docs/benchmarks.md``, "Memory").

:func:`stagematch.solve` compares the estimate with ``memory_limit`` and, above it, solves by
parts (:mod:`.parts`) whose pairs each fit the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..decompose import estimated_pairs
from ..model import Instance

__all__ = [
    "BYTES_PER_PAIR",
    "BYTES_PER_STUDENT",
    "FIXED_MB",
    "MemoryEstimate",
    "estimate",
    "pairs_within",
]

MB = 1 << 20
"""A megabyte here is 1,048,576 bytes, as in the peaks the benchmarks report."""

BYTES_PER_PAIR = 18
"""Peak resident bytes per estimated candidate pair, with a margin. The académie's whole solve
peaked at 2,371 MB for 89 million estimated pairs and at 3,674 MB for 173 million at twice
its offer density: 16.3 bytes a pair between the two (``docs/benchmarks.md``, "Memory").
What they hold: 16 bytes a placement pair kept (student, item, minutes, rank, cost), a byte
of the flow's mask, and the listing's chunks while they wait to be scattered."""

BYTES_PER_STUDENT = 12 * 1024
"""Peak resident bytes per student beyond the pairs: the same two solves leave 588 MB for
50,000 students above :data:`FIXED_MB` once their pairs are counted (the flows' networks over
the short lists, the search's models and the plan's arrays)."""

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
    students = instance.arrays.n_students
    grows = pairs * BYTES_PER_PAIR + students * BYTES_PER_STUDENT
    return MemoryEstimate(pairs=pairs, megabytes=FIXED_MB + -(-grows // MB))


def pairs_within(megabytes: float, students: int = 0) -> int:
    """The most candidate pairs a part of an instance of ``students`` students may hold to fit
    ``megabytes`` (at least one student's). Every student is counted in every part: parts
    hold fewer, so they fit with room to spare."""
    room = (megabytes - FIXED_MB) * MB - students * BYTES_PER_STUDENT
    return max(int(room // BYTES_PER_PAIR), 1)
