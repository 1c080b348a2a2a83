"""The lower levels of a searched component, polished by the linear relaxation of its exact model.

The neighbourhood search (:mod:`.lns`) and the flows around it (:mod:`.component_flows`) move
one kind of item, or the items of 30 nearby students, at a time. On a 1,000-student bassin the
half-days they leave come from moves that hand one student's session to another and move
placements of several students together: the whole component's exact model (HiGHS) reaches
coverage 10,654 where the search stops at 10,451. Measured there, with the levels above fixed at
the search's values, the linear relaxation of the exact model (:mod:`.milp_model`, solved by
the dual simplex without presolve) has an *integral* optimal vertex for ``coverage``,
``preference`` and ``travel`` alike: the relaxation's optimum is then a plan, and a proven
optimum of its level given the levels above. HiGHS's branch and bound reached the same plans,
but spent most of its time in presolve, cut separation and its heuristics (34 s against 8 s
for coverage alone on a loaded machine).

So each level of :attr:`Tuning.polish_levels` and every level below the first of them is, in
objective order, relaxed with the levels above kept at least at their values (a row each): an
integral optimum replaces the plan (never worse on this level nor, through the rows, on those
above); a fractional one leaves the plan as it is. Either way the duals give a bound on the
level (:func:`.relaxation.dual_bound`, which trusts no claim of optimality), valid for every plan
at least as good on the levels above. ``workshops`` is left to the search by default: its
relaxation is fractional and costs three times as many iterations as ``coverage``'s (27,000
against 9,600 on the 1,000-student bassin), while the search gets within 0.5 % of its bound.

The work is capped in simplex iterations per level (:attr:`Tuning.polish_iterations`), so the
plan does not depend on the machine; the wall clock is only the solve's safety cap. Components
above :attr:`Tuning.polish_pairs` pairs are not polished (a 3,000-student bassin's 520,000 pairs
take 30 s to model and over 80 s for one level's relaxation), nor stable plans (the exact model
has no rows against justified envy here).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
from scipy.sparse import csr_matrix, vstack

from ..arrays import BoolArray, FloatArray
from ..levels import LEVELS
from .context import Chosen, SolveContext
from .cpsat import ComponentData
from .graph import Part, component_data, materialise
from .highs import HighsModel
from .limits import Stop, StoppedBy
from .milp_model import INF, PairModel, build
from .relaxation import dual_bound

__all__ = ["Polished", "polish", "polish_levels"]

INTEGRAL = 1e-6
"""How far from a whole number a column of the relaxation's optimum may be and count as one."""


@dataclass
class Polished:
    """The plan after the polish, the bounds it proved and the simplex iterations it used."""

    offer_chosen: BoolArray
    slot_chosen: BoolArray
    bounds: dict[str, int] = field(default_factory=dict)
    iterations: int = 0
    stopped_by: StoppedBy | None = None


def polish(context: SolveContext, part: Part, chosen: Chosen) -> dict[str, int]:
    """Polish the component's lower levels in ``chosen`` (in place); the bounds proven.

    Each bound holds for every plan of the component at least as good as the returned one on
    the levels above it. Nothing is done (and ``{}`` returned) for components above
    ``Tuning.polish_pairs`` pairs, stable plans, an objective without a level of
    ``Tuning.polish_levels``, or once the safety cap or the stop flag has ended the search.
    """
    tuning, limits = context.tuning, context.limits
    first = _first_polished(context.objective, tuning.polish_levels)
    if (
        first is None
        or part.n_pairs > tuning.polish_pairs
        or context.stability is not None
        or limits.exhausted()
    ):
        return {}
    n = context.arrays.n_students
    component = materialise(part, context.cand.offers.indptr(n), context.cand.slots.indptr(n))
    polished = polish_levels(
        component_data(context, component),
        context.objective,
        first,
        chosen.offer_chosen[component.offer_pairs],
        chosen.slot_chosen[component.slot_pairs],
        tuning.polish_iterations,
        tuning.polish_nodes,
        limits.seconds_left(),
        limits.stop,
    )
    limits.note(polished.stopped_by)
    chosen.offer_chosen[component.offer_pairs] = polished.offer_chosen
    chosen.slot_chosen[component.slot_pairs] = polished.slot_chosen
    return polished.bounds


