"""Relaxation bounds never cut off the optimum, whichever way their duals were found.

:func:`stagematch.solver.relaxation.dual_bound` turns *any* dual vector into a bound by weak
duality; the first property checks that on random linear programmes against the optimum HiGHS
proves for them. The others solve pilot-shaped instances and small generated bassins with every
component searched (so their bounds come from the relaxation by interior point; the larger
components' Lagrangian bound is checked the same way in ``test_lagrangian.py``) and compare each
level's bound with the best value a plain, independent MILP (:func:`pilot_family.milp_optimum`)
finds among the plans at least as good as the returned one on the levels before it.
"""

from __future__ import annotations

import highspy
import numpy as np
import pytest
from bound_checks import assert_bounds_hold
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pilot_family import pilot_shaped
from scipy.sparse import csr_matrix

from stagematch.generate import generate
from stagematch.solver import Tuning
from stagematch.solver.relaxation import dual_bound

INF = highspy.kHighsInf


def _lp_optimum(
    a: np.ndarray,
    rl: np.ndarray,
    ru: np.ndarray,
    lo: np.ndarray,
    up: np.ndarray,
    c: np.ndarray,
) -> tuple[str, float, np.ndarray]:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    m, n = a.shape
    sparse = csr_matrix(a)
    h.passModel(
        n,
        m,
        sparse.nnz,
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        c,
        lo,
        up,
        rl,
        ru,
        sparse.indptr.astype(np.int32),
        sparse.indices.astype(np.int32),
        sparse.data,
        np.zeros(n, dtype=np.int32),
    )
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return "other", 0.0, np.zeros(m)
    value = h.getInfo().objective_function_value
    return "optimal", float(value), np.asarray(h.getSolution().row_dual)


@st.composite
def _programmes(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 5))
    small = st.integers(-3, 3)
    a = np.array(draw(st.lists(small, min_size=m * n, max_size=m * n)), dtype=float).reshape(m, n)
    lo = np.array(draw(st.lists(st.integers(-2, 0), min_size=n, max_size=n)), dtype=float)
    up = lo + np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=float)
    rl = np.array(
        [draw(st.sampled_from([-INF, float(draw(st.integers(-6, 2)))])) for _ in range(m)]
    )
    ru = np.array(
        [INF if draw(st.booleans()) else max(r, 0.0) + draw(st.integers(0, 5)) for r in rl.tolist()]
    )
    c = np.array(draw(st.lists(small, min_size=n, max_size=n)), dtype=float)
    y = np.array(draw(st.lists(st.floats(-5, 5), min_size=m, max_size=m)))
    return a, rl, ru, lo, up, c, y


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_programmes())
def test_any_duals_bound_the_optimum_and_optimal_duals_reach_it(
    lp: tuple[np.ndarray, ...],
) -> None:
    a, rl, ru, lo, up, c, y = lp
    status, optimum, optimal_duals = _lp_optimum(a, rl, ru, lo, up, c)
    if status != "optimal":
        return
    sparse = csr_matrix(a)
    assert dual_bound(sparse, rl, ru, lo, up, c, y) <= optimum + 1e-9
    assert dual_bound(sparse, rl, ru, lo, up, c, optimal_duals) == pytest.approx(optimum, abs=1e-6)


INTERIOR_POINT = Tuning(exact_pairs=0, lagrangian_pairs=10**9)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000))
def test_relaxation_bounds_hold_on_the_pilot_shaped_family(seed: int) -> None:
    assert_bounds_hold(pilot_shaped(seed, students=24), INTERIOR_POINT, seed)


def test_relaxation_bounds_hold_on_a_generated_bassin() -> None:
    assert_bounds_hold(generate("bassin", students=40, seed=3), INTERIOR_POINT, 3)


@pytest.mark.parametrize("seed", range(4))
def test_interior_point_bounds_hold_on_thirty_student_pilots(seed: int) -> None:
    """The family at 30 students, every component searched: the interior point's bounds."""
    assert_bounds_hold(pilot_shaped(seed, students=30), INTERIOR_POINT, seed)
