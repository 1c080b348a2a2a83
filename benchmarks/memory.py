"""Peak memory of an académie solve, at the generator's offer density and at twice it.

Protocol (``docs/benchmarks.md``, section "Memory", repeats it next to the figures):

* the dataset is ``stagematch.generate.generate_tables("academie", students, seed)``; with
  ``--density 2`` every offer is listed twice, the copy (id suffixed ``-2``) at the same host
  moved by up to about 300 m (a seeded draw), so offers, seats and reachable pairs double
  while students, workshops and wishes stay those of the generator. Built before the clock
  starts;
* each run is a fresh child process, so its peak resident memory (``ru_maxrss``) is its own;
* first the memory estimate (:func:`stagematch.solver.memory.estimate`, no pair listed),
  then ``stagematch.solve`` with ``--time-limit`` and ``--memory-limit`` (``off``: no limit,
  the single solve of before); the peak is read after each phase the solve reports;
* ``--probe`` lists the candidate pairs only, to compare the estimate with the real count
  and to see what the pairs' arrays hold;
* every plan is checked with the independent checker before its figures are kept.

Usage::

    .venv/bin/python benchmarks/memory.py --density 1 2 --memory-limit off
    .venv/bin/python benchmarks/memory.py --density 1 2 --write-docs
    .venv/bin/python benchmarks/memory.py --docs-only   # the section again, from the results
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
RESULTS = Path(__file__).with_name("memory_results.json")
SECTION = "## Memory"
JITTER_DEGREES = 0.003  # about 300 m: the copies stay at their host's address, give or take


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def dense_tables(students: int, seed: int, density: int) -> dict[str, Any]:
    """The académie's tables with every offer listed ``density`` times (module docstring)."""
    import numpy as np

    from stagematch.generate.families import generate_tables

    tables = generate_tables("academie", students=students, seed=seed)
    rng = np.random.default_rng(seed + 1_000)
    copies = []
    for k in range(2, density + 1):
        for row in tables["offers"]:
            copy = dict(row, offer_id=f"{row['offer_id']}-{k}")
            if "lat" in copy:
                dlat, dlon = rng.uniform(-JITTER_DEGREES, JITTER_DEGREES, 2)
                copy["lat"] = round(float(copy["lat"]) + dlat, 6)
                copy["lon"] = round(float(copy["lon"]) + dlon, 6)
            copies.append(copy)
    tables["offers"] = tables["offers"] + copies
    return tables


def _estimate(instance: Any) -> dict[str, Any]:
    """The memory estimate and its seconds (zeros on a version before it, to measure that)."""
    try:
        from stagematch.solver.memory import estimate
    except ImportError:
        return {"pairs": 0, "mb": 0, "seconds": 0}
    started = time.perf_counter()
    guess = estimate(instance)
    seconds = round(time.perf_counter() - started, 2)
    return {"pairs": guess.pairs, "mb": guess.megabytes, "seconds": seconds}


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    from stagematch.candidates import candidates
    from stagematch.check import check
    from stagematch.model import Instance
    from stagematch.solver import Progress, solve

    instance = Instance.from_dict(dense_tables(args.students, args.seed, args.density))
    out: dict[str, Any] = {
        "density": args.density,
        "students": len(instance.students),
        "offers": len(instance.offers),
        "seats": sum(o.capacity for o in instance.offers),
        "memory_limit": args.memory_limit,
        "time_limit": args.time_limit,
        "load": os.getloadavg()[0],
    }
    memory = {"dataset": round(_peak_mb())}
    out["estimate"] = _estimate(instance)
    memory["estimate"] = round(_peak_mb())
    if args.probe:
        started = time.perf_counter()
        cand = candidates(instance)
        arrays = [
            cand.offers.student,
            cand.offers.item,
            cand.offers.minutes,
            cand.offer_cost,
            cand.offer_rank,
            cand.slots.student,
            cand.slots.item,
            cand.slots.minutes,
        ]
        out["probe"] = {
            "offer_pairs": len(cand.offers),
            "slot_pairs": len(cand.slots),
            "held_mb": round(sum(a.nbytes for a in arrays) / 2**20),
            "seconds": round(time.perf_counter() - started, 2),
        }
        memory["candidates"] = round(_peak_mb())
        out["memory_mb"] = memory
        return out

    cpu: dict[str, float] = {}
    cpu_start = [time.process_time()]

    class Record(Progress):
        def on_phase(self, phase: str, seconds: float) -> None:
            memory[phase] = round(_peak_mb())
            now = time.process_time()  # this process's CPU seconds: the load does not count
            cpu[phase] = round(now - cpu_start[0], 2)
            cpu_start[0] = now

    given = {} if args.memory_limit == "default" else {"memory_limit": args.memory_limit}
    result = solve(instance, time_limit=args.time_limit, seed=args.seed, progress=Record(), **given)
    report = check(instance, result.plan)
    if not report.ok:
        raise SystemExit(f"the plan breaks hard rules: {report.violations[:5]}")
    memory["end"] = round(_peak_mb())
    out.update(
        {
            "status": result.status,
            "stopped_by": result.stopped_by,
            "parts": result.options.get("parts"),
            "seconds": {k: round(v, 2) for k, v in result.seconds.items()},
            "cpu_seconds": cpu,
            "memory_mb": memory,
            "levels": {
                name: {"value": lvl.value, "bound": lvl.bound}
                for name, lvl in result.levels.items()
            },
        }
    )
    return out


