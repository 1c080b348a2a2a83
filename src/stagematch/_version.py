"""The installed version of stagematch.

A module of its own so that the modules that record it (summary.json, the report, the HTTP
description) do not import the package root, which would make every module depend on the
whole package.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stagematch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
