"""The HTTP API and the page, as a FastAPI application over the job store and the queue.

Every error answers with a JSON body a program can read: the problems of an invalid dataset as
``stagematch solve --json`` gives them (``422``), anything else as ``{"status": "error",
"message": …}`` with the HTTP status that fits (``400`` malformed, ``401`` no or wrong token,
``403`` another web site, ``404`` no such job, ``409`` not ready or already finished, ``413`` too
large, ``415`` not a dataset).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .. import __version__, i18n
from ..api import error_document, problems_document
from ..documents import ErrorDocument, InvalidInputDocument, SolvedDocument, problem_record
from ..errors import InvalidInputError
from ..i18n import _, format_number
from ..model import Instance, _pydantic_message
from ..schema import dataset_schema
from .config import LOOPBACK_NAMES, ServeConfig
from .models import DatasetSize, Job, JobList, JobOptions, ValidDocument, job_document
from .page_text import page_text
from .runner import JobRunner
from .store import JobStore
from .uploads import MEDIA_TYPES, UploadError, load_upload, read_upload
from .worker import LETTERS_ZIP, PLAN_ZIP

__all__ = ["create_app"]

PAGE_FILES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/page.css": ("page.css", "text/css; charset=utf-8"),
    "/page.js": ("page.js", "text/javascript; charset=utf-8"),
}
PAGE_TEXT_PATH = "/page-text.json"
OPEN_PATHS = {*PAGE_FILES, PAGE_TEXT_PATH}
"""The page's own files and words: served without a token (they hold no data; the page asks
for the token)."""

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)

FILES = {
    "report.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "report.html": "text/html; charset=utf-8",
    LETTERS_ZIP: "application/zip",
    PLAN_ZIP: "application/zip",
}


def _request_language(request: Request) -> str:
    """The ``language`` query parameter if it names one stagematch speaks, else the first such
    language of ``Accept-Language``, else English."""
    asked = request.query_params.get("language", "").lower()
    if asked in i18n.LANGUAGES:
        return asked
    for entry in request.headers.get("accept-language", "").split(","):
        code = entry.split(";")[0].strip().lower()[:2]
        if code in i18n.LANGUAGES:
            return code
    return "en"


def _report_policy() -> str:
    """The report page may run its own script and nothing else (no network either)."""
    from ..report.html import SCRIPT

    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()
    return (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
        "img-src data:; frame-ancestors 'none'"
    )


def _error(status_code: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(error_document(message), status_code=status_code, headers=headers or None)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorDocument} for code in codes}


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


def _openapi_dataset_schemas() -> dict[str, Any]:
    """The dataset's JSON Schema as OpenAPI components (its ``$defs`` become components)."""
    schema = dataset_schema()
    definitions = schema.pop("$defs", {})
    schema.pop("$schema", None)
    text = json.dumps({"Dataset": schema, **{f"Dataset_{k}": v for k, v in definitions.items()}})
    return dict(json.loads(text.replace('"#/$defs/', '"#/components/schemas/Dataset_')))


