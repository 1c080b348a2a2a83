"""Large-neighbourhood search: improve a big component a small, local piece at a time.

A component with hundreds of thousands of candidate pairs is too large for one CP-SAT model,
but students only compete with their neighbours. Each step frees a *neighbourhood* — the
students nearest a seed student — keeps everyone else's assignments fixed (their seats are
taken out of the capacities), and re-optimises the neighbourhood exactly with CP-SAT, with
every level constrained to be at least as good as it is now. A step can therefore never make
the plan worse on any level, lexicographically. Each student keeps only its cheapest candidate
pairs plus what it holds now, so steps stay small however dense the geography.

Steps run in sweeps over shuffled seeds (from ``seed``) — when re-planning, students who
changed first, since only their neighbourhoods can reduce ``changes``. The search stops when its
*work* budget is spent, or after a sweep that improved nothing. Work is counted
deterministically: the CP-SAT deterministic time each step used plus a fixed charge per step
for building its model, so the same input, seed and budget give the same plan on any machine.
Only the wall-clock cap or a stop flag (:mod:`.limits`) can end it otherwise, and they are
recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ..arrays import BoolArray, InstanceArrays, IntArray
from ..candidates import Candidates
from ..geo import to_unit_vectors
from ..levels import LEVELS
from .cpsat import ComponentData, PairFlags, solve_component
from .limits import Limits
from .stable import Stability

NEIGHBOURHOOD = 120  # students freed per step
PAIRS_PER_STUDENT = 24  # cheapest candidate placements kept per student in a step
STEP_DETERMINISTIC_TIME = 2.0  # CP-SAT deterministic-time units per level in a step
STEP_CHARGE = 0.05
"""Work charged per step on top of CP-SAT's deterministic time, for building its model (about
what a step's Python costs in seconds on a quiet machine), so that work tracks real effort."""


@dataclass
class SearchState:
    """The current plan as flags on the global candidate pairs."""

    offer_chosen: BoolArray
    slot_chosen: BoolArray


def _neighbourhood_data(
    arrays: InstanceArrays,
    cand: Candidates,
    state: SearchState,
    students: IntArray,
    offer_rows: list[IntArray],
    slot_rows: list[IntArray],
    workshops_per_student: int,
    scale: int,
    flags: PairFlags,
    share_candidates: IntArray,
) -> tuple[ComponentData, IntArray, IntArray]:
    """The sub-problem of ``students`` with everyone else's seats taken out.

    The minimum QPV share counts an offer's students inside and outside together, so the
    outside counts go with the data rather than into the capacities alone.
    """
    inside = np.zeros(arrays.n_students, dtype=bool)
    inside[students] = True
    local = np.full(arrays.n_students, -1, dtype=np.int64)
    local[students] = np.arange(len(students))
    o_pairs: IntArray = np.concatenate([offer_rows[s] for s in students]).astype(np.int64)
    w_pairs: IntArray = np.concatenate([slot_rows[s] for s in students]).astype(np.int64)
    offers, slots = arrays.offers, arrays.slots

    def outside_use(items_len: int, chosen: BoolArray, student: np.ndarray, item: np.ndarray):
        outside = chosen & ~inside[student]
        used = np.bincount(item[outside], minlength=items_len)
        used_qpv = np.bincount(item[outside & arrays.qpv[student]], minlength=items_len)
        return used, used_qpv

    o_used, o_used_qpv = outside_use(
        len(offers), state.offer_chosen, cand.offers.student, cand.offers.item
    )
    w_used, w_used_qpv = outside_use(
        len(slots), state.slot_chosen, cand.slots.student, cand.slots.item
    )
    o_global = cand.offers.item[o_pairs].astype(np.int64)
    offers_used, o_local = np.unique(o_global, return_inverse=True)
    w_global = cand.slots.item[w_pairs].astype(np.int64)
    slots_used, w_local = np.unique(w_global, return_inverse=True)
    o_capacity = offers.capacity[offers_used] - o_used[offers_used]
    w_capacity = slots.capacity[slots_used] - w_used[slots_used]
    data = ComponentData(
        qpv=arrays.qpv[students],
        max_placements=arrays.max_placements[students],
        workshops_per_student=workshops_per_student,
        offer_student=local[cand.offers.student[o_pairs]],
        offer_item=o_local,
        offer_first=offers.first_half_day[o_global],
        offer_last=offers.last_half_day[o_global],
        offer_cost=cand.offer_cost[o_pairs].astype(np.int64),
        offer_minutes=np.rint(cand.offers.minutes[o_pairs] * scale).astype(np.int64),
        offer_capacity=o_capacity,
        offer_reserved=np.clip(
            offers.reserved[offers_used] - o_used_qpv[offers_used], 0, o_capacity
        ),
        slot_student=local[cand.slots.student[w_pairs]],
        slot_item=w_local,
        slot_first=slots.first_half_day[w_global],
        slot_last=slots.last_half_day[w_global],
        slot_minutes=np.rint(cand.slots.minutes[w_pairs] * scale).astype(np.int64),
        slot_workshop=slots.group[w_global],
        slot_capacity=w_capacity,
        slot_reserved=np.clip(slots.reserved[slots_used] - w_used_qpv[slots_used], 0, w_capacity),
        n_half_days=arrays.n_half_days,
        offer_min_share=arrays.min_share[offers_used],
        offer_qpv_candidates=share_candidates[offers_used],
        offer_outside_held=o_used[offers_used],
        offer_outside_qpv=o_used_qpv[offers_used],
        **flags.restrict(o_pairs, w_pairs, students),
    )
    return data, o_pairs, w_pairs


