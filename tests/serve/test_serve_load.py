"""Twenty solves submitted at once to a service on a loopback port: every one finishes, none is
lost, each result is the one ``stagematch solve --json`` gives, and no more than ``jobs`` ran at
the same time. (How long it takes is measured in ``benchmarks/serve_load.py``.)
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from serve_support import json_body, small, wait_for, without_seconds

from stagematch.cli import main
from stagematch.io import write_dataset
from stagematch.serve import ServeConfig, in_background

DATASETS = 4
SEEDS = 5
JOBS = 2


def test_twenty_solves_at_once_all_finish_none_lost_as_the_cli_solves_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instances = [small(seed=20 + k, students=30 + 5 * k) for k in range(DATASETS)]
    cases = [(k, seed) for k in range(DATASETS) for seed in range(SEEDS)]
    bodies = [json_body(instance) for instance in instances]

    with (
        in_background(ServeConfig(data_dir=tmp_path / "data", jobs=JOBS)) as url,
        httpx2.Client(base_url=url, timeout=120) as client,
    ):

        def submit(case: tuple[int, int]) -> httpx2.Response:
            k, seed = case
            return client.post(
                f"/v1/jobs?seed={seed}&report=false",
                content=bodies[k],
                headers={"content-type": "application/json"},
            )

        with ThreadPoolExecutor(len(cases)) as pool:
            answers = list(pool.map(submit, cases))
        assert [a.status_code for a in answers] == [202] * len(cases)
        ids = [a.json()["id"] for a in answers]
        assert len(set(ids)) == len(cases)

        jobs = [wait_for(client, job_id) for job_id in ids]
        listed = client.get("/v1/jobs").json()["jobs"]
        results = [client.get(f"/v1/jobs/{job_id}/result").json() for job_id in ids]

    assert sorted(j["id"] for j in listed) == sorted(ids)
    assert [j["status"] for j in jobs] == ["done"] * len(cases)
    # At most JOBS solves at once: no moment is inside more than JOBS running intervals.
    intervals = [(j["times"]["started_at"], j["times"]["finished_at"]) for j in jobs]
    for start, _ in intervals:
        assert sum(1 for s, f in intervals if s <= start < f) <= JOBS

    for k, instance in enumerate(instances):
        path = write_dataset(instance, tmp_path / f"dataset{k}.json")
        for seed in range(SEEDS):
            capsys.readouterr()
            assert main(["solve", str(path), "--json", "--seed", str(seed)]) == 0
            from_cli = json.loads(capsys.readouterr().out)
            assert from_cli["status"] == "optimal"
            assert without_seconds(results[cases.index((k, seed))]) == without_seconds(from_cli)
