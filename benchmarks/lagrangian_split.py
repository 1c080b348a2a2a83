"""How much of a searched component's gap is the bound and how much the plan.

Each dataset is generated (``stagematch.generate.generate(FAMILY, students=N, seed=S)``) and
solved as the command line does (default budget and seed) under the given wall-clock cap; the arguments of its Lagrangian
bound (``solver.lagrangian.lagrangian_bounds``: the component, the values the search reached,
its plan) are caught and the bound computed again, alone and timed in CPU seconds: with 30
rounds a level (the rule before session 9) and as shipped (until it converges). Then, after
each level's column generation, the restricted master LP is solved as a MILP by HiGHS (its
programme columns integral, the elastic columns at 0): an integer plan made of the programmes
the bound generated, at least as good as the search's plan on the levels before (the same
condition as the bound). It is checked here against the component's rules
(``solver.master_plan.broken_rules``) and its levels are computed by :mod:`stagematch.levels`. Its value lies between the
plan's and the true optimum, so ``bound − MILP`` is at least the bound's share of the gap and
``MILP − plan`` at most the plan's. With ``--lexicographic`` each level is fixed at the
MILP's value before the next (a whole plan better on every level, for the record). Figures in
docs/benchmarks.md, "Bounds at 3,000 students, session 9" (written by hand from the output).

Usage::

    .venv/bin/python benchmarks/lagrangian_split.py bassin:3000:1 bassin:3000:0 --cap 600
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine

MILP_SECONDS = 120.0


def caught(family: str, size: int, seed: int, cap: float) -> tuple[Any, ...]:
    """The arguments of the largest Lagrangian bound the solve computes."""
    from stagematch.generate import generate
    from stagematch.solver import Tuning, master_plan, solve

    calls: list[tuple[Any, ...]] = []
    bound = master_plan.lagrangian_bounds

    def spy(data: Any, objective: Any, achieved: Any, known: Any, *args: Any, **kw: Any) -> Any:
        calls.append((data, list(objective), dict(achieved), set(known), args[1]))
        return bound(data, objective, achieved, known, *args, **kw)

    master_plan.lagrangian_bounds = spy  # type: ignore[assignment]
    try:  # the search's plan, without the master's plans (those are what is measured here)
        solve(
            generate(family, students=size, seed=seed),
            time_limit=cap,
            tuning=Tuning(master_plan_nodes=0),
        )
    finally:
        master_plan.lagrangian_bounds = bound  # type: ignore[assignment]
    return max(calls, key=lambda call: call[0].n_students)


def split(call: tuple[Any, ...], lexicographic: bool) -> list[dict[str, Any]]:
    """Per level: the bound shipped, and the restricted master's MILP plan (its levels)."""
    import highspy
    import numpy as np

    from stagematch.levels import LEVELS
    from stagematch.solver import lagrangian
    from stagematch.solver.master_plan import broken_rules
    from stagematch.solver.options import Tuning

    data, objective, achieved, known, plan = call
    achieved = dict(achieved)
    tuning = Tuning()
    generate_rounds = lagrangian._generate
    rows: list[dict[str, Any]] = []

    def with_milp(dual: Any, master: Any, level: int, *args: Any) -> float:
        best = generate_rounds(dual, master, level, *args)
        name = [lv for lv in objective if lv in achieved][level]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("time_limit", MILP_SECONDS)
        h.passModel(master.h.getModel())
        cols = master.programme_cols.astype(np.int32)
        h.changeColsIntegrality(len(cols), cols, np.ones(len(cols), np.int32))
        elastic = np.array(master.elastic_cols, np.int32)
        zeros = np.zeros(len(elastic))
        h.changeColsBounds(len(elastic), elastic, zeros, zeros)
        cpu = time.process_time()
        h.run()
        taken = np.asarray(h.getSolution().col_value)[cols] > 0.5
        x, y = master.pairs(taken, len(data.offer_student), len(data.slot_student))
        values = {lv: LEVELS[lv].value(data, x, y) for lv in objective}
        rows.append(
            dict(
                level=name,
                status=h.modelStatusToString(h.getModelStatus()),
                milp_cpu=time.process_time() - cpu,
                milp=values,
                broken=broken_rules(data, x, y),
            )
        )
        if lexicographic:
            achieved[name] = values[name]
        return best

    lagrangian._generate = with_milp  # type: ignore[assignment]
    try:
        bounds = lagrangian.lagrangian_bounds(
            data,
            objective,
            achieved,
            known,
            tuning.lagrangian_rounds,
            plan,
            tolerance=tuning.lagrangian_tolerance,
        )
    finally:
        lagrangian._generate = generate_rounds  # type: ignore[assignment]
    for row in rows:
        row["bound"] = bounds.get(row["level"])
        row["reached"] = achieved[row["level"]]
    return rows


def timed_bounds(call: tuple[Any, ...], rounds: int, tolerance: float) -> tuple[dict, float]:  # type: ignore[type-arg]
    from stagematch.solver.lagrangian import lagrangian_bounds

    data, objective, achieved, known, plan = call
    cpu = time.process_time()
    bounds = lagrangian_bounds(data, objective, achieved, known, rounds, plan, tolerance=tolerance)
    return bounds, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="+", help="FAMILY:STUDENTS:SEED")
    parser.add_argument("--cap", type=float, default=600.0, help="wall-clock cap of the solve (s)")
    parser.add_argument("--lexicographic", action="store_true")
    args = parser.parse_args(argv)
    from stagematch.solver.options import Tuning

    print(f"Machine: {machine()}")
    for spec in args.specs:
        family, students, seed = spec.split(":")
        call = caught(family, int(students), int(seed), args.cap)
        print(f"{spec}: {call[0].n_students:,} students, reached {call[2]}")
        before, cpu_before = timed_bounds(call, 30, 0.0)
        shipped, cpu_shipped = timed_bounds(
            call, Tuning().lagrangian_rounds, Tuning().lagrangian_tolerance
        )
        print(f"  30 rounds: {before} ({cpu_before:.1f} CPU s)")
        print(f"  shipped: {shipped} ({cpu_shipped:.1f} CPU s)")
        for row in split(call, args.lexicographic):
            values = ", ".join(f"{lv} {v:,.0f}" for lv, v in row["milp"].items())
            print(
                f"  {row['level']}: reached {row['reached']:,.0f}, bound {row['bound']:,}, "
                f"MILP of the programmes {row['status']} ({row['milp_cpu']:.1f} CPU s): "
                f"{values}; rules broken: {row['broken'] or 'none'}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
