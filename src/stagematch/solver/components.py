"""Stage 3, the components: independent pieces of the instance, each solved on its own.

Students and items that share no candidate pair cannot influence each other, so the connected
components of the candidate graph are solved independently; levels are sums over students, so
the sum of the components' lexicographic optima is the global one. A component with at most
``Tuning.exact_pairs`` pairs is one exact model, a picklable task (:mod:`.tasks`) for any
``concurrent.futures`` executor; a larger one is improved by neighbourhood search here, where
its candidate arrays already are (:mod:`.search`).

Work is shared among components by size before any runs: it cannot depend on which component
an executor finishes first, nor on the machine. What exact components leave unused (counted in
nodes or deterministic time, so again the same on every run) goes, in a second round, to those
left unproven.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import replace

from ..levels import LEVELS
from ..model import CHANGES
from .context import Chosen, SolveContext, WarmStart
from .cpsat import ComponentOutcome, LevelOutcome
from .graph import Component, Part, component_data, connected_parts, materialise
from .search import LevelTriple, search_component
from .stable_milp import StableHooks, envy_hooks
from .tasks import ExactTask, InProcess, solve_exact, unsolved

__all__ = ["solve_components"]


_Submitted = tuple[Component, ExactTask, "Future[ComponentOutcome] | None"]


def solve_components(context: SolveContext, start: WarmStart) -> dict[str, float]:
    """Stage 3: improve ``start.chosen`` component by component; the levels' bounds, summed."""
    arrays = context.arrays
    parts = connected_parts(context.instance, context.cand, context.short)
    work = _work_shares(context, parts)
    exact = _submit_exact(context, parts, work, start.chosen)
    outcomes: dict[int, ComponentOutcome] = {}
    searched: dict[int, dict[str, LevelTriple]] = {}
    flow_best: list[dict[str, float]] = []
    for k, part in enumerate(parts):
        placed = start.flow_placed[part.students]
        flow_best.append(
            {
                "qpv_placed": float((placed & arrays.qpv[part.students]).sum()),
                "placed": float(placed.sum()),
            }
        )
        if k in exact:
            outcomes[k] = _outcome(context, exact[k])
        else:
            searched[k] = search_component(context, part, start.chosen, work[k], flow_best[k])
        context.options.progress.on_component(k + 1, len(parts), len(part.students))
    _second_round(context, exact, outcomes)
    bounds = dict.fromkeys(context.objective, 0.0)
    for k in range(len(parts)):
        if k in exact:
            levels = _collect(context, exact[k][0], outcomes[k], start.chosen, flow_best[k])
        else:
            levels = searched[k]
        for lvl, (_, bound, _) in levels.items():
            bounds[lvl] += bound
    lost = context.flags.student_lost
    if CHANGES in bounds and lost is not None:
        # Students with no candidate at all are in no component; those who lost an item
        # changed all the same.
        alone = lost.copy()
        for part in parts:
            alone[part.students] = False
        bounds[CHANGES] += float(alone.sum())
    context.phases.end("components")
    return bounds


def _work_shares(context: SolveContext, parts: list[Part]) -> list[float]:
    """Each component's work: the budget shared by candidate pairs, at least a minimum."""
    budget, least = context.options.budget, context.tuning.min_component_work
    weight = sum(_weight(p) for p in parts)
    return [max(budget * _weight(p) / max(weight, 1), least) for p in parts]


def _weight(part: Part) -> int:
    """A component's share of the work grows with its candidate pairs."""
    return part.n_pairs + 1


def _submit_exact(
    context: SolveContext, parts: list[Part], work: list[float], chosen: Chosen
) -> dict[int, _Submitted]:
    """Every component small enough for an exact model, as a task handed to the executor."""
    options, limits, cand = context.options, context.limits, context.cand
    n = context.arrays.n_students
    offer_ptr, slot_ptr = cand.offers.indptr(n), cand.slots.indptr(n)
    runner = options.executor or InProcess()
    here = isinstance(runner, InProcess)  # a stop flag reaches tasks run in this process only
    largest = context.tuning.stable_exact_pairs if options.stable else context.tuning.exact_pairs
    exact: dict[int, _Submitted] = {}
    for k, part in enumerate(parts):
        if part.n_pairs > largest:
            continue
        component = materialise(part, offer_ptr, slot_ptr)
        task = _exact_task(context, component, chosen, work[k])
        future = None
        if not limits.exhausted():
            future = (
                runner.submit(solve_exact, task, options.stop)
                if here
                else runner.submit(solve_exact, task)
            )
        exact[k] = (component, task, future)
    return exact


def _exact_task(
    context: SolveContext, component: Component, chosen: Chosen, work: float
) -> ExactTask:
    """The component as a self-contained task: its data, warm start, levels and budget."""
    data = component_data(context, component)
    hint_x = chosen.offer_chosen[component.offer_pairs]
    hint_y = chosen.slot_chosen[component.slot_pairs]
    fixed = {lvl: round(LEVELS[lvl].value(data, hint_x, hint_y)) for lvl in context.leading}
    extra: StableHooks | None = None
    if context.stability is not None:
        extra = envy_hooks(
            context.stability,
            component.offer_pairs,
            data.offer_student,
            data.offer_item,
            data.offer_capacity,
        )
    options = context.options
    return ExactTask(
        data,
        context.objective,
        fixed,
        hint_x,
        hint_y,
        work,
        context.limits.seconds_left(),
        options.seed,
        options.workers,
        extra,
    )


