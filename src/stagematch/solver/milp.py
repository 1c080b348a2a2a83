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

__all__ = ["NODES_PER_WORK", "HighsModel", "build", "solve_component"]

COACHES = "coaches"
HIGHS_SHARE = 3
"""Below a fixed ``coaches`` level, HiGHS's own search gets this fraction (1/3) of a level's
nodes before the search on coach groups (:mod:`.groups`) takes over. HiGHS starts every level
from the plan's columns once it has made the plan (the level above's solution); below
``coaches`` its sub-MIP heuristics are off too (:data:`.highs.START_HEURISTICS_OFF`), and on
the bundled pilot with coaches it then proves
``coverage``, ``preference`` and ``travel`` in 9, 23 and 113 nodes, and the group search is not
needed there."""

NODES_PER_WORK = 100
"""Branch-and-bound nodes per unit of work (the ``budget``'s unit: about a second of one
worker). HiGHS has no deterministic clock; its node count is deterministic, so the exact model's
search is capped in nodes and the wall clock is only a safety cap. The bundled pilot and the
pilot-shaped ``p1`` and ``p2`` are proven at the root node (one node a level), bassins of up to
300 students too; a component's smallest share (``Tuning.min_component_work``) still allows 50."""


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

    ``work`` becomes branch-and-bound nodes (:data:`NODES_PER_WORK`), shared among the levels
    as CP-SAT's deterministic time is: each may use up to twice its share of what is left, and
    a level given none keeps the plan so far with a bound that needs no search. Node counts do
    not depend on the machine, so neither does the outcome, unless ``deadline`` (a wall-clock
    safety cap) or ``stop`` (anything with ``is_set()``) cuts a level short:
    ``outcome.stopped_by`` then says which. ``outcome.work`` is the work used (nodes over
    :data:`NODES_PER_WORK`), as deterministic as the node counts: what is left of ``work`` may
    be handed to another component (:mod:`.components`).

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
    nodes_left = float(work * NODES_PER_WORK)
    for position, level in enumerate(remaining):
        time_left = deadline - time.monotonic()
        if stop is not None and stop.is_set():
            outcome.stopped_by = outcome.stopped_by or "interrupt"
        elif time_left <= 0:
            outcome.stopped_by = outcome.stopped_by or "time_limit"
        nodes = int(min(nodes_left, 2 * nodes_left // (len(remaining) - position)))
        value = component.value(level)
        trivial = round(LEVELS[level].trivial_bound(data))
        if outcome.stopped_by is not None or nodes <= 0 or value == trivial:
            # Keep the plan, with a bound that needs no search: met already, nothing to search.
            outcome.levels[level] = LevelOutcome(value, trivial, value == trivial)
            component.fix(level, value)
        else:
            used = component.optimise(level, nodes, deadline)
            nodes_left -= used
            outcome.work += used / NODES_PER_WORK
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
        """Optimise ``level`` within ``nodes``, record it and fix it; the nodes used.

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
        solution, dual, proven = self.highs.optimise(
            coefs, maximise, time_left, highs_nodes, self.columns, heuristics=not grouped
        )
        used = float(self.highs.h.getInfo().mip_node_count)
        self.outcome.stopped_by = self.outcome.stopped_by or self.highs.cut()
        self._take(level, solution)
        value = self.value(level)
        bound = value if proven else _proven_bound(dual + offset, value, maximise, self.data, level)
        if grouped and bound != value and self.outcome.stopped_by is None:
            sign = -1.0 if maximise else 1.0
            search = self._group_search()
            searched = search.minimise(
                sign * coefs, sign * (value - offset), nodes - used, deadline
            )
            used += searched.nodes
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
