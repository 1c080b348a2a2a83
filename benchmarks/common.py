"""What every benchmark script shares: the machine line and updating one section of the docs."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any


def machine() -> str:
    """CPU model and core count (from ``lscpu``), memory, Python and library versions."""
    model = platform.processor() or "unknown CPU"
    try:
        out = subprocess.run(["lscpu"], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            kib = int(handle.readline().split()[1])
        memory = f", {kib / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import numpy
    import ortools
    import pydantic

    return (
        f"{model}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, pydantic {pydantic.__version__}, "
        f"OR-Tools {ortools.__version__}"
    )


def write_section(heading: str, text: str, path: Path) -> None:
    """Replace (or append) the section starting with ``heading``, leaving the others alone."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start = current.find(heading + "\n")
    if start < 0:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        following = current.find("\n## ", start + len(heading))
        rest = "" if following < 0 else current[following + 1 :]
        new = current[:start] + text + ("\n" + rest if rest else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def with_settings(instance: Any, **settings: Any) -> Any:
    """The instance with ``settings`` laid over its own (validated again)."""
    from stagematch import Instance

    data = instance.to_dict()
    data["settings"] = {**data["settings"], **settings}
    return Instance.from_dict(data)


class SearchMeasured(Exception):
    """Raised by a hook of :func:`in_place_of_search` once it has measured what it wanted: the
    rest of the solve is not needed."""


def in_place_of_search(instance: Any, hook: Any, seed: int = 0) -> None:
    """Solve ``instance`` with ``hook`` run in place of the neighbourhood search
    (``stagematch.solver.search.improve``, same arguments): the phases before the search are
    deterministic, so every run's hook starts from the same plan."""
    from stagematch.solver import search, solve

    improve = search.improve
    search.improve = hook
    try:
        solve(instance, time_limit=3600, seed=seed)
    except SearchMeasured:
        pass
    finally:
        search.improve = improve
