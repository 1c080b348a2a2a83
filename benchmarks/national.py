"""Solve a generator instance by geographic parts; record seconds, memory and the split's cost.

Protocol (``docs/scaling.md`` repeats it next to the figures):

* each run is a fresh child process; the dataset is ``stagematch.generate.generate(family,
  students, seed)``, built before the solve's clock starts (its seconds and memory are shown);
* ``--workers 0`` runs the parts one after another in the child (``executor=None``);
  ``--workers N`` starts a ``dask.distributed`` LocalCluster of N worker processes with one
  thread each on localhost and passes ``client.get_executor()``; the parts' budgets assume
  ``--concurrency`` parts at once (default: the workers, at least 1), so runs with the same
  concurrency give every part the same budget whatever the workers;
* phases are those ``solve_in_parts`` reports (split, parts, repair, bounds, reasons) plus
  writing the plan files and the independent check; memory is the resident peak of the child
  after each phase, and of each worker process at the end (``ru_maxrss``);
* the plan is checked with ``stagematch.check`` (``--no-check`` skips it); the figures are
  kept only if it passes.

Usage (one command per row of ``docs/scaling.md``)::

    .venv/bin/python benchmarks/national.py national --workers 2 --write-docs
    .venv/bin/python benchmarks/national.py academie --max-pairs 40e6 --workers 0 --write-docs
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "national_results.json"
DOCS = ROOT / "docs" / "scaling.md"
SECTION = "## Measured"
LEVELS = ("qpv_placed", "placed", "workshops", "coverage", "preference", "travel")
TIME_LIMITS = {"bassin": 60.0, "academie": 120.0, "national": 1200.0}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_child(args: argparse.Namespace) -> dict[str, Any]:
    """Generate, solve by parts, write and check, in this process (called in the child)."""
    from stagematch.check import check
    from stagematch.decompose import partition
    from stagematch.export import write_plan
    from stagematch.generate import generate
    from stagematch.solver import Progress
    from stagematch.solver.parts import solve_in_parts

    started = time.perf_counter()
    instance = generate(args.family, students=args.students, seed=args.seed)
    generated = time.perf_counter()
    memory = {"dataset": round(_peak_mb())}

    class Record(Progress):
        def on_phase(self, phase: str, seconds: float) -> None:
            memory[phase] = round(_peak_mb())
            print(f"{phase}: {seconds:.1f} s, peak {memory[phase]:,} MB", file=sys.stderr)

        def on_component(self, done: int, total: int, students: int) -> None:
            print(f"part {done}/{total} ({students:,} students)", file=sys.stderr, flush=True)

    concurrency = args.concurrency or max(args.workers, 1)
    limit = args.time_limit or TIME_LIMITS[args.family]
    cluster = client = None
    executor = None
    if args.workers:
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=args.workers, processes=True, threads_per_worker=1, dashboard_address=":0"
        )
        client = Client(cluster)
        executor = client.get_executor()
    clock = time.perf_counter()
    split = partition(instance, max_pairs=args.max_pairs)  # the solve's "split" phase
    cut = time.perf_counter()
    result = solve_in_parts(
        instance,
        split,
        time_limit=limit,
        seed=args.seed,
        executor=executor,
        concurrency=concurrency,
        progress=Record(),
    )
    solved = time.perf_counter()
    worker_mb: list[int] = []
    if client is not None and cluster is not None:
        peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        worker_mb = sorted(round(v) for v in peaks.values())
        client.close()
        cluster.close()
    with tempfile.TemporaryDirectory() as folder:
        write_plan(result, folder)
    written = time.perf_counter()
    memory["write"] = round(_peak_mb())
    checked_ok: bool | None = None
    if not args.no_check:
        report = check(instance, result.plan)
        if not report.ok:
            raise SystemExit(f"the plan breaks hard rules: {report.violations[:5]}")
        checked_ok = True
    checked = time.perf_counter()
    memory["check"] = round(_peak_mb())
    return {
        "family": args.family,
        "students": len(instance.students),
        "offers": len(instance.offers),
        "slots": len(instance.workshop_slots),
        "seed": args.seed,
        "parts": split.n_parts,
        "max_pairs": args.max_pairs,
        "estimated_pairs": round(float(split.pairs.sum())),
        "workers": args.workers,
        "concurrency": concurrency,
        "time_limit": limit,
        "status": result.status,
        "seconds": {
            **{k: round(v, 2) for k, v in result.seconds.items()},
            "split": round(cut - clock + result.seconds["split"], 2),
        },
        "seconds_generate": round(generated - started, 2),
        "seconds_solve": round(solved - clock, 2),
        "seconds_write": round(written - solved, 2),
        "seconds_check": round(checked - written, 2) if checked_ok else None,
        "memory_mb": memory,
        "worker_mb": worker_mb,
        "levels": {
            name: {"value": lvl.value, "bound": lvl.bound, "gap": lvl.gap}
            for name, lvl in result.levels.items()
        },
    }


def measure(argv: list[str]) -> dict[str, Any]:
    """Run :func:`run_child` in a fresh interpreter and return its figures."""
    command = [sys.executable, __file__, "--child", *argv]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _read() -> list[dict[str, Any]]:
    if not RESULTS.exists():
        return []
    return list(json.loads(RESULTS.read_text(encoding="utf-8")))


def store(new: dict[str, Any]) -> None:
    """Keep one entry per (family, students, seed, max_pairs, workers, concurrency)."""

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        return (
            r["family"],
            r["students"],
            r["seed"],
            r["max_pairs"],
            r["workers"],
            r["concurrency"],
        )

    kept = [r for r in _read() if key(r) != key(new)] + [new]
    kept.sort(key=lambda r: (r["family"], r["max_pairs"], r["workers"], r["concurrency"]))
    RESULTS.write_text(json.dumps(kept, indent=1) + "\n", encoding="utf-8")


def _cell(level: dict[str, float]) -> str:
    gap = "proven" if level["gap"] == 0 else f"{level['gap']:.2%}"
    return f"{level['value']:,.0f} / {level['bound']:,.0f} ({gap})"


def section(results: list[dict[str, Any]]) -> str:
    """The Markdown of the "Measured" section, from every stored run."""
    lines = [
        SECTION,
        "",
        "Written by `benchmarks/national.py --write-docs` from `benchmarks/national_results.json`",
        "(protocol in the script's docstring). *Workers*: dask worker processes (0: the parts",
        "one after another in one process); *conc.*: how many parts the budgets assume at once.",
        "*Solve* runs from the dataset to the result; its phases: *split* (estimating pairs and",
        "cutting), *parts* (wall time of all parts: candidates, the bound's flows, the parts'",
        "solves), *repair*, *bounds*, *reasons* (levels and reasons of the merged plan). Peak",
        "memory is the resident peak of the main process after each phase, then of each worker.",
        "",
        "| family | students | parts | workers | conc. | limit (s) | generate (s) | split | parts "
        "| repair | bounds | reasons | solve (s) | write | check | peak MB (dataset / parts / "
        "end) | workers' peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        s, m = r["seconds"], r["memory_mb"]
        check = "—" if r["seconds_check"] is None else r["seconds_check"]
        workers = ", ".join(f"{w:,}" for w in r["worker_mb"]) or "—"
        lines.append(
            f"| {r['family']} | {r['students']:,} | {r['parts']} | {r['workers']} "
            f"| {r['concurrency']} | {r['time_limit']:g} | {r['seconds_generate']} "
            f"| {s['split']} | {s['parts']} | {s['repair']} | {s['bounds']} | {s['reasons']} "
            f"| {r['seconds_solve']} | {r['seconds_write']} | {check} "
            f"| {m['dataset']:,} / {m['parts']:,} / {max(m.values()):,} | {workers} |"
        )
    lines += [
        "",
        "Levels: value / bound of the undecomposed optimum (gap). The `qpv_placed` and `placed`",
        "bounds are the glued minimum cut (module `stagematch.solver.parts`), the others the",
        "search-free bounds; with one part they are the undecomposed solve's own.",
        "",
        "| family | parts | workers | " + " | ".join(LEVELS) + " |",
        "|---|---:|---:|" + "---:|" * len(LEVELS),
    ]
    for r in results:
        cells = [_cell(r["levels"][n]) if n in r["levels"] else "—" for n in LEVELS]
        lines.append(
            f"| {r['family']} | {r['parts']} | {r['workers']} | " + " | ".join(cells) + " |"
        )
    lines += ["", "Runs:", ""]
    for r in results:
        lines.append(f"- `{r['command']}` — {r['date']}, load average {r['load']} when it started")
    machines = sorted({r["machine"] for r in results})
    lines += ["", *(f"- Machine: {m}" for m in machines), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", nargs="?", default="national")
    parser.add_argument("--students", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=None)
    parser.add_argument("--max-pairs", type=float, default=80e6)
    parser.add_argument("--workers", type=int, default=2, help="dask worker processes; 0: none")
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    parser.add_argument(
        "--report-only", action="store_true", help="only rebuild the docs from stored results"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.report_only:
        write_section(SECTION, section(_read()), DOCS)
        print(f"wrote {DOCS}")
        return 0
    if args.child:
        print(json.dumps(run_child(args)))
        return 0
    shown = " ".join(["python", "benchmarks/national.py", *(argv or sys.argv[1:])])
    load = os.getloadavg()[0]
    result = measure([a for a in (argv or sys.argv[1:]) if a != "--write-docs"])
    result.update(
        command=shown,
        date=datetime.now(UTC).date().isoformat(),
        machine=machine(),
        load=round(load, 2),
    )
    store(result)
    levels = ", ".join(f"{k} {v['value']:g}/{v['bound']:g}" for k, v in result["levels"].items())
    print(
        f"{result['family']}: {result['parts']} parts, {result['status']} in "
        f"{result['seconds_solve']} s, peak {max(result['memory_mb'].values()):,} MB "
        f"(workers {result['worker_mb']}); {levels}"
    )
    if args.write_docs:
        write_section(SECTION, section(_read()), DOCS)
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