def create_app(config: ServeConfig) -> FastAPI:
    """The service: the API under ``/v1``, the page at ``/``, the description at
    ``/openapi.json``. Its lifespan starts the job queue and stops it (running jobs are then
    marked failed)."""
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = JobStore(config.database)
    runner = JobRunner(store, config)
    report_policy = _report_policy()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runner.start()
        try:
            yield
        finally:
            await run_in_threadpool(runner.close)

    app = FastAPI(
        title="stagematch",
        version=__version__,
        summary="Plan work placements and workshop sessions for school students, over HTTP.",
        description="Validate a dataset, submit solves that run as jobs, follow them, and fetch "
        "their results and files. Guide: docs/how-to/serve.md.",
        docs_url=None,  # the interactive pages load scripts from the network
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store, app.state.runner, app.state.config = store, runner, config

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            document.setdefault("components", {}).setdefault("schemas", {}).update(
                _openapi_dataset_schemas()
            )
            # The same document whatever the service was started with: the token is optional.
            document["components"]["securitySchemes"] = {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Needed when the service was started with --token.",
                }
            }
            document["security"] = [{"bearer": []}, {}]
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # ----------------------------------------------------------------------------------------
    # Guards, outermost first: the host, the token, the origin.

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Messages in the language the request asks for (the handlers inherit it); then the
        host, the token and the origin are checked."""
        with i18n.language(_request_language(request)):
            return await _guarded(request, call_next)

    async def _guarded(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        host_header = request.headers.get("host", "").lower()
        host = (urlsplit(f"//{host_header}").hostname or "").lower()
        if config.token is None and host not in LOOPBACK_NAMES:
            return _error(
                400,
                _(
                    "this service answers only to localhost; start it with --token to serve "
                    "other names (behind a reverse proxy, for instance)"
                ),
            )
        if config.token is not None and request.url.path not in OPEN_PATHS:
            given = request.headers.get("authorization", "")
            expected = f"Bearer {config.token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return _error(
                    401,
                    _("a token is needed: send 'Authorization: Bearer <token>'"),
                    **{"WWW-Authenticate": "Bearer"},
                )
        # A browser says where a request comes from; a page of another site gets no say here.
        origin = request.headers.get("origin")
        unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
        if unsafe and origin is not None and urlsplit(origin).netloc.lower() != host_header:
            return _error(403, _("requests from another web site are refused"))
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    # ----------------------------------------------------------------------------------------
    # Errors: JSON bodies with the CLI's documents.

    @app.exception_handler(InvalidInputError)
    async def invalid_input(request: Request, error: InvalidInputError) -> JSONResponse:
        # As the command line: an explicit language, else the dataset's setting.
        explicit = request.query_params.get("language", "").lower() in i18n.LANGUAGES
        with i18n.language(None if explicit else error.language):
            return JSONResponse(problems_document(error), status_code=422)

    @app.exception_handler(UploadError)
    async def bad_upload(request: Request, error: UploadError) -> JSONResponse:
        return _error(error.status_code, error.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        # Starlette's own errors (no such route, wrong method) carry English phrases.
        message = {404: _("no such page"), 405: _("method not allowed")}.get(error.status_code)
        if isinstance(error.detail, Message):
            message = str(error.detail)
        return _error(error.status_code, message or str(error.detail), **(error.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, error: RequestValidationError) -> JSONResponse:
        messages = []
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"][1:]) or str(item["loc"][0])
            text = (
                _("unknown option")
                if item["type"] == "extra_forbidden"
                else i18n.translate(_pydantic_message(item))
            )
            messages.append(f"{name}: {text}")
        return _error(400, "; ".join(messages))

    # ----------------------------------------------------------------------------------------
    # The dataset in a request body.

    async def dataset(request: Request) -> Instance:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > config.max_upload_bytes:
            raise UploadError(413, _too_large(config.max_upload_bytes))
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > config.max_upload_bytes:
                raise UploadError(413, _too_large(config.max_upload_bytes))
            chunks.append(chunk)
        body = b"".join(chunks)
        return await run_in_threadpool(_validated, body, request.headers.get("content-type"))

    def _validated(body: bytes, content_type: str | None) -> Instance:
        from ..solver import check_pins

        instance = load_upload(
            read_upload(body, content_type), config.scratch, config.max_unpacked_bytes
        )
        problems = check_pins(instance)
        if problems:
            raise InvalidInputError(problems)
        return instance

    def job_or_404(job_id: str) -> Job:
        record = store.get(job_id)
        if record is None:
            raise HTTPException(404, Message(_("no job {job}").format(job=repr(job_id))))
        return job_document(record, time.time())

    # ----------------------------------------------------------------------------------------
    # The API.

    @app.post(
        "/v1/validate",
        response_model=ValidDocument,
        responses={422: {"model": InvalidInputDocument}, **_errors(400, 401, 413, 415)},
        openapi_extra=DATASET_BODY,
        summary="Check a dataset: every problem, as stagematch validate lists them",
    )
    async def validate(request: Request) -> ValidDocument:
        instance = await dataset(request)
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
        responses={422: {"model": InvalidInputDocument}, **_errors(400, 401, 413, 415)},
        openapi_extra=DATASET_BODY,
        summary="Submit a solve: it is queued and runs in its own process",
    )
    async def submit(
        request: Request, options: Annotated[JobOptions, Query()], response: Response
    ) -> Job:
        instance = await dataset(request)
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

    @app.get("/v1/jobs", response_model=JobList, summary="Every job, oldest first")
    def jobs() -> JobList:
        now = time.time()
        return JobList(jobs=[job_document(record, now) for record in store.jobs()])

    @app.get(
        "/v1/jobs/{job_id}",
        response_model=Job,
        responses=_errors(404),
        summary="A job's status, progress and times",
    )
    def job(job_id: str) -> Job:
        return job_or_404(job_id)

    @app.delete(
        "/v1/jobs/{job_id}",
        response_model=Job,
        status_code=202,
        responses=_errors(404, 409),
        summary="Cancel a job: a running solve stops and keeps its best plan",
    )
    def cancel(job_id: str) -> Job:
        job_or_404(job_id)
        if not store.cancel_queued(job_id) and not runner.cancel(job_id):
            current = job_or_404(job_id)
            message = _("the job has already finished ({status})")
            raise HTTPException(409, Message(message.format(status=_(current.status))))
        return job_or_404(job_id)

    def finished_with_result(job_id: str) -> None:
        current = job_or_404(job_id)
        if current.has_result:
            return
        if current.status in ("queued", "running"):
            message = _("the job is {status}: no result yet")
            raise HTTPException(409, Message(message.format(status=_(current.status))))
        message = _("the job ended ({status}) without a plan: {message}")
        status = _(current.status)
        raise HTTPException(409, Message(message.format(status=status, message=current.message)))

    @app.get(
        "/v1/jobs/{job_id}/result",
        response_model=SolvedDocument,
        responses=_errors(404, 409),
        summary="The plan: exactly what stagematch solve --json prints",
    )
    def result(job_id: str) -> Response:
        finished_with_result(job_id)
        return Response(store.result(job_id), media_type="application/json")

    def file_route(name: str) -> None:
        @app.get(
            f"/v1/jobs/{{job_id}}/{name}",
            response_class=Response,
            responses={200: {"content": {FILES[name]: {}}}, **_errors(404, 409)},
            summary=f"The plan's {name}",
            name=f"job_{name.replace('.', '_')}",
        )
        def download(job_id: str) -> Response:
            finished_with_result(job_id)
            content = store.file(job_id, name)
            if content is None:
                message = _("no {name}: the job was submitted with report=false")
                raise HTTPException(404, Message(message.format(name=name)))
            inline = name == "report.html"
            headers = {
                "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{name}"'
            }
            if inline:
                headers["Content-Security-Policy"] = report_policy
            return Response(content, media_type=FILES[name], headers=headers)

    for name in FILES:
        file_route(name)

    # ----------------------------------------------------------------------------------------
    # The page.

    page = resources.files("stagematch.serve") / "page"

    def page_route(path: str, file_name: str, media_type: str) -> None:
        @app.get(path, include_in_schema=False, name=f"page_{file_name}")
        def serve_page_file() -> Response:
            return Response(
                (page / file_name).read_bytes(),
                media_type=media_type,
                headers={"Content-Security-Policy": PAGE_POLICY},
            )

    for path, (file_name, media_type) in PAGE_FILES.items():
        page_route(path, file_name, media_type)

    @app.get(PAGE_TEXT_PATH, include_in_schema=False)
    def serve_page_text() -> dict[str, str]:
        return page_text()

    return app


def _too_large(limit: int) -> str:
    return _("the upload is larger than the limit of {limit} bytes").format(
        limit=format_number(limit)
    )


class Message(str):
    """An error message already in the request's language (Starlette's own are not)."""
