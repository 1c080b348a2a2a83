"""``solve``: the best plan in the SPEC's sense, with proven bounds. The only ``ortools`` user.

A solve is four named stages (:mod:`.pipeline`; ``docs/solver.md`` explains the guarantees),
each a function of one frozen :class:`~.context.SolveContext`:

1. **Candidates** — eligible, reachable pairs (vectorised; rules 3–4 hold by construction),
   pins checked, each student's short list of cheapest pairs.
2. **Warm start** — max flow proves the optimum of ``qpv_placed`` and ``placed`` for the whole
   instance at once; a min-cost flow picks that plan's placements by wish and minutes, and a
   greedy pass adds workshop sessions and second placements: a complete valid plan.
3. **Components** — students and items that share no candidate pair cannot influence each
   other, so the connected components of the candidate graph are solved independently; levels
   are sums over students, so the sum of the components' lexicographic optima is the global
   one. A component small enough is one exact model (HiGHS or CP-SAT, its levels optimised in
   order, each fixed before the next), a picklable task for any ``concurrent.futures``
   executor; a larger one is improved by large-neighbourhood search, with bounds that need no
   search.
4. **Assemble** — the plan, its levels evaluated once more, the reasons of the unplaced.

How a solve runs (budget, seed, wall-clock cap, workers, stability, executor, progress, stop
flag, tuning knobs) is one :class:`~.options.SolveOptions`, shared by every entry point.
"""

from __future__ import annotations

from .entry import solve
from .options import Progress, SolveOptions, Tuning
from .pipeline import check_pins, objective_levels, solve_callback

__all__ = [
    "Progress",
    "SolveOptions",
    "Tuning",
    "check_pins",
    "objective_levels",
    "solve",
    "solve_callback",
]