def measure(args: argparse.Namespace, density: int) -> dict[str, Any]:
    """:func:`run_child` in a fresh interpreter."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "--density",
        str(density),
        "--students",
        str(args.students),
        "--seed",
        str(args.seed),
        "--time-limit",
        str(args.time_limit),
        "--memory-limit",
        str(args.memory_limit),
    ]
    if args.probe:
        command.append("--probe")
    # cwd: this checkout, unless PYTHONPATH points at another one's ``src`` (to measure it).
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _row(r: dict[str, Any]) -> str:
    m, s = r["memory_mb"], r.get("seconds", {})
    est = r["estimate"]
    guess = f"{est['pairs']:,} ({est['mb']:,} MB, {est['seconds']} s)" if est["pairs"] else "—"
    phases = " / ".join(
        f"{m[k]:,}" for k in ("estimate", "candidates", "flow", "components", "end") if k in m
    )
    seconds = " / ".join(str(s[k]) for k in ("candidates", "flow", "components", "total") if k in s)
    if "parts" in s:  # by parts: the parts' phases added up, then the whole
        seconds = (
            f"parts: {s['parts_candidates']} / {s['parts_solve_flow']} "
            f"/ {s['parts_solve_components']} / {s['total']}"
        )
        phases = f"{m['estimate']:,} / parts {m['parts']:,} / {m['end']:,}"
    levels = r.get("levels", {})
    placed = levels.get("placed", {})
    return (
        f"| {r['label']} | {r['density']} | {r['offers']:,} | {r['memory_limit']} | {guess} "
        f"| {r.get('parts') or 1} | {r.get('status')} "
        f"| {seconds} | {phases} | {placed.get('value', 0):,.0f} / {placed.get('bound', 0):,.0f} "
        f"| {r['load']:.1f} |"
    )


PHASES = ("candidates", "shortlist", "flow", "greedy", "components", "reasons")


def _phase_row(r: dict[str, Any]) -> str:
    """Wall and CPU seconds and peak MB of each phase of one whole solve."""
    wall, cpu, peak = r["seconds"], r["cpu_seconds"], r["memory_mb"]
    cells = [f"{wall.get(k, 0)} / {cpu.get(k, 0)} / {peak.get(k, 0):,}" for k in PHASES]
    before = sum(cpu.get(k, 0) for k in PHASES[:4])
    return (
        f"| {r['label']} | {r['density']} | {r.get('stopped_by')} | {' | '.join(cells)} "
        f"| {round(before, 2)} | {wall.get('total')} | {r['load']:.1f} |"
    )


def _phases_table(results: list[dict[str, Any]]) -> list[str]:
    whole = [r for r in results if "cpu_seconds" in r and "parts" not in r.get("seconds", {})]
    if not whole:
        return []
    return [
        "",
        "Phase by phase (runs that recorded CPU time): wall seconds / CPU seconds of the",
        "process / peak MB at the phase's end. *Before the search* adds the CPU seconds of the",
        "first four phases; *components* is the search and the bounds, cut by the wall-clock cap.",
        "(`presearch`, density 1: its greedy pass stopped at the cap, since changed; see *Where",
        "a solve's memory goes*.)",
        "",
        "| code | density | stopped_by | " + " | ".join(PHASES) + " | before the search (CPU s) "
        "| total (s) | load |",
        "|---|---:|---|" + "---|" * len(PHASES) + "---:|---:|---:|",
        *[_phase_row(r) for r in whole],
    ]


def section(results: list[dict[str, Any]], commands: list[str]) -> str:
    """The Markdown of the "Memory" section."""
    lines = [
        SECTION,
        "",
        "Issue 12's memory target: an académie of 50,000 students solved in 120 s under 4 GB",
        "peak, also with twice the generator's offer density (every offer listed twice, the",
        "copy moved by up to 300 m: twice the offers, seats and pairs). Each run is a fresh",
        "process; the peak is its resident peak after each phase. *Estimate*: the pairs and",
        "bytes `stagematch.solver.memory.estimate` predicts before any pair is listed.",
        "The estimate's megabytes are those of the run (40 bytes a pair then; 32 since, from",
        "these runs; 18 a pair and 12 KiB a student from `s11`). By parts, the seconds are the",
        "parts' listing, flows and search added up.",
        "*Code* `before` is main before issue 12's memory work (commit `ea79d10`, run with",
        "`PYTHONPATH` pointing at that checkout's `src`: always one whole solve); `after` is",
        "this version, where the default `memory_limit` (4 GB) decides whether to solve by",
        "parts. `ead7718` is main before the phases before the search were made faster (run",
        "the same way), `presearch` the version after (wall seconds depend on the load, which",
        "was high: compare the CPU seconds); `s10-start` is main at the start of session 10",
        "(`3d71cf2`, code of `5797723`); `s11` is session 11's (`a031e45`: wish costs in",
        "`int16`, the listing's freed memory given back to the system, the flow's mask of",
        "active pairs updated in place, its proof's scan by blocks of pairs; the estimate of",
        "above, so the default limit solves both densities whole). Protocol:",
        "`benchmarks/memory.py`.",
        "",
        f"- Machine: {machine()}",
        *[f"- Command: `{c}`" for c in commands],
        f"- Date: {datetime.now(UTC).date().isoformat()}",
        "",
        "| code | density | offers | limit | estimate: pairs (MB, s) | parts | status "
        "| seconds (candidates / flow / search / total) "
        "| peak MB (estimate / candidates / flow / search / end) | placed / bound | load |",
        "|---|---:|---:|---|---|---:|---|---|---|---|---:|",
    ]
    lines += [_row(r) for r in results if "probe" not in r]
    lines += _phases_table([r for r in results if "probe" not in r])
    probes = [r for r in results if "probe" in r]
    if probes:
        lines += [
            "",
            "Pairs listed (`--probe`: candidates only), against the estimate:",
            "",
            "| code | density | estimated pairs | offer pairs | slot pairs | arrays held (MB) "
            "| peak MB | seconds |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in probes:
            p = r["probe"]
            lines.append(
                f"| {r['label']} | {r['density']} | {r['estimate']['pairs']:,} "
                f"| {p['offer_pairs']:,} "
                f"| {p['slot_pairs']:,} | {p['held_mb']:,} | {r['memory_mb']['candidates']:,} "
                f"| {p['seconds']} |"
            )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--density", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--memory-limit", default="default", help="e.g. 4GB, off, default")
    parser.add_argument("--probe", action="store_true", help="list the pairs only")
    parser.add_argument(
        "--label", default="after", help="which code is measured (before: main's, via PYTHONPATH)"
    )
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    parser.add_argument(
        "--docs-only", action="store_true", help=f"rewrite {DOCS.name} from {RESULTS.name}"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.density = args.density[0]
        print(json.dumps(run_child(args)))
        return 0
    command = " ".join(["python", "benchmarks/memory.py", *(argv or sys.argv[1:])])
    for density in [] if args.docs_only else args.density:
        result = measure(args, density)
        result["command"] = command
        result["label"] = args.label
        result["date"] = datetime.now(UTC).isoformat(timespec="minutes")
        print(json.dumps(result), flush=True)
        # Read just before writing: another run may have added its figures meanwhile.
        previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": []}
        previous["runs"].append(result)
        RESULTS.write_text(json.dumps(previous, indent=1) + "\n")
    if args.write_docs or args.docs_only:
        runs = json.loads(RESULTS.read_text())["runs"]
        commands = sorted({r["command"] for r in runs})
        write_section(SECTION, section(runs, commands), DOCS)
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
