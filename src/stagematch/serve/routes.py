"""The API under ``/v1``: validate a dataset, submit a solve as a job, follow it, cancel it,
fetch its result and files."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ..documents import InvalidInputDocument, SolvedDocument, problem_record
from ..errors import InvalidInputError
from ..i18n import _
from ..model import Instance
from .config import ServeConfig
from .models import DatasetSize, Job, JobList, JobOptions, ValidDocument, job_document
from .responses import Message, error_models, too_large
from .runner import JobRunner
from .store import JobStore
from .uploads import MEDIA_TYPES, UploadError, load_upload, read_upload
from .worker import LETTERS_ZIP, PLAN_ZIP

FILES = {
    "report.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "report.html": "text/html; charset=utf-8",
    LETTERS_ZIP: "application/zip",
    PLAN_ZIP: "application/zip",
}

DATASET_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The dataset: a JSON document, a workbook or a zip of CSV files, as the "
        "body or as the 'file' field of a form.",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Dataset"}},
            **{
                media: {"schema": {"type": "string", "format": "binary"}}
                for media, kind in MEDIA_TYPES.items()
                if kind != "json"
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "A .json, .xlsx or .zip file.",
                        }
                    },
                }
            },
        },
    }
}


def report_policy() -> str:
    """The report page may run its own script and nothing else (no network either)."""
    from ..report.html import SCRIPT

    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()
    return (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
        "img-src data:; frame-ancestors 'none'"
    )


async def read_dataset(request: Request, config: ServeConfig) -> Instance:
    """The dataset in a request's body, read up to the upload limit and validated (in a thread:
    validation is CPU work)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > config.max_upload_bytes:
        raise UploadError(413, too_large(config.max_upload_bytes))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > config.max_upload_bytes:
            raise UploadError(413, too_large(config.max_upload_bytes))
        chunks.append(chunk)
    body = b"".join(chunks)
    return await run_in_threadpool(_validated, body, request.headers.get("content-type"), config)


def _validated(body: bytes, content_type: str | None, config: ServeConfig) -> Instance:
    from ..solver import check_pins

    instance = load_upload(
        read_upload(body, content_type), config.scratch, config.max_unpacked_bytes
    )
    problems = check_pins(instance)
    if problems:
        raise InvalidInputError(problems)
    return instance


def job_or_404(store: JobStore, job_id: str) -> Job:
    record = store.get(job_id)
    if record is None:
        raise HTTPException(404, Message(_("no job {job}").format(job=repr(job_id))))
    return job_document(record, time.time())


def finished_with_result(store: JobStore, job_id: str) -> None:
    """Nothing when the job has a plan; else 409, saying why not."""
    current = job_or_404(store, job_id)
    if current.has_result:
        return
    if current.status in ("queued", "running"):
        message = _("the job is {status}: no result yet")
        raise HTTPException(409, Message(message.format(status=_(current.status))))
    message = _("the job ended ({status}) without a plan: {message}")
    status = _(current.status)
    raise HTTPException(409, Message(message.format(status=status, message=current.message)))


def add_dataset_routes(
    app: FastAPI, config: ServeConfig, store: JobStore, runner: JobRunner
) -> None:
    """``POST /v1/validate`` and ``POST /v1/jobs``: the routes that take a dataset."""

    @app.post(
        "/v1/validate",
        response_model=ValidDocument,
        responses={422: {"model": InvalidInputDocument}, **error_models(400, 401, 413, 415)},
        openapi_extra=DATASET_BODY,
        summary="Check a dataset: every problem, as stagematch validate lists them",
    )
    async def validate(request: Request) -> ValidDocument:
        instance = await read_dataset(request, config)
        return ValidDocument(
            status="valid",
            problems=[],
            warnings=[problem_record(p) for p in instance.warnings],
            dataset=DatasetSize(**{t: len(instance.table(t)) for t in DatasetSize.model_fields}),
        )

    @app.post(
        "/v1/jobs",
        status_code=202,
        response_model=Job,
        responses={422: {"model": InvalidInputDocument}, **error_models(400, 401, 413, 415)},
        openapi_extra=DATASET_BODY,
        summary="Submit a solve: it is queued and runs in its own process",
    )
    async def submit(
        request: Request, options: Annotated[JobOptions, Query()], response: Response
    ) -> Job:
        instance = await read_dataset(request, config)
        text = json.dumps(instance.to_dict(), ensure_ascii=False, default=str)
        chosen = options.language or instance.settings.language or "en"
        record = await run_in_threadpool(
            store.add,
            text.encode("utf-8"),
            options.model_copy(update={"language": chosen}).model_dump(exclude_none=True),
            len(instance.students),
        )
        runner.wake()
        response.headers["Location"] = f"/v1/jobs/{record.id}"
        return job_document(record, time.time())


def add_job_routes(app: FastAPI, store: JobStore, runner: JobRunner) -> None:
    """The jobs: list them, follow one, cancel one, fetch its result."""

    @app.get("/v1/jobs", response_model=JobList, summary="Every job, oldest first")
    def jobs() -> JobList:
        now = time.time()
        return JobList(jobs=[job_document(record, now) for record in store.jobs()])

    @app.get(
        "/v1/jobs/{job_id}",
        response_model=Job,
        responses=error_models(404),
        summary="A job's status, progress and times",
    )
    def job(job_id: str) -> Job:
        return job_or_404(store, job_id)

    @app.delete(
        "/v1/jobs/{job_id}",
        response_model=Job,
        status_code=202,
        responses=error_models(404, 409),
        summary="Cancel a job: a running solve stops and keeps its best plan",
    )
    def cancel(job_id: str) -> Job:
        job_or_404(store, job_id)
        if not store.cancel_queued(job_id) and not runner.cancel(job_id):
            current = job_or_404(store, job_id)
            message = _("the job has already finished ({status})")
            raise HTTPException(409, Message(message.format(status=_(current.status))))
        return job_or_404(store, job_id)

    @app.get(
        "/v1/jobs/{job_id}/result",
        response_model=SolvedDocument,
        responses=error_models(404, 409),
        summary="The plan: exactly what stagematch solve --json prints",
    )
    def result(job_id: str) -> Response:
        finished_with_result(store, job_id)
        return Response(store.result(job_id), media_type="application/json")


def add_file_routes(app: FastAPI, store: JobStore) -> None:
    """One download route per file a job can have (:data:`FILES`)."""
    policy = report_policy()

    def file_route(name: str) -> None:
        @app.get(
            f"/v1/jobs/{{job_id}}/{name}",
            response_class=Response,
            responses={200: {"content": {FILES[name]: {}}}, **error_models(404, 409)},
            summary=f"The plan's {name}",
            name=f"job_{name.replace('.', '_')}",
        )
        def download(job_id: str) -> Response:
            finished_with_result(store, job_id)
            content = store.file(job_id, name)
            if content is None:
                message = _("no {name}: the job was submitted with report=false")
                raise HTTPException(404, Message(message.format(name=name)))
            inline = name == "report.html"
            headers = {
                "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{name}"'
            }
            if inline:
                headers["Content-Security-Policy"] = policy
            return Response(content, media_type=FILES[name], headers=headers)

    for name in FILES:
        file_route(name)
