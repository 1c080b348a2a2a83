"""The checker's own lookups and travel time: the SPEC's formula, written again from the rows.

A part of :mod:`stagematch.check` kept in its own module for size only: the same rule holds,
it never imports ``stagematch.solver``, ``stagematch.arrays`` or ``stagematch.travel``, so a
bug in the fast path cannot hide itself by being repeated here.
"""

from __future__ import annotations

import math
import weakref

from .geo import EARTH_RADIUS_KM, communes
from .model import Instance, Offer, School, Student, WorkshopSlot
from .plan import Assignment

Item = Offer | WorkshopSlot

MODE_SPEEDS: dict[str, tuple[float, float]] = {
    "walk": (5.0, 0.0),
    "bike": (15.0, 2.0),
    "transit": (18.0, 10.0),
    "car": (35.0, 5.0),
}
"""Mode → (speed in km/h, fixed overhead in minutes), as in the SPEC's travel-time formula."""

DETOUR = 1.3
"""Road/network distance per great-circle km (the SPEC's 1.3)."""


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


class Index:
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
            pin
            for s in instance.students
            for pin in (
                *(Assignment(s.student_id, "placement", iid) for iid in s.pinned_offer),
                *(Assignment(s.student_id, "workshop", iid) for iid in s.pinned_slots),
            )
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


_INDEXES: dict[int, tuple[weakref.ref[Instance], Index]] = {}


def index_of(instance: Instance) -> Index:
    key = id(instance)
    hit = _INDEXES.get(key)
    if hit is not None and hit[0]() is instance:
        return hit[1]
    index = Index(instance)

    def forget(_ref: weakref.ref[Instance], key: int = key) -> None:
        _INDEXES.pop(key, None)

    _INDEXES[key] = (weakref.ref(instance, forget), index)
    return index


def item_id(item: Item) -> str:
    return item.offer_id if isinstance(item, Offer) else item.slot_id


def _origin(index: Index, student: Student) -> tuple[tuple[float, float], list[str]]:
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


def _destination(index: Index, item: Item) -> tuple[tuple[float, float], list[str]]:
    """The item's point and its ``travel_times`` destination keys (id, then commune if given so)."""
    keys = [item_id(item)]
    if item.lat is not None and item.lon is not None:
        return (item.lat, item.lon), keys
    assert item.commune is not None  # a validated item has a location
    keys.append(item.commune)
    return index.commune_point(item.commune), keys


def travel(index: Index, instance: Instance, student: Student, item: Item) -> float:
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
    return travel(index_of(instance), instance, student, item)
