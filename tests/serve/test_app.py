"""``stagematch serve`` through an HTTP client: every endpoint, every error path, a restart.

The service runs in-process (FastAPI's test client runs its lifespan, so the job queue and its
solving processes are real); results are compared with what ``stagematch solve --json`` prints
for the same file.
"""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from serve_support import (
    XLSX,
    json_body,
    long_running,
    small,
    wait_for,
    without_seconds,
    workbook_bytes,
    zip_bytes,
)

from stagematch.cli import main
from stagematch.io import write_dataset
from stagematch.serve import ServeConfig, create_app
from stagematch.serve.runner import INTERRUPTED
from stagematch.serve.store import JobStore

ROOT = Path(__file__).parent.parent.parent
JSON = {"content-type": "application/json"}


def client_for(config: ServeConfig, **kwargs: Any) -> TestClient:
    kwargs.setdefault("base_url", "http://127.0.0.1")
    return TestClient(create_app(config), **kwargs)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    with client_for(ServeConfig(data_dir=data_dir, jobs=2)) as client:
        yield client


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["solve", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def files_outside(root: Path, data_dir: Path) -> set[Path]:
    return {p for p in root.rglob("*") if not p.is_relative_to(data_dir)}


# ----------------------------------------------------------------------------------------------
# POST /v1/validate


def test_validate_accepts_every_form_of_a_valid_dataset(client: TestClient, tmp_path: Path) -> None:
    instance = small(1)
    expected = {
        "schools": len(instance.schools),
        "students": len(instance.students),
        "offers": len(instance.offers),
        "workshop_slots": len(instance.workshop_slots),
        "travel_times": 0,
    }
    workbook = workbook_bytes(instance, tmp_path)
    zipped = zip_bytes(instance, tmp_path)
    answers = [
        client.post("/v1/validate", content=json_body(instance), headers=JSON),
        client.post("/v1/validate", content=workbook, headers={"content-type": XLSX}),
        client.post("/v1/validate", content=zipped, headers={"content-type": "application/zip"}),
        client.post("/v1/validate", files={"file": ("My data.xlsx", workbook, XLSX)}),
        client.post("/v1/validate", files={"file": ("d.zip", zipped, "application/zip")}),
        client.post(
            "/v1/validate",
            files={"file": ("d.zip", zip_bytes(instance, tmp_path, top="campagne 2027/"), "")},
        ),
        client.post("/v1/validate", files={"file": ("d.json", json_body(instance), "")}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        document = answer.json()
        assert document.pop("warnings") == answers[0].json()["warnings"]
        assert document == {"status": "valid", "problems": [], "dataset": expected}


def test_validate_lists_the_warnings_of_a_valid_dataset(client: TestClient) -> None:
    document = small(1).to_dict()
    for row in document["offers"]:
        row["notes_for_the_club"] = "x"
    answer = client.post("/v1/validate", content=json.dumps(document, default=str), headers=JSON)
    assert answer.status_code == 200, answer.text
    warnings = answer.json()["warnings"]
    assert any(
        w["table"] == "offers"
        and w["column"] == "notes_for_the_club"
        and w["severity"] == "warning"
        for w in warnings
    ), warnings


def test_validate_lists_the_same_problems_as_the_cli(
    client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = small(2)
    document = instance.to_dict()
    document["students"][3]["school_id"] = "0000000X"
    document["offers"][1]["capacity"] = -2
    del document["workshop_slots"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document), "utf-8")
    code, from_cli = cli_json(capsys, str(path))
    assert code == 1 and from_cli["status"] == "infeasible_input"
    answer = client.post("/v1/validate", content=path.read_bytes(), headers=JSON)
    assert answer.status_code == 422
    assert answer.json() == from_cli
    rows = {(p["table"], p["row"], p["column"]) for p in answer.json()["problems"]}
    assert ("students", 5, "school_id") in rows and ("offers", 3, "capacity") in rows


def test_a_broken_workbook_gets_its_problems_with_rows_and_columns(
    client: TestClient, tmp_path: Path
) -> None:
    path = write_dataset(small(3), tmp_path / "d.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["students"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=4, column=header.index("school_id") + 1, value="NOPE")
    workbook.save(path)
    answer = client.post("/v1/validate", files={"file": ("d.xlsx", path.read_bytes(), XLSX)})
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {
            "table": "students",
            "row": 4,
            "column": "school_id",
            "value": "NOPE",
            "message": answer.json()["problems"][0]["message"],
            "severity": "error",
        }
    ]
    assert "school" in answer.json()["problems"][0]["message"]


@pytest.mark.parametrize(
    ("body", "media", "message"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"\xff\xfe\x00", "application/json", "UTF-8"),
        (b"plain text", "application/zip", "not a zip file"),
        (b"plain text", XLSX, "not an .xlsx workbook"),
    ],
)
def test_unreadable_documents_are_problems(
    client: TestClient, body: bytes, media: str, message: str
) -> None:
    answer = client.post("/v1/validate", content=body, headers={"content-type": media})
    assert answer.status_code == 422
    (problem,) = answer.json()["problems"]
    assert message in problem["message"]


# ----------------------------------------------------------------------------------------------
# Hostile and malformed uploads: a clear 4xx, nothing written outside the data folder


def _zip(members: dict[str, bytes], *, link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "link", "message"),
    [
        ({"../students.csv": b"student_id\n"}, None, "unsafe name '../students.csv'"),
        ({"data/../../schools.csv": b"x"}, None, "unsafe name"),
        ({"/etc/schools.csv": b"x"}, None, "unsafe name"),
        ({"C:\\temp\\offers.csv": b"x"}, None, "unsafe name"),
        ({}, "students.csv", "a link 'students.csv'"),
        ({f"f{i}.csv": b"" for i in range(1001)}, None, "1001 members"),
        ({"students.csv": b"0" * 3_000_000}, None, "would unpack to 3,000,000 bytes"),
    ],
)
def test_hostile_zips_are_refused_before_anything_is_written(
    tmp_path: Path, members: dict[str, bytes], link: str | None, message: str
) -> None:
    data_dir = tmp_path / "data"
    config = ServeConfig(data_dir=data_dir, max_unpacked_bytes=2_000_000)
    body = _zip(members, link=link)
    with client_for(config) as client:
        before = files_outside(tmp_path, data_dir)
        for answer in (
            client.post("/v1/validate", content=body, headers={"content-type": "application/zip"}),
            client.post("/v1/jobs", files={"file": ("x.zip", body, "application/zip")}),
        ):
            assert answer.status_code == 400, answer.text
            assert answer.json()["status"] == "error"
            assert message in answer.json()["message"]
        assert files_outside(tmp_path, data_dir) == before
        assert list((data_dir / "scratch").iterdir()) == []
        assert client.get("/v1/jobs").json() == {"jobs": []}


def test_an_encrypted_zip_member_is_refused(client: TestClient) -> None:
    body = bytearray(_zip({"students.csv": b"student_id\n"}))
    # Set the "encrypted" flag in the local header and the central directory.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = body.index(signature) + offset
        body[at] |= 0x1
    answer = client.post(
        "/v1/validate", content=bytes(body), headers={"content-type": "application/zip"}
    )
    assert answer.status_code == 400
    assert "encrypted member 'students.csv'" in answer.json()["message"]


def test_a_workbook_bomb_is_refused(tmp_path: Path) -> None:
    workbook = workbook_bytes(small(), tmp_path)
    with client_for(ServeConfig(data_dir=tmp_path / "data", max_unpacked_bytes=1000)) as client:
        answer = client.post("/v1/validate", content=workbook, headers={"content-type": XLSX})
    assert answer.status_code == 400
    assert "the archive would unpack to" in answer.json()["message"]


def test_a_zip_with_two_candidates_for_a_table_names_them(
    client: TestClient, tmp_path: Path
) -> None:
    good = zipfile.ZipFile(io.BytesIO(zip_bytes(small(), tmp_path)))
    members = {name: good.read(name) for name in good.namelist()}
    members["old/Students.csv"] = members["students.csv"]
    answer = client.post(
        "/v1/validate", content=_zip(members), headers={"content-type": "application/zip"}
    )
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {
            "table": "students",
            "row": None,
            "column": None,
            "value": None,
            "message": "several files in the zip could be this table: old/Students.csv, students.csv",
            "severity": "error",
        }
    ]


