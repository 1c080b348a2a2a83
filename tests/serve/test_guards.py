"""The language of a request: an explicit ``language`` parameter, else the browser's."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from stagematch.serve.guards import request_language


def request(query: str = "", accept: str | None = None) -> Request:
    headers = [] if accept is None else [(b"accept-language", accept.encode())]
    return Request({"type": "http", "query_string": query.encode(), "headers": headers})


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("", None, "en"),
        ("language=fr", None, "fr"),
        ("language=FR", "en", "fr"),
        ("language=de", "fr-FR,fr;q=0.9", "fr"),  # a language we do not speak is ignored
        ("", "de-DE,fr;q=0.8,en;q=0.5", "fr"),  # the first one we speak, in the browser's order
        ("", "en-GB,fr;q=0.9", "en"),
        ("", "de,it", "en"),
        ("", ";;,", "en"),
    ],
)
def test_request_language(query: str, accept: str | None, expected: str) -> None:
    assert request_language(request(query, accept)) == expected
