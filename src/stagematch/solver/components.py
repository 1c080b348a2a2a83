"""Stage 3, the components: independent pieces of the instance, each solved on its own.

Students and items that share no candidate pair cannot influence each other, so the connected
components of the candidate graph are solved independently; levels are sums over students, so
the sum of the components' lexicographic optima is the global one. A component with at most
``Tuning.exact_pairs`` pairs is one exact model, a picklable task (:mod:`.tasks`) for any
``concurrent.futures`` executor; a larger one is improved by neighbourhood search here, where
its candidate arrays already are (:mod:`.search`).

Work is shared among components by size before any runs: it cannot depend on which component
an executor finishes first, nor on the machine.
"""

from __future__ import annotations

from concurrent.futures import Future

from ..levels import LEVELS
from ..model import CHANGES
from .context import Chosen, SolveContext, WarmStart
from .cpsat import ComponentOutcome
from .graph import Component, Part, component_data, connected_parts, materialise
from .search import LevelTriple, search_component
from .stable import ExtraConstraints
from .tasks import ExactTask, InProcess, solve_exact, unsolved

__all__ = ["solve_components"]


_Submitted = tuple[Component, ExactTask, "Future[ComponentOutcome] | None"]


def solve_components(context: SolveContext, start: WarmStart) -> dict[str, float]:
    """Stage 3: improve ``start.chosen`` component by component; the levels' bounds, summed."""
    arrays = context.arrays
    parts = connected_parts(context.instance, context.cand, context.short)
    work = _work_shares(context, parts)
    exact = _submit_exact(context, parts, work, start.chosen)
    bounds = dict.fromkeys(context.objective, 0.0)
    for k, part in enumerate(parts):
        placed = start.flow_placed[part.students]
        flow_best = {
            "qpv_placed": float((placed & arrays.qpv[part.students]).sum()),
            "placed": float(placed.sum()),
        }
        if k in exact:
            outcome = _collect(context, exact[k], start.chosen, flow_best)
        else:
            outcome = search_component(context, part, start.chosen, work[k], flow_best)
        for lvl, (_, bound, _) in outcome.items():
            bounds[lvl] += bound
        context.options.progress.on_component(k + 1, len(parts), len(part.students))
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
    extra: ExtraConstraints | None = None
    if context.stability is not None:
        extra = context.stability.for_component(
            component.offer_pairs, data.offer_student, data.offer_item, data.offer_capacity
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


def _collect(
    context: SolveContext, submitted: _Submitted, chosen: Chosen, flow_best: dict[str, float]
) -> dict[str, LevelTriple]:
    """Write an exact component's plan into ``chosen`` and report the levels it optimised.

    ``flow_best`` (the flow's optima for the component) bounds ``qpv_placed`` and ``placed``
    of every plan, so it caps the bounds the model proves when the flow is not exact for them.
    A task never run (the search was stopped first) keeps its warm start.
    """
    component, task, future = submitted
    solved = context.limits.outcome(future)
    context.limits.note(solved.stopped_by if solved is not None else None)
    outcome = solved if solved is not None else unsolved(task)
    chosen.offer_chosen[component.offer_pairs] = outcome.offer_chosen
    chosen.slot_chosen[component.slot_pairs] = outcome.slot_chosen
    out: dict[str, LevelTriple] = {}
    for lvl, level in outcome.levels.items():
        if lvl not in context.leading:
            context.options.progress.on_level(lvl, float(level.value), float(level.bound))
        bound = min(level.bound, flow_best[lvl]) if lvl in flow_best else level.bound
        out[lvl] = (float(level.value), float(bound), bool(level.proven or level.value == bound))
    return out
