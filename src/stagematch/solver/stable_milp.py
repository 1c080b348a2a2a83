"""``stable=True`` in the integer program: no justified envy as seat rows for HiGHS.

Exact components of a stable solve are optimised by the same lexicographic MILP as the others
(:mod:`.milp`), with these rows added to the pair model (:mod:`.milp_model`). Justified envy is
defined in :mod:`.stable` (ties not broken): for every candidate pair (*s*, *o*), if some
student ranked strictly below *s* at *o* holds *o*, then *s* holds an offer at least as good as
*o*. With ``x`` the pair binaries and *c* the offer's capacity, one row per candidate pair says
exactly that for integral ``x``::

    x[s,o] + Σ_{t below s at o} x[t,o]  ≤  c · Σ_{o′ as good as o for s} x[s,o′]

If *s* holds nothing as good as *o* (in particular not *o*), the left side must be 0: nobody
below holds *o*; otherwise it is at most the seats of *o*, which the capacity row allows anyway.
For a student who is not QPV, *c* is the seats open to them, ``capacity − qpv_reserved``:
everyone ranked below them is not QPV either (offers rank QPV students first), so the left side
never exceeds the seats rule 2 leaves them, and the row is tighter for the same plans.
For a one-seat offer the row implies the pairwise ``x[t,o] ≤ Σ x[s,o′]`` that CP-SAT's envy
chains (:mod:`.stable`) encode; for any offer it forbids a seat shared fractionally among many
students below *s* while *s* holds a fraction of something as good. Measured on the
pilot-shaped ``p2`` (``docs/benchmarks.md``, "Stable plans at pilot size"): with these rows
HiGHS proves every level from ``qpv_placed`` to ``preference`` at the root node; with CP-SAT's
chains written as rows it needed 48 to 757 nodes a level and 437 s in all.

Each row holds the pairs below the claim at its offer and the student's pairs as good as it:
both are prefixes of one sorted order (an offer's pairs from the lowest priority, a student's
from the best), found with :func:`.stable.neighbour_group` and expanded at once. Equal keys
share a group, which keeps a tie a tie. Written instead with one running-sum column per group
(linear in the pairs, the same relaxation), HiGHS needed 151 and 382 nodes for ``workshops``
and ``preference`` on ``p2`` instead of one each, so the rows are expanded: they grow with the
square of an offer's candidates, within ``Tuning.stable_exact_pairs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from scipy.sparse import csr_matrix, vstack

from ..arrays import IntArray
from .milp_model import INF, PairModel
from .stable import (
    Claims,
    ExtraConstraints,
    Stability,
    add_envy_freeness,
    neighbour_group,
    pair_groups,
)

__all__ = ["StableHooks", "envy_hooks", "with_envy_rows"]

ModelRows = Callable[[PairModel], PairModel]


@dataclass(frozen=True, eq=False)
class StableHooks:
    """No justified envy in either exact model of a component: CP-SAT's envy chains
    (:func:`.stable.add_envy_freeness`) and HiGHS's seat rows (:func:`with_envy_rows`).
    Partials of top-level functions: the task may be solved by another process."""

    chains: ExtraConstraints
    rows: ModelRows


def _prefixes(owner: IntArray, key: np.ndarray) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Pairs sorted by (owner, key), and per group of equal (owner, key): the group of each
    pair, the key of each group, each group's owner, and where each group's prefix (its owner's
    pairs up to the end of the group) starts and ends in the sorted order."""
    order = np.lexsort((key, owner))
    group, first = pair_groups(owner, key)
    ends = np.cumsum(np.bincount(group, minlength=len(first)))
    group_owner = owner[first]
    new_owner = np.r_[True, group_owner[1:] != group_owner[:-1]]
    starts = np.maximum.accumulate(np.where(new_owner, ends - np.bincount(group), 0))
    return order, np.column_stack((starts, ends)), group_owner, key[first]


def with_envy_rows(model: PairModel, claims: Claims, capacity: IntArray) -> PairModel:
    """``model`` with one seat row per candidate pair of a whole component.

    ``claims`` is :meth:`.stable.Stability.component_claims`'s (every claim is a modelled
    pair, in the order of the model's ``x``), ``capacity`` the seats each claim's student may
    take at its offer (:func:`envy_hooks`). Each
    row holds the pairs below the claim at its offer and the student's pairs as good as it,
    so the rows grow with the square of an offer's candidates: exact components are limited
    to ``Tuning.stable_exact_pairs`` pairs.
    """
    c = claims
    # An offer's pairs from the lowest priority (complemented keys ascending), so that the
    # pairs strictly below a claim are a prefix; a student's pairs from the best.
    by_offer, offer_span, offer_owner, offer_key = _prefixes(c.pair_offer, ~c.pair_priority)
    by_student, student_span, student_owner, student_key = _prefixes(
        c.pair_student, c.pair_preference
    )
    above = ~c.claim_priority  # complemented: a key below this one is strictly lower priority
    below = neighbour_group(
        offer_owner, offer_key, c.claim_offer, np.maximum(above, 1) - np.uint64(1), after=False
    )
    below[above == 0] = -1
    as_good = neighbour_group(
        student_owner, student_key, c.claim_student, c.claim_preference, after=False
    )
    envied = np.flatnonzero(below >= 0)
    lower_pairs = _expand(offer_span[below[envied]], by_offer)
    good_pairs = _expand(student_span[as_good[envied]], by_student)
    n = len(envied)
    rows = np.concatenate((np.arange(n), lower_pairs[0], good_pairs[0]))
    cols = np.concatenate((c.claim_pair[envied], lower_pairs[1], good_pairs[1]))
    seats = capacity[envied].astype(np.float64)
    vals = np.concatenate((np.ones(n), np.ones(len(lower_pairs[1])), -seats[good_pairs[0]]))
    extra = csr_matrix((vals, (rows, cols)), shape=(n, model.n_cols))
    extra.sum_duplicates()  # the claim's own pair is among the student's: 1 − c
    extra.eliminate_zeros()
    a = vstack([model.a, extra], format="csr")
    a.sort_indices()
    return replace(
        model,
        a=a,
        row_lower=np.concatenate((model.row_lower, np.full(n, -INF))),
        row_upper=np.concatenate((model.row_upper, np.zeros(n))),
    )


def _expand(spans: IntArray, order: IntArray) -> tuple[IntArray, IntArray]:
    """(row, pair) for every position of each row's span ``[start, end)`` of ``order``."""
    runs = spans[:, 1] - spans[:, 0]
    row = np.repeat(np.arange(len(spans)), runs)
    position = np.repeat(spans[:, 0] - np.cumsum(runs) + runs, runs) + np.arange(int(runs.sum()))
    return row, order[position]


def envy_hooks(
    stability: Stability,
    pairs: IntArray,
    local_student: IntArray,
    local_offer: IntArray,
    local_capacity: IntArray,
) -> StableHooks:
    """Both hooks for the exact models of a whole component: ``pairs`` its candidate pairs,
    in the order of its ``x``, with their local students and offers, and the offers' seats."""
    claims = stability.component_claims(pairs, local_student, local_offer, local_capacity)
    seats = stability.open_seats(pairs, local_capacity[local_offer])
    return StableHooks(
        partial(add_envy_freeness, claims=claims),
        partial(with_envy_rows, claims=claims, capacity=seats),
    )
