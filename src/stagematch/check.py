"""Is a plan valid, and how good is it? The SPEC's hard rules and levels, recomputed from scratch.

:func:`check` is the referee between the solver and everything that consumes a plan (exports,
reports, tests, a plan a coordinator edited by hand). It is deliberately **independent of the
solver's code path**: it never imports ``stagematch.solver``, ``stagematch.arrays`` or
``stagematch.travel`` and works directly from the row models with plain Python, one assigned
pair at a time. A bug in the fast path therefore cannot hide itself by being repeated here.

It is written to be obviously correct rather than fast, but it only ever looks at *assigned*
pairs (never all student × item pairs), so a 50,000-student plan is checked in seconds.

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
    an item the student is pinned to (``pinned_offer``, ``pinned_slots``) is not in the plan.

A duplicate assignment cannot happen: :class:`~stagematch.plan.Plan` is a set.
"""

from __future__ import annotations

import math
import weakref
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from .geo import EARTH_RADIUS_KM, communes
from .model import LEVELS, Instance, Offer, School, Student, WorkshopSlot
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
)
"""Every rule name a :class:`Violation` may carry."""

MODE_SPEEDS: dict[str, tuple[float, float]] = {
    "walk": (5.0, 0.0),
    "bike": (15.0, 2.0),
    "transit": (18.0, 10.0),
    "car": (35.0, 5.0),
}
"""Mode → (speed in km/h, fixed overhead in minutes), as in the SPEC's travel-time formula."""

DETOUR = 1.3
"""Road/network distance per great-circle km (the SPEC's 1.3)."""


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
        lines = "\n".join(f"  - {v}" for v in violations[:50])
        more = f"\n  ... and {len(violations) - 50} more" if len(violations) > 50 else ""
        super().__init__(f"the plan breaks {len(violations)} hard rule(s):\n{lines}{more}")


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
# Travel time


def round_half_up(x: float) -> int:
    """``floor(x + 0.5)``: the rounding the SPEC's ``round()`` means in stagematch.

    Python's built-in ``round`` rounds halves to even (``round(22.5) == 22``), numpy's ``rint``
    too; a coordinator reading "round" expects 22.5 → 23. Every part of stagematch that turns
    minutes into whole minutes (this checker and the solver's vectorised ``np.floor(x + 0.5)``)
    must use the same rule, or a pair at exactly the limit would be reachable for one and not for
    the other.
    """
    return math.floor(x + 0.5)


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in km on a sphere of radius 6371 km (plain ``math``, scalars).

    The same formula as :func:`stagematch.geo.great_circle_km`, written again with ``math``
    because numpy on scalars is ~20x slower and the checker must stay independent of hot paths.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlam = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))


class _Index:
    """Lookups built once per instance: rows by id, travel overrides, commune points.

    Kept in a small cache keyed by the instance's identity (not its value: two equal instances
    would do, but comparing 50,000 rows to find out costs more than rebuilding).
    """

    def __init__(self, instance: Instance) -> None:
        self.students: dict[str, Student] = {s.student_id: s for s in instance.students}
        self.schools: dict[str, School] = {s.school_id: s for s in instance.schools}
        self.offers: dict[str, Offer] = {o.offer_id: o for o in instance.offers}
        self.slots: dict[str, WorkshopSlot] = {s.slot_id: s for s in instance.workshop_slots}
        # Every pin as the assignment it asks for (a diff checks one pair at a time: the
        # students without pins must not be walked through on every call).
        self.pins: list[Assignment] = [
            Assignment(s.student_id, kind, iid)  # type: ignore[arg-type]
            for s in instance.students
            for kind, pinned in (("placement", s.pinned_offer), ("workshop", s.pinned_slots))
            for iid in pinned
        ]
        # When two rows give the same (origin, destination), the first one counts.
        self.overrides: dict[tuple[str, str], float] = {}
        for t in instance.travel_times:
            self.overrides.setdefault((t.origin, t.destination), t.minutes)
        self._points: dict[str, tuple[float, float]] = {}
        self._spans: dict[tuple[str, str], tuple[int, int]] = {}

    def commune_point(self, code: str) -> tuple[float, float]:
        point = self._points.get(code)
        if point is None:
            lat, lon = communes().points([code])
            point = (float(lat[0]), float(lon[0]))
            self._points[code] = point
        return point

    def span(self, instance: Instance, item: Item) -> tuple[int, int]:
        """First and last half-day (inclusive) an item covers, memoised per item."""
        key = ("placement", item.offer_id) if isinstance(item, Offer) else ("slot", item.slot_id)
        span = self._spans.get(key)
        if span is None:
            if isinstance(item, Offer):
                span = instance.half_days_of_offer(item)
            else:
                span = instance.half_days_of_slot(item)
            self._spans[key] = span
        return span