def test_uploads_above_the_limit_get_413(tmp_path: Path) -> None:
    body = json_body(small())
    with client_for(ServeConfig(data_dir=tmp_path / "data", max_upload_bytes=1000)) as client:
        declared = client.post("/v1/jobs", content=body, headers=JSON)
        streamed = client.post("/v1/validate", content=iter([body[:600], body[600:]]), headers=JSON)
        as_form = client.post("/v1/validate", files={"file": ("d.json", body, "")})
        assert client.get("/v1/jobs").json() == {"jobs": []}
    for answer in (declared, streamed, as_form):
        assert answer.status_code == 413
        assert answer.json() == {
            "status": "error",
            "message": "the upload is larger than the limit of 1,000 bytes",
        }


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"content": b"x", "headers": {"content-type": "text/plain"}}, 415, "(text/plain)"),
        ({"content": b"x"}, 415, "(no content type)"),
        ({"files": {"file": ("notes.txt", b"x", "text/plain")}}, 415, "('notes.txt', text/plain)"),
        ({"files": {"other": ("d.json", b"{}", "")}}, 400, "no 'file' field"),
        ({"data": {"time_limit": "5"}, "files": {}}, 415, "application/x-www-form-urlencoded"),
        (
            {
                "content": b"--b\r\nbroken",
                "headers": {"content-type": "multipart/form-data; boundary=b"},
            },
            400,
            "cut short",
        ),
        (
            {"content": b"x", "headers": {"content-type": "multipart/form-data"}},
            400,
            "no boundary",
        ),
    ],
)
def test_wrong_content_types_and_malformed_forms(
    client: TestClient, kwargs: dict[str, Any], status: int, message: str
) -> None:
    answer = client.post("/v1/validate", **kwargs)
    assert answer.status_code == status, answer.text
    assert answer.json()["status"] == "error"
    assert message in answer.json()["message"]


