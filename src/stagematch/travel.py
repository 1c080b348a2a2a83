"""Travel minutes (the SPEC's estimate, overridden by ``travel_times``) and reachable pairs.

Estimated one-way minutes are ``round(overhead + 60 × 1.3 × d / speed)`` with ``d`` the
great-circle distance in km; ``round`` is half-up (``floor(x + 0.5)``), the rounding a
coordinator would do by hand, and the one :mod:`stagematch.check` uses independently.

:func:`reachable` never builds the full students × items matrix: items go into a KD-tree on the
unit sphere, and students are queried in chunks with the largest radius their mode and limit
allow, so time and memory grow with the number of *reachable* pairs, not with their product.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from .arrays import (
    MODE_CODES,
    BoolArray,
    FloatArray,
    InstanceArrays,
    Int32Array,
    IntArray,
    ItemArrays,
)
from .geo import EARTH_RADIUS_KM, great_circle_km, km_to_chord, to_unit_vectors
from .rows import ItemKind

if TYPE_CHECKING:
    from .model import Instance

SPEED_KMH = np.array([5.0, 15.0, 18.0, 35.0])  # walk, bike, transit, car
OVERHEAD_MIN = np.array([0.0, 2.0, 10.0, 5.0])
DETOUR = 1.3
CHUNK = 512  # students per KD-tree query: bounds the memory of one query's output

assert list(MODE_CODES) == ["walk", "bike", "transit", "car"]


def estimate_minutes(km: FloatArray, mode: npt.NDArray[np.int8] | int) -> FloatArray:
    """The SPEC's estimate, vectorised over distances and mode codes (see module docstring)."""
    raw = OVERHEAD_MIN[mode] + 60.0 * DETOUR * np.asarray(km) / SPEED_KMH[mode]
    return np.floor(raw + 0.5)


def chord_minutes(chord: FloatArray, mode: int) -> FloatArray:
    """``estimate_minutes(chord_to_km(chord), mode)``, the same floats, computed in place.

    The listing computes it for every pair within reach (167 million at twice the académie's
    offer density): one array instead of a fresh one per operation. Each operation is the
    one :func:`~stagematch.geo.chord_to_km` and :func:`estimate_minutes` do, in their order,
    so every rounding is theirs."""
    out = np.divide(chord, 2.0)
    np.minimum(out, 1.0, out=out)
    np.arcsin(out, out=out)
    out *= 2 * EARTH_RADIUS_KM
    out *= 60.0 * DETOUR
    out /= SPEED_KMH[mode]
    out += OVERHEAD_MIN[mode]
    out += 0.5
    return np.floor(out, out=out)


def reach_km(limit: npt.ArrayLike, mode: npt.ArrayLike) -> FloatArray:
    """A radius in km holding every destination the estimate puts within ``limit`` minutes.

    ``floor(x + 0.5) ≤ limit`` needs ``x < limit + 0.5``, so no reachable destination is
    farther than ``(limit + 0.5 − overhead) × speed / (60 × 1.3)``. The added millimetre
    (1e-6 km) keeps a destination right at that bound from being lost to rounding when KD-tree
    queries compare chord lengths. The radius is safe, not exact (a fractional limit, the
    millimetre): whoever lists pairs keeps those whose :func:`estimate_minutes` is within the
    limit. Vectorised over limits and mode codes (broadcasting); the one home of this formula
    for reachability, the decomposition and the generator's profile.
    """
    modes = np.asarray(mode, dtype=np.int64)
    km = (np.asarray(limit, dtype=np.float64) + 0.5 - OVERHEAD_MIN[modes]) * SPEED_KMH[modes]
    return np.asarray(np.maximum(km / (60.0 * DETOUR), 0.0) + 1e-6)


@dataclass(frozen=True, eq=False)
class Pairs:
    """Student–item pairs with their one-way minutes, grouped by student in student order.

    Within a student the order is deterministic (the same input gives the same order) but not
    meaningful.
    """

    student: Int32Array
    item: Int32Array
    minutes: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.student)

    def indptr(self, n_students: int) -> IntArray:
        """CSR row pointers: the pairs of student ``s`` are ``indptr[s]:indptr[s+1]``.

        The students searched for share the pairs' dtype, so numpy does not copy every pair's
        student into a wider type first (600 MB on an académie)."""
        wanted = np.arange(n_students + 1, dtype=self.student.dtype)
        return np.searchsorted(self.student, wanted).astype(np.int64)

    def select(self, keep: npt.NDArray[np.bool_]) -> Pairs:
        return Pairs(self.student[keep], self.item[keep], self.minutes[keep])


def items_of(arrays: InstanceArrays, kind: ItemKind) -> ItemArrays:
    """The offers or the workshop slots."""
    return arrays.offers if kind == "placement" else arrays.slots


