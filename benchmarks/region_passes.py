"""What each pass of the flows by regions gains on a component too large for one flow.

The dataset is generated (``stagematch.generate.generate(FAMILY, students=N, seed=S)``) and
solved as the command line does; when the search of its largest component begins, passes of
``ComponentFlows`` (:mod:`stagematch.solver.component_flows`, by regions on an académie) run
on the search's start in place of the search, and the component's levels and the CPU seconds
of each pass are printed. The phases before the search are deterministic, so every run starts
from the same plan. With ``--same-regions`` every pass cuts the regions of the first (the rule
before session 10); by default each pass cuts along other lines (:mod:`stagematch.solver.regions`).
Figures in docs/benchmarks.md, "Académie regions turned, session 10" (written by hand from the
output).

Usage::

    .venv/bin/python benchmarks/region_passes.py academie:50000:0 --passes 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SearchMeasured, in_place_of_search, machine


def measure(family: str, size: int, seed: int, passes: int, same: bool) -> list[str]:
    """One table row per pass: its CPU seconds and the component's levels after it."""
    import numpy as np

    from stagematch.generate import generate
    from stagematch.levels import LEVELS
    from stagematch.solver import search
    from stagematch.solver.component_flows import ComponentFlows
    from stagematch.solver.subproblem import student_rows

    rows: list[str] = []

    def levels(context: Any, chosen: Any, students: Any) -> str:
        members = np.zeros(context.arrays.n_students, dtype=bool)
        members[students] = True
        data, x, y = search.chosen_pairs(context, chosen, members)
        return " | ".join(f"{LEVELS[lv].value(data, x, y):,.0f}" for lv in context.objective)

    def passes_instead(context: Any, chosen: Any, students: Any, work: float) -> int:
        if len(students) < size // 2:  # a small component: not the one measured
            return 0
        rows.append(f"| search start | | {levels(context, chosen, students)} |")
        flows = ComponentFlows(context, chosen, students, student_rows(context, chosen, students))
        for k in range(passes):
            cpu = time.process_time()
            flows.run()
            seconds = time.process_time() - cpu
            if same:
                flows.passes = 0
            rows.append(f"| {k + 1} | {seconds:.1f} | {levels(context, chosen, students)} |")
        raise SearchMeasured

    in_place_of_search(generate(family, students=size, seed=seed), passes_instead, seed)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", help="FAMILY:STUDENTS:SEED")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--same-regions", action="store_true", help="every pass cuts alike")
    args = parser.parse_args(argv)
    family, students, seed = args.spec.split(":")
    print(f"Machine: {machine()}")
    print("| passes | CPU s | levels of the objective, in order |")
    print("|---|---:|---|")
    for row in measure(family, int(students), int(seed), args.passes, args.same_regions):
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
