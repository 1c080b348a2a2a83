"""Is a plan valid, and how good is it? The SPEC's hard rules and levels, recomputed from scratch.

:func:`check` is the referee between the solver and everything that consumes a plan (exports,
reports, tests, a plan a coordinator edited by hand). It is deliberately **independent of the
solver's code path**: it never imports ``stagematch.solver``, ``stagematch.arrays`` or
``stagematch.travel`` and works directly from the row models with plain Python, one assigned
pair at a time. A bug in the fast path therefore cannot hide itself by being repeated here.

Its travel-time formula and lookups live in :mod:`stagematch.check_travel`, under the same rule.
It is written to be obviously correct rather than fast, but it only ever looks at *assigned*
pairs (never all student × item pairs), so a 50,000-student plan is checked in seconds.
Its messages are in the language in force (:mod:`stagematch.i18n`), the rule names in English.

The rules (SPEC, "A valid plan") each have a name used in :attr:`Violation.rule`:

``unknown_id``
    the student, offer or slot is not in the instance (such assignments are then ignored by
    every other rule and by the levels: there is nothing to check them against);
``capacity``, ``reserved_seats``
    rules 1 and 2, one violation per item (``reserved_seats`` only on items that have reserved
    seats: elsewhere it would repeat ``capacity``);
``qpv_min_share``
    an offer with a minimum QPV share (``qpv_min_share``, in percent) that holds *n* students,
    *k* of them QPV, needs k ≥ min(⌈share·n/100⌉, E), E being the QPV students for whom the
    offer is a candidate (within their travel limit and eligible); one violation per offer;
``travel``
    rule 3, one violation per assignment;
``accessibility``, ``min_age``, ``reserved_schools``, ``unavailable``, ``banned``
    rule 4 (eligibility), one violation per assignment (``banned``: the student's
    ``banned_hosts`` names the offer's host);
``overlap``
    rule 5, one violation per pair of a student's items sharing a half-day;
``max_placements``, ``workshop_once``
    rule 6, per student (and per workshop);
``pinned``
    an item the student is pinned to (``pinned_offer``, ``pinned_slots``) is not in the plan;
``justified_envy``
    only when the plan is asked to be stable (``stable = true`` in the settings, or
    ``check(..., stable=True)``): a student prefers an offer to their best placement while it
    holds a student it ranks below them (:mod:`stagematch.check_envy`), one violation per
    (student, offer).

A duplicate assignment cannot happen: :class:`~stagematch.plan.Plan` is a set.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .check_envy import envy_pairs
from .check_travel import (
    MODE_SPEEDS,
    Index,
    great_circle_km,
    index_of,
    round_half_up,
    travel,
    travel_minutes,
)
from .i18n import _, ngettext
from .model import LEVELS, Instance, Offer, Student, WorkshopSlot
from .plan import Assignment, Plan

__all__ = [
    "MODE_SPEEDS",
    "RULES",
    "CheckReport",
    "InvalidPlanError",
    "Violation",
    "check",
    "great_circle_km",
    "preference_cost",
    "round_half_up",
    "travel_minutes",
    "wish_rank",
]

Item = Offer | WorkshopSlot

RULES: tuple[str, ...] = (
    "unknown_id",
    "capacity",
    "reserved_seats",
    "qpv_min_share",
    "travel",
    "accessibility",
    "min_age",
    "reserved_schools",
    "unavailable",
    "banned",
    "overlap",
    "max_placements",
    "workshop_once",
    "pinned",
    "justified_envy",
)
"""Every rule name a :class:`Violation` may carry."""

# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Violation:
    """One broken hard rule.

    ``student_id`` and ``item_id`` locate it when it concerns a student or an item (a capacity
    violation has no single student; a ``max_placements`` violation has no single item).
    """

    rule: str
    student_id: str | None
    item_id: str | None
    message: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


class InvalidPlanError(ValueError):
    """A plan breaks hard rules; ``violations`` lists every one of them."""

    def __init__(self, violations: tuple[Violation, ...]) -> None:
        self.violations = violations
        n = len(violations)
        head = ngettext("the plan breaks {n} hard rule(s):", "the plan breaks {n} hard rule(s):", n)
        lines = "".join(f"\n  - {v}" for v in violations[:50])
        more = _("\n  ... and {n} more").format(n=n - 50) if n > 50 else ""
        super().__init__(head.format(n=n) + lines + more)


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check` found: every violated hard rule and the value of every level.

    ``levels`` holds all six SPEC levels (``qpv_placed, placed, workshops, coverage,
    preference, travel``) whatever ``settings.objective`` says, so plans can be compared on
    levels the objective ignores too, and ``coaches`` whenever ``coach_capacity`` is given.
    """

    violations: tuple[Violation, ...]
    levels: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """``True`` when no hard rule is broken."""
        return not self.violations

    def raise_if_invalid(self) -> None:
        """Raise :class:`InvalidPlanError` carrying every violation, if there is any."""
        if self.violations:
            raise InvalidPlanError(self.violations)

    def by_rule(self) -> dict[str, list[Violation]]:
        """Violations grouped by rule name (only rules that were broken)."""
        out: dict[str, list[Violation]] = defaultdict(list)
        for violation in self.violations:
            out[violation.rule].append(violation)
        return dict(out)