def limits_of(arrays: InstanceArrays, kind: ItemKind) -> FloatArray:
    """Each student's limit in minutes: their own for placements, the setting for workshops."""
    if kind == "placement":
        return arrays.max_travel
    return np.full(arrays.n_students, arrays.workshop_max_travel)


def _groups(
    arrays: InstanceArrays, limits: FloatArray
) -> Iterator[tuple[IntArray, float, int, float]]:
    """Students grouped by mode and limit (few groups), with the group's radius in km, mode
    code and limit."""
    keys = np.rec.fromarrays([arrays.mode, limits])
    unique, inverse = np.unique(keys, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(unique) + 1))
    for g, (mode, limit) in enumerate(unique):
        members = order[bounds[g] : bounds[g + 1]]
        yield members.astype(np.int64), float(reach_km(limit, mode)), int(mode), float(limit)


def reachable(
    instance: Instance,
    kind: ItemKind = "placement",
    students: IntArray | None = None,
    keep: Callable[[Pairs], BoolArray] | None = None,
) -> Pairs:
    """Every student–item pair within the student's limit, with its minutes.

    ``students`` restricts the search to those students (the others get no pairs). ``keep``
    filters the pairs as they are found (eligibility, for :func:`stagematch.candidates`): the
    pairs it drops never take memory, and those it keeps come out in the same order as if
    the whole list had been filtered afterwards. It is given a few hundred students' pairs at
    a time, in no particular order, and returns a mask of the same length.

    Placements use the student's own limit (else ``default_max_travel_min``); workshop slots use
    ``workshop_max_travel_min``. ``travel_times`` rows override the estimate both ways: a pair
    estimated too far can become reachable and a near one unreachable.

    Each student belongs to exactly one query chunk, so chunks are sorted on their own and
    scattered into their final place: no global sort, and memory stays close to the output
    (12 bytes a pair).
    """
    arrays = instance.arrays
    items = items_of(arrays, kind)
    limits = limits_of(arrays, kind)
    n = arrays.n_students
    chunks: list[tuple[IntArray, npt.NDArray[np.uint16], Int32Array, npt.NDArray[np.uint16]]] = []
    if len(items) and n:
        tree = cKDTree(to_unit_vectors(items.lat, items.lon))
        student_xyz = to_unit_vectors(arrays.origin_lat, arrays.origin_lon)
        wanted = None if students is None else np.isin(np.arange(n), students)
        for members, radius, mode, limit in _groups(arrays, limits):
            if wanted is not None:
                members = members[wanted[members]]
            chord = float(km_to_chord(radius))
            for start in range(0, len(members), CHUNK):
                chunk = members[start : start + CHUNK]
                hits = cKDTree(student_xyz[chunk]).sparse_distance_matrix(
                    tree, chord, output_type="ndarray"
                )
                # Everyone in a group has the same mode and limit. Estimates are whole minutes
                # far below 65,535: two bytes each while they wait to be scattered.
                minutes = chord_minutes(hits["v"], mode)
                within = minutes <= limit
                local = hits["i"][within].astype(np.uint16)  # chunk-local student
                i = hits["j"][within].astype(np.int32)
                compact = minutes[within].astype(np.uint16)
                del hits, within, minutes
                if keep is not None:
                    found = Pairs(chunk.astype(np.int32)[local], i, compact.astype(np.float32))
                    kept = keep(found)
                    del found
                    local, i, compact = local[kept], i[kept], compact[kept]
                # Radix-sort by student; a student's items keep the tree's order. Compact while
                # waiting to be scattered: 8 bytes a pair (the student is implied by the chunk).
                order = np.argsort(local, kind="stable")
                chunks.append((chunk, local[order], i[order], compact[order]))
    pairs = _scatter(chunks, n)
    if instance.travel_times:
        pairs = _apply_overrides(instance, arrays, items, kind, pairs, limits, keep)
        if students is not None:
            pairs = pairs.select(np.isin(pairs.student, students))
    return pairs


def reach_counts(
    instance: Instance, kind: ItemKind, students: IntArray, *, overrides: bool = True
) -> IntArray:
    """For each of ``students``, at least how many pairs :func:`reachable` lists for it,
    counted without listing any.

    A KD-tree count of the items within the radius the student's mode and limit allow (the
    radius :func:`reachable` searches, so no reachable item is missed), plus, with
    ``overrides``, every item a ``travel_times`` row names for the student (an override can
    bring a far item within the limit). Eligibility is not looked at: an upper bound.
    """
    arrays = instance.arrays
    items = items_of(arrays, kind)
    counts = np.zeros(len(students), dtype=np.int64)
    if not len(items) or not len(students):
        return counts
    tree = cKDTree(to_unit_vectors(items.lat, items.lon))
    radius = km_to_chord(reach_km(limits_of(arrays, kind)[students], arrays.mode[students]))
    xyz = to_unit_vectors(arrays.origin_lat[students], arrays.origin_lon[students])
    counts += np.asarray(tree.query_ball_point(xyz, radius, return_length=True), dtype=np.int64)
    if overrides and instance.travel_times:
        named, _, _ = _override_table(instance, arrays, items, kind)
        per_student = np.bincount(named, minlength=arrays.n_students)
        counts += per_student[np.asarray(students, dtype=np.int64)]
    return counts


