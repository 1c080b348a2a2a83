"""``stable=True``: plans without justified envy, modelled exactly for CP-SAT.

Justified envy is defined in :mod:`stagematch.fairness` (its default, ties not broken): student
*s* envies at offer *o* when *o* is a candidate of *s*, *s* strictly prefers *o* to their best
placement μ(*s*) (or has none), and *o* holds some student *t* of strictly lower priority.
Preferences are (wish cost, minutes), priorities (not QPV, minutes), compared as the packed
keys of :mod:`stagematch.baselines` with the student index left out, so a tie is a tie.

A plan is free of justified envy exactly when, for every candidate pair (*s*, *o*)::

    some t ranked below s at o holds o  ⇒  s holds an offer o′ with key(s, o′) ≤ key(s, o)

Written pair by pair that is quadratic; two chains of Booleans make it linear in the pairs:

* per student, over their pairs sorted by preference, ``g`` = "holds one of the pairs up to
  here" (``g_m ≤ g_{m−1} + x`` of the pairs of group *m*);
* per offer, over its pairs sorted by priority from the worst, ``h`` = "one of the students
  ranked from here down holds it" (``h_m ≥ h_{m+1}``, ``h_m ≥ x``);

and one implication per candidate pair, ``h(first group ranked below s) ⇒ g(last group as good
as o)``. Pairs with equal keys share a group, which is what keeps ties ties. The LP relaxation
reads ``x[t,o] ≤ Σ x[s,o′]`` for every *t* below *s*, much tighter than a capacity-weighted sum.

In large-neighbourhood search the students outside the neighbourhood are fixed: an outside
holder ranked below an inside student forces that student to hold something at least as good
(``required``), and an outside student who would envy whoever takes a pair forbids it
(``forbidden``). The warm start is deferred acceptance's plan, which is stable
(:func:`stagematch.baselines.deferred_acceptance`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from ..arrays import BoolArray, IntArray
from ..baselines import STUDENT_MASK, deferred_acceptance, preference_keys, priority_keys
from ..candidates import Candidates
from ..model import Instance
from .flow import ranges

UInt64Array = npt.NDArray[np.uint64]
ExtraConstraints = Callable[[cp_model.CpModel, list[cp_model.IntVar]], None]


@dataclass(frozen=True, eq=False)
class Claims:
    """Envy-freeness of one model in its local indices.

    *Holders* are the model's placement pairs (its ``x``); *claims* are every candidate pair
    of the model's students, modelled or not (a student may envy at an offer they cannot be
    given in this model). ``claim_offer`` is −1 for an offer the model does not have,
    ``claim_pair`` the claim's own holder pair (−1: not modelled), and ``claim_single`` says
    the offer has one seat left in the model.
    """

    pair_student: IntArray
    pair_offer: IntArray
    pair_preference: IntArray
    pair_priority: UInt64Array
    pair_forbidden: BoolArray
    claim_student: IntArray
    claim_offer: IntArray
    claim_preference: IntArray
    claim_priority: UInt64Array
    claim_required: BoolArray
    claim_pair: IntArray
    claim_single: BoolArray


def neighbour_group(
    group_owner: IntArray,
    group_key: np.ndarray,
    owner: IntArray,
    key: np.ndarray,
    *,
    after: bool,
) -> IntArray:
    """For each query (owner, key): the owner's last group with a key ≤ key, or with
    ``after`` its first group with a key > key (−1: none).

    Groups are sorted by (owner, key). Groups and queries are merged in one sort, a group
    before a query of the same key; a running maximum (minimum, from the right) of the group
    positions then gives the nearest group on each side of every query, kept only when it
    belongs to the query's owner.
    """
    n_groups = len(group_owner)
    out = np.full(len(owner), -1, dtype=np.int64)
    if not n_groups or not len(owner):
        return out
    owners = np.concatenate((group_owner, owner))
    keys = np.concatenate((group_key, key))
    tags = np.concatenate((np.zeros(n_groups, np.int8), np.ones(len(owner), np.int8)))
    order = np.lexsort((tags, keys, owners))
    if after:
        seen = np.where(order < n_groups, order, n_groups)
        nearest = np.minimum.accumulate(seen[::-1])[::-1]
    else:
        seen = np.where(order < n_groups, order, -1)
        nearest = np.maximum.accumulate(seen)
    at_query = order >= n_groups
    found = nearest[at_query]
    query = order[at_query] - n_groups
    ok = (found >= 0) & (found < n_groups)
    ok[ok] = group_owner[found[ok]] == owner[query[ok]]
    out[query[ok]] = found[ok]
    return out


def pair_groups(owner: IntArray, key: np.ndarray) -> tuple[IntArray, IntArray]:
    """Sort pairs by (owner, key); the group of each pair and each group's first pair."""
    order = np.lexsort((key, owner))
    if not len(order):
        return order, np.zeros(0, dtype=np.int64)
    o, k = owner[order], key[order]
    new = np.r_[True, (o[1:] != o[:-1]) | (k[1:] != k[:-1])]
    group = np.empty(len(order), dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    return group, order[new]


def add_envy_freeness(model: cp_model.CpModel, x: list[cp_model.IntVar], claims: Claims) -> None:
    """Constrain ``x`` (one Boolean per holder pair) to plans without justified envy."""
    c = claims
    # Students: g[m] = "holds a pair of group m or of an earlier group of the same student".
    g_group, g_first = pair_groups(c.pair_student, c.pair_preference)
    g_members: list[list[cp_model.IntVar]] = [[] for _ in g_first]
    for k, m in enumerate(g_group.tolist()):
        g_members[m].append(x[k])
    g_owner = c.pair_student[g_first]
    g = [model.new_bool_var(f"as_good{m}") for m in range(len(g_first))]
    for m, members in enumerate(g_members):
        held = cp_model.LinearExpr.sum(members)
        if m and g_owner[m] == g_owner[m - 1]:
            model.add(g[m] <= g[m - 1] + held)
        else:
            model.add(g[m] <= held)
    # Offers: h[m] = "a student in group m or ranked below holds it" (groups from the best).
    h_group, h_first = pair_groups(c.pair_offer, c.pair_priority)
    h_owner = c.pair_offer[h_first]
    h = [model.new_bool_var(f"below{m}") for m in range(len(h_first))]
    for k, m in enumerate(h_group.tolist()):
        model.add_implication(x[k], h[m])
    for m in range(len(h_first) - 1):
        if h_owner[m] == h_owner[m + 1]:
            model.add_implication(h[m + 1], h[m])
    for k in np.flatnonzero(c.pair_forbidden).tolist():
        model.add(x[k] == 0)
    # Claims: the student's last group as good as the offer, the offer's first group below
    # the student.
    as_good = neighbour_group(
        g_owner, c.pair_preference[g_first], c.claim_student, c.claim_preference, after=False
    )
    below = np.full(len(c.claim_offer), -1, dtype=np.int64)
    known = c.claim_offer >= 0
    below[known] = neighbour_group(
        h_owner, c.pair_priority[h_first], c.claim_offer[known], c.claim_priority[known], after=True
    )
    for good in as_good[c.claim_required].tolist():
        if good >= 0:
            model.add(g[good] == 1)
        else:  # cannot happen from a valid hint; keeps the model honest if it does
            model.add_bool_or([])
    for good, worse in zip(as_good[below >= 0].tolist(), below[below >= 0].tolist(), strict=True):
        if good >= 0:
            model.add_implication(h[worse], g[good])
        else:
            model.add(h[worse] == 0)
    # A one-seat offer held by someone below s is not held by s: h + x[s,o] ≤ g, a cut the
    # LP needs (it cannot see that g ≥ x[s,o] from g's upper bounds alone).
    single = np.flatnonzero((below >= 0) & (as_good >= 0) & c.claim_single & (c.claim_pair >= 0))
    for claim in single.tolist():
        model.add(h[below[claim]] + x[c.claim_pair[claim]] <= g[as_good[claim]])


class Stability:
    """Envy-freeness for one solve: the keys of every candidate pair, models and warm start."""

    def __init__(self, instance: Instance, cand: Candidates) -> None:
        arrays = instance.arrays
        pairs = cand.offers
        self.instance = instance
        self.cand = cand
        self.n_students = arrays.n_students
        self.n_offers = len(arrays.offers)
        self.preference = preference_keys(cand.offer_cost, pairs.minutes)
        index_free = ~np.uint64(STUDENT_MASK)
        self.priority = priority_keys(arrays.qpv[pairs.student], pairs.minutes, 0) & index_free
        # The candidates' own int32 columns: an académie has tens of millions of pairs.
        self.student = pairs.student
        self.offer = pairs.item
        self.offer_ptr = pairs.indptr(arrays.n_students)
        self._by_offer: npt.NDArray[np.int32] | None = None
        self._by_offer_ptr = np.zeros(0, dtype=np.int64)

    def start(self) -> BoolArray:
        """Deferred acceptance's plan as flags on the candidate pairs: stable, a valid start."""
        plan = deferred_acceptance(self.instance, cand=self.cand)
        arrays = self.instance.arrays
        student_index = arrays.student_index
        offer_index = arrays.offers.index
        chosen = np.zeros(len(self.offer), dtype=bool)
        for sid, offer_ids in plan.placements.items():
            s = student_index[sid]
            lo, hi = int(self.offer_ptr[s]), int(self.offer_ptr[s + 1])
            for oid in offer_ids:
                chosen[lo + np.flatnonzero(self.offer[lo:hi] == offer_index[oid])] = True
        return chosen

    def envious(self, offer_chosen: BoolArray) -> BoolArray:
        """Per candidate pair: its student has justified envy at its offer."""
        best, worst = self._best_and_worst(offer_chosen, np.ones(self.n_students, dtype=bool))
        return np.asarray(
            (self.preference < best[self.student]) & (self.priority < worst[self.offer])
        )

    def drop_envied(self, offer_chosen: BoolArray) -> int:
        """Take envied students off their offers until nobody has justified envy (in place).

        Used after the minimum-share repair, which can leave students envious. Each round
        removes, at every offer with an envious claimant, the holders ranked below the best
        such claimant; those removed may envy in turn, so it repeats. Returns the placements
        dropped.
        """
        dropped = 0
        while True:
            envy = self.envious(offer_chosen)
            if not envy.any():
                return dropped
            best_claim = np.full(self.n_offers, np.iinfo(np.uint64).max, dtype=np.uint64)
            np.minimum.at(best_claim, self.offer[envy], self.priority[envy])
            drop = offer_chosen & (self.priority > best_claim[self.offer])
            offer_chosen[drop] = False
            dropped += int(drop.sum())

    def _best_and_worst(
        self, offer_chosen: BoolArray, whose: BoolArray
    ) -> tuple[IntArray, UInt64Array]:
        """Best preference key of each student's placements, and the worst priority among
        each offer's holders, counting only the placements of students in ``whose``."""
        held = np.flatnonzero(offer_chosen)
        held = held[whose[self.student[held]]]
        best = np.full(self.n_students, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, self.student[held], self.preference[held])
        worst = np.zeros(self.n_offers, dtype=np.uint64)  # 0: nobody (no key is below 0)
        np.maximum.at(worst, self.offer[held], self.priority[held])
        return best, worst

    def _pairs_of_offers(self, offers: IntArray) -> IntArray:
        """Candidate pairs of the given offers, through an index by offer built on first use
        (only neighbourhood search needs it; int32 keeps it small for an académie)."""
        if self._by_offer is None:
            self._by_offer = np.argsort(self.offer, kind="stable").astype(np.int32)
            self._by_offer_ptr = np.searchsorted(
                self.offer[self._by_offer], np.arange(self.n_offers + 1)
            )
        return self._by_offer[ranges(self._by_offer_ptr, offers)].astype(np.int64)

    def open_seats(self, pairs: IntArray, seats: IntArray) -> IntArray:
        """Per candidate pair: ``seats`` less its offer's reserved seats when its student is
        not QPV (rule 2: the seats such a student may take)."""
        arrays = self.instance.arrays
        reserved = arrays.offers.reserved[self.offer[pairs]]
        not_qpv = ~arrays.qpv[self.student[pairs]]
        return np.maximum(seats - np.where(not_qpv, reserved, 0), 0)

    def component_claims(
        self,
        pairs: IntArray,
        local_student: IntArray,
        local_offer: IntArray,
        local_capacity: IntArray,
    ) -> Claims:
        """The claims of a whole component's exact model: its pairs are all its claims
        (:func:`.stable_milp.envy_rows` makes them rows)."""
        return Claims(
            pair_student=local_student,
            pair_offer=local_offer,
            pair_preference=self.preference[pairs],
            pair_priority=self.priority[pairs],
            pair_forbidden=np.zeros(len(pairs), dtype=bool),
            claim_student=local_student,
            claim_offer=local_offer,
            claim_preference=self.preference[pairs],
            claim_priority=self.priority[pairs],
            claim_required=np.zeros(len(pairs), dtype=bool),
            claim_pair=np.arange(len(pairs)),
            claim_single=local_capacity[local_offer] == 1,
        )

    def for_neighbourhood(
        self,
        offer_chosen: BoolArray,
        members: IntArray,
        pairs: IntArray,
        local_student: IntArray,
        local_offer: IntArray,
        local_capacity: IntArray,
    ) -> ExtraConstraints:
        """The hook for a neighbourhood of ``members``, everyone else fixed as in the plan."""
        inside = np.zeros(self.n_students, dtype=bool)
        inside[members] = True
        best, worst = self._best_and_worst(offer_chosen, ~inside)
        # Outside students who would envy whoever of lower priority took one of the offers.
        offers_used = np.unique(self.offer[pairs]).astype(np.int64)
        near = self._pairs_of_offers(offers_used)
        near_student = self.student[near]
        would_envy = near[~inside[near_student] & (self.preference[near] < best[near_student])]
        best_claim = np.full(self.n_offers, np.iinfo(np.uint64).max, dtype=np.uint64)
        np.minimum.at(best_claim, self.offer[would_envy], self.priority[would_envy])
        claim_pairs = ranges(self.offer_ptr, np.sort(members))
        local = np.full(self.n_students, -1, dtype=np.int64)
        local[members] = np.arange(len(members))
        claim_offer = self.offer[claim_pairs]
        position = np.minimum(np.searchsorted(offers_used, claim_offer), len(offers_used) - 1)
        modelled = offers_used[position] == claim_offer if len(offers_used) else position < 0
        claim_priority = self.priority[claim_pairs]
        # The claims that are modelled pairs, by their position among the model's pairs.
        holder_of = {k: j for j, k in enumerate(pairs.tolist())}
        claim_pair = np.fromiter(
            (holder_of.get(k, -1) for k in claim_pairs.tolist()), np.int64, len(claim_pairs)
        )
        claims = Claims(
            pair_student=local_student,
            pair_offer=local_offer,
            pair_preference=self.preference[pairs],
            pair_priority=self.priority[pairs],
            pair_forbidden=self.priority[pairs] > best_claim[self.offer[pairs]],
            claim_student=local[self.student[claim_pairs]],
            claim_offer=np.where(modelled, position, -1),
            claim_preference=self.preference[claim_pairs],
            claim_priority=claim_priority,
            claim_required=claim_priority < worst[claim_offer],
            claim_pair=claim_pair,
            claim_single=modelled & (local_capacity[position] == 1),
        )
        return lambda model, x: add_envy_freeness(model, x, claims)