def _pruned_rows(
    cand: Candidates,
    chosen: BoolArray,
    students: IntArray,
    n_students: int,
    order: IntArray,
    previous: BoolArray | None,
) -> list[IntArray]:
    """Per student: its cheapest candidate placements (``order``, see :mod:`.shortlist`) plus
    the ones it holds now and, when re-planning, the ones it held in the previous plan."""
    ptr = np.searchsorted(cand.offers.student[order], np.arange(n_students + 1))
    held_pairs = np.flatnonzero(chosen if previous is None else chosen | previous)
    held_ptr = np.searchsorted(cand.offers.student[held_pairs], np.arange(n_students + 1))
    rows: list[IntArray] = [np.zeros(0, dtype=np.int64)] * n_students
    for s in students.tolist():
        keep = order[ptr[s] : ptr[s] + min(PAIRS_PER_STUDENT, ptr[s + 1] - ptr[s])]
        held = held_pairs[held_ptr[s] : held_ptr[s + 1]]
        rows[s] = np.unique(np.concatenate((keep, held)))
    return rows


def improve(
    arrays: InstanceArrays,
    cand: Candidates,
    state: SearchState,
    students: IntArray,
    objective: list[str],
    leading: list[str],
    workshops_per_student: int,
    scale: int,
    limits: Limits,
    work: float,
    seed: int,
    offer_order: IntArray,
    flags: PairFlags,
    share_candidates: IntArray,
    stability: Stability | None = None,
) -> int:
    """Improve ``state`` in place by neighbourhood steps over ``students``; returns the steps.

    Steps go on while ``work`` units remain and a sweep improves something; ``limits`` (the
    wall-clock cap and the stop flag) can end them sooner, and remember it.

    ``leading`` are the levels proven optimal by the flow: each neighbourhood keeps their value
    (the others, those two included when the flow does not prove them, are optimised).
    ``flags`` carries pins (kept in every neighbourhood) and the previous plan.
    ``share_candidates`` are the QPV candidates of each offer (:mod:`stagematch.share`); with
    ``stability``, every step keeps the plan free of justified envy.
    """
    if len(students) <= 1:
        return 0
    rng = np.random.default_rng(seed)
    offer_rows = _pruned_rows(
        cand, state.offer_chosen, students, arrays.n_students, offer_order, flags.offer_previous
    )
    slot_order = np.argsort(cand.slots.student, kind="stable")
    slot_ptr = np.searchsorted(cand.slots.student[slot_order], np.arange(arrays.n_students + 1))
    slot_rows = [slot_order[slot_ptr[s] : slot_ptr[s + 1]] for s in range(arrays.n_students)]
    points = to_unit_vectors(arrays.origin_lat[students], arrays.origin_lon[students])
    tree = cKDTree(points)
    size = min(NEIGHBOURHOOD, len(students))
    steps = 0
    used = 0.0
    while used < work and not limits.exhausted():
        improved = False
        covered = np.zeros(len(students), dtype=bool)
        seeds = rng.permutation(len(students))
        if flags.offer_previous is not None:  # re-planning: start where students changed
            changed = flags.changed(cand, state.offer_chosen, state.slot_chosen, arrays.n_students)
            seeds = seeds[np.argsort(~changed[students[seeds]], kind="stable")]
        for seed_index in seeds.tolist():
            if covered[seed_index]:
                continue
            if used >= work or limits.exhausted():
                return steps
            _, near = tree.query(points[seed_index], k=size)
            near = np.sort(np.atleast_1d(near))
            covered[near] = True
            members = students[near]
            data, o_pairs, w_pairs = _neighbourhood_data(
                arrays,
                cand,
                state,
                members,
                offer_rows,
                slot_rows,
                workshops_per_student,
                scale,
                flags,
                share_candidates,
            )
            hint_x = state.offer_chosen[o_pairs]
            hint_y = state.slot_chosen[w_pairs]
            before = [LEVELS[lvl].value(data, hint_x, hint_y) for lvl in objective]
            fixed = {lvl: round(before[i]) for i, lvl in enumerate(objective) if lvl in leading}
            extra = None
            if stability is not None:
                extra = stability.for_neighbourhood(
                    state.offer_chosen,
                    members,
                    o_pairs,
                    data.offer_student,
                    data.offer_item,
                    data.offer_capacity,
                )
            outcome = solve_component(
                data,
                objective,
                fixed,
                hint_x,
                hint_y,
                limits.deadline,
                seed,
                1,
                work=min(STEP_DETERMINISTIC_TIME * (len(objective) - len(fixed)), work - used),
                extra_constraints=extra,
                stop=limits.stop,
            )
            limits.note(outcome.stopped_by)
            used += outcome.work + STEP_CHARGE
            after = [
                LEVELS[lvl].value(data, outcome.offer_chosen, outcome.slot_chosen)
                for lvl in objective
            ]
            steps += 1
            if _better(objective, after, before):
                state.offer_chosen[o_pairs] = outcome.offer_chosen
                state.slot_chosen[w_pairs] = outcome.slot_chosen
                improved = True
        if not improved:
            break
    return steps


def _better(objective: list[str], after: list[float], before: list[float]) -> bool:
    for level, a, b in zip(objective, after, before, strict=True):
        if a != b:
            return LEVELS[level].better(a, b)
    return False
