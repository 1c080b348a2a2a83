"""The price of stability: how many placements a stable plan costs against stagematch's optimum.

A stable plan (:mod:`stagematch.fairness`: no blocking pair) is what deferred acceptance gives;
stagematch maximises the students placed instead. This compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .baselines import deferred_acceptance
from .plan import Plan

if TYPE_CHECKING:
    from .candidates import Candidates
    from .model import Instance
    from .result import Result

__all__ = ["PriceOfStability", "price_of_stability"]


@dataclass(frozen=True)
class PriceOfStability:
    """How many placements stability costs, against the plan that places the most students.

    Every stable plan places the same students (see
    :func:`~stagematch.baselines.deferred_acceptance`), so ``placed_stable`` does not depend
    on which stable plan is taken.
    """

    placed_optimum: int
    placed_stable: int
    qpv_placed_optimum: int
    qpv_placed_stable: int

    @property
    def ratio(self) -> float:
        """``placed_optimum / placed_stable`` (≥ 1 when the optimum is one; inf if 0 stable)."""
        return _ratio(self.placed_optimum, self.placed_stable)

    @property
    def qpv_ratio(self) -> float:
        """The same for QPV students placed."""
        return _ratio(self.qpv_placed_optimum, self.qpv_placed_stable)

    @property
    def students_lost(self) -> int:
        """Students the optimum places and no stable plan can."""
        return self.placed_optimum - self.placed_stable

    @property
    def qpv_students_lost(self) -> int:
        return self.qpv_placed_optimum - self.qpv_placed_stable


def _ratio(a: int, b: int) -> float:
    if b == 0:
        return 1.0 if a == 0 else float("inf")
    return a / b


def price_of_stability(
    instance: Instance,
    optimum: Plan | Result | None = None,
    stable: Plan | None = None,
    *,
    cand: Candidates | None = None,
    time_limit: float | None = None,
) -> PriceOfStability:
    """Students placed by a stable plan versus by stagematch's optimum.

    Parameters
    ----------
    instance
        A validated dataset.
    optimum
        stagematch's plan (a :class:`~stagematch.plan.Plan` or the
        :class:`~stagematch.result.Result` of :func:`stagematch.solve`); solved here with
        ``time_limit`` when not given. When ``placed`` is proven optimal (it always is when the
        objective starts with ``qpv_placed, placed``), ``placed_optimum`` is the most students
        any valid plan places with one placement each.
    stable
        A stable plan; :func:`~stagematch.baselines.deferred_acceptance` when not given.
    cand
        The instance's candidates, when already computed.
    time_limit
        Seconds for the solve when ``optimum`` is not given.
    """
    if optimum is None:
        from .solver import solve  # the only path here that needs the solver (and OR-Tools)

        optimum = solve(instance, time_limit=time_limit)
    optimum_plan = optimum if isinstance(optimum, Plan) else optimum.plan
    if stable is None:
        stable = deferred_acceptance(instance, cand=cand)
    qpv = {s.student_id for s in instance.students if s.qpv}

    def counts(plan: Plan) -> tuple[int, int]:
        placed = set(plan.placements)
        return len(placed), len(placed & qpv)

    placed_optimum, qpv_optimum = counts(optimum_plan)
    placed_stable, qpv_stable = counts(stable)
    return PriceOfStability(placed_optimum, placed_stable, qpv_optimum, qpv_stable)
