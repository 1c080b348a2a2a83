"""Bounds from the linear relaxation of a component's exact model, level by level, at any size.

A searched component (too large for an exact model) still has the exact model's linear
relaxation: :mod:`.milp_model`'s rows with integrality dropped. Its optimum bounds every plan,
and so does *any* dual vector, once corrected: for ``min c·x`` over ``rl ≤ A x ≤ ru``,
``l ≤ x ≤ u`` and any ``y`` (``y_r ≥ 0`` only where ``rl_r`` is finite, ``y_r ≤ 0`` only where
``ru_r`` is),

    c·x ≥ Σ_r y_r · (rl_r if y_r > 0 else ru_r) + Σ_j min(d_j · l_j, d_j · u_j),  d = c − Aᵀy,

for every feasible ``x`` — weak duality with the reduced costs ``d`` taken at whichever column
bound is cheaper (:func:`dual_bound`). So the bound never depends on how well the LP was solved,
only its tightness does, and no solver's claim of optimality is trusted. Two ways to get ``y``:

- components of at most ``Tuning.relaxation_pairs`` pairs: HiGHS's interior point method to
  optimality (capped at ``Tuning.relaxation_iterations``), without crossover (which only turns
  an optimal point into a basis: the duals are as good without it);
- larger ones, up to ``Tuning.first_order_pairs``: OR-Tools' PDLP, a first-order method whose
  iterations are two products with the matrix, capped at ``Tuning.first_order_iterations`` a
  level — a cost linear in the pairs where the interior point's factorisations are not
  (a 3,000-student bassin, 520,000 pairs: about 30 CPU seconds a level for 1,000 iterations).

Both caps count iterations, so the bounds do not depend on the machine; the wall clock is only
a safety cap (a level cut by it gets no bound here, nor do the levels after it). Each level's
bound is conditional on the levels before it, fixed at the values the search reached.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import highspy
import numpy as np
from ortools.pdlp import solve_log_pb2, solvers_pb2
from ortools.pdlp.python import pdlp
from scipy.sparse import csr_matrix, vstack

from ..arrays import FloatArray
from ..levels import LEVELS
from .cpsat import ComponentData
from .limits import Stop
from .milp import HighsModel
from .milp_model import INF, PairModel, build
from .options import Tuning

__all__ = ["dual_bound", "relaxation_bounds"]


def dual_bound(
    a: csr_matrix,
    row_lower: FloatArray,
    row_upper: FloatArray,
    col_lower: FloatArray,
    col_upper: FloatArray,
    cost: FloatArray,
    duals: FloatArray,
) -> float:
    """A lower bound on ``min cost·x`` over ``row_lower ≤ a x ≤ row_upper`` and the column
    bounds, valid for any ``duals`` (see the module docstring); ``-inf`` when a reduced cost
    points at an infinite column bound. Duals of the wrong sign for a row's finite side are
    dropped, never trusted. The result is lowered by a bound on the rounding error of its
    floating-point sums (a relative 1e-9 of the magnitudes summed, far above the error of
    products with rows of a few hundred entries), so cancellation cannot make it too high."""
    y = np.asarray(duals, dtype=np.float64).copy()
    y[(y > 0) & ~np.isfinite(row_lower)] = 0.0
    y[(y < 0) & ~np.isfinite(row_upper)] = 0.0
    reduced = cost - a.T @ y
    side = np.where(y > 0, row_lower, np.where(y < 0, row_upper, 0.0))
    row_terms = y[y != 0] * side[y != 0]
    at = np.where(reduced > 0, col_lower, np.where(reduced < 0, col_upper, 0.0))
    moving = reduced != 0
    if not np.all(np.isfinite(at[moving])):
        return -math.inf
    col_terms = reduced[moving] * at[moving]
    magnitude = abs(a).T @ np.abs(y) + np.abs(cost)  # what each reduced cost was summed from
    error = 1e-9 * (
        float(np.abs(row_terms).sum()) + float((magnitude[moving] * np.abs(at[moving])).sum())
    )
    return math.fsum(row_terms) + math.fsum(col_terms) - error


class _Rows:
    """The model's rows and the levels fixed so far, as one matrix for :func:`dual_bound`."""

    def __init__(self, model: PairModel) -> None:
        self.a = model.a.tocsr()
        self.lower = model.row_lower
        self.upper = model.row_upper
        self.col_lower = model.lower
        self.col_upper = model.upper

    def fix(self, coefs: FloatArray, maximise: bool, value: float) -> None:
        nz = np.flatnonzero(coefs)
        row = csr_matrix((coefs[nz], (np.zeros(len(nz), dtype=np.int64), nz)), (1, len(coefs)))
        self.a = vstack([self.a, row], format="csr")
        self.lower = np.append(self.lower, value if maximise else -INF)
        self.upper = np.append(self.upper, INF if maximise else value)


