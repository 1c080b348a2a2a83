"""Solving by parts: an instance too large for one candidate set, a geographic part at a time.

:mod:`stagematch.decompose` cuts the instance into parts that own disjoint items. Each part is a
picklable task (:func:`solve_part`) for any ``concurrent.futures.Executor`` — one machine's
processes or a ``dask.distributed`` cluster — and runs the whole pipeline of
:func:`~stagematch.solver.solve` on the items it owns. Because parts never share a seat, their
plans together are a valid plan. Then, here:

1. **Repair across the cuts** (when the objective starts with ``qpv_placed`` and ``placed``).
   Students left unplaced may reach seats another part owned and left free: a max flow, QPV
   students first, places as many of them as possible there (dropping a second placement
   whose seat it takes, or a workshop session a new placement overlaps: both levels rank
   below ``placed``).
2. **A proven bound for the whole instance.** Each part also solves the max flows of its
   students over *every* item they can reach, at full capacity, and returns its minimum cut.
   The cuts of the parts glued together — each student on its part's side, each offer half on
   the source side if any part put it there — form one cut of the undecomposed network, so
   its capacity bounds the undecomposed optimum of ``qpv_placed`` and ``placed``. It is never
   above the sum of the parts' flows (an offer several parts can reach is counted once) and it
   needs no candidate set of the whole instance. The lower levels get the search-free bounds of
   :mod:`.bounds`, from terms each part computes for its students over every item.

The work budget is shared among parts by their estimated pairs, fixed before any runs, so the
plan does not depend on which part finishes first nor on the machine. The wall-clock cap is
shared the same way, scaled by ``concurrency`` (how many parts the executor runs at once).
"""

from __future__ import annotations

import time
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

import numpy as np

from ..arrays import IntArray
from ..candidates import Candidates, candidates, compact_costs, offer_failures, wish_ranks
from ..decompose import Part, Partition, owned_pairs, part_instance, partition
from ..evaluate import evaluate, plan_levels
from ..model import Instance
from ..plan import Plan
from ..result import Result, StoppedBy
from ..travel import Pairs, reachable
from .bounds import StudentTerms, bounds_from_terms, student_terms
from .context import Phases
from .flow import FLOW_LEVELS, FlowCut, placement_cuts, solve_placement_flow
from .limits import Limits
from .options import Progress, ResolvedOptions, SolveOptions, Stop, Tuning
from .pipeline import flow_prefix, objective_levels, run
from .shortlist import pair_keys, shortlist
from .tasks import InProcess


@dataclass(frozen=True, eq=False)
class PartTask:
    """A part, its work budget and its wall-clock cap in seconds."""

    part: Part
    budget: float  # seconds: the wall-clock cap
    seed: int
    workers: int
    work: float = 0.0  # work units for its search (see :func:`stagematch.solve`)
    tuning: Tuning = field(default_factory=Tuning)


@dataclass(frozen=True, eq=False)
class CutPiece:
    """A part's minimum cut, as the whole instance's rows (see the module docstring)."""

    value: int
    counted: int  # its students on the sink side, and its arcs that cross the cut
    open_source: IntArray  # offers whose open half it put on the source side
    reserved_source: IntArray  # offers whose reserved half it put there


@dataclass(frozen=True, eq=False)
class PartOutcome:
    """What a part sends back: its plan and proofs as the whole instance's rows, and costs."""

    offer_student: IntArray
    offer_item: IntArray
    slot_student: IntArray
    slot_item: IntArray
    cut_qpv: CutPiece
    cut_all: CutPiece
    terms: StudentTerms
    closed: bool  # its students reach only items it owns
    levels: dict[str, tuple[float, float]]  # its own (value, bound), on the items it owns
    seconds: dict[str, float]
    stopped_by: StoppedBy | None = None


