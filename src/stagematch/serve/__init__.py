"""``stagematch serve``: stagematch as a local web service, and a page to use it without Python.

Other coordination tools call it over HTTP instead of embedding ``stagematch solve --json -``:
they validate a dataset, submit a solve that runs as a job in its own process (at most
``jobs`` at once, the rest queued), follow its progress, cancel it (keeping the best plan), and
fetch the result and files again whenever they like. Jobs live in a SQLite file in the data
folder, so a restarted service still serves every finished one. A coordinator opens the page at
``/`` to do the same with a workbook. The guide is ``docs/how-to/serve.md``.

Needs the ``serve`` extra (``pip install "stagematch[serve]"``).
"""

from __future__ import annotations

import logging

from .app import create_app
from .config import ServeConfig, default_data_dir, is_loopback

__all__ = ["ServeConfig", "create_app", "default_data_dir", "is_loopback", "run"]


def run(config: ServeConfig, *, port: int = 8000) -> None:
    """Serve until interrupted (Ctrl-C): the queue stops, running jobs are marked failed."""
    import uvicorn

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    logger = logging.getLogger("stagematch")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    uvicorn.run(create_app(config), host=config.host, port=port, log_level="info")
