"""The service's settings, and the one rule about where it may listen.

A service that answers on a network interface hands the students' data to whoever can reach
it, so it listens on loopback unless a token is set; the check lives here, before anything is
bound, so ``stagematch serve`` and :func:`stagematch.serve.run` refuse alike.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

from ..i18n import _

__all__ = ["LOOPBACK_NAMES", "ServeConfig", "default_data_dir", "is_loopback"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
"""Host names a loopback-only service answers to (the ``Host`` header is checked against them,
so a web page elsewhere cannot reach the service through DNS rebinding)."""

MIB = 1024 * 1024


def default_data_dir() -> Path:
    """The user's data folder for stagematch (``~/.local/share/stagematch`` on Linux)."""
    from platformdirs import user_data_path

    return user_data_path("stagematch", appauthor=False)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address to bind) only reaches this machine."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeConfig:
    """What ``stagematch serve`` was started with.

    Parameters
    ----------
    data_dir
        The folder holding the job database and the service's scratch space; nothing is written
        anywhere else.
    jobs
        Solves running at once, each in its own process; further jobs wait in the queue.
    max_upload_bytes
        Largest request body accepted (``413`` above it).
    max_unpacked_bytes
        Largest total size a zip or workbook may unpack to (a zip bomb is refused before it is
        unpacked).
    token
        When set, every API request must carry ``Authorization: Bearer <token>``.
    host
        The address the service is bound to; with no token it must be a loopback address.
    cancel_grace_s
        Seconds a cancelled solve has to stop and keep its best plan before its process is
        ended without a plan.
    """

    data_dir: Path
    jobs: int = 1
    max_upload_bytes: int = 50 * MIB
    max_unpacked_bytes: int = 500 * MIB
    token: str | None = None
    host: str = "127.0.0.1"
    cancel_grace_s: float = 15.0

    def __post_init__(self) -> None:
        if self.jobs < 1:
            raise ValueError(_("--jobs must be at least 1"))
        if self.max_upload_bytes < 1 or self.max_unpacked_bytes < 1:
            raise ValueError(_("size limits must be positive"))
        if self.token is not None and not self.token.strip():
            raise ValueError(_("the token must not be empty"))
        if self.token is None and not is_loopback(self.host):
            raise ValueError(
                _(
                    "refusing to listen on {host} without a token: anyone who can reach it "
                    "would see the students' data; give --token (then every request needs "
                    "'Authorization: Bearer <token>') or listen on 127.0.0.1"
                ).format(host=self.host)
            )

    @property
    def database(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def scratch(self) -> Path:
        """Where uploads are unpacked and plan files written before they go into the database."""
        return self.data_dir / "scratch"
