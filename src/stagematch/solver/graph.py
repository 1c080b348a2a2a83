"""The candidate graph's connected components, and each one's data for a model.

Students, offers and slots are the nodes, candidate pairs the edges. Components are found
without ever holding all pairs in one sparse graph (an académie has tens of millions), and a
component's pairs are materialised only when it is solved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..arrays import IntArray
from ..candidates import Candidates
from ..model import Instance
from .context import SolveContext, scaled_minutes
from .cpsat import ComponentData
from .flow import ranges

__all__ = ["Component", "Part", "component_data", "connected_parts", "materialise"]


@dataclass(frozen=True)
class Part:
    """A connected component before its pair indices are materialised (they can be huge)."""

    students: IntArray
    n_pairs: int


@dataclass(frozen=True)
class Component:
    """A connected component with its pairs: indices into ``cand.offers`` and ``cand.slots``."""

    students: IntArray
    offer_pairs: IntArray
    slot_pairs: IntArray


def _labels(size: int, tails: IntArray, heads: IntArray) -> IntArray:
    """Connected-component labels of an undirected graph given as edge lists."""
    graph = coo_matrix((np.ones(len(tails), dtype=np.int8), (tails, heads)), shape=(size, size))
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)


def connected_parts(instance: Instance, cand: Candidates, short: IntArray) -> list[Part]:
    """Connected components of the graph students – offers – slots (candidate pairs as edges).

    Computed in two steps so that tens of millions of pairs never make one sparse graph: the
    components of the short-list pairs and slot pairs first, then the few pairs joining two of
    those components merge them. Only students with at least one pair are kept, in order of
    their first student so the order never depends on labels.
    """
    arrays = instance.arrays
    n, m, k = arrays.n_students, len(arrays.offers), len(arrays.slots)
    size = n + m + k
    first = _labels(
        size,
        np.concatenate((cand.offers.student[short], cand.slots.student)).astype(np.int64),
        np.concatenate((n + cand.offers.item[short], n + m + cand.slots.item)).astype(np.int64),
    )
    bridges = []
    for start in range(0, len(cand.offers), 1 << 22):
        part = slice(start, start + (1 << 22))
        a = first[cand.offers.student[part]]
        b = first[n + cand.offers.item[part].astype(np.int64)]
        joins = a != b
        if joins.any():
            bridges.append(np.unique(np.column_stack((a[joins], b[joins])), axis=0))
    if bridges:
        joined = np.unique(np.concatenate(bridges), axis=0)
        labels = _labels(size, joined[:, 0], joined[:, 1])[first]
    else:
        labels = first
    degree = np.diff(cand.offers.indptr(n)) + np.diff(cand.slots.indptr(n))
    student_label = labels[:n]
    order = np.argsort(student_label, kind="stable")
    bounds = np.searchsorted(student_label[order], np.arange(labels.max(initial=0) + 2))
    parts = []
    for label in dict.fromkeys(student_label[degree > 0].tolist()):
        students = order[bounds[label] : bounds[label + 1]]
        parts.append(Part(students, int(degree[students].sum())))
    return parts


def materialise(part: Part, offer_ptr: IntArray, slot_ptr: IntArray) -> Component:
    """The pair indices of a component, from each student's range of pairs."""
    return Component(
        part.students, ranges(offer_ptr, part.students), ranges(slot_ptr, part.students)
    )


@dataclass(frozen=True)
class Outside:
    """Seats held by the students outside a sub-problem, who keep them: per offer and per slot
    (all of the instance's), how many, how many by QPV students; and their coach-group keys."""

    offer_used: IntArray
    offer_used_qpv: IntArray
    slot_used: IntArray
    slot_used_qpv: IntArray
    coach_keys: IntArray


def component_data(context: SolveContext, component: Component) -> ComponentData:
    """The component's students, pairs and items, renumbered from 0."""
    return pairs_data(context, component.students, component.offer_pairs, component.slot_pairs)


def pairs_data(
    context: SolveContext,
    students: IntArray,
    o: IntArray,
    w: IntArray,
    outside: Outside | None = None,
) -> ComponentData:
    """The model data of ``students`` and their pairs ``o``, ``w``, renumbered from 0.

    A component shares nothing with the rest (``outside`` is None); a neighbourhood of the
    search leaves everyone else's seats taken, so its capacities, reserved seats and coach
    groups count ``outside``. The minimum QPV share counts an offer's students inside and
    outside together, so the outside counts go with the data rather than into the capacities
    alone.
    """
    arrays, cand, scale = context.arrays, context.cand, context.scale
    local = np.full(arrays.n_students, -1, dtype=np.int64)
    local[students] = np.arange(len(students))
    o_global = cand.offers.item[o].astype(np.int64)
    offers_used, o_local = np.unique(o_global, return_inverse=True)
    w_global = cand.slots.item[w].astype(np.int64)
    slots_used, w_local = np.unique(w_global, return_inverse=True)
    offers, slots = arrays.offers, arrays.slots
    if outside is None:
        outside = Outside(
            offer_used=np.zeros(len(offers), dtype=np.int64),
            offer_used_qpv=np.zeros(len(offers), dtype=np.int64),
            slot_used=np.zeros(len(slots), dtype=np.int64),
            slot_used_qpv=np.zeros(len(slots), dtype=np.int64),
            coach_keys=np.zeros(0, dtype=np.int64),
        )
    coach_group, coach_outside = arrays.coach_groups(
        w_global, cand.slots.student[w], outside.coach_keys
    )
    o_capacity = offers.capacity[offers_used] - outside.offer_used[offers_used]
    w_capacity = slots.capacity[slots_used] - outside.slot_used[slots_used]
    o_reserved = offers.reserved[offers_used] - outside.offer_used_qpv[offers_used]
    w_reserved = slots.reserved[slots_used] - outside.slot_used_qpv[slots_used]
    return ComponentData(
        qpv=arrays.qpv[students],
        max_placements=arrays.max_placements[students],
        workshops_per_student=context.workshops_per_student,
        offer_student=local[cand.offers.student[o]],
        offer_item=o_local,
        offer_first=offers.first_half_day[o_global],
        offer_last=offers.last_half_day[o_global],
        offer_cost=cand.offer_cost[o].astype(np.int64),
        offer_minutes=scaled_minutes(cand.offers.minutes[o], scale),
        offer_capacity=o_capacity,
        offer_reserved=np.clip(o_reserved, 0, o_capacity),
        slot_student=local[cand.slots.student[w]],
        slot_item=w_local,
        slot_first=slots.first_half_day[w_global],
        slot_last=slots.last_half_day[w_global],
        slot_minutes=scaled_minutes(cand.slots.minutes[w], scale),
        slot_workshop=slots.group[w_global],
        slot_capacity=w_capacity,
        slot_reserved=np.clip(w_reserved, 0, w_capacity),
        n_half_days=arrays.n_half_days,
        offer_min_share=arrays.min_share[offers_used],
        offer_qpv_candidates=context.share_candidates[offers_used],
        offer_outside_held=outside.offer_used[offers_used],
        offer_outside_qpv=outside.offer_used_qpv[offers_used],
        coach_capacity=arrays.coach_capacity,
        slot_coach_group=coach_group,
        coach_group_outside=coach_outside,
        **context.flags.restrict(o, w, students),
    )