def solve_part(task: PartTask, stop: Stop | None = None) -> PartOutcome:
    """Solve one part on the items it owns, and bound its students over every item.

    ``stop`` ends its search early (only given when the part runs in this process)."""
    started = time.monotonic()
    part = task.part
    sub = part.instance
    arrays = sub.arrays
    n = arrays.n_students
    cand = candidates(sub)
    built = time.monotonic()
    active = np.zeros(len(cand.offers), dtype=bool)
    active[shortlist(cand, n, task.tuning.shortlist)] = True
    cut_qpv, cut_all = placement_cuts(
        n, arrays.offers.capacity, arrays.offers.reserved, arrays.qpv, cand.offers, active
    )
    terms = student_terms(arrays, cand, sub.settings.workshops_per_student, np.ones(n, dtype=bool))
    owned = owned_pairs(cand, part.offer_owned, part.slot_owned)
    cand_offer_items = np.unique(cand.offers.item)
    cand_slot_items = np.unique(cand.slots.item)
    del cand, active
    bounded = time.monotonic()
    options = SolveOptions(
        time_limit=max(task.budget - (bounded - started), 1.0),
        seed=task.seed,
        budget=task.work,
        workers=task.workers,
        stop=stop,
        tuning=task.tuning,
    )
    result = run(sub, options.resolved(sub.settings), pairs=owned)
    student = arrays.student_index
    offer = arrays.offers.index
    slot = arrays.slots.index
    rows = result.plan.assignments
    placements = [(student[a.student_id], offer[a.item_id]) for a in rows if a.kind == "placement"]
    sessions = [(student[a.student_id], slot[a.item_id]) for a in rows if a.kind == "workshop"]
    o = np.array(placements, dtype=np.int64).reshape(-1, 2)
    w = np.array(sessions, dtype=np.int64).reshape(-1, 2)
    seconds = {"candidates": built - started, "bound": bounded - built}
    seconds.update({f"solve_{k}": v for k, v in result.seconds.items()})
    return PartOutcome(
        offer_student=part.students[o[:, 0]],
        offer_item=part.offers[o[:, 1]],
        slot_student=part.students[w[:, 0]],
        slot_item=part.slots[w[:, 1]],
        cut_qpv=_piece(cut_qpv, arrays.qpv, part),
        cut_all=_piece(cut_all, np.ones(n, dtype=bool), part),
        terms=StudentTerms(
            cheapest_cost=terms.cheapest_cost,
            nearest_offer=terms.nearest_offer,
            nearest_slot=terms.nearest_slot,
            workshops=terms.workshops,
            cover_without=terms.cover_without,
            cover_gain=terms.cover_gain,
            slots=part.slots[terms.slots],
        ),
        closed=bool(
            part.offer_owned[cand_offer_items].all() and part.slot_owned[cand_slot_items].all()
        ),
        levels={k: (v.value, v.bound) for k, v in result.levels.items()},
        seconds=seconds,
        stopped_by=result.stopped_by,
    )


def _piece(cut: FlowCut, in_network: np.ndarray, part: Part) -> CutPiece:
    sink_students = int((in_network & ~cut.student_source).sum())
    return CutPiece(
        value=cut.value,
        counted=sink_students + cut.crossing,
        open_source=part.offers[cut.open_source],
        reserved_source=part.offers[cut.reserved_source],
    )


