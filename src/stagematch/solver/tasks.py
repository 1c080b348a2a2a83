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

import itertools
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
    work: float  # all its levels' work (HiGHS: milp.ITERATIONS_PER_WORK)
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


STABLE_WORK = 6.0
"""A stable exact component gets this many times its share of the budget (and reports the
work it used in budget units, divided back). Measured on the bundled pilot's 52-student
component (docs/benchmarks.md, "Stable plans at pilot size, session 10"): CP-SAT with its
envy chains needs 28 units of deterministic time to prove its six levels, where the default
budget of 10 gives the component 6 (24 units at 4 times: ``coverage`` was left unproven at
729 / 776, the rest then came from a second round that rebuilds the models), and HiGHS with
the seat rows needs thousands of nodes a level there."""

HIGHS_FIRST_WORK = 1.0
"""Work HiGHS gets first on each level below the placement levels (25,000 weighted simplex
iterations, :data:`.milp.ITERATIONS_PER_WORK`; one model for them all, so a level may use
what the levels before it left): on ``p2`` it proves
``workshops`` to ``preference`` at the root node and ``travel`` in 119 nodes (with 20 nodes a
level ``travel`` was left unproven and CP-SAT needed 22 units for it); where it does not (the
bundled pilot's 52-student component: 4,159 nodes for ``workshops``), CP-SAT gets the rest of
the level's share, and the levels after it (:data:`HIGHS_AFTER_FAILURE`)."""

HIGHS_LEAST_WORK = 0.1
"""A level given less work than this goes to CP-SAT alone: HiGHS's root node (presolve, cuts)
costs the same whatever its node limit, about 10 CPU s a level on the pilot's 52-student
component with the seat rows (tiny budgets, as in ``tests/solver/test_levels.py``)."""


HIGHS_AFTER_FAILURE = False
"""Whether HiGHS is still tried first on the levels below one it left unproven. No: where its
relaxation with the seat rows is weak on one level of a component it has been weak on the
next ones too (the bundled pilot's 52-student component: ``workshops``, then ``coverage``
with 8,564 nodes), and each try costs its root node (presolve, cuts, a restart), about 10 CPU
s a level there, for nothing; on ``p2`` HiGHS proves every level up to ``travel``, the last."""


def _solve_stable(
    task: ExactTask, hooks: StableHooks, deadline: float, stop: Stop | None
) -> ComponentOutcome:
    """CP-SAT with its envy chains for the placement levels that lead the objective; below
    them, each level HiGHS with its seat rows for a few nodes, then CP-SAT with the chains from
    HiGHS's plan if HiGHS left it unproven.

    Measured on the pilot-size components (docs/benchmarks.md, "Stable plans exact at pilot
    size, session 9"): on the bundled pilot's 52-student component CP-SAT proves all six
    levels in 28 units, where HiGHS needed 4,159 and 8,564 nodes for ``workshops`` and
    ``coverage`` alone (its relaxation, with seat rows, pairwise rows or both, leaves
    ``workshops`` at 55.1 for an optimum of 49: a student may hold a fifth of a placement to
    license a full offer below them); on ``p2`` HiGHS proves the lower levels at the root node
    where CP-SAT stalls. Each level may use up to twice its share of the work left, as in
    :func:`.milp.solve_component`; both solvers count work deterministically.
    """
    work = task.work * STABLE_WORK
    fixed = dict(task.fixed)
    outcome = ComponentOutcome(task.hint_x.copy(), task.hint_y.copy())
    for level, value in fixed.items():
        outcome.levels[level] = LevelOutcome(value, value, True)
    remaining = [lvl for lvl in task.objective if lvl not in fixed]
    leading = list(itertools.takewhile(lambda lvl: lvl in PLACEMENT_LEVELS, remaining))
    if leading:
        share = min(work, 2 * work * len(leading) / len(remaining))
        first = _cpsat(task, hooks, [*fixed, *leading], fixed, outcome, share, deadline, stop)
        for level in leading:
            outcome.levels[level] = first.levels[level]
            fixed[level] = first.levels[level].value
    lower = remaining[len(leading) :]
    tried: LevelOutcome | None = None
    if lower and work - outcome.work >= HIGHS_LEAST_WORK * len(lower):
        left = work - outcome.work
        done, tried = _highs_first(task, hooks, lower, fixed, outcome, left, deadline, stop)
        lower = lower[len(done) :]
    highs = True  # until HiGHS leaves a level unproven
    for position, level in enumerate(lower):
        left = max(work - outcome.work, 0.0)
        share = min(left, 2 * left / (len(lower) - position))
        reached, highs = _stable_level(
            task, hooks, level, fixed, outcome, share, deadline, stop, tried, highs=highs
        )
        tried = None
        outcome.levels[level] = reached
        fixed[level] = reached.value
    for level, reached in outcome.levels.items():  # as the returned plan has them
        value = round(LEVELS[level].value(task.data, outcome.offer_chosen, outcome.slot_chosen))
        proven = reached.proven or value == reached.bound
        outcome.levels[level] = LevelOutcome(value, reached.bound, proven)
    outcome.work /= STABLE_WORK
    return outcome


