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

from .cells import write_csv
from .i18n import translate
from .model import Instance
from .outfolder import PlanFolder
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


def _dataset_writer(data: dict[str, Any]) -> Callable[[Path], None]:
    """``input.json``: one row per line. ``indent`` would make :mod:`json` use its pure-Python
    encoder, seconds per académie; each row is encoded by the C encoder instead."""

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    def write(path: Path) -> None:
        parts = []
        for key, value in data.items():
            if isinstance(value, list) and value:
                rows = ",\n".join(f"    {dumps(row)}" for row in value)
                parts.append(f"  {dumps(key)}: [\n{rows}\n  ]")
            else:
                parts.append(f"  {dumps(key)}: {dumps(value)}")
        path.write_text("{\n" + ",\n".join(parts) + "\n}\n", "utf-8")

    return write


def _csv_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        write_csv(frame, path)

    return write


def plan_writers(result: Result) -> dict[str, Callable[[Path], None]]:
    """The files of a plan folder, each as a writer (see :class:`~.outfolder.PlanFolder`):
    ``assignments.csv``, ``unplaced.csv``, ``summary.json`` and ``input.json``, and
    ``transport.csv`` (a row per coach group and per offer and school reached by public
    transport) when the dataset plans transport."""
    writers = {
        "assignments.csv": _csv_writer(result.assignments_frame),
        "unplaced.csv": _csv_writer(_translated_details(result.unplaced_frame)),
        "summary.json": _json_writer(result.summary()),
        "input.json": _dataset_writer(result.instance.to_dict()),
    }
    if result.transport is not None:
        writers[TRANSPORT_FILE] = _csv_writer(result.transport.table())
    return writers


def write_plan(result: Result, out_dir: str | Path, *, force: bool = False) -> Path:
    """Write the plan's files (:func:`plan_writers`) into ``out_dir``.

    The folder is locked while it is written and holds the old plan or the new one, never a
    mix (:class:`~.outfolder.PlanFolder`).

    Raises
    ------
    ForeignFolderError
        When ``out_dir`` holds files that are not a stagematch plan and ``force`` is off.
    FolderBusyError
        When another run is writing ``out_dir``.
    """
    with PlanFolder(out_dir, force=force) as folder:
        return folder.write(plan_writers(result))


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