# ----------------------------------------------------------------------------------------------
# Jobs


def test_a_job_gives_exactly_what_the_cli_gives(
    client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = small(4)
    path = write_dataset(instance, tmp_path / "d.xlsx")
    submitted = client.post(
        "/v1/jobs?seed=3&time_limit=30", files={"file": ("d.xlsx", path.read_bytes(), XLSX)}
    )
    assert submitted.status_code == 202
    job = submitted.json()
    assert submitted.headers["location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] in ("queued", "running")
    assert job["options"] == {
        "time_limit": 30.0,
        "seed": 3,
        "stable": None,
        "memory_limit": None,
        "report": True,
        "language": "en",
    }
    assert job["students"] == len(instance.students)

    job = wait_for(client, job["id"])
    assert job["status"] == "done", job
    assert job["has_result"] and job["result_status"] == "optimal" and job["message"] is None
    assert job["progress"]["phase"] == "reasons"
    assert set(job["progress"]["phases"]) >= {"candidates", "flow", "components"}
    assert job["progress"]["components"]["done"] == job["progress"]["components"]["total"]
    times = job["times"]
    assert times["queued_s"] >= 0 and times["running_s"] >= 0
    assert times["created_at"] <= times["started_at"] <= times["finished_at"]

    result = client.get(f"/v1/jobs/{job['id']}/result")
    assert result.status_code == 200 and result.headers["content-type"] == "application/json"
    code, from_cli = cli_json(capsys, str(path), "--seed", "3", "--time-limit", "30")
    assert code == 0
    assert without_seconds(result.json()) == without_seconds(from_cli)

    html = client.get(f"/v1/jobs/{job['id']}/report.html")
    assert html.status_code == 200 and html.text.lower().startswith("<!doctype html>")
    assert "script-src 'sha256-" in html.headers["content-security-policy"]
    xlsx = client.get(f"/v1/jobs/{job['id']}/report.xlsx")
    assert xlsx.headers["content-disposition"] == 'attachment; filename="report.xlsx"'
    assert "summary" in openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames[0].lower()
    plan = zipfile.ZipFile(io.BytesIO(client.get(f"/v1/jobs/{job['id']}/plan.zip").content))
    assert sorted(plan.namelist()) == [
        "plan/assignments.csv",
        "plan/input.json",
        "plan/summary.json",
        "plan/unplaced.csv",
    ]
    summary = json.loads(plan.read("plan/summary.json"))
    assert summary["input_hash"] == from_cli["input_hash"]

    listed = client.get("/v1/jobs").json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]


def test_a_job_without_report_files(client: TestClient) -> None:
    job = client.post("/v1/jobs?report=false", content=json_body(small()), headers=JSON).json()
    job = wait_for(client, job["id"])
    assert job["status"] == "done"
    assert client.get(f"/v1/jobs/{job['id']}/plan.zip").status_code == 200
    for name in ("report.html", "report.xlsx"):
        answer = client.get(f"/v1/jobs/{job['id']}/{name}")
        assert answer.status_code == 404
        assert "report=false" in answer.json()["message"]


def test_an_invalid_dataset_is_not_queued(client: TestClient) -> None:
    answer = client.post("/v1/jobs", content=b'{"settings": {}}', headers=JSON)
    assert answer.status_code == 422
    assert answer.json()["status"] == "infeasible_input"
    assert client.get("/v1/jobs").json() == {"jobs": []}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("seed=-1", "seed: Input should be greater than or equal to 0"),
        ("time_limit=0", "time_limit: Input should be greater than 0.0"),
        ("stable=perhaps", "stable: Input should be a valid boolean, unable to interpret input"),
        ("language=tlh", "language: Input should be 'en' or 'fr'"),
        ("timelimit=5", "timelimit: unknown option"),
        (
            "memory_limit=lots",
            "memory_limit: the memory limit must be a size such as 4GB or 3500MB (at least "
            "1MB), or off; got 'lots'",
        ),
        (
            "memory_limit=0.5MB",
            "memory_limit: the memory limit must be a size such as 4GB or 3500MB (at least "
            "1MB), or off; got '0.5MB'",
        ),
    ],
)
def test_bad_options_get_400(client: TestClient, query: str, message: str) -> None:
    answer = client.post(f"/v1/jobs?{query}", content=json_body(small()), headers=JSON)
    assert answer.status_code == 400
    assert answer.json() == {"status": "error", "message": message}


