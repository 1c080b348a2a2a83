"""Reproducibility: two command-line solves of one dataset with one seed give the same plan.

Protocol (``docs/benchmarks.md`` repeats it next to the figures):

* the dataset is ``stagematch generate FAMILY DIR --students N --seed 0``;
* it is solved twice, one run after the other, with ``stagematch solve DIR --out RUN_k --seed 0``
  and the default work budget (the ``budget`` setting), under a generous ``--time-limit``
  (a safety cap that should not end the search: ``stopped_by`` says whether it did);
* the two ``assignments.csv`` are compared byte for byte, and ``stagematch reproduce`` is run
  on the first folder.

Usage::

    .venv/bin/python benchmarks/reproducible.py --students 3000 --write-docs
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from common import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Reproducible plans"
STAGEMATCH = str(Path(sys.executable).with_name("stagematch"))


def _run(*args: str) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run([STAGEMATCH, *args], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(done.stderr)
    return time.monotonic() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--family", default="bassin")
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--time-limit", type=float, default=900.0)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        _run("generate", args.family, str(data), "--students", str(args.students), "--seed", "0")
        runs = []
        for k in (1, 2):
            out = Path(tmp) / f"run{k}"
            seconds, _ = _run(
                "solve",
                str(data),
                "--out",
                str(out),
                "--seed",
                "0",
                "--time-limit",
                str(args.time_limit),
            )
            summary = json.loads((out / "summary.json").read_text("utf-8"))
            runs.append((seconds, summary, (out / "assignments.csv").read_bytes()))
        reproduce_seconds, reproduce_code = _run("reproduce", str(Path(tmp) / "run1"))
    identical = runs[0][2] == runs[1][2]
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; the machine was shared with "
        f"other jobs (load average {load:.1f} on 2 cores at the start), so the seconds are "
        "slow and vary; the plans must not.",
        "",
        f"Dataset: `stagematch generate {args.family} DIR --students {args.students} --seed 0`. "
        f"Each run: `stagematch solve DIR --out RUN --seed 0 --time-limit {args.time_limit:g}` "
        "(default work budget, the `budget` setting); then `stagematch reproduce RUN1`. "
        "Script: `benchmarks/reproducible.py`.",
        "",
        "| run | seconds | stopped_by | budget | status | coverage | preference | travel |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k, (seconds, summary, _) in enumerate(runs, start=1):
        levels = summary["levels"]
        lines.append(
            f"| {k} | {seconds:.1f} | {summary['stopped_by'] or 'null'} | "
            f"{summary['options']['budget']:g} | {summary['status']} | "
            + " | ".join(str(levels[n]["value"]) for n in ("coverage", "preference", "travel"))
            + " |"
        )
    lines += [
        "",
        f"`assignments.csv` of the two runs: **{'identical' if identical else 'different'}** "
        f"({len(runs[0][2]):,} bytes). `stagematch reproduce RUN1`: exit {reproduce_code} "
        f"in {reproduce_seconds:.1f} s.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        write_section(SECTION, text, DOCS)


if __name__ == "__main__":
    main()
