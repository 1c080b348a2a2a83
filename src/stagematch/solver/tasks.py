"""Work that can run anywhere: picklable tasks and the executor that runs them in this process.

A task is a frozen dataclass of numpy arrays and plain values, and its function is a top-level
function of an importable module, so any :class:`concurrent.futures.Executor` can run it: a
``ProcessPoolExecutor``, ``dask.distributed.Client.get_executor()``, a Ray pool. A task carries
its own *work* budget (HiGHS nodes), fixed before anything runs: its outcome
depends only on its inputs, not on where or when it runs or which task finished first, so the
plan is the same whatever executor runs it. It also carries a wall-clock safety cap in seconds
(never a deadline on this machine's clock); only when that cap cuts it short may the outcome
differ, and the outcome says so (``stopped_by``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from ..arrays import BoolArray
from ..levels import LEVELS
from . import milp
from .cpsat import ComponentData, ComponentOutcome, LevelOutcome, solve_component
from .limits import Stop
from .stable_milp import ModelRows, StableHooks

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True, eq=False)
class ExactTask:
    """One component small enough for an exact model, with everything it needs."""

    data: ComponentData
    objective: list[str]
    fixed: dict[str, int]  # the flow's proven levels, kept as constraints
    hint_x: BoolArray
    hint_y: BoolArray
    work: float  # all its levels' work, in HiGHS nodes over milp.NODES_PER_WORK
    seconds: float  # wall-clock safety cap
    seed: int
    workers: int
    extra: StableHooks | None = None  # no justified envy, for either model; picklable


def solve_exact(task: ExactTask, stop: Stop | None = None) -> ComponentOutcome:
    """Optimise the component's levels in order within its budget.

    The integer program (:func:`.milp.solve_component`, HiGHS) proves the lower levels of
    pilot-size components where CP-SAT stalls, with stable plans too (the rows of
    :mod:`.stable_milp`, on the pilot-shaped ``p2`` proven where CP-SAT's envy chains left four
    levels open). ``stop`` (anything with
    ``is_set()``) ends the search early; it is only given when the task runs in this process
    (a ``threading.Event`` does not travel to another one).
    """
    deadline = time.monotonic() + task.seconds
    if task.extra is not None:
        return _solve_stable(task, task.extra, deadline, stop)
    return _highs(task, deadline, stop)


def _highs(
    task: ExactTask,
    deadline: float,
    stop: Stop | None,
    extend: ModelRows | None = None,
) -> ComponentOutcome:
    """The whole task in HiGHS, every level with its share of the task's work."""
    return milp.solve_component(
        task.data,
        task.objective,
        task.fixed,
        task.hint_x,
        task.hint_y,
        deadline,
        task.seed,
        task.workers,
        work=task.work,
        stop=stop,
        extend=extend,
    )


PLACEMENT_LEVELS = ("qpv_placed", "placed")


def _solve_stable(
    task: ExactTask, hooks: StableHooks, deadline: float, stop: Stop | None
) -> ComponentOutcome:
    """CP-SAT for the placement levels that lead the objective, HiGHS for the levels below.

    Measured on the pilot-size components (docs/benchmarks.md, "Stable plans at pilot size"):
    with its envy chains CP-SAT proves how many students can be placed without justified envy
    in seconds where HiGHS, with ties in the priorities, needed over a thousand nodes; with its
    seat rows (:mod:`.stable_milp`) HiGHS proves the levels below at the root node where
    CP-SAT's search stalls. The placement levels get up to twice their share of the work, as
    any level does; HiGHS then starts from CP-SAT's plan with those levels fixed at the values
    reached, and gets the work left. Both count work deterministically.
    """
    leading: list[str] = []
    for level in task.objective:
        if level not in PLACEMENT_LEVELS:
            break
        if level not in task.fixed:
            leading.append(level)
    if not leading:
        return _highs(task, deadline, stop, extend=hooks.rows)
    remaining = [lvl for lvl in task.objective if lvl not in task.fixed]
    first = solve_component(
        task.data,
        [*task.fixed, *leading],
        task.fixed,
        task.hint_x,
        task.hint_y,
        deadline,
        task.seed,
        task.workers,
        work=min(task.work, 2 * task.work * len(leading) / len(remaining)),
        extra_constraints=hooks.chains,
        stop=stop,
    )
    fixed = {**task.fixed, **{lvl: first.levels[lvl].value for lvl in leading}}
    outcome = milp.solve_component(
        task.data,
        task.objective,
        fixed,
        first.offer_chosen,
        first.slot_chosen,
        deadline,
        task.seed,
        task.workers,
        work=max(task.work - first.work, 0.0),
        stop=stop,
        extend=hooks.rows,
    )
    for level in leading:  # as the returned plan has it, with CP-SAT's bound
        value = round(LEVELS[level].value(task.data, outcome.offer_chosen, outcome.slot_chosen))
        bound = first.levels[level].bound
        outcome.levels[level] = LevelOutcome(
            value, bound, first.levels[level].proven or value == bound
        )
    outcome.work += first.work
    outcome.stopped_by = first.stopped_by or outcome.stopped_by
    return outcome


def unsolved(task: ExactTask) -> ComponentOutcome:
    """The outcome of a task never run (the search was stopped first): its warm start, the
    levels it was given as proven, and bounds that need no search for the others."""
    outcome = ComponentOutcome(task.hint_x.copy(), task.hint_y.copy())
    for level in task.objective:
        if level in task.fixed:
            outcome.levels[level] = LevelOutcome(task.fixed[level], task.fixed[level], True)
            continue
        value = round(LEVELS[level].value(task.data, task.hint_x, task.hint_y))
        bound = round(LEVELS[level].trivial_bound(task.data))
        outcome.levels[level] = LevelOutcome(value, bound, value == bound)
    return outcome


class InProcess(Executor):
    """Runs each task when it is submitted, in this process: ``executor=None`` means this.

    The very same task functions run as with any other executor, so the plan cannot depend on
    which one was used.
    """

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to whoever waits on the future
            future.set_exception(error)
        return future