@pytest.mark.parametrize(
    ("query", "recorded"),
    [("", 4096), ("memory_limit=2GB", 2048), ("memory_limit=off", "off")],
)
def test_the_memory_limit_is_an_option_recorded_like_the_cli(
    client: TestClient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    query: str,
    recorded: int | str,
) -> None:
    instance = small(2)
    job = client.post(f"/v1/jobs?report=false&{query}", content=json_body(instance), headers=JSON)
    assert job.status_code == 202
    given = query.partition("=")[2] or None
    assert job.json()["options"]["memory_limit"] == given
    job = wait_for(client, job.json()["id"])
    assert job["status"] == "done", job
    options = client.get(f"/v1/jobs/{job['id']}/result").json()["options"]
    assert options["memory_limit"] == recorded
    path = write_dataset(instance, tmp_path / "d.xlsx")
    extra = ["--memory-limit", given] if given else []
    code, from_cli = cli_json(capsys, str(path), *extra)
    assert code == 0
    assert from_cli["options"] == options


def test_unknown_jobs_and_routes_get_404(client: TestClient) -> None:
    for method, path in [
        ("GET", "/v1/jobs/nope"),
        ("DELETE", "/v1/jobs/nope"),
        ("GET", "/v1/jobs/nope/result"),
        ("GET", "/v1/jobs/nope/report.xlsx"),
        ("GET", "/v1/jobs/nope/plan.zip"),
        ("GET", "/v2/anything"),
    ]:
        answer = client.request(method, path)
        assert answer.status_code == 404, path
        assert answer.json()["status"] == "error"
    assert client.put("/v1/jobs").status_code == 405


def test_queued_jobs_wait_their_turn_and_can_be_cancelled(data_dir: Path) -> None:
    with client_for(ServeConfig(data_dir=data_dir, jobs=1)) as client:
        first = client.post("/v1/jobs?report=false", content=json_body(small(5)), headers=JSON)
        second = client.post("/v1/jobs?report=false", content=json_body(small(6)), headers=JSON)
        third = client.post("/v1/jobs?report=false", content=json_body(small(7)), headers=JSON)
        first_id, second_id, third_id = (a.json()["id"] for a in (first, second, third))
        assert client.get(f"/v1/jobs/{third_id}").json()["status"] == "queued"
        for path in (f"/v1/jobs/{third_id}/result", f"/v1/jobs/{third_id}/plan.zip"):
            answer = client.get(path)
            assert answer.status_code == 409
            assert answer.json()["message"] == "the job is queued: no result yet"

        cancelled = client.delete(f"/v1/jobs/{third_id}")
        assert cancelled.status_code == 202
        assert cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_requested"]
        assert wait_for(client, first_id)["status"] == "done"
        second_job = wait_for(client, second_id)
        assert second_job["status"] == "done"
        assert (
            second_job["times"]["started_at"]
            >= client.get(f"/v1/jobs/{first_id}").json()["times"]["finished_at"]
        )
        third_job = client.get(f"/v1/jobs/{third_id}").json()
        assert third_job["status"] == "cancelled" and third_job["times"]["started_at"] is None
        answer = client.get(f"/v1/jobs/{third_id}/result")
        assert answer.status_code == 409
        assert answer.json()["message"].startswith("the job ended (cancelled) without a plan")
        again = client.delete(f"/v1/jobs/{first_id}")
        assert again.status_code == 409
        assert again.json()["message"] == "the job has already finished (done)"