def solve_in_parts(
    instance: Instance,
    split: Partition | None = None,
    options: SolveOptions | None = None,
    *,
    concurrency: int = 1,
    time_limit: float | None = None,
    seed: int | None = None,
    budget: float | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> Result:
    """Solve ``instance`` part by part (see the module docstring); every hard rule holds.

    Parameters
    ----------
    split
        The parts (default: :func:`stagematch.decompose.partition` with its defaults).
    options
        How to solve, as for :func:`stagematch.solve`; the keyword arguments of the same names
        override its fields. ``time_limit`` caps the whole solve when ``concurrency`` parts run
        at once; ``budget`` is the work of all parts together, shared by their estimated pairs;
        ``executor`` runs the parts (default: one after another in this process; the plan does
        not depend on it); once ``stop`` is set, the running part's search ends within about a
        second, parts not started are skipped (their students get no items, their bounds need
        no search), and ``result.stopped_by == "interrupt"``.
    concurrency
        How many parts the executor runs at once: the parts' budgets add up to about
        ``concurrency`` times the time left, so one worker given the budgets of two takes
        about twice as long, with the same plan.
    time_limit, seed, budget, workers, executor, progress, stop
        The fields of ``options``.

    Raises
    ------
    ValueError
        With ``stable`` or a ``qpv_min_share``: both rules reach across the cuts.
    """
    settings = instance.settings
    if settings.stable or parts_refused(instance):
        raise ValueError("solving by parts does not support stable plans or qpv_min_share yet")
    resolved = SolveOptions.given(
        options,
        time_limit=time_limit,
        seed=seed,
        budget=budget,
        workers=workers,
        executor=executor,
        progress=progress,
        stop=stop,
    ).resolved(settings)
    return run_parts(instance, split, resolved, concurrency)


def parts_refused(instance: Instance) -> bool:
    """Whether the instance's rules reach across any cut: stable plans (envy between students
    of two parts) or a minimum QPV share (it counts the QPV students of every part)."""
    return bool(instance.settings.stable or (instance.arrays.min_share > 0).any())


def run_parts(
    instance: Instance,
    split: Partition | None,
    options: ResolvedOptions,
    concurrency: int = 1,
    why: dict[str, object] | None = None,
) -> Result:
    """The parts solved, their plans glued and repaired, bounds for the whole instance.

    ``why``: recorded in the result's options instead of ``"method": "parts"`` when
    :func:`stagematch.solve` chose the parts itself (``method`` stays ``solve``; why it went by
    parts, for :func:`stagematch.reproduce`)."""
    settings = instance.settings
    phases = Phases(options.progress)
    limits = Limits(phases.started + options.time_limit, options.stop)
    split = split or partition(instance)
    phases.end("split")
    outcomes = _solve_parts(instance, split, options, limits, concurrency, phases.started)
    phases.end("parts")
    objective = objective_levels(settings.objective, replanning=False)
    leading = set(flow_prefix(objective)) == FLOW_LEVELS
    solved = [o for o in outcomes if o is not None]
    chosen, cand = _repair(instance, _Chosen.join(solved), leading)
    phases.end("repair")
    plan = chosen.plan(instance)
    values = plan_levels(instance, plan)
    bounds = _bounds(instance, split, outcomes, objective, values)
    phases.end("bounds")
    proven = all(np.isclose(values[lvl], bounds[lvl]) for lvl in objective)
    for done in solved:  # work done in the parts, added up over parts (not wall time)
        for name, value in done.seconds.items():
            key = f"parts_{name}"
            phases.seconds[key] = phases.seconds.get(key, 0.0) + value
    result = evaluate(
        instance,
        plan,
        status="optimal" if proven else "feasible",
        bounds=bounds,
        seconds=phases.seconds,
        seed=options.seed,
        cand=cand,
        stopped_by=limits.stopped_by,
        options={
            "method": "parts" if why is None else "solve",
            "objective": objective,
            "stable": False,
            "qpv_min_share": settings.qpv_min_share,
            **options.recorded(),
            "parts": split.n_parts,
            **(why or {}),
        },
    )
    phases.end("reasons")
    phases.total()
    return result


def _solve_parts(
    instance: Instance,
    split: Partition,
    options: ResolvedOptions,
    limits: Limits,
    concurrency: int,
    started: float,
) -> list[PartOutcome | None]:
    """Every part's outcome, in part order (``None``: skipped after a stop).

    The wall-clock cap left after the split, less a reserve for what follows, and the work
    budget are shared by estimated pairs before any part runs.
    """
    time_limit = options.time_limit
    reserve = min(120.0, options.tuning.merge_share * time_limit)
    elapsed = time.monotonic() - started
    share = max(time_limit - reserve - elapsed, 0.0) * max(concurrency, 1)
    weight = split.pairs + 1.0
    budgets = share * weight / weight.sum()
    work = options.budget * weight / weight.sum()
    runner = options.executor or InProcess()
    here = isinstance(runner, InProcess)  # a stop flag reaches parts run in this process only
    futures: dict[int, Future[PartOutcome]] = {}
    for p in np.argsort(-weight, kind="stable").tolist():  # largest first: better packing
        if limits.interrupted():
            break
        task = PartTask(
            part_instance(instance, split, p),
            float(budgets[p]),
            options.seed,
            options.workers,
            float(work[p]),
            options.tuning,
        )
        futures[p] = (
            runner.submit(solve_part, task, options.stop)
            if here
            else runner.submit(solve_part, task)
        )
    outcomes: list[PartOutcome | None] = []
    for p in range(split.n_parts):
        outcome = limits.outcome(futures.get(p))
        if outcome is not None:
            limits.note(outcome.stopped_by)
        outcomes.append(outcome)
        options.progress.on_component(p + 1, split.n_parts, int((split.student_part == p).sum()))
    return outcomes


def _bounds(
    instance: Instance,
    split: Partition,
    outcomes: list[PartOutcome | None],
    objective: list[str],
    values: dict[str, float],
) -> dict[str, float]:
    """Bounds for the whole instance from what the parts sent back (module docstring)."""
    settings = instance.settings
    solved = [o for o in outcomes if o is not None]
    if len(solved) < len(outcomes):
        # Parts skipped after a stop: their students on the sink side of the cut, and bounds
        # that need no search for the lower levels.
        skipped = [p for p, o in enumerate(outcomes) if o is None]
        bounds = {
            "qpv_placed": _glued_bound(
                instance,
                [o.cut_qpv for o in solved]
                + [_sink_piece(split, p, instance.arrays.qpv) for p in skipped],
            ),
            "placed": _glued_bound(
                instance,
                [o.cut_all for o in solved] + [_sink_piece(split, p, None) for p in skipped],
            ),
        }
        n = instance.arrays.n_students
        trivial = {
            "workshops": float(n * settings.workshops_per_student),
            "coverage": float(n * instance.n_half_days),
            "preference": 0.0,
            "travel": 0.0,
        }
        bounds.update({lvl: trivial[lvl] for lvl in objective if lvl in trivial})
        return bounds
    if all(o.closed for o in solved):
        # No student reaches another part's items: the parts are independent problems, and
        # the sum of their lexicographic optima is the whole instance's (as for components).
        return {lvl: sum(o.levels[lvl][1] for o in solved) for lvl in objective}
    bounds = {
        "qpv_placed": _glued_bound(instance, [o.cut_qpv for o in solved]),
        "placed": _glued_bound(instance, [o.cut_all for o in solved]),
    }
    lower = bounds_from_terms(
        StudentTerms.concatenate([o.terms for o in solved]),
        instance.arrays.slots.capacity,
        objective,
        _optimum_at_least(objective, values, bounds),
        bounds["placed"],
        settings.workshops_per_student,
    )
    bounds.update(lower)
    return bounds


@dataclass(frozen=True, eq=False)
class _Chosen:
    """A plan as rows of the whole instance: (student, offer) and (student, slot) pairs."""

    offer_student: IntArray
    offer_item: IntArray
    slot_student: IntArray
    slot_item: IntArray

    @staticmethod
    def join(outcomes: list[PartOutcome]) -> _Chosen:
        def joined(name: str) -> IntArray:
            return np.concatenate([getattr(o, name) for o in outcomes] or [np.zeros(0, np.int64)])

        return _Chosen(
            joined("offer_student"),
            joined("offer_item"),
            joined("slot_student"),
            joined("slot_item"),
        )

    def plan(self, instance: Instance) -> Plan:
        return instance.arrays.decode(
            np.column_stack((self.offer_student, self.offer_item)),
            np.column_stack((self.slot_student, self.slot_item)),
        )


def _optimum_at_least(
    objective: list[str], values: dict[str, float], bounds: dict[str, float]
) -> dict[str, float]:
    """The values the lexicographic optimum is sure to reach on some levels.

    The plan's value of a level bounds the optimum's from the safe side only if the optimum
    cannot have traded it for a level above: every level above is proven (the optimum reaches
    the same values there), or every level above is a flow level (both flow optima hold at
    once, so the optimum places the most students anyone can). Levels whose bound is not
    known yet count as unproven.
    """
    sure: dict[str, float] = {}
    for position, level in enumerate(objective):
        above = objective[:position]
        if all(lvl in FLOW_LEVELS for lvl in above) or all(
            lvl in bounds and np.isclose(values[lvl], bounds[lvl]) for lvl in above
        ):
            sure[level] = values[level]
    return sure


def _sink_piece(split: Partition, p: int, among: np.ndarray | None) -> CutPiece:
    """A valid piece of cut for a part never solved: every student of it (of ``among``) on
    the sink side, no offer on the source side."""
    mine = split.student_part == p
    if among is not None:
        mine &= among
    empty = np.zeros(0, dtype=np.int64)
    return CutPiece(
        value=int(mine.sum()), counted=int(mine.sum()), open_source=empty, reserved_source=empty
    )


def _glued_bound(instance: Instance, pieces: list[CutPiece]) -> float:
    """Capacity of the parts' cuts glued into one cut of the whole network (an upper bound)."""
    offers = instance.arrays.offers
    open_source = np.zeros(len(offers), dtype=bool)
    reserved_source = np.zeros(len(offers), dtype=bool)
    for piece in pieces:
        open_source[piece.open_source] = True
        reserved_source[piece.reserved_source] = True
    glued = (
        sum(piece.counted for piece in pieces)
        + int((offers.capacity - offers.reserved)[open_source].sum())
        + int(offers.reserved[reserved_source].sum())
    )
    return float(glued)


def _repair(instance: Instance, chosen: _Chosen, place: bool) -> tuple[_Chosen, Candidates]:
    """Place unplaced students on seats left free anywhere, QPV students first.

    Only when ``place``: the objective starts with ``qpv_placed`` and ``placed``, which new
    placements raise whatever they cost the levels below (with another level between them,
    a new placement could cost it a session).

    A seat held as a student's second placement counts as free too: ``placed`` ranks above
    ``coverage``, so giving it to a student without any placement is better, and the second
    placement is dropped (as is a session the new placement overlaps: ``placed`` ranks above
    ``workshops``). Returns the new plan and the eligible candidate placements of the students
    who were unplaced (what the reasons of those still unplaced need).
    """
    arrays = instance.arrays
    settings = instance.settings
    n, offers = arrays.n_students, arrays.offers
    placed = np.zeros(n, dtype=bool)
    placed[chosen.offer_student] = True
    unplaced = np.flatnonzero(~placed)
    reach = reachable(instance, "placement", students=unplaced)
    pairs = reach.select(offer_failures(arrays, reach) == 0)
    ranks = wish_ranks(instance, pairs)
    cost = compact_costs(ranks, settings.unranked_cost)
    no_slots = Pairs(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32))
    cand = Candidates(offers=pairs, offer_cost=cost, offer_rank=ranks, slots=no_slots)
    if not place:
        return chosen, cand
    # Each student's first placement (in row order) stays; any further one may give its seat.
    order = np.lexsort((chosen.offer_item, chosen.offer_student))
    student, item = chosen.offer_student[order], chosen.offer_item[order]
    spare = np.zeros(len(student), dtype=bool)
    spare[1:] = student[1:] == student[:-1]
    holder_qpv = arrays.qpv[student]
    used = np.bincount(item[~spare], minlength=len(offers))
    used_open = np.bincount(item[~spare & ~holder_qpv], minlength=len(offers))
    free = offers.capacity - used
    open_free = np.clip(offers.capacity - offers.reserved - used_open, 0, free)
    keys = pair_keys(cand)
    choice, _, _, _ = solve_placement_flow(
        n, free, free - open_free, arrays.qpv, pairs, lambda index: keys[index]
    )
    new_student = np.flatnonzero(choice >= 0)
    if not len(new_student):
        return chosen, cand
    new_item = pairs.item[choice[new_student]].astype(np.int64)
    keep = ~spare | _spares_that_fit(instance, student, item, spare, new_student, new_item)
    # A new placement wins over a session it overlaps: placed ranks above workshops.
    first = np.full(n, arrays.n_half_days, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    first[new_student] = offers.first_half_day[new_item]
    last[new_student] = offers.last_half_day[new_item]
    slots = arrays.slots
    clash = (first[chosen.slot_student] <= slots.last_half_day[chosen.slot_item]) & (
        slots.first_half_day[chosen.slot_item] <= last[chosen.slot_student]
    )
    return (
        _Chosen(
            np.concatenate((student[keep], new_student)),
            np.concatenate((item[keep], new_item)),
            chosen.slot_student[~clash],
            chosen.slot_item[~clash],
        ),
        cand,
    )


def _spares_that_fit(
    instance: Instance,
    student: IntArray,
    item: IntArray,
    spare: np.ndarray,
    new_student: IntArray,
    new_item: IntArray,
) -> np.ndarray:
    """Which second placements keep their seat once the new placements are in.

    The flow gave new students only seats no first placement holds, so on each offer the
    spares are kept while seats remain: QPV holders first (they may also use reserved seats),
    then others while open seats remain.
    """
    arrays = instance.arrays
    offers = arrays.offers
    qpv = arrays.qpv
    everyone = np.concatenate((item[~spare], new_item))
    holders = np.concatenate((student[~spare], new_student))
    seats_left = offers.capacity - np.bincount(everyone, minlength=len(offers))
    open_left = (
        offers.capacity
        - offers.reserved
        - np.bincount(everyone[~qpv[holders]], minlength=len(offers))
    )
    fits = np.zeros(len(student), dtype=bool)
    spares = np.flatnonzero(spare)
    for k in spares[np.lexsort((~qpv[student[spares]], item[spares]))].tolist():
        j = int(item[k])
        if seats_left[j] <= 0 or (not qpv[student[k]] and open_left[j] <= 0):
            continue
        fits[k] = True
        seats_left[j] -= 1
        if not qpv[student[k]]:
            open_left[j] -= 1
    return fits