Duals = Callable[[_Rows, FloatArray, float], "FloatArray | None"]


def relaxation_bounds(
    data: ComponentData,
    objective: list[str],
    achieved: dict[str, float],
    known: set[str],
    seconds: float,
    stop: Stop | None = None,
    *,
    tuning: Tuning,
) -> dict[str, int]:
    """A bound from the linear relaxation for each level of ``objective`` not in ``known``.

    Each level's bound holds for every plan at least as good as ``achieved`` on the levels
    before it: those levels are fixed at their achieved values (``≥`` for maximised levels,
    ``≤`` for minimised ones) before the next is relaxed — the condition the search-free
    bounds of :mod:`.bounds` carry too. Levels in ``known`` (proven by the flow) are fixed
    without being solved. ``seconds`` is a wall-clock safety cap; once it or ``stop`` ends a
    level, that level and the ones after get no bound here.
    """
    deadline = time.monotonic() + seconds
    model = build(data, objective)
    rows = _Rows(model)
    duals: Duals
    if model.n_x + model.n_y <= tuning.relaxation_pairs:
        duals = _InteriorPoint(model, tuning.relaxation_iterations, stop)
    else:
        duals = _FirstOrder(tuning.first_order_iterations)
    bounds: dict[str, int] = {}
    for level in objective:
        if level not in achieved or (stop is not None and stop.is_set()):
            break
        coefs, offset = model.levels[level]
        maximise = LEVELS[level].maximise
        if level not in known:
            left = deadline - time.monotonic()
            cost = -coefs if maximise else coefs
            y = duals(rows, cost, left) if left > 0 else None
            if y is None:
                break
            lower = dual_bound(
                rows.a, rows.lower, rows.upper, rows.col_lower, rows.col_upper, cost, y
            )
            if math.isfinite(lower):
                relaxed = (-lower if maximise else lower) + offset
                slack = 1e-6 * max(1.0, abs(relaxed))
                bounds[level] = (
                    math.floor(relaxed + slack) if maximise else math.ceil(relaxed - slack)
                )
        rows.fix(coefs, maximise, achieved[level] - offset)
        if isinstance(duals, _InteriorPoint):
            duals.highs.fix(coefs, maximise, achieved[level] - offset)
    return bounds


class _InteriorPoint:
    """Duals from HiGHS's interior point method on the model (levels fixed as rows)."""

    def __init__(self, model: PairModel, iterations: int, stop: Stop | None) -> None:
        self.highs = HighsModel(model, 0, 1)
        if stop is not None:
            self.highs.interrupt_when(stop)
        h = self.highs.h
        h.setOptionValue("solve_relaxation", True)
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
        h.setOptionValue("ipm_iteration_limit", iterations)

    def __call__(self, rows: _Rows, cost: FloatArray, seconds: float) -> FloatArray | None:
        h = self.highs.h
        h.changeColsCost(self.highs.n, self.highs.all_cols, cost)
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        self.highs.limit_time(seconds)
        h.run()
        status = h.getModelStatus()
        if status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt):
            return None
        solution = h.getSolution()
        if not solution.dual_valid:
            return np.zeros(rows.a.shape[0])
        return np.asarray(solution.row_dual, dtype=np.float64)


class _FirstOrder:
    """Duals from PDLP (OR-Tools), one thread, a fixed number of iterations."""

    def __init__(self, iterations: int) -> None:
        self.iterations = iterations

    def __call__(self, rows: _Rows, cost: FloatArray, seconds: float) -> FloatArray | None:
        qp = pdlp.QuadraticProgram()
        qp.resize_and_initialize(rows.a.shape[1], rows.a.shape[0])
        qp.objective_vector = cost
        qp.constraint_matrix = rows.a.tocsc()
        qp.constraint_lower_bounds = rows.lower
        qp.constraint_upper_bounds = rows.upper
        qp.variable_lower_bounds = rows.col_lower
        qp.variable_upper_bounds = rows.col_upper
        params = solvers_pb2.PrimalDualHybridGradientParams()
        params.num_threads = 1
        params.termination_criteria.iteration_limit = self.iterations
        params.termination_criteria.time_sec_limit = seconds
        result = pdlp.primal_dual_hybrid_gradient(qp, params)
        reason = result.solve_log.termination_reason
        if reason == solve_log_pb2.TERMINATION_REASON_TIME_LIMIT:
            return None
        return np.asarray(result.dual_solution, dtype=np.float64)