def _sorted(
    parts_s: list[Int32Array], parts_i: list[Int32Array], parts_m: list[npt.NDArray[np.float32]]
) -> Pairs:
    """Concatenate pair arrays and sort them by student, then item."""
    s = np.concatenate(parts_s)
    i = np.concatenate(parts_i)
    m = np.concatenate(parts_m)
    order = np.lexsort((i, s))
    return Pairs(s[order], i[order], m[order])


def _scatter(
    chunks: list[tuple[IntArray, npt.NDArray[np.uint16], Int32Array, npt.NDArray[np.uint16]]],
    n_students: int,
) -> Pairs:
    """Concatenate chunks sorted by student, given that no student spans two chunks."""
    counts = np.zeros(n_students, dtype=np.int64)
    for members, local, _, _ in chunks:
        counts[members] += np.bincount(local, minlength=len(members))
    starts = np.zeros(n_students + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    total = int(starts[-1])
    student = np.empty(total, dtype=np.int32)
    item = np.empty(total, dtype=np.int32)
    minutes = np.empty(total, dtype=np.float32)
    while chunks:
        members, local, i, m = chunks.pop()
        # A chunk's pairs are grouped by student: each student's run is copied whole.
        bounds = np.searchsorted(local, np.arange(len(members) + 1)).tolist()
        for k, s in enumerate(members.tolist()):
            lo, hi = bounds[k], bounds[k + 1]
            if lo == hi:
                continue
            at = int(starts[s])
            student[at : at + hi - lo] = s
            item[at : at + hi - lo] = i[lo:hi]
            minutes[at : at + hi - lo] = m[lo:hi]
    return Pairs(student, item, minutes)


def minutes_for(
    instance: Instance, kind: ItemKind, student: IntArray, item: IntArray
) -> FloatArray:
    """Minutes of arbitrary student–item pairs (estimate, then ``travel_times`` overrides)."""
    arrays = instance.arrays
    items = items_of(arrays, kind)
    minutes = estimate_minutes(
        great_circle_km(
            arrays.origin_lat[student], arrays.origin_lon[student], items.lat[item], items.lon[item]
        ),
        arrays.mode[student],
    )
    if instance.travel_times and len(student):
        o_s, o_i, o_m = _override_table(instance, arrays, items, kind)
        if len(o_s):
            n_items = max(len(items), 1)
            keys = o_s * n_items + o_i
            pos = np.searchsorted(keys, student.astype(np.int64) * n_items + item)
            pos = np.minimum(pos, len(keys) - 1)
            found = keys[pos] == student.astype(np.int64) * n_items + item
            minutes = np.where(found, o_m[pos], minutes)
    return np.asarray(minutes, dtype=np.float64)


def _override_table(
    instance: Instance, arrays: InstanceArrays, items: ItemArrays, kind: ItemKind
) -> tuple[IntArray, IntArray, FloatArray]:
    """The ``travel_times`` rows expanded to (student, item, minutes), most specific row wins.

    Origins: a student id (rank 0), a school id for students who travel from that school
    (rank 1), a commune code for origins given as that commune (rank 2). Destinations: an item
    id (rank 0), a commune code for items given as that commune (rank 1). Origin rank decides
    first, then destination rank; sorted by ``student * n_items + item``.
    """
    student_index = arrays.student_index
    school_index = arrays.school_index
    item_index = items.index
    by_school: dict[int, list[int]] = {}
    by_origin_commune: dict[str, list[int]] = {}
    for s in range(arrays.n_students):
        if arrays.from_school[s]:
            by_school.setdefault(int(arrays.school[s]), []).append(s)
        if arrays.origin_commune[s] is not None:
            by_origin_commune.setdefault(str(arrays.origin_commune[s]), []).append(s)
    by_item_commune: dict[str, list[int]] = {}
    for i, code in enumerate(items.commune):
        if code is not None:
            by_item_commune.setdefault(str(code), []).append(i)
    rows_s: list[IntArray] = []
    rows_i: list[IntArray] = []
    rows_m: list[FloatArray] = []
    rows_p: list[IntArray] = []
    for override in instance.travel_times:
        origins: list[tuple[list[int], int]] = []
        if override.origin in student_index:
            origins.append(([student_index[override.origin]], 0))
        if override.origin in school_index:
            origins.append((by_school.get(school_index[override.origin], []), 1))
        origins.append((by_origin_commune.get(override.origin, []), 2))
        destinations: list[tuple[list[int], int]] = []
        if override.destination in item_index:
            destinations.append(([item_index[override.destination]], 0))
        destinations.append((by_item_commune.get(override.destination, []), 1))
        for students, o_rank in origins:
            for targets, d_rank in destinations:
                if not students or not targets:
                    continue
                grid_s, grid_i = np.meshgrid(students, targets, indexing="ij")
                rows_s.append(grid_s.ravel())
                rows_i.append(grid_i.ravel())
                rows_m.append(np.full(grid_s.size, float(override.minutes)))
                rows_p.append(np.full(grid_s.size, 2 * o_rank + d_rank))
    if not rows_s:
        empty = np.zeros(0, np.int64)
        return empty, empty.copy(), np.zeros(0)
    who = np.concatenate(rows_s)
    where = np.concatenate(rows_i)
    minutes = np.concatenate(rows_m)
    rank = np.concatenate(rows_p)
    key = who * max(len(items), 1) + where
    order = np.lexsort((rank, key))  # by pair, most specific first
    key, who, where, minutes = key[order], who[order], where[order], minutes[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return who[first], where[first], minutes[first]


def _apply_overrides(
    instance: Instance,
    arrays: InstanceArrays,
    items: ItemArrays,
    kind: ItemKind,
    pairs: Pairs,
    limits: FloatArray,
    keep: Callable[[Pairs], BoolArray] | None = None,
) -> Pairs:
    """``pairs`` with the ``travel_times`` rows applied: an overridden pair takes the row's
    minutes and stays only within the limit (and when ``keep`` keeps it)."""
    o_s, o_i, o_m = _override_table(instance, arrays, items, kind)
    if not len(o_s):
        return pairs
    n_items = max(len(items), 1)
    keys = pairs.student.astype(np.int64) * n_items + pairs.item
    overridden = np.isin(keys, o_s * n_items + o_i)
    within = o_m <= limits[o_s]
    added = Pairs(
        o_s[within].astype(np.int32), o_i[within].astype(np.int32), o_m[within].astype(np.float32)
    )
    if keep is not None:
        added = added.select(keep(added))
    return _sorted(
        [pairs.student[~overridden], added.student],
        [pairs.item[~overridden], added.item],
        [pairs.minutes[~overridden], added.minutes],
    )


def nearest_item(
    instance: Instance, kind: ItemKind, students: IntArray
) -> tuple[IntArray, FloatArray]:
    """For each given student, the item with the fewest minutes and its minutes (-1 if none).

    Looks at the few geographically nearest items and at every item a ``travel_times`` row
    names for the student, so an override can make a farther item the nearest in time.
    """
    arrays = instance.arrays
    items = items_of(arrays, kind)
    best = np.full(len(students), -1, dtype=np.int64)
    best_minutes = np.full(len(students), np.nan)
    if not len(items) or not len(students):
        return best, best_minutes
    k = min(8, len(items))
    tree = cKDTree(to_unit_vectors(items.lat, items.lon))
    _, near = tree.query(
        to_unit_vectors(arrays.origin_lat[students], arrays.origin_lon[students]), k=k
    )
    near = np.asarray(near, dtype=np.int64).reshape(len(students), k)
    rows_s = np.repeat(np.arange(len(students)), k)
    rows_i = near.ravel()
    if instance.travel_times:
        o_s, o_i, _ = _override_table(instance, arrays, items, kind)
        position = {int(s): p for p, s in enumerate(students.tolist())}
        extra = [
            (position[int(s)], int(i)) for s, i in zip(o_s, o_i, strict=True) if int(s) in position
        ]
        if extra:
            rows_s = np.concatenate((rows_s, [e[0] for e in extra])).astype(np.int64)
            rows_i = np.concatenate((rows_i, [e[1] for e in extra])).astype(np.int64)
    minutes = minutes_for(instance, kind, students[rows_s], rows_i)
    order = np.lexsort((rows_i, minutes, rows_s))
    first = np.r_[True, rows_s[order][1:] != rows_s[order][:-1]]
    winners = order[first]
    best[rows_s[winners]] = rows_i[winners]
    best_minutes[rows_s[winners]] = minutes[winners]
    return best, best_minutes


__all__ = [
    "Pairs",
    "chord_minutes",
    "estimate_minutes",
    "items_of",
    "limits_of",
    "minutes_for",
    "nearest_item",
    "reach_counts",
    "reach_km",
    "reachable",
]
