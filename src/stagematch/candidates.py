"""Candidate pairs: what each student may be given, with what it costs on every level.

A candidate is a reachable pair (within the travel limit) that passes every eligibility rule of
the SPEC (accessibility, ``min_age``, ``reserved_schools``, unavailable dates) and is not
banned by the student's ``banned_hosts``. The solver only
ever chooses among candidates, so rules 3 and 4 hold by construction; capacity, reserved seats,
overlap and counts are left to the optimisation model.

Everything is vectorised over pairs: an académie has tens of millions of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .arrays import BoolArray, InstanceArrays, Int32Array, IntArray, ItemArrays
from .errors import Problem, sorted_problems, warning
from .heap import keep_freed_memory
from .i18n import lazy_text
from .travel import Pairs, reachable

if TYPE_CHECKING:
    from .model import Instance

SLICE = 1 << 22  # pairs per vectorised slice
Index = npt.NDArray[np.signedinteger[Any]]  # students or items, int32 as listed or int64

# Why a reachable offer is not eligible, in the order the reasons report them.
INELIGIBILITY_RULES: tuple[str, ...] = (
    "accessibility",
    "min_age",
    "reserved_schools",
    "unavailable",
    "banned",
)


@dataclass(frozen=True, eq=False)
class Candidates:
    """Eligible, reachable pairs for placements (``offers``) and workshop sessions (``slots``).

    ``offer_cost`` is the preference cost of each placement pair (rank − 1, or
    ``unranked_cost``; :func:`compact_costs`); ``offer_rank`` its wish rank (0 when unranked).
    Small integer types keep an académie's tens of millions of pairs within memory.
    """

    offers: Pairs
    offer_cost: npt.NDArray[np.signedinteger[Any]]
    offer_rank: npt.NDArray[np.int16]
    slots: Pairs


@dataclass(frozen=True, eq=False)
class _Rules:
    """What the eligibility checks read, computed once per listing rather than per chunk.

    ``student_checks`` and ``offer_checks`` flag, per student and per offer, the rules that
    may refuse one of its pairs (the bits ``_NEEDS_ACCESS``… and ``_MIN_AGE``… below): on an académie a
    few percent of students need an accessible host or are unavailable some day, and a few
    percent of offers have a ``min_age`` or ``reserved_schools``, so each rule looks at the
    pairs it may refuse and not at the tens of millions of others."""

    unavailable: npt.NDArray[np.int16] | None  # prefix sums, :func:`_unavailable_prefix`
    restricted: BoolArray  # per offer: it has ``reserved_schools``
    allowed: IntArray  # sorted ``offer * n_schools + school`` of the schools they allow
    student_checks: npt.NDArray[np.uint8]
    offer_checks: npt.NDArray[np.uint8]


# Bits of the per-student and per-offer flags of :class:`_Rules`: which rules to look at.
_NEEDS_ACCESS, _UNAVAILABLE, _BANS = 1, 2, 4  # a student's
_MIN_AGE, _RESTRICTED = 1, 2  # an offer's


def _rules(arrays: InstanceArrays) -> _Rules:
    n_schools = max(len(arrays.school_ids), 1)
    allowed = sorted(j * n_schools + k for j, r in enumerate(arrays.reserved_schools) for k in r)
    restricted = np.fromiter((bool(r) for r in arrays.reserved_schools), bool, len(arrays.offers))
    banning = np.zeros(arrays.n_students, dtype=bool)
    banning[arrays.banned // max(len(arrays.offers.group_ids), 1)] = True
    student_checks = (
        arrays.needs_accessibility.astype(np.uint8) * _NEEDS_ACCESS
        | arrays.unavailable.any(axis=1).astype(np.uint8) * _UNAVAILABLE
        | banning.astype(np.uint8) * _BANS
    )
    offer_checks = (~np.isnan(arrays.min_age)).astype(np.uint8) * _MIN_AGE | restricted.astype(
        np.uint8
    ) * _RESTRICTED
    return _Rules(
        unavailable=_unavailable_prefix(arrays),
        restricted=restricted,
        allowed=np.array(allowed, dtype=np.int64),
        student_checks=student_checks.astype(np.uint8),
        offer_checks=offer_checks.astype(np.uint8),
    )


def offer_failures(
    arrays: InstanceArrays, pairs: Pairs, rules: _Rules | None = None
) -> npt.NDArray[np.uint8]:
    """For each pair, a bit mask of the eligibility rules it breaks (0 = eligible).

    Bit ``k`` stands for ``INELIGIBILITY_RULES[k]``. Each rule is checked on the pairs whose
    student or offer it concerns only (:class:`_Rules`), in slices of a few million pairs so
    the temporary index arrays stay small. ``rules``: :func:`_rules` of ``arrays``, when the
    caller checks pairs chunk by chunk.
    """
    offers = arrays.offers
    rules = _rules(arrays) if rules is None else rules
    bits = np.zeros(len(pairs), dtype=np.uint8)
    for start in range(0, len(pairs), SLICE):
        part = slice(start, start + SLICE)
        s, o = pairs.student[part], pairs.item[part]
        by_student = rules.student_checks[s]
        by_offer = rules.offer_checks[o]
        b = bits[part]
        at = np.flatnonzero(by_student & _NEEDS_ACCESS)
        b[at] |= ~offers.accessible[o[at]]
        at = np.flatnonzero(by_offer & _MIN_AGE)
        # NaN compares False: a student without age is eligible.
        b[at] |= (arrays.age[s[at]] < arrays.min_age[o[at]]).astype(np.uint8) << 1
        at = np.flatnonzero(by_offer & _RESTRICTED)
        b[at] |= _school_refused(arrays, rules, s[at], o[at]).astype(np.uint8) << 2
        at = np.flatnonzero(by_student & _UNAVAILABLE)
        b[at] |= _unavailable(rules.unavailable, offers, s[at], o[at]).astype(np.uint8) << 3
        at = np.flatnonzero(by_student & _BANS)
        b[at] |= _banned(arrays, s[at].astype(np.int64), o[at]).astype(np.uint8) << 4
    return bits


def slot_failures(arrays: InstanceArrays, pairs: Pairs, rules: _Rules | None = None) -> BoolArray:
    """True for slot pairs a student may not attend (accessibility or unavailable dates),
    each rule checked on the pairs of the students it concerns only (:class:`_Rules`)."""
    rules = _rules(arrays) if rules is None else rules
    s, w = pairs.student, pairs.item
    by_student = rules.student_checks[s]
    failed = np.zeros(len(pairs), dtype=bool)
    at = np.flatnonzero(by_student & _NEEDS_ACCESS)
    failed[at] = ~arrays.slots.accessible[w[at]]
    at = np.flatnonzero(by_student & _UNAVAILABLE)
    failed[at] |= _unavailable(rules.unavailable, arrays.slots, s[at], w[at])
    return failed


def _school_refused(arrays: InstanceArrays, rules: _Rules, s: Index, o: Index) -> BoolArray:
    """Pairs on offers with ``reserved_schools`` whose student's school is not among them."""
    n_schools = max(len(arrays.school_ids), 1)
    refused = rules.restricted[o]
    keys = o[refused].astype(np.int64) * n_schools + arrays.school[s[refused]]
    refused[refused] = ~np.isin(keys, rules.allowed)
    return refused


