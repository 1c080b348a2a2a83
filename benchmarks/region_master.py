"""Where an académie's preference and travel gaps lie: the plan, or the bound?

The dataset is solved as the command line does (``solve(load(DIR), time_limit=3600)``, so the
cap never cuts it) up to the end of its largest component's search; then, on a few regions of
the search's first pass (:mod:`stagematch.solver.regions`), each region's students with
everyone else's seats taken out (:func:`stagematch.solver.subproblem.sub_problem`):

- the plan's levels on the region;
- the Lagrangian bound of the region (:mod:`stagematch.solver.lagrangian`), conditional on the
  region's values of the levels above, over the pairs the region's flows hold (``pool``) or over
  every candidate pair of its students (``all``: only that one is a bound of the region);
- the plans of the Lagrangian master (:mod:`stagematch.solver.master_plan`) on the pool,
  adopted when lexicographically better on the region.

The pool is that of :func:`stagematch.solver.region_plans.region_pairs` (the flows' placement
pairs, each student's ``--sessions`` nearest sessions); ``--region-students`` cuts the first
pass's regions further; ``--plan`` saves the searched plan to an ``.npz`` file, and later runs
read it instead of searching again. CPU seconds per region are printed. Figures in
docs/benchmarks.md, "Académie preference and travel, session 11" (written by hand from the
output).

Usage::

    .venv/bin/python benchmarks/region_master.py /tmp/acad --regions 3 25 50 --all \\
        --region-students 800 --plan /tmp/searched.npz
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SearchMeasured, in_place_of_search, machine


def _row(name: str, values: dict[str, float], objective: list[str], cpu: float | str) -> str:
    cells = " | ".join(f"{values[lv]:,.0f}" if lv in values else "" for lv in objective)
    return f"| {name} | {cpu} | {cells} |"


def measure_region(context: Any, chosen: Any, flows: Any, students: Any, every: bool) -> list[str]:
    """Rows for one region: plan, bound on the pool (with the master's plans), bound on all."""
    import numpy as np

    from stagematch.levels import LEVELS
    from stagematch.solver.flow import ranges
    from stagematch.solver.lagrangian import lagrangian_bounds
    from stagematch.solver.master_plan import MasterPlanner
    from stagematch.solver.region_plans import region_pairs
    from stagematch.solver.subproblem import sub_problem

    objective, tuning = context.objective, context.tuning
    rows: list[str] = []
    every_pair = ranges(flows.rows.offer_ptr, students).astype(np.int64)
    every_slot = np.concatenate([flows.rows.slots[s] for s in students.tolist()]).astype(np.int64)
    pool, nearest = region_pairs(context, chosen, flows.rows, students)
    for name, o_pairs, w_pairs in (
        ("pool", pool, nearest),
        ("all", every_pair, every_slot),
    ):
        if name == "all" and not every:
            continue
        data = sub_problem(context, chosen, students, o_pairs, w_pairs)
        plan = (chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs])
        values = {lv: float(LEVELS[lv].value(data, *plan)) for lv in objective}
        if name == "pool":
            x = plan[0]
            span = data.offer_last[x] - data.offer_first[x] + 1
            rows.append(
                f"<!-- region {len(students)} students, {len(o_pairs):,} placement pairs, "
                f"{len(w_pairs):,} session pairs; placements {int(x.sum())}, "
                f"{int((span > 10).sum())} longer than a week, "
                f"{int((data.offer_cost[x] >= 10).sum())} unranked -->"
            )
            rows.append(_row("plan", values, objective, ""))
        planner = None
        if name == "pool":
            planner = MasterPlanner(data, objective, plan, dict(values), 500, math.inf)
        cpu = time.process_time()
        bounds = lagrangian_bounds(
            data,
            objective,
            values,
            set(context.leading),
            tuning.lagrangian_rounds,
            plan,
            tolerance=tuning.lagrangian_tolerance,
            planner=planner,
        )
        seconds = f"{time.process_time() - cpu:.1f}"
        rows.append(_row(f"Lagrangian bound, {name} pairs", dict(bounds), objective, seconds))
        if planner is not None:
            rows.append(_row(f"master's plan ({planner.adopted})", planner.values, objective, ""))
    return rows


def measure(
    directory: str, picked: list[int], every: bool, saved: str | None, limit: int
) -> list[str]:
    """The table's rows for the regions ``picked`` of the first pass (the search's plan read
    from ``saved`` if it exists — the phases before the search are deterministic —, else
    written there)."""
    import numpy as np

    from stagematch import load
    from stagematch.geo import to_unit_vectors
    from stagematch.solver import search
    from stagematch.solver.component_flows import ComponentFlows
    from stagematch.solver.regions import bisected
    from stagematch.solver.subproblem import student_rows

    rows: list[str] = []
    improve = search.improve

    def then_regions(context: Any, chosen: Any, students: Any, work: float) -> int:
        if len(students) < 10_000:  # a small component: not the one measured
            return improve(context, chosen, students, work)
        if saved is not None and Path(saved).exists():  # the same search, saved before
            with np.load(saved) as plan:
                chosen.offer_chosen[:], chosen.slot_chosen[:] = plan["offer"], plan["slot"]
        else:
            improve(context, chosen, students, work)
            if saved is not None:
                np.savez(saved, offer=chosen.offer_chosen, slot=chosen.slot_chosen)
        flows = ComponentFlows(context, chosen, students, student_rows(context, chosen, students))
        pieces = flows._regions()
        if limit:  # the first pass's regions cut further, into pieces of ``limit`` students
            pieces = [
                piece[part]
                for piece in pieces
                for part in bisected(
                    to_unit_vectors(
                        context.arrays.origin_lat[piece], context.arrays.origin_lon[piece]
                    ),
                    np.ones(len(piece), dtype=np.int64),
                    limit,
                )
            ]
        rows.append(f"<!-- {len(pieces)} regions, sizes {[len(p) for p in pieces]} -->")
        print(rows[-1], flush=True)
        for k in picked:
            rows.append(f"| **region {k}** | | |")
            done = len(rows)
            rows.extend(measure_region(context, chosen, flows, np.asarray(pieces[k]), every))
            print("\n".join(rows[done - 1 :]), flush=True)
        raise SearchMeasured

    in_place_of_search(load(directory), then_regions)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="a dataset folder (an académie)")
    parser.add_argument("--regions", type=int, nargs="+", default=[0])
    parser.add_argument("--all", action="store_true", help="also bound over every pair")
    parser.add_argument("--region-students", type=int, default=0, help="cut regions further")
    parser.add_argument("--sessions", type=int, default=0, help="nearest sessions (0: module's)")
    parser.add_argument("--plan", help="an .npz of the searched plan: written, then read")
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}")
    if args.sessions:
        from stagematch.solver import region_plans

        region_plans.REGION_PLAN_SESSIONS = args.sessions
    measure(args.directory, args.regions, args.all, args.plan, args.region_students)  # prints
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
