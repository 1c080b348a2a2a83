"""The exact lexicographic optimum of small instances, by enumeration: the solver's yardstick.

Independent of any solver and of :func:`stagematch.check.check`: eligibility, overlap and
coverage are re-derived here from the dates themselves (half-days are ``(date, "AM"|"PM")``
pairs, not the instance's indices). Only the two formula helpers, ``travel_minutes`` and
``wish_rank`` from :mod:`stagematch.check`, are shared; they are tested against hand-computed
values on their own.

Method. Every level is a sum over students, and the only coupling between students is seats
(capacity and reserved seats). So:

1. for each student, enumerate every feasible *programme* — a set of eligible, reachable items
   with no overlap, at most the allowed placements and each workshop at most once — and its
   vector of level values;
2. combine students by dynamic programming over students, the state being the seats used and
   the non-QPV seats used on each item. Values are tuples in ``settings.objective`` order,
   oriented so that larger is better (minimised levels negated). The lexicographic order is
   compatible with addition (``a ≥ b ⇒ a + c ≥ b + c``), so the best total from a state is
   the best over programmes of (programme value + best total of the next state): Bellman's
   principle holds and the result is exact.

The state space is small for a handful of students and items with capacity ≤ 3.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from stagematch.check import travel_minutes, wish_rank
from stagematch.model import LEVELS, MAXIMISED_LEVELS, Instance, Offer, Student, WorkshopSlot
from stagematch.plan import Assignment, Plan

HalfDay = tuple[date, str]


@dataclass(frozen=True)
class Programme:
    """One student's feasible set of items and the level values it contributes."""

    assignments: tuple[Assignment, ...]
    values: dict[str, float]
    seats: tuple[tuple[int, bool], ...]
    """(item position, counts against the non-QPV seats) for every item taken."""


def _working_days(instance: Instance) -> list[date]:
    s = instance.settings
    days = []
    day = s.period_start
    while day <= s.period_end:
        if day.weekday() < 5 and day not in s.holidays:
            days.append(day)
        day += timedelta(days=1)
    return days


def _half_days(instance: Instance, item: Offer | WorkshopSlot) -> frozenset[HalfDay]:
    if isinstance(item, WorkshopSlot):
        parts = ("AM", "PM") if item.part == "DAY" else (item.part,)
        return frozenset((item.date, p) for p in parts)
    first = item.start or instance.settings.period_start
    last = item.end or instance.settings.period_end
    return frozenset(
        (d, p) for d in _working_days(instance) if first <= d <= last for p in ("AM", "PM")
    )


def _allowed(instance: Instance, student: Student, item: Offer | WorkshopSlot) -> bool:
    """SPEC rules 3 and 4 for one pair: reachable and eligible."""
    settings = instance.settings
    if isinstance(item, Offer):
        limit = student.max_travel_min
        if limit is None:
            limit = settings.default_max_travel_min
    else:
        limit = settings.workshop_max_travel_min
    if travel_minutes(instance, student, item) > limit:
        return False
    if student.needs_accessibility and not item.accessible:
        return False
    if isinstance(item, Offer):
        if student.age is not None and item.min_age is not None and student.age < item.min_age:
            return False
        if item.reserved_schools and student.school_id not in item.reserved_schools:
            return False
        if item.host_id in student.banned_hosts:
            return False
    return not any(d in student.unavailable for d, _ in _half_days(instance, item))


def programmes(instance: Instance, student: Student) -> list[Programme]:
    """Every feasible programme of one student, the empty one first."""
    settings = instance.settings
    offers = [o for o in instance.offers if _allowed(instance, student, o)]
    slots = [w for w in instance.workshop_slots if _allowed(instance, student, w)]
    position = {("placement", o.offer_id): k for k, o in enumerate(instance.offers)}
    position.update(
        {
            ("workshop", w.slot_id): len(instance.offers) + k
            for k, w in enumerate(instance.workshop_slots)
        }
    )
    max_placements = settings.max_placements_per_student if student.split_ok else 1
    pinned = set(student.pinned_offer) | set(student.pinned_slots)
    out = []
    for n_offers in range(min(max_placements, len(offers)) + 1):
        for chosen_offers in itertools.combinations(offers, n_offers):
            for n_slots in range(len(slots) + 1):
                for chosen_slots in itertools.combinations(slots, n_slots):
                    workshop_ids = [w.workshop_id for w in chosen_slots]
                    if len(set(workshop_ids)) < len(workshop_ids):
                        continue
                    items: list[Offer | WorkshopSlot] = [*chosen_offers, *chosen_slots]
                    spans = [_half_days(instance, item) for item in items]
                    covered = frozenset().union(*spans)
                    if len(covered) < sum(len(s) for s in spans):
                        continue  # two items share a half-day
                    if not pinned <= {o.offer_id for o in chosen_offers} | {
                        w.slot_id for w in chosen_slots
                    }:
                        continue  # a pin does not hold
                    out.append(
                        _programme(
                            instance, student, chosen_offers, chosen_slots, covered, position
                        )
                    )
    return out