def _banned(arrays: InstanceArrays, s: Index, o: Index) -> BoolArray:
    """Pairs whose host the student's ``banned_hosts`` forbids."""
    if not len(arrays.banned):
        return np.zeros(len(s), dtype=bool)
    keys = s * max(len(arrays.offers.group_ids), 1) + arrays.offers.group[o]
    return np.isin(keys, arrays.banned)


def _unavailable_prefix(arrays: InstanceArrays) -> npt.NDArray[np.int16] | None:
    """Prefix sums of unavailable half-days per student (``None`` when nobody is unavailable)."""
    if not arrays.unavailable.any():
        return None
    cumulative = np.zeros((arrays.n_students, arrays.n_half_days + 1), dtype=np.int16)
    np.cumsum(arrays.unavailable, axis=1, out=cumulative[:, 1:])
    return cumulative


def _unavailable(
    cumulative: npt.NDArray[np.int16] | None, items: ItemArrays, s: Index, i: Index
) -> BoolArray:
    """Does the item's span [first, last] contain a half-day the student is unavailable?"""
    if cumulative is None:
        return np.zeros(len(s), dtype=bool)
    first = items.first_half_day[i]
    last = items.last_half_day[i]
    return np.asarray(cumulative[s, last + 1] - cumulative[s, first] > 0)


