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
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .app import create_app
from .config import ServeConfig, default_data_dir, is_loopback

__all__ = ["ServeConfig", "create_app", "default_data_dir", "in_background", "is_loopback", "run"]


def run(config: ServeConfig, *, port: int = 8000) -> None:
    """Serve until interrupted (Ctrl-C): the queue stops, running jobs are marked failed."""
    import uvicorn

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
    logger = logging.getLogger("stagematch")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    uvicorn.run(create_app(config), host=config.host, port=port, log_level="info")


@contextmanager
def in_background(config: ServeConfig, *, port: int = 0) -> Iterator[str]:
    """The service in a thread of this process, for a script or a notebook; yields its URL.

    ``port=0`` takes a free port. Leaving the block stops the service as Ctrl-C does.

    Examples
    --------
    >>> from pathlib import Path; import tempfile, urllib.request, json
    >>> with in_background(ServeConfig(data_dir=Path(tempfile.mkdtemp()))) as url:
    ...     json.load(urllib.request.urlopen(url + "/v1/jobs"))
    {'jobs': []}
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET)
    sock.bind((config.host.strip("[]"), port))
    server = uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="stagematch-serve", daemon=True
    )
    thread.start()
    while not server.started:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError("the service could not start")
        time.sleep(0.02)
    host = sock.getsockname()[0]
    try:
        yield f"http://{f'[{host}]' if ':' in host else host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
