"""Who a neighbourhood step frees, and which kind of neighbourhood the search tries next.

Two kinds of neighbourhood serve the search (:mod:`.lns`):

* **near** — the students nearest a seed student, with all their pairs: they share the offers
  and sessions within reach of the same places, and the same school calendar, so most trades
  of seats are between them;
* **sessions** — the seed and the students who *compete* with it for sessions: every candidate
  (holder or not) of the sessions the seed does not attend, up to ``SESSION_STUDENTS``, their
  placements kept and only their sessions re-optimised. Sessions are few and shared by a whole
  bassin (26 sessions for 1,000 students), so a seat of a full session is freed by a chain of
  moves that reaches far beyond 30 neighbours: a student who could attend a session with a free
  seat leaves theirs to one missing a workshop. Keeping the placements makes such a step
  cheap for its size (a student brings one placement pair and a few session pairs).

Which kind comes next is decided by :class:`KindChooser` from what each kind has gained per
unit of work so far — deterministic, so the same seed and budget give the same plan.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from ..arrays import BoolArray, IntArray
from ..geo import to_unit_vectors
from .context import SolveContext

__all__ = ["KINDS", "KindChooser", "Neighbourhoods"]

KINDS = ("near", "sessions")

SESSION_STUDENTS = 200
"""Students freed by a ``sessions`` step: the candidates of a few sessions (a session of a
bassin has about 50)."""

LEVEL_WEIGHT = 10.0
"""How much more a gain on one level counts than a gain on the level below it, when kinds are
compared: levels are lexicographic, so a kind that gains workshops beats one that gains many
minutes of travel."""

MEMORY = 0.9
"""Weight of a kind's past steps against its latest (per step of that kind): the comparison
follows what each kind gains *now*, as the easy gains are used up."""

EXPLORE = 10
"""A kind not tried for this many steps is tried again, whatever its record: what it could
gain changes as the plan does."""


class Neighbourhoods:
    """Builds the neighbourhoods of one component's search (students as positions in
    ``students``)."""

    def __init__(
        self, context: SolveContext, students: IntArray, slot_rows: list[IntArray], size: int
    ) -> None:
        self.context, self.students, self.slot_rows, self.size = context, students, slot_rows, size
        arrays, cand = context.arrays, context.cand
        self.points = to_unit_vectors(arrays.origin_lat[students], arrays.origin_lon[students])
        self.tree = cKDTree(self.points)
        position = np.full(arrays.n_students, -1, dtype=np.int64)
        position[students] = np.arange(len(students))
        # Per session, the positions of its candidates in the component.
        order = np.argsort(cand.slots.item, kind="stable")
        where = position[cand.slots.student[order]]
        ptr = np.searchsorted(cand.slots.item[order], np.arange(len(arrays.slots.capacity) + 1))
        self._candidates = [where[ptr[i] : ptr[i + 1]] for i in range(len(ptr) - 1)]
        self._candidates = [c[c >= 0] for c in self._candidates]
        self.has_sessions = any(len(c) for c in self._candidates)

    def near(self, seed: int) -> IntArray:
        """The ``size`` students nearest ``seed``, sorted."""
        _, near = self.tree.query(self.points[seed], k=self.size)
        return np.sort(np.atleast_1d(near))

    def sessions(self, seed: int, slot_chosen: BoolArray, rng: np.random.Generator) -> IntArray:
        """The seed and the candidates of the sessions it does not attend (in a random order of
        sessions, then of students), at most ``SESSION_STUDENTS``, sorted; only the seed when it
        has no such session."""
        rows = self.slot_rows[int(self.students[seed])]
        items = self.context.cand.slots.item[rows[~slot_chosen[rows]]]
        if not len(items):
            return np.array([seed], dtype=np.int64)
        pool = np.concatenate([self._candidates[i] for i in rng.permutation(items).tolist()])
        pool = pool[pool != seed]
        _, first = np.unique(pool, return_index=True)
        pool = rng.permutation(pool[np.sort(first)])[: SESSION_STUDENTS - 1]
        return np.sort(np.concatenate(([seed], pool))).astype(np.int64)


class KindChooser:
    """Picks the next kind of neighbourhood by what each has gained per unit of work.

    A step's gain is ``LEVEL_WEIGHT ** -i`` for the first level ``i`` (objective order) it
    improved, 0 when it kept the plan; gains and work are remembered with weight ``MEMORY``
    per step of the kind. The kind with the most gain per unit of work goes next, unless one
    has waited ``EXPLORE`` steps. Nothing here is random, so the choice depends on the plan's
    history only.
    """

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds
        # Optimistic until tried: every kind gets its chance.
        self.gain = dict.fromkeys(kinds, 1.0)
        self.work = dict.fromkeys(kinds, 0.1)
        self.last = dict.fromkeys(kinds, 0)

    def choose(self, step: int) -> str:
        for kind in self.kinds:
            if step - self.last[kind] >= EXPLORE:
                return kind
        return max(self.kinds, key=lambda k: self.gain[k] / self.work[k])

    def record(self, kind: str, step: int, improved_level: int | None, work: float) -> None:
        gain = 0.0 if improved_level is None else LEVEL_WEIGHT ** (-improved_level)
        self.gain[kind] = MEMORY * self.gain[kind] + gain
        self.work[kind] = MEMORY * self.work[kind] + work
        self.last[kind] = step