def _programme(
    instance: Instance,
    student: Student,
    offers: Iterable[Offer],
    slots: Iterable[WorkshopSlot],
    covered: frozenset[HalfDay],
    position: dict[tuple[str, str], int],
) -> Programme:
    settings = instance.settings
    offers, slots = list(offers), list(slots)
    preference = 0
    for offer in offers:
        rank = wish_rank(instance, student, offer)
        preference += settings.unranked_cost if rank is None else rank - 1
    taken: list[Offer | WorkshopSlot] = [*offers, *slots]
    travel = sum((travel_minutes(instance, student, item) for item in taken), 0.0)
    values = {
        "qpv_placed": float(bool(offers) and student.qpv),
        "placed": float(bool(offers)),
        "workshops": float(
            min(len({w.workshop_id for w in slots}), settings.workshops_per_student)
        ),
        "coverage": float(len(covered)),
        "preference": float(preference),
        "travel": float(travel),
    }
    assignments = tuple(
        [Assignment(student.student_id, "placement", o.offer_id) for o in offers]
        + [Assignment(student.student_id, "workshop", w.slot_id) for w in slots]
    )
    seats = tuple((position[(a.kind, a.item_id)], not student.qpv) for a in assignments)
    return Programme(assignments, values, seats)


def oriented(
    instance: Instance, levels: dict[str, float], objective: Sequence[str] | None = None
) -> tuple[float, ...]:
    """Levels as a tuple in objective order where larger is better (minimised ones negated)."""
    return tuple(
        levels[name] if name in MAXIMISED_LEVELS else -levels[name]
        for name in (instance.settings.objective if objective is None else objective)
    )


