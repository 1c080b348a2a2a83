"""The job store's times: shown to people as moments, so taken from the wall clock, which may
step back when the system clock is adjusted; a job must never look as if it ended before it
started (the service once showed a running time of -0.005 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stagematch.serve import store as store_module
from stagematch.serve.store import JobStore


def test_a_clock_stepping_back_never_makes_a_job_end_before_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter([1_000.0, 1_005.0, 1_002.0, 1_001.0, 990.0, 980.0])
    monkeypatch.setattr(store_module.time, "time", lambda: next(clock))
    jobs = JobStore(tmp_path / "jobs.sqlite3")
    done = jobs.add(b"{}", {}, 1)  # created at 1,000
    failed = jobs.add(b"{}", {}, 1)  # created at 1,005
    assert jobs.start_next() == done.id  # started at 1,002
    assert jobs.finish(done.id, "done", {"status": "optimal"}, {})  # the clock says 1,001
    assert jobs.start_next() == failed.id  # the clock says 990, before it was created
    assert jobs.fail_all_running("stopped") == [failed.id]  # the clock says 980
    for job_id in (done.id, failed.id):
        record = jobs.get(job_id)
        assert record is not None and record.started_at is not None
        assert record.created_at <= record.started_at <= (record.finished_at or 0)
