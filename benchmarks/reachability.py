"""Time reachable pairs (students × offers and slots within travel limits) and record the figures.

Protocol: each family runs in a fresh child process. The dataset is generated first; its peak
memory is read (``ru_maxrss``) before reachability starts, so the table shows both the process
peak and the growth due to reachability alone. Reachability is
:func:`stagematch.travel.reachable` for offers (each student's limit) then for workshop slots.

Usage::

    .venv/bin/python benchmarks/reachability.py academie --write-docs
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
SECTION = "## Reachable pairs"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_child(family: str, students: int | None, seed: int) -> dict[str, Any]:
    """Generate one dataset, then compute its reachable pairs (called in the child)."""
    from stagematch.generate import generate
    from stagematch.travel import reachable

    instance = generate(family, students=students, seed=seed)
    instance.arrays  # noqa: B018 - column arrays are part of the dataset, not of reachability
    before = _peak_mb()
    start = time.perf_counter()
    offers = reachable(instance, "placement")
    middle = time.perf_counter()
    slots = reachable(instance, "workshop")
    end = time.perf_counter()
    return {
        "family": family,
        "students": len(instance.students),
        "offers": len(instance.offers),
        "slots": len(instance.workshop_slots),
        "offer_pairs": len(offers),
        "slot_pairs": len(slots),
        "seconds_offers": round(middle - start, 2),
        "seconds_slots": round(end - middle, 2),
        "peak_before_mb": round(before),
        "peak_mb": round(_peak_mb()),
    }


def section(results: list[dict[str, Any]], command: str) -> str:
    today = datetime.now(UTC).date().isoformat()
    lines = [
        SECTION,
        "",
        "`stagematch.travel.reachable`: every student–offer pair within the student's limit and",
        "every student–slot pair within the workshop limit, without building the students ×",
        "offers matrix (KD-tree on the unit sphere, students queried in chunks by mode and limit,",
        "chunks scattered into place). *Peak* is the process's resident peak; *growth* is how much",
        "reachability added to the peak reached by generating the dataset.",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{command}`",
        f"- Date: {today}",
        "",
        "| family | students | offers | offer pairs | offers (s) | slot pairs | slots (s) "
        "| peak MB | growth MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['family']} | {r['students']:,} | {r['offers']:,} | {r['offer_pairs']:,} "
            f"| {r['seconds_offers']} | {r['slot_pairs']:,} | {r['seconds_slots']} "
            f"| {r['peak_mb']:,} | {r['peak_mb'] - r['peak_before_mb']:,} |"
        )
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", default=["academie"])
    parser.add_argument("--students", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args.child, args.students, args.seed)))
        return 0
    results = []
    for family in args.families:
        command = [sys.executable, __file__, "--child", family, "--seed", str(args.seed)]
        if args.students is not None:
            command += ["--students", str(args.students)]
        done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(result, flush=True)
        results.append(result)
    if args.write_docs:
        shown = " ".join(["python", "benchmarks/reachability.py", *(argv or sys.argv[1:])])
        write_section(SECTION, section(results, shown), DOCS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