# --------------------------------------------------------------------------------------------
# Preferences


def wish_rank(instance: Instance, student: Student, offer: Offer) -> int | None:
    """The offer's rank in the student's list (1 = first choice), or ``None`` when unranked.

    The list is ``wished_offers`` then ``wishes`` (SPEC): an offer at position *p* (1-based) of
    ``wished_offers`` has rank *p*; otherwise, when its sector is at position *q* of
    ``wishes``, rank *k* + *q* with *k* = ``len(wished_offers)``. ``instance`` is unused today
    but kept so ranks may later depend on settings without changing every caller.
    """
    del instance
    if offer.offer_id in student.wished_offers:
        return student.wished_offers.index(offer.offer_id) + 1
    if offer.sector in student.wishes:
        return len(student.wished_offers) + student.wishes.index(offer.sector) + 1
    return None


def preference_cost(instance: Instance, student: Student, offer: Offer) -> int:
    """Rank *r* costs *r* − 1 (a first choice is free); unranked costs ``settings.unranked_cost``."""
    rank = wish_rank(instance, student, offer)
    return instance.settings.unranked_cost if rank is None else rank - 1


# --------------------------------------------------------------------------------------------
# The check


def _unavailable_half_days(instance: Instance, student: Student) -> set[int]:
    out: set[int] = set()
    for day in student.unavailable:
        span = instance.half_days_of_date(day)
        if span is not None:
            out.update(span)
    return out


