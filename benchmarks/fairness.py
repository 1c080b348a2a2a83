"""Compare stagematch's plan with the baselines on fairness, and time the baselines at scale.

Protocol (``docs/fairness.md`` repeats it next to the figures):

* the dataset is ``stagematch.generate.generate(family, seed=seed)``; candidates are computed
  once and shared by every method (their time is reported apart);
* *stagematch* is ``stagematch.solve(instance, time_limit=..., seed=seed)`` with the dataset's
  default settings (two placements allowed, workshops wanted), then the same with
  ``stable=True`` and with a minimum QPV share of ``--share`` percent on every offer (the
  ``qpv_min_share`` setting); *deferred acceptance* and
  *first come, first served* are :mod:`stagematch.baselines`, the latter both in a random
  order (``numpy.random.default_rng(seed).permutation``: registration order) and in dataset
  order (the generator lists students school by school);
* every plan passes the independent checker before its figures are kept; the figures are
  :meth:`stagematch.fairness.Fairness.summary`.

Usage::

    .venv/bin/python benchmarks/fairness.py bassin --time-limit 120 --write-docs
    .venv/bin/python benchmarks/fairness.py academie --time-limit 300 --write-docs
    .venv/bin/python benchmarks/fairness.py academie --speed-only --write-docs
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from common import machine, write_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "fairness.md"
COMPARISON = "## Measured comparison on `{family}`"
SPEED = "## Speed at académie scale"


class _Proposals(logging.Handler):
    """Reads the number of proposals from deferred acceptance's DEBUG log line."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "proposals" in record.getMessage():
            self.count = int(record.args[0])  # type: ignore[index]


def compare_family(family: str, seed: int, time_limit: float, share: int) -> dict[str, Any]:
    """Solve (default, stable, with a QPV share), run both baselines, check and analyse."""
    from stagematch.baselines import deferred_acceptance, first_come_first_served
    from stagematch.candidates import candidates
    from stagematch.check import check
    from stagematch.fairness import analyse, price_of_stability
    from stagematch.generate import generate
    from stagematch.model import Instance
    from stagematch.solver import solve

    instance = generate(family, seed=seed)
    shared = Instance(
        settings=instance.settings.model_copy(update={"qpv_min_share": share}),
        schools=instance.schools,
        students=instance.students,
        offers=instance.offers,
        workshop_slots=instance.workshop_slots,
        travel_times=instance.travel_times,
    )
    statuses: dict[str, str] = {}

    def solved(name: str, target: Instance, **options: Any) -> Any:
        result = solve(target, time_limit=time_limit, seed=seed, **options)
        placed = result.levels["placed"]
        statuses[name] = f"{result.status}, placed {placed.value:,.0f} (bound {placed.bound:,.0f})"
        return result.plan

    start = time.perf_counter()
    cand = candidates(instance)
    seconds_candidates = time.perf_counter() - start
    shuffled = list(
        np.asarray(instance.arrays.student_ids)[
            np.random.default_rng(seed).permutation(len(instance.students))
        ]
    )
    methods = {
        "stagematch": lambda: solved("stagematch", instance),
        "stagematch, stable=True": lambda: solved("stagematch, stable=True", instance, stable=True),
        f"stagematch, qpv_min_share {share}%": lambda: solved(
            f"stagematch, qpv_min_share {share}%", shared
        ),
        "deferred acceptance": lambda: deferred_acceptance(instance, cand=cand),
        "first come, first served (random order)": lambda: first_come_first_served(
            instance, shuffled, cand=cand
        ),
        "first come, first served (dataset order)": lambda: first_come_first_served(
            instance, cand=cand
        ),
    }
    rows = []
    plans = {}
    for name, run in methods.items():
        start = time.perf_counter()
        plan = run()
        seconds = time.perf_counter() - start
        report = check(shared if "qpv_min_share" in name else instance, plan)
        if not report.ok:
            raise SystemExit(f"{name}: the plan breaks hard rules: {report.violations[:5]}")
        start = time.perf_counter()
        summary = analyse(instance, plan, cand=cand).summary()
        rows.append(
            {
                "plan": name,
                "seconds": seconds,
                "seconds_analyse": time.perf_counter() - start,
                "placements": sum(len(v) for v in plan.placements.values()),
                **summary,
            }
        )
        plans[name] = plan
        print(f"{name}: {seconds:.2f} s, placed {summary['placed']}", flush=True)
    price = price_of_stability(
        instance, plans["stagematch"], plans["deferred acceptance"], cand=cand
    )
    return {
        "family": family,
        "students": len(instance.students),
        "offers": len(instance.offers),
        "pairs": len(cand.offers),
        "seed": seed,
        "time_limit": time_limit,
        "share": share,
        "seconds_candidates": seconds_candidates,
        "rows": rows,
        "price": price,
        "statuses": statuses,
    }


