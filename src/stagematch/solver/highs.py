"""One HiGHS instance holding a component's pair model (:mod:`.milp_model`).

Levels are set, solved and fixed in turn (:mod:`.milp`); the same instance, its columns made
continuous, gives linear relaxations (:mod:`.relaxation`, :mod:`.groups`).
"""

from __future__ import annotations

import math
import time

import highspy
import numpy as np

from ..arrays import FloatArray
from .limits import Stop, StoppedBy
from .milp_model import INF, PairModel

__all__ = ["START_HEURISTICS_OFF", "Cutoff", "HighsModel"]

START_HEURISTICS_OFF = (
    "mip_heuristic_run_rins",
    "mip_heuristic_run_rens",
    "mip_heuristic_run_root_reduced_cost",
)
"""HiGHS's sub-MIP heuristics, switched off in a run given a start. On the bundled pilot with
coaches (its 52-student component, ``coaches`` fixed, each level started from the level
above's optimum) they took two thirds of HiGHS's time (``preference``: 20 of 34 s) and found
nothing the branch and bound did not: with them off and the start given, ``coverage``,
``preference`` and ``travel`` are proven in 9, 23 and 113 nodes, 14 CPU s in all (55 s before,
``travel`` then left to the search on coach groups). Without a start HiGHS needs them: it then
finds no plan with the pilot's 5 coaches in 297 nodes."""


