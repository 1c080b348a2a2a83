"""Error answers a program can read: ``{"status": "error", "message": …}`` or, for an invalid
dataset, the problems as ``stagematch solve --json`` gives them — never Starlette's own pages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .. import i18n
from ..api import error_document, problems_document
from ..documents import ErrorDocument
from ..errors import InvalidInputError, pydantic_message
from ..i18n import _, format_number
from .uploads import UploadError


class Message(str):
    """An error message already in the request's language (Starlette's own are not)."""


def error_response(status_code: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(error_document(message), status_code=status_code, headers=headers or None)


def error_models(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route's error statuses."""
    return {code: {"model": ErrorDocument} for code in codes}


def too_large(limit: int) -> str:
    return _("the upload is larger than the limit of {limit} bytes").format(
        limit=format_number(limit)
    )


def add_error_handlers(app: FastAPI) -> None:
    """JSON bodies with the CLI's documents for every error a request can meet."""

    @app.exception_handler(InvalidInputError)
    async def invalid_input(request: Request, error: InvalidInputError) -> JSONResponse:
        # As the command line: an explicit language, else the dataset's setting.
        explicit = request.query_params.get("language", "").lower() in i18n.LANGUAGES
        with i18n.language(None if explicit else error.language):
            return JSONResponse(problems_document(error), status_code=422)

    @app.exception_handler(UploadError)
    async def bad_upload(request: Request, error: UploadError) -> JSONResponse:
        return error_response(error.status_code, error.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        # Starlette's own errors (no such route, wrong method) carry English phrases.
        message = {404: _("no such page"), 405: _("method not allowed")}.get(error.status_code)
        if isinstance(error.detail, Message):
            message = str(error.detail)
        return error_response(
            error.status_code, message or str(error.detail), **(error.headers or {})
        )

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, error: RequestValidationError) -> JSONResponse:
        messages = []
        for item in error.errors():
            name = ".".join(str(part) for part in item["loc"][1:]) or str(item["loc"][0])
            text = (
                _("unknown option")
                if item["type"] == "extra_forbidden"
                else i18n.translate(pydantic_message(item))
            )
            messages.append(f"{name}: {text}")
        return error_response(400, "; ".join(messages))