def _highs_first(
    task: ExactTask,
    hooks: StableHooks,
    lower: list[str],
    fixed: dict[str, int],
    outcome: ComponentOutcome,
    work: float,
    deadline: float,
    stop: Stop | None,
) -> tuple[list[str], LevelOutcome | None]:
    """HiGHS with its seat rows on the levels below the placement levels, in one model, with
    :data:`HIGHS_FIRST_WORK` a level (at most ``work`` in all), up to the first it leaves
    unproven; the levels proven, and what HiGHS reached on that one.

    One model for all of them, not one a level: its presolve and relaxation are done once, and
    ``p2`` (where HiGHS proves every lower level at the root node) is proven through
    ``preference`` within its 30-s cap again. ``outcome`` and ``fixed`` take what is proven.
    """
    work = min(max(work, 0.0), HIGHS_FIRST_WORK * len(lower))
    solved = _seat_rows(task, hooks, lower, fixed, outcome, work, deadline, stop)
    proven = list(itertools.takewhile(lambda lvl: solved.levels[lvl].proven, lower))
    for level in proven:
        outcome.levels[level] = solved.levels[level]
        fixed[level] = solved.levels[level].value
    unproven = lower[len(proven)] if len(proven) < len(lower) else None
    return proven, None if unproven is None else solved.levels[unproven]


def _stable_level(
    task: ExactTask,
    hooks: StableHooks,
    level: str,
    fixed: dict[str, int],
    outcome: ComponentOutcome,
    work: float,
    deadline: float,
    stop: Stop | None,
    tried: LevelOutcome | None = None,
    *,
    highs: bool = True,
) -> tuple[LevelOutcome, bool]:
    """One level below the placement levels, those before it ``fixed``: HiGHS first (unless
    it was ``tried`` already, from the plan in ``outcome``, or ``highs`` is false), then CP-SAT.
    ``outcome`` takes the plan, the work used and what cut the search short. Returns what the
    level reached and whether HiGHS should be tried on the next level: not once it has left
    one unproven (:data:`HIGHS_AFTER_FAILURE`)."""
    if tried is not None:
        reached = _then_cpsat(task, hooks, level, fixed, outcome, tried, work, deadline, stop)
        return reached, HIGHS_AFTER_FAILURE
    if not highs or work < HIGHS_LEAST_WORK:  # CP-SAT alone
        solved = _cpsat(task, hooks, [*fixed, level], fixed, outcome, work, deadline, stop)
        return solved.levels[level], highs
    first = _seat_rows(
        task, hooks, [level], fixed, outcome, min(work, HIGHS_FIRST_WORK), deadline, stop
    )
    left = work - first.work
    tried = first.levels[level]
    reached = _then_cpsat(task, hooks, level, fixed, outcome, tried, left, deadline, stop)
    return reached, tried.proven or HIGHS_AFTER_FAILURE


def _then_cpsat(
    task: ExactTask,
    hooks: StableHooks,
    level: str,
    fixed: dict[str, int],
    outcome: ComponentOutcome,
    reached: LevelOutcome,
    work: float,
    deadline: float,
    stop: Stop | None,
) -> LevelOutcome:
    """CP-SAT with ``work`` on ``level`` where HiGHS ``reached`` no proof; the tighter bound."""
    if reached.proven or outcome.stopped_by is not None or work <= 0:
        return reached
    second = _cpsat(task, hooks, [*fixed, level], fixed, outcome, work, deadline, stop)
    found = second.levels[level]
    tighter = min if LEVELS[level].maximise else max
    bound = tighter(reached.bound, found.bound)
    return LevelOutcome(found.value, bound, found.proven or found.value == bound)


def _seat_rows(
    task: ExactTask,
    hooks: StableHooks,
    levels: list[str],
    fixed: dict[str, int],
    outcome: ComponentOutcome,
    work: float,
    deadline: float,
    stop: Stop | None,
) -> ComponentOutcome:
    """HiGHS with the seat rows on ``levels`` from ``outcome``'s plan, up to the first it leaves
    unproven; ``outcome`` takes what it finds."""
    solved = milp.solve_component(
        task.data,
        [*fixed, *levels],
        fixed,
        outcome.offer_chosen,
        outcome.slot_chosen,
        deadline,
        task.seed,
        task.workers,
        work=work,
        stop=stop,
        extend=hooks.rows,
        until_unproven=True,
    )
    _take(outcome, solved)
    return solved


def _cpsat(
    task: ExactTask,
    hooks: StableHooks,
    objective: list[str],
    fixed: dict[str, int],
    outcome: ComponentOutcome,
    work: float,
    deadline: float,
    stop: Stop | None,
) -> ComponentOutcome:
    """CP-SAT with the envy chains from ``outcome``'s plan; ``outcome`` takes what it finds."""
    solved = solve_component(
        task.data,
        objective,
        fixed,
        outcome.offer_chosen,
        outcome.slot_chosen,
        deadline,
        task.seed,
        task.workers,
        work=work,
        extra_constraints=hooks.chains,
        stop=stop,
    )
    _take(outcome, solved)
    return solved


def _take(outcome: ComponentOutcome, solved: ComponentOutcome) -> None:
    """Keep ``solved``'s plan (never worse than the hint it was given), its work and cut."""
    outcome.offer_chosen, outcome.slot_chosen = solved.offer_chosen, solved.slot_chosen
    outcome.work += solved.work
    outcome.stopped_by = outcome.stopped_by or solved.stopped_by


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
