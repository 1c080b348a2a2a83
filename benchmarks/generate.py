"""Time the dataset generator and record the figures in ``docs/benchmarks.md``.

Each family runs in a fresh child process so that its peak memory (``ru_maxrss``) is its own and
caches warmed by a previous family do not flatter the next one. The time is split between drawing
the tables (numpy) and building the validated :class:`~stagematch.model.Instance` (pydantic, one
model per row), because the second dominates and is the part a faster generator cannot remove.

Usage::

    .venv/bin/python benchmarks/generate.py                       # academie and national
    .venv/bin/python benchmarks/generate.py academie --write-docs  # update docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
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
SECTION = "## Generating datasets"


def run_child(family: str, students: int | None, seed: int) -> dict[str, Any]:
    """Generate one dataset in this process and measure it (called in the child)."""
    from stagematch.generate import FAMILIES, describe, generate_tables
    from stagematch.model import Instance

    start = time.perf_counter()
    tables = generate_tables(family, students, seed)
    drawn = time.perf_counter()
    instance = Instance.from_dict(tables)
    built = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    profile = describe(instance)
    return {
        "family": family,
        "students": students or FAMILIES[family],
        "seed": seed,
        "seconds_tables": round(drawn - start, 2),
        "seconds_instance": round(built - drawn, 2),
        "seconds_total": round(built - start, 2),
        "peak_rss_mb": round(peak_mb),
        "rows": sum(len(v) for k, v in tables.items() if k != "settings"),
        "profile": profile,
    }


def measure(family: str, students: int | None, seed: int) -> dict[str, Any]:
    """Run :func:`run_child` in a fresh interpreter and return its figures."""
    command = [sys.executable, __file__, "--child", family, "--seed", str(seed)]
    if students is not None:
        command += ["--students", str(students)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def section(results: list[dict[str, Any]], command: str) -> str:
    """The Markdown of the "Generating datasets" section."""
    today = datetime.now(UTC).date().isoformat()
    lines = [
        SECTION,
        "",
        "`stagematch.generate.generate(family, students, seed)` draws a synthetic dataset on the",
        "real geography and builds the validated `Instance` (every row goes through its pydantic",
        "model). *Tables* is the numpy drawing and the row dicts; *Instance* is validation. Peak",
        "memory is the child process's `ru_maxrss` (tables and instance both alive).",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{command}`",
        f"- Date: {today}",
        "",
        "| family | students | rows | tables (s) | Instance (s) | total (s) | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['family']} | {r['students']:,} | {r['rows']:,} | {r['seconds_tables']} "
            f"| {r['seconds_instance']} | {r['seconds_total']} | {r['peak_rss_mb']:,} |"
        )
    lines += [
        "",
        "What the datasets look like (offers reachable within each student's placement limit by",
        "the SPEC estimate, eligibility ignored; computed on up to 20,000 students):",
        "",
        "| family | QPV share | offers | seats / student | workshop slots | venues "
        "| reachable offers p10 / median / p90 | no offer in reach |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        p = r["profile"]
        reach = p.get("reachable_offers", {})
        lines.append(
            f"| {r['family']} | {p['qpv_share']:.1%} | {p['offers']:,} "
            f"| {p['seats_per_student']:.2f} | {p['workshop_slots']:,} | {p['venues']} "
            f"| {reach.get('p10', 0):.0f} / {reach.get('median', 0):.0f} / {reach.get('p90', 0):.0f} "
            f"| {reach.get('zero_share', 0):.1%} |"
        )
    largest = max(results, key=lambda r: r["rows"])
    per_row = largest["seconds_instance"] / largest["rows"] * 1e6
    lines += [
        "",
        "Reachable counts follow population density: with about one seat per student and a",
        "45-minute transit limit (8 km in a straight line), a student in central Lille or Paris",
        "has thousands of offers in reach, a rural one a few dozen. Validation (the *Instance*",
        f"column) is most of the time: {per_row:.0f} µs per row with pydantic "
        f"({largest['family']}).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", default=["academie", "national"])
    parser.add_argument("--students", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child, args.students, args.seed)))
        return 0
    results = []
    for family in args.families:
        result = measure(family, args.students, args.seed)
        print(
            f"{family}: {result['students']:,} students, {result['rows']:,} rows, "
            f"{result['seconds_total']} s ({result['seconds_tables']} s tables + "
            f"{result['seconds_instance']} s Instance), peak {result['peak_rss_mb']:,} MB",
            flush=True,
        )
        results.append(result)
    if args.write_docs:
        shown = " ".join(["python", "benchmarks/generate.py", *(argv or sys.argv[1:])])
        write_section(SECTION, section(results, shown), DOCS)
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
