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

from .arrays import BoolArray, InstanceArrays, IntArray, ItemArrays
from .errors import Problem, sorted_problems, warning
from .heap import release_freed_memory
from .i18n import lazy_text
from .travel import Pairs, reachable

if TYPE_CHECKING:
    from .model import Instance

SLICE = 1 << 22  # pairs per vectorised slice

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
    """What the eligibility checks read, computed once per listing rather than per chunk."""

    unavailable: npt.NDArray[np.int16] | None  # prefix sums, :func:`_unavailable_prefix`
    restricted: BoolArray  # per offer: it has ``reserved_schools``
    allowed: IntArray  # sorted ``offer * n_schools + school`` of the schools they allow


def _rules(arrays: InstanceArrays) -> _Rules:
    n_schools = max(len(arrays.school_ids), 1)
    allowed = sorted(j * n_schools + k for j, r in enumerate(arrays.reserved_schools) for k in r)
    return _Rules(
        unavailable=_unavailable_prefix(arrays),
        restricted=np.fromiter(
            (bool(r) for r in arrays.reserved_schools), bool, len(arrays.offers)
        ),
        allowed=np.array(allowed, dtype=np.int64),
    )


def offer_failures(
    arrays: InstanceArrays, pairs: Pairs, rules: _Rules | None = None
) -> npt.NDArray[np.uint8]:
    """For each pair, a bit mask of the eligibility rules it breaks (0 = eligible).

    Bit ``k`` stands for ``INELIGIBILITY_RULES[k]``. Computed in slices of a few million pairs so
    the temporary index arrays stay small. ``rules``: :func:`_rules` of ``arrays``, when the
    caller checks pairs chunk by chunk.
    """
    offers = arrays.offers
    rules = _rules(arrays) if rules is None else rules
    bits = np.zeros(len(pairs), dtype=np.uint8)
    for start in range(0, len(pairs), SLICE):
        part = slice(start, start + SLICE)
        s = pairs.student[part].astype(np.int64)
        o = pairs.item[part].astype(np.int64)
        b = (arrays.needs_accessibility[s] & ~offers.accessible[o]).astype(np.uint8)
        too_young = arrays.age[s] < arrays.min_age[o]  # NaN compares False: eligible
        b |= too_young.astype(np.uint8) << 1
        b |= _school_refused(arrays, rules, s, o).astype(np.uint8) << 2
        b |= _unavailable(rules.unavailable, offers, s, o).astype(np.uint8) << 3
        b |= _banned(arrays, s, o).astype(np.uint8) << 4
        bits[part] = b
    return bits


def slot_failures(arrays: InstanceArrays, pairs: Pairs, rules: _Rules | None = None) -> BoolArray:
    """True for slot pairs a student may not attend (accessibility or unavailable dates)."""
    s = pairs.student.astype(np.int64)
    w = pairs.item.astype(np.int64)
    inaccessible = arrays.needs_accessibility[s] & ~arrays.slots.accessible[w]
    cumulative = _unavailable_prefix(arrays) if rules is None else rules.unavailable
    return np.asarray(inaccessible | _unavailable(cumulative, arrays.slots, s, w))


def _school_refused(arrays: InstanceArrays, rules: _Rules, s: IntArray, o: IntArray) -> BoolArray:
    refused = np.zeros(len(s), dtype=bool)
    if not rules.restricted.any():
        return refused
    n_schools = max(len(arrays.school_ids), 1)
    check = rules.restricted[o]
    refused[check] = ~np.isin(o[check] * n_schools + arrays.school[s[check]], rules.allowed)
    return refused


def _banned(arrays: InstanceArrays, s: IntArray, o: IntArray) -> BoolArray:
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
    cumulative: npt.NDArray[np.int16] | None, items: ItemArrays, s: IntArray, i: IntArray
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
    """:func:`wish_cost` of every pair in :func:`cost_dtype`, computed a slice at a time (the
    ``int64`` costs of every pair at once would be the listing's peak)."""
    cost = np.empty(len(ranks), dtype=cost_dtype(unranked_cost))
    for start in range(0, len(ranks), SLICE):
        part = slice(start, start + SLICE)
        cost[part] = wish_cost(ranks[part], unranked_cost)
    return cost


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
        for start in range(0, len(s), SLICE):
            part = slice(start, start + SLICE)
            who, offered = s[part], offer_sector[o[part]]
            # The first matching position wins: the last column is looked at first.
            position = np.zeros(len(who), dtype=np.int16)
            for q in range(width - 1, -1, -1):
                position[wishes[q][who] == offered] = q + 1
            matched = position > 0
            ranks[part][matched] = offset[who[matched]] + position[matched]
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
    offer_pairs = reachable(
        instance, "placement", keep=lambda found: offer_failures(arrays, found, rules) == 0
    )
    ranks = wish_ranks(instance, offer_pairs)
    cost = compact_costs(ranks, instance.settings.unranked_cost)
    slot_pairs = reachable(
        instance, "workshop", keep=lambda found: ~slot_failures(arrays, found, rules)
    )
    release_freed_memory()
    return Candidates(offers=offer_pairs, offer_cost=cost, offer_rank=ranks, slots=slot_pairs)
