"""The page at ``/``: its files and its words, served with a strict content policy."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Response

from .page_text import page_text

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


def add_page_routes(app: FastAPI) -> None:
    """The page's files, and its words in the request's language."""
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
