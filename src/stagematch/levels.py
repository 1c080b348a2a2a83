"""Every level of the objective, in one place: its sense, its value, its bound, its model.

A level is defined once here, and everything that needs it reads it from :data:`LEVELS`:

- :attr:`Level.value` — the SPEC's value for a chosen set of pairs, vectorised over numpy arrays.
  :func:`stagematch.evaluate.plan_levels` (reports, plans read from disk), the solver's final
  levels and the neighbourhood search's accept test all call it, so a
  :class:`~stagematch.result.Result` always reports the levels of the plan it returns.
  (:mod:`stagematch.check` recomputes them independently from the row models, on purpose: it is
  what the tests compare with.)
- :attr:`Level.linear` — a solver-neutral *linear description* of the level, which the CP-SAT
  builders (:mod:`stagematch.solver.cpsat`, used by the neighbourhood search too) and a MILP
  builder turn into their objective. It is exact for every *valid* plan (no overlap, a
  workshop at most once), which is all a model ever admits.
- :attr:`Level.trivial_bound` — a bound that needs no search (each student alone, capacities
  relaxed): valid, weak, what is reported when a search proves nothing better.

Everything works on a :class:`PairData`: the candidate pairs of a model, a component, a
neighbourhood or a whole plan, with their students and items numbered from 0. A choice of pairs
is two boolean masks, ``x`` over the student–offer pairs and ``y`` over the student–slot pairs.

The linear description
----------------------
``value = constant + Σ_k offer[k]·x[k] + Σ_k slot[k]·y[k] + Σ_terms Σ_s weight[s]·t[s]``

where each :class:`StudentTerm` adds one integer variable ``t[s] ∈ [0, cap[s]]`` per student
with ``cap[s] > 0``, linked to the student's pairs that the term ``feeds``:

- ``kind == "at_most"`` (maximised levels): ``t[s] ≤ Σ feeding pairs of s``. Maximising makes
  ``t[s] = min(cap[s], Σ …)``: ``placed[s] ≤ Σ placements`` with cap 1, and
  ``attended[s] ≤ Σ sessions`` with cap ``workshops_per_student`` (sessions are of distinct
  workshops in any valid plan).
- ``kind == "at_least"`` (minimised levels): ``t[s] ≥ z_k`` for every feeding pair ``k`` of
  ``s``, with ``z_k = 1 − x_k`` for the pairs marked ``flipped`` and ``x_k`` otherwise; cap 1.
  Minimising makes ``t[s]`` 1 exactly when some pair deviates: ``changed[s]``.

Terms with the same ``key`` share their variables (``qpv_placed`` and ``placed`` both use the
``placed`` indicators, weighted by QPV for the first). A builder makes one set of variables
per key, adds the links once, and weights them per level.

Adding a level
--------------
1. Its name goes into :data:`stagematch.model.LEVELS` (or beside ``CHANGES`` if it only
   exists in some runs), and into ``MAXIMISED_LEVELS`` when larger is better.
2. Write three functions of a :class:`PairData` — the value of a choice, the linear
   description, the trivial bound — and add a :class:`Level` entry to :data:`LEVELS`. If the
   level needs data the pairs do not carry yet, add the field to :class:`PairData` and fill it
   in the builders of pair data (``solver.graph.component_data``, ``lns._neighbourhood_data``,
   ``evaluate.plan_pairs``, ``solver.search.chosen_pairs``).
3. The model builders need no change when the description uses per-pair coefficients and the
   two kinds of student terms; a new kind of term needs its links in each builder
   (``cpsat._Model._term`` and ``milp_model._term``).
4. :mod:`stagematch.check` computes it again, independently, from the rows; the property test
   ``tests/solver/test_levels.py`` then compares the two on every solver path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .arrays import BoolArray, IntArray
from .model import CHANGES, COACHES, MAXIMISED_LEVELS
from .model import LEVELS as LEVEL_ORDER

__all__ = [
    "LEVELS",
    "GroupTerm",
    "Level",
    "LinearLevel",
    "PairData",
    "StudentTerm",
    "covered_half_days",
    "level_values",
]


@dataclass(frozen=True, eq=False)
class PairData:
    """Pairs and what the levels need to know about them, students and items numbered from 0.

    The pairs of a plan (and, re-planning, of the previous one: :func:`stagematch.evaluate.plan_pairs`,
    the solver's final evaluation), or the candidate pairs of a model, a component or a
    neighbourhood (``solver.cpsat.ComponentData`` adds what a model needs: items, seats, pins).
    Travel minutes may be scaled integers (the solver's units) or plain floats.
    """

    qpv: BoolArray
    workshops_per_student: int
    n_half_days: int
    offer_student: IntArray
    offer_first: IntArray
    offer_last: IntArray
    offer_cost: IntArray
    offer_minutes: np.ndarray
    slot_student: IntArray
    slot_first: IntArray
    slot_last: IntArray
    slot_minutes: np.ndarray
    slot_workshop: IntArray
    offer_previous: BoolArray | None = None
    slot_previous: BoolArray | None = None
    student_lost: BoolArray | None = None
    # The coaches level: seats per coach (0: none), each slot pair's (session, school) group,
    # and per group the students outside the pairs already in it.
    coach_capacity: int = 0
    slot_coach_group: IntArray | None = None
    coach_group_outside: IntArray | None = None

    @property
    def n_students(self) -> int:
        return len(self.qpv)


@dataclass(frozen=True, eq=False)
class GroupTerm:
    """``Σ_g ⌈(outside[g] + Σ_{k ∈ g} y_k) / capacity⌉`` over groups of slot pairs.

    A builder makes one integer variable ``c[g] ≥ 0`` per group with
    ``capacity · c[g] ≥ outside[g] + Σ_{k ∈ g} y_k``; minimising makes ``c[g]`` the ceiling.
    The ``coaches`` level is one: a group is a (session, school) pair.
    """

    key: str
    capacity: int
    slot_group: IntArray  # per slot pair: its group
    outside: IntArray  # per group: count already in it, fixed

    def values(self, y: BoolArray) -> IntArray:
        """Each group's ``c[g]`` for a choice of slot pairs."""
        counts = np.bincount(self.slot_group[y], minlength=len(self.outside)) + self.outside
        return -(-counts // self.capacity)

    def most(self, pair_seats: IntArray) -> IntArray:
        """Per group, the most students it can ever hold: those outside, plus its pairs but
        never more than the seats left in its session (``pair_seats``: per slot pair; the
        pairs of a group share one session). The model builders (:mod:`stagematch.solver`)
        make a variable only for groups that can hold someone, bounded by ⌈most /
        capacity⌉, with ``min(capacity, most)`` as the capacity coefficient."""
        pairs = np.bincount(self.slot_group, minlength=len(self.outside))
        seats = np.zeros(len(self.outside), dtype=np.int64)
        seats[self.slot_group] = np.maximum(np.asarray(pair_seats, dtype=np.int64), 0)
        return self.outside + np.minimum(pairs, seats)


@dataclass(frozen=True, eq=False)
class StudentTerm:
    """``Σ_s weight[s]·t[s]`` over per-student variables linked to pairs (module docstring).

    ``offer_student``/``slot_student`` are the pairs' students (those of the data); the pairs
    that ``feed`` a student's variable are linked to it.
    """

    key: str
    kind: Literal["at_most", "at_least"]
    weight: IntArray  # per student
    cap: IntArray  # per student; 0: no variable (the term is 0 for that student)
    offer_student: IntArray
    slot_student: IntArray
    offer_feeds: BoolArray
    slot_feeds: BoolArray
    offer_flipped: BoolArray | None = None  # "at_least": pairs whose deviation is 1 − x
    slot_flipped: BoolArray | None = None

    def values(self, x: BoolArray, y: BoolArray) -> IntArray:
        """Each student's ``t[s]`` for a choice, at the best the term's links allow."""
        n = len(self.cap)
        if self.kind == "at_most":
            fed = np.bincount(self.offer_student[self.offer_feeds & x], minlength=n)
            fed += np.bincount(self.slot_student[self.slot_feeds & y], minlength=n)
            return np.minimum(fed, self.cap)
        off = x if self.offer_flipped is None else x != self.offer_flipped
        slot = y if self.slot_flipped is None else y != self.slot_flipped
        deviates = np.zeros(n, dtype=np.int64)
        deviates[self.offer_student[self.offer_feeds & off]] = 1
        deviates[self.slot_student[self.slot_feeds & slot]] = 1
        return np.minimum(deviates, self.cap)


@dataclass(frozen=True, eq=False)
class LinearLevel:
    """A level as ``constant + offer·x + slot·y + Σ terms`` (module docstring)."""

    offer: np.ndarray  # coefficient per offer pair
    slot: np.ndarray  # coefficient per slot pair
    terms: tuple[StudentTerm, ...] = ()
    constant: int = 0
    groups: tuple[GroupTerm, ...] = ()

    def evaluate(self, x: BoolArray, y: BoolArray) -> float:
        """The description's value for a choice: what a model's objective reads for it.

        Equal to :attr:`Level.value` for every valid plan (``tests/solver/test_levels.py``).
        """
        total = float(self.constant) + float(self.offer[x].sum()) + float(self.slot[y].sum())
        for term in self.terms:
            total += float((term.weight * term.values(x, y)).sum())
        for group in self.groups:
            total += float(group.values(y).sum())
        return total


Choice = Callable[[PairData, BoolArray, BoolArray], float]


@dataclass(frozen=True)
class Level:
    """One level of the objective (see the module docstring for each part)."""

    name: str
    maximise: bool
    meaning: str
    value: Choice
    linear: Callable[[PairData], LinearLevel]
    trivial_bound: Callable[[PairData], float]

    def better(self, a: float, b: float) -> bool:
        """Is value ``a`` strictly better than ``b`` on this level?"""
        return a > b if self.maximise else a < b


# --------------------------------------------------------------------------------------------
# Values (the SPEC's definitions, on the chosen pairs)


def _placed(data: PairData, x: BoolArray) -> BoolArray:
    placed = np.zeros(data.n_students, dtype=bool)
    placed[data.offer_student[x]] = True
    return placed


def _distinct_workshops(data: PairData, y: BoolArray) -> IntArray:
    """Per student, how many distinct workshops the chosen sessions are of."""
    student = data.slot_student[y].astype(np.int64)
    workshop = data.slot_workshop[y].astype(np.int64)
    if not len(student):
        return np.zeros(data.n_students, dtype=np.int64)
    keys = np.unique(student * (int(workshop.max()) + 1) + workshop)
    return np.bincount(keys // (int(workshop.max()) + 1), minlength=data.n_students)


def _half_day_masks(first: IntArray, last: IntArray) -> np.ndarray:
    """Each item's half-days as bits of a 64-bit mask (periods have at most 64 half-days)."""
    width = (np.asarray(last, dtype=np.int64) - first + 1).astype(np.uint64)
    full = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
    ones = np.where(width >= 64, full, (np.uint64(1) << np.minimum(width, 63)) - np.uint64(1))
    return (ones << np.asarray(first, dtype=np.uint64)).astype(np.uint64)


def _covered(data: PairData, x: BoolArray, y: BoolArray) -> IntArray:
    """Per student, the half-days their chosen items cover (overlaps counted once)."""
    return covered_half_days(
        data.n_students,
        np.concatenate((data.offer_student[x], data.slot_student[y])),
        np.concatenate((data.offer_first[x], data.slot_first[y])),
        np.concatenate((data.offer_last[x], data.slot_last[y])),
    )


def covered_half_days(
    n_students: int, student: IntArray, first: IntArray, last: IntArray
) -> IntArray:
    """Per student, the half-days covered by items ``first..last`` (overlaps counted once).

    The ``coverage`` level of any plan, also where the objective leaves it out (the KPIs
    report it whatever the objective)."""
    student = np.asarray(student, dtype=np.int64)
    masks = _half_day_masks(np.asarray(first, dtype=np.int64), np.asarray(last, dtype=np.int64))
    out = np.zeros(n_students, dtype=np.int64)
    if not len(student):
        return out
    order = np.argsort(student, kind="stable")
    student, masks = student[order], masks[order]
    starts = np.flatnonzero(np.r_[True, student[1:] != student[:-1]])
    union = np.bitwise_or.reduceat(masks, starts)
    out[student[starts]] = _popcount(union)
    return out


def _popcount(masks: np.ndarray) -> IntArray:
    as_bytes = masks.astype(np.uint64).view(np.uint8).reshape(-1, 8)
    return np.unpackbits(as_bytes, axis=1).sum(axis=1).astype(np.int64)


def changed_students(data: PairData, x: BoolArray, y: BoolArray) -> BoolArray:
    """Per student: do the chosen pairs differ from the previous plan's, or was an item lost?"""
    changed = np.zeros(data.n_students, dtype=bool)
    if data.student_lost is not None:
        changed |= data.student_lost
    if data.offer_previous is not None:
        changed[data.offer_student[x != data.offer_previous]] = True
    if data.slot_previous is not None:
        changed[data.slot_student[y != data.slot_previous]] = True
    return changed


# --------------------------------------------------------------------------------------------
# Linear descriptions


def _pair_coefficients(
    data: PairData, offer: np.ndarray | None = None, slot: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    n_x, n_y = len(data.offer_student), len(data.slot_student)
    return (
        np.zeros(n_x, dtype=np.int64) if offer is None else offer,
        np.zeros(n_y, dtype=np.int64) if slot is None else slot,
    )


def _placed_term(data: PairData, weight: IntArray) -> StudentTerm:
    has_offer = np.bincount(data.offer_student, minlength=data.n_students) > 0
    return StudentTerm(
        key="placed",
        kind="at_most",
        weight=weight,
        cap=has_offer.astype(np.int64),
        offer_student=data.offer_student,
        slot_student=data.slot_student,
        offer_feeds=np.ones(len(data.offer_student), dtype=bool),
        slot_feeds=np.zeros(len(data.slot_student), dtype=bool),
    )


def _linear_qpv_placed(data: PairData) -> LinearLevel:
    offer, slot = _pair_coefficients(data)
    return LinearLevel(offer, slot, (_placed_term(data, data.qpv.astype(np.int64)),))


def _linear_placed(data: PairData) -> LinearLevel:
    offer, slot = _pair_coefficients(data)
    return LinearLevel(offer, slot, (_placed_term(data, np.ones(data.n_students, np.int64)),))


def _reachable_workshops(data: PairData) -> IntArray:
    """Per student, distinct workshops among their candidate sessions, at most the target."""
    everything = np.ones(len(data.slot_student), dtype=bool)
    return np.minimum(_distinct_workshops(data, everything), data.workshops_per_student)


def _linear_workshops(data: PairData) -> LinearLevel:
    offer, slot = _pair_coefficients(data)
    term = StudentTerm(
        key="attended",
        kind="at_most",
        weight=np.ones(data.n_students, dtype=np.int64),
        cap=_reachable_workshops(data),
        offer_student=data.offer_student,
        slot_student=data.slot_student,
        offer_feeds=np.zeros(len(data.offer_student), dtype=bool),
        slot_feeds=np.ones(len(data.slot_student), dtype=bool),
    )
    return LinearLevel(offer, slot, (term,))


def _linear_coverage(data: PairData) -> LinearLevel:
    return LinearLevel(
        *_pair_coefficients(
            data,
            (data.offer_last - data.offer_first + 1).astype(np.int64),
            (data.slot_last - data.slot_first + 1).astype(np.int64),
        )
    )


def _linear_preference(data: PairData) -> LinearLevel:
    return LinearLevel(*_pair_coefficients(data, data.offer_cost.astype(np.int64)))


def _linear_travel(data: PairData) -> LinearLevel:
    return LinearLevel(*_pair_coefficients(data, data.offer_minutes, data.slot_minutes))


def _linear_changes(data: PairData) -> LinearLevel:
    """``changed[s] ≥ x_k`` for pairs outside the previous plan, ``≥ 1 − x_k`` inside it;
    students who lost an item the data cannot give back are a constant."""
    offer, slot = _pair_coefficients(data)
    n = data.n_students
    lost = np.zeros(n, dtype=bool) if data.student_lost is None else data.student_lost
    has_pair = (np.bincount(data.offer_student, minlength=n) > 0) | (
        np.bincount(data.slot_student, minlength=n) > 0
    )
    term = StudentTerm(
        key="changed",
        kind="at_least",
        weight=np.ones(n, dtype=np.int64),
        cap=(has_pair & ~lost).astype(np.int64),
        offer_student=data.offer_student,
        slot_student=data.slot_student,
        offer_feeds=~lost[data.offer_student],
        slot_feeds=~lost[data.slot_student],
        offer_flipped=data.offer_previous,
        slot_flipped=data.slot_previous,
    )
    return LinearLevel(offer, slot, (term,), constant=int(lost.sum()))


def _coach_term(data: PairData) -> GroupTerm | None:
    """The (session, school) groups of the data's slot pairs, or ``None`` without coaches."""
    if not data.coach_capacity or data.slot_coach_group is None:
        return None
    group = data.slot_coach_group
    outside = data.coach_group_outside
    if outside is None:
        outside = np.zeros(int(group.max()) + 1 if len(group) else 0, dtype=np.int64)
    return GroupTerm("coaches", int(data.coach_capacity), group, outside)


def _linear_coaches(data: PairData) -> LinearLevel:
    offer, slot = _pair_coefficients(data)
    term = _coach_term(data)
    return LinearLevel(offer, slot, groups=() if term is None else (term,))


def _coaches_value(data: PairData, y: BoolArray) -> float:
    term = _coach_term(data)
    return 0.0 if term is None else float(term.values(y).sum())


def _coaches_trivial_bound(data: PairData) -> float:
    """The groups' students outside the model need their coaches whatever happens."""
    term = _coach_term(data)
    return 0.0 if term is None else float((-(-term.outside // term.capacity)).sum())


# --------------------------------------------------------------------------------------------
# Trivial bounds: each student alone, capacities relaxed


def _has_offer(data: PairData) -> BoolArray:
    return np.bincount(data.offer_student, minlength=data.n_students) > 0


def _zero(data: PairData) -> float:
    return 0.0


LEVELS: dict[str, Level] = {
    "qpv_placed": Level(
        "qpv_placed",
        True,
        "QPV students with at least one placement",
        lambda d, x, y: float((_placed(d, x) & d.qpv).sum()),
        _linear_qpv_placed,
        lambda d: float((_has_offer(d) & d.qpv).sum()),
    ),
    "placed": Level(
        "placed",
        True,
        "students with at least one placement",
        lambda d, x, y: float(_placed(d, x).sum()),
        _linear_placed,
        lambda d: float(_has_offer(d).sum()),
    ),
    "workshops": Level(
        "workshops",
        True,
        "Σ over students of min(distinct workshops attended, workshops_per_student)",
        lambda d, x, y: float(np.minimum(_distinct_workshops(d, y), d.workshops_per_student).sum()),
        _linear_workshops,
        lambda d: float(_reachable_workshops(d).sum()),
    ),
    "coverage": Level(
        "coverage",
        True,
        "Σ over students of half-days covered by their plan",
        lambda d, x, y: float(_covered(d, x, y).sum()),
        _linear_coverage,
        lambda d: float(d.n_students * d.n_half_days),
    ),
    "preference": Level(
        "preference",
        False,
        "Σ over placements of its rank cost",
        lambda d, x, y: float(d.offer_cost[x].sum()),
        _linear_preference,
        _zero,
    ),
    "travel": Level(
        "travel",
        False,
        "Σ of one-way minutes over all items",
        lambda d, x, y: float(d.offer_minutes[x].sum()) + float(d.slot_minutes[y].sum()),
        _linear_travel,
        _zero,
    ),
    CHANGES: Level(
        CHANGES,
        False,
        "students whose placements or sessions differ from the previous plan",
        lambda d, x, y: float(changed_students(d, x, y).sum()),
        _linear_changes,
        lambda d: 0.0 if d.student_lost is None else float(d.student_lost.sum()),
    ),
    COACHES: Level(
        COACHES,
        False,
        "Σ over (session, school) groups of ⌈students / coach_capacity⌉",
        lambda d, x, y: _coaches_value(d, y),
        _linear_coaches,
        _coaches_trivial_bound,
    ),
}
"""Every level, by name: the SPEC's six in their default order, then ``changes`` and
``coaches`` (:mod:`stagematch.transport`)."""

assert tuple(LEVELS)[: len(LEVEL_ORDER)] == LEVEL_ORDER
assert {name for name, level in LEVELS.items() if level.maximise} == MAXIMISED_LEVELS


def level_values(data: PairData, x: BoolArray, y: BoolArray, names: list[str]) -> dict[str, float]:
    """The value of each level in ``names`` for the choice ``x``, ``y`` of ``data``'s pairs."""
    return {name: LEVELS[name].value(data, x, y) for name in names}
