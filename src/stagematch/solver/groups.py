"""Branch and bound on coach groups, for a level below ``coaches`` that HiGHS leaves unproven.

Why: once ``coaches`` is fixed, the hard choice of the levels below is *which (session, school)
groups ride*. With the groups fixed, the linear relaxation of each level equals (or nearly
equals) its optimum and HiGHS proves it at its root; with them free, the relaxation lets a
school's coach be split over several sessions (0.33 / 0.67) and a small school ride with 0.57
of a coach, and HiGHS 1.16 branches on placements, not on that joint choice
(``docs/concepts/transport.md``). So this search branches on the groups alone, one *unit* at a
time — the groups of one workshop linked by shared students, i.e. one school's coaches to one
workshop — first on how many coaches the unit gets (a row per unit, its bounds fixed by the
node), then on which of its sessions get them (one child per choice). Each node is bounded by
the model's linear relaxation (HiGHS's dual simplex, warm from the last basis: a node only
changes column and row bounds); a node whose groups are all fixed is solved by HiGHS as a MILP
with those groups fixed. Best first: the bound of the level is the least bound of the nodes
left open, so it is valid whenever the search stops.

Work is counted, not timed: an LP is :data:`LPS_PER_NODE`-th of a branch-and-bound node, a
group-fixed MILP its own nodes; the budget is given in nodes
(:data:`.milp.ITERATIONS_PER_NODE`), and :mod:`.milp` charges the simplex iterations its
LPs and MILPs took (:attr:`.highs.HighsModel.iterations`).
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from ..arrays import FloatArray, IntArray, members_by_key
from ..levels import LEVELS
from .cpsat import ComponentData
from .highs import HighsModel
from .limits import Stop, StoppedBy
from .milp_model import INF, PairModel

__all__ = ["LPS_PER_NODE", "GroupSearch", "Searched", "group_units"]

LPS_PER_NODE = 4
"""Warm-started LPs counted as one branch-and-bound node. Measured on the pilot's 52-student
component (``benchmarks/transport.py --levels``): a node of HiGHS's own search costs about
55 ms there, an LP of this search 11-17 ms."""

MAX_CHILDREN = 64
"""A unit with more session choices than this is split on one group column instead (two
children), so that no node makes a combinatorial number of children."""

_EPS = 1e-6
_INFEASIBLE = (
    highspy.HighsModelStatus.kInfeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible,  # every column is bounded
)


def _integral(bound: float) -> float:
    """The least whole number at least ``bound`` (up to rounding): a lower bound of an
    objective integral on integral points, as tight as it can be. Nodes whose relaxation is
    above ``best − 1`` are left open, not pruned, so the least open bound may be fractional
    (−0.5 where 0 is reached and proven, found by a hypothesis draw)."""
    return float(math.ceil(bound - _EPS)) if math.isfinite(bound) else bound


def _may_beat(bound: float, best: float) -> bool:
    """Can a node of relaxed value ``bound`` hold an integral point below ``best`` (the
    objective is integral on integral points)?"""
    return bound < best - 1 + _EPS


@dataclass
class Searched:
    """What the search reached: a better solution (model columns, ``None``: none better than the
    incumbent), a valid bound of the minimised objective, the work used in nodes (relaxations
    solved and group-fixed MILPs, counted for benchmarks), and what cut it short (``None``: the
    proof or the node budget)."""

    solution: FloatArray | None
    bound: float
    nodes: float
    relaxations: int
    fixed_milps: int
    stopped_by: StoppedBy | None = None


@dataclass(order=True)
class _Node:
    bound: float
    order: int
    lower: FloatArray = field(compare=False)  # per group column
    upper: FloatArray = field(compare=False)
    count_lower: FloatArray = field(compare=False)  # per unit: its coaches
    count_upper: FloatArray = field(compare=False)


def group_units(data: ComponentData, model: PairModel, key: str) -> list[IntArray]:
    """The units of ``key``'s group columns (positions in ``model.group_columns[key]``): groups
    of one workshop, joined where one student could ride with either — one school's groups to
    one workshop's sessions. Any partition would keep the search exact; this one makes each
    branching a choice the relaxation splits."""
    groups, _ = model.group_columns[key]
    term = next(t for t in LEVELS[key].linear(data).groups if t.key == key)
    members = members_by_key(term.slot_group, len(term.outside))
    parent = list(range(len(groups)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[tuple[int, int], int] = {}
    for i, g in enumerate(groups.tolist()):
        pairs = members[g]
        for student, workshop in zip(
            data.slot_student[pairs].tolist(), data.slot_workshop[pairs].tolist(), strict=True
        ):
            seen = first_of.setdefault((student, workshop), i)
            parent[root(i)] = root(seen)
    units: dict[int, list[int]] = {}
    for i in range(len(groups)):
        units.setdefault(root(i), []).append(i)
    return [np.array(unit, dtype=np.int64) for unit in units.values()]


class GroupSearch:
    """Two HiGHS instances of the model, the levels above fixed: one relaxed (with a count row
    per unit) for the nodes, one integral for the nodes whose groups are all fixed."""

    def __init__(
        self,
        model: PairModel,
        data: ComponentData,
        key: str,
        fixes: list[tuple[FloatArray, bool, float]],
        seed: int,
        threads: int,
    ) -> None:
        self.relaxed = HighsModel(model, seed, threads)
        self.relaxed.h.changeColsIntegrality(
            model.n_cols, self.relaxed.all_cols, np.zeros(model.n_cols, dtype=np.int32)
        )
        self.fixed = HighsModel(model, seed, threads)
        for coefs, maximise, value in fixes:
            self.relaxed.fix(coefs, maximise, value)
            self.fixed.fix(coefs, maximise, value)
        _, cols = model.group_columns[key]
        self.cols = cols.astype(np.int32)
        self.units = group_units(data, model, key)
        self.lower = model.lower[cols].copy()
        self.upper = model.upper[cols].copy()
        first = self.relaxed.h.getNumRow()
        for unit in self.units:
            most = float(self.upper[unit].sum())
            self.relaxed.h.addRow(0.0, most, len(unit), self.cols[unit], np.ones(len(unit)))
        self.count_rows = np.arange(first, first + len(self.units), dtype=np.int32)
        self.limit = INF  # the most coaches in all, once the group level is fixed
        for coefs, maximise, value in fixes:
            if not maximise and np.array_equal(np.flatnonzero(coefs), np.sort(cols)):
                self.limit = min(self.limit, value)

    def interrupt_when(self, stop: Stop) -> None:
        self.relaxed.interrupt_when(stop)
        self.fixed.interrupt_when(stop)

    def minimise(
        self, cost: FloatArray, incumbent: float, nodes: float, deadline: float
    ) -> Searched:
        """Minimise ``cost`` (integral on integral points) below ``incumbent``, the value of a
        known solution, within ``nodes``; the best solution found and a valid bound."""
        h = self.relaxed.h
        h.changeColsCost(self.relaxed.n, self.relaxed.all_cols, cost)
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        counts = np.array([self.upper[unit].sum() for unit in self.units])
        heap = [_Node(-INF, 0, self.lower, self.upper, np.zeros(len(self.units)), counts)]
        made = 1
        best, solution = incumbent, None
        lps, fixed_nodes, milps = 0, 0, 0
        unfinished = INF  # the least bound of group-fixed MILPs cut short
        stopped: StoppedBy | None = None
        while heap and _may_beat(heap[0].bound, best):
            if lps / LPS_PER_NODE + fixed_nodes >= nodes:
                break
            if time.monotonic() >= deadline:
                stopped = "time_limit"
                break
            node = heap[0]
            solved, value, groups = self._relax(node, deadline - time.monotonic())
            if not solved:  # cut short (or failed): the node stays open, its bound valid
                stopped = self.relaxed.cut()
                break
            heapq.heappop(heap)
            lps += 1
            if value is None or not _may_beat(value, best):
                continue
            unit = self._branching_unit(node, groups)
            if unit is None:  # every group fixed: the MILP of this configuration
                left = max(int(nodes - lps / LPS_PER_NODE - fixed_nodes), 1)
                found, bound, proven = self._solve_fixed(node, cost, deadline, left)
                fixed_nodes += max(int(self.fixed.h.getInfo().mip_node_count), 1)
                milps += 1
                if found is not None and float(cost @ found) < best - 0.5:
                    best, solution = round(float(cost @ found)), found
                if not proven and self.fixed.status not in _INFEASIBLE:  # else: no plan, closed
                    unfinished = min(unfinished, max(bound, value))
                    stopped = stopped or self.fixed.cut()
                continue
            for child in self._children(node, unit, groups, value):
                heapq.heappush(heap, _Node(value, made, *child))
                made += 1
        open_bound = min((node.bound for node in heap), default=INF)
        bound = min(best, _integral(min(open_bound, unfinished)))
        work = lps / LPS_PER_NODE + fixed_nodes
        return Searched(solution, bound, work, lps, milps, stopped)

    def _relax(self, node: _Node, seconds: float) -> tuple[bool, float | None, FloatArray]:
        """The node's relaxation: solved or not, its value (``None``: infeasible) and group
        columns."""
        h = self.relaxed.h
        h.changeColsBounds(len(self.cols), self.cols, node.lower, node.upper)
        h.changeRowsBounds(
            len(self.count_rows), self.count_rows, node.count_lower, node.count_upper
        )
        self.relaxed.limit_time(seconds)
        self.relaxed.run()
        status = self.relaxed.status = h.getModelStatus()
        if status in _INFEASIBLE:
            return True, None, self.lower
        if status != highspy.HighsModelStatus.kOptimal:
            return False, None, self.lower
        values = np.asarray(h.getSolution().col_value, dtype=np.float64)[self.cols]
        return True, float(h.getInfo().objective_function_value), values

    def _solve_fixed(
        self, node: _Node, cost: FloatArray, deadline: float, nodes: int
    ) -> tuple[FloatArray | None, float, bool]:
        self.fixed.h.changeColsBounds(len(self.cols), self.cols, node.lower, node.upper)
        return self.fixed.optimise(cost, False, deadline - time.monotonic(), nodes)

    def _branching_unit(self, node: _Node, groups: FloatArray) -> IntArray | None:
        """The open unit whose groups the relaxation splits most (``None``: all fixed)."""
        best: IntArray | None = None
        best_split = -1.0
        for unit in self.units:
            if np.all(node.lower[unit] == node.upper[unit]):
                continue
            values = groups[unit]
            split = float(np.minimum(values - np.floor(values), np.ceil(values) - values).sum())
            if split > best_split + _EPS:
                best, best_split = unit, split
        return best

    def _children(
        self, node: _Node, unit: IntArray, groups: FloatArray, value: float
    ) -> list[tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
        """A partition of ``node``: by the unit's count of coaches while it is open, then by
        the unit's sessions (a group column's two sides for a unit with too many choices).
        Children that need more coaches than the level above allows are left out."""
        u = next(i for i, other in enumerate(self.units) if other is unit)
        low, high = int(node.count_lower[u]), int(node.count_upper[u])
        if low < high:
            children = []
            for k in range(low, high + 1):
                count_lower, count_upper = node.count_lower.copy(), node.count_upper.copy()
                count_lower[u] = count_upper[u] = k
                if self._fits(node.lower, count_lower):
                    children.append((node.lower, node.upper, count_lower, count_upper))
            return children
        ranges = [range(int(node.lower[g]), int(node.upper[g]) + 1) for g in unit.tolist()]
        if math.prod(len(r) for r in ranges) > MAX_CHILDREN:
            return self._split_column(node, unit, groups)
        children = []
        for combo in itertools.product(*ranges):
            if sum(combo) != low:
                continue
            lower, upper = node.lower.copy(), node.upper.copy()
            lower[unit] = upper[unit] = combo
            children.append((lower, upper, node.count_lower, node.count_upper))
        return children

    def _split_column(
        self, node: _Node, unit: IntArray, groups: FloatArray
    ) -> list[tuple[FloatArray, FloatArray, FloatArray, FloatArray]]:
        """Two children on the unit's most fractional open group column (or its first open
        one: at or below its relaxed value, and above)."""
        free = unit[node.lower[unit] < node.upper[unit]]
        values = groups[free]
        split = np.minimum(values - np.floor(values), np.ceil(values) - values)
        g = int(free[int(np.argmax(split))])
        at = min(math.floor(groups[g] + _EPS), int(node.upper[g]) - 1)
        below_upper, above_lower = node.upper.copy(), node.lower.copy()
        below_upper[g], above_lower[g] = at, at + 1
        return [
            (node.lower, below_upper, node.count_lower, node.count_upper),
            (above_lower, node.upper, node.count_lower, node.count_upper),
        ]

    def _fits(self, lower: FloatArray, count_lower: FloatArray) -> bool:
        """Do the coaches a node already needs stay within the limit?"""
        least = sum(
            max(float(count_lower[u]), float(lower[unit].sum()))
            for u, unit in enumerate(self.units)
        )
        return least <= self.limit + _EPS
