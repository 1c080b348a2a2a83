"""Coaches and recruitment: the ``coaches`` level against leaving it out, and ``gaps`` checked.

Protocol (``docs/benchmarks.md`` repeats it next to the figures):

* transport settings ``coach_capacity = 30``, ``coach_cost = 450``, ``coach_cost_per_km =
  1.2``, ``transit_daily_cost = 4.5`` are added to the bundled pilot and to
  ``generate("bassin", students=1000, seed=1)``;
* each is solved twice with the default objective: as is (coaches only counted) and with
  ``coaches`` right after ``workshops``;
* ``gaps`` runs on the second plan; its proposed offers are added and the dataset solved again:
  the students placed must equal the figure announced;
* the pilot is solved with its own settings (budget 10, time limit 60 s: the issue's target is
  a proof with the default budget), the bassin with a 120-s cap; when a status is
  ``feasible`` the table names the levels left unproven and what ended their search (the work
  budget, or the wall-clock cap).

Usage::

    .venv/bin/python benchmarks/transport.py --write-docs

``--levels`` instead solves the pilot alone, ``coaches`` right after ``workshops``, with the
default budget and a 900-s cap (so that only the budget ends the search), and prints every
branch and bound HiGHS runs — component size, whether started from the level above's solution,
nodes allowed and used, proven or not, CPU seconds — the first round's and the second's (``docs/concepts/transport.md``)::

    .venv/bin/python benchmarks/transport.py --levels
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import machine, with_settings, write_section

from stagematch.gaps import gaps
from stagematch.generate import generate, load_pilot
from stagematch.model import LEVELS, Instance
from stagematch.result import Result
from stagematch.solver import solve
from stagematch.transport import coach_count

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Transport and recruitment"
TRANSPORT = {
    "coach_capacity": 30,
    "coach_cost": 450,
    "coach_cost_per_km": 1.2,
    "transit_daily_cost": 4.5,
}
TIME_LIMITS: dict[str, float | None] = {"pilot": None, "bassin": 120.0}  # None: the settings


def _datasets() -> dict[str, Instance]:
    return {"pilot": load_pilot(), "bassin": generate("bassin", students=1000, seed=1)}


def _unproven(result: Result) -> str:
    """The levels left unproven and what ended their search; empty when optimal."""
    levels = [name for name, level in result.levels.items() if not level.proven]
    if not levels:
        return ""
    cut = {None: "budget", "time_limit": "time cap", "interrupt": "interrupt"}
    return f"{', '.join(levels)} ({cut[result.stopped_by]})"


def run() -> list[str]:
    levels = list(LEVELS)
    grouped = [*levels[: levels.index("workshops") + 1], "coaches"]
    grouped += levels[levels.index("workshops") + 1 :]
    rows = []
    for name, instance in _datasets().items():
        limit = TIME_LIMITS[name]
        for label, objective in (("left out", levels), ("after workshops", grouped)):
            data = with_settings(instance, **TRANSPORT, objective=objective)
            started = time.monotonic()
            result = solve(data, time_limit=limit)
            seconds = time.monotonic() - started
            coaches = result.levels.get("coaches")
            transport = result.transport
            assert transport is not None
            line = (
                f"| {name} | {label} | {result.status} | {_unproven(result)} | {seconds:.0f} | "
                f"{result.counts()['placed']} | {result.levels['workshops'].value:g} | "
                f"{coach_count(data, result.plan)}"
                + (f" (bound {coaches.bound:g})" if coaches is not None else "")
                + f" | {transport.total:,.0f} | "
                f"{transport.summary()['cost_per_placed_qpv_student']:,.0f} |"
            )
            rows.append(line)
            print(line, flush=True)
            if label == "after workshops":
                started = time.monotonic()
                found = gaps(result)
                gap_seconds = time.monotonic() - started
                again = solve(found.with_seats(data), time_limit=limit)
                last = found.groups[-1] if found.groups else None
                line = (
                    f"| {name} | + seats from `gaps` ({len(found.groups)} groups, "
                    f"{sum(g.seats for g in found.groups)} seats, {gap_seconds:.1f} s) | "
                    f"{again.status} | {_unproven(again)} | | {again.counts()['placed']} "
                    f"(announced {last.placed_total if last else found.placed}) | "
                    f"{again.levels['workshops'].value:g} | "
                    f"{coach_count(again.instance, again.plan)} | | |"
                )
                rows.append(line)
                print(line, flush=True)
    return rows


def levels() -> None:
    """Every search of the pilot's exact components, ``coaches`` after ``workshops``: HiGHS's
    branch and bound of each level, and the search on coach groups where HiGHS leaves one
    unproven (its group-fixed MILPs counted in its line, not printed)."""
    from stagematch.solver import groups, milp

    optimise = milp.HighsModel.optimise
    minimise = groups.GroupSearch.minimise
    inside = [False]

    def timed(model: milp.HighsModel, coefs: Any, *args: Any) -> Any:
        cpu = time.process_time()
        found = optimise(model, coefs, *args)
        nodes = int(model.h.getInfo().mip_node_count)
        if not inside[0]:
            search = "HiGHS, started" if len(args) > 3 and args[3] is not None else "HiGHS"
            print(
                f"| {model.n} | {search} | {args[2]} | {nodes} | {'yes' if found[2] else 'no'} | "
                f"{found[1]:,.1f} | {time.process_time() - cpu:.1f} |",
                flush=True,
            )
        return found

    def searched(search: groups.GroupSearch, cost: Any, incumbent: float, *args: Any) -> Any:
        cpu = time.process_time()
        inside[0] = True
        found = minimise(search, cost, incumbent, *args)
        inside[0] = False
        best = incumbent if found.solution is None else float(cost @ found.solution)
        proven = found.stopped_by is None and found.bound >= best - 0.5
        print(
            f"| {search.relaxed.n} | groups: {found.relaxations} LPs, {found.fixed_milps} "
            f"MILPs | {args[0]:.0f} | {found.nodes:.0f} | {'yes' if proven else 'no'} | "
            f"{found.bound:,.1f} (minimised) | {time.process_time() - cpu:.1f} |",
            flush=True,
        )
        return found

    milp.HighsModel.optimise = timed  # type: ignore[method-assign]
    groups.GroupSearch.minimise = searched  # type: ignore[method-assign]
    levels = list(LEVELS)
    grouped = [*levels[: levels.index("workshops") + 1], "coaches"]
    grouped += levels[levels.index("workshops") + 1 :]
    print("| columns | search | nodes allowed | nodes used | proven | bound (model) | CPU s |")
    print("|---:|---|---:|---:|---|---:|---:|")
    cpu = time.process_time()
    result = solve(with_settings(load_pilot(), **TRANSPORT, objective=grouped), time_limit=900)
    print(f"\n{result.status}, stopped by {result.stopped_by or 'the budget'}, ", end="")
    print(f"{time.process_time() - cpu:.0f} CPU s, load {os.getloadavg()[0]:.1f}")
    for name, level in result.levels.items():
        print(f"- {name}: {level.value:g} (bound {level.bound:g})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--levels", action="store_true", help="the pilot's HiGHS runs only")
    args = parser.parse_args()
    if args.levels:
        levels()
        return
    load_before = os.getloadavg()
    rows = run()
    load_after = os.getloadavg()
    text = "\n".join(
        [
            SECTION,
            "",
            "Protocol in `benchmarks/transport.py`: transport settings (30 seats a coach, 450 € a "
            "coach and session plus 1.2 €/km, 4.5 € a day of public transport) on the pilot and "
            "on `bassin` with 1,000 students (seed 1), solved with `coaches` left out of the "
            "default objective and right after `workshops`; then the seats `gaps` proposes "
            "added and the dataset solved again.",
            "",
            f"- Machine: {machine()}",
            "- Command: `.venv/bin/python benchmarks/transport.py --write-docs`",
            f"- Date: {datetime.now(UTC).date().isoformat()}; shared with other jobs, load "
            f"average {load_before[0]:.1f} before and {load_after[0]:.1f} after (2 cores)",
            "- Budget and time limit: "
            + ", ".join(
                f"{k} {'the settings (budget 10, 60 s)' if v is None else f'budget 10, {v:g} s'}"
                for k, v in TIME_LIMITS.items()
            ),
            "",
            "| dataset | coaches in objective | status | unproven (ended by) | s | placed | "
            "workshops | coaches | transport € | € per placed QPV student |",
            "|---|---|---|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "`feasible`: the levels named were not proven, their search ended by the work "
            "budget (`budget`) or the wall-clock cap (`time cap`); the bound in brackets is the "
            "one reported for `coaches`. Why, and the bound at scale: "
            "[Concepts › Transport](concepts/transport.md).",
            "",
        ]
    )
    print(text)
    if args.write_docs:
        write_section(SECTION, text, DOCS)


if __name__ == "__main__":
    main()
