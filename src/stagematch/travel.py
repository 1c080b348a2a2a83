"""Travel minutes (the SPEC's estimate, overridden by ``travel_times``) and reachable pairs.

Estimated one-way minutes are ``round(overhead + 60 × 1.3 × d / speed)`` with ``d`` the
great-circle distance in km; ``round`` is half-up (``floor(x + 0.5)``), the rounding a
coordinator would do by hand, and the one :mod:`stagematch.check` uses independently.

:func:`reachable` never builds the full students × items matrix: items go into a KD-tree on the
unit sphere, and students are queried in chunks with the largest radius their mode and limit
allow, so time and memory grow with the number of *reachable* pairs, not with their product.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from .arrays import MODE_CODES, FloatArray, InstanceArrays, Int32Array, IntArray, ItemArrays
from .geo import EARTH_RADIUS_KM, great_circle_km, km_to_chord, to_unit_vectors

if TYPE_CHECKING:
    from .model import Instance

ItemKind = Literal["offers", "slots"]

SPEED_KMH = np.array([5.0, 15.0, 18.0, 35.0])  # walk, bike, transit, car
OVERHEAD_MIN = np.array([0.0, 2.0, 10.0, 5.0])
DETOUR = 1.3
CHUNK = 2048  # students per KD-tree query: bounds the memory of one query's output

assert list(MODE_CODES) == ["walk", "bike", "transit", "car"]


def estimate_minutes(km: FloatArray, mode: npt.NDArray[np.int8] | int) -> FloatArray:
    """The SPEC's estimate, vectorised over distances and mode codes (see module docstring)."""
    raw = OVERHEAD_MIN[mode] + 60.0 * DETOUR * np.asarray(km) / SPEED_KMH[mode]
    return np.floor(raw + 0.5)


def reach_km(limit: float, mode: int) -> float:
    """The largest distance whose estimate can be within ``limit`` minutes (a safe radius)."""
    return max(0.0, (limit + 0.5 - OVERHEAD_MIN[mode]) * SPEED_KMH[mode] / (60.0 * DETOUR)) + 1e-6


@dataclass(frozen=True, eq=False)
class Pairs:
    """Student–item pairs with their one-way minutes, sorted by student then item."""

    student: Int32Array
    item: Int32Array
    minutes: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.student)

    def indptr(self, n_students: int) -> IntArray:
        """CSR row pointers: the pairs of student ``s`` are ``indptr[s]:indptr[s+1]``."""
        return np.searchsorted(self.student, np.arange(n_students + 1)).astype(np.int64)

    def select(self, keep: npt.NDArray[np.bool_]) -> Pairs:
        return Pairs(self.student[keep], self.item[keep], self.minutes[keep])


def _items_of(arrays: InstanceArrays, kind: ItemKind) -> ItemArrays:
    return arrays.offers if kind == "offers" else arrays.slots


def _limits(arrays: InstanceArrays, kind: ItemKind) -> FloatArray:
    if kind == "offers":
        return arrays.max_travel
    return np.full(arrays.n_students, arrays.workshop_max_travel)


def _groups(arrays: InstanceArrays, limits: FloatArray) -> Iterator[tuple[IntArray, float]]:
    """Students grouped by mode and limit (few groups), with the group's radius in km."""
    keys = np.rec.fromarrays([arrays.mode, limits])
    unique, inverse = np.unique(keys, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(unique) + 1))
    for g, (mode, limit) in enumerate(unique):
        members = order[bounds[g] : bounds[g + 1]]
        yield members.astype(np.int64), reach_km(float(limit), int(mode))