def _days(instance: Instance, half_days: Iterable[int]) -> str:
    """The working days of some half-days, ISO-dated and comma-separated (data, not words)."""
    return ", ".join(str(day) for day in sorted({instance.working_days[h // 2] for h in half_days}))


def _what(item: Item) -> str:
    if isinstance(item, Offer):
        return _("offer {item}").format(item=item.offer_id)
    return _("workshop slot {item}").format(item=item.slot_id)


def _eligibility(
    instance: Instance,
    student: Student,
    item: Item,
    span: tuple[int, int],
    unavailable: set[int],
    minutes: float,
) -> list[tuple[str, str]]:
    """Rule 3 (travel) and rule 4 (eligibility) for one assignment: (rule, message) pairs."""
    settings = instance.settings
    sid, what = student.student_id, _what(item)
    out: list[tuple[str, str]] = []
    if isinstance(item, Offer):
        limit = (
            student.max_travel_min
            if student.max_travel_min is not None
            else settings.default_max_travel_min
        )
    else:
        limit = settings.workshop_max_travel_min
    if minutes > limit:
        text = _("{student} → {what}: {minutes:g} min, over the {limit:g} min limit")
        out.append(("travel", text.format(student=sid, what=what, minutes=minutes, limit=limit)))
    if student.needs_accessibility and not item.accessible:
        text = _("{student} needs an accessible place; {what} is not")
        out.append(("accessibility", text.format(student=sid, what=what)))
    if isinstance(item, Offer):
        out += _offer_eligibility(student, item, what)
    clash = [h for h in unavailable if span[0] <= h <= span[1]]
    if clash:
        text = _("{student} is unavailable on {days}, covered by {what}")
        days = _days(instance, clash)
        out.append(("unavailable", text.format(student=sid, days=days, what=what)))
    return out


def _offer_eligibility(student: Student, offer: Offer, what: str) -> list[tuple[str, str]]:
    """The parts of rule 4 only an offer has: minimum age, banned host, reserved schools."""
    sid = student.student_id
    out: list[tuple[str, str]] = []
    if offer.min_age is not None and student.age is not None and student.age < offer.min_age:
        text = _("{student} is {age:g}, {what} needs {min_age:g} or more")
        out.append(
            ("min_age", text.format(student=sid, age=student.age, what=what, min_age=offer.min_age))
        )
    if offer.host_id in student.banned_hosts:
        text = _("{student} must not go to host {host} ({what})")
        out.append(("banned", text.format(student=sid, host=offer.host_id, what=what)))
    if offer.reserved_schools and student.school_id not in offer.reserved_schools:
        text = _("{what} is reserved for schools {schools}; {student} is from {school}")
        schools = ", ".join(offer.reserved_schools)
        out.append(
            (
                "reserved_schools",
                text.format(what=what, schools=schools, student=sid, school=student.school_id),
            )
        )
    return out


def _is_candidate(index: Index, instance: Instance, student: Student, offer: Offer) -> bool:
    """Within the student's travel limit and eligible: rules 3 and 4 hold for the pair alone."""
    span = index.span(instance, offer)
    unavailable = _unavailable_half_days(instance, student)
    minutes = travel(index, instance, student, offer)
    return not _eligibility(instance, student, offer, span, unavailable, minutes)


@dataclass
class _Tally:
    """What the walk through the students adds up: seats per item, the non-QPV ones among them,
    the levels, and the (session, school) coach groups."""

    seats: Counter[tuple[str, str]] = field(default_factory=Counter)
    non_qpv_seats: Counter[tuple[str, str]] = field(default_factory=Counter)
    levels: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0.0))
    coach_groups: Counter[tuple[str, str]] = field(default_factory=Counter)


def _resolve(index: Index, plan: Plan) -> tuple[dict[str, list[_Assigned]], list[Violation]]:
    """Each student's assignments with their rows; an unknown id is reported and then ignored."""
    per_student: dict[str, list[_Assigned]] = defaultdict(list)
    violations: list[Violation] = []
    for a in plan.assignments:
        student = index.students.get(a.student_id)
        item: Item | None = (
            index.offers.get(a.item_id) if a.kind == "placement" else index.slots.get(a.item_id)
        )
        if student is None:
            text = _("no student {student}").format(student=a.student_id)
            violations.append(Violation("unknown_id", a.student_id, a.item_id, text))
        if item is None:
            if a.kind == "placement":
                text = _("no offer {item}").format(item=a.item_id)
            else:
                text = _("no workshop slot {item}").format(item=a.item_id)
            violations.append(Violation("unknown_id", a.student_id, a.item_id, text))
        if student is not None and item is not None:
            per_student[a.student_id].append((a, item))
    return per_student, violations


_Assigned = tuple[Assignment, Item]


def _student_rules(
    instance: Instance, index: Index, student: Student, assigned: list[_Assigned], tally: _Tally
) -> list[Violation]:
    """Rules 3 to 6 for one student's items, adding their seats and levels to ``tally``."""
    sid = student.student_id
    unavailable = _unavailable_half_days(instance, student)
    violations: list[Violation] = []
    covered: set[int] = set()
    spans: list[tuple[str, tuple[int, int]]] = []
    n_placements = 0
    workshops: Counter[str] = Counter()
    for a, item in assigned:
        span = index.span(instance, item)
        spans.append((a.item_id, span))
        covered.update(range(span[0], span[1] + 1))
        tally.seats[(a.kind, a.item_id)] += 1
        if not student.qpv:
            tally.non_qpv_seats[(a.kind, a.item_id)] += 1
        minutes = travel(index, instance, student, item)
        tally.levels["travel"] += minutes
        for rule, message in _eligibility(instance, student, item, span, unavailable, minutes):
            violations.append(Violation(rule, sid, a.item_id, message))
        if isinstance(item, Offer):
            n_placements += 1
            tally.levels["preference"] += preference_cost(instance, student, item)
        else:
            workshops[item.workshop_id] += 1
            tally.coach_groups[(item.slot_id, student.school_id)] += 1
    violations += _overlaps(instance, sid, spans)
    violations += _counts(instance, student, n_placements, workshops)
    if n_placements:
        tally.levels["placed"] += 1
        if student.qpv:
            tally.levels["qpv_placed"] += 1
    tally.levels["workshops"] += min(len(workshops), instance.settings.workshops_per_student)
    tally.levels["coverage"] += len(covered)
    return violations


def _overlaps(
    instance: Instance, sid: str, spans: list[tuple[str, tuple[int, int]]]
) -> list[Violation]:
    """Rule 5: no two items share a half-day (checked pairwise, to name both items)."""
    out: list[Violation] = []
    for i, (first_id, (lo1, hi1)) in enumerate(spans):
        for second_id, (lo2, hi2) in spans[i + 1 :]:
            if lo1 <= hi2 and lo2 <= hi1:
                days = _days(instance, range(max(lo1, lo2), min(hi1, hi2) + 1))
                text = _("{student} is at {first} and {second} at the same time ({days})")
                message = text.format(student=sid, first=first_id, second=second_id, days=days)
                out.append(Violation("overlap", sid, second_id, message))
    return out


def _counts(
    instance: Instance, student: Student, n_placements: int, workshops: Counter[str]
) -> list[Violation]:
    """Rule 6: the number of placements, and each workshop at most once."""
    sid = student.student_id
    out: list[Violation] = []
    limit = instance.settings.max_placements_per_student if student.split_ok else 1
    if n_placements > limit:
        if student.split_ok:
            text = _("{student} has {n} placements, at most {limit} allowed")
        else:
            text = _("{student} has {n} placements, at most {limit} allowed (split_ok is false)")
        message = text.format(student=sid, n=n_placements, limit=limit)
        out.append(Violation("max_placements", sid, None, message))
    for workshop_id, count in sorted(workshops.items()):
        if count > 1:
            text = _("{student} attends workshop {workshop} {count} times")
            message = text.format(student=sid, workshop=workshop_id, count=count)
            out.append(Violation("workshop_once", sid, None, message))
    return out


def _pin_violations(index: Index, plan: Plan) -> list[Violation]:
    """Every pinned item is in the plan."""
    given = set(plan.assignments)
    text = _("{student} is pinned to {item}, which the plan does not give")
    return [
        Violation(
            "pinned",
            pin.student_id,
            pin.item_id,
            text.format(student=pin.student_id, item=pin.item_id),
        )
        for pin in index.pins
        if pin not in given
    ]


def _seat_violations(index: Index, tally: _Tally) -> list[Violation]:
    """Rules 1 and 2, per item."""
    out: list[Violation] = []
    for (kind, iid), count in sorted(tally.seats.items()):
        row: Item = index.offers[iid] if kind == "placement" else index.slots[iid]
        what = _what(row)
        if count > row.capacity:
            text = _("{what} holds {count} students, capacity {capacity}")
            message = text.format(what=what, count=count, capacity=row.capacity)
            out.append(Violation("capacity", None, iid, message))
        # Without reserved seats this rule is the capacity rule again: report it once.
        open_seats = row.capacity - row.qpv_reserved
        non_qpv = tally.non_qpv_seats[(kind, iid)]
        if row.qpv_reserved and non_qpv > open_seats:
            text = _(
                "{what} holds {count} non-QPV students, only {open} of its {capacity} seats are "
                "open to them"
            )
            message = text.format(what=what, count=non_qpv, open=open_seats, capacity=row.capacity)
            out.append(Violation("reserved_seats", None, iid, message))
    return out


def _share_violations(instance: Instance, index: Index, tally: _Tally) -> list[Violation]:
    """The minimum QPV share, offer by offer.

    The QPV candidates of an offer are only counted where the share is short, and only until
    there are more of them than the QPV students it holds: then the share is owed whatever
    their exact number. That keeps the check to the offers that matter.
    """
    out: list[Violation] = []
    qpv_students = [s for s in instance.students if s.qpv]
    for (kind, iid), held in sorted(tally.seats.items()):
        if kind != "placement":
            continue
        offer = index.offers[iid]
        share = offer.qpv_min_share
        share = instance.settings.qpv_min_share if share is None else share
        qpv_held = held - tally.non_qpv_seats[(kind, iid)]
        asked = (share * held + 99) // 100
        if qpv_held >= asked:
            continue
        could_come = 0
        for student in qpv_students:
            if _is_candidate(index, instance, student, offer):
                could_come += 1
                if could_come > qpv_held:
                    break
        if qpv_held < min(asked, could_come):
            if could_come > qpv_held:
                text = _(
                    "offer {item} holds {held} students, {qpv} of them QPV; its minimum QPV "
                    "share of {share}% asks for {asked}, and {could} or more QPV students could "
                    "go there"
                )
            else:
                text = _(
                    "offer {item} holds {held} students, {qpv} of them QPV; its minimum QPV "
                    "share of {share}% asks for {asked}, and {could} QPV students could go there"
                )
            message = text.format(
                item=iid, held=held, qpv=qpv_held, share=share, asked=asked, could=could_come
            )
            out.append(Violation("qpv_min_share", None, iid, message))
    return out


def _envy_violations(
    instance: Instance, index: Index, per_student: dict[str, list[_Assigned]]
) -> list[Violation]:
    """Justified envy, with the checker's own travel, preference and eligibility formulas."""
    placements = [
        (index.students[sid], item)
        for sid, assigned in per_student.items()
        for _a, item in assigned
        if isinstance(item, Offer)
    ]
    found = envy_pairs(
        instance,
        index,
        placements,
        lambda student, offer: travel(index, instance, student, offer),
        lambda student, offer: preference_cost(instance, student, offer),
        lambda student, offer: _is_candidate(index, instance, student, offer),
    )
    return [Violation("justified_envy", sid, oid, message) for sid, oid, message in found]


def check(instance: Instance, plan: Plan, *, stable: bool | None = None) -> CheckReport:
    """Every hard rule the plan breaks, and the value of every level.

    Parameters
    ----------
    instance
        The validated dataset the plan is for.
    plan
        Any plan: a solver's, one read back from ``assignments.csv``, one edited by hand.
    stable
        Also check that nobody has justified envy (``justified_envy``), as a plan solved with
        ``stable=True`` promises; by default when the dataset's ``stable`` setting is true.

    Returns
    -------
    CheckReport
        ``violations`` (sorted by rule, student, item; empty when the plan is valid) and
        ``levels``, all six SPEC levels computed on the plan as it is, invalid or not:

        - ``qpv_placed``: QPV students with at least one placement;
        - ``placed``: students with at least one placement;
        - ``workshops``: Σ over students of min(distinct workshop ids attended,
          ``workshops_per_student``);
        - ``coverage``: Σ over students of the half-days in the union of their items (a
          placement covers both half-days of every working day from start to end, a slot its
          part of its date; overlapping items count once);
        - ``preference``: Σ over placements of the rank cost (:func:`preference_cost`);
        - ``travel``: Σ of one-way minutes (:func:`travel_minutes`) over all items.

        Assignments with an unknown student or item are reported as ``unknown_id`` and left
        out of every other rule and of the levels.

        The messages are in the language in force (:mod:`stagematch.i18n`); the rule names
        are not.
    """
    index = index_of(instance)
    per_student, violations = _resolve(index, plan)
    tally = _Tally()
    for sid, assigned in per_student.items():
        violations += _student_rules(instance, index, index.students[sid], assigned, tally)
    if instance.settings.coach_capacity is not None:
        # The ``coaches`` level: each (session, school) group rides ⌈students / capacity⌉ coaches.
        capacity = instance.settings.coach_capacity
        tally.levels["coaches"] = float(
            sum(math.ceil(n / capacity) for n in tally.coach_groups.values())
        )
    violations += _pin_violations(index, plan)
    violations += _seat_violations(index, tally)
    violations += _share_violations(instance, index, tally)
    if instance.settings.stable if stable is None else stable:
        violations += _envy_violations(instance, index, per_student)
    violations.sort(
        key=lambda v: (RULES.index(v.rule), v.student_id or "", v.item_id or "", v.message)
    )
    return CheckReport(tuple(violations), tally.levels)
