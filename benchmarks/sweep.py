"""Random settings sweep: every plan the solver returns, on datasets and settings drawn at random.

The test suite's instance families are small; the shapes that broke past sessions (a minimum
QPV share with ``placed`` first on a 300-student bassin; a coach-group search with no plan)
were found by solving mid-sized datasets under settings nobody tuned for. Each run draws a
dataset (a generated pilot or bassin of some seed and size, or one of the folders given), then
the settings the SPEC lets a coordinator change — the order of the six levels, workshops per
student, placements per student, the unranked cost, the travel limit, a minimum QPV share,
stability, coach groups — solves it under a wall-clock cap, and checks what a user may rely on:

* the plan passes :func:`stagematch.check` (with ``stable`` when asked);
* every level reported equals the checker's value for the returned plan;
* no bound is on the wrong side of its value;
* with ``--twice``, a run the cap did not cut (``stopped_by`` null) gives the same
  ``assignments.csv`` again.

It prints one line per run and, at the end, every failure with the seed that replays it
(``--only SEED``). It asserts nothing about time. Usage::

    .venv/bin/python benchmarks/sweep.py --runs 40 --seed 0 --cap 30 --twice
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path
from typing import Any

from common import with_settings

FAMILIES = (("pilot", 105), ("bassin", 300), ("bassin", 600), ("bassin", 1500))
LOWER = ("workshops", "coverage", "preference", "travel")


def draw_settings(rng: random.Random) -> dict[str, Any]:
    """Settings a coordinator may set, drawn at random (placement levels anywhere on top)."""
    lower = list(LOWER)
    rng.shuffle(lower)
    top = ["qpv_placed", "placed"] if rng.random() < 0.7 else ["placed", "qpv_placed"]
    objective = top + lower
    if rng.random() < 0.15:  # a lower level above the placement levels
        objective.insert(0, objective.pop(rng.randrange(2, 6)))
    coaches: dict[str, Any] = {}
    if rng.random() < 0.15:  # coach groups to the workshops, and their level
        objective.insert(rng.randrange(2, len(objective) + 1), "coaches")
        coaches = {"coach_capacity": rng.choice((20, 30, 50)), "coach_cost": 450}
        coaches |= {"coach_cost_per_km": 1.2, "transit_daily_cost": 4.5}
    return coaches | {
        "objective": objective,
        "workshops_per_student": rng.choice((0, 1, 2, 2, 3)),
        "max_placements_per_student": rng.choice((1, 2, 2)),
        "unranked_cost": rng.choice((0, 5, 10, 25)),
        "default_max_travel_min": rng.choice((30, 45, 60, 90)),
        "qpv_min_share": rng.choice((0, 0, 0, 30, 60)),
        "stable": rng.random() < 0.15,
    }


def draw_instance(rng: random.Random, folders: list[Path]) -> tuple[str, Any]:
    """A dataset and its name: a folder given, or a generated pilot or bassin."""
    import stagematch as sm
    from stagematch.generate import generate

    choices = [("folder", str(f)) for f in folders] + [("generated", f) for f in FAMILIES]
    kind, what = rng.choice(choices)
    if kind == "folder":
        return Path(what).name, sm.load(what)
    family, students = what
    seed = rng.randrange(1000)
    return f"{family}:{students}:{seed}", generate(family, students=students, seed=seed)


def problems_of(instance: Any, result: Any, stable: bool) -> list[str]:
    """What the returned plan or its summary gets wrong."""
    import stagematch as sm

    found: list[str] = []
    report = sm.check(instance, result.plan, stable=stable)
    found += [f"rule {v.rule}: {v}" for v in report.violations[:3]]
    for name, level in result.levels.items():
        checked = report.levels.get(name)
        if checked is not None and abs(checked - level.value) > 1e-6 * max(1, abs(checked)):
            found.append(f"{name}: reported {level.value}, check {checked}")
        if level.bound is None:
            continue
        wrong_side = (
            level.bound < level.value - 1e-6 if level.maximise else level.bound > level.value + 1e-6
        )
        if wrong_side:
            found.append(f"{name}: bound {level.bound} on the wrong side of {level.value}")
    return found


def assignments(result: Any) -> str:
    buffer = io.StringIO()
    result.assignments_frame.to_csv(buffer, index=False)
    return buffer.getvalue()


def one_run(seed: int, folders: list[Path], cap: float, twice: bool) -> tuple[str, list[str]]:
    """Draw, solve, check; a line for the log and the problems found."""
    import stagematch as sm

    rng = random.Random(seed)
    name, instance = draw_instance(rng, folders)
    settings = draw_settings(rng)
    instance = with_settings(instance, **settings)
    start = time.process_time()
    try:
        result = sm.solve(instance, time_limit=cap)
    except Exception as error:  # a crash is what the sweep is for: report it, go on
        return f"{seed} {name}: crashed", [f"crash: {type(error).__name__}: {error}"]
    cpu = time.process_time() - start
    found = problems_of(instance, result, settings["stable"])
    if twice and result.stopped_by is None:
        again = sm.solve(instance, time_limit=cap)
        if again.stopped_by is None and assignments(again) != assignments(result):
            found.append("a second run gave another plan")
    short = {k: v for k, v in settings.items() if k != "objective"}
    line = (
        f"{seed} {name} {','.join(settings['objective'])} {short} status={result.status} "
        f"stopped_by={result.stopped_by} cpu={cpu:.1f}s"
    )
    return line, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="first run's seed")
    parser.add_argument("--only", type=int, help="replay this run's seed only")
    parser.add_argument("--cap", type=float, default=30.0, help="wall-clock cap per solve (s)")
    parser.add_argument("--twice", action="store_true", help="solve again, compare plans")
    parser.add_argument("folders", nargs="*", type=Path, help="dataset folders to draw from too")
    args = parser.parse_args(argv)
    seeds = [args.only] if args.only is not None else range(args.seed, args.seed + args.runs)
    failures: list[tuple[int, list[str]]] = []
    for seed in seeds:
        line, found = one_run(seed, args.folders, args.cap, args.twice)
        print(("FAIL " if found else "ok   ") + line, flush=True)
        if found:
            failures.append((seed, found))
    for seed, found in failures:
        print(f"\nseed {seed} (replay: --only {seed}):\n  " + "\n  ".join(found))
    print(f"\n{len(seeds) - len(failures)} of {len(seeds)} runs without a problem")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