def reachable(instance: Instance, kind: ItemKind = "offers") -> Pairs:
    """Every student–item pair within the student's limit, with its minutes.

    Placements use the student's own limit (else ``default_max_travel_min``); workshop slots use
    ``workshop_max_travel_min``. ``travel_times`` rows override the estimate both ways: a pair
    estimated too far can become reachable and a near one unreachable.
    """
    arrays = instance.arrays
    items = _items_of(arrays, kind)
    limits = _limits(arrays, kind)
    parts_s: list[Int32Array] = []
    parts_i: list[Int32Array] = []
    parts_m: list[npt.NDArray[np.float32]] = []
    if len(items) and arrays.n_students:
        tree = cKDTree(to_unit_vectors(items.lat, items.lon))
        student_xyz = to_unit_vectors(arrays.origin_lat, arrays.origin_lon)
        for members, radius in _groups(arrays, limits):
            chord = float(km_to_chord(radius))
            for start in range(0, len(members), CHUNK):
                chunk = members[start : start + CHUNK]
                hits = cKDTree(student_xyz[chunk]).sparse_distance_matrix(
                    tree, chord, output_type="ndarray"
                )
                s = chunk[hits["i"]]
                i = hits["j"].astype(np.int64)
                minutes = estimate_minutes(
                    great_circle_km(
                        arrays.origin_lat[s], arrays.origin_lon[s], items.lat[i], items.lon[i]
                    ),
                    arrays.mode[s],
                )
                keep = minutes <= limits[s]
                parts_s.append(s[keep].astype(np.int32))
                parts_i.append(i[keep].astype(np.int32))
                parts_m.append(minutes[keep].astype(np.float32))
    pairs = _sorted(parts_s, parts_i, parts_m)
    if instance.travel_times:
        pairs = _apply_overrides(instance, arrays, items, kind, pairs, limits)
    return pairs


def _sorted(
    parts_s: list[Int32Array], parts_i: list[Int32Array], parts_m: list[npt.NDArray[np.float32]]
) -> Pairs:
    if not parts_s:
        empty = np.zeros(0, np.int32)
        return Pairs(empty, empty.copy(), np.zeros(0, np.float32))
    s = np.concatenate(parts_s)
    i = np.concatenate(parts_i)
    m = np.concatenate(parts_m)
    order = np.lexsort((i, s))
    return Pairs(s[order], i[order], m[order])


def minutes_for(
    instance: Instance, kind: ItemKind, student: IntArray, item: IntArray
) -> FloatArray:
    """Minutes of arbitrary student–item pairs (estimate, then ``travel_times`` overrides)."""
    arrays = instance.arrays
    items = _items_of(arrays, kind)
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
    student_index = {sid: k for k, sid in enumerate(arrays.student_ids)}
    school_index = {sid: k for k, sid in enumerate(arrays.school_ids)}
    item_index = {iid: k for k, iid in enumerate(items.ids)}
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
    s = np.concatenate(rows_s)
    i = np.concatenate(rows_i)
    m = np.concatenate(rows_m)
    p = np.concatenate(rows_p)
    key = s * max(len(items), 1) + i
    order = np.lexsort((p, key))  # by pair, most specific first
    key, s, i, m = key[order], s[order], i[order], m[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return s[first], i[first], m[first]


def _apply_overrides(
    instance: Instance,
    arrays: InstanceArrays,
    items: ItemArrays,
    kind: ItemKind,
    pairs: Pairs,
    limits: FloatArray,
) -> Pairs:
    o_s, o_i, o_m = _override_table(instance, arrays, items, kind)
    if not len(o_s):
        return pairs
    n_items = max(len(items), 1)
    keys = pairs.student.astype(np.int64) * n_items + pairs.item
    overridden = np.isin(keys, o_s * n_items + o_i)
    within = o_m <= limits[o_s]
    return _sorted(
        [pairs.student[~overridden], o_s[within].astype(np.int32)],
        [pairs.item[~overridden], o_i[within].astype(np.int32)],
        [pairs.minutes[~overridden], o_m[within].astype(np.float32)],
    )


def nearest_item(
    instance: Instance, kind: ItemKind, students: IntArray
) -> tuple[IntArray, FloatArray]:
    """For each given student, the geographically nearest item and its minutes (-1 if none)."""
    arrays = instance.arrays
    items = _items_of(arrays, kind)
    if not len(items) or not len(students):
        return np.full(len(students), -1, np.int64), np.full(len(students), np.nan)
    tree = cKDTree(to_unit_vectors(items.lat, items.lon))
    _, nearest = tree.query(
        to_unit_vectors(arrays.origin_lat[students], arrays.origin_lon[students]), k=1
    )
    nearest = np.asarray(nearest, dtype=np.int64)
    return nearest, minutes_for(instance, kind, students, nearest)


__all__ = [
    "EARTH_RADIUS_KM",
    "Pairs",
    "estimate_minutes",
    "minutes_for",
    "nearest_item",
    "reach_km",
    "reachable",
]
