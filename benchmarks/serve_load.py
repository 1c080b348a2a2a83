"""``stagematch serve`` under load: many small solves submitted at once over loopback.

Protocol (``docs/benchmarks.md`` repeats it next to the figures):

* the service runs in this process (``stagematch.serve.in_background``) on a 127.0.0.1 port
  with a fresh data folder and ``--jobs`` solving processes;
* the datasets are the generator's ``pilot`` family at 30, 35, 40 and 45 students (seeds 20–23),
  each submitted with seeds 0–4 (20 jobs), ``report=false``, all at once from 20 client threads;
* the clock runs from the first submission to the moment every job is finished; each job's
  queued and running seconds are the service's own (``GET /v1/jobs/{id}``);
* every result is compared with ``stagematch.solve_json`` on the same dataset and seed.

Usage::

    .venv/bin/python benchmarks/serve_load.py --jobs 2 --write-docs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
from common import machine, write_section

from stagematch import solve_json
from stagematch.generate import generate
from stagematch.serve import ServeConfig, in_background

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## The HTTP service under load"


def run(jobs: int, with_report: bool) -> dict[str, Any]:
    documents = [generate("pilot", students=30 + 5 * k, seed=20 + k).to_dict() for k in range(4)]
    cases = [(k, seed) for k in range(4) for seed in range(5)]
    bodies = [json.dumps(d, default=str).encode() for d in documents]
    with tempfile.TemporaryDirectory() as data_dir:
        config = ServeConfig(data_dir=Path(data_dir), jobs=jobs)
        with in_background(config) as url, httpx2.Client(base_url=url, timeout=300) as client:
            client.get("/v1/jobs")  # the service is up; the clock starts with the submissions

            def submit(case: tuple[int, int]) -> tuple[float, str]:
                k, seed = case
                sent = time.perf_counter()
                answer = client.post(
                    f"/v1/jobs?seed={seed}&report={str(with_report).lower()}",
                    content=bodies[k],
                    headers={"content-type": "application/json"},
                )
                answer.raise_for_status()
                return time.perf_counter() - sent, answer.json()["id"]

            started = time.perf_counter()
            with ThreadPoolExecutor(len(cases)) as pool:
                submitted = list(pool.map(submit, cases))
            pending = {job_id for _, job_id in submitted}
            finished: dict[str, dict[str, Any]] = {}
            while pending:
                for job_id in list(pending):
                    job = client.get(f"/v1/jobs/{job_id}").json()
                    if job["status"] in ("done", "failed", "cancelled"):
                        finished[job_id] = job
                        pending.discard(job_id)
                time.sleep(0.05)
            wall = time.perf_counter() - started
            results = {
                job_id: client.get(f"/v1/jobs/{job_id}/result").json() for job_id in finished
            }
    identical = 0
    for (k, seed), (_, job_id) in zip(cases, submitted, strict=True):
        expected = solve_json(documents[k], seed=seed)
        got = results[job_id]
        identical += all(got[key] == expected[key] for key in expected if key != "seconds")
    jobs_seen = list(finished.values())
    return {
        "jobs": jobs,
        "report": with_report,
        "submitted": len(cases),
        "done": sum(j["status"] == "done" for j in jobs_seen),
        "identical": identical,
        "wall_s": wall,
        "submit_max_s": max(s for s, _ in submitted),
        "queued_max_s": max(j["times"]["queued_s"] for j in jobs_seen),
        "running_median_s": statistics.median(j["times"]["running_s"] for j in jobs_seen),
        "running_max_s": max(j["times"]["running_s"] for j in jobs_seen),
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| solving processes | report files | done / submitted | identical to the CLI "
        "| all finished (s) | slowest submission (s) | longest wait (s) "
        "| running, median / max (s) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['jobs']} | {'yes' if r['report'] else 'no'} | {r['done']} / {r['submitted']} "
            f"| {r['identical']} | {r['wall_s']:.1f} | {r['submit_max_s']:.2f} "
            f"| {r['queued_max_s']:.1f} | {r['running_median_s']:.2f} / {r['running_max_s']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[2])
    parser.add_argument("--report", action="store_true", help="also time jobs with report files")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    rows = [run(jobs, False) for jobs in args.jobs]
    if args.report:
        rows += [run(jobs, True) for jobs in args.jobs]
    text = table(rows)
    print(text)
    if args.write_docs:
        load = os.getloadavg()
        command = "python benchmarks/serve_load.py --jobs " + " ".join(map(str, args.jobs))
        command += " --report" if args.report else ""
        write_section(
            SECTION,
            f"{SECTION}\n\n"
            "Issue 16's load test, timed: 20 small solves (30–45 students) submitted at once to "
            "`stagematch serve` over loopback, from 20 client threads. *Longest wait*: a job's "
            "seconds in the queue; *running*: from its start to its result stored (process start, "
            "loading, solving, the plan zipped, and with report files their plots; the slowest is "
            "the first job, which also starts the server that forks the solving processes, "
            "importing the solver once). Every result "
            "is compared with `stagematch.solve_json` on the same dataset and seed (the "
            "`seconds` timings aside). Protocol: `benchmarks/serve_load.py`.\n\n"
            f"{text}\n\n"
            f"Machine: {machine()}. Command: `{command} --write-docs`. "
            f"Date: {datetime.now(UTC):%Y-%m-%d}. The machine was shared with other jobs "
            f"(load average {load[0]:.1f} at the end of the run).\n",
            DOCS,
        )


if __name__ == "__main__":
    main()
