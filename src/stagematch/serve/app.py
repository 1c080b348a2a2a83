"""The HTTP API and the page, as a FastAPI application over the job store and the queue.

Every error answers with a JSON body a program can read: the problems of an invalid dataset as
``stagematch solve --json`` gives them (``422``), anything else as ``{"status": "error",
"message": …}`` with the HTTP status that fits (``400`` malformed, ``401`` no or wrong token,
``403`` another web site, ``404`` no such job, ``409`` not ready or already finished, ``413`` too
large, ``415`` not a dataset).

The application is assembled here from its parts: the guards every request passes
(:mod:`.guards`), the error answers (:mod:`.responses`), the API (:mod:`.routes`) and the page
(:mod:`.pages`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi

from .._version import __version__
from ..schema import dataset_schema
from .config import ServeConfig
from .guards import add_guards
from .pages import add_page_routes
from .responses import add_error_handlers
from .routes import add_dataset_routes, add_file_routes, add_job_routes
from .runner import JobRunner
from .store import JobStore

__all__ = ["create_app"]


def create_app(config: ServeConfig) -> FastAPI:
    """The service: the API under ``/v1``, the page at ``/``, the description at
    ``/openapi.json``. Its lifespan starts the job queue and stops it (running jobs are then
    marked failed)."""
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = JobStore(config.database)
    runner = JobRunner(store, config)

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
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    add_guards(app, config)
    add_error_handlers(app)
    add_dataset_routes(app, config, store, runner)
    add_job_routes(app, store, runner)
    add_file_routes(app, store)
    add_page_routes(app)
    return app


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The description FastAPI derives, with the dataset's schema and the optional token."""

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

    return openapi


def _openapi_dataset_schemas() -> dict[str, Any]:
    """The dataset's JSON Schema as OpenAPI components (its ``$defs`` become components)."""
    schema = dataset_schema()
    definitions = schema.pop("$defs", {})
    schema.pop("$schema", None)
    text = json.dumps({"Dataset": schema, **{f"Dataset_{k}": v for k, v in definitions.items()}})
    return dict(json.loads(text.replace('"#/$defs/', '"#/components/schemas/Dataset_')))
