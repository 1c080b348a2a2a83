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

import highspy
import numpy as np

from ..arrays import BoolArray, FloatArray
from ..levels import LEVELS
from .cpsat import ComponentData, ComponentOutcome, LevelOutcome
from .limits import Stop, StoppedBy
from .milp_model import INF, PairModel, build

__all__ = ["NODES_PER_WORK", "HighsModel", "build", "solve_component"]

NODES_PER_WORK = 100
"""Branch-and-bound nodes per unit of work (the ``budget``'s unit: about a second of one
worker). HiGHS has no deterministic clock; its node count is deterministic, so the exact model's
search is capped in nodes and the wall clock is only a safety cap. The bundled pilot and the
pilot-shaped ``p1`` and ``p2`` are proven at the root node (one node a level), bassins of up to
300 students too; a component's smallest share (``Tuning.min_component_work``) still allows 50."""


class HighsModel:
    """One HiGHS instance holding the model; levels are set, solved and fixed in turn."""

    def __init__(self, model: PairModel, seed: int, threads: int) -> None:
        # The core class: ``highspy.Highs`` installs a logging callback that prints a banner
        # on stdout before any option can be set, which would corrupt ``solve --json -``.
        h = highspy._Highs()  # type: ignore[attr-defined]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", int(seed))
        h.setOptionValue("threads", int(threads))
        # Level values are integers: a gap below one proves them exactly (the default
        # relative gap of 1e-4 would accept a travel 1 minute worse on 10,000).
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.5)
        a = model.a
        n = model.n_cols
        status = h.passModel(
            n,
            a.shape[0],
            a.nnz,
            int(highspy.MatrixFormat.kRowwise),
            int(highspy.ObjSense.kMinimize),
            0.0,
            np.zeros(n),
            model.lower,
            model.upper,
            model.row_lower,
            model.row_upper,
            np.asarray(a.indptr, dtype=np.int32),
            np.asarray(a.indices, dtype=np.int32),
            np.asarray(a.data, dtype=np.float64),
            np.ones(n, dtype=np.int32),
        )
        if status != highspy.HighsStatus.kOk:  # pragma: no cover - a bug in build()
            raise RuntimeError(f"HiGHS refused the model: {status}")
        self.h = h
        self.n = n
        self.all_cols = np.arange(n, dtype=np.int32)
        self.status = highspy.HighsModelStatus.kNotset

    def interrupt_when(self, stop: Stop) -> None:
        """Let HiGHS end its search (simplex and branch and bound) once ``stop`` is set."""

        def check(kind: int, message: str, out: object, given: object, user: object) -> None:
            if stop.is_set():
                given.user_interrupt = True  # type: ignore[attr-defined]

        self.h.setCallback(check, None)
        for kind in (highspy.cb.kCallbackMipInterrupt, highspy.cb.kCallbackSimplexInterrupt):
            self.h.startCallback(kind)

    def optimise(
        self, coefs: FloatArray, maximise: bool, seconds: float, nodes: int
    ) -> tuple[FloatArray | None, float, bool]:
        """The best solution found (``None``: none), the proven bound, and whether it is proven.

        No start solution is passed: with one, HiGHS 1.16 sometimes reports an optimum that
        presolve found but returns the start's columns (a small pilot-shaped instance: optimum
        2, columns worth 1, status optimal), and on pilot-size components it did not make the
        solve measurably faster. A returned solution whose objective differs from the one HiGHS
        reports is therefore never taken as proven.
        """
        h = self.h
        h.changeColsCost(self.n, self.all_cols, coefs)
        h.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        )
        self.limit_time(seconds)
        h.setOptionValue("mip_max_nodes", int(nodes))
        h.run()
        info = h.getInfo()
        self.status = h.getModelStatus()
        proven = self.status == highspy.HighsModelStatus.kOptimal
        bound = float(info.mip_dual_bound)
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            return None, bound, False
        solution: FloatArray = np.rint(np.asarray(h.getSolution().col_value, dtype=np.float64))
        consistent = abs(float(coefs @ solution) - info.objective_function_value) < 0.5
        return solution, bound, bool(proven and consistent)

    def limit_time(self, seconds: float) -> None:
        """Let the next run last at most ``seconds`` (at least 0.01).

        HiGHS 1.16 compares ``time_limit`` with the time of *all* runs of an instance, not of
        the next one (ERGO-Code/HiGHS#1477, to change in 2.0): without the offset, each level
        had its share minus the time of the levels before it (a 1,000-student bassin: the
        relaxation of ``coaches`` cut after 11 s of a 33-s share, so it gave no bound).
        """
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(seconds, 0.01))

    def cut(self) -> StoppedBy | None:
        """What cut the last solve short, if anything (the node cap is not a cut: it is the
        work budget, the same on every run)."""
        if self.status == highspy.HighsModelStatus.kInterrupt:
            return "interrupt"
        if self.status == highspy.HighsModelStatus.kTimeLimit:
            return "time_limit"
        return None

    def fix(self, coefs: FloatArray, maximise: bool, value: float) -> None:
        nz = np.flatnonzero(coefs).astype(np.int32)
        lower, upper = (value, INF) if maximise else (-INF, value)
        self.h.addRow(lower, upper, len(nz), nz, coefs[nz])


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
    solved without proof may still gain while the levels below are optimised.
    """
    model = build(data, list(dict.fromkeys([*fixed_levels, *objective])))
    highs = HighsModel(model, seed, workers)
    if stop is not None:
        highs.interrupt_when(stop)
    outcome = ComponentOutcome(hint_x.copy(), hint_y.copy())
    for level, value in fixed_levels.items():
        coefs, offset = model.levels[level]
        highs.fix(coefs, LEVELS[level].maximise, value - offset)
        outcome.levels[level] = LevelOutcome(value, value, True)
    remaining = [lvl for lvl in objective if lvl not in fixed_levels]

    def evaluate_level(level: str, x: BoolArray, y: BoolArray) -> int:
        return round(LEVELS[level].value(data, x, y))

    nodes_left = int(work * NODES_PER_WORK)
    for position, level in enumerate(remaining):
        maximise = LEVELS[level].maximise
        coefs, offset = model.levels[level]
        time_left = deadline - time.monotonic()
        if stop is not None and stop.is_set():
            outcome.stopped_by = outcome.stopped_by or "interrupt"
        elif time_left <= 0:
            outcome.stopped_by = outcome.stopped_by or "time_limit"
        nodes = min(nodes_left, 2 * nodes_left // (len(remaining) - position))
        if outcome.stopped_by is not None or nodes <= 0:  # keep the plan; a bound without search
            value = evaluate_level(level, outcome.offer_chosen, outcome.slot_chosen)
            trivial = round(LEVELS[level].trivial_bound(data))
            outcome.levels[level] = LevelOutcome(value, trivial, value == trivial)
            highs.fix(coefs, maximise, value - offset)
            continue
        solution, bound, proven = highs.optimise(coefs, maximise, time_left, nodes)
        used = int(highs.h.getInfo().mip_node_count)
        nodes_left -= used
        outcome.work += used / NODES_PER_WORK
        outcome.stopped_by = outcome.stopped_by or highs.cut()
        kept = evaluate_level(level, outcome.offer_chosen, outcome.slot_chosen)
        if solution is not None:
            x = solution[: model.n_x] > 0.5
            y = solution[model.n_x : model.n_x + model.n_y] > 0.5
            found = evaluate_level(level, x, y)
            # Cut short, HiGHS may hold a solution worse on this level than the plan so far.
            if found == kept or (found > kept) == maximise:
                outcome.offer_chosen, outcome.slot_chosen = x, y
        value = evaluate_level(level, outcome.offer_chosen, outcome.slot_chosen)
        bound = value if proven else _proven_bound(bound + offset, value, maximise, data, level)
        outcome.levels[level] = LevelOutcome(value, bound, proven or value == bound)
        highs.fix(coefs, maximise, value - offset)
    _as_returned(outcome, data)
    return outcome


def _as_returned(outcome: ComponentOutcome, data: ComponentData) -> None:
    """Every level as the returned plan has it (a level solved without proof may have gained
    while the levels below were optimised), proven where it meets its bound."""
    for level, reached in outcome.levels.items():
        value = round(LEVELS[level].value(data, outcome.offer_chosen, outcome.slot_chosen))
        outcome.levels[level] = LevelOutcome(
            value, reached.bound, reached.proven or value == reached.bound
        )


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