def test_a_crashed_solve_fails_its_job_and_the_queue_goes_on(data_dir: Path) -> None:
    with client_for(ServeConfig(data_dir=data_dir, jobs=1)) as client:
        doomed = client.post("/v1/jobs", content=long_running(), headers=JSON).json()
        after = client.post("/v1/jobs?report=false", content=json_body(small()), headers=JSON)
        deadline = time.monotonic() + 300
        while client.get(f"/v1/jobs/{doomed['id']}").json()["progress"]["phase"] is None:
            assert time.monotonic() < deadline, "the solve never started"
            time.sleep(0.05)  # until its process is solving
        runner = client.app.state.runner  # type: ignore[attr-defined]
        process = runner._running[doomed["id"]].process
        os.kill(process.pid, signal.SIGKILL)
        failed = wait_for(client, doomed["id"])
        assert failed["status"] == "failed" and not failed["has_result"]
        assert failed["message"] == (
            "the solving process ended unexpectedly; it may have run out of memory"
        )
        assert wait_for(client, after.json()["id"])["status"] == "done"


def test_stopping_the_service_fails_the_running_job_and_a_restart_serves_the_rest(
    data_dir: Path,
) -> None:
    with client_for(ServeConfig(data_dir=data_dir, jobs=1)) as client:
        finished = client.post("/v1/jobs", content=json_body(small(8)), headers=JSON).json()
        finished = wait_for(client, finished["id"])
        result = client.get(f"/v1/jobs/{finished['id']}/result").json()
        report = client.get(f"/v1/jobs/{finished['id']}/report.xlsx").content
        running = client.post("/v1/jobs", content=long_running(), headers=JSON).json()
        queued = client.post("/v1/jobs?report=false", content=json_body(small(9)), headers=JSON)
        wait_for(client, running["id"], until=("running",))
    # The service stopped: what ran is failed, saying why; the queue is kept.
    store = JobStore(data_dir / "jobs.sqlite3")
    assert store.get(running["id"]).error == INTERRUPTED  # type: ignore[union-attr]
    assert store.get(queued.json()["id"]).status == "queued"  # type: ignore[union-attr]
    # A service killed outright (no shutdown) leaves its jobs "running" in the database.
    crashed = store.add(json_body(small(10)), {}, 30)
    assert [store.start_next(), store.start_next()] == [queued.json()["id"], crashed.id]

    with client_for(ServeConfig(data_dir=data_dir, jobs=1)) as client:
        jobs = {j["id"]: j for j in client.get("/v1/jobs").json()["jobs"]}
        assert list(jobs) == [finished["id"], running["id"], queued.json()["id"], crashed.id]
        assert jobs[finished["id"]]["status"] == "done"
        assert client.get(f"/v1/jobs/{finished['id']}/result").json() == result
        assert client.get(f"/v1/jobs/{finished['id']}/report.xlsx").content == report
        for job_id in (running["id"], queued.json()["id"], crashed.id):
            assert jobs[job_id]["status"] == "failed"
            assert jobs[job_id]["message"] == INTERRUPTED


def test_queued_jobs_survive_a_restart_and_run(data_dir: Path) -> None:
    data_dir.mkdir()
    store = JobStore(data_dir / "jobs.sqlite3")
    waiting = store.add(json_body(small(11)), {"report": False, "seed": 2}, 30)
    with client_for(ServeConfig(data_dir=data_dir)) as client:
        job = wait_for(client, waiting.id)
        assert job["status"] == "done" and job["options"]["seed"] == 2


# ----------------------------------------------------------------------------------------------
# Safe by default


