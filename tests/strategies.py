"""Hypothesis strategies for random *valid* instances and arbitrary plans, plus a tiny builder.

Shared by every test module (``from strategies import instances, plans, make_instance``; the
``tests`` folder is on ``sys.path`` through ``conftest.py``).

The instances are small (a few students, offers and slots) so that exhaustive methods such as
:mod:`bruteforce` can solve them exactly, but diverse: the SPEC's hard rules must all bite
somewhere. Points lie around Valenciennes (50.36 N, 3.52 E) with a per-instance spread, so some
instances are compact (everything reachable) and others spread over ~30 km (a transit student
with a 45-minute limit reaches ~8 km); a few locations are communes (Valenciennes, Lens, Lille),
a few pairs have ``travel_times`` overrides. Rows are built as plain dicts and validated once by
:class:`~stagematch.model.Instance`, which keeps generation fast and proves every instance valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from stagematch.model import LEVELS, MODES, Instance
from stagematch.plan import Assignment, Plan

PERIOD_START = date(2026, 6, 15)
"""A Monday: the period is two working weeks, 15–26 June 2026."""
PERIOD_END = date(2026, 6, 26)
WEEK_1 = (date(2026, 6, 15), date(2026, 6, 19))
WEEK_2 = (date(2026, 6, 22), date(2026, 6, 26))
CENTRE = (50.36, 3.52)
"""Valenciennes."""
COMMUNES = ("59606", "62498", "59350")
"""Valenciennes (at the centre), Lens (~50 km west), Lille (~40 km north-west)."""
SECTORS = ("health", "law", "media", "industry")
DEFAULT_SCHOOL = {"school_id": "0590001A", "name": "Lycée Wallon", "lat": 50.36, "lon": 3.52}


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


# --------------------------------------------------------------------------------------------
# A builder for hand-made instances


def make_instance(
    students: Sequence[Mapping[str, Any]],
    offers: Sequence[Mapping[str, Any]],
    slots: Sequence[Mapping[str, Any]] = (),
    *,
    settings: Mapping[str, Any] | None = None,
    schools: Sequence[Mapping[str, Any]] | None = None,
    travel_times: Sequence[Mapping[str, Any]] = (),
) -> Instance:
    """An instance from short row dicts, filling what a hand-made test rarely cares about.

    Defaults: the two-week period of :data:`PERIOD_START`–:data:`PERIOD_END`, one school at the
    centre (:data:`DEFAULT_SCHOOL`), students at that school, offers in sector ``health`` with
    capacity 1 at the centre, slots of workshop ``W1`` on the first Monday morning with capacity 1
    at the centre. Any key given wins.
    """
    period = {"period_start": PERIOD_START, "period_end": PERIOD_END}
    school_rows = [dict(s) for s in schools] if schools is not None else [dict(DEFAULT_SCHOOL)]
    first_school = school_rows[0]["school_id"]
    student_rows = [{"school_id": first_school, **s} for s in students]
    offer_rows = []
    for k, offer in enumerate(offers):
        row: dict[str, Any] = {"host_id": f"H{k}", "sector": "health", "capacity": 1}
        if "commune" not in offer:
            row.update(lat=CENTRE[0], lon=CENTRE[1])
        offer_rows.append({**row, **offer})
    slot_rows = []
    for slot in slots:
        row = {"workshop_id": "W1", "date": PERIOD_START, "part": "AM", "capacity": 1}
        if "commune" not in slot:
            row.update(lat=CENTRE[0], lon=CENTRE[1])
        slot_rows.append({**row, **slot})
    return Instance(
        settings={**period, **(settings or {})},
        schools=school_rows,
        students=student_rows,
        offers=offer_rows,
        workshop_slots=slot_rows,
        travel_times=list(travel_times),
    )


# --------------------------------------------------------------------------------------------
# Random instances


def _rarely(draw: st.DrawFn, strategy: st.SearchStrategy[Any], default: Any = None) -> Any:
    """``strategy`` one time in four, else ``default`` (keeps optional columns mostly blank)."""
    return draw(strategy) if draw(st.integers(0, 3)) == 0 else default


@st.composite
def _location(
    draw: st.DrawFn, spread: int, prefix: str = "", commune_ok: bool = True
) -> dict[str, Any]:
    """A point ``spread`` hundredths of a degree around the centre, or (rarely) a commune."""
    if commune_ok and draw(st.integers(0, 9)) == 0:
        return {f"{prefix}commune": draw(st.sampled_from(COMMUNES))}
    dlat = draw(st.integers(-spread, spread))
    dlon = draw(st.integers(-spread, spread))
    return {
        f"{prefix}lat": round(CENTRE[0] + dlat / 100, 4),
        f"{prefix}lon": round(CENTRE[1] + dlon / 100, 4),
    }


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    max_students: int = 6,
    max_offers: int = 4,
    max_slots: int = 3,
    min_students: int = 1,
    max_schools: int = 2,
    overrides: bool = True,
) -> Instance:
    """Random valid instances: small, diverse, every SPEC feature exercised somewhere.

    Parameters
    ----------
    max_students, max_offers, max_slots, max_schools
        Table sizes (at least one school, one offer; ``min_students`` students).
    overrides
        Whether ``travel_times`` rows may appear (in about one instance in five).

    The period is 15–26 June 2026 (sometimes with a weekday holiday, sometimes extended to the
    Sunday after); offers cover the whole period, one week, or an arbitrary working-day range;
    slots are AM, PM or DAY sessions of one or two workshops. Settings vary the workshop target
    (0–2), the placement limit (1–2), the unranked cost, travel limits, the default mode, and
    sometimes the order of the objective.
    """
    spread = draw(st.sampled_from([2, 8, 25]))
    period_end = PERIOD_END if draw(st.integers(0, 4)) else PERIOD_END + timedelta(days=2)
    weekdays = [d for d in _days(PERIOD_START, period_end) if d.weekday() < 5]
    holidays = [draw(st.sampled_from(weekdays))] if draw(st.integers(0, 4)) == 0 else []
    working = [d for d in weekdays if d not in holidays]
    objective = list(LEVELS)
    if draw(st.integers(0, 3)) == 0:
        objective = draw(st.permutations(LEVELS))
    settings: dict[str, Any] = {
        "period_start": PERIOD_START,
        "period_end": period_end,
        "holidays": holidays,
        "default_max_travel_min": draw(st.sampled_from([30, 45, 60])),
        "workshop_max_travel_min": draw(st.sampled_from([45, 60, 90])),
        "default_mode": draw(st.sampled_from(MODES)),
        "workshops_per_student": draw(st.integers(0, 2)),
        "max_placements_per_student": draw(st.integers(1, 2)),
        "unranked_cost": draw(st.sampled_from([0, 3, 10])),
        "objective": objective,
    }

    n_schools = draw(st.integers(1, max_schools))
    schools = [
        {"school_id": f"059000{k}A", "name": f"Lycée {k}", **draw(_location(spread))}
        for k in range(n_schools)
    ]
    school_ids = [s["school_id"] for s in schools]

    offers = []
    for k in range(draw(st.integers(1, max_offers))):
        capacity = draw(st.integers(1, 3))
        offer: dict[str, Any] = {
            "offer_id": f"O{k}",
            "host_id": f"H{draw(st.integers(0, 2))}",
            "sector": draw(st.sampled_from(SECTORS)),
            "capacity": capacity,
            "qpv_reserved": _rarely(draw, st.integers(0, capacity), 0),
            "accessible": draw(st.integers(0, 4)) > 0,
            "min_age": _rarely(draw, st.sampled_from([15, 16])),
            "reserved_schools": _rarely(
                draw, st.lists(st.sampled_from(school_ids), unique=True), []
            ),
            **draw(_location(spread)),
        }
        span = draw(st.sampled_from(["period", "week_1", "week_2", "range", "range"]))
        if span in ("week_1", "week_2"):
            first, last = WEEK_1 if span == "week_1" else WEEK_2
            if not any(first <= d <= last for d in working):  # a holiday can't empty a week, but
                first, last = working[0], working[-1]  # stay safe if the period changes
            offer.update(start=first, end=last)
        elif span == "range":
            lo = draw(st.integers(0, len(working) - 1))
            hi = draw(st.integers(lo, len(working) - 1))
            offer.update(start=working[lo], end=working[hi])
        offers.append({k: v for k, v in offer.items() if v is not None})
    offer_ids = [o["offer_id"] for o in offers]

    slots = []
    n_workshops = draw(st.integers(1, 2))
    for k in range(draw(st.integers(0, max_slots))):
        capacity = draw(st.integers(1, 3))
        slots.append(
            {
                "slot_id": f"S{k}",
                "workshop_id": f"W{draw(st.integers(1, n_workshops))}",
                "date": draw(st.sampled_from(working)),
                "part": draw(st.sampled_from(["AM", "PM", "DAY"])),
                "capacity": capacity,
                "qpv_reserved": _rarely(draw, st.integers(0, capacity), 0),
                "accessible": draw(st.integers(0, 4)) > 0,
                **draw(_location(spread)),
            }
        )

    students = []
    for k in range(draw(st.integers(min_students, max(min_students, max_students)))):
        student: dict[str, Any] = {
            "student_id": f"E{k}",
            "school_id": draw(st.sampled_from(school_ids)),
            "qpv": draw(st.booleans()),
            "max_travel_min": _rarely(draw, st.sampled_from([20, 30, 60, 90])),
            "mode": _rarely(draw, st.sampled_from(MODES)),
            "wishes": draw(st.lists(st.sampled_from(SECTORS), unique=True, max_size=3)),
            "wished_offers": _rarely(
                draw, st.lists(st.sampled_from(offer_ids), unique=True, max_size=2), []
            ),
            "needs_accessibility": draw(st.integers(0, 5)) == 0,
            "age": _rarely(draw, st.sampled_from([14, 15, 16, 17])),
            "split_ok": draw(st.integers(0, 4)) > 0,
            "unavailable": _rarely(
                draw,
                st.lists(st.sampled_from(_days(PERIOD_START, period_end)), unique=True, max_size=2),
                [],
            ),
        }
        if draw(st.booleans()):  # else the student travels from school
            student.update(draw(_location(spread, prefix="home_")))
        students.append({k: v for k, v in student.items() if v is not None})

    travel_times: list[dict[str, Any]] = []
    if overrides and draw(st.integers(0, 4)) == 0:
        origins = [s["student_id"] for s in students] + school_ids + list(COMMUNES)
        destinations = offer_ids + [s["slot_id"] for s in slots] + list(COMMUNES)
        pairs = draw(
            st.lists(
                st.tuples(st.sampled_from(origins), st.sampled_from(destinations)),
                unique=True,
                min_size=1,
                max_size=4,
            )
        )
        travel_times = [
            {"origin": o, "destination": d, "minutes": draw(st.sampled_from([0, 15, 44.5, 90]))}
            for o, d in pairs
        ]

    return Instance(
        settings=settings,
        schools=schools,
        students=students,
        offers=offers,
        workshop_slots=slots,
        travel_times=travel_times,
    )


@st.composite
def plans(draw: st.DrawFn, instance: Instance, *, unknown_ids: bool = True) -> Plan:
    """Arbitrary plans for ``instance``: any student–item pairs, valid or not.

    With ``unknown_ids``, about one plan in ten also names a student, offer or slot the
    instance does not have (or a slot id given as a placement), to exercise ``unknown_id``.
    """
    pairs = [
        Assignment(s.student_id, "placement", o.offer_id)
        for s in instance.students
        for o in instance.offers
    ] + [
        Assignment(s.student_id, "workshop", w.slot_id)
        for s in instance.students
        for w in instance.workshop_slots
    ]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=2 * len(instance.students) + 2))
    if unknown_ids and draw(st.integers(0, 9)) == 0:
        student = instance.students[0].student_id
        chosen.append(
            draw(
                st.sampled_from(
                    [
                        Assignment("nobody", "placement", instance.offers[0].offer_id),
                        Assignment(student, "placement", "no-such-offer"),
                        Assignment(student, "workshop", "no-such-slot"),
                        Assignment(student, "workshop", instance.offers[0].offer_id),
                    ]
                )
            )
        )
    return Plan(chosen)
