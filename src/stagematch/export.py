"""Writing a solved plan to a folder, whole or not at all, and reading it back.

A plan folder holds the SPEC's ``assignments.csv``, ``unplaced.csv`` and ``summary.json``, plus
``input.json`` (the dataset it was solved from) so that ``stagematch report PLAN_DIR`` and
``check`` can work from the folder alone.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .i18n import translate
from .model import Instance
from .plan import Plan
from .result import Result

PLAN_FILES = ("assignments.csv", "unplaced.csv", "summary.json", "input.json")
TRANSPORT_FILE = "transport.csv"
"""Written beside :data:`PLAN_FILES` when the dataset plans transport."""


def write_files(out_dir: str | Path, writers: dict[str, Callable[[Path], None]]) -> Path:
    """Write several files into ``out_dir`` atomically as a set.

    Every file is first written into a temporary folder beside ``out_dir``; only when all of
    them succeeded are they moved into place (each move is atomic), so a failure leaves
    ``out_dir`` as it was. A writer may write a folder (``letters/``): it replaces the folder
    of that name whole.
    """
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, write in writers.items():
            write(staging / name)
        out.mkdir(exist_ok=True)
        for name in writers:
            target = out / name
            if (staging / name).is_dir() and target.is_dir():
                os.replace(target, staging / f".previous-{name}")  # removed with the staging
            os.replace(staging / name, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _json_writer(data: Any) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")

    return write


def _csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        frame.to_csv(path, index=False, encoding="utf-8")

    return write


def write_plan(result: Result, out_dir: str | Path) -> Path:
    """Write ``assignments.csv``, ``unplaced.csv``, ``summary.json`` and ``input.json``, and
    ``transport.csv`` (one row per coach group) when the dataset plans transport."""
    writers = {
        "assignments.csv": _csv_writer(result.assignments_frame),
        "unplaced.csv": _csv_writer(_translated_details(result.unplaced_frame)),
        "summary.json": _json_writer(result.summary()),
        "input.json": _json_writer(_input_document(result)),
    }
    if result.transport is not None:
        writers[TRANSPORT_FILE] = _csv_writer(result.transport.coaches)
    return write_files(out_dir, writers)


SETTING_OF_OPTION = {
    "stable": "stable",
    "seed": "seed",
    "time_limit": "time_limit_s",
    "budget": "budget",
}
"""Solve options that are also settings: ``input.json`` records the values a plan was made with."""


def _input_document(result: Result) -> dict[str, Any]:
    """The dataset with the options that shaped the plan written into its settings, so that
    solving ``input.json`` alone gives the same plan (``stagematch reproduce``).

    Only options that differ from the dataset's settings (given on the command line) are
    written: otherwise ``input.json`` is the dataset exactly as given, ``input_hash`` its hash.
    """
    data = result.instance.to_dict()
    given = result.instance.settings
    settings = data.setdefault("settings", {})
    for option, setting in SETTING_OF_OPTION.items():
        value = result.options.get(option)
        if value is not None and value != getattr(given, setting):
            settings[setting] = value
    return data


def _translated_details(frame: pd.DataFrame) -> pd.DataFrame:
    """``unplaced.csv`` with each ``detail`` sentence in the language in force (codes stay)."""
    return frame.assign(detail=[translate(text) for text in frame["detail"]])


def read_plan(plan_dir: str | Path) -> tuple[Instance, Plan, dict[str, Any]]:
    """The instance, plan and summary of a folder written by :func:`write_plan`."""
    folder = Path(plan_dir)
    missing = [name for name in PLAN_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} is not a plan folder: missing {', '.join(missing)}")
    instance = Instance.from_dict(json.loads((folder / "input.json").read_text("utf-8")))
    frame = pd.read_csv(folder / "assignments.csv", dtype=str, keep_default_na=False)
    summary = json.loads((folder / "summary.json").read_text("utf-8"))
    return instance, Plan.from_frame(frame), summary


def read_result(plan_dir: str | Path) -> Result:
    """The :class:`Result` of a folder written by :func:`write_plan` (levels recomputed)."""
    from .evaluate import result_from_summary

    instance, plan, summary = read_plan(plan_dir)
    return result_from_summary(instance, plan, summary)
