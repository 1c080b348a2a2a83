"""Solve generator instances and record seconds, memory, levels and bounds in the docs.

Protocol (``docs/benchmarks.md`` repeats it next to the figures):

* each family runs in a fresh child process, so its peak memory (``ru_maxrss``) is its own;
* the dataset is ``stagematch.generate.generate(family, students, seed)``, built before the
  clock starts; the phases are those ``solve`` reports (candidates, short lists, flow, greedy,
  CP-SAT search, reasons) plus writing the plan files;
* memory is the process's peak resident set after each phase (it only grows);
* every plan is checked with the independent checker before its figures are kept.

Usage::

    .venv/bin/python benchmarks/solve.py pilot bassin academie --write-docs
    .venv/bin/python benchmarks/solve.py academie --time-limit 120
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Solving"
TIME_LIMITS = {"pilot": 10.0, "bassin": 60.0, "academie": 120.0, "national": 1200.0}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_child(family: str, students: int | None, seed: int, time_limit: float) -> dict[str, Any]:
    """Solve one dataset in this process and measure it (called in the child)."""
    from stagematch.check import check
    from stagematch.export import write_plan
    from stagematch.generate import generate
    from stagematch.solver import Progress, solve

    instance = generate(family, students=students, seed=seed)
    memory = {"dataset": round(_peak_mb())}

    class Record(Progress):
        def on_phase(self, phase: str, seconds: float) -> None:
            memory[phase] = round(_peak_mb())

    start = time.perf_counter()
    result = solve(instance, time_limit=time_limit, seed=seed, progress=Record())
    solved = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_plan(result, folder)
    written = time.perf_counter()
    memory["write"] = round(_peak_mb())
    report = check(instance, result.plan)
    if not report.ok:
        raise SystemExit(f"the plan breaks hard rules: {report.violations[:5]}")
    return {
        "family": family,
        "students": len(instance.students),
        "offers": len(instance.offers),
        "slots": len(instance.workshop_slots),
        "seed": seed,
        "time_limit": time_limit,
        "status": result.status,
        "seconds": {k: round(v, 2) for k, v in result.seconds.items()},
        "seconds_solve": round(solved - start, 2),
        "seconds_write": round(written - solved, 2),
        "memory_mb": memory,
        "levels": {
            name: {"value": lvl.value, "bound": lvl.bound, "gap": lvl.gap}
            for name, lvl in result.levels.items()
        },
    }


def measure(family: str, students: int | None, seed: int, time_limit: float) -> dict[str, Any]:
    """Run :func:`run_child` in a fresh interpreter and return its figures."""
    command = [
        sys.executable,
        __file__,
        "--child",
        family,
        "--seed",
        str(seed),
        "--time-limit",
        str(time_limit),
    ]
    if students is not None:
        command += ["--students", str(students)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _gap(level: dict[str, float]) -> str:
    return "proven" if level["gap"] == 0 else f"{level['gap']:.1%}"


def section(results: list[dict[str, Any]], command: str) -> str:
    """The Markdown of the "Solving" section."""
    today = datetime.now(UTC).date().isoformat()
    lines = [
        SECTION,
        "",
        "`stagematch.solve` on generator instances (seed 0). Each family runs in a fresh",
        "process; *build* is candidates (reachability + eligibility), *short* the short lists,",
        "*flow* the placement flows with their minimum-cut proof, *greedy* the completion,",
        "*search* the CP-SAT work (exact model or neighbourhood search), *reasons* the",
        "explanations; *write* writes the plan files.",
        "Peak memory is the process's resident peak at the end of the phase. Every plan passed",
        "the independent checker. A level's gap is |value − bound| / max(|value|, |bound|).",
        "The nation does not fit one candidate set; it is solved by parts, measured in",
        "[Scaling](scaling.md).",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{command}`",
        f"- Date: {today}",
        "",
        "| family | students | offers | limit (s) | status | build | short | flow | greedy "
        "| search | reasons | write | total (s) | peak MB (build / flow / search / end) |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        s, m = r["seconds"], r["memory_mb"]
        lines.append(
            f"| {r['family']} | {r['students']:,} | {r['offers']:,} | {r['time_limit']:g} "
            f"| {r['status']} | {s['candidates']} | {s['shortlist']} | {s['flow']} "
            f"| {s['greedy']} | {s['components']} | {s['reasons']} | {r['seconds_write']} "
            f"| {s['total']} "
            f"| {m['candidates']:,} / {m['flow']:,} / {m['components']:,} / {m['write']:,} |"
        )
    names = list(results[0]["levels"]) if results else []
    lines += [
        "",
        "Levels (value / proven bound, gap):",
        "",
        "| family | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for r in results:
        cells = [
            f"{lvl['value']:g} / {lvl['bound']:g} ({_gap(lvl)})"
            for lvl in (r["levels"][n] for n in names)
        ]
        lines.append(f"| {r['family']} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", default=["pilot", "bassin", "academie"])
    parser.add_argument("--students", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child, args.students, args.seed, args.time_limit)))
        return 0
    results = []
    for family in args.families:
        limit = args.time_limit or TIME_LIMITS[family]
        result = measure(family, args.students, args.seed, limit)
        levels = ", ".join(
            f"{k} {v['value']:g}/{v['bound']:g}" for k, v in result["levels"].items()
        )
        s, m = result["seconds"], result["memory_mb"]
        build = s["candidates"]
        print(
            f"{family}: {result['status']}; build {build} s (peak {m['candidates']:,} MB), "
            f"solve {round(s['total'] - build, 2)} s (peak {m['reasons']:,} MB), "
            f"write {result['seconds_write']} s (peak {m['write']:,} MB); {levels}",
            flush=True,
        )
        results.append(result)
    if args.write_docs:
        shown = " ".join(["python", "benchmarks/solve.py", *(argv or sys.argv[1:])])
        write_section(SECTION, section(results, shown), DOCS)
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
