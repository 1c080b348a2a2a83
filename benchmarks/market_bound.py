"""The market bound of ``preference`` and ``travel`` on an académie, beside the floors it
would replace.

The dataset is solved as the command line does (``solve(load(DIR), time_limit=3600)``, so the
cap never cuts it) up to the end of its largest component's search (``--plan``: an ``.npz`` of
the searched plan, written by ``benchmarks/region_master.py --plan`` or by this script, read
instead of searching again — the phases before the search are deterministic). Then, on that
component, given the plan's values of the levels above:

- the seat-counting bounds the solver reports there now (:func:`stagematch.solver.bounds.level_bounds`
  with the short lists: the transportation floors);
- the market bound (:mod:`stagematch.solver.market_bound`) for each ``--pieces`` and
  ``--steps``, with its CPU seconds (its setup, one pass over the pairs, apart) and the
  process's peak memory.

Figures in docs/benchmarks.md, "A global bound for the académie's lower levels, session 12"
(written by hand from the output).

Usage::

    .venv/bin/python benchmarks/market_bound.py /tmp/acad --plan /tmp/searched.npz \\
        --pieces 300 1000 --steps 60
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SearchMeasured, in_place_of_search, machine


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(context: Any, chosen: Any, students: Any, pieces: list[int], steps: list[int]) -> None:
    """Print the floors and the market bounds of the component of ``students``."""
    import numpy as np

    from stagematch.solver import market_bound as mb
    from stagematch.solver.bounds import level_bounds
    from stagematch.solver.search import _values

    arrays = context.arrays
    members = np.zeros(arrays.n_students, dtype=bool)
    members[students] = True
    values = _values(context, chosen, members)
    print(f"plan: {values}", flush=True)
    cpu = time.process_time()
    floors = level_bounds(
        arrays,
        context.cand,
        context.objective,
        values,
        int(values["placed"]),
        context.workshops_per_student,
        members,
        context.short,
    )
    floor_cpu = time.process_time() - cpu
    print(f"| seat-counting bounds (main) | | {floor_cpu:.1f} | {_row(floors, values)} |")
    for piece_count in pieces:
        cpu = time.process_time()
        groups = mb.offer_groups(arrays.offers, piece_count)
        market = mb.Market(
            arrays.offers, arrays.slots, context.cand, arrays.qpv, students, groups, context.scale
        )
        dp = market.programmes(arrays.max_placements[students], arrays.n_half_days)
        cap = np.zeros(len(students), dtype=np.int64)
        cap[market.present_s // market.slots.n_spans] = context.workshops_per_student
        setup = time.process_time() - cpu
        for count in steps:
            cpu = time.process_time()
            found = mb.market_bounds(market, dp, context.objective, values, cap, count)
            print(
                f"| market bound, {piece_count} pieces ({market.n_groups} groups, "
                f"{len(market.entries.cell):,} entries), {count} steps | {setup:.1f} | "
                f"{time.process_time() - cpu:.1f} | {_row(found, values)} | "
                f"{_peak_mib():,.0f} MiB",
                flush=True,
            )


def _row(bounds: dict[str, float], values: dict[str, float]) -> str:
    cells = []
    for level in ("preference", "travel"):
        bound, value = bounds.get(level), values[level]
        if bound is None:
            cells.append("")
            continue
        cells.append(f"{bound:,.0f} ({(value - bound) / value:.1%})")
    return " | ".join(cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="a dataset folder (an académie)")
    parser.add_argument("--plan", help="an .npz of the searched plan: written, then read")
    parser.add_argument("--pieces", type=int, nargs="+", default=[300])
    parser.add_argument("--steps", type=int, nargs="+", default=[60])
    args = parser.parse_args(argv)
    print(f"Machine: {machine()}")
    import numpy as np

    from stagematch import load
    from stagematch.solver import search

    improve = search.improve

    def then_bound(context: Any, chosen: Any, students: Any, work: float) -> int:
        if len(students) < 10_000:  # a small component: not the one measured
            return improve(context, chosen, students, work)
        if args.plan is not None and Path(args.plan).exists():
            with np.load(args.plan) as plan:
                chosen.offer_chosen[:], chosen.slot_chosen[:] = plan["offer"], plan["slot"]
        else:
            improve(context, chosen, students, work)
            if args.plan is not None:
                np.savez(args.plan, offer=chosen.offer_chosen, slot=chosen.slot_chosen)
        measure(context, chosen, students, args.pieces, args.steps)
        raise SearchMeasured

    in_place_of_search(load(args.directory), then_bound)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
