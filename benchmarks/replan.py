"""Re-planning after host drop-outs: changes, time and levels of ``resolve`` against a fresh solve.

Protocol (``docs/benchmarks.md`` repeats it next to the figures):

* the dataset is ``stagematch.generate.generate(family, seed=seed)``, solved once with the
  family's time limit: that plan is the one "already sent";
* 5 % of the hosts (rounded up), drawn with ``numpy.random.default_rng(seed)``, drop out: their
  offers are removed, with every ``wished_offers`` entry and ``travel_times`` row naming them;
* the new dataset is solved twice with the same time limit: ``resolve`` (keeping the previous
  plan) and a fresh ``solve``. Both plans pass the independent checker;
* "changed" counts students whose set of items differs from the previous plan; "had to change"
  counts those who held an offer of a host that dropped out (no plan can keep them).

Each family runs in a fresh child process (its peak memory is its own).

Usage::

    .venv/bin/python benchmarks/replan.py bassin academie --write-docs
"""

from __future__ import annotations

import argparse
import json
import math
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
SECTION = "## Re-planning"
TIME_LIMITS = {"pilot": 10.0, "bassin": 60.0, "academie": 120.0}
DROP_SHARE = 0.05


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _changed(before: Any, after: Any, students: set[str]) -> int:
    """Students (still in the dataset) whose set of items differs between two plans."""
    items: dict[str, set[tuple[str, str]]] = {}
    for plan, key in ((before, 0), (after, 1)):
        for a in plan.assignments:
            items.setdefault(a.student_id, [set(), set()])[key].add((a.kind, a.item_id))  # type: ignore[index, call-overload]
    return sum(1 for s, (x, y) in items.items() if s in students and x != y)  # type: ignore[misc]


def run_child(family: str, seed: int, time_limit: float) -> dict[str, Any]:
    import numpy as np

    from stagematch import resolve, solve
    from stagematch.check import check
    from stagematch.generate import generate
    from stagematch.model import Instance

    instance = generate(family, seed=seed)
    start = time.perf_counter()
    first = solve(instance, time_limit=time_limit, seed=seed)
    first_seconds = time.perf_counter() - start

    hosts = sorted({o.host_id for o in instance.offers})
    rng = np.random.default_rng(seed)
    dropped = set(rng.choice(hosts, size=math.ceil(DROP_SHARE * len(hosts)), replace=False))
    gone = {o.offer_id for o in instance.offers if o.host_id in dropped}
    data = instance.to_dict()
    data["offers"] = [o for o in data["offers"] if o["offer_id"] not in gone]
    for s in data["students"]:
        s["wished_offers"] = [o for o in s.get("wished_offers", []) if o not in gone]
    data["travel_times"] = [t for t in data["travel_times"] if t["destination"] not in gone]
    new = Instance.from_dict(data)
    hit = {a.student_id for a in first.plan.assignments if a.item_id in gone}

    start = time.perf_counter()
    replanned = resolve(new, first, time_limit=time_limit, seed=seed)
    resolve_seconds = time.perf_counter() - start
    start = time.perf_counter()
    fresh = solve(new, time_limit=time_limit, seed=seed)
    fresh_seconds = time.perf_counter() - start
    for result in (replanned, fresh):
        report = check(new, result.plan)
        if not report.ok:
            raise SystemExit(f"{family}: invalid plan: {report.violations[:3]}")
    students = {s.student_id for s in new.students}
    return {
        "family": family,
        "students": len(new.students),
        "hosts": len(hosts),
        "dropped_hosts": len(dropped),
        "dropped_offers": len(gone),
        "had_to_change": len(hit),
        "first_seconds": round(first_seconds, 1),
        "resolve_seconds": round(resolve_seconds, 1),
        "fresh_seconds": round(fresh_seconds, 1),
        "resolve_changed": _changed(first.plan, replanned.plan, students),
        "fresh_changed": _changed(first.plan, fresh.plan, students),
        "resolve_status": replanned.status,
        "resolve_levels": {k: [v.value, v.bound] for k, v in replanned.levels.items()},
        "fresh_levels": {k: [v.value, v.bound] for k, v in fresh.levels.items()},
        "peak_mb": round(_peak_mb()),
    }


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| family | students | hosts dropped (offers) | had to change | changed: resolve | "
        "changed: fresh solve | seconds: resolve / fresh | peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['family']}` | {r['students']:,} | {r['dropped_hosts']} of {r['hosts']} "
            f"({r['dropped_offers']}) | {r['had_to_change']:,} | **{r['resolve_changed']:,}** | "
            f"{r['fresh_changed']:,} | {r['resolve_seconds']} / {r['fresh_seconds']} | "
            f"{r['peak_mb']:,} |"
        )
    lines += [
        "",
        "Levels, value / bound (`resolve` — fresh solve):",
        "",
        "| family | level | resolve | fresh solve |",
        "|---|---|---:|---:|",
    ]
    for r in rows:
        for level, (value, bound) in r["resolve_levels"].items():
            fresh = r["fresh_levels"].get(level)
            fresh_text = f"{fresh[0]:,.0f} / {fresh[1]:,.0f}" if fresh else "—"
            lines.append(
                f"| `{r['family']}` | {level} | {value:,.0f} / {bound:,.0f} | {fresh_text} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("families", nargs="+", choices=sorted(TIME_LIMITS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--note", default="", help="a sentence on the conditions, for the docs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        family = args.families[0]
        print(json.dumps(run_child(family, args.seed, TIME_LIMITS[family])))
        return
    rows = []
    for family in args.families:
        completed = subprocess.run(
            [sys.executable, __file__, family, "--seed", str(args.seed), "--child"],
            check=True,
            capture_output=True,
            text=True,
        )
        row = json.loads(completed.stdout.strip().splitlines()[-1])
        print(json.dumps(row), flush=True)
        rows.append(row)
    if args.write_docs:
        command = "python benchmarks/replan.py " + " ".join(args.families) + " --write-docs"
        text = (
            f"{SECTION}\n\n"
            "Issue 6's benchmark: a plan is solved and sent; then 5 % of the hosts (drawn at "
            "random) drop out, and the new dataset is solved twice with the same time limit — "
            "`resolve` from the sent plan, and a fresh `solve`. *Had to change*: students who "
            "held an offer of a host that dropped out; *changed*: students whose items differ "
            "from the sent plan (each one a new letter). Both plans pass the independent "
            "checker. Protocol: `benchmarks/replan.py`.\n\n"
            f"{_table(rows)}\n\n"
            f"Machine: {machine()}. Command: `{command}`. "
            f"Date: {datetime.now(UTC):%Y-%m-%d}. {args.note}\n"
        )
        write_section(SECTION, text, DOCS)


if __name__ == "__main__":
    main()
