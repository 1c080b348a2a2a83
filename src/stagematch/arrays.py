"""Column arrays of an :class:`~stagematch.model.Instance`, built once for the hot paths.

The row models are pleasant to read and validate but far too slow to loop over for millions of
student–offer pairs; travel estimates, reachability, eligibility and the solver work on these
numpy columns instead. Every array of a table is in the table's row order, so ``arrays.offer_ids[j]``
and ``instance.offers[j]`` are the same offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .geo import Communes, communes

if TYPE_CHECKING:
    from .model import Instance, Offer, Student, WorkshopSlot

MODE_CODES = {"walk": 0, "bike": 1, "transit": 2, "car": 3}

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]


@dataclass(frozen=True, eq=False)
class ItemArrays:
    """Offers or workshop slots: seats, access rules, where and when (half-day interval)."""

    ids: list[str]
    capacity: IntArray
    reserved: IntArray
    accessible: BoolArray
    first_half_day: IntArray
    last_half_day: IntArray
    lat: FloatArray
    lon: FloatArray
    commune: ObjArray  # INSEE code when the place is given by commune only, else None
    group: IntArray  # offers: host index; slots: workshop index
    group_ids: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def length(self) -> IntArray:
        """Half-days covered."""
        return self.last_half_day - self.first_half_day + 1


@dataclass(frozen=True, eq=False)
class InstanceArrays:
    """Everything the solver needs, as arrays indexed by row position."""

    student_ids: list[str]
    qpv: BoolArray
    school: IntArray
    age: FloatArray  # NaN when unknown
    needs_accessibility: BoolArray
    max_travel: FloatArray  # placement limit, default applied
    mode: npt.NDArray[np.int8]
    max_placements: IntArray  # split rules applied
    origin_lat: FloatArray
    origin_lon: FloatArray
    from_school: BoolArray  # no home given: travels from the school
    origin_commune: ObjArray  # commune code when the origin is given as a commune, else None
    unavailable: BoolArray  # students × half-days
    school_ids: list[str]
    school_lat: FloatArray
    school_lon: FloatArray
    offers: ItemArrays
    offer_sector: list[str]
    min_age: FloatArray  # NaN when none
    min_share: IntArray  # minimum QPV share in percent, the setting applied (0: none)
    reserved_schools: list[frozenset[int]]  # empty: open to every school
    slots: ItemArrays
    n_half_days: int
    workshop_max_travel: float
    coach_capacity: int  # seats per coach (0: coaches not planned)
    banned: IntArray  # sorted keys student × n_hosts + host of the pairs banned_hosts forbids
    pinned_offers: IntArray  # (student, offer) rows: placements pinned in the input
    pinned_slots: IntArray  # (student, slot) rows: sessions pinned in the input

    @property
    def n_students(self) -> int:
        return len(self.student_ids)

    def coach_group_keys(
        self, slot: npt.NDArray[np.integer], student: npt.NDArray[np.integer]
    ) -> IntArray:
        """A key per (session, school) group — the unit the ``coaches`` level counts — for
        sessions ``slot`` attended by ``student`` (global indices)."""
        return (
            np.asarray(slot, dtype=np.int64) * max(len(self.school_ids), 1)
            + self.school[np.asarray(student, dtype=np.int64)]
        )

    def coach_groups(
        self,
        slot: npt.NDArray[np.integer],
        student: npt.NDArray[np.integer],
        outside_keys: IntArray | None = None,
    ) -> tuple[IntArray, IntArray]:
        """Local group numbers of the given session pairs, and per group how many of
        ``outside_keys`` (the groups of students outside a model, fixed) it already holds."""
        keys, groups = np.unique(self.coach_group_keys(slot, student), return_inverse=True)
        outside = np.zeros(len(keys), dtype=np.int64)
        if outside_keys is not None and len(outside_keys) and len(keys):
            where = np.searchsorted(keys, outside_keys)
            hit = (where < len(keys)) & (keys[np.minimum(where, len(keys) - 1)] == outside_keys)
            outside = np.bincount(where[hit], minlength=len(keys)).astype(np.int64)
        return groups.astype(np.int64).reshape(-1), outside

    @classmethod
    def from_instance(cls, instance: Instance) -> InstanceArrays:
        settings = instance.settings
        table = communes()
        school_index = {s.school_id: i for i, s in enumerate(instance.schools)}
        school_lat, school_lon, school_commune = _points(
            [(s.lat, s.lon, s.commune) for s in instance.schools], table
        )
        students = instance.students
        n = len(students)
        home_lat, home_lon, home_commune = _points(
            [(s.home_lat, s.home_lon, s.home_commune) for s in students], table
        )
        school = np.fromiter((school_index[s.school_id] for s in students), np.int64, n)
        from_school = np.isnan(home_lat)
        origin_lat = np.where(from_school, school_lat[school], home_lat)
        origin_lon = np.where(from_school, school_lon[school], home_lon)
        origin_commune = np.where(from_school, school_commune[school], home_commune)
        default_mode = MODE_CODES[settings.default_mode]
        split_limit = settings.max_placements_per_student
        n_half = instance.n_half_days
        unavailable = np.zeros((n, n_half), dtype=bool)
        for i, student in enumerate(students):
            for day in student.unavailable:
                span = instance.half_days_of_date(day)
                if span is not None:
                    unavailable[i, span[0] : span[1] + 1] = True
        offers = instance.offers
        host_ids: dict[str, int] = {}
        offer_spans = [instance.half_days_of_offer(o) for o in offers]
        offer_arrays = _items(
            [o.offer_id for o in offers],
            offers,
            offer_spans,
            [host_ids.setdefault(o.host_id, len(host_ids)) for o in offers],
            list(host_ids),
            table,
        )
        slots = instance.workshop_slots
        workshop_ids: dict[str, int] = {}
        slot_arrays = _items(
            [s.slot_id for s in slots],
            slots,
            [instance.half_days_of_slot(s) for s in slots],
            [workshop_ids.setdefault(s.workshop_id, len(workshop_ids)) for s in slots],
            list(workshop_ids),
            table,
        )
        return cls(
            student_ids=[s.student_id for s in students],
            qpv=np.fromiter((s.qpv for s in students), bool, n),
            school=school,
            age=np.fromiter((np.nan if s.age is None else s.age for s in students), float, n),
            needs_accessibility=np.fromiter((s.needs_accessibility for s in students), bool, n),
            max_travel=np.fromiter(
                (
                    settings.default_max_travel_min
                    if s.max_travel_min is None
                    else s.max_travel_min
                    for s in students
                ),
                float,
                n,
            ),
            mode=np.fromiter(
                (default_mode if s.mode is None else MODE_CODES[s.mode] for s in students),
                np.int8,
                n,
            ),
            max_placements=np.fromiter(
                (split_limit if s.split_ok else 1 for s in students), np.int64, n
            ),
            origin_lat=origin_lat,
            origin_lon=origin_lon,
            from_school=from_school,
            origin_commune=origin_commune,
            unavailable=unavailable,
            school_ids=[s.school_id for s in instance.schools],
            school_lat=school_lat,
            school_lon=school_lon,
            offers=offer_arrays,
            offer_sector=[o.sector for o in offers],
            min_age=np.fromiter(
                (np.nan if o.min_age is None else o.min_age for o in offers), float, len(offers)
            ),
            min_share=np.fromiter(
                (
                    settings.qpv_min_share if o.qpv_min_share is None else o.qpv_min_share
                    for o in offers
                ),
                np.int64,
                len(offers),
            ),
            reserved_schools=[
                frozenset(school_index[x] for x in o.reserved_schools) for o in offers
            ],
            slots=slot_arrays,
            n_half_days=n_half,
            workshop_max_travel=float(settings.workshop_max_travel_min),
            coach_capacity=settings.coach_capacity or 0,
            banned=np.unique(
                np.array(
                    [
                        i * max(len(host_ids), 1) + host_ids[h]
                        for i, s in enumerate(students)
                        for h in s.banned_hosts
                        if h in host_ids
                    ],
                    dtype=np.int64,
                )
            ),
            pinned_offers=_pins(students, "pinned_offer", offer_arrays.ids),
            pinned_slots=_pins(students, "pinned_slots", slot_arrays.ids),
        )


def _pins(students: tuple[Student, ...], column: str, item_ids: list[str]) -> IntArray:
    """(student, item) index rows of a pin column; a student pinning an item twice pins it once."""
    index = {item_id: j for j, item_id in enumerate(item_ids)}
    rows = {
        (i, index[item_id])
        for i, s in enumerate(students)
        for item_id in getattr(s, column)
        if item_id in index
    }
    return np.array(sorted(rows), dtype=np.int64).reshape(-1, 2)


def _points(
    locations: list[tuple[float | None, float | None, str | None]], table: Communes
) -> tuple[FloatArray, FloatArray, ObjArray]:
    """Resolve (lat, lon, commune) triples: lat/lon when given, else the commune's point."""
    n = len(locations)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    by_commune = np.full(n, None, dtype=object)
    need: list[int] = []
    for i, (la, lo, commune) in enumerate(locations):
        if la is not None and lo is not None:
            lat[i], lon[i] = la, lo
        elif commune is not None:
            by_commune[i] = commune
            need.append(i)
    if need:
        clat, clon = table.points(list(by_commune[need]))
        lat[need], lon[need] = clat, clon
    return lat, lon, by_commune


def _items(
    ids: list[str],
    rows: tuple[Offer, ...] | tuple[WorkshopSlot, ...],
    spans: list[tuple[int, int]],
    group: list[int],
    group_ids: list[str],
    table: Communes,
) -> ItemArrays:
    n = len(ids)
    lat, lon, commune = _points(
        [(r.lat, r.lon, r.commune) for r in rows],
        table,
    )
    return ItemArrays(
        ids=ids,
        capacity=np.fromiter((r.capacity for r in rows), np.int64, n),
        reserved=np.fromiter((r.qpv_reserved for r in rows), np.int64, n),
        accessible=np.fromiter((r.accessible for r in rows), np.bool_, n),
        first_half_day=np.fromiter((s[0] for s in spans), np.int64, n),
        last_half_day=np.fromiter((s[1] for s in spans), np.int64, n),
        lat=lat,
        lon=lon,
        commune=commune,
        group=np.asarray(group, dtype=np.int64),
        group_ids=group_ids,
    )