def test_a_token_is_needed_on_every_api_request_but_not_for_the_page(tmp_path: Path) -> None:
    config = ServeConfig(data_dir=tmp_path / "data", token="s3cret", host="0.0.0.0")
    with client_for(config, base_url="http://planning.example.org") as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            for method, path in [
                ("GET", "/v1/jobs"),
                ("POST", "/v1/validate"),
                ("GET", "/openapi.json"),
            ]:
                answer = client.request(method, path, headers=headers)
                assert answer.status_code == 401, (path, headers)
                assert answer.headers["www-authenticate"] == "Bearer"
                assert answer.json()["message"] == (
                    "a token is needed: send 'Authorization: Bearer <token>'"
                )
        french = client.get("/v1/jobs", headers={"accept-language": "fr"})
        assert french.json()["message"].startswith("un jeton est nécessaire")
        good = {"Authorization": "Bearer s3cret"}
        assert client.get("/v1/jobs", headers=good).json() == {"jobs": []}
        answer = client.post("/v1/validate", content=json_body(small()), headers={**JSON, **good})
        assert answer.status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/page.js").status_code == 200


def test_without_a_token_only_loopback_names_are_answered(client: TestClient) -> None:
    assert client.get("/v1/jobs", headers={"host": "localhost:8000"}).status_code == 200
    assert client.get("/v1/jobs", headers={"host": "[::1]:8000"}).status_code == 200
    answer = client.get("/v1/jobs", headers={"host": "rebound.example.com"})
    assert answer.status_code == 400
    assert "answers only to localhost" in answer.json()["message"]


def test_other_web_sites_cannot_post(client: TestClient) -> None:
    body = json_body(small())
    answer = client.post(
        "/v1/jobs", content=body, headers={**JSON, "origin": "http://evil.example.com"}
    )
    assert answer.status_code == 403
    assert client.get("/v1/jobs").json() == {"jobs": []}
    same = client.post("/v1/validate", content=body, headers={**JSON, "origin": "http://127.0.0.1"})
    assert same.status_code == 200


def test_listening_beyond_loopback_needs_a_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for host in ("0.0.0.0", "192.168.1.20", "planning.example.org", "::"):
        with pytest.raises(ValueError, match="without a token"):
            ServeConfig(data_dir=tmp_path, host=host)
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"):
        ServeConfig(data_dir=tmp_path, host=host)
    assert main(["serve", "--host", "0.0.0.0", "--data", str(tmp_path / "d")]) == 2
    assert "refusing to listen on 0.0.0.0 without a token" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_the_page_is_self_contained(client: TestClient) -> None:
    page = client.get("/")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "http" not in page.text.replace('"http', "")  # no address of another site
    for asset in ("/page.js", "/page.css"):
        text = client.get(asset).text
        assert "http:" not in text and "https:" not in text and "//" not in text.replace("// ", "")


def test_no_student_data_reaches_the_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    instance = small(12)
    caplog.set_level("DEBUG")
    job = client.post("/v1/jobs?report=false", content=json_body(instance), headers=JSON).json()
    wait_for(client, job["id"])
    client.post(
        "/v1/validate",
        content='{"students": [{"student_id": "Zoé Martin"}]}'.encode(),
        headers=JSON,
    )
    logged = caplog.text
    assert job["id"] in logged
    for student in instance.students:
        assert student.student_id not in logged
    assert "Zoé" not in logged


# ----------------------------------------------------------------------------------------------
# The description


