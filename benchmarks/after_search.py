"""The work a solve does around its search, timed apart from the search (issue 12, item 5).

``stagematch solve DIR --out OUT --time-limit S`` reads the dataset, searches until its budget
or its cap, then evaluates the plan, explains every unplaced student and writes the plan
folder. This script times the parts outside the search on a dataset and a plan already written
by ``stagematch solve``, one after the other in one process:

* ``load`` — reading and validating the dataset (``stagematch.load``);
* ``reasons`` — the reason of every unplaced student (``unplaced_reasons``);
* ``evaluate`` — a whole result for the plan: levels, minutes, ranks, reasons, warnings
  (``stagematch.evaluate``, the same steps as the solver's last stage);
* ``write`` — the plan folder's files (``plan_writers``: the CSV files, ``summary.json`` with
  the input hash, ``input.json``), into a temporary folder.

Run it with the code to measure first on ``PYTHONPATH`` (another checkout for a before/after
comparison, under the same load)::

    stagematch generate academie acad --students 50000 --seed 0
    stagematch solve acad --out plan --time-limit 120
    PYTHONPATH=src .venv/bin/python benchmarks/after_search.py acad plan
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from stagematch import evaluate, load
from stagematch.candidates import candidates
from stagematch.export import plan_writers
from stagematch.plan import Plan
from stagematch.reasons import unplaced_reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", help="the dataset the plan was solved from")
    parser.add_argument("plan", help="a plan folder written by stagematch solve")
    args = parser.parse_args()
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    instance = load(args.dataset)
    seconds["load"] = time.perf_counter() - started
    frame = pd.read_csv(Path(args.plan) / "assignments.csv", dtype=str, keep_default_na=False)
    plan = Plan.from_frame(frame)
    cand = candidates(instance)  # listed before the search: not timed

    started = time.perf_counter()
    unplaced = unplaced_reasons(instance, cand, plan)
    seconds["reasons"] = time.perf_counter() - started

    started = time.perf_counter()
    result = evaluate(instance, plan, cand=cand)
    seconds["evaluate"] = time.perf_counter() - started

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for name, write in plan_writers(result).items():
            write(Path(folder) / name)
    seconds["write"] = time.perf_counter() - started

    print(
        json.dumps(
            {
                "students": len(instance.students),
                "unplaced": len(unplaced),
                "seconds": {k: round(v, 2) for k, v in seconds.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
