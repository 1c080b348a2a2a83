"""Bounds at scale: the gaps stagematch reports with and without the relaxation bounds.

Each dataset is generated (``stagematch.generate.generate(FAMILY, students=N, seed=S)``) and
solved twice with the default work budget and a generous wall-clock cap: once as it ships
(searched components get the Lagrangian bound of :mod:`stagematch.solver.lagrangian` above
``Tuning.lagrangian_pairs`` pairs when it models every rule, and above
``Tuning.relaxation_pairs`` in any case, up to ``Tuning.first_order_pairs``; the interior
point's relaxation bound below), once with those switched off (search-free bounds only). The plan is the same both times
(the bounds do not steer the search); the table shows each level's value, both bounds and both
gaps, and the seconds (wall clock and CPU). Results are kept in ``benchmarks/bounds_results.json``
(``--from-results`` rewrites the section from them without solving).

Usage::

    .venv/bin/python benchmarks/bounds.py bassin:1000:1 bassin:3000:1 --write-docs
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS = ROOT / "benchmarks" / "bounds_results.json"
SECTION = "## Bounds at scale"
LOWER = ("workshops", "coverage", "preference", "travel")


def _solve(instance: Any, relaxation: bool, cap: float) -> dict[str, Any]:
    from stagematch.solver import SolveOptions, Tuning, solve

    tuning = Tuning() if relaxation else Tuning(relaxation_pairs=0, first_order_pairs=0)
    start, cpu = time.monotonic(), time.process_time()
    result = solve(instance, SolveOptions(tuning=tuning), time_limit=cap)
    seconds, cpu = time.monotonic() - start, time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "stopped_by": result.stopped_by,
        "levels": {k: (lvl.value, lvl.bound, lvl.gap) for k, lvl in result.levels.items()},
    }


def run(specs: list[str], cap: float, relaxed_up_to: int) -> list[dict[str, Any]]:
    from stagematch.generate import generate

    rows = []
    for spec in specs:
        family, students, seed = spec.split(":")
        instance = generate(family, students=int(students), seed=int(seed))
        free = _solve(instance, False, cap)
        relaxed = _solve(instance, True, cap) if int(students) <= relaxed_up_to else None
        rows.append({"spec": (family, int(students), int(seed)), "free": free, "relaxed": relaxed})
        print(spec, free, relaxed, flush=True)
    return rows


def _gap(value: float) -> str:
    return f"{100 * value:.2f} %"


def section(rows: list[dict[str, Any]], command: str, load: tuple[float, float]) -> str:
    from stagematch.solver import Tuning

    lines = [
        SECTION,
        "",
        "The gap of each lower level between the value reached and the bound reported, on",
        "generated datasets, solved with the default work budget (the wall-clock cap only a",
        "safety net): with the bounds as shipped — for searched components of more than",
        f"{Tuning().lagrangian_pairs:,} pairs (up to {Tuning().first_order_pairs:,}) the Lagrangian",
        "bound, seats priced and each student's best programme exact, prices by column",
        f"generation ({Tuning().lagrangian_rounds} rounds a level), each level conditional on the",
        "values reached before it (`docs/solver.md`) — and with search-free bounds only.",
        "The plan is the same both times: bounds do not steer the search.",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(UTC).date().isoformat()}",
        f"- Load average (1 min) at the start and the end: {load[0]:.1f}, {load[1]:.1f} "
        f"(the {os.cpu_count()} cores were shared with other jobs; CPU seconds are the "
        "steadier figure)",
        "",
        "| dataset | level | value | search-free bound | gap | Lagrangian bound | gap |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        family, students, seed = r["spec"]
        name = f"{family} {students:,} (seed {seed})"
        for level in LOWER:
            value, free_bound, free_gap = r["free"]["levels"][level]
            if r["relaxed"] is not None:
                _, bound, gap = r["relaxed"]["levels"][level]
                relaxed = f"{bound:,.0f} | {_gap(gap)}"
            else:
                relaxed = "— | —"
            lines.append(
                f"| {name} | {level} | {value:,.0f} | {free_bound:,.0f} | {_gap(free_gap)} "
                f"| {relaxed} |"
            )
    lines += [
        "",
        "| dataset | search-free: s (CPU) | with the Lagrangian bound: s (CPU) |",
        "|---|---:|---:|",
    ]
    for r in rows:
        family, students, seed = r["spec"]
        free, relaxed = r["free"], r["relaxed"]
        with_relaxation = (
            "—" if relaxed is None else f"{relaxed['seconds']:.0f} ({relaxed['cpu']:.0f})"
        )
        lines.append(
            f"| {family} {students:,} (seed {seed}) | {free['seconds']:.0f} ({free['cpu']:.0f}) "
            f"| {with_relaxation} |"
        )
    lines += ["", *targets(rows), ""]
    return "\n".join(lines)


TARGET_GAPS = {"workshops": 0.01, "coverage": 0.01, "preference": 0.05, "travel": 0.05}
"""Issue 12's targets at 1,000 and 3,000 students: the gap to the reported bound."""


