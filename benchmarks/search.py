"""Neighbourhood search at scale: steps, their cost and the levels reached with the default budget.

Each dataset is generated (``stagematch.generate.generate(FAMILY, students=N, seed=S)``) and
solved once as ``stagematch solve`` would (default options: the settings' seed and work budget)
under a generous wall-clock cap, so that the budget, never the clock, ends the search. The
neighbourhood search's steps and CPU seconds are measured around
``stagematch.solver.search.improve``; the levels and bounds are the result's.

Runs are stored under a label (``--label``) in ``benchmarks/search.json``, so a run of an older
checkout (``PYTHONPATH=OLD/src``) and one of this one make one before/after table; each label
is compared lexicographically, in objective order, with the label before it in ``--labels``.

Usage::

    PYTHONPATH=/path/to/old/src .venv/bin/python benchmarks/search.py bassin:1000:1 --label before
    .venv/bin/python benchmarks/search.py bassin:1000:1 --label after --write-docs
"""

from __future__ import annotations

import argparse
import itertools
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
STORE = Path(__file__).resolve().parent / "search.json"
SECTION = "## Neighbourhood search at scale"
LOWER = ("workshops", "coverage", "preference", "travel")


def run_one(spec: str, cap: float) -> dict[str, Any]:
    """Solve one generated dataset with the default options; its steps, seconds and levels."""
    import stagematch.solver.search as search
    from stagematch.generate import generate
    from stagematch.solver import solve

    family, students, seed = spec.split(":")
    instance = generate(family, students=int(students), seed=int(seed))
    improve = search.improve
    steps: list[tuple[int, float]] = []

    def counted(*args: Any, **kwargs: Any) -> int:
        cpu = time.process_time()
        done = improve(*args, **kwargs)
        steps.append((done, time.process_time() - cpu))
        return done

    search.improve = counted
    load = os.getloadavg()[0]
    start, cpu = time.monotonic(), time.process_time()
    try:
        result = solve(instance, time_limit=cap)
    finally:
        search.improve = improve
    return {
        "spec": spec,
        "seconds": time.monotonic() - start,
        "cpu": time.process_time() - cpu,
        "load": [load, os.getloadavg()[0]],
        "steps": sum(n for n, _ in steps),
        "search_cpu": sum(s for _, s in steps),
        "stopped_by": result.stopped_by,
        "objective": list(result.levels),
        "levels": {k: [lvl.value, lvl.bound, lvl.gap] for k, lvl in result.levels.items()},
    }


def _better(objective: list[str], a: dict[str, Any], b: dict[str, Any]) -> str:
    """How run ``a`` compares with ``b`` lexicographically: better, worse or equal."""
    from stagematch.levels import LEVELS

    for level in objective:
        x, y = a["levels"][level][0], b["levels"][level][0]
        if x != y:
            return f"better ({level})" if LEVELS[level].better(x, y) else f"worse ({level})"
    return "equal"


def section(store: dict[str, Any], labels: list[str], commands: list[str]) -> str:
    """The docs section: one row per dataset and label, then the comparisons."""
    lines = [
        SECTION,
        "",
        "The neighbourhood search on generated datasets, solved as `stagematch solve` does",
        "(default budget and seed) with a generous wall-clock cap: *before*, steps of 120",
        "students; *after*, steps of 30 aimed where value is lost; *compete*, with the",
        "neighbourhoods of students competing for sessions after the first sweep",
        "(`docs/solver.md`). *Steps* and *search CPU s* are measured around the search alone;",
        "the gaps are to the bounds each solve reported (stored with the run: the *before* and",
        "*after* runs predate the PDLP relaxation bounds, so their 3,000-student bounds are the",
        "search-free ones; the plans do not depend on the bounds).",
        "",
        f"- Machine: {machine()}",
        *[f"- Command: `{command}`" for command in commands],
        f"- Date: {datetime.now(UTC).date().isoformat()}",
        "- Runs are on a machine shared with other jobs (load averages per row); CPU seconds "
        "are the steadier figure.",
        "",
        "| dataset | code | steps | search CPU s | steps / CPU s | workshops | coverage "
        "| preference | travel | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    specs = list(dict.fromkeys(r["spec"] for label in labels for r in store.get(label, [])))
    for spec in specs:
        for label in labels:
            row = next((r for r in store.get(label, []) if r["spec"] == spec), None)
            if row is None:
                continue
            cells = [
                f"{row['levels'][lvl][0]:,.0f} ({100 * row['levels'][lvl][2]:.1f} %)"
                for lvl in LOWER
            ]
            rate = row["steps"] / max(row["search_cpu"], 1e-9)
            lines.append(
                f"| {_name(spec)} | {label} | {row['steps']} | {row['search_cpu']:.1f} "
                f"| {rate:.1f} | {' | '.join(cells)} | {row['load'][0]:.1f}–{row['load'][1]:.1f} |"
            )
    lines += ["", "Lexicographic comparison, in objective order:", ""]
    for old, new in itertools.pairwise(labels):
        for spec in specs:
            rows = [
                next((r for r in store.get(lbl, []) if r["spec"] == spec), None)
                for lbl in (old, new)
            ]
            if rows[0] is not None and rows[1] is not None:
                verdict = _better(rows[1]["objective"], rows[1], rows[0])
                lines.append(f"- {_name(spec)}: {new} is {verdict} than {old}.")
    return "\n".join(lines) + "\n"


def _name(spec: str) -> str:
    family, students, seed = spec.split(":")
    return f"{family} {int(students):,} (seed {seed})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", help="FAMILY:STUDENTS:SEED")
    parser.add_argument("--label", default="after", help="the runs' label in the store")
    parser.add_argument("--cap", type=float, default=3000.0, help="wall-clock cap, seconds")
    parser.add_argument("--store", type=Path, default=STORE)
    parser.add_argument(
        "--labels", nargs="+", default=["before", "after", "compete"], help="table order"
    )
    parser.add_argument("--command", action="append", default=[], help="commands to show")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    args = parser.parse_args(argv)
    store = json.loads(args.store.read_text()) if args.store.exists() else {}
    for spec in args.specs:
        row = run_one(spec, args.cap)
        print(json.dumps(row), flush=True)
        kept = [r for r in store.get(args.label, []) if r["spec"] != spec]
        store[args.label] = [*kept, row]
        args.store.write_text(json.dumps(store, indent=1) + "\n", encoding="utf-8")
    if args.write_docs:
        shown = args.command or [" ".join(["python", "benchmarks/search.py", *sys.argv[1:]])]
        write_section(SECTION, section(store, args.labels, shown), DOCS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
