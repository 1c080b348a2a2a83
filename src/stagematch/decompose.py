"""Splitting an instance into geographic parts small enough to solve apart.

The nation does not fit in one candidate set: its 550,000 students reach about a billion
offers within their travel limits (Paris alone, 27,000 students, some 220 million), about 18
GB as the solver stores pairs. Students only compete with students who can reach the same
items, and those live near each other, so the instance is cut by geography:

* every student goes to exactly one *part*: students are cut in two by a line across the
  wider side of their area, through the median of their estimated candidate pairs, again and
  again, until each part has at most ``max_pairs`` pairs and ``max_students`` students. Dense
  cities end up in several small parts, the countryside in a few wide ones. (Putting each
  line where fewest students live near it was tried: on the académie it placed fewer
  students, ``docs/scaling.md``);
* every offer and slot is *owned* by one part, that of the student nearest to it; a part
  gives out only the items it owns, so parts never compete for a seat and can be solved at
  the same time on different machines;
* a part is shipped as its own :class:`~stagematch.model.Instance`: its students, every
  school, and every item any of them can reach (owned or not, which lets the part bound what
  its students could get with the whole instance's items) plus the offers they list in
  ``wished_offers`` (which keeps wish ranks as in the whole instance) or pins; a pinned item
  is owned by its student's part.

What the split costs — students near a cut who could only have been placed across it — is
measured in ``docs/scaling.md``; :mod:`stagematch.solver.parts` solves the parts, repairs what it
can across the cuts and proves how far the result can be from the undecomposed optimum.
Nothing here needs OR-Tools.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .arrays import BoolArray, FloatArray, IntArray
from .candidates import Candidates
from .geo import EARTH_RADIUS_KM, great_circle_km, km_to_chord, to_unit_vectors
from .model import Instance, Student, TravelTime
from .rows import ITEM_KINDS, ItemKind
from .travel import items_of, limits_of, reach_counts, reach_km

MAX_PAIRS = 80_000_000
"""Default cap on a part's estimated candidate pairs: about 3 GB for the part's solve (the
académie's 84 M pairs solve in 3.3 GB). Fewer, larger parts cut fewer chains of students."""

MAX_STUDENTS = 60_000
"""Default cap on a part's students (the neighbourhood search's work grows with them)."""

SAMPLED = 20_000
"""Students whose reachable items are counted to estimate everyone's (the nearest stands in)."""

CELL_DEGREES = 0.02
"""Students are grouped in cells this many degrees wide to find the items a part can reach."""


@dataclass(frozen=True, eq=False)
class Partition:
    """Which part each student belongs to and which part owns each offer and slot."""

    student_part: IntArray
    offer_part: IntArray
    slot_part: IntArray
    pairs: FloatArray  # estimated candidate pairs per part

    @property
    def n_parts(self) -> int:
        return len(self.pairs)

    def students_of(self, part: int) -> IntArray:
        return np.flatnonzero(self.student_part == part)


@dataclass(frozen=True, eq=False)
class Part:
    """One part as an instance of its own, with the way back to the whole instance's rows."""

    instance: Instance
    students: IntArray  # row of each of its students in the whole instance
    offers: IntArray  # row of each of its offers in the whole instance
    slots: IntArray
    offer_owned: BoolArray  # its offers it may give out
    slot_owned: BoolArray


def partition(
    instance: Instance,
    max_pairs: float = MAX_PAIRS,
    max_students: int = MAX_STUDENTS,
) -> Partition:
    """Cut ``instance`` into geographic parts (see the module docstring); deterministic."""
    arrays = instance.arrays
    n = arrays.n_students
    weight = estimated_pairs(instance) + 1.0
    x, y = _plane(arrays.origin_lat, arrays.origin_lon)
    label = np.zeros(n, dtype=np.int64)
    totals: list[float] = []
    stack = [np.arange(n)]
    while stack:
        members = stack.pop()
        if len(members) <= 1 or (
            weight[members].sum() <= max_pairs and len(members) <= max_students
        ):
            label[members] = len(totals)
            totals.append(float(weight[members].sum() - len(members)))
            continue
        axis = x if np.ptp(x[members]) >= np.ptp(y[members]) else y
        order = members[np.argsort(axis[members], kind="stable")]
        cumulative = np.cumsum(weight[order])
        cut = int(np.searchsorted(cumulative, cumulative[-1] / 2))
        cut = min(max(cut, 1), len(order) - 1)
        stack += [order[cut:], order[:cut]]  # the first half is labelled first
    tree = cKDTree(to_unit_vectors(arrays.origin_lat, arrays.origin_lon))
    offer_part = _owner(tree, label, arrays.offers.lat, arrays.offers.lon)
    slot_part = _owner(tree, label, arrays.slots.lat, arrays.slots.lon)
    # A pinned item belongs to its student's part, where the pin must hold.
    for pins, owner in ((arrays.pinned_offers, offer_part), (arrays.pinned_slots, slot_part)):
        owner[pins[::-1, 1]] = label[pins[::-1, 0]]  # reversed: the first pin wins
    return Partition(
        student_part=label, offer_part=offer_part, slot_part=slot_part, pairs=np.asarray(totals)
    )


def estimated_pairs(
    instance: Instance, sampled: int = SAMPLED, *, overrides: bool = False
) -> FloatArray:
    """Each student's reachable offers and slots, estimated without listing any pair.

    Every k-th student's items within the radius its mode and limit allow are counted
    (:func:`~stagematch.travel.reach_counts`, no pairs kept); every other student takes the
    count of the nearest counted student. With at most ``sampled`` students every one is
    counted, and the counts are upper bounds of the pairs listed. Travel-time overrides are
    ignored unless ``overrides`` (the split only balances the parts; the memory estimate of
    :mod:`stagematch.solver.memory` counts them).
    """
    arrays = instance.arrays
    n = arrays.n_students
    if n == 0:
        return np.zeros(0)
    step = max(1, n // sampled)
    chosen = np.arange(0, n, step)
    counts = np.zeros(len(chosen))
    for kind in ITEM_KINDS:
        counts += reach_counts(instance, kind, chosen, overrides=overrides)
    if step == 1:
        return counts
    xyz = to_unit_vectors(arrays.origin_lat, arrays.origin_lon)
    _, nearest = cKDTree(xyz[chosen]).query(xyz)
    estimate = np.asarray(counts[nearest], dtype=np.float64)
    estimate[chosen] = counts  # not a neighbour's count where two students share an address
    return estimate


def _plane(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Kilometres east and north on a plane tangent at the median latitude (for cutting only)."""
    centre = np.radians(np.median(lat)) if len(lat) else 0.0
    x = np.radians(lon) * np.cos(centre) * EARTH_RADIUS_KM
    y = np.radians(lat) * EARTH_RADIUS_KM
    return x, y


def _owner(tree: cKDTree, label: IntArray, lat: FloatArray, lon: FloatArray) -> IntArray:
    """The part of the student nearest to each item."""
    if not len(lat):
        return np.zeros(0, dtype=np.int64)
    _, nearest = tree.query(to_unit_vectors(lat, lon))
    return np.asarray(label[nearest], dtype=np.int64)


def part_instance(instance: Instance, split: Partition, part: int) -> Part:
    """Part ``part`` of ``split`` as an :class:`Instance` of its own (see the module docstring).

    Its rows are the whole instance's validated rows, so building it validates nothing again
    but the cross-references, which hold by construction.
    """
    arrays = instance.arrays
    students = split.students_of(part)
    mine = np.isin(arrays.pinned_offers[:, 0], students)
    offers = np.union1d(
        _within_reach(instance, students, "placement"),
        np.union1d(_wished(instance, students), arrays.pinned_offers[mine, 1]),
    )
    if not len(offers):  # an instance needs an offer; one nobody here reaches adds no pair
        offers = np.zeros(1, dtype=np.int64)
    mine = np.isin(arrays.pinned_slots[:, 0], students)
    slots = np.union1d(_within_reach(instance, students, "workshop"), arrays.pinned_slots[mine, 1])
    hosts = {arrays.offers.group_ids[h] for h in arrays.offers.group[offers].tolist()}
    travel_times = _overrides_of(instance, students, offers, slots) if instance.travel_times else []
    sub = Instance(
        settings=instance.settings,
        schools=instance.schools,
        students=[_without_absent_bans(instance.students[s], hosts) for s in students.tolist()],
        offers=[instance.offers[j] for j in offers.tolist()],
        workshop_slots=[instance.workshop_slots[j] for j in slots.tolist()],
        travel_times=travel_times,
    )
    return Part(
        instance=sub,
        students=students,
        offers=offers,
        slots=slots,
        offer_owned=split.offer_part[offers] == part,
        slot_owned=split.slot_part[slots] == part,
    )


def _without_absent_bans(student: Student, hosts: set[str]) -> Student:
    """The student's row, banning only hosts the part has (a ban on a host with no offer in
    the part changes nothing there, and a part's instance must know every host it names)."""
    kept = tuple(h for h in student.banned_hosts if h in hosts)
    if kept == student.banned_hosts:
        return student
    return student.model_copy(update={"banned_hosts": kept})


def _overrides_of(
    instance: Instance, students: IntArray, offers: IntArray, slots: IntArray
) -> list[TravelTime]:
    """The ``travel_times`` rows that can apply in the part: none from another part's student,
    none to an item left out (rows from schools or communes, or to communes, are harmless)."""
    arrays = instance.arrays
    offer_ids = {arrays.offers.ids[j] for j in offers.tolist()}
    slot_ids = {arrays.slots.ids[j] for j in slots.tolist()}
    student_ids = {arrays.student_ids[s] for s in students.tolist()}
    every_student = set(arrays.student_ids)
    every_item = set(arrays.offers.ids) | set(arrays.slots.ids)
    return [
        row
        for row in instance.travel_times
        if (row.origin in student_ids or row.origin not in every_student)
        and (
            row.destination in offer_ids
            or row.destination in slot_ids
            or row.destination not in every_item
        )
    ]


def _within_reach(instance: Instance, students: IntArray, kind: ItemKind) -> IntArray:
    """Every item (sorted rows) that any of ``students`` can reach, and perhaps a few more.

    Students are grouped in small cells of latitude and longitude; each cell's items are those
    within its students' largest reach of a point of the cell plus the farthest student's
    distance to that point, which by the triangle inequality contains every item any of them
    reaches. Items a ``travel_times`` row names for them (by id or commune) are added, since an
    override can bring a far item within the limit.
    """
    arrays = instance.arrays
    items = items_of(arrays, kind)
    if not len(items) or not len(students):
        return np.zeros(0, dtype=np.int64)
    reach = reach_km(limits_of(arrays, kind)[students], arrays.mode[students])
    lat, lon = arrays.origin_lat[students], arrays.origin_lon[students]
    cell = np.floor(lat / CELL_DEGREES).astype(np.int64) * 100_000 + np.floor(
        lon / CELL_DEGREES
    ).astype(np.int64)
    cells, which = np.unique(cell, return_inverse=True)
    centre_lat = np.bincount(which, lat) / np.bincount(which)
    centre_lon = np.bincount(which, lon) / np.bincount(which)
    spread = great_circle_km(lat, lon, centre_lat[which], centre_lon[which])
    radius = np.zeros(len(cells))
    np.maximum.at(radius, which, spread + reach)
    tree = cKDTree(to_unit_vectors(items.lat, items.lon))
    found = tree.query_ball_point(
        to_unit_vectors(centre_lat, centre_lon), km_to_chord(radius * 1.001 + 1e-6)
    )
    near = [np.asarray(f, dtype=np.int64) for f in found]
    near.append(_named_by_overrides(instance, students, items.ids, items.commune))
    return np.unique(np.concatenate(near))


def _named_by_overrides(
    instance: Instance, students: IntArray, ids: list[str], commune: np.ndarray
) -> IntArray:
    """Items a ``travel_times`` row names, as an id or a commune, from these students' origins."""
    if not instance.travel_times:
        return np.zeros(0, dtype=np.int64)
    arrays = instance.arrays
    origins = {arrays.student_ids[s] for s in students.tolist()}
    origins |= {arrays.school_ids[arrays.school[s]] for s in students.tolist()}
    origins |= {str(c) for c in arrays.origin_commune[students] if c is not None}
    named = {row.destination for row in instance.travel_times if row.origin in origins}
    return np.array(
        [j for j, (i, c) in enumerate(zip(ids, commune, strict=True)) if i in named or c in named],
        dtype=np.int64,
    )


def _wished(instance: Instance, students: IntArray) -> IntArray:
    """The offers these students list in ``wished_offers`` (their ranks count them)."""
    index = instance.arrays.offers.index
    return np.array(
        sorted(
            {
                index[o]
                for s in students.tolist()
                for o in instance.students[s].wished_offers
                if o in index  # a wish for an unknown offer is ignored (a warning)
            }
        ),
        dtype=np.int64,
    )


def owned_pairs(cand: Candidates, offer_owned: BoolArray, slot_owned: BoolArray) -> Candidates:
    """The candidate pairs whose item is owned (what a part may give out)."""
    keep = offer_owned[cand.offers.item]
    return Candidates(
        offers=cand.offers.select(keep),
        offer_cost=cand.offer_cost[keep],
        offer_rank=cand.offer_rank[keep],
        slots=cand.slots.select(slot_owned[cand.slots.item]),
    )
