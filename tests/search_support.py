"""What the tests of the neighbourhood search share: a prepared context, the levels of a plan
(checked by :func:`stagematch.check` on the way), and the lexicographic "never worse"."""

from __future__ import annotations

import numpy as np

from stagematch.check import check
from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.solver import SolveOptions, Tuning
from stagematch.solver.context import Chosen, SolveContext
from stagematch.solver.pipeline import prepare

TOL = 1e-6


def prepared(instance: Instance, tuning: Tuning) -> SolveContext:
    """The solve context of ``instance`` with ``tuning``, seed 3 and a cap that never bites."""
    options = SolveOptions(seed=3, time_limit=600, tuning=tuning)
    return prepare(instance, options.resolved(instance.settings))


def checked_levels(context: SolveContext, chosen: Chosen) -> dict[str, float]:
    """The levels of the plan ``chosen`` holds, after ``check`` found it breaks no rule."""
    report = check(context.instance, chosen.plan(context.arrays, context.cand))
    assert report.violations == (), report.violations
    return dict(report.levels)


def not_worse(objective: list[str], after: dict[str, float], before: dict[str, float]) -> bool:
    """Whether ``after`` is lexicographically at least as good as ``before``."""
    for level in objective:
        if abs(after[level] - before[level]) > TOL:
            return LEVELS[level].better(after[level], before[level])
    return True


def everyone(context: SolveContext) -> np.ndarray:
    """Every student with at least one candidate pair."""
    return np.unique(np.concatenate((context.cand.offers.student, context.cand.slots.student)))