_INDEXES: dict[int, tuple[weakref.ref[Instance], _Index]] = {}


def _index(instance: Instance) -> _Index:
    key = id(instance)
    hit = _INDEXES.get(key)
    if hit is not None and hit[0]() is instance:
        return hit[1]
    index = _Index(instance)

    def forget(_ref: weakref.ref[Instance], key: int = key) -> None:
        _INDEXES.pop(key, None)

    _INDEXES[key] = (weakref.ref(instance, forget), index)
    return index


def _item_id(item: Item) -> str:
    return item.offer_id if isinstance(item, Offer) else item.slot_id


def _origin(index: _Index, student: Student) -> tuple[tuple[float, float], list[str]]:
    """The student's travel origin as a point, and the ``travel_times`` origin keys that apply.

    Keys are in precedence order: the student id, then the school id (only when the student
    travels from school), then the origin's commune (only when the origin is given as a commune,
    i.e. without lat/lon).
    """
    keys = [student.student_id]
    if student.home_lat is not None and student.home_lon is not None:
        return (student.home_lat, student.home_lon), keys
    if student.home_commune is not None:
        keys.append(student.home_commune)
        return index.commune_point(student.home_commune), keys
    school = index.schools[student.school_id]
    keys.append(school.school_id)
    if school.lat is not None and school.lon is not None:
        return (school.lat, school.lon), keys
    assert school.commune is not None  # a validated school has a location
    keys.append(school.commune)
    return index.commune_point(school.commune), keys


def _destination(index: _Index, item: Item) -> tuple[tuple[float, float], list[str]]:
    """The item's point and its ``travel_times`` destination keys (id, then commune if given so)."""
    keys = [_item_id(item)]
    if item.lat is not None and item.lon is not None:
        return (item.lat, item.lon), keys
    assert item.commune is not None  # a validated item has a location
    keys.append(item.commune)
    return index.commune_point(item.commune), keys


def _travel(index: _Index, instance: Instance, student: Student, item: Item) -> float:
    origin, origin_keys = _origin(index, student)
    destination, destination_keys = _destination(index, item)
    if index.overrides:
        for o in origin_keys:
            for d in destination_keys:
                minutes = index.overrides.get((o, d))
                if minutes is not None:
                    return minutes
    mode = student.mode or instance.settings.default_mode
    speed, overhead = MODE_SPEEDS[mode]
    d_km = great_circle_km(origin[0], origin[1], destination[0], destination[1])
    return float(round_half_up(overhead + 60 * DETOUR * d_km / speed))


def travel_minutes(instance: Instance, student: Student, item: Offer | WorkshopSlot) -> float:
    """One-way minutes from the student's origin to an offer or a workshop slot.

    The SPEC's estimate ``round(overhead + 60 × 1.3 × d / speed)``, computed in exactly that
    order (``overhead + 60 * 1.3 * d / speed``), with ``d`` the haversine distance (R = 6371
    km) and (speed, overhead) from :data:`MODE_SPEEDS` for the student's mode, else
    ``settings.default_mode`` (the same mode for workshops). The origin is the home
    (``home_lat``/``home_lon``, else the ``home_commune`` point), else the school's location
    (``lat``/``lon``, else its commune's point).

    A ``travel_times`` row overrides the estimate. Origin keys, best first: the student id, the
    school id (only for a student travelling from school), the origin's commune (only when the
    origin is given as a commune, without lat/lon). Destination keys: the item id, then its
    commune (only for an item located by commune). The origin's precedence decides first, then
    the destination's: (student, commune) beats (school, item id).

    The estimate is rounded **half up** (``floor(x + 0.5)``), not with Python's half-to-even
    ``round``; see :func:`round_half_up`. An override is used exactly as given (the coordinator
    who typed 12.5 minutes meant it), so the result is a float: a whole number for estimates.
    """
    return _travel(_index(instance), instance, student, item)


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


