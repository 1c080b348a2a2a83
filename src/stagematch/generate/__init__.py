"""Realistic synthetic datasets on the real geography, and the bundled pilot dataset.

>>> from stagematch.generate import FAMILIES, generate, load_pilot
>>> instance = generate("bassin", students=500, seed=1)   # doctest: +SKIP

Families (name → default number of students) are in :data:`FAMILIES`. Every dataset is a
validated :class:`~stagematch.model.Instance`; :func:`generate_tables` gives the same data as plain
tables for writers that do not need the validated rows.

The pilot dataset shipped with the package (``stagematch/data/pilot.json``) is exactly
``generate("pilot", seed=0)``; a test keeps it so, and :func:`write_pilot` (or
``python -m stagematch.generate``) rewrites it after a change to the generator.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..geo import data_file
from ..model import Instance
from .families import FAMILIES, FAMILY_SPECS, Family, generate, generate_tables
from .stats import describe

PILOT_FILE = "pilot.json"

__all__ = [
    "FAMILIES",
    "FAMILY_SPECS",
    "Family",
    "describe",
    "generate",
    "generate_tables",
    "load_pilot",
    "pilot_json",
    "write_pilot",
]


def load_pilot() -> Instance:
    """The bundled pilot dataset (105 QPV students, Valenciennes and Lens), read offline."""
    with data_file(PILOT_FILE) as handle:
        return Instance.from_dict(json.load(handle))


def pilot_json(seed: int = 0) -> str:
    """The text of ``pilot.json``: the pilot instance as indented JSON (stable, diff-friendly)."""
    return json.dumps(generate("pilot", seed=seed).to_dict(), indent=1, ensure_ascii=False) + "\n"


def write_pilot(path: Path | str | None = None) -> Path:
    """Regenerate the bundled pilot file (by default the one next to this package's sources).

    Returns the path written. Run it (``python -m stagematch.generate``) whenever the generator
    changes; ``tests/generate/test_families.py`` fails until the file matches ``generate("pilot")``.
    """
    target = Path(path) if path is not None else Path(__file__).parent.parent / "data" / PILOT_FILE
    target.write_text(pilot_json(), encoding="utf-8")
    return target
