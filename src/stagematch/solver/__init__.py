"""``solve``: the best plan in the SPEC's sense, with proven bounds. The only ``ortools`` user.

The pipeline (``docs/solver.md`` explains the guarantees):

1. **Candidates** — eligible, reachable pairs (vectorised; rules 3–4 hold by construction).
2. **Flow** — max flow proves the optimum of ``qpv_placed`` and ``placed`` for the whole
   instance at once; a min-cost flow picks that plan's placements by wish and minutes, and a
   greedy pass adds workshop sessions and second placements: a complete warm start.
3. **Decomposition** — students and items that share no candidate pair cannot influence each
   other, so the connected components of the candidate graph are solved independently; levels
   are sums over students, so the sum of the components' lexicographic optima is the global one.
   Small components are picklable tasks (:mod:`.tasks`) for any ``concurrent.futures``
   executor; large ones are searched here, where their candidate arrays already are.
4. **CP-SAT** — a component small enough is one exact model, its remaining levels optimised in
   order, each fixed before the next; a larger one is improved by large-neighbourhood search
   (CP-SAT on the students nearest a seed, everyone else fixed), with bounds that need no search.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..arrays import BoolArray, InstanceArrays, IntArray
from ..candidates import Candidates, candidates, data_warnings
from ..errors import InvalidInputError, Problem
from ..i18n import lazy_text
from ..levels import LEVELS, PlanPairs
from ..model import CHANGES, Instance
from ..plan import Assignment, Plan
from ..reasons import unplaced_reasons
from ..result import LevelResult, Result, level_result
from ..share import qpv_candidates, repair_share, share_binds
from .bounds import level_bounds
from .cpsat import ComponentData, ComponentOutcome, PairFlags
from .fixed import pair_flags, pin_conflicts
from .flow import FLOW_LEVELS, ranges, solve_placement_flow
from .greedy import complete_greedily, keep_previous
from .limits import Limits, Stop
from .lns import SearchState, improve
from .milp import relaxation_bounds
from .shortlist import MINUTES_SPAN, shortlist
from .stable import ExtraConstraints, Stability
from .tasks import ExactTask, InProcess, solve_exact, unsolved

__all__ = ["Progress", "check_pins", "solve"]

EXACT_PAIRS = 30_000
"""Components with at most this many candidate pairs are solved as one exact CP-SAT model."""

STABLE_EXACT_PAIRS = 30_000
"""The same limit with ``stable=True`` (larger components: neighbourhood search, still stable)."""

RELAXATION_PAIRS = 100_000
"""Searched components with at most this many pairs also get bounds from the linear
relaxation of their exact model (:func:`.milp.relaxation_bounds`); larger ones keep the
search-free bounds of :mod:`.bounds` (a 1,000-student bassin, 55,000 pairs, needs about 9 CPU
seconds of interior point a level; a 3,000-student one has 520,000 pairs)."""

MIN_COMPONENT_WORK = 0.5
"""Work any component gets however small its share: enough to prove a small model."""

SHORTLIST = 40
"""Cheapest candidate placements per student the flow starts from (it adds what it needs)."""

LevelTriple = tuple[float, float, bool]  # value, bound, proven


class Progress:
    """Hooks called while solving; override the ones you need (all do nothing by default)."""

    def on_phase(self, phase: str, seconds: float) -> None:
        """A phase finished: ``candidates``, ``shortlist``, ``flow``, ``greedy``,
        ``components`` or ``reasons``."""

    def on_component(self, done: int, total: int, students: int) -> None:
        """A component of ``students`` students was solved (``done`` of ``total``)."""

    def on_level(self, level: str, value: float, bound: float) -> None:
        """A level of the current component was optimised."""


@dataclass(frozen=True)
class _Component:
    students: IntArray
    offer_pairs: IntArray  # indices into candidates.offers
    slot_pairs: IntArray  # indices into candidates.slots


@dataclass(frozen=True)
class _Part:
    """A connected component before its pair indices are materialised (they can be huge)."""

    students: IntArray
    n_pairs: int


def solve(
    instance: Instance,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    stable: bool | None = None,
    previous: Plan | None = None,
    executor: Executor | None = None,
    pairs: Candidates | None = None,
    budget: float | None = None,
    stop: Stop | None = None,
) -> Result:
    """Solve ``instance``: every hard rule holds, levels are optimised in ``objective`` order.

    Parameters
    ----------
    instance
        A validated dataset.
    time_limit
        A wall-clock safety cap in seconds for the whole solve (default:
        ``settings.time_limit_s``). The search is measured in ``budget`` work, not in time;
        if the cap cuts it short, the best plan found so far is returned with its proven bounds
        and ``result.stopped_by == "time_limit"`` (only then may two runs differ).
    seed
        CP-SAT's random seed (default: ``settings.seed``). The same input, seed, ``budget``
        and ``workers`` give the same plan (``docs/concepts/determinism.md``).
    workers
        CP-SAT search workers (threads).
    progress
        Receives progress events (see :class:`Progress`).
    stable
        Only plans without justified envy (``docs/fairness.md``), the best of them
        (default: ``settings.stable``).
    previous
        A plan to stay close to (re-planning, see :func:`stagematch.resolve`): the level
        ``changes`` counts the students whose items differ from it, right after ``placed``
        unless ``objective`` lists it elsewhere. Without it, ``changes`` is left out.
    executor
        Runs the components small enough for an exact model, as picklable tasks: any
        ``concurrent.futures.Executor`` (a process pool, ``dask.distributed``'s
        ``Client.get_executor()``, ...). Default: one by one in this process. Each component's
        time budget is fixed before any runs, so the executor changes how long the solve takes,
        never the plan.
    pairs
        The candidate pairs to choose from (default: every eligible, reachable pair). Solving
        by parts (:mod:`.parts`) passes those of the items a part owns.
    budget
        Search work, in units of CP-SAT deterministic time (about a second of one worker on a
        quiet machine; default: ``settings.budget``). Shared among components by size, fixed
        before any runs; neighbourhood search also ends when a sweep improves nothing.
    stop
        Anything with ``is_set()`` (a ``threading.Event``, a ``multiprocessing.Event``). Once
        set, the search ends within about a second and the best valid plan found so far is
        returned, ``status`` ``feasible`` unless every level was already proven, and
        ``result.stopped_by == "interrupt"``. The phases before the search (candidates, flow,
        greedy) run to their end.

    Raises
    ------
    InvalidInputError
        When pins cannot hold: a pin that breaks a rule on its own, or a smallest set of pins
        that cannot all hold together.
    """
    settings = instance.settings
    stable = settings.stable if stable is None else bool(stable)
    time_limit = settings.time_limit_s if time_limit is None else float(time_limit)
    seed = settings.seed if seed is None else int(seed)
    budget = settings.budget if budget is None else float(budget)
    progress = progress or Progress()
    started = time.monotonic()
    # Keep time for what follows the search: its last step, evaluating levels and bounds,
    # and explaining the unplaced (about 15 s on an académie).
    limits = Limits(started + time_limit - min(20.0, 0.15 * time_limit), stop)
    seconds: dict[str, float] = {}
    phase = phase_timer(progress, seconds)

    cand = candidates(instance) if pairs is None else pairs
    problems = pin_conflicts(instance, cand)
    if problems:
        raise InvalidInputError(problems, instance.warnings)
    flags = pair_flags(instance, cand, previous)
    mark = phase("candidates", started)
    objective = objective_levels(settings.objective, replanning=previous is not None)
    arrays = instance.arrays
    share_candidates = qpv_candidates(arrays, cand)
    # The flow knows neither stability nor the QPV share: its optima are then only bounds,
    # and every component optimises those levels itself.
    exact_flow = not stable and not share_binds(arrays, share_candidates)
    leading = _flow_prefix(objective) if exact_flow else []
    stability = _stability(instance, cand, flags, previous) if stable else None
    short = _with_fixed_pairs(cand, shortlist(cand, arrays.n_students, SHORTLIST), flags)
    mark = phase("shortlist", mark)
    active = np.zeros(len(cand.offers), dtype=bool)
    active[short] = True
    offer_chosen = _mask_or_empty(flags.offer_pinned, len(cand.offers))
    slot_chosen = _mask_or_empty(flags.slot_pinned, len(cand.slots))
    capacity, reserved, free_students, usable = _residual(arrays, cand, flags)
    flow_choice, _, _, active = solve_placement_flow(
        arrays.n_students,
        capacity,
        reserved,
        arrays.qpv,
        cand.offers,
        lambda pairs: _tie_cost(cand, instance, pairs, flags.offer_previous),
        active,
        usable,
        free_students,
    )
    offer_chosen[flow_choice[flow_choice >= 0]] = True
    flow_placed = flow_choice >= 0  # with the pinned students, placed already
    flow_placed[cand.offers.student[offer_chosen]] = True
    mark = phase("flow", mark)
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
    if stability is not None:
        offer_chosen = stability.start()
        mark = phase("deferred acceptance", mark)
    # Repaired to the share before the greedy pass, which then refills seats within it.
    dropped = repair_share(arrays, cand, offer_chosen, share_candidates, flags.offer_pinned)
    if dropped and stability is not None:
        stability.drop_envied(offer_chosen)
    offer_chosen, slot_chosen = complete_greedily(
        arrays,
        cand,
        offer_chosen,
        slot_chosen,
        objective,
        settings.workshops_per_student,
        short,
        unchanged,
        new_placements=stability is None,
        share_candidates=share_candidates,
    )
    mark = phase("greedy", mark)
    components = _components(instance, cand, short)
    offer_ptr = cand.offers.indptr(arrays.n_students)
    slot_ptr = cand.slots.indptr(arrays.n_students)
    bounds = dict.fromkeys(objective, 0.0)  # summed over components
    scale = _travel_scale(cand)
    # Work is shared now, by size: it cannot depend on which component an executor finishes
    # first, nor on the machine.
    weight = sum(_weight(c) for c in components)
    work = [max(budget * _weight(c) / max(weight, 1), MIN_COMPONENT_WORK) for c in components]
    runner = executor or InProcess()
    here = isinstance(runner, InProcess)  # a stop flag reaches tasks run in this process only
    exact: dict[int, tuple[_Component, ExactTask, Future[ComponentOutcome] | None]] = {}
    for k, comp in enumerate(components):
        if comp.n_pairs <= (STABLE_EXACT_PAIRS if stable else EXACT_PAIRS):
            pieces = _materialise(cand, comp, offer_ptr, slot_ptr)
            task = _exact_task(
                instance,
                cand,
                pieces,
                (offer_chosen, slot_chosen),
                flags,
                share_candidates,
                stability,
                objective,
                leading,
                scale,
                (work[k], limits.seconds_left(), seed, workers),
            )
            future = None
            if not limits.exhausted():
                future = (
                    runner.submit(solve_exact, task, stop)
                    if here
                    else runner.submit(solve_exact, task)
                )
            exact[k] = (pieces, task, future)
    for done, comp in enumerate(components, start=1):
        k = done - 1
        placed = flow_placed[comp.students]
        flow_best = {
            "qpv_placed": float((placed & arrays.qpv[comp.students]).sum()),
            "placed": float(placed.sum()),
        }
        if k in exact:
            pieces, task, future = exact[k]
            solved = limits.outcome(future)
            limits.note(solved.stopped_by if solved is not None else None)
            outcome = _apply(
                solved if solved is not None else unsolved(task),
                pieces,
                offer_chosen,
                slot_chosen,
                leading,
                progress,
                flow_best,
            )
        else:
            outcome = _solve_by_search(
                instance,
                cand,
                comp,
                offer_chosen,
                slot_chosen,
                objective,
                leading,
                scale,
                limits,
                work[k],
                seed,
                short,
                flow_best,
                flags,
                share_candidates,
                stability,
            )
        for lvl, (_, bound, _) in outcome.items():
            bounds[lvl] += bound
        progress.on_component(done, len(components), len(comp.students))
    if CHANGES in bounds and flags.student_lost is not None:
        # Students with no candidate at all are in no component; those who lost an item
        # changed all the same.
        alone = flags.student_lost.copy()
        for comp in components:
            alone[comp.students] = False
        bounds[CHANGES] += float(alone.sum())
    mark = phase("components", mark)
    plan = _plan(instance, cand, offer_chosen, slot_chosen)
    # The levels of the plan returned, whatever each component reported on the way.
    everyone = np.ones(arrays.n_students, dtype=bool)
    final, x, y = _chosen_pairs(instance, cand, offer_chosen, slot_chosen, flags, everyone, scale)
    levels: dict[str, LevelResult] = {}
    for lvl in objective:  # travel was counted in 1/scale minutes
        value, bound = LEVELS[lvl].value(final, x, y), bounds[lvl]
        if lvl == "travel":
            value, bound = value / scale, bound / scale
        levels[lvl] = level_result(lvl, value, bound)
    unplaced = unplaced_reasons(instance, cand, plan, stable=stable)
    mark = phase("reasons", mark)
    seconds["total"] = mark - started
    o_pick = np.flatnonzero(offer_chosen)
    s_pick = np.flatnonzero(slot_chosen)
    ids = arrays.student_ids
    travel = {
        (ids[cand.offers.student[k]], arrays.offers.ids[cand.offers.item[k]]): float(
            cand.offers.minutes[k]
        )
        for k in o_pick
    }
    travel.update(
        {
            (ids[cand.slots.student[k]], arrays.slots.ids[cand.slots.item[k]]): float(
                cand.slots.minutes[k]
            )
            for k in s_pick
        }
    )
    ranks = {
        (ids[cand.offers.student[k]], arrays.offers.ids[cand.offers.item[k]]): int(
            cand.offer_rank[k]
        )
        for k in o_pick
    }
    return Result(
        instance=instance,
        plan=plan,
        status="optimal" if all(v.proven for v in levels.values()) else "feasible",
        levels=levels,
        unplaced=unplaced,
        seconds=seconds,
        seed=seed,
        travel_minutes=travel,
        wish_rank=ranks,
        stopped_by=limits.stopped_by,
        options={
            "method": "solve" if previous is None else "resolve",
            "objective": objective,
            "stable": stable,
            "qpv_min_share": settings.qpv_min_share,
            "budget": budget,
            "time_limit": time_limit,
            "seed": seed,
            "workers": workers,
        },
        # Given pairs are a part's (solve_in_parts evaluates the glued plan on all of them).
        warnings=data_warnings(instance, cand) if pairs is None else instance.warnings,
    )


def phase_timer(progress: Progress, seconds: dict[str, float]) -> Callable[[str, float], float]:
    """``phase(name, since)``: record a phase's seconds in ``seconds``, tell ``progress``, and
    return now (the start of the next phase)."""

    def phase(name: str, since: float) -> float:
        now = time.monotonic()
        seconds[name] = now - since
        progress.on_phase(name, seconds[name])
        return now

    return phase


def check_pins(instance: Instance, cand: Candidates | None = None) -> list[Problem]:
    """Problems with the pins of a valid dataset (none without pins): what ``solve`` would raise.

    Pins need the candidate pairs (travel and eligibility) and a small CP-SAT model, so they
    are checked here rather than when the dataset is loaded; ``stagematch validate`` runs it.
    ``cand`` saves computing the candidate pairs again when the caller has them.
    """
    arrays = instance.arrays
    if not len(arrays.pinned_offers) and not len(arrays.pinned_slots):
        return []
    return pin_conflicts(instance, candidates(instance) if cand is None else cand)


def objective_levels(objective: tuple[str, ...], *, replanning: bool) -> list[str]:
    """The levels to optimise: ``changes`` only when re-planning, by default after ``placed``."""
    levels = [lvl for lvl in objective if lvl != CHANGES or replanning]
    if replanning and CHANGES not in levels:
        after = [i + 1 for i, lvl in enumerate(levels) if lvl in FLOW_LEVELS]
        levels.insert(max(after, default=0), CHANGES)
    return levels


def _mask_or_empty(mask: BoolArray | None, n: int) -> BoolArray:
    return np.zeros(n, dtype=bool) if mask is None else mask.copy()


def _with_fixed_pairs(cand: Candidates, short: IntArray, flags: PairFlags) -> IntArray:
    """The short list, with pinned and previous placements first in their student's group."""
    extra = [m for m in (flags.offer_pinned, flags.offer_previous) if m is not None]
    if not extra:
        return short
    fixed = np.flatnonzero(np.logical_or.reduce(extra))
    merged = np.concatenate((fixed, short[~np.isin(short, fixed)]))
    return merged[np.argsort(cand.offers.student[merged], kind="stable")]