def wish_cost(ranks: npt.ArrayLike, unranked_cost: int) -> npt.NDArray[np.int64]:
    """The preference cost of pairs with these wish ranks: rank − 1, or ``unranked_cost`` for
    rank 0 (no wish matched). The one definition every level, key and report reads."""
    ranks = np.asarray(ranks, dtype=np.int64)
    return np.where(ranks > 0, ranks - 1, np.int64(unranked_cost))


def cost_dtype(unranked_cost: int) -> np.dtype[np.signedinteger[Any]]:
    """The smallest signed integer type that holds every wish cost: ``int16`` unless
    ``unranked_cost`` is above 32,767 (ranks are ``int16``, so rank − 1 always fits).

    Two bytes a pair instead of four: 300 MB on an académie at twice the generator's offer
    density (``docs/benchmarks.md``, "Where a solve's memory goes")."""
    for kind in (np.int16, np.int32):
        if unranked_cost <= np.iinfo(kind).max:
            return np.dtype(kind)
    return np.dtype(np.int64)


def compact_costs(ranks: npt.NDArray[np.int16], unranked_cost: int) -> npt.NDArray[Any]:
    """:func:`wish_cost` of every pair in :func:`cost_dtype`, computed a slice at a time in that
    type (the ``int64`` costs of every pair at once would be the listing's peak)."""
    kind = cost_dtype(unranked_cost)
    unranked = kind.type(unranked_cost)
    cost = np.empty(len(ranks), dtype=kind)
    for start in range(0, len(ranks), SLICE):
        part = slice(start, start + SLICE)
        rank = ranks[part].astype(kind)  # ranks are int16: rank − 1 fits any cost type
        cost[part] = np.where(rank > 0, rank - kind.type(1), unranked)
    return cost


RANK_TABLE_ENTRIES = 1 << 24
"""Above this many students × sectors (32 MB of ``int16``), :func:`_sector_ranks` compares
wish positions one at a time instead of reading a table."""


def _sector_ranks(
    ranks: npt.NDArray[np.int16],
    s: Int32Array,
    offer_sector: Int32Array,
    o: Int32Array,
    wishes: Int32Array,
    offset: IntArray,
) -> None:
    """Set each pair's rank from the student's ``wishes`` (sector codes by position, a row per
    position) where its offer's sector is among them, a slice of pairs at a time.

    The rank of every (student, sector) is put in a table first, so that each pair is one
    look-up rather than a gather and a comparison per wish position (2.8 CPU s for the 156
    million pairs of the académie at twice its offer density)."""
    width, n_students = wishes.shape
    n_sectors = int(offer_sector.max()) + 1 if len(offer_sector) else 0
    if n_students * n_sectors <= RANK_TABLE_ENTRIES:
        table = np.zeros((n_students, n_sectors), dtype=np.int16)
        for q in range(width - 1, -1, -1):  # the first matching position is set last
            who = np.flatnonzero(wishes[q] >= 0)
            table[who, wishes[q][who]] = offset[who] + q + 1
        flat = table.ravel()
        for start in range(0, len(s), SLICE):
            part = slice(start, start + SLICE)
            key = s[part].astype(np.int64) * n_sectors
            key += offer_sector[o[part]]
            ranks[part] = flat[key]
        return
    for start in range(0, len(s), SLICE):
        part = slice(start, start + SLICE)
        student, offered = s[part], offer_sector[o[part]]
        # The first matching position wins: the last column is looked at first.
        position = np.zeros(len(student), dtype=np.int16)
        for q in range(width - 1, -1, -1):
            position[wishes[q][student] == offered] = q + 1
        matched = position > 0
        ranks[part][matched] = offset[student[matched]] + position[matched]