def test_the_openapi_description_in_the_docs_is_current(client: TestClient) -> None:
    served = client.get("/openapi.json").json()
    written = json.loads((ROOT / "docs" / "reference" / "openapi.json").read_text("utf-8"))
    assert served == written, "run: python -m stagematch.serve.openapi docs"
    paths = served["paths"]
    assert set(paths) == {
        "/v1/validate",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/result",
        "/v1/jobs/{job_id}/report.xlsx",
        "/v1/jobs/{job_id}/report.html",
        "/v1/jobs/{job_id}/letters.zip",
        "/v1/jobs/{job_id}/plan.zip",
    }
    body = paths["/v1/jobs"]["post"]["requestBody"]["content"]
    assert set(body) >= {"application/json", "multipart/form-data", "application/zip", XLSX}
    assert paths["/v1/jobs/{job_id}/result"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"] == {"$ref": "#/components/schemas/SolvedDocument"}


# ----------------------------------------------------------------------------------------------
# French and English


def _unknown_school(language: str | None = None) -> bytes:
    document = small(2).to_dict()
    document["students"][3]["school_id"] = "0000000X"
    if language:
        document["settings"]["language"] = language
    return json.dumps(document).encode()


def test_problems_come_in_the_language_asked_for_else_the_datasets(client: TestClient) -> None:
    def message(body: bytes, query: str = "", **headers: str) -> str:
        answer = client.post(f"/v1/validate{query}", content=body, headers={**JSON, **headers})
        assert answer.status_code == 422
        (problem,) = answer.json()["problems"]
        assert (problem["table"], problem["row"], problem["column"]) == ("students", 5, "school_id")
        return str(problem["message"])

    english = message(_unknown_school())
    assert english == "unknown school"
    assert message(_unknown_school(), "?language=fr") == "établissement inconnu"
    assert message(_unknown_school("fr")) == "établissement inconnu"
    assert message(_unknown_school("fr"), "?language=en") == english
    # A browser's language comes after the dataset's setting.
    french_browser = {"accept-language": "fr-FR,fr;q=0.9"}
    assert message(_unknown_school(), **french_browser) == "établissement inconnu"
    assert message(_unknown_school("en"), **french_browser) == english


def test_errors_come_in_the_language_of_the_request(client: TestClient) -> None:
    french = {"accept-language": "fr-FR,fr;q=0.9,en;q=0.8"}
    assert client.get("/v1/jobs/nope", headers=french).json()["message"] == "aucun calcul 'nope'"
    assert client.get("/v1/nothing?language=fr").json()["message"] == "cette page n'existe pas"
    answer = client.post("/v1/jobs?seed=x", content=b"{}", headers={**JSON, **french})
    assert answer.json()["message"].startswith("seed: ")
    assert "entier" in answer.json()["message"]
    answer = client.post("/v1/validate?language=fr", content=b"x", headers={})
    assert answer.json()["message"].startswith("type de contenu non pris en charge")


def test_a_french_job_gives_french_reports_and_letters(client: TestClient) -> None:
    job = client.post("/v1/jobs?language=fr", content=json_body(small(13)), headers=JSON).json()
    assert job["options"]["language"] == "fr"
    job = wait_for(client, job["id"])
    assert job["status"] == "done"
    html = client.get(f"/v1/jobs/{job['id']}/report.html").text
    assert '<html lang="fr"' in html
    letters = zipfile.ZipFile(io.BytesIO(client.get(f"/v1/jobs/{job['id']}/letters.zip").content))
    names = letters.namelist()
    assert names and all(n.startswith("letters/") and n.endswith(".pdf") for n in names)
    assert letters.read(names[0]).startswith(b"%PDF")
    # Without a language, the dataset's setting decides, else English.
    body = json.loads(json_body(small(14)))
    body["settings"]["language"] = "fr"
    job = client.post("/v1/jobs?report=false", json=body).json()
    assert job["options"]["language"] == "fr"
    job = client.post("/v1/jobs?report=false", content=json_body(small(14)), headers=JSON).json()
    assert job["options"]["language"] == "en"


def test_the_page_words_in_both_languages(tmp_path: Path) -> None:
    config = ServeConfig(data_dir=tmp_path / "data", token="t")
    with client_for(config) as client:
        english = client.get("/page-text.json?language=en").json()
        french = client.get("/page-text.json?language=fr").json()
    assert set(english) == set(french)
    assert english["check"] == "Check the dataset" and french["check"] == "Vérifier les données"
    same = {key for key in english if english[key] == french[key]}
    assert same <= {"col_table", "col_plan"}  # words French and English share


def test_cancelling_a_running_job_keeps_its_best_plan(data_dir: Path) -> None:
    with client_for(ServeConfig(data_dir=data_dir, jobs=1)) as client:
        job = client.post("/v1/jobs?report=false", content=long_running(), headers=JSON).json()
        deadline = time.monotonic() + 300
        while client.get(f"/v1/jobs/{job['id']}").json()["progress"]["phase"] is None:
            assert time.monotonic() < deadline, "the solve never started"
            time.sleep(0.05)  # until its process is solving
        assert client.delete(f"/v1/jobs/{job['id']}").status_code == 202
        ended = wait_for(client, job["id"])
        assert ended["status"] == "cancelled"
        result = client.get(f"/v1/jobs/{job['id']}/result")
        assert result.status_code == 200
        assert result.json()["stopped_by"] == "interrupt"
        assert result.json()["status"] == "feasible"
