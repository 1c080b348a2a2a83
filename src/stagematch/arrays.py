"""Column arrays of an :class:`~stagematch.instance.Instance`, built once for the hot paths.

The row models are pleasant to read and validate but far too slow to loop over for millions of
student–offer pairs; travel estimates, reachability, eligibility and the solver work on these
numpy columns instead. Every array of a table is in the table's row order, so ``arrays.offers.ids[j]``
and ``instance.offers[j]`` are the same offer. This is also the one home of the id → position
dictionaries (:func:`index_of`, :attr:`InstanceArrays.student_index`, :attr:`ItemArrays.index`)
and of a plan's encoding as positions (:meth:`InstanceArrays.encode` / :meth:`~InstanceArrays.decode`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from .geo import Communes, communes
from .plan import Assignment, Plan
from .rows import ItemKind, Offer, School, Settings, Student, WorkshopSlot

MODE_CODES = {"walk": 0, "bike": 1, "transit": 2, "car": 3}

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjArray = npt.NDArray[np.object_]


class ArraySource(Protocol):
    """What the arrays are built from: an :class:`~stagematch.instance.Instance`. A protocol,
    so that this module does not import the instance module, which imports it."""

    settings: Settings
    schools: tuple[School, ...]
    students: tuple[Student, ...]
    offers: tuple[Offer, ...]
    workshop_slots: tuple[WorkshopSlot, ...]

    @property
    def n_half_days(self) -> int: ...

    def half_days_of_offer(self, offer: Offer) -> tuple[int, int]: ...

    def half_days_of_slot(self, slot: WorkshopSlot) -> tuple[int, int]: ...

    def half_days_of_date(self, day: date) -> tuple[int, int] | None: ...


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

    @cached_property
    def index(self) -> dict[str, int]:
        """Item id → row position."""
        return index_of(self.ids)


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

    @cached_property
    def student_index(self) -> dict[str, int]:
        """Student id → row position."""
        return index_of(self.student_ids)

    @cached_property
    def school_index(self) -> dict[str, int]:
        """School id → row position."""
        return index_of(self.school_ids)

    def items(self, kind: ItemKind) -> ItemArrays:
        """The offers (``placement``) or the workshop slots (``workshop``)."""
        return self.offers if kind == "placement" else self.slots

    def encode(self, plan: Plan) -> EncodedPlan:
        """The plan as (student, item) position rows; every id must be in the instance."""
        student, offer, slot = self.student_index, self.offers.index, self.slots.index
        placements = [
            (student[a.student_id], offer[a.item_id])
            for a in plan.assignments
            if a.kind == "placement"
        ]
        sessions = [
            (student[a.student_id], slot[a.item_id])
            for a in plan.assignments
            if a.kind == "workshop"
        ]
        return EncodedPlan(_pairs(placements), _pairs(sessions))

    def decode(self, placements: npt.ArrayLike, sessions: npt.ArrayLike = ()) -> Plan:
        """The plan of (student, offer) and (student, slot) position rows; :meth:`encode`
        inverts it."""
        ids = self.student_ids
        rows = [
            Assignment(ids[s], "placement", self.offers.ids[j]) for s, j in _rows(placements)
        ] + [Assignment(ids[s], "workshop", self.slots.ids[j]) for s, j in _rows(sessions)]
        return Plan(rows)

    @classmethod
    def from_instance(cls, instance: ArraySource) -> InstanceArrays:
        """The arrays of a validated instance (rows in the instance's order)."""
        settings = instance.settings
        table = communes()
        schools = instance.schools
        school_index = index_of([s.school_id for s in schools])
        school_lat, school_lon, school_commune = _points(
            [(s.lat, s.lon, s.commune) for s in schools], table
        )
        students = instance.students
        n = len(students)
        home_lat, home_lon, home_commune = _points(
            [(s.home_lat, s.home_lon, s.home_commune) for s in students], table
        )
        school = np.fromiter((school_index[s.school_id] for s in students), np.int64, n)
        from_school = np.isnan(home_lat)
        offers, slots = instance.offers, instance.workshop_slots
        offer_arrays = _items(
            offers, [instance.half_days_of_offer(o) for o in offers], "host_id", table
        )
        slot_arrays = _items(
            slots, [instance.half_days_of_slot(s) for s in slots], "workshop_id", table
        )
        return cls(
            student_ids=[s.student_id for s in students],
            qpv=np.fromiter((s.qpv for s in students), bool, n),
            school=school,
            age=_optional([s.age for s in students]),
            needs_accessibility=np.fromiter((s.needs_accessibility for s in students), bool, n),
            max_travel=_optional(
                [s.max_travel_min for s in students], settings.default_max_travel_min
            ),
            mode=_modes(students, settings.default_mode),
            max_placements=np.fromiter(
                (settings.max_placements_per_student if s.split_ok else 1 for s in students),
                np.int64,
                n,
            ),
            origin_lat=np.where(from_school, school_lat[school], home_lat),
            origin_lon=np.where(from_school, school_lon[school], home_lon),
            from_school=from_school,
            origin_commune=np.where(from_school, school_commune[school], home_commune),
            unavailable=_unavailable(instance),
            school_ids=[s.school_id for s in schools],
            school_lat=school_lat,
            school_lon=school_lon,
            offers=offer_arrays,
            offer_sector=[o.sector for o in offers],
            min_age=_optional([o.min_age for o in offers]),
            min_share=_optional([o.qpv_min_share for o in offers], settings.qpv_min_share).astype(
                np.int64
            ),
            reserved_schools=[
                frozenset(school_index[x] for x in o.reserved_schools) for o in offers
            ],
            slots=slot_arrays,
            n_half_days=instance.n_half_days,
            workshop_max_travel=float(settings.workshop_max_travel_min),
            coach_capacity=settings.coach_capacity or 0,
            banned=_banned(students, offer_arrays.group_ids),
            pinned_offers=_pins(students, "pinned_offer", offer_arrays.index),
            pinned_slots=_pins(students, "pinned_slots", slot_arrays.index),
        )


class EncodedPlan(NamedTuple):
    """A plan as positions (:meth:`InstanceArrays.encode`): ``(k, 2)`` int64 rows each."""

    placements: IntArray  # (student, offer)
    sessions: IntArray  # (student, slot)


def members_by_key(keys: IntArray, n: int) -> list[IntArray]:
    """The positions of ``keys`` holding each key ``0 .. n-1``, in order (one sort instead of
    ``n`` scans): a component's pairs by student, by item or by coach group."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n)]


def index_of(ids: Sequence[str]) -> dict[str, int]:
    """Id → its position in ``ids`` (the one home of ``{id: i for i, id in enumerate(ids)}``)."""
    return {item_id: position for position, item_id in enumerate(ids)}


def _pairs(rows: list[tuple[int, int]]) -> IntArray:
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def _rows(pairs: npt.ArrayLike) -> list[list[int]]:
    rows: list[list[int]] = np.asarray(pairs, dtype=np.int64).reshape(-1, 2).tolist()
    return rows


def _optional(values: Sequence[float | None], default: float = np.nan) -> FloatArray:
    """A float column where ``None`` takes ``default`` (NaN: unknown)."""
    return np.fromiter((default if v is None else v for v in values), np.float64, len(values))


def _modes(students: Sequence[Student], default: str) -> npt.NDArray[np.int8]:
    return np.fromiter(
        (MODE_CODES[default if s.mode is None else s.mode] for s in students),
        np.int8,
        len(students),
    )


def _unavailable(instance: ArraySource) -> BoolArray:
    """Students × half-days: the half-days of the dates each student cannot be given anything."""
    unavailable = np.zeros((len(instance.students), instance.n_half_days), dtype=bool)
    for i, student in enumerate(instance.students):
        for day in student.unavailable:
            span = instance.half_days_of_date(day)
            if span is not None:
                unavailable[i, span[0] : span[1] + 1] = True
    return unavailable


def _banned(students: Sequence[Student], host_ids: list[str]) -> IntArray:
    """Sorted keys student × n_hosts + host of the pairs ``banned_hosts`` forbids."""
    host = index_of(host_ids)
    keys = [
        i * max(len(host_ids), 1) + host[h]
        for i, s in enumerate(students)
        for h in s.banned_hosts
        if h in host
    ]
    return np.unique(np.array(keys, dtype=np.int64))


def _pins(students: Sequence[Student], column: str, index: dict[str, int]) -> IntArray:
    """(student, item) index rows of a pin column; a student pinning an item twice pins it once."""
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
    rows: Sequence[Offer] | Sequence[WorkshopSlot],
    spans: list[tuple[int, int]],
    group_column: str,
    table: Communes,
) -> ItemArrays:
    """Offers (grouped by host) or slots (grouped by workshop) as arrays."""
    n = len(rows)
    groups: dict[str, int] = {}
    group = [groups.setdefault(getattr(r, group_column), len(groups)) for r in rows]
    ids = [r.offer_id if isinstance(r, Offer) else r.slot_id for r in rows]
    lat, lon, commune = _points([(r.lat, r.lon, r.commune) for r in rows], table)
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
        group_ids=list(groups),
    )