def targets(rows: list[dict[str, Any]]) -> list[str]:
    """Issue 12's gap targets, measured on the bounds as shipped (lines of Markdown)."""
    out = [
        "Targets of issue 12 (not asserted): `workshops` and `coverage` within 1 % of their",
        "reported bound, `preference` and `travel` within 5 %.",
        "",
    ]
    for r in rows:
        family, students, seed = r["spec"]
        shipped = r["relaxed"] or r["free"]
        misses = [
            f"{level} {100 * shipped['levels'][level][2]:.1f} %"
            for level, target in TARGET_GAPS.items()
            if shipped["levels"][level][2] > target
        ]
        verdict = "met" if not misses else "missed: " + ", ".join(misses)
        out.append(f"- {family} {students:,} (seed {seed}): **{verdict}**.")
    out += ["", *WHERE_THE_GAPS_COME_FROM]
    return out


WHERE_THE_GAPS_COME_FROM = [
    "Where the gaps come from. At 3,000 students (one searched component of 520,000 pairs)",
    "PDLP's bound cuts the gaps of coverage, preference and travel from 40.8 %, 99.1 % and",
    "57.5 % (search-free) to 4.6 %, 15.5 % and 25.2 %, for about 135 CPU seconds more (four",
    "levels, 1,000 iterations each, plus building the model; the solve without it took 18).",
    "`workshops` keeps its search-free bound (3.6 %): PDLP's is not tighter after 1,000",
    "iterations. Two causes remain, both measured on components dumped from budget-2 solves",
    "(bounds conditional on those plans): (1) PDLP stops short of the relaxation's optimum: at",
    "1,000 students, 1,000 iterations give preference 2,182 and travel 27,661, 3,000 give 2,299",
    "and 28,222, the interior point's optimum is 2,300 and 28,437; at 3,000 students, 400",
    "iterations give 2,941 and 67,695, 1,000 give 4,627 and 78,300 (about 30 CPU seconds per",
    "level per 1,000 iterations); (2) the relaxation itself: at 1,000 students, where it is",
    "solved to optimality, preference and travel stay 17.8 % and 22.1 % from the plan; if 3,000",
    "students behave alike, even the relaxation's optimum would miss the 5 % targets. How that",
    "remainder",
    "splits between the plan (the search stops when its budget is spent) and the relaxation",
    "(which lets a student hold fractions of the cheapest seats) is not measured; per-student",
    "programme columns or a Lagrangian bound with integral programmes would tighten the",
    "relaxation (`docs/solver.md`).",
    "",
    "The académie (`generate('academie', students=50000, seed=0)`, `solve(time_limit=120)`,",
    "run once by hand on 2026-12-06 at a load average of 12-13 on the 2 cores): the 120-s cap",
    "ended the search (`stopped_by: time_limit`, 464 s of wall clock, 74 CPU seconds, peak",
    "3,274 MB) before any relaxation bound was computed, so its bounds are the search-free ones:",
    "workshops 1.7 %, coverage 37.6 %, preference 99.8 %, travel 56.6 %. Whether its component",
    "fits under `Tuning.first_order_pairs` (1,000,000 pairs) on a quiet machine was not measured.",
]
"""Measured facts behind the gaps (written by hand from the runs; see the function above)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", help="FAMILY:STUDENTS:SEED")
    parser.add_argument("--cap", type=float, default=1800.0, help="wall-clock safety cap (s)")
    parser.add_argument(
        "--relaxed-up-to",
        type=int,
        default=10_000,
        help="solve with the relaxation only up to this many students",
    )
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--from-results", action="store_true", help="rewrite the section from the saved results"
    )
    args = parser.parse_args(argv)
    if args.from_results:
        saved = json.loads(RESULTS.read_text("utf-8"))
        rows, command, load = saved["rows"], saved["command"], tuple(saved["load"])
    else:
        before = os.getloadavg()[0]
        rows = run(args.specs, args.cap, args.relaxed_up_to)
        load = (before, os.getloadavg()[0])
        command = " ".join(["python", "benchmarks/bounds.py", *(argv or sys.argv[1:])])
        saved = {"rows": rows, "command": command, "load": load}
        RESULTS.write_text(json.dumps(saved, indent=1) + "\n", "utf-8")
    if args.write_docs:
        write_section(SECTION, section(rows, command, load), DOCS)
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