class Cutoff:
    """When a HiGHS instance must end its run: the stop flag is set, or the wall clock passed
    ``deadline`` (a ``time.monotonic()`` instant; ``timed_out`` then says so).

    HiGHS's own ``time_limit`` is not enough. Its branch and bound compares the limit with
    the time of the current run while ``getRunTime`` counts every run of the instance, and
    its sub-MIP heuristics and presolve do not look at it often: on a 300-student bassin with
    coach groups and a minimum QPV share, a level given 30 s ran 45 s, then again 83 s without
    its start (142 s for a 60-s cap). HiGHS calls :meth:`check` during the simplex and between
    nodes: with it, that level ended 0.1 s after its deadline (the solve 51 s).
    """

    def __init__(self, stop: Stop | None = None) -> None:
        self.stop = stop
        self.deadline = math.inf
        self.timed_out = False

    def install(self, h: highspy._Highs) -> None:  # type: ignore[name-defined]
        h.setCallback(self.check, None)
        for kind in (highspy.cb.kCallbackMipInterrupt, highspy.cb.kCallbackSimplexInterrupt):
            h.startCallback(kind)

    def within(self, seconds: float) -> None:
        """The next run must end ``seconds`` from now (at least 0.01)."""
        self.deadline = time.monotonic() + max(seconds, 0.01)
        self.timed_out = False

    def check(self, kind: int, message: str, out: object, given: object, user: object) -> None:
        if self.stop is not None and self.stop.is_set():
            given.user_interrupt = True  # type: ignore[attr-defined]
        elif time.monotonic() >= self.deadline:
            self.timed_out = True
            given.user_interrupt = True  # type: ignore[attr-defined]

    def cause(self) -> StoppedBy:
        """What an interrupted run was stopped by."""
        return "time_limit" if self.timed_out else "interrupt"


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
        self.cutoff = Cutoff()
        self.cutoff.install(h)
        self.iterations = 0  # simplex iterations of every run so far: the work measure
        self.nodes = 0  # branch-and-bound nodes of every run so far

    def run(self) -> None:
        """Run HiGHS on the model as it stands, counting its simplex iterations (a MILP's
        total over its nodes, heuristics and cuts): they, not the clock, measure the work."""
        self.h.run()
        info = self.h.getInfo()
        self.iterations += max(int(info.simplex_iteration_count), 0)
        self.nodes += max(int(info.mip_node_count), 0)

    def interrupt_when(self, stop: Stop) -> None:
        """Let HiGHS end its search (simplex and branch and bound) once ``stop`` is set."""
        self.cutoff.stop = stop

    def optimise(
        self,
        coefs: FloatArray,
        maximise: bool,
        seconds: float,
        nodes: int,
        start: FloatArray | None = None,
        *,
        heuristics: bool = True,
    ) -> tuple[FloatArray | None, float, bool]:
        """The best solution found (``None``: none), the proven bound, and whether it is proven.

        ``start``: a feasible point of the model as it stands (all columns), HiGHS's incumbent
        from the first node; with ``heuristics=False`` the sub-MIP heuristics that look for
        better points around the relaxation (:data:`START_HEURISTICS_OFF`) are off for this run
        (they are never off without a start: HiGHS then needs them). With a start, HiGHS
        1.16 sometimes reports an optimum that presolve found but returns the start's columns
        (a small pilot-shaped instance: optimum 2, columns worth 1, status optimal; random small
        coached instances in ``tests/solver/test_highs.py``; a 300-student bassin with a
        minimum QPV share stopped by its node cap): such a run is done again without the start,
        with the nodes the first left (at least the root: before, all of them again, which
        doubled that bassin's level, 14 CPU s). A returned solution whose objective differs from the one HiGHS reports is
        never taken as proven. On pilot-size components without coaches a start does not make
        the solve measurably faster, but it makes it safe: with minimum QPV shares (big-M rows)
        HiGHS's heuristics found no plan with ``placed`` fixed in 50 s of root node on a
        300-student bassin, where the start proved ``qpv_placed`` at once.
        """
        h = self.h
        h.changeColsCost(self.n, self.all_cols, coefs)
        h.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        )
        for option in START_HEURISTICS_OFF:
            h.setOptionValue(option, heuristics or start is None)
        if start is not None:  # after the costs: changing the model drops a solution set
            given = highspy.HighsSolution()
            given.col_value = start.tolist()
            given.value_valid = True
            h.setSolution(given)
        self.limit_time(seconds)
        h.setOptionValue("mip_max_nodes", int(nodes))
        self.run()
        info = h.getInfo()
        self.status = h.getModelStatus()
        proven = self.status == highspy.HighsModelStatus.kOptimal
        bound = float(info.mip_dual_bound)
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            return None, bound, False
        solution: FloatArray = np.rint(np.asarray(h.getSolution().col_value, dtype=np.float64))
        consistent = abs(float(coefs @ solution) - info.objective_function_value) < 0.5
        if start is not None and not consistent and self.cut() is None:
            # the start's columns returned: run without the start, in the time and nodes left
            left = self.cutoff.deadline - time.monotonic()
            nodes_left = max(nodes - int(info.mip_node_count), 1)
            return self.optimise(coefs, maximise, left, nodes_left, heuristics=heuristics)
        return solution, bound, bool(proven and consistent)

    def limit_time(self, seconds: float) -> None:
        """Let the next run last at most ``seconds`` (at least 0.01).

        HiGHS 1.16 compares ``time_limit`` with the time of *all* runs of an instance, not of
        the next one (ERGO-Code/HiGHS#1477, to change in 2.0): without the offset, each level
        had its share minus the time of the levels before it (a 1,000-student bassin: the
        relaxation of ``coaches`` cut after 11 s of a 33-s share, so it gave no bound). The
        :class:`Cutoff` ends the run at the wall-clock deadline whatever HiGHS's clock says.
        """
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(seconds, 0.01))
        self.cutoff.within(seconds)

    def cut(self) -> StoppedBy | None:
        """What cut the last solve short, if anything (the node cap is not a cut: it is the
        work budget, the same on every run)."""
        if self.status == highspy.HighsModelStatus.kInterrupt:
            return self.cutoff.cause()
        if self.status == highspy.HighsModelStatus.kTimeLimit:
            return "time_limit"
        return None

    def fix(self, coefs: FloatArray, maximise: bool, value: float) -> None:
        nz = np.flatnonzero(coefs).astype(np.int32)
        lower, upper = (value, INF) if maximise else (-INF, value)
        self.h.addRow(lower, upper, len(nz), nz, coefs[nz])
