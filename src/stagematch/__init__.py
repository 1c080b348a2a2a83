"""stagematch: plan work placements and workshop sessions for school students.

Load a dataset, solve it, check and export the plan, all from the top::

    import stagematch as sm

    instance = sm.load("my_data/")          # a folder of CSVs, an .xlsx or a .json
    result = sm.solve(instance, time_limit=30)
    assert sm.check(instance, result.plan).ok
    sm.write_plan(result, "plan/")

Other tools can stay in JSON: ``stagematch.solve_json(text)`` returns a JSON-ready dict (the
same as ``stagematch solve --json -``), described by :mod:`stagematch.schema`.

``import stagematch`` stays light: the names that need a solver library (OR-Tools, HiGHS) —
:func:`solve`, :func:`solve_in_parts`, :func:`solve_json`, :func:`resolve`, :func:`diff`,
:class:`Progress`, :class:`SolveOptions`, :class:`PlanDiff` — are imported on first use (:pep:`562`), the rest at once.
The layers behind these names are described in ``docs/architecture.md``.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .check import check
from .compare import Comparison, compare
from .errors import InvalidInputError, Problem
from .evaluate import evaluate
from .export import write_plan
from .io import load
from .model import (
    LEVELS,
    Instance,
    Offer,
    School,
    Settings,
    Student,
    TravelTime,
    WorkshopSlot,
)
from .plan import Assignment, Plan
from .result import LevelResult, Result, Unplaced

if TYPE_CHECKING:
    from .api import solve_json
    from .replan import PlanDiff, diff, resolve
    from .solver import Progress, SolveOptions, solve
    from .solver.parts import solve_in_parts

logging.getLogger(__name__).addHandler(logging.NullHandler())

_ON_FIRST_USE = {
    "Progress": "stagematch.solver",
    "SolveOptions": "stagematch.solver",
    "solve": "stagematch.solver",
    "solve_in_parts": "stagematch.solver.parts",
    "solve_json": "stagematch.api",
    "PlanDiff": "stagematch.replan",
    "diff": "stagematch.replan",
    "resolve": "stagematch.replan",
}
"""The names whose module imports a solver library, and that module. None of them is also a
submodule's name: importing a submodule sets the package's attribute of that name, which would
hide a function of the same name (``check``, ``evaluate`` and ``compare`` are imported at once
for that reason)."""


def __getattr__(name: str) -> Any:
    """A solver-backed name, imported when first asked for, then kept."""
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ON_FIRST_USE})


__all__ = [
    "LEVELS",
    "Assignment",
    "Comparison",
    "Instance",
    "InvalidInputError",
    "LevelResult",
    "Offer",
    "Plan",
    "PlanDiff",
    "Problem",
    "Progress",
    "Result",
    "School",
    "Settings",
    "SolveOptions",
    "Student",
    "TravelTime",
    "Unplaced",
    "WorkshopSlot",
    "__version__",
    "check",
    "compare",
    "diff",
    "evaluate",
    "load",
    "resolve",
    "solve",
    "solve_in_parts",
    "solve_json",
    "write_plan",
]
