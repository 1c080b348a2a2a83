"""Peers side by side: stagematch against deferred acceptance, a plain MILP and a plain CP-SAT.

Protocol (``docs/benchmarks.md``, section "Peers side by side", repeats it next to the figures):

* the dataset is ``stagematch.generate.generate("bassin", students=N, seed=0)``; every peer gets
  the same candidate pairs (``stagematch.candidates``), computed before its clock starts;
  stagematch computes its own, inside its clock;
* each peer × size runs in a fresh child process (its own process group), so its peak memory is
  its own: ``ru_maxrss`` of the process and of its children (CBC runs as a child of PuLP);
* the clock covers building the peer's model and solving it. MILP and CP-SAT peers get
  ``--limit`` seconds in all, split across the levels; deferred acceptance has no limit of its
  own; stagematch gets ``--stagematch-limit`` (it uses its whole budget unless every level is
  proven). A child still running ``--margin`` seconds after its limit, or holding more than
  ``--memory-cap`` MB, is killed and reported as such, with what it had reached;
* every plan is judged by the independent checker: the levels shown are ``check``'s, computed on
  the plan, never a peer's own objective values.

Results accumulate in ``benchmarks/peers_results.json`` (one entry per size and peer, replaced
when run again), so each size can be run by its own command; ``--write-docs`` rebuilds the
section and ``docs/img/peers.png`` from every stored entry.

Usage (one command per size, as in the docs)::

    .venv/bin/python benchmarks/peers.py 1000 --limit 120 --write-docs
    .venv/bin/python benchmarks/peers.py 3000 --limit 300 --write-docs
    .venv/bin/python benchmarks/peers.py 10000 --limit 300 --write-docs
    .venv/bin/python benchmarks/peers.py 30000 --limit 600 --write-docs
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
IMAGE = ROOT / "docs" / "img" / "peers.png"
RESULTS = ROOT / "benchmarks" / "peers_results.json"
SECTION = "## Peers side by side"
FAMILY = "bassin"
SIZES = (1000, 3000, 10000, 30000)  # the sizes of issue 5
PEERS = ("da", "cbc", "highs", "cpsat", "stagematch", "stagematch-da")
OURS = ("stagematch", "stagematch-da")
LABELS = {
    "da": "deferred acceptance",
    "cbc": "MILP, PuLP + CBC",
    "highs": "MILP, HiGHS",
    "cpsat": "CP-SAT, plain model",
    "stagematch": "stagematch",
    "stagematch-da": "stagematch, DA's time",
}
LEVEL_NAMES = ("qpv_placed", "placed", "workshops", "coverage", "preference", "travel")
MAXIMISED = {"qpv_placed", "placed", "workshops", "coverage"}


def _peak_mb() -> float:
    """Peak resident set of this process and of its waited-for children (KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


class _Progress:
    """What the child has reached, rewritten after every step so a killed run still reports."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.state: dict[str, Any] = {"phase": "setup", "levels": {}}

    def update(self, **changes: Any) -> None:
        self.state.update(changes)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state), encoding="utf-8")
        tmp.replace(self.path)


def run_child(
    peer: str, students: int, seed: int, limit: float, stagematch_limit: float, progress_path: Path
) -> dict[str, Any]:
    """Run one peer on one dataset in this process and measure it (called in the child)."""
    import peers_models as pm

    from stagematch.candidates import candidates
    from stagematch.check import check
    from stagematch.generate import generate
    from stagematch.plan import Plan

    progress = _Progress(progress_path)
    instance = generate(FAMILY, students=students, seed=seed)
    cand = None if peer in OURS else candidates(instance)
    base_mb = _peak_mb()
    budget = stagematch_limit if peer in OURS else limit
    progress.update(phase="build", clock_started=time.time(), budget=budget)
    start = time.monotonic()
    details: dict[str, Any] = {}
    proven: list[str] = []
    if peer == "da":
        assert cand is not None
        plan = pm.deferred_acceptance(instance, cand)
        outcome = "done"
    elif peer in OURS:
        from stagematch.solver import solve

        result = solve(instance, time_limit=stagematch_limit, seed=seed)
        plan = result.plan
        outcome = "done" if result.status == "optimal" else "limit"
        proven = [k for k, lvl in result.levels.items() if lvl.gap == 0]
        details["bounds"] = {k: lvl.bound for k, lvl in result.levels.items()}
        details["phases"] = {k: round(v, 2) for k, v in result.seconds.items()}
    else:
        assert cand is not None
        model = pm.build_model(instance, cand)
        details["model"] = model.stats

        def on_level(name: str, record: pm.LevelRecord) -> None:
            levels = {**progress.state["levels"], name: [record.value, record.proven]}
            progress.update(phase=f"after {name}", levels=levels)

        progress.update(phase="build", model=model.stats)
        lex = pm.lexicographic(model, pm.BACKENDS[peer], limit, started=start, on_level=on_level)
        details["build_seconds"] = round(lex.build_seconds, 2)
        details["levels"] = {
            k: {"value": r.value, "proven": r.proven, "seconds": round(r.seconds, 2)}
            for k, r in lex.levels.items()
        }
        proven = [k for k, r in lex.levels.items() if r.proven]
        if lex.errors:
            details["errors"] = lex.errors
        plan = Plan() if lex.values is None else pm.plan_from_values(instance, cand, lex.values)
        outcome = {"proven": "done", "limit": "limit", "no solution": "no plan"}[lex.stopped]
    seconds = time.monotonic() - start
    peak = _peak_mb()
    progress.update(phase="checking")
    report = check(instance, plan)
    arrays = instance.arrays
    return {
        "students": students,
        "seed": seed,
        "peer": peer,
        "limit": budget,
        "outcome": outcome,
        "seconds": round(seconds, 2),
        "base_mb": round(base_mb),
        "peak_mb": round(peak),
        "valid": report.ok,
        "violations": len(report.violations),
        "levels": report.levels,
        "proven": proven,
        "details": details,
        "instance": {
            "qpv": int(arrays.qpv.sum()),
            "offers": len(instance.offers),
            "seats": int(arrays.offers.capacity.sum()),
            "slots": len(instance.workshop_slots),
            "offer_pairs": None if cand is None else len(cand.offers),
            "slot_pairs": None if cand is None else len(cand.slots),
        },
    }


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, from ``/proc`` (MB)."""
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as handle:
                    stack.extend(int(c) for c in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(
    peer: str,
    students: int,
    seed: int,
    limit: float,
    stagematch_limit: float,
    margin: float,
    memory_cap_mb: float,
) -> dict[str, Any]:
    """Run :func:`run_child` in a fresh interpreter, watching its time and memory."""
    with tempfile.TemporaryDirectory() as folder:
        progress_path = Path(folder) / "progress.json"
        out_path = Path(folder) / "result.json"
        log_path = Path(folder) / "log.txt"
        command = [
            sys.executable,
            __file__,
            "--child",
            peer,
            str(students),
            "--seed",
            str(seed),
            "--limit",
            str(limit),
            "--stagematch-limit",
            str(stagematch_limit),
            "--progress",
            str(progress_path),
            "--out",
            str(out_path),
        ]
        spawned = time.time()
        max_rss = 0.0
        killed = ""
        with open(log_path, "w", encoding="utf-8") as log:
            child = subprocess.Popen(
                command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            while child.poll() is None:
                time.sleep(0.5)
                state = _read_json(progress_path) or {}
                rss = _tree_rss_mb(child.pid)
                max_rss = max(max_rss, rss)
                now = time.time()
                started = state.get("clock_started")
                if rss > memory_cap_mb:
                    killed = "memory"
                elif started is not None and state.get("phase") != "checking":
                    if now - started > state["budget"] + margin:
                        killed = "killed"
                elif now - spawned > 1800 + limit + margin:  # setup or checking stuck
                    killed = "killed"
                if killed:
                    os.killpg(child.pid, signal.SIGKILL)  # the child's own process group
                    child.wait()
                    break
        if killed:
            state = _read_json(progress_path) or {}
            started = state.get("clock_started", spawned)
            budget = stagematch_limit if peer in OURS else limit
            return {
                "students": students,
                "seed": seed,
                "peer": peer,
                "limit": budget,
                "outcome": killed,
                "seconds": round(time.time() - started, 1),
                "peak_mb": round(max_rss),
                "valid": None,
                "levels": None,
                "proven": [k for k, (_, ok) in state.get("levels", {}).items() if ok],
                "details": {"phase": state.get("phase"), "reached": state.get("levels", {})}
                | ({"model": state["model"]} if "model" in state else {}),
            }
        result = _read_json(out_path)
        if child.returncode != 0 or result is None:
            lines = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            print("\n".join(lines[-20:]), file=sys.stderr)
            return {
                "students": students,
                "seed": seed,
                "peer": peer,
                "limit": stagematch_limit if peer in OURS else limit,
                "outcome": "error",
                "seconds": round(time.time() - spawned, 1),
                "peak_mb": round(max_rss),
                "valid": None,
                "levels": None,
                "proven": [],
                "details": {"error": lines[-1] if lines else f"exit {child.returncode}"},
            }
        return result


def _code_version() -> str:
    """The commit the run used, with ``+`` when ``src/`` had uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{head}{'+' if dirty else ''}" if head else "unknown"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# Reporting


def _key(r: dict[str, Any]) -> tuple[int, int]:
    return r["students"], PEERS.index(r["peer"])


def compare(a: dict[str, float], b: dict[str, float], order: tuple[str, ...]) -> tuple[int, str]:
    """Lexicographic comparison of two level dicts: (+1 a better, 0 same, -1 worse, first level)."""
    for name in order:
        x, y = a[name], b[name]
        if x != y:
            better = x > y if name in MAXIMISED else x < y
            return (1 if better else -1), name
    return 0, ""


def _fmt_seconds(r: dict[str, Any]) -> str:
    s = r["seconds"]
    text = f"{s:,.0f}" if s >= 100 else f"{s:.1f}" if s >= 1 else f"{s:.2f}"
    return f"> {text}" if r["outcome"] in ("killed", "memory") else text


def _fmt_outcome(r: dict[str, Any]) -> str:
    o = r["outcome"]
    if o == "done":
        return "finished" if r["peer"] == "da" else "finished, all proven"
    if o == "limit":
        return "not all proven in time"
    if o == "no plan":
        return "no plan within limit"
    phase = r["details"].get("phase") or ""
    if phase.startswith("after ") and phase[6:] in LEVEL_NAMES[:-1]:
        phase = f"solving {LEVEL_NAMES[LEVEL_NAMES.index(phase[6:]) + 1]}"
    elif phase == "build":
        phase = "building the model"
    where = f" ({phase})" if phase else ""
    if o == "error":
        return f"failed: {r['details'].get('error', '')[:80]}"
    if r["details"].get("errors"):
        return f"not all proven; {len(r['details']['errors'])} CBC failure(s)"
    if o == "memory":
        return f"killed: memory cap{where}"
    return f"timed out, killed{where}"


def targets(results: list[dict[str, Any]]) -> list[str]:
    """The issue's targets, measured at 3,000 and 10,000 students (lines of Markdown)."""
    lines: list[str] = []
    by = {(r["students"], r["peer"]): r for r in results}
    for n in (3000, 10000):
        sm = by.get((n, "stagematch"))
        if sm is None or sm["levels"] is None:
            continue
        for peer in ("cbc", "highs", "cpsat"):
            r = by.get((n, peer))
            if r is None:
                continue
            ratio = r["seconds"] / max(sm["seconds"], 1e-9)
            faster = f"{'≥ ' if r['outcome'] in ('killed', 'memory') else ''}{ratio:.1f}×"
            if r["levels"] is None:
                verdict, why = True, "the peer returned no plan"
            else:
                sign, level = compare(sm["levels"], r["levels"], LEVEL_NAMES)
                verdict = sign >= 0
                why = (
                    "same levels"
                    if sign == 0
                    else f"{'better' if sign > 0 else 'worse'} from `{level}` on "
                    f"({sm['levels'][level]:,.0f} vs {r['levels'][level]:,.0f})"
                )
            met = "met" if verdict and ratio >= 10 else "missed"
            lines.append(
                f"- {n:,} students, vs {LABELS[peer]}: **{met}** — stagematch "
                f"{sm['seconds']:.1f} s vs {_fmt_seconds(r)} s ({faster}); {why}."
            )
        da = by.get((n, "da"))
        fast = by.get((n, "stagematch-da"))
        if fast is not None and fast["levels"] is not None:
            sm = fast  # stagematch given the time deferred acceptance took
        if da is not None and da["levels"] is not None:
            placed = sm["levels"]["placed"] - da["levels"]["placed"]
            qpv = sm["levels"]["qpv_placed"] - da["levels"]["qpv_placed"]
            quick = sm["seconds"] <= da["seconds"]
            misses = [
                what
                for what, bad in (
                    ("fewer students placed", placed < 0),
                    ("no more QPV students placed", qpv <= 0),
                    ("slower", not quick),
                )
                if bad
            ]
            met = f"missed: {', '.join(misses)}" if misses else "met"
            ceiling = (
                " (both at the proven maximum: no plan places more QPV students)"
                if qpv == 0 and "qpv_placed" in sm["proven"]
                else ""
            )
            lines.append(
                f"- {n:,} students, {LABELS[sm['peer']]} vs deferred acceptance: **{met}** — "
                f"placed {sm['levels']['placed']:,.0f} vs {da['levels']['placed']:,.0f} "
                f"({placed:+,.0f}), QPV placed {sm['levels']['qpv_placed']:,.0f} vs "
                f"{da['levels']['qpv_placed']:,.0f} ({qpv:+,.0f}){ceiling}; "
                f"{sm['seconds']:.1f} s vs {da['seconds']:.1f} s."
            )
    return lines


def _versions() -> str:
    out = []
    for label, dist in (("matching", "matching"), ("PuLP", "pulp"), ("highspy", "highspy")):
        try:
            out.append(f"{label} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{label} not installed")
    return ", ".join(out)


def _load_line(results: list[dict[str, Any]]) -> list[str]:
    loads = [r["load"] for r in results if r.get("load") is not None]
    if not loads:
        return []
    return [
        f"- Load average (1 min) when each run started: {min(loads):.1f} to {max(loads):.1f} "
        f"(other work was sharing the {os.cpu_count()} cores)"
        if max(loads) >= 0.5
        else f"- Load average (1 min) when each run started: at most {max(loads):.1f}"
    ]


def _code_line(results: list[dict[str, Any]]) -> list[str]:
    codes = sorted({r["code"] for r in results if r.get("code")})
    if not codes:
        return []
    return [
        f"- stagematch commit: {', '.join(f'`{c}`' for c in codes)} "
        "(`+`: with uncommitted changes under `src/`)"
    ]


def section(results: list[dict[str, Any]], image: str = "img/peers.png") -> str:
    """The Markdown of the "Peers side by side" section, from every stored result."""
    results = sorted(results, key=_key)
    commands: dict[str, list[int]] = {}
    for r in results:
        if r.get("command") and r["students"] not in commands.setdefault(r["command"], []):
            commands[r["command"]].append(r["students"])
    dates = sorted({r["date"] for r in results if r.get("date")})
    machines = sorted({r["machine"] for r in results if r.get("machine")})
    lines = [
        SECTION,
        "",
        f"The same generator instances (`{FAMILY}`, seed 0) solved by four peers and by",
        "stagematch, each run in a fresh process. Every peer gets the **same candidate pairs**",
        "(`stagematch.candidates`: the same reachability and eligibility), so the comparison is",
        "about optimisation alone; the peers' candidates are computed before their clock starts,",
        "stagematch's inside it. The levels are those of the independent checker on each plan",
        "(`stagematch.check`), never a peer's own objective values; *valid* says the plan broke",
        "no hard rule.",
        "",
        "- **Deferred acceptance**, `matching` library: students propose over their candidate",
        "  offers ranked by wish cost, then minutes; offers rank QPV students first, then by",
        "  minutes. Reserved seats are minority reserves: each offer with reserved seats is split",
        "  into a reserved copy only QPV students list (just before the open copy) and an open",
        "  copy. The library's Gale–Shapley function (`matching.algorithms.hospital_resident`)",
        "  runs on its `Player`/`Hospital` objects; the `HospitalResident` wrapper is skipped",
        "  because it deep-copies the players (Python's recursion limit breaks from 1,000",
        "  students) and checks inputs in quadratic time. One placement per student, nothing",
        "  else: no workshops, no second placement. It has no time limit of its own but is",
        "  killed, like the others, a margin after the peers' limit.",
        "- **The straightforward model**, one integer program handed to three solvers: a binary",
        "  per candidate pair (placements and sessions), capacity and reserved-seat rows per item,",
        "  placements per student ≤ `max_placements_per_student` (1 without `split_ok`), each",
        "  workshop once, no overlap as one row per student and half-day (identical rows of a",
        "  student kept once), and `placed`/`attended` indicator variables. Levels are solved one",
        "  after another, each fixed at the value reached before the next, the previous solution",
        "  as warm start. The time limit covers building and all levels, each level getting an",
        "  equal share of what is left. **MILP, PuLP + CBC**: the model written with PuLP, solved",
        "  by the CBC bundled with PuLP. **MILP, HiGHS**: the same matrix passed at once to",
        "  HiGHS through `highspy` (no modelling layer). **CP-SAT, plain model**: the same model",
        "  in CP-SAT with default parameters (`num_workers` = 0: one worker per core, 2 here).",
        "- **stagematch**: `stagematch.solve(instance, time_limit=…)`. Its neighbourhood search",
        "  uses the whole budget unless every level is proven, so its seconds are its budget,",
        "  given as a twentieth of the peers' limit; *proven* counts the levels whose value",
        "  equals the bound it proved. *stagematch, DA's time* is stagematch given as budget the",
        "  seconds deferred acceptance took on the same instance (at least 1 s).",
        "",
        "*Outcome*: finished with every level proven optimal, or not all proven in time (the",
        "best plan found is kept; *proven* counts the levels proven optimal, each given the",
        "values fixed before it), or killed. A level the MILP proves after an earlier level was",
        "fixed at a poor value is proven only relative to that value: the checker's levels are",
        "what to compare.",
        "*Seconds* run from the model build (or `solve`) to the plan. *Peak MB* is the resident",
        "peak of the child process and its children (CBC runs as one), dataset and candidates",
        "included. A run still going a margin after its limit, or above the memory cap, is",
        "killed: its seconds are then when it was killed, and the phase it was in is shown.",
        "",
        *(f"- Machine: {m}; {_versions()}" for m in machines),
        "- Commands:",
        *(
            f"    - `{c}`"
            for c, _ in sorted(commands.items(), key=lambda kv: (len(kv[1]) > 1, min(kv[1])))
        ),
        *(
            f"    - not run yet: `python benchmarks/peers.py {n} --limit 600 --write-docs`"
            for n in SIZES
            if n not in {r["students"] for r in results}
        ),
        f"- Date: {', '.join(dates)}",
        *_load_line(results),
        *_code_line(results),
        "",
        f"![Seconds, QPV students placed, students placed, workshops per peer and size]({image})",
        "",
    ]
    instances: dict[int, dict[str, Any]] = {}
    models: dict[int, dict[str, int]] = {}
    for r in results:
        if r.get("instance") and r["instance"].get("offer_pairs") is not None:
            instances[r["students"]] = r["instance"]
        if "model" in r.get("details", {}):
            models[r["students"]] = r["details"]["model"]
    if instances:
        lines += [
            "| students | QPV | offers | seats | sessions | offer pairs | session pairs "
            "| model columns | rows | nonzeros |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for n, i in sorted(instances.items()):
            m = models.get(n, {})
            lines.append(
                f"| {n:,} | {i['qpv']:,} | {i['offers']:,} | {i['seats']:,} | {i['slots']:,} "
                f"| {i['offer_pairs']:,} | {i['slot_pairs']:,} | {m.get('columns', 0):,} "
                f"| {m.get('rows', 0):,} | {m.get('nonzeros', 0):,} |"
            )
        lines.append("")
    header = " | ".join(LEVEL_NAMES)
    lines += [
        f"| students | peer | limit (s) | outcome | seconds | peak MB | valid | {header} "
        "| proven |",
        "|---:|---|---:|---|---:|---:|---|" + "---:|" * len(LEVEL_NAMES) + "---:|",
    ]
    for r in results:
        levels = r["levels"]
        cells = [f"{levels[k]:,.0f}" for k in LEVEL_NAMES] if levels else ["—"] * len(LEVEL_NAMES)
        limit = "—" if r["peer"] == "da" else f"{r['limit']:.1f}".removesuffix(".0")
        valid = "—" if r["valid"] is None else ("yes" if r["valid"] else "**no**")
        proven = (
            "—"
            if r["peer"] == "da" or r["levels"] is None
            else f"{len(r['proven'])}/{len(LEVEL_NAMES)}"
        )
        lines.append(
            f"| {r['students']:,} | {LABELS[r['peer']]} | {limit} | {_fmt_outcome(r)} "
            f"| {_fmt_seconds(r)} | {r['peak_mb']:,} | {valid} | "
            + " | ".join(cells)
            + f" | {proven} |"
        )
    found = targets(results)
    lines += [
        "",
        "Targets of issue 5, measured (not asserted): at 3,000 and 10,000 students stagematch",
        "reaches the same or better levels (compared lexicographically, in objective order) at",
        "least 10× faster than the MILP and plain CP-SAT peers; it places at least as many",
        "students and more QPV students than deferred acceptance, in no more time.",
        "",
        *(found or ["- Not measured yet at those sizes."]),
        "",
    ]
    return "\n".join(lines)


def plot(results: list[dict[str, Any]], path: Path) -> None:
    """Seconds; shares of QPV students placed, students placed and workshop attendance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    markers = {
        "da": "s",
        "cbc": "^",
        "highs": "v",
        "cpsat": "D",
        "stagematch": "o",
        "stagematch-da": "P",
    }
    for peer in PEERS:
        runs = sorted((r for r in results if r["peer"] == peer), key=_key)
        if not runs:
            continue
        xs = [r["students"] for r in runs]
        axes[0].plot(
            xs, [max(r["seconds"], 0.01) for r in runs], marker=markers[peer], label=LABELS[peer]
        )
        for r in runs:
            if r["outcome"] != "done":
                axes[0].scatter(
                    [r["students"]],
                    [max(r["seconds"], 0.01)],
                    s=140,
                    facecolors="none",
                    edgecolors="black",
                    linewidths=0.8,
                )
        done = [r for r in runs if r["levels"]]
        for ax, level, total in (
            (axes[1], "qpv_placed", "qpv"),
            (axes[2], "placed", None),
            (axes[3], "workshops", None),
        ):
            ax.plot(
                [r["students"] for r in done],
                [
                    100 * r["levels"][level] / (r["instance"][total] if total else r["students"])
                    for r in done
                ],
                marker=markers[peer],
                label=LABELS[peer],
            )
    axes[0].set(
        xscale="log",
        yscale="log",
        xlabel="students",
        ylabel="seconds",
        title="Seconds (circled: not every level proven)",
    )
    axes[1].set(xscale="log", xlabel="students", ylabel="% of QPV students", title="QPV placed")
    axes[2].set(xscale="log", xlabel="students", ylabel="% of students", title="Placed")
    axes[3].set(xscale="log", xlabel="students", ylabel="% of students", title="Workshop attended")
    for ax in axes:
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def store(new: list[dict[str, Any]], path: Path = RESULTS) -> list[dict[str, Any]]:
    """Merge ``new`` into the stored results (same size, seed and peer: replaced)."""
    kept = _read_json(path) or []
    keys = {(r["students"], r["seed"], r["peer"]) for r in new}
    merged = [r for r in kept if (r["students"], r["seed"], r["peer"]) not in keys] + new
    merged.sort(key=_key)
    path.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("students", nargs="*", type=int, default=[1000, 3000])
    parser.add_argument("--peers", nargs="+", choices=PEERS, default=list(PEERS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--limit", type=float, default=300.0, help="seconds per MILP/CP-SAT run (all levels)"
    )
    parser.add_argument(
        "--stagematch-limit",
        type=float,
        default=None,
        help="stagematch's budget (default: a twentieth of --limit)",
    )
    parser.add_argument(
        "--margin", type=float, default=None, help="kill after limit + margin (default: 60 s)"
    )
    parser.add_argument("--memory-cap", type=float, default=12_000, help="MB; killed above")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    parser.add_argument(
        "--report-only", action="store_true", help="only rebuild the docs from stored results"
    )
    parser.add_argument("--child", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--progress", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sm_limit = args.stagematch_limit or args.limit / 20
    if args.child:
        result = run_child(
            args.child, args.students[0], args.seed, args.limit, sm_limit, args.progress
        )
        args.out.write_text(json.dumps(result), encoding="utf-8")
        return 0
    margin = 60.0 if args.margin is None else args.margin
    shown = " ".join(["python", "benchmarks/peers.py", *(argv or sys.argv[1:])])
    today = datetime.now(UTC).date().isoformat()
    where = machine()
    new = []
    for n in [] if args.report_only else args.students:
        for peer in args.peers:
            load = os.getloadavg()[0]  # other work on the machine skews the seconds
            code = _code_version()  # the solver may change between runs of a long benchmark
            budget = sm_limit
            if peer == "stagematch-da":
                da = next(
                    (
                        r
                        for r in _read_json(RESULTS) or []
                        if (r["students"], r["seed"], r["peer"]) == (n, args.seed, "da")
                    ),
                    None,
                )
                if da is None or da["outcome"] != "done":
                    print(f"{n} {peer}: skipped (no finished deferred-acceptance run)")
                    continue
                budget = max(1.0, da["seconds"])
            r = measure(peer, n, args.seed, args.limit, budget, margin, args.memory_cap)
            r.update(command=shown, date=today, machine=where, load=round(load, 2), code=code)
            levels = r["levels"] or {}
            print(
                f"{n} {peer}: {r['outcome']} in {r['seconds']} s, peak {r['peak_mb']} MB, "
                f"valid {r['valid']}; "
                + ", ".join(f"{k} {levels[k]:g}" for k in LEVEL_NAMES if k in levels),
                flush=True,
            )
            new.append(r)
            store([r])
    if args.write_docs or args.report_only:
        results = _read_json(RESULTS) or []
        plot(results, IMAGE)
        write_section(SECTION, section(results), DOCS)
        print(f"wrote {DOCS} and {IMAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
