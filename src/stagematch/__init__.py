"""stagematch: plan work placements and workshop sessions for school students.

Load a dataset, solve it, check and export the plan::

    import stagematch as sm
    from stagematch.check import check
    from stagematch.io import load

    instance = load("my_data/")             # a folder of CSVs, an .xlsx or a .json
    result = sm.solve(instance, time_limit=30)
    assert check(instance, result.plan).ok
    result.assignments_frame.head()

Other tools can stay in JSON: ``stagematch.solve_json(text)`` returns a JSON-ready dict (the
same as ``stagematch solve --json -``), described by :mod:`stagematch.schema`.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stagematch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

from .api import solve_json  # noqa: E402
from .compare import Comparison, compare  # noqa: E402
from .errors import InvalidInputError, Problem  # noqa: E402
from .model import (  # noqa: E402
    LEVELS,
    Instance,
    Offer,
    School,
    Settings,
    Student,
    TravelTime,
    WorkshopSlot,
)
from .plan import Assignment, Plan  # noqa: E402
from .replan import PlanDiff, diff, resolve  # noqa: E402
from .result import LevelResult, Result, Unplaced  # noqa: E402
from .solver import Progress, solve  # noqa: E402
from .solver.parts import solve_in_parts  # noqa: E402

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
    "Student",
    "TravelTime",
    "Unplaced",
    "WorkshopSlot",
    "__version__",
    "compare",
    "diff",
    "resolve",
    "solve",
    "solve_in_parts",
    "solve_json",
]
