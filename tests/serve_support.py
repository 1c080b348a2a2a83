"""What the tests of ``stagematch serve`` share: datasets in every upload form, a service on a
loopback port, and waiting for jobs.

Datasets are small synthetic ones (the generator's ``pilot`` family, a few dozen students), so
each solve is proven optimal in well under a second and gives the same plan every time.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx2

from stagematch.generate import generate
from stagematch.io import write_dataset
from stagematch.model import Instance

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FINISHED = ("done", "failed", "cancelled")


def small(seed: int = 0, students: int = 30) -> Instance:
    return generate("pilot", students=students, seed=seed)


def long_running() -> bytes:
    """A dataset (as a JSON body) whose solve does not prove optimality for minutes: a job that
    stays running until it is stopped."""
    document = generate("bassin", students=1500, seed=0).to_dict()
    document["settings"]["time_limit_s"] = 600
    return json.dumps(document, default=str).encode("utf-8")


def json_body(instance: Instance) -> bytes:
    return json.dumps(instance.to_dict(), default=str).encode("utf-8")


def workbook_bytes(instance: Instance, folder: Path) -> bytes:
    return write_dataset(instance, folder / "dataset.xlsx").read_bytes()


def zip_bytes(instance: Instance, folder: Path, *, top: str = "") -> bytes:
    """The dataset as a zip of CSV files, at the root or inside folder ``top``."""
    written = write_dataset(instance, folder / "csv")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(written.iterdir()):
            archive.write(path, f"{top}{path.name}")
    return buffer.getvalue()


def without_seconds(document: dict[str, Any]) -> dict[str, Any]:
    """A result document less its wall-clock timings (the only part two runs may differ in)."""
    return {key: value for key, value in document.items() if key != "seconds"}


def wait_for(client: httpx2.Client, job_id: str, *, until: tuple[str, ...] = FINISHED) -> dict:
    """Poll a job until its status is one of ``until`` (a test never waits more than 5 min)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in until:
            return dict(job)
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {job['status']} after 300 s")