def _first_polished(objective: list[str], polished: tuple[str, ...]) -> int | None:
    """The position of the first level of ``objective`` to polish, if any."""
    return next((k for k, level in enumerate(objective) if level in polished), None)


def polish_levels(
    data: ComponentData,
    objective: list[str],
    first: int,
    offer_chosen: BoolArray,
    slot_chosen: BoolArray,
    iterations: int,
    nodes: int,
    seconds: float,
    stop: Stop | None = None,
) -> Polished:
    """Relax ``objective[first:]`` in turn from the plan ``offer_chosen``, ``slot_chosen``.

    The levels before ``first`` are kept at least at the plan's values, and each polished
    level at least at its value once polished. ``iterations``: simplex iterations per level;
    ``nodes``: branch-and-bound nodes per level for a fractional optimum's rounding;
    ``seconds``: a wall-clock safety cap (once it or ``stop`` ends a relaxation, the levels
    from there on keep the plan's values and get no bound).
    """
    relaxed = _Relaxed(build(data, objective), nodes, stop)
    outcome = Polished(offer_chosen.copy(), slot_chosen.copy())
    deadline = time.monotonic() + seconds
    for level in objective[:first]:
        relaxed.fix(level, _value(data, outcome, level))
    for k in range(first, len(objective)):
        if outcome.stopped_by is None:
            _polish_level(data, relaxed, objective[k:], outcome, iterations, deadline)
        relaxed.fix(objective[k], _value(data, outcome, objective[k]))
    return outcome


def _polish_level(
    data: ComponentData,
    relaxed: _Relaxed,
    levels: list[str],
    outcome: Polished,
    iterations: int,
    deadline: float,
) -> None:
    """Relax ``levels[0]``: take an integral optimum if it is lexicographically no worse on
    ``levels`` (an optimum only as good on this level may be worse below, where the next
    relaxation may be fractional), and record the duals' bound."""
    level = levels[0]
    plan = np.concatenate((outcome.offer_chosen, outcome.slot_chosen))
    solution, bound, used, cut = relaxed.solve(level, plan, iterations, deadline - time.monotonic())
    outcome.iterations += used
    if cut is not None:
        outcome.stopped_by = cut
        return
    if solution is not None:
        x = solution[: relaxed.model.n_x] > 0.5
        y = solution[relaxed.model.n_x : relaxed.model.n_x + relaxed.model.n_y] > 0.5
        if _not_worse(data, levels, (x, y), (outcome.offer_chosen, outcome.slot_chosen)):
            outcome.offer_chosen, outcome.slot_chosen = x, y
    value = _value(data, outcome, level)
    if bound is not None:  # never beyond the value reached (it holds for this plan too)
        maximise = LEVELS[level].maximise
        outcome.bounds[level] = max(bound, value) if maximise else min(bound, value)


def _not_worse(
    data: ComponentData,
    levels: list[str],
    plan: tuple[BoolArray, BoolArray],
    other: tuple[BoolArray, BoolArray],
) -> bool:
    """Is ``plan`` lexicographically at least as good as ``other`` on ``levels``?"""
    for level in levels:
        mine, theirs = (round(LEVELS[level].value(data, *p)) for p in (plan, other))
        if mine != theirs:
            return LEVELS[level].better(mine, theirs)
    return True


def _value(data: ComponentData, outcome: Polished, level: str) -> int:
    return round(LEVELS[level].value(data, outcome.offer_chosen, outcome.slot_chosen))


