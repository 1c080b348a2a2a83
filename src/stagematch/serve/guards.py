"""What every request passes first: its language, then the host, the token and the origin.

A service started without a token answers only to localhost names, so that a web page cannot
reach it through DNS rebinding; with a token, every API request must carry it (the page's own
files and words are open: they hold no data). A browser request from another web site may read
nothing and change nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response

from .. import i18n
from ..i18n import _
from .config import LOOPBACK_NAMES, ServeConfig
from .pages import OPEN_PATHS
from .responses import error_response

CallNext = Callable[[Request], Awaitable[Response]]


def request_language(request: Request) -> str:
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


def add_guards(app: FastAPI, config: ServeConfig) -> None:
    """The guards as the application's outermost middleware."""

    @app.middleware("http")
    async def guard(request: Request, call_next: CallNext) -> Response:
        """Messages in the language the request asks for (the handlers inherit it); then the
        host, the token and the origin are checked."""
        with i18n.language(request_language(request)):
            return await _guarded(config, request, call_next)


async def _guarded(config: ServeConfig, request: Request, call_next: CallNext) -> Response:
    host_header = request.headers.get("host", "").lower()
    host = (urlsplit(f"//{host_header}").hostname or "").lower()
    if config.token is None and host not in LOOPBACK_NAMES:
        return error_response(
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
            return error_response(
                401,
                _("a token is needed: send 'Authorization: Bearer <token>'"),
                **{"WWW-Authenticate": "Bearer"},
            )
    # A browser says where a request comes from; a page of another site gets no say here.
    origin = request.headers.get("origin")
    unsafe = request.method not in ("GET", "HEAD", "OPTIONS")
    if unsafe and origin is not None and urlsplit(origin).netloc.lower() != host_header:
        return error_response(403, _("requests from another web site are refused"))
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
