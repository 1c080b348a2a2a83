"""The exact model of a component optimised level by level with HiGHS.

The model is :mod:`.milp_model`'s: the same pair model as :mod:`.cpsat` — one binary per
candidate pair — written as sparse rows for an LP-based branch and bound. Why a MILP: on
pilot-size components the levels below ``placed`` are decided by how seats, half-days and
workshops trade off between students, and the linear relaxation of the pair model (its clique
rows for "no overlap" describe each student's calendar exactly) bounds them tightly, so HiGHS
proves them in fractions of a second where CP-SAT's search stalls (measured in
``docs/benchmarks.md``, section "Exact lower levels").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from ..arrays import BoolArray, FloatArray
from ..levels import LEVELS
from .cpsat import ComponentData, ComponentOutcome, LevelOutcome
from .groups import GroupSearch
from .highs import HighsModel
from .limits import Stop
from .milp_model import PairModel, build

__all__ = ["ITERATIONS_PER_WORK", "HighsModel", "build", "iteration_weight", "solve_component"]

COACHES = "coaches"
HIGHS_SHARE = 3
"""Below a fixed ``coaches`` level, HiGHS's own search gets this fraction (1/3) of a level's
nodes before the search on coach groups (:mod:`.groups`) takes over. HiGHS starts every level
from the plan's columns once it has made the plan (the level above's solution); below
``coaches`` its sub-MIP heuristics are off too (:data:`.highs.START_HEURISTICS_OFF`), and on
the bundled pilot with coaches it then proves
``coverage``, ``preference`` and ``travel`` in 9, 23 and 113 nodes, and the group search is not
needed there."""

ITERATIONS_PER_WORK = 25_000
"""Simplex iterations per unit of work (the ``budget``'s unit) in a model of
:data:`REFERENCE_NONZEROS` nonzeros; an iteration of a larger model counts more
(:func:`iteration_weight`). HiGHS has no deterministic clock, but its iteration counts are
deterministic, and they track its CPU where node counts do not: a root node cost 0.1 CPU s on
the bundled pilot and 16 on a 23,297-pair component, a later node 0.02 to 0.18 s, while a
weighted iteration cost 0.09 to 0.18 ms on every model measured, from the pilot to
23,297 pairs (``docs/benchmarks.md``, "The exact model's work budget, session 12"). So a unit
is 2.5 to 4 CPU s of HiGHS, on a pilot as on a 600-student bassin: the default budget of 10
ends before the 60-s cap on a 2-core machine (38 to 48 CPU s for the sweep's 300-student
components the cap used to cut), unless one root node costs more (its cut rounds are not
iterations: sweep seed 1130's ``coaches`` level). It was chosen so that the coached pilot's
second component (16,431 nonzeros, 81,000 iterations over five levels) is still proven
within its share."""

REFERENCE_NONZEROS = 10_000
"""The model size at which an iteration counts once (about the pilot's components)."""

ITERATIONS_PER_NODE = 200
"""Iterations a branch-and-bound node is expected to take (measured: 80 to 620 on the
components above). HiGHS can be stopped deterministically only on its node count, so each
level's share of the work, in weighted iterations, becomes a node cap at this rate; what the
level used is then charged in iterations. A level's root node (presolve, its first
relaxation, cuts) cannot be cut by a node cap: a level may finish past its share by one root,
and the levels after it then get less."""


def iteration_weight(nonzeros: int) -> float:
    """What one simplex iteration of a model with ``nonzeros`` counts: the square root of its
    size relative to :data:`REFERENCE_NONZEROS` (the CPU per iteration measured grew about as
    the square root of the nonzeros: 0.1 ms at 10,000, 0.5 ms at 270,000)."""
    return math.sqrt(max(nonzeros, 1) / REFERENCE_NONZEROS)


def solve_component(
    data: ComponentData,
    objective: list[str],
    fixed_levels: dict[str, int],
    hint_x: BoolArray,
    hint_y: BoolArray,
    deadline: float,
    seed: int,
    workers: int,
    *,
    work: float,
    stop: Stop | None = None,
    extend: Callable[[PairModel], PairModel] | None = None,
    until_unproven: bool = False,
) -> ComponentOutcome:
    """Optimise ``objective`` level by level with ``work`` units, as :func:`.cpsat.solve_component`.

    ``work`` becomes weighted simplex iterations (:data:`ITERATIONS_PER_WORK`), shared among
    the levels as CP-SAT's deterministic time is: each may use up to twice its share of what is
    left, capped in nodes at :data:`ITERATIONS_PER_NODE`, and a level given less than a node
    keeps the plan so far with a bound that needs no search. Iteration and node counts do not
    depend on the machine, so neither does the outcome, unless ``deadline`` (a wall-clock
    safety cap) or ``stop`` (anything with ``is_set()``) cuts a level short:
    ``outcome.stopped_by`` then says which. ``outcome.work`` is the work used (the weighted
    iterations of every run over :data:`ITERATIONS_PER_WORK`; a root node may take it past
    ``work``), as deterministic as the iteration counts: what is left of ``work`` may be
    handed to another component (:mod:`.components`).

    Each level is fixed at the value reached before the next is optimised. The hint (the flow
    and greedy plan) is kept wherever HiGHS finds nothing better in time, so the outcome is
    never worse than the hint. Levels are reported as the returned plan has them: a level
    solved without proof may still gain while the levels below are optimised. With
    ``until_unproven``, the first level left unproven is the last one solved (the outcome holds
    no level below it): another method may take over from there.
    """
    component = _Component(
        data, list(dict.fromkeys([*fixed_levels, *objective])), seed, workers, stop, extend
    )
    outcome = component.outcome = ComponentOutcome(hint_x.copy(), hint_y.copy())
    for level, value in fixed_levels.items():
        component.fix(level, value)
        outcome.levels[level] = LevelOutcome(value, value, True)
    remaining = [lvl for lvl in objective if lvl not in fixed_levels]
    left = float(work * ITERATIONS_PER_WORK)
    per_node = ITERATIONS_PER_NODE * component.weight
    for position, level in enumerate(remaining):
        time_left = deadline - time.monotonic()
        if stop is not None and stop.is_set():
            outcome.stopped_by = outcome.stopped_by or "interrupt"
        elif time_left <= 0:
            outcome.stopped_by = outcome.stopped_by or "time_limit"
        share = min(left, 2 * left / (len(remaining) - position))
        nodes = int(share // per_node) if share > 0 else 0
        value = component.value(level)
        trivial = round(LEVELS[level].trivial_bound(data))
        if outcome.stopped_by is not None or nodes <= 0 or value == trivial:
            # Keep the plan, with a bound that needs no search: met already, nothing to search.
            outcome.levels[level] = LevelOutcome(value, trivial, value == trivial)
            component.fix(level, value)
        else:
            used = component.optimise(level, nodes, deadline)
            left -= used
            outcome.work += used / ITERATIONS_PER_WORK
        if until_unproven and not outcome.levels[level].proven:
            break
    _as_returned(outcome, data)
    return outcome


class _Component:
    """A component's model in HiGHS, the plan so far, and the levels fixed so far."""

    def __init__(
        self,
        data: ComponentData,
        levels: list[str],
        seed: int,
        workers: int,
        stop: Stop | None,
        extend: Callable[[PairModel], PairModel] | None,
    ) -> None:
        self.data = data
        self.model = build(data, levels)
        if extend is not None:  # rows written elsewhere, e.g. no justified envy (.stable_milp)
            self.model = extend(self.model)
        self.highs = HighsModel(self.model, seed, workers)
        self.weight = iteration_weight(self.model.a.nnz)
        self.seed, self.workers, self.stop = seed, workers, stop
        if stop is not None:
            self.highs.interrupt_when(stop)
        self.outcome = ComponentOutcome(np.zeros(0, dtype=bool), np.zeros(0, dtype=bool))
        self.fixes: list[tuple[FloatArray, bool, float]] = []
        self.fixed: list[str] = []
        self.groups: GroupSearch | None = None
        self.columns: FloatArray | None = None  # the plan's model columns, once HiGHS made it

    def value(self, level: str) -> int:
        """``level``'s value in the plan so far."""
        x, y = self.outcome.offer_chosen, self.outcome.slot_chosen
        return round(LEVELS[level].value(self.data, x, y))

    def fix(self, level: str, value: int) -> None:
        """Keep ``level`` at ``value`` or better from now on."""
        coefs, offset = self.model.levels[level]
        maximise = LEVELS[level].maximise
        self.highs.fix(coefs, maximise, value - offset)
        self.fixes.append((coefs, maximise, value - offset))
        self.fixed.append(level)
        self.groups = None  # made again, with this row, when needed

    def optimise(self, level: str, nodes: int, deadline: float) -> float:
        """Optimise ``level`` within ``nodes``, record it and fix it; the work used (weighted
        iterations, :func:`iteration_weight`).

        HiGHS starts from the plan's columns once it has made the plan. Below a fixed
        ``coaches`` level, it gets a share of the nodes (:data:`HIGHS_SHARE`) and, if it leaves the level
        unproven, the branch and bound on coach groups (:mod:`.groups`) the rest: HiGHS proves
        most such levels quickly, but not every one whose hard choice is which groups ride.
        """
        maximise = LEVELS[level].maximise
        coefs, offset = self.model.levels[level]
        grouped = self._groups_apply()
        highs_nodes = max(nodes // HIGHS_SHARE, 1) if grouped else nodes
        time_left = deadline - time.monotonic()
        before, nodes_before = self.highs.iterations, self.highs.nodes
        solution, dual, proven = self.highs.optimise(
            coefs, maximise, time_left, highs_nodes, self.columns, heuristics=not grouped
        )
        used_nodes = max(self.highs.nodes - nodes_before, 1)
        used = (self.highs.iterations - before) * self.weight
        self.outcome.stopped_by = self.outcome.stopped_by or self.highs.cut()
        self._take(level, solution)
        value = self.value(level)
        bound = value if proven else _proven_bound(dual + offset, value, maximise, self.data, level)
        if grouped and bound != value and self.outcome.stopped_by is None:
            sign = -1.0 if maximise else 1.0
            search = self._group_search()
            before = search.relaxed.iterations + search.fixed.iterations
            searched = search.minimise(
                sign * coefs, sign * (value - offset), nodes - used_nodes, deadline
            )
            used += (search.relaxed.iterations + search.fixed.iterations - before) * self.weight
            self.outcome.stopped_by = self.outcome.stopped_by or searched.stopped_by
            self._take(level, searched.solution)
            value = self.value(level)
            bound = _tighter(bound, sign * searched.bound + offset, value, maximise)
        self.outcome.levels[level] = LevelOutcome(value, bound, proven or value == bound)
        self.fix(level, value)
        return used

    def _take(self, level: str, solution: FloatArray | None) -> None:
        """Make ``solution`` the plan unless it is worse on ``level`` (a search cut short may
        hold a solution worse than the plan so far)."""
        if solution is None:
            return
        n_x, n_y = self.model.n_x, self.model.n_y
        x = solution[:n_x] > 0.5
        y = solution[n_x : n_x + n_y] > 0.5
        kept = self.value(level)
        found = round(LEVELS[level].value(self.data, x, y))
        if found == kept or (found > kept) == LEVELS[level].maximise:
            self.outcome.offer_chosen, self.outcome.slot_chosen = x, y
            self.columns = solution

    def _groups_apply(self) -> bool:
        """Is ``coaches`` fixed, with groups to branch on?"""
        groups = self.model.group_columns.get(COACHES)
        return COACHES in self.fixed and groups is not None and len(groups[1]) > 0

    def _group_search(self) -> GroupSearch:
        if self.groups is None:
            self.groups = GroupSearch(
                self.model, self.data, COACHES, self.fixes, self.seed, self.workers
            )
            if self.stop is not None:
                self.groups.interrupt_when(self.stop)
        return self.groups


def _as_returned(outcome: ComponentOutcome, data: ComponentData) -> None:
    """Every level as the returned plan has it (a level solved without proof may have gained
    while the levels below were optimised), proven where it meets its bound."""
    for level, reached in outcome.levels.items():
        value = round(LEVELS[level].value(data, outcome.offer_chosen, outcome.slot_chosen))
        outcome.levels[level] = LevelOutcome(
            value, reached.bound, reached.proven or value == reached.bound
        )


def _tighter(bound: int, reached: float, value: int, maximise: bool) -> int:
    """The tighter of two valid bounds, ``reached`` made integral (and ignored when infinite:
    a search cut short before its first relaxation), never beyond the value reached."""
    if not math.isfinite(reached):
        return bound
    if maximise:
        return max(value, min(bound, math.floor(reached + 1e-6)))
    return min(value, max(bound, math.ceil(reached - 1e-6)))


def _proven_bound(dual: float, value: int, maximise: bool, data: ComponentData, level: str) -> int:
    """The best bound HiGHS proved, made integral and never weaker than the trivial one.

    Cut short before its first relaxation, HiGHS reports an infinite dual bound; the value
    reached is always within the bound.
    """
    trivial = round(LEVELS[level].trivial_bound(data))
    if maximise:
        proved = math.floor(dual + 1e-6) if math.isfinite(dual) else trivial
        return max(value, min(proved, trivial))
    proved = math.ceil(dual - 1e-6) if math.isfinite(dual) else trivial
    return min(value, max(proved, trivial))