def speed_family(family: str, seed: int) -> dict[str, Any]:
    """Seconds of candidates, both baselines and the analysis of their plans."""
    from stagematch.baselines import deferred_acceptance, first_come_first_served
    from stagematch.candidates import candidates
    from stagematch.fairness import analyse
    from stagematch.generate import generate

    instance = generate(family, seed=seed)
    instance.arrays  # noqa: B018 - built before the clock starts, like the solver benchmark
    out: dict[str, Any] = {"family": family, "students": len(instance.students), "seed": seed}
    start = time.perf_counter()
    cand = candidates(instance)
    out["candidates"] = time.perf_counter() - start
    out["pairs"] = len(cand.offers)
    proposals = _Proposals()
    log = logging.getLogger("stagematch.baselines")
    log.addHandler(proposals)
    log.setLevel(logging.DEBUG)
    start = time.perf_counter()
    da = deferred_acceptance(instance, cand=cand)
    out["deferred acceptance"] = time.perf_counter() - start
    out["proposals"] = proposals.count
    start = time.perf_counter()
    fcfs = first_come_first_served(instance, cand=cand)
    out["first come, first served"] = time.perf_counter() - start
    for name, plan in (("analyse DA", da), ("analyse FCFS", fcfs)):
        start = time.perf_counter()
        analyse(instance, plan, cand=cand)
        out[name] = time.perf_counter() - start
    out["placed DA"] = len(da.placements)
    out["placed FCFS"] = len(fcfs.placements)
    print(out, flush=True)
    return out


def _pct(x: float) -> str:
    return "–" if x != x else f"{100 * x:.1f}%"


def comparison_section(r: dict[str, Any], command: str) -> str:
    today = datetime.now(UTC).date().isoformat()
    price = r["price"]
    lines = [
        COMPARISON.format(family=r["family"]),
        "",
        f"The generator's `{r['family']}` dataset (seed {r['seed']}: {r['students']:,} students, "
        f"{r['offers']:,} offers, {r['pairs']:,} candidate pairs, found in "
        f"{r['seconds_candidates']:.2f} s and shared by every method). *stagematch* is the "
        f"default solve ({r['time_limit']:g} s limit, the dataset's settings: up to two "
        "placements per student, workshops wanted), then with `stable=True`, then with "
        f"`qpv_min_share = {r['share']}` on every offer; the baselines give one placement each. "
        "Wishes and travel are over placed students and their best placement; *envious* "
        "students have justified envy (and how many of them are QPV); *pairs* are "
        "justified-envy pairs. Every plan passed the independent checker.",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{command}`",
        f"- Date: {today}",
        "",
        "| plan | seconds | placed | QPV placed | first wish | any wish | travel median / mean "
        "(min) | envious students (QPV) | envy pairs | wasted seats (unplaced students "
        "with one) | school min / max | "
        "school Gini |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["rows"]:
        lines.append(
            f"| {row['plan']} | {row['seconds']:.2f} | {row['placed']:,} "
            f"({_pct(row['placed_rate'])}) | {row['qpv_placed']:,} / {row['qpv_students']:,} "
            f"| {_pct(row['first_wish_rate'])} | {_pct(row['any_wish_rate'])} "
            f"| {row['travel_median_min']:g} / {row['travel_mean_min']:.1f} "
            f"| {row['envious_students']:,} ({row['envious_qpv_students']:,}) "
            f"| {row['justified_envy_pairs']:,} | {row['wasted_seats']:,} "
            f"({row['unplaced_with_free_seat']:,}) "
            f"| {row['school_min_max_ratio']:.2f} | {row['school_gini']:.3f} |"
        )
    lines += [
        "",
        f"Price of stability: stagematch places {price.placed_optimum:,} students, every "
        f"stable plan {price.placed_stable:,} ({price.students_lost:,} fewer, ratio "
        f"{price.ratio:.3f}); QPV students {price.qpv_placed_optimum:,} against "
        f"{price.qpv_placed_stable:,} (ratio {price.qpv_ratio:.3f}).",
        "",
        "Solver status and the `placed` level with its proven bound:",
        "",
        *(f"- {name}: {status}" for name, status in r["statuses"].items()),
        "",
    ]
    return "\n".join(lines)


def speed_section(r: dict[str, Any], command: str) -> str:
    today = datetime.now(UTC).date().isoformat()
    return "\n".join(
        [
            SPEED,
            "",
            f"The generator's `{r['family']}` dataset (seed {r['seed']}, {r['students']:,} "
            f"students, {r['pairs']:,} candidate pairs). Seconds of one run each; candidates "
            "are computed once and given to the others.",
            "",
            f"- Machine: {machine()}",
            f"- Command: `{command}`",
            f"- Date: {today}",
            "",
            "| step | seconds | |",
            "|---|---:|---|",
            f"| candidates | {r['candidates']:.1f} | {r['pairs']:,} pairs |",
            f"| deferred acceptance | {r['deferred acceptance']:.1f} | {r['proposals']:,} "
            f"proposals, {r['placed DA']:,} placed |",
            f"| first come, first served (dataset order) | "
            f"{r['first come, first served']:.1f} | {r['placed FCFS']:,} placed |",
            f"| `fairness.analyse`, deferred acceptance's plan | {r['analyse DA']:.1f} | |",
            f"| `fairness.analyse`, first come, first served's plan | {r['analyse FCFS']:.1f} | |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", nargs="?", default="bassin")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--share", type=int, default=20, help="qpv_min_share of the third solve")
    parser.add_argument("--speed-only", action="store_true", help="time the baselines only")
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS.name}")
    args = parser.parse_args(argv)
    shown = " ".join(["python", "benchmarks/fairness.py", *(argv or sys.argv[1:])])
    if args.speed_only:
        text = speed_section(speed_family(args.family, args.seed), shown)
        heading = SPEED
    else:
        result = compare_family(args.family, args.seed, args.time_limit, args.share)
        text = comparison_section(result, shown)
        heading = COMPARISON.format(family=args.family)
    print(text)
    if args.write_docs:
        write_section(heading, text, DOCS)
        print(f"wrote {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
