"""The service's OpenAPI description, and ``python -m stagematch.serve.openapi docs`` to write it
into ``docs/reference/openapi.json`` (``--check``: fail when the written one is out of date).

The test suite compares the written file with what the service serves at ``/openapi.json``, so
the documentation cannot drift from the code.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .app import create_app
from .config import ServeConfig

__all__ = ["openapi_document", "openapi_text"]


def openapi_document() -> dict[str, Any]:
    """The description ``/openapi.json`` serves (the same whatever the service's settings)."""
    with tempfile.TemporaryDirectory() as data_dir:
        return create_app(ServeConfig(data_dir=Path(data_dir))).openapi()


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stagematch.serve.openapi")
    parser.add_argument("docs_dir", help="the documentation folder (docs)")
    parser.add_argument("--check", action="store_true", help="only check the file is current")
    args = parser.parse_args(argv)
    path = Path(args.docs_dir) / "reference" / "openapi.json"
    text = openapi_text()
    if args.check:
        current = path.is_file() and path.read_text("utf-8") == text
        print(f"{path}: {'current' if current else 'out of date'}")
        return 0 if current else 1
    path.write_text(text, "utf-8")
    print(f"written {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