def brute_force(instance: Instance, previous: Plan | None = None) -> tuple[dict[str, float], Plan]:
    """The lexicographic optimum and one plan reaching it.

    With ``previous``, re-planning: the level ``changes`` (students whose set of items differs
    from ``previous``) comes right after ``placed`` unless the objective places it.

    Returns
    -------
    levels, plan
        All six SPEC levels of ``plan`` (the ones in ``settings.objective`` are optimal; a
        level left out of the objective is whatever the chosen plan gives) and the plan.
        Among optimal plans the choice is deterministic. With ``previous``, ``changes`` too.
        When pins cannot all hold, a student may have no programme: ``ValueError``.
    """
    items: list[Offer | WorkshopSlot] = [*instance.offers, *instance.workshop_slots]
    capacity = tuple(i.capacity for i in items)
    open_seats = tuple(i.capacity - i.qpv_reserved for i in items)
    objective = list(instance.settings.objective)
    if previous is not None:
        if "changes" not in objective:
            after = [i + 1 for i, lvl in enumerate(objective) if lvl in ("qpv_placed", "placed")]
            objective.insert(max(after, default=0), "changes")
        before: dict[str, set[Assignment]] = {}
        for a in previous.assignments:
            before.setdefault(a.student_id, set()).add(a)
    else:
        objective = [lvl for lvl in objective if lvl != "changes"]
    # Students of one school are consecutive, so that the ``coaches`` level — which couples
    # the students of a (session, school) group — can be counted from the state: the seats the
    # current school's students use on each slot (reset when the school changes).
    students = sorted(instance.students, key=lambda s: s.school_id)
    coach_capacity = instance.settings.coach_capacity
    coach_level = objective.index("coaches") if "coaches" in objective else None
    n_offers = len(instance.offers)
    options = []
    for student in students:
        found = programmes(instance, student)
        if not found:
            raise ValueError(f"no programme keeps every pin of {student.student_id}")
        if previous is not None:
            for p in found:
                p.values["changes"] = float(
                    set(p.assignments) != before.get(student.student_id, set())
                )
        options.append(
            [(oriented(instance, {**p.values, "coaches": 0.0}, objective), p) for p in found]
        )
    n = len(students)
    zero = tuple(0.0 for _ in objective)
    no_slots = tuple(0 for _ in instance.workshop_slots)

    def extra_coaches(programme: Programme, school_used: tuple[int, ...]) -> int:
        """Coaches added when this programme joins its school's groups."""
        if coach_capacity is None:
            return 0
        added = 0
        for item, _ in programme.seats:
            if item >= n_offers:
                now = school_used[item - n_offers]
                added += -(-(now + 1) // coach_capacity) - (-(-now // coach_capacity))
        return added

    def next_school_used(
        k: int, programme: Programme, school_used: tuple[int, ...]
    ) -> tuple[int, ...]:
        if coach_level is None or k + 1 == n or students[k + 1].school_id != students[k].school_id:
            return no_slots
        counts = list(school_used)
        for item, _ in programme.seats:
            if item >= n_offers:
                counts[item - n_offers] += 1
        return tuple(counts)

    @cache
    def best(
        k: int, used: tuple[int, ...], non_qpv: tuple[int, ...], school_used: tuple[int, ...]
    ) -> tuple[tuple[float, ...], int]:
        """Best oriented total for students k.. given the seats used; and the choice for k."""
        if k == n:
            return zero, -1
        result: tuple[tuple[float, ...], int] | None = None
        for choice, (value, programme) in enumerate(options[k]):
            new_used, new_non_qpv = list(used), list(non_qpv)
            fits = True
            for item, counts_as_non_qpv in programme.seats:
                new_used[item] += 1
                new_non_qpv[item] += counts_as_non_qpv
                if new_used[item] > capacity[item] or new_non_qpv[item] > open_seats[item]:
                    fits = False
                    break
            if not fits:
                continue
            rest, choice_next = best(
                k + 1,
                tuple(new_used),
                tuple(new_non_qpv),
                next_school_used(k, programme, school_used),
            )
            if choice_next == -2:
                continue  # the students after k cannot all keep their pins
            total = tuple(a + b for a, b in zip(value, rest, strict=True))
            if coach_level is not None:
                coaches = extra_coaches(programme, school_used)
                total = tuple(v - coaches if i == coach_level else v for i, v in enumerate(total))
            if result is None or total > result[0]:
                result = (total, choice)
        if result is None:  # only pins can make every programme of k not fit
            return zero, -2
        return result

    used = tuple(0 for _ in items)
    non_qpv = tuple(0 for _ in items)
    school_used = no_slots
    chosen: list[Programme] = []
    for k in range(n):
        _, choice = best(k, used, non_qpv, school_used)
        if choice == -2:
            raise ValueError("the pins cannot all hold")
        programme = options[k][choice][1]
        chosen.append(programme)
        new_used, new_non_qpv = list(used), list(non_qpv)
        for item, counts_as_non_qpv in programme.seats:
            new_used[item] += 1
            new_non_qpv[item] += counts_as_non_qpv
        used, non_qpv = tuple(new_used), tuple(new_non_qpv)
        school_used = next_school_used(k, programme, school_used)
    names = [*LEVELS, "changes"] if previous is not None else list(LEVELS)
    levels = {name: sum(p.values[name] for p in chosen) for name in names}
    plan = Plan(a for p in chosen for a in p.assignments)
    if coach_capacity is not None:
        levels["coaches"] = float(coaches_of(instance, plan))
    return levels, plan


def coaches_of(instance: Instance, plan: Plan) -> int:
    """Σ over (session, school) groups of ⌈students / coach_capacity⌉, counted from the plan."""
    capacity = instance.settings.coach_capacity
    assert capacity is not None
    school = {s.student_id: s.school_id for s in instance.students}
    groups: dict[tuple[str, str], int] = {}
    for a in plan.assignments:
        if a.kind == "workshop":
            key = (a.item_id, school[a.student_id])
            groups[key] = groups.get(key, 0) + 1
    return sum(-(-n // capacity) for n in groups.values())


def brute_force_levels(instance: Instance) -> dict[str, float]:
    """The levels of :func:`brute_force`'s optimal plan (objective levels are the optimum)."""
    return brute_force(instance)[0]


def best_plan_where(
    instance: Instance, accept: Callable[[Plan], bool]
) -> tuple[tuple[float, ...], Plan] | None:
    """The lexicographic optimum over the valid plans that ``accept`` keeps, by enumeration.

    For rules that depend on the whole plan (no justified envy, the minimum QPV share), where
    the dynamic programme of :func:`brute_force` does not apply: every combination of the
    students' programmes that fits the seats is built and tested. Only for tiny instances.
    Returns the best oriented levels and one plan reaching them (``None``: nothing accepted).
    """
    items: list[Offer | WorkshopSlot] = [*instance.offers, *instance.workshop_slots]
    options = [programmes(instance, s) for s in instance.students]
    best: tuple[tuple[float, ...], Plan] | None = None
    for choice in itertools.product(*options):
        used = [0] * len(items)
        non_qpv = [0] * len(items)
        for programme in choice:
            for item, counts_as_non_qpv in programme.seats:
                used[item] += 1
                non_qpv[item] += counts_as_non_qpv
        if any(
            used[k] > item.capacity or non_qpv[k] > item.capacity - item.qpv_reserved
            for k, item in enumerate(items)
        ):
            continue
        plan = Plan(a for p in choice for a in p.assignments)
        if not accept(plan):
            continue
        levels = {name: sum(p.values[name] for p in choice) for name in LEVELS}
        value = oriented(instance, levels)
        if best is None or value > best[0]:
            best = (value, plan)
    return best