def _day_of(instance: Instance, half_day: int) -> date:
    return instance.working_days[half_day // 2]


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
    sid, iid = student.student_id, _item_id(item)
    what = f"offer {iid}" if isinstance(item, Offer) else f"workshop slot {iid}"
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
        out.append(("travel", f"{sid} → {what}: {minutes:g} min, over the {limit:g} min limit"))
    if student.needs_accessibility and not item.accessible:
        out.append(("accessibility", f"{sid} needs an accessible place; {what} is not"))
    if isinstance(item, Offer):
        if item.min_age is not None and student.age is not None and student.age < item.min_age:
            out.append(
                ("min_age", f"{sid} is {student.age:g}, {what} needs {item.min_age:g} or more")
            )
        if item.host_id in student.banned_hosts:
            out.append(("banned", f"{sid} must not go to host {item.host_id} ({what})"))
        if item.reserved_schools and student.school_id not in item.reserved_schools:
            out.append(
                (
                    "reserved_schools",
                    f"{what} is reserved for schools {', '.join(item.reserved_schools)}; "
                    f"{sid} is from {student.school_id}",
                )
            )
    clash = sorted(h for h in unavailable if span[0] <= h <= span[1])
    if clash:
        days = sorted({_day_of(instance, h) for h in clash})
        out.append(
            (
                "unavailable",
                f"{sid} is unavailable on {', '.join(map(str, days))}, covered by {what}",
            )
        )
    return out


def _is_candidate(index: _Index, instance: Instance, student: Student, offer: Offer) -> bool:
    """Within the student's travel limit and eligible: rules 3 and 4 hold for the pair alone."""
    span = index.span(instance, offer)
    unavailable = _unavailable_half_days(instance, student)
    minutes = _travel(index, instance, student, offer)
    return not _eligibility(instance, student, offer, span, unavailable, minutes)


def _share_violations(
    instance: Instance,
    index: _Index,
    seats: Counter[tuple[str, str]],
    non_qpv_seats: Counter[tuple[str, str]],
) -> list[Violation]:
    """The minimum QPV share, offer by offer.

    The QPV candidates of an offer are only counted where the share is short, and only until
    there are more of them than the QPV students it holds: then the share is owed whatever
    their exact number. That keeps the check to the offers that matter.
    """
    out: list[Violation] = []
    qpv_students = [s for s in instance.students if s.qpv]
    for (kind, iid), held in sorted(seats.items()):
        if kind != "placement":
            continue
        offer = index.offers[iid]
        share = offer.qpv_min_share
        share = instance.settings.qpv_min_share if share is None else share
        qpv_held = held - non_qpv_seats[(kind, iid)]
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
            out.append(
                Violation(
                    "qpv_min_share",
                    None,
                    iid,
                    f"offer {iid} holds {held} students, {qpv_held} of them QPV; its minimum "
                    f"QPV share of {share}% asks for {asked}, and {could_come}"
                    f"{' or more' if could_come > qpv_held else ''} QPV students could go there",
                )
            )
    return out


def check(instance: Instance, plan: Plan) -> CheckReport:
    """Every hard rule the plan breaks, and the value of every level.

    Parameters
    ----------
    instance
        The validated dataset the plan is for.
    plan
        Any plan: a solver's, one read back from ``assignments.csv``, one edited by hand.

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
    """
    index = _index(instance)
    settings = instance.settings
    violations: list[Violation] = []

    # Resolve ids; anything unknown is reported and then ignored.
    per_student: dict[str, list[tuple[Assignment, Item]]] = defaultdict(list)
    for a in plan.assignments:
        student = index.students.get(a.student_id)
        item: Item | None = (
            index.offers.get(a.item_id) if a.kind == "placement" else index.slots.get(a.item_id)
        )
        if student is None:
            violations.append(
                Violation("unknown_id", a.student_id, a.item_id, f"no student {a.student_id}")
            )
        if item is None:
            table = "offer" if a.kind == "placement" else "workshop slot"
            violations.append(
                Violation("unknown_id", a.student_id, a.item_id, f"no {table} {a.item_id}")
            )
        if student is not None and item is not None:
            per_student[a.student_id].append((a, item))

    seats: Counter[tuple[str, str]] = Counter()
    non_qpv_seats: Counter[tuple[str, str]] = Counter()
    levels = dict.fromkeys(LEVELS, 0.0)
    coach_groups: Counter[tuple[str, str]] = Counter()  # (slot, school) → students
    for sid, assigned in per_student.items():
        student = index.students[sid]
        unavailable = _unavailable_half_days(instance, student)
        covered: set[int] = set()
        spans: list[tuple[str, tuple[int, int]]] = []
        n_placements = 0
        workshops: Counter[str] = Counter()
        for a, item in assigned:
            span = index.span(instance, item)
            spans.append((a.item_id, span))
            covered.update(range(span[0], span[1] + 1))
            key = (a.kind, a.item_id)
            seats[key] += 1
            if not student.qpv:
                non_qpv_seats[key] += 1
            minutes = _travel(index, instance, student, item)
            levels["travel"] += minutes
            for rule, message in _eligibility(instance, student, item, span, unavailable, minutes):
                violations.append(Violation(rule, sid, a.item_id, message))
            if isinstance(item, Offer):
                n_placements += 1
                levels["preference"] += preference_cost(instance, student, item)
            else:
                workshops[item.workshop_id] += 1
                coach_groups[(item.slot_id, student.school_id)] += 1

        # Rule 5: no two items share a half-day (checked pairwise, to name both items).
        for i, (first_id, (lo1, hi1)) in enumerate(spans):
            for second_id, (lo2, hi2) in spans[i + 1 :]:
                if lo1 <= hi2 and lo2 <= hi1:
                    shared = sorted(
                        {_day_of(instance, h) for h in range(max(lo1, lo2), min(hi1, hi2) + 1)}
                    )
                    violations.append(
                        Violation(
                            "overlap",
                            sid,
                            second_id,
                            f"{sid} is at {first_id} and {second_id} at the same time "
                            f"({', '.join(map(str, shared))})",
                        )
                    )
        # Rule 6: placement count and workshops at most once.
        limit = settings.max_placements_per_student if student.split_ok else 1
        if n_placements > limit:
            why = "" if student.split_ok else " (split_ok is false)"
            violations.append(
                Violation(
                    "max_placements",
                    sid,
                    None,
                    f"{sid} has {n_placements} placements, at most {limit} allowed{why}",
                )
            )
        for workshop_id, count in sorted(workshops.items()):
            if count > 1:
                violations.append(
                    Violation(
                        "workshop_once",
                        sid,
                        None,
                        f"{sid} attends workshop {workshop_id} {count} times",
                    )
                )

        if n_placements:
            levels["placed"] += 1
            if student.qpv:
                levels["qpv_placed"] += 1
        levels["workshops"] += min(len(workshops), settings.workshops_per_student)
        levels["coverage"] += len(covered)
    if settings.coach_capacity is not None:
        # The ``coaches`` level: each (session, school) group rides ⌈students / capacity⌉ coaches.
        levels["coaches"] = float(
            sum(math.ceil(n / settings.coach_capacity) for n in coach_groups.values())
        )

    # Pins: every pinned item is in the plan.
    given = set(plan.assignments)
    for pin in index.pins:
        if pin not in given:
            violations.append(
                Violation(
                    "pinned",
                    pin.student_id,
                    pin.item_id,
                    f"{pin.student_id} is pinned to {pin.item_id}, which the plan does not give",
                )
            )

    # Rules 1 and 2, per item.
    for (kind, iid), count in sorted(seats.items()):
        row: Item = index.offers[iid] if kind == "placement" else index.slots[iid]
        what = f"offer {iid}" if kind == "placement" else f"workshop slot {iid}"
        if count > row.capacity:
            violations.append(
                Violation(
                    "capacity", None, iid, f"{what} holds {count} students, capacity {row.capacity}"
                )
            )
        # Without reserved seats this rule is the capacity rule again: report it once.
        open_seats = row.capacity - row.qpv_reserved
        if row.qpv_reserved and non_qpv_seats[(kind, iid)] > open_seats:
            violations.append(
                Violation(
                    "reserved_seats",
                    None,
                    iid,
                    f"{what} holds {non_qpv_seats[(kind, iid)]} non-QPV students, "
                    f"only {open_seats} of its {row.capacity} seats are open to them",
                )
            )

    violations += _share_violations(instance, index, seats, non_qpv_seats)
    violations.sort(
        key=lambda v: (RULES.index(v.rule), v.student_id or "", v.item_id or "", v.message)
    )
    return CheckReport(tuple(violations), levels)
