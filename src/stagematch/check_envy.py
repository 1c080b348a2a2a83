"""The ``justified_envy`` rule of :func:`stagematch.check.check`, for plans asked to be stable.

Under the same rule as :mod:`stagematch.check`: written from the row models, never the solver's
arrays or keys, so a bug in the solver's envy chains (:mod:`stagematch.solver.stable`) cannot
hide itself by being repeated here. The definition is :mod:`stagematch.fairness`'s, ties not
broken:

student *s* has **justified envy** at offer *o* when *o* is a candidate of *s* (within their
travel limit and eligible), *s* strictly prefers *o* to their best placement (or has none),
and *o* holds a student *t* whom it ranks strictly below *s*.

A student prefers the smaller (preference cost, one-way minutes); an offer ranks first the
smaller (not QPV, one-way minutes).

Every student has to be compared with every offer that holds someone: 50,000 students and
thousands of offers are hundreds of millions of pairs, hours of plain Python. So the decision
is made in two steps. A numpy *sieve* (:func:`_sieve`) drops every pair that certainly has no
justified envy, from lower bounds on its minutes: the SPEC's estimate computed in floating point
and rounded conservatively, minus infinity wherever a ``travel_times`` row might apply, and
only offers within the student's travel limit's reach in latitude. The pairs it keeps (in a
stable plan, those that fail only eligibility or sit on a rounding edge) are then decided one
at a time by the checker's own formulas, exactly as the definition reads (:func:`_envies`).
The sieve only ever keeps too much, so the result is the pair-by-pair definition's, in the same
order (``tests/test_check_envy.py`` compares the two on random instances).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .check_travel import DETOUR, MODE_SPEEDS, Index, _destination, _origin
from .geo import EARTH_RADIUS_KM
from .i18n import _
from .model import Instance, Offer, Student

__all__ = ["envy_pairs"]

Minutes = Callable[[Student, Offer], float]
Cost = Callable[[Student, Offer], int]
Candidate = Callable[[Student, Offer], bool]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

SLACK = 1e-6
"""Minutes (and kilometres) of floating-point slack: numpy's trigonometry may differ from
``math``'s in the last bits, which must never turn a pair the exact formula keeps into one the
sieve drops (a pair on a rounding edge is kept and decided exactly)."""

PAIRS_PER_BLOCK = 2_000_000
"""Student × offer pairs the sieve holds at once (a few arrays of this many floats)."""


def envy_pairs(
    instance: Instance,
    index: Index,
    placements: Iterable[tuple[Student, Offer]],
    minutes: Minutes,
    cost: Cost,
    is_candidate: Candidate,
) -> list[tuple[str, str, str]]:
    """Every (student id, offer id, message) with justified envy in a plan's ``placements``.

    ``minutes``, ``cost`` and ``is_candidate`` are the checker's own formulas for one pair:
    one-way travel, preference cost, and rules 3 and 4. ``index`` is the checker's lookups
    (:class:`.check_travel.Index`), which the sieve reads for origins and overrides. Pairs come
    students first (in the instance's order), then offers by id.
    """
    best: dict[str, tuple[int, float]] = {}
    lowest: dict[str, tuple[bool, float]] = {}
    offers: dict[str, Offer] = {}
    for student, offer in placements:
        travel = minutes(student, offer)
        wish = (cost(student, offer), travel)
        best[student.student_id] = min(best.get(student.student_id, wish), wish)
        rank = (not student.qpv, travel)
        lowest[offer.offer_id] = max(lowest.get(offer.offer_id, rank), rank)
        offers[offer.offer_id] = offer
    held = [offers[oid] for oid in sorted(lowest)]
    if not held:
        return []
    text = _(
        "{student} would rather have {offer} than their placement, and {offer} holds a "
        "student it ranks below them (justified envy)"
    )
    out: list[tuple[str, str, str]] = []
    for s, k in _sieve(instance, index, held, best, lowest):
        student, offer = instance.students[s], held[k]
        sid, oid = student.student_id, offer.offer_id
        if _envies(student, offer, best.get(sid), lowest[oid], minutes, cost, is_candidate):
            out.append((sid, oid, text.format(student=sid, offer=oid)))
    return out


def _envies(
    student: Student,
    offer: Offer,
    best: tuple[int, float] | None,
    lowest: tuple[bool, float],
    minutes: Minutes,
    cost: Cost,
    is_candidate: Candidate,
) -> bool:
    """The definition for one pair, with the checker's formulas."""
    travel = minutes(student, offer)
    if (not student.qpv, travel) >= lowest:
        return False  # nobody it holds ranks below the student
    if best is not None and (cost(student, offer), travel) >= best:
        return False  # their own placement is as good
    return is_candidate(student, offer)


@dataclass(frozen=True)
class _Pairs:
    """Both sides of the pairs as arrays, with what the sieve compares."""

    lat: Floats  # students' origins, radians
    lon: Floats
    overridden: npt.NDArray[np.bool_]  # some ``travel_times`` row has one of its origin keys
    speed: Floats
    overhead: Floats
    limit: Floats
    not_qpv: npt.NDArray[np.bool_]
    needs_access: npt.NDArray[np.bool_]
    age: Floats  # NaN: none given
    best_cost: Floats  # inf: no placement
    best_travel: Floats
    offer_lat: Floats  # held offers, radians
    offer_lon: Floats
    offer_overridden: npt.NDArray[np.bool_]
    low_not_qpv: npt.NDArray[np.bool_]  # the offer's lowest-ranked holder
    low_travel: Floats
    accessible: npt.NDArray[np.bool_]
    min_age: Floats  # NaN: none
    away: npt.NDArray[np.uint64]  # the student's unavailable working days, one bit each
    days: npt.NDArray[np.uint64]  # the offer's working days (0 for both: not compared)
    school: Ints
    reserved: npt.NDArray[np.bool_]  # the offer is reserved for some schools
    open_to: _Lookup  # school × held offer → 1 where the offer is reserved for the school
    costs: _Costs

    def block(self, s: Ints, k: Ints) -> tuple[Ints, Ints]:
        """The pairs of students ``s`` × offers ``k`` that may have justified envy.

        The tests that need no minutes go first, on the whole table (most pairs fail one: the
        student is placed as well as the offer could place them, or the offer's lowest holder
        is QPV and the student is not), so the trigonometry runs on the pairs left.
        """
        col, row = k[None, :], s[:, None]
        cost = self.costs.block(s, k)
        keep = cost <= self.best_cost[row]
        keep &= self.not_qpv[row] <= self.low_not_qpv[col]
        keep &= ~(self.needs_access[row] & ~self.accessible[col])
        keep &= ~(self.age[row] < self.min_age[col])
        keep &= (self.away[row] & self.days[col]) == 0
        i, j = np.nonzero(keep)
        s, k, cost = s[i], k[j], cost[i, j]
        shut = self.reserved[k]
        keep = ~shut
        keep[shut] = self.open_to.get(self.school[s[shut]] * len(self.reserved) + k[shut]) > 0
        s, k, cost = s[keep], k[keep], cost[keep]
        km = _haversine_km(self.lat[s], self.lon[s], self.offer_lat[k], self.offer_lon[k])
        estimate = self.overhead[s] + 60 * DETOUR * km / self.speed[s]
        least = np.floor(estimate - SLACK + 0.5)  # never above the exact rounded minutes
        least[self.overridden[s] & self.offer_overridden[k]] = -np.inf
        nq, low = self.not_qpv[s], self.low_not_qpv[k]
        keep = least <= self.limit[s]
        keep &= (nq < low) | (least < self.low_travel[k])
        keep &= (cost < self.best_cost[s]) | (least < self.best_travel[s])
        return s[keep], k[keep]


def _sieve(
    instance: Instance,
    index: Index,
    held: list[Offer],
    best: dict[str, tuple[int, float]],
    lowest: dict[str, tuple[bool, float]],
) -> list[tuple[int, int]]:
    """(student, held offer) positions of every pair that may have justified envy, in order.

    Students go in blocks of nearby origins (sorted by bands of latitude, then longitude); each
    block meets only the offers within the farthest reach of its students' travel limits, and
    the offers some ``travel_times`` row may bring nearer when a student of the block has such
    a row.
    """
    pairs = _arrays(instance, index, held, best, lowest)
    reach = (pairs.limit + 0.5 + SLACK - pairs.overhead) * pairs.speed / (60 * DETOUR) + SLACK
    radius = np.where(reach >= 0, reach / EARTH_RADIUS_KM, -np.inf)  # radians of arc
    by_lat = np.argsort(pairs.offer_lat, kind="stable")
    nearer = np.flatnonzero(pairs.offer_overridden)
    students = np.lexsort((pairs.lon, np.floor(pairs.lat / BAND)))
    size = max(1, PAIRS_PER_BLOCK // max(len(held), 1))
    found_s: list[Ints] = []
    found_k: list[Ints] = []
    for first in range(0, len(students), size):
        s = students[first : first + size]
        k = nearer if pairs.overridden[s].any() else np.zeros(0, dtype=np.int64)
        reaching = s[np.isfinite(radius[s])]
        if len(reaching):
            k = np.union1d(k, _within_reach(pairs, by_lat, reaching, radius[reaching]))
        if len(k):
            got_s, got_k = pairs.block(s, k.astype(np.int64))
            found_s.append(got_s)
            found_k.append(got_k)
    if not found_s:
        return []
    s_all, k_all = np.concatenate(found_s), np.concatenate(found_k)
    order = np.lexsort((k_all, s_all))
    return list(zip(s_all[order].tolist(), k_all[order].tolist(), strict=True))


BAND = 0.002
"""Radians of latitude (about 13 km) per band of students in the sieve's blocks."""


def _within_reach(pairs: _Pairs, by_lat: Ints, s: Ints, radius: Floats) -> Ints:
    """Held offers that some student of ``s`` may reach: within ``radius`` (radians of arc)
    in latitude, and in longitude, since for latitudes within ±φ the haversine gives
    d ≥ 2R·asin(cos φ · |sin(Δλ/2)|)."""
    lat = pairs.offer_lat[by_lat]
    low = float(np.min(pairs.lat[s] - radius))
    high = float(np.max(pairs.lat[s] + radius))
    k = by_lat[np.searchsorted(lat, low, "left") : np.searchsorted(lat, high, "right")]
    if not len(k):
        return k
    widest = float(np.max(radius))
    flattest = math.cos(min(max(abs(low), abs(high)), math.pi / 2))
    if widest >= math.pi / 2 or flattest <= 0.0:
        return k
    sine = math.sin(widest / 2) / flattest
    if sine >= 1.0:
        return k
    dlon = 2 * math.asin(sine) + SLACK
    lon = pairs.offer_lon[k]
    west, east = float(np.min(pairs.lon[s])) - dlon, float(np.max(pairs.lon[s])) + dlon
    if west < -math.pi or east > math.pi:
        return k  # the window wraps around the antimeridian: keep it whole
    return k[(lon >= west) & (lon <= east)]


def _arrays(
    instance: Instance,
    index: Index,
    held: list[Offer],
    best: dict[str, tuple[int, float]],
    lowest: dict[str, tuple[bool, float]],
) -> _Pairs:
    """The students, the held offers and the plan's best and lowest ranks as arrays."""
    students = instance.students
    settings = instance.settings
    from_keys = {origin for origin, _destination in index.overrides}
    to_keys = {destination for _origin, destination in index.overrides}
    origins = [_origin(index, s) for s in students]
    places = [_destination(index, o) for o in held]
    modes = [MODE_SPEEDS[s.mode or settings.default_mode] for s in students]
    limits = [
        settings.default_max_travel_min if s.max_travel_min is None else s.max_travel_min
        for s in students
    ]
    nan = float("nan")
    none = (np.inf, np.inf)
    return _Pairs(
        lat=np.radians(np.array([p[0][0] for p in origins], dtype=np.float64)),
        lon=np.radians(np.array([p[0][1] for p in origins], dtype=np.float64)),
        overridden=np.array([any(k in from_keys for k in p[1]) for p in origins], dtype=bool),
        speed=np.array([m[0] for m in modes], dtype=np.float64),
        overhead=np.array([m[1] for m in modes], dtype=np.float64),
        limit=np.array(limits, dtype=np.float64),
        not_qpv=np.array([not s.qpv for s in students], dtype=bool),
        needs_access=np.array([s.needs_accessibility for s in students], dtype=bool),
        age=np.array([nan if s.age is None else s.age for s in students], dtype=np.float64),
        best_cost=np.array([best.get(s.student_id, none)[0] for s in students], dtype=np.float64),
        best_travel=np.array([best.get(s.student_id, none)[1] for s in students], dtype=np.float64),
        offer_lat=np.radians(np.array([p[0][0] for p in places], dtype=np.float64)),
        offer_lon=np.radians(np.array([p[0][1] for p in places], dtype=np.float64)),
        offer_overridden=np.array([any(k in to_keys for k in p[1]) for p in places], dtype=bool),
        low_not_qpv=np.array([lowest[o.offer_id][0] for o in held], dtype=bool),
        low_travel=np.array([lowest[o.offer_id][1] for o in held], dtype=np.float64),
        accessible=np.array([o.accessible for o in held], dtype=bool),
        min_age=np.array([nan if o.min_age is None else o.min_age for o in held], dtype=np.float64),
        **_calendar(instance, index, held),
        **_schools(students, held),
        costs=_Costs(students, held, settings.unranked_cost),
    )


def _calendar(instance: Instance, index: Index, held: list[Offer]) -> dict[str, Any]:
    """Unavailable days and the offers' days as bits (none when the period has over 64)."""
    days = len(instance.working_days)
    n = len(instance.students)
    if days > 64:
        return {"away": np.zeros(n, dtype=np.uint64), "days": np.zeros(len(held), np.uint64)}
    away = []
    for student in instance.students:
        bits = 0
        for day in student.unavailable:
            span = instance.half_days_of_date(day)
            if span is not None:
                bits |= 1 << (span[0] // 2)
        away.append(bits)
    spans = [index.span(instance, o) for o in held]
    covered = [((1 << (hi // 2 + 1)) - 1) ^ ((1 << (lo // 2)) - 1) for lo, hi in spans]
    return {"away": np.array(away, dtype=np.uint64), "days": np.array(covered, dtype=np.uint64)}


def _schools(students: tuple[Student, ...], held: list[Offer]) -> dict[str, Any]:
    """Each student's school, and which held offers are reserved for which schools."""
    code: dict[str, int] = {}
    school = np.array([code.setdefault(s.school_id, len(code)) for s in students], np.int64)
    open_to = {
        code[sid] * len(held) + k: 1
        for k, offer in enumerate(held)
        for sid in offer.reserved_schools
        if sid in code
    }
    reserved = np.array([bool(o.reserved_schools) for o in held], dtype=bool)
    return {"school": school, "reserved": reserved, "open_to": _Lookup(open_to)}


class _Costs:
    """Preference costs of (student, held offer) pairs as arrays: ``wished_offers`` ranks,
    then ``wishes`` ranks by sector, else the unranked cost (as :func:`.check.preference_cost`).

    Sector ranks are a dense student × sector table; wished offers, a few per student, are
    kept per student (CSR) and written into each block's table."""

    def __init__(self, students: tuple[Student, ...], held: list[Offer], unranked: int) -> None:
        position = {o.offer_id: k for k, o in enumerate(held)}
        sectors: dict[str, int] = {}
        self.offer_sector = np.array(
            [sectors.setdefault(o.sector, len(sectors)) for o in held], dtype=np.int64
        )
        self.sector_rank = np.zeros((len(students), max(len(sectors), 1)), dtype=np.int32)
        wished_offer: list[int] = []
        wished_rank: list[int] = []
        self.wished_ptr = np.zeros(len(students) + 1, dtype=np.int64)
        for s, student in enumerate(students):
            seen: set[int] = set()
            for rank, oid in enumerate(student.wished_offers, start=1):
                k = position.get(oid)
                if k is not None and k not in seen:  # the first mention counts
                    seen.add(k)
                    wished_offer.append(k)
                    wished_rank.append(rank)
            self.wished_ptr[s + 1] = len(wished_offer)
            first = len(student.wished_offers) + 1
            for rank, sector in reversed(list(enumerate(student.wishes, start=first))):
                if sector in sectors:  # reversed: the first mention is written last
                    self.sector_rank[s, sectors[sector]] = rank
        self.wished_offer = np.array(wished_offer, dtype=np.int64)
        self.wished_rank = np.array(wished_rank, dtype=np.int32)
        self.n_held = len(held)
        self.unranked = unranked

    def block(self, s: Ints, k: Ints) -> Ints:
        """The cost of every pair of students ``s`` × held offers ``k`` (a table)."""
        rank = self.sector_rank[s[:, None], self.offer_sector[k][None, :]]
        column = np.full(self.n_held, -1, dtype=np.int64)
        column[k] = np.arange(len(k))
        counts = self.wished_ptr[s + 1] - self.wished_ptr[s]
        row = np.repeat(np.arange(len(s)), counts)
        entry = np.repeat(self.wished_ptr[s] - np.cumsum(counts) + counts, counts) + np.arange(
            int(counts.sum())
        )
        at = column[self.wished_offer[entry]]
        inside = at >= 0
        rank[row[inside], at[inside]] = self.wished_rank[entry[inside]]
        return np.where(rank > 0, rank - 1, self.unranked)


class _Lookup:
    """A dict of int → positive int as sorted arrays, looked up for many keys at once (0: none)."""

    def __init__(self, table: dict[int, int]) -> None:
        self.keys = np.array(sorted(table), dtype=np.int64)
        self.values = np.array([table[k] for k in self.keys.tolist()], dtype=np.int64)

    def get(self, keys: Ints) -> Ints:
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, self.values[at], 0)


def _haversine_km(lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
    """:func:`.check_travel.great_circle_km` on arrays of radians (equal up to rounding)."""
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
