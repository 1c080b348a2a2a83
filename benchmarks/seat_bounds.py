"""The bounds a searched component gets without a model, on the plan its search reached.

Each dataset is generated (``stagematch.generate.generate(FAMILY, students=N, seed=S)``) and
solved with the default budget and the given wall-clock cap; right after the neighbourhood
search of its largest searched component, that component's values and the search-free and
seat-counting bounds (``solver.bounds.level_bounds``, as the solver calls it) are computed
once more and timed in CPU seconds. This is what the académie's component reports (it is too
large for the Lagrangian bound), and what any component keeps when the cap cuts the
Lagrangian bound. Figures in docs/benchmarks.md, "Bounds at scale, session 8" (written by
hand from this script's output).

Usage::

    .venv/bin/python benchmarks/seat_bounds.py academie:50000:0 bassin:3000:1 --cap 120
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine

LOWER = ("workshops", "coverage", "preference", "travel")


def measure(family: str, size: int, seed: int, cap: float) -> dict[str, Any]:
    """The largest searched component's values, bounds and the CPU seconds of the bounds."""
    import numpy as np

    from stagematch.generate import generate
    from stagematch.levels import LEVELS
    from stagematch.solver import search, solve
    from stagematch.solver.bounds import level_bounds

    found: dict[str, Any] = {}
    improve = search.improve

    def measured(context: Any, chosen: Any, students: Any, work: float) -> int:
        steps = improve(context, chosen, students, work)
        if len(students) <= found.get("students", 0):
            return steps
        members = np.zeros(context.arrays.n_students, dtype=bool)
        members[students] = True
        data, x, y = search.chosen_pairs(context, chosen, members)
        values = {lv: LEVELS[lv].value(data, x, y) for lv in context.objective}
        cpu = time.process_time()
        bounds = level_bounds(
            context.arrays,
            context.cand,
            context.objective,
            values,
            int(values.get("placed", 0)),
            context.workshops_per_student,
            members,
            context.short,
        )
        found.update(
            students=len(students),
            cpu=time.process_time() - cpu,
            values=values,
            bounds={lv: b * (context.scale if lv == "travel" else 1) for lv, b in bounds.items()},
        )
        return steps

    instance = generate(family, students=size, seed=seed)
    search.improve = measured
    try:
        solve(instance, time_limit=cap, seed=seed)
    finally:
        search.improve = improve
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="+", help="FAMILY:STUDENTS:SEED")
    parser.add_argument("--cap", type=float, default=120.0, help="wall-clock cap of the solve (s)")
    args = parser.parse_args(argv)
    from stagematch.levels import LEVELS

    print(f"Machine: {machine()}")
    print("| dataset | students searched | bounds CPU s | level | value | bound | gap |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for spec in args.specs:
        family, students, seed = spec.split(":")
        found = measure(family, int(students), int(seed), args.cap)
        if not found:
            print(f"| {spec} | no searched component | | | | | |")
            continue
        for level in LOWER:
            if level not in found["bounds"]:
                continue
            value, bound = found["values"][level], found["bounds"][level]
            worse = bound - value if LEVELS[level].maximise else value - bound
            gap = worse / max(abs(bound if LEVELS[level].maximise else value), 1e-9)
            print(
                f"| {spec} | {found['students']:,} | {found['cpu']:.1f} | {level} "
                f"| {value:,.0f} | {bound:,.0f} | {100 * gap:.2f} % |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