class _Relaxed:
    """The exact model's relaxation in HiGHS (dual simplex, no presolve), levels fixed as rows,
    with the same rows kept as a matrix for :func:`.relaxation.dual_bound`."""

    def __init__(self, model: PairModel, nodes: int, stop: Stop | None) -> None:
        self.model, self.nodes = model, nodes
        self.highs = HighsModel(model, 0, 1)
        h = self.highs.h
        h.setOptionValue("solve_relaxation", True)
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("presolve", "off")  # it took most of the time and found nothing
        if stop is not None:
            self.highs.interrupt_when(stop)
        self.a: csr_matrix = model.a.tocsr()
        self.lower, self.upper = model.row_lower, model.row_upper

    def fix(self, level: str, value: int) -> None:
        """Keep ``level`` at ``value`` or better from now on."""
        coefs, offset = self.model.levels[level]
        maximise = LEVELS[level].maximise
        self.highs.fix(coefs, maximise, value - offset)
        nz = np.flatnonzero(coefs)
        row = csr_matrix((coefs[nz], (np.zeros(len(nz), dtype=np.int64), nz)), (1, len(coefs)))
        self.a = vstack([self.a, row], format="csr")
        self.lower = np.append(self.lower, value - offset if maximise else -INF)
        self.upper = np.append(self.upper, INF if maximise else value - offset)

    def solve(
        self, level: str, plan: BoolArray, iterations: int, seconds: float
    ) -> tuple[FloatArray | None, int | None, int, StoppedBy | None]:
        """The relaxation of ``level``: its optimum if integral (else :meth:`_rounded`'s plan
        from it and the pairs of ``plan``), the duals' bound on the level
        (``None``: none finite), the iterations used, and what cut the solve short, if anything
        (the iteration cap is the work budget, not a cut)."""
        coefs, offset = self.model.levels[level]
        maximise = LEVELS[level].maximise
        cost = -coefs if maximise else coefs  # always minimised: the duals' sign convention
        h = self.highs.h
        h.changeColsCost(self.highs.n, self.highs.all_cols, cost)
        h.changeObjectiveSense(highspy.ObjSense.kMinimize)
        h.setOptionValue("simplex_iteration_limit", int(iterations))
        self.highs.limit_time(seconds)
        h.run()
        self.highs.status = h.getModelStatus()
        used = int(h.getInfo().simplex_iteration_count)
        cut = self.highs.cut()
        if cut is not None:
            return None, None, used, cut
        solved = h.getSolution()
        bound = None
        if solved.dual_valid:
            duals = np.asarray(solved.row_dual, dtype=np.float64)
            lower = dual_bound(
                self.a, self.lower, self.upper, self.model.lower, self.model.upper, cost, duals
            )
            if math.isfinite(lower):
                relaxed = (-lower if maximise else lower) + offset
                slack = 1e-6 * max(1.0, abs(relaxed))
                bound = math.floor(relaxed + slack) if maximise else math.ceil(relaxed - slack)
        solution = None
        if self.highs.status == highspy.HighsModelStatus.kOptimal and solved.value_valid:
            values = np.asarray(solved.col_value, dtype=np.float64)
            integral = np.abs(values - np.rint(values)) <= INTEGRAL
            if integral.all():
                solution = np.rint(values)
            elif self.nodes > 0:
                solution, cut = self._rounded(level, values, plan, seconds)
        return solution, bound, used, cut

    def _rounded(
        self, level: str, values: FloatArray, plan: BoolArray, seconds: float
    ) -> tuple[FloatArray | None, StoppedBy | None]:
        """A plan from a fractional optimum, as HiGHS's RINS heuristic makes one: the pairs on
        which the optimum and ``plan`` agree are fixed there, the others left to HiGHS's branch
        and bound (``self.nodes`` nodes) started from ``plan``, so a plan is always found. (RENS,
        fixing every column the optimum has integral, found no plan on a 1,000-student bassin
        once ``coverage`` was fixed: its optimum was fractional there.)"""
        h = self.highs.h
        pairs = len(plan)
        cols = np.flatnonzero(np.abs(values[:pairs] - plan) <= INTEGRAL).astype(np.int32)
        kept = plan[cols].astype(np.float64)
        h.changeColsBounds(len(cols), cols, kept, kept)
        h.setOptionValue("solve_relaxation", False)
        h.setOptionValue("presolve", "choose")
        coefs, _ = self.model.levels[level]
        maximise = LEVELS[level].maximise
        h.changeColsCost(self.highs.n, self.highs.all_cols, coefs)
        h.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        )
        every_pair = np.arange(pairs, dtype=np.int32)
        h.setSolution(pairs, every_pair, plan.astype(np.float64))  # the rest completed by HiGHS
        self.highs.limit_time(seconds)
        h.setOptionValue("mip_max_nodes", int(self.nodes))
        h.run()
        self.highs.status = h.getModelStatus()
        cut = self.highs.cut()
        solution = None
        if h.getInfo().primal_solution_status == 2:  # kSolutionStatusFeasible
            solution = np.rint(np.asarray(h.getSolution().col_value, dtype=np.float64))
        all_cols = self.highs.all_cols
        h.changeColsBounds(len(all_cols), all_cols, self.model.lower, self.model.upper)
        h.setOptionValue("solve_relaxation", True)
        h.setOptionValue("presolve", "off")
        return solution, cut