def _residual(
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


def _stability(
    instance: Instance, cand: Candidates, flags: PairFlags, previous: Plan | None
) -> Stability:
    """Stability for this solve, or why it cannot be had.

    Its warm start is deferred acceptance's plan, which knows neither pinned placements nor
    a previous plan; a pin may even force justified envy. Rather than return a plan that is
    not what was asked, the combination is refused.
    """
    pinned = flags.offer_pinned is not None and bool(flags.offer_pinned.any())
    if pinned or previous is not None:
        what = (
            lazy_text("pinned placements (pinned_offer)")
            if pinned
            else lazy_text("re-planning (a previous plan)")
        )
        raise InvalidInputError(
            [
                Problem(
                    "settings",
                    None,
                    "stable",
                    "true",
                    lazy_text("stable plans cannot be combined with {what} yet", what=what),
                )
            ]
        )
    return Stability(instance, cand)


def _flow_prefix(objective: list[str]) -> list[str]:
    """The leading levels the flow proves: any run of ``qpv_placed``/``placed`` at the top."""
    prefix: list[str] = []
    for level in objective:
        if level not in FLOW_LEVELS:
            break
        prefix.append(level)
    return prefix


def _tie_cost(
    cand: Candidates, instance: Instance, pairs: IntArray, previous: BoolArray | None
) -> IntArray:
    """Flow arc costs that favour what the lower levels want: wishes first, then minutes.

    When students should attend workshops, a placement that leaves no half-day free for them
    is made dearer than any wish, so the warm start keeps room for sessions. When
    re-planning, any pair outside the previous plan costs more than every pair inside it, so
    the flow keeps as many previous placements as its proven optima allow.
    """
    arrays = instance.arrays
    minutes = np.clip(np.rint(cand.offers.minutes[pairs]), 0, MINUTES_SPAN - 1).astype(np.int64)
    cost = cand.offer_cost[pairs].astype(np.int64) * MINUTES_SPAN + minutes
    if instance.settings.workshops_per_student and len(arrays.slots):
        fills_period = arrays.offers.length[cand.offers.item[pairs]] >= arrays.n_half_days
        cost = cost + fills_period * (int(instance.settings.unranked_cost) + 1) * MINUTES_SPAN
    if previous is not None:
        outside = int(cost.max(initial=0) + 1) * (instance.arrays.n_students + 1)
        cost = cost + ~previous[pairs] * outside
    return cost


def _travel_scale(cand: Candidates) -> int:
    """Travel minutes are integers unless overrides say otherwise; then count hundredths."""
    minutes = np.concatenate((cand.offers.minutes, cand.slots.minutes)).astype(np.float64)
    return 1 if np.all(minutes == np.round(minutes)) else 100


def _weight(comp: _Part) -> int:
    """A component's share of the time budget grows with its candidate pairs."""
    return comp.n_pairs + 1


def _labels(size: int, tails: IntArray, heads: IntArray) -> IntArray:
    """Connected-component labels of an undirected graph given as edge lists."""
    graph = coo_matrix((np.ones(len(tails), dtype=np.int8), (tails, heads)), shape=(size, size))
    return np.asarray(connected_components(graph, directed=False)[1], dtype=np.int64)


def _components(instance: Instance, cand: Candidates, short: IntArray) -> list[_Part]:
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
        parts.append(_Part(students, int(degree[students].sum())))
    return parts


def _materialise(
    cand: Candidates, part: _Part, offer_ptr: IntArray, slot_ptr: IntArray
) -> _Component:
    """The pair indices of a component, from each student's range of pairs."""
    return _Component(
        part.students, ranges(offer_ptr, part.students), ranges(slot_ptr, part.students)
    )


def _component_data(
    instance: Instance,
    cand: Candidates,
    comp: _Component,
    scale: int,
    flags: PairFlags,
    share_candidates: IntArray,
) -> ComponentData:
    """The component's students, pairs and items, renumbered from 0."""
    arrays = instance.arrays
    local = np.full(arrays.n_students, -1, dtype=np.int64)
    local[comp.students] = np.arange(len(comp.students))
    o_global = cand.offers.item[comp.offer_pairs].astype(np.int64)
    offers_used, o_local = np.unique(o_global, return_inverse=True)
    w_global = cand.slots.item[comp.slot_pairs].astype(np.int64)
    slots_used, w_local = np.unique(w_global, return_inverse=True)
    offers, slots = arrays.offers, arrays.slots
    coach_group, coach_outside = arrays.coach_groups(w_global, cand.slots.student[comp.slot_pairs])
    return ComponentData(
        qpv=arrays.qpv[comp.students],
        max_placements=arrays.max_placements[comp.students],
        workshops_per_student=instance.settings.workshops_per_student,
        offer_student=local[cand.offers.student[comp.offer_pairs]],
        offer_item=o_local,
        offer_first=offers.first_half_day[o_global],
        offer_last=offers.last_half_day[o_global],
        offer_cost=cand.offer_cost[comp.offer_pairs].astype(np.int64),
        offer_minutes=np.rint(cand.offers.minutes[comp.offer_pairs] * scale).astype(np.int64),
        offer_capacity=offers.capacity[offers_used],
        offer_reserved=offers.reserved[offers_used],
        slot_student=local[cand.slots.student[comp.slot_pairs]],
        slot_item=w_local,
        slot_first=slots.first_half_day[w_global],
        slot_last=slots.last_half_day[w_global],
        slot_minutes=np.rint(cand.slots.minutes[comp.slot_pairs] * scale).astype(np.int64),
        slot_workshop=slots.group[w_global],
        slot_capacity=slots.capacity[slots_used],
        slot_reserved=slots.reserved[slots_used],
        n_half_days=instance.n_half_days,
        offer_min_share=arrays.min_share[offers_used],
        offer_qpv_candidates=share_candidates[offers_used],
        offer_outside_held=np.zeros(len(offers_used), dtype=np.int64),
        offer_outside_qpv=np.zeros(len(offers_used), dtype=np.int64),
        coach_capacity=arrays.coach_capacity,
        slot_coach_group=coach_group,
        coach_group_outside=coach_outside,
        **flags.restrict(comp.offer_pairs, comp.slot_pairs, comp.students),
    )


def _exact_task(
    instance: Instance,
    cand: Candidates,
    comp: _Component,
    chosen: tuple[np.ndarray, np.ndarray],
    flags: PairFlags,
    share_candidates: IntArray,
    stability: Stability | None,
    objective: list[str],
    leading: list[str],
    scale: int,
    run: tuple[float, float, int, int],
) -> ExactTask:
    """The component as a self-contained task; ``run`` is its work, wall-clock cap in
    seconds, seed and workers."""
    offer_chosen, slot_chosen = chosen
    data = _component_data(instance, cand, comp, scale, flags, share_candidates)
    hint_x = offer_chosen[comp.offer_pairs]
    hint_y = slot_chosen[comp.slot_pairs]
    fixed = {lvl: round(LEVELS[lvl].value(data, hint_x, hint_y)) for lvl in leading}
    extra: ExtraConstraints | None = None
    if stability is not None:
        extra = stability.for_component(
            comp.offer_pairs, data.offer_student, data.offer_item, data.offer_capacity
        )
    work, seconds, seed, workers = run
    return ExactTask(data, objective, fixed, hint_x, hint_y, work, seconds, seed, workers, extra)


def _apply(
    outcome: ComponentOutcome,
    comp: _Component,
    offer_chosen: np.ndarray,
    slot_chosen: np.ndarray,
    leading: list[str],
    progress: Progress,
    flow_best: dict[str, float],
) -> dict[str, LevelTriple]:
    """Write an exact component's plan into the chosen flags and report the levels it optimised.

    ``flow_best`` (the flow's optima for the component) bounds ``qpv_placed`` and ``placed``
    of every plan, so it caps the bounds CP-SAT proves when the flow is not exact for them.
    """
    offer_chosen[comp.offer_pairs] = outcome.offer_chosen
    slot_chosen[comp.slot_pairs] = outcome.slot_chosen
    out: dict[str, LevelTriple] = {}
    for lvl, level in outcome.levels.items():
        if lvl not in leading:
            progress.on_level(lvl, float(level.value), float(level.bound))
        bound = min(level.bound, flow_best[lvl]) if lvl in flow_best else level.bound
        out[lvl] = (float(level.value), float(bound), bool(level.proven or level.value == bound))
    return out


def _solve_by_search(
    instance: Instance,
    cand: Candidates,
    comp: _Part,
    offer_chosen: np.ndarray,
    slot_chosen: np.ndarray,
    objective: list[str],
    leading: list[str],
    scale: int,
    limits: Limits,
    work: float,
    seed: int,
    offer_order: IntArray,
    flow_best: dict[str, float],
    flags: PairFlags,
    share_candidates: IntArray,
    stability: Stability | None,
) -> dict[str, LevelTriple]:
    """Large-neighbourhood search on a big component; bounds from :mod:`.bounds`, and from
    the linear relaxation of its exact model when it has at most :data:`RELAXATION_PAIRS`.

    ``flow_best`` holds the component's flow optima of ``qpv_placed`` and ``placed``: proven
    values when those levels lead the objective, valid upper bounds wherever they stand.
    """
    arrays = instance.arrays
    state = SearchState(offer_chosen, slot_chosen)
    improve(
        arrays,
        cand,
        state,
        comp.students,
        objective,
        leading,
        instance.settings.workshops_per_student,
        scale,
        limits,
        work,
        seed,
        offer_order,
        flags,
        share_candidates,
        stability,
    )
    # Evaluate on the chosen pairs only (and the previous ones, for ``changes``): a model of
    # the whole component would not fit.
    members = np.zeros(arrays.n_students, dtype=bool)
    members[comp.students] = True
    data, x, y = _chosen_pairs(instance, cand, offer_chosen, slot_chosen, flags, members, scale)
    values = {lvl: LEVELS[lvl].value(data, x, y) for lvl in objective}
    best_placed = int(flow_best["placed"])
    bounds = level_bounds(
        arrays,
        cand,
        objective,
        values,
        best_placed,
        instance.settings.workshops_per_student,
        members,
    )
    out: dict[str, LevelTriple] = {}
    for lvl in objective:
        value = values[lvl]
        if lvl in flow_best:
            bound = flow_best[lvl]
        elif lvl == CHANGES:  # students who lost an item change whatever is done
            lost = flags.student_lost
            bound = 0.0 if lost is None else float(lost[comp.students].sum())
        else:
            bound = bounds[lvl] * (scale if lvl == "travel" else 1)
        out[lvl] = (value, bound, bool(np.isclose(value, bound)))
    if comp.n_pairs <= RELAXATION_PAIRS and not limits.exhausted():
        n = arrays.n_students
        pieces = _materialise(cand, comp, cand.offers.indptr(n), cand.slots.indptr(n))
        whole = _component_data(instance, cand, pieces, scale, flags, share_candidates)
        relaxed = relaxation_bounds(
            whole, objective, values, set(leading), limits.seconds_left(), limits.stop
        )
        for lvl, tighter in relaxed.items():  # both bounds hold: keep the better one
            value, bound, _ = out[lvl]
            bound = min(bound, tighter) if LEVELS[lvl].maximise else max(bound, tighter)
            out[lvl] = (value, bound, bool(np.isclose(value, bound)))
    return out


def _chosen_pairs(
    instance: Instance,
    cand: Candidates,
    offer_chosen: BoolArray,
    slot_chosen: BoolArray,
    flags: PairFlags,
    members: BoolArray,
    scale: int,
) -> tuple[PlanPairs, BoolArray, BoolArray]:
    """The pairs ``members`` hold (and held in the previous plan) as level data (students
    numbered as in the instance), with the mask of those chosen now."""
    arrays = instance.arrays
    offer_keep = offer_chosen & members[cand.offers.student]
    slot_keep = slot_chosen & members[cand.slots.student]
    if flags.offer_previous is not None:
        offer_keep |= flags.offer_previous & members[cand.offers.student]
    if flags.slot_previous is not None:
        slot_keep |= flags.slot_previous & members[cand.slots.student]
    o = np.flatnonzero(offer_keep)
    w = np.flatnonzero(slot_keep)
    o_item = cand.offers.item[o].astype(np.int64)
    w_item = cand.slots.item[w].astype(np.int64)
    offers, slots = arrays.offers, arrays.slots
    previous = flags.restrict(o, w, np.arange(arrays.n_students))
    lost = previous["student_lost"]
    data = PlanPairs(
        qpv=arrays.qpv,
        workshops_per_student=instance.settings.workshops_per_student,
        n_half_days=instance.n_half_days,
        offer_student=cand.offers.student[o].astype(np.int64),
        offer_first=offers.first_half_day[o_item],
        offer_last=offers.last_half_day[o_item],
        offer_cost=cand.offer_cost[o].astype(np.int64),
        offer_minutes=np.rint(cand.offers.minutes[o] * scale).astype(np.int64),
        slot_student=cand.slots.student[w].astype(np.int64),
        slot_first=slots.first_half_day[w_item],
        slot_last=slots.last_half_day[w_item],
        slot_minutes=np.rint(cand.slots.minutes[w] * scale).astype(np.int64),
        slot_workshop=slots.group[w_item],
        offer_previous=previous["offer_previous"],
        slot_previous=previous["slot_previous"],
        student_lost=None if lost is None else lost & members,
        coach_capacity=arrays.coach_capacity,
        slot_coach_group=arrays.coach_groups(w_item, cand.slots.student[w])[0],
    )
    return data, offer_chosen[o], slot_chosen[w]


def _plan(
    instance: Instance, cand: Candidates, offer_chosen: np.ndarray, slot_chosen: np.ndarray
) -> Plan:
    arrays = instance.arrays
    ids = arrays.student_ids
    rows = [
        Assignment(ids[cand.offers.student[k]], "placement", arrays.offers.ids[cand.offers.item[k]])
        for k in np.flatnonzero(offer_chosen)
    ]
    rows += [
        Assignment(ids[cand.slots.student[k]], "workshop", arrays.slots.ids[cand.slots.item[k]])
        for k in np.flatnonzero(slot_chosen)
    ]
    return Plan(rows)


def solve_callback(fn: Callable[[str], None]) -> Progress:
    """A :class:`Progress` that sends one line per event to ``fn`` (e.g. ``print``)."""

    class _Lines(Progress):
        def on_phase(self, phase: str, seconds: float) -> None:
            fn(f"{phase}: {seconds:.2f} s")

        def on_component(self, done: int, total: int, students: int) -> None:
            fn(f"component {done}/{total} ({students} students) solved")

        def on_level(self, level: str, value: float, bound: float) -> None:
            fn(f"  {level}: {value:g} (bound {bound:g})")

    return _Lines()