def wish_ranks(instance: Instance, pairs: Pairs) -> npt.NDArray[np.int16]:
    """Wish rank of each placement pair (SPEC: ``wished_offers`` first, then ``wishes``; 0 = none)."""
    arrays = instance.arrays
    s = pairs.student
    o = pairs.item
    ranks = np.zeros(len(pairs), dtype=np.int16)
    sectors: dict[str, int] = {}
    offer_sector = np.fromiter(
        (sectors.setdefault(x, len(sectors)) for x in arrays.offer_sector),
        np.int32,
        len(arrays.offer_sector),
    )
    students = instance.students
    width = max((len(st.wishes) for st in students), default=0)
    offset = np.fromiter((len(st.wished_offers) for st in students), np.int64, len(students))
    if width:
        # One column of sector codes per wish position; -1 pads and stands for a sector nobody
        # offers (no offer's code is negative, so neither ever matches).
        wishes = np.full((width, len(students)), -1, dtype=np.int32)
        for k, st in enumerate(students):
            for q, sector in enumerate(st.wishes):
                wishes[q, k] = sectors.get(sector, -1)
        _sector_ranks(ranks, s, offer_sector, o, wishes, offset)
    if offset.any():
        offer_index = arrays.offers.index
        n_offers = max(len(arrays.offers), 1)
        keys, values = [], []
        for k, st in enumerate(students):
            for p, offer_id in enumerate(st.wished_offers, start=1):
                # An unknown offer (a warning) keeps its position: the others keep their ranks.
                if offer_id in offer_index:
                    keys.append(k * n_offers + offer_index[offer_id])
                    values.append(p)
        if not keys:
            return ranks
        order = np.argsort(keys, kind="stable")
        key_arr = np.asarray(keys, dtype=np.int64)[order]
        val_arr = np.asarray(values, dtype=np.int64)[order]
        # The first listing of an offer counts when a student lists it twice.
        _, first = np.unique(key_arr, return_index=True)
        key_arr, val_arr = key_arr[first], val_arr[first]
        listing = offset > 0  # only their pairs are looked up
        for start in range(0, len(s), SLICE):
            part = slice(start, start + SLICE)
            look = np.flatnonzero(listing[s[part]])
            pair_keys = s[part][look].astype(np.int64) * n_offers + o[part][look]
            pos = np.minimum(np.searchsorted(key_arr, pair_keys), len(key_arr) - 1)
            found = key_arr[pos] == pair_keys
            ranks[part][look[found]] = val_arr[pos[found]]
    return ranks


def reach_warnings(instance: Instance, cand: Candidates) -> list[Problem]:
    """Students no offer is open to, and offers and sessions no student can take (warnings).

    Each is a fact about the data worth fixing before letters go out (a home far from every
    host, an offer whose ``reserved_schools`` exclude everyone nearby). Without any offer, the
    offers table's own warning says it all, and students are not listed one by one.
    """
    arrays = instance.arrays
    out: list[Problem] = []
    if len(arrays.offers):
        served = np.zeros(arrays.n_students, dtype=bool)
        served[cand.offers.student] = True
        for s in np.flatnonzero(~served).tolist():
            out.append(
                warning(
                    "students",
                    instance.row_of("students", s),
                    "student_id",
                    arrays.student_ids[s],
                    lazy_text(
                        "no offer is within reach and open to this student: they cannot be placed"
                    ),
                )
            )
    for table, column, items, pairs, message in (
        (
            "offers",
            "offer_id",
            arrays.offers,
            cand.offers,
            lazy_text("no student can take this offer: none is within reach and eligible"),
        ),
        (
            "workshop_slots",
            "slot_id",
            arrays.slots,
            cand.slots,
            lazy_text("no student can attend this session: none is within reach and eligible"),
        ),
    ):
        used = np.zeros(len(items), dtype=bool)
        used[pairs.item] = True
        for k in np.flatnonzero(~used).tolist():
            out.append(
                warning(
                    table,
                    instance.row_of(table, k),
                    column,
                    items.ids[k],
                    message,
                )
            )
    return out


def data_warnings(instance: Instance, cand: Candidates) -> tuple[Problem, ...]:
    """Every warning about a dataset: the instance's own and those of reach, in reading order."""
    return tuple(sorted_problems([*instance.warnings, *reach_warnings(instance, cand)]))


def candidates(instance: Instance) -> Candidates:
    """The eligible, reachable pairs of an instance, with their costs.

    Ineligible pairs are dropped as the reachable ones are found, and costs are computed a
    slice at a time, so the peak stays close to what is kept (about 16 bytes a placement pair
    and 12 a slot pair; ``docs/benchmarks.md``, "Memory"), and what the listing freed is given
    back to the system before the later phases.
    """
    arrays = instance.arrays
    rules = _rules(arrays)
    with keep_freed_memory():
        offer_pairs = reachable(
            instance, "placement", keep=lambda found: offer_failures(arrays, found, rules) == 0
        )
        ranks = wish_ranks(instance, offer_pairs)
        cost = compact_costs(ranks, instance.settings.unranked_cost)
        slot_pairs = reachable(
            instance, "workshop", keep=lambda found: ~slot_failures(arrays, found, rules)
        )
    return Candidates(offers=offer_pairs, offer_cost=cost, offer_rank=ranks, slots=slot_pairs)