def _outcome(context: SolveContext, submitted: _Submitted) -> ComponentOutcome:
    """An exact component's outcome; a task never run (the search was stopped first) keeps
    its warm start."""
    _, task, future = submitted
    solved = context.limits.outcome(future)
    context.limits.note(solved.stopped_by if solved is not None else None)
    return solved if solved is not None else unsolved(task)


def _second_round(
    context: SolveContext, exact: dict[int, _Submitted], outcomes: dict[int, ComponentOutcome]
) -> None:
    """Hand the work the exact components left unused to those left unproven, once.

    Each exact component spends at most its share; HiGHS's node counts (and CP-SAT's
    deterministic time) say how much it used, the same on every run, so the work left over
    is too. It is shared among the unproven components in proportion to their first shares,
    all fixed before any runs again; each solves anew from its first unproven level, the
    levels proven before it kept as constraints and its plan as the hint, so it never ends
    worse than the first round. Nothing is handed on once the wall-clock cap or the stop flag
    has cut the search: the work used would then depend on the machine. The cap is looked at
    only when there is something left to do: a solve whose every component was proven before
    the cap passed was not cut by it, however loaded the machine.
    """
    if context.limits.stopped_by is not None:
        return
    spare = sum(max(exact[k][1].work - outcomes[k].work, 0.0) for k in sorted(exact))
    unproven = [k for k in sorted(exact) if not all(o.proven for o in outcomes[k].levels.values())]
    weight = sum(exact[k][1].work for k in unproven)
    if not unproven or spare <= 0 or spare < context.tuning.min_component_work:
        return
    if context.limits.exhausted():
        return
    runner = context.options.executor or InProcess()
    here = isinstance(runner, InProcess)
    again: dict[int, tuple[ExactTask, Future[ComponentOutcome]]] = {}
    for k in unproven:
        task = _resumed(exact[k][1], outcomes[k], spare * exact[k][1].work / weight)
        task = replace(task, seconds=context.limits.seconds_left())
        future = (
            runner.submit(solve_exact, task, context.options.stop)
            if here
            else runner.submit(solve_exact, task)
        )
        again[k] = (task, future)
    for k, (task, future) in again.items():
        solved = context.limits.outcome(future)
        if solved is None:
            continue
        context.limits.note(solved.stopped_by)
        outcomes[k] = _merged(task, outcomes[k], solved)


def _resumed(task: ExactTask, outcome: ComponentOutcome, work: float) -> ExactTask:
    """``task`` again with ``work``: its levels proven so far (in objective order, up to the
    first unproven one) fixed, its plan so far as the hint."""
    fixed = dict(task.fixed)
    for level in task.objective:
        reached = outcome.levels[level]
        if not reached.proven:
            break
        fixed[level] = round(reached.value)
    return replace(
        task, fixed=fixed, hint_x=outcome.offer_chosen, hint_y=outcome.slot_chosen, work=work
    )


def _merged(task: ExactTask, first: ComponentOutcome, second: ComponentOutcome) -> ComponentOutcome:
    """The second round's outcome, unless it is lexicographically worse than the first (it
    starts from the first's plan, so it never should), with the first unproven level's bound
    the tighter of the two: both are conditional on the same levels fixed before it."""
    for level in task.objective:
        old, new = first.levels[level], second.levels[level]
        if old.value != new.value:
            if (new.value > old.value) != LEVELS[level].maximise:
                return first
            break
    level = next(lvl for lvl in task.objective if lvl not in task.fixed)
    old, new = first.levels[level], second.levels[level]
    bound = (min if LEVELS[level].maximise else max)(old.bound, new.bound)
    second.levels[level] = LevelOutcome(new.value, bound, new.proven or bound == new.value)
    return second


def _collect(
    context: SolveContext,
    component: Component,
    outcome: ComponentOutcome,
    chosen: Chosen,
    flow_best: dict[str, float],
) -> dict[str, LevelTriple]:
    """Write an exact component's plan into ``chosen`` and report the levels it optimised.

    ``flow_best`` (the flow's optima for the component) bounds ``qpv_placed`` and ``placed``
    of every plan, so it caps the bounds the model proves when the flow is not exact for them.
    """
    chosen.offer_chosen[component.offer_pairs] = outcome.offer_chosen
    chosen.slot_chosen[component.slot_pairs] = outcome.slot_chosen
    out: dict[str, LevelTriple] = {}
    for lvl, level in outcome.levels.items():
        if lvl not in context.leading:
            context.options.progress.on_level(lvl, float(level.value), float(level.bound))
        bound = min(level.bound, flow_best[lvl]) if lvl in flow_best else level.bound
        out[lvl] = (float(level.value), float(bound), bool(level.proven or level.value == bound))
    return out
