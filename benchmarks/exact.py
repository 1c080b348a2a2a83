"""Exact lower levels at pilot size: stagematch against a plain lexicographic HiGHS MILP.

For each dataset, ``stagematch.solve`` with the default settings, and the plain MILP peer of
``benchmarks/peers_models.py`` (``build_model`` + ``HighsBackend`` + ``lexicographic``: one
binary per candidate pair, all six levels, each fixed before the next, HiGHS through
``highspy``) with a limit of ``--limit`` seconds. Both clocks include the candidate pairs. Each
run is repeated ``--repeat`` times in this process, alternating the two, and the median is
reported; the levels shown are the independent checker's (``stagematch.check``).

Datasets: folders given on the command line (such as the pilot-shaped ``p1`` and ``p2``), the
bundled pilot, and ``--family N`` members of the test family ``tests/pilot_family.py`` with
105 students each (seeds 0..N-1).

Usage::

    .venv/bin/python benchmarks/exact.py /path/to/p1 /path/to/p2 --family 4 --write-docs
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Exact lower levels at pilot size"
LEVELS = ("qpv_placed", "placed", "workshops", "coverage", "preference", "travel")


def _datasets(folders: list[Path], family: int) -> list[tuple[str, Any]]:
    from pilot_family import pilot_shaped

    from stagematch.io import load
    from stagematch.model import Instance

    out: list[tuple[str, Instance]] = [(f"`{f.name}`", load(f)) for f in folders]
    pilot = ROOT / "src" / "stagematch" / "data" / "pilot.json"
    out.append(("bundled pilot", load(pilot)))
    out += [(f"family seed {k}", pilot_shaped(k, students=105)) for k in range(family)]
    return out


def _stagematch(instance: Any) -> dict[str, Any]:
    from stagematch.check import check
    from stagematch.solver import solve

    start, cpu = time.monotonic(), time.process_time()
    result = solve(instance)
    seconds, cpu = time.monotonic() - start, time.process_time() - cpu
    report = check(instance, result.plan)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "status": result.status,
        "proven": sum(lvl.gap == 0 for lvl in result.levels.values()),
        "levels": report.levels,
        "valid": report.ok,
        "components": result.seconds.get("components", 0.0),
    }


def _plain_milp(instance: Any, limit: float) -> dict[str, Any]:
    import peers_models as pm

    from stagematch.candidates import candidates
    from stagematch.check import check

    start, cpu = time.monotonic(), time.process_time()
    cand = candidates(instance)
    model = pm.build_model(instance, cand)
    lex = pm.lexicographic(model, pm.HighsBackend, limit, started=start)
    seconds, cpu = time.monotonic() - start, time.process_time() - cpu
    plan = pm.plan_from_values(instance, cand, lex.values) if lex.values is not None else None
    report = check(instance, plan) if plan is not None else None
    return {
        "seconds": seconds,
        "cpu": cpu,
        "status": lex.stopped,
        "proven": sum(r.proven for r in lex.levels.values()),
        "levels": None if report is None else report.levels,
        "valid": None if report is None else report.ok,
        "per_level": {k: r.seconds for k, r in lex.levels.items()},
    }


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in ("seconds", "cpu")}


def run(folders: list[Path], family: int, repeat: int, limit: float) -> list[dict[str, Any]]:
    rows = []
    for name, instance in _datasets(folders, family):
        ours, plain = [], []
        for _ in range(repeat):
            ours.append(_stagematch(instance))
            plain.append(_plain_milp(instance, limit))
        row = {
            "dataset": name,
            "students": len(instance.students),
            "ours": ours[-1] | _medians(ours),
            "plain": plain[-1] | _medians(plain),
        }
        rows.append(row)
        print(
            f"{name}: stagematch {row['ours']['seconds']:.2f} s ({row['ours']['cpu']:.2f} CPU) "
            f"{row['ours']['status']}, plain MILP {row['plain']['seconds']:.2f} s "
            f"({row['plain']['cpu']:.2f} CPU) {row['plain']['status']}; "
            f"levels equal: {row['ours']['levels'] == row['plain']['levels']}",
            flush=True,
        )
    return rows


def section(rows: list[dict[str, Any]], command: str, load: tuple[float, float]) -> str:
    lines = [
        SECTION,
        "",
        "Every level of pilot-size datasets proven optimal, against a plain lexicographic MILP",
        "of the same instance: the `highs` peer of `benchmarks/peers_models.py` (one binary per",
        "candidate pair, all six levels, each fixed at its optimum before the next, the previous",
        "solution as warm start, HiGHS through `highspy`). stagematch runs with its default",
        "settings: the flow proves `qpv_placed` and `placed`, each component is then one integer",
        "program solved by HiGHS (`solver/milp.py`), level by level. Both clocks include the",
        "candidate pairs; seconds (wall clock, and CPU seconds of the process, which other jobs",
        "on a shared machine disturb less) are the median of the runs, levels those of the",
        "independent checker. The `p1`/`p2` folders are the pilot-shaped examples whose optima were proven",
        "independently (their README); *family* rows are members of the test family",
        "`tests/pilot_family.py` at 105 students.",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(UTC).date().isoformat()}",
        f"- Load average (1 min) at the start and the end: {load[0]:.1f}, {load[1]:.1f} "
        f"(the {os.cpu_count()} cores were shared with other jobs)",
        "",
        "| dataset | students | stagematch s (CPU) | status | proven "
        "| plain HiGHS MILP s (CPU) | proven | faster (CPU) | same levels | "
        + " | ".join(LEVELS)
        + " |",
        "|---|---:|---:|---|---:|---:|---:|---:|---|" + "---:|" * len(LEVELS),
    ]
    for r in rows:
        ours, plain = r["ours"], r["plain"]
        same = ours["levels"] == plain["levels"]
        cells = [f"{ours['levels'][k]:,.0f}" for k in LEVELS]
        lines.append(
            f"| {r['dataset']} | {r['students']} | {ours['seconds']:.2f} ({ours['cpu']:.2f}) "
            f"| {ours['status']} | {ours['proven']}/6 "
            f"| {plain['seconds']:.2f} ({plain['cpu']:.2f}) | {plain['proven']}/6 "
            f"| {plain['seconds'] / max(ours['seconds'], 1e-9):.1f}× "
            f"({plain['cpu'] / max(ours['cpu'], 1e-9):.1f}×) "
            f"| {'yes' if same else '**no**'} | " + " | ".join(cells) + " |"
        )
    lines += ["", *targets(rows), ""]
    return "\n".join(lines)


def targets(rows: list[dict[str, Any]]) -> list[str]:
    """Issue 12's pilot-size targets, measured (lines of Markdown)."""
    out = [
        "Targets of issue 12 at pilot size, measured (not asserted): all six levels proven,",
        "status `optimal`, at most 5 s a level (here: at most 5 CPU seconds for the whole",
        "solve), at least 5× faster than the plain MILP (CPU seconds, the fairer clock on a",
        "shared machine).",
        "",
    ]
    for r in rows:
        ours, plain = r["ours"], r["plain"]
        ratio = plain["cpu"] / max(ours["cpu"], 1e-9)
        misses = [
            what
            for what, bad in (
                ("not all proven", ours["status"] != "optimal"),
                # CPU seconds of the whole solve bound every level's (wall clock on a
                # loaded machine mostly measures the other jobs).
                ("more than 5 CPU seconds in all", ours["cpu"] > 5),
                (f"{ratio:.1f}× faster only", ratio < 5),
                ("levels differ from the MILP's", ours["levels"] != plain["levels"]),
            )
            if bad
        ]
        verdict = "met" if not misses else "missed: " + ", ".join(misses)
        out.append(f"- {r['dataset']}: **{verdict}**.")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--family", type=int, default=0, help="members of the test family")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=float, default=300.0, help="seconds for the plain MILP")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    before = os.getloadavg()[0]
    rows = run(args.folders, args.family, args.repeat, args.limit)
    after = os.getloadavg()[0]
    if args.write_docs:
        command = " ".join(["python", "benchmarks/exact.py", *(argv or sys.argv[1:])])
        write_section(SECTION, section(rows, command, (before, after)), DOCS)
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
