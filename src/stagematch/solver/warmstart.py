"""Stage 2, the warm start: a complete valid plan before any search.

Max flow proves the optimum of ``qpv_placed`` and ``placed`` for the whole instance at once; a
min-cost flow picks that plan's placements by wish and minutes (:mod:`.flow`). When
re-planning, the previous plan's other items are given back where they fit; with stability,
deferred acceptance's plan replaces the flow's; the plan is repaired to each offer's minimum
QPV share; and a greedy pass adds workshop sessions and second placements (:mod:`.greedy`).

The candidate pairs and the flow always run to their end: every bound of the solve rests on
the flow's proven optima. The greedy pass ends early when the stop flag is set
(``stopped_by: "interrupt"``); what it added is kept, so the plan stays valid. It does not
stop at the wall-clock cap: it costs about a second on an académie and gives most of the
plan's sessions and second placements, which a search cut by the cap could not make up for.
"""

from __future__ import annotations

import numpy as np

from ..arrays import BoolArray, InstanceArrays, IntArray
from ..candidates import Candidates
from ..share import repair_share
from .context import Chosen, SolveContext, WarmStart
from .cpsat import PairFlags
from .flow import solve_placement_flow
from .greedy import complete_greedily, keep_previous
from .shortlist import MINUTES_SPAN

__all__ = ["residual", "warm_start", "with_fixed_pairs"]


def warm_start(context: SolveContext) -> WarmStart:
    """Stage 2: the flow's placements, completed (module docstring)."""
    arrays, cand, flags = context.arrays, context.cand, context.flags
    offer_chosen, slot_chosen, flow_placed = _flow(context)
    context.phases.end("flow")
    unchanged = None
    if flags.offer_previous is not None and flags.slot_previous is not None:
        keep_previous(
            arrays,
            cand,
            offer_chosen,
            slot_chosen,
            np.flatnonzero(flags.offer_previous),
            np.flatnonzero(flags.slot_previous),
        )
        unchanged = ~flags.changed(cand, offer_chosen, slot_chosen, arrays.n_students)
    stability = context.stability
    if stability is not None:
        offer_chosen = stability.start()
        context.phases.end("deferred acceptance")
    # Repaired to the share before the greedy pass, which then refills seats within it.
    share_candidates = context.share_candidates
    dropped = repair_share(arrays, cand, offer_chosen, share_candidates, flags.offer_pinned)
    if dropped and stability is not None:
        stability.drop_envied(offer_chosen)
    offer_chosen, slot_chosen = complete_greedily(
        arrays,
        cand,
        offer_chosen,
        slot_chosen,
        context.objective,
        context.workshops_per_student,
        context.short,
        unchanged,
        new_placements=stability is None,
        share_candidates=share_candidates,
        stop=context.limits.interrupted,
    )
    context.phases.end("greedy")
    return WarmStart(Chosen(offer_chosen, slot_chosen), flow_placed)


def _flow(context: SolveContext) -> tuple[BoolArray, BoolArray, BoolArray]:
    """The pins, and the flow's placements around them; per student, placed by the flow."""
    arrays, cand, flags = context.arrays, context.cand, context.flags
    active = np.zeros(len(cand.offers), dtype=bool)
    active[context.short] = True
    offer_chosen = _mask_or_empty(flags.offer_pinned, len(cand.offers))
    slot_chosen = _mask_or_empty(flags.slot_pinned, len(cand.slots))
    capacity, reserved, free_students, usable = residual(arrays, cand, flags)
    flow_choice, _, _, active = solve_placement_flow(
        arrays.n_students,
        capacity,
        reserved,
        arrays.qpv,
        cand.offers,
        lambda pairs: _tie_cost(context, pairs),
        active,
        usable,
        free_students,
    )
    offer_chosen[flow_choice[flow_choice >= 0]] = True
    flow_placed = flow_choice >= 0  # with the pinned students, placed already
    flow_placed[cand.offers.student[offer_chosen]] = True
    return offer_chosen, slot_chosen, flow_placed


def _mask_or_empty(mask: BoolArray | None, n: int) -> BoolArray:
    return np.zeros(n, dtype=bool) if mask is None else mask.copy()


def with_fixed_pairs(cand: Candidates, short: IntArray, flags: PairFlags) -> IntArray:
    """The short list, with pinned and previous placements first in their student's group."""
    extra = [m for m in (flags.offer_pinned, flags.offer_previous) if m is not None]
    if not extra:
        return short
    fixed = np.flatnonzero(np.logical_or.reduce(extra))
    merged = np.concatenate((fixed, short[~np.isin(short, fixed)]))
    return merged[np.argsort(cand.offers.student[merged], kind="stable")]


def residual(
    arrays: InstanceArrays, cand: Candidates, flags: PairFlags
) -> tuple[IntArray, IntArray, BoolArray | None, BoolArray | None]:
    """Seats left by the pinned placements, the students still to place, the usable pairs.

    A student pinned to a placement is placed already; a pair that overlaps a student's pinned
    session could never join it. Pinned QPV students fill reserved seats first.
    """
    offers = arrays.offers
    if flags.offer_pinned is None or flags.slot_pinned is None:
        return offers.capacity, offers.reserved, None, None
    pinned = np.flatnonzero(flags.offer_pinned)
    s = cand.offers.student[pinned].astype(np.int64)
    o = cand.offers.item[pinned].astype(np.int64)
    taken = np.bincount(o, minlength=len(offers))
    taken_qpv = np.bincount(o[arrays.qpv[s]], minlength=len(offers))
    capacity = offers.capacity - taken
    reserved = np.clip(offers.reserved - taken_qpv, 0, capacity)
    students = np.ones(arrays.n_students, dtype=bool)
    students[s] = False
    usable = np.ones(len(cand.offers), dtype=bool)
    ptr = cand.offers.indptr(arrays.n_students)
    for k in np.flatnonzero(flags.slot_pinned).tolist():
        w = int(cand.slots.item[k])
        owner = int(cand.slots.student[k])
        lo, hi = int(ptr[owner]), int(ptr[owner + 1])
        items = cand.offers.item[lo:hi].astype(np.int64)
        overlap = (offers.first_half_day[items] <= arrays.slots.last_half_day[w]) & (
            arrays.slots.first_half_day[w] <= offers.last_half_day[items]
        )
        usable[lo:hi] &= ~overlap
    return capacity, reserved, students, usable


def _tie_cost(context: SolveContext, pairs: IntArray) -> IntArray:
    """Flow arc costs that favour what the lower levels want: wishes first, then minutes.

    When students should attend workshops, a placement that leaves no half-day free for them
    is made dearer than any wish, so the warm start keeps room for sessions. When
    re-planning, any pair outside the previous plan costs more than every pair inside it, so
    the flow keeps as many previous placements as its proven optima allow.
    """
    arrays, cand, settings = context.arrays, context.cand, context.settings
    previous = context.flags.offer_previous
    minutes = np.clip(np.rint(cand.offers.minutes[pairs]), 0, MINUTES_SPAN - 1).astype(np.int64)
    cost = cand.offer_cost[pairs].astype(np.int64) * MINUTES_SPAN + minutes
    if settings.workshops_per_student and len(arrays.slots):
        fills_period = arrays.offers.length[cand.offers.item[pairs]] >= arrays.n_half_days
        cost = cost + fills_period * (int(settings.unranked_cost) + 1) * MINUTES_SPAN
    if previous is not None:
        outside = int(cost.max(initial=0) + 1) * (arrays.n_students + 1)
        cost = cost + ~previous[pairs] * outside
    return cost
