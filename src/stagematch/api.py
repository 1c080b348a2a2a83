"""JSON in, JSON out: stagematch for other tools, in one call.

:func:`solve_json` takes a dataset as a JSON document (text, bytes or an already-parsed mapping)
and returns a plain, JSON-ready dictionary, never raising for bad data::

    >>> import json, stagematch
    >>> from stagematch.schema import EXAMPLE_DATASET
    >>> out = stagematch.solve_json(json.dumps(EXAMPLE_DATASET), time_limit=5)
    >>> out["status"], out["counts"]["placed"]
    ('optimal', 2)

The returned document is described by ``docs/schema/result.schema.json``
(:func:`stagematch.schema.result_schema`): ``status`` tells a plan (``optimal``, ``feasible``)
from the problems of an invalid input (``infeasible_input``). ``stagematch solve --json -`` prints the
same document for the same input.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import InvalidInputError
from .i18n import lazy_text
from .model import Instance
from .result import Result
from .solver import Progress, SolveOptions, solve

if TYPE_CHECKING:
    from .documents import AssignmentRecord

__all__ = ["error_document", "problems_document", "result_document", "solve_json"]


def _finite(value: Any) -> Any:
    """``None`` for NaN (absent in JSON), the value otherwise; recurses into mappings."""
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _blank(value: Any) -> bool:
    """An empty cell of a frame: ``None``, NaN, ``pd.NA`` or ``""``."""
    return value is None or bool(pd.isna(value)) or (isinstance(value, str) and not value)


def _assignments(result: Result) -> list[AssignmentRecord]:
    from .documents import AssignmentRecord

    return [
        AssignmentRecord(
            student_id=student_id,
            kind=kind,
            item_id=item_id,
            start=start,
            end=end,
            part=None if _blank(part) else part,
            travel_min=None if _blank(travel) else float(travel),
            wish_rank=None if _blank(rank) else int(rank),
        )
        for student_id, kind, item_id, start, end, part, travel, rank in (
            result.assignments_frame.itertuples(index=False, name=None)
        )
    ]


def result_document(result: Result) -> dict[str, Any]:
    """A solved plan as the JSON document of :class:`~stagematch.documents.SolvedDocument`.

    The content of ``summary.json`` plus ``assignments`` and ``unplaced`` as lists of objects
    with the columns of ``assignments.csv`` and ``unplaced.csv`` (empty cells become ``null``).

    Parameters
    ----------
    result
        What :func:`stagematch.solve` returned (or :func:`stagematch.export.read_result`).

    Returns
    -------
    dict
        JSON-ready: ``json.dumps`` needs no ``default``.
    """
    from .documents import SolvedDocument, UnplacedRecord

    summary = _finite(result.summary())
    document = SolvedDocument(
        **summary,
        assignments=_assignments(result),
        unplaced=[
            UnplacedRecord(student_id=u.student_id, qpv=u.qpv, reason=u.reason, detail=u.detail)
            for u in result.unplaced
        ],
    )
    # Without transport settings the document stays what it was before transport existed.
    return document.model_dump(
        mode="json", exclude={"transport"} if summary.get("transport") is None else None
    )


def problems_document(error: InvalidInputError) -> dict[str, Any]:
    """``{"status": "infeasible_input", "problems": [...], "warnings": [...]}`` for an invalid
    input.

    Each problem is ``{"table", "row", "column", "value", "message", "severity"}``; ``row`` is
    the row a spreadsheet shows (for a JSON list, index + 2), ``null`` for a problem about a
    whole table. ``problems`` are the errors, ``warnings`` what would have been planned around.
    """
    from .documents import InvalidInputDocument, problem_record

    document = InvalidInputDocument(
        status="infeasible_input",
        problems=[problem_record(p) for p in error.problems],
        warnings=[problem_record(p) for p in error.warnings],
    )
    return document.model_dump(mode="json")


def error_document(message: str) -> dict[str, Any]:
    """``{"status": "error", "message": ...}``: something other than the data went wrong."""
    from .documents import ErrorDocument

    return ErrorDocument(status="error", message=message).model_dump(mode="json")


def load_json_dataset(data: str | bytes | Mapping[str, Any]) -> Instance:
    """A validated instance from JSON text, UTF-8 bytes or a parsed mapping.

    Raises
    ------
    InvalidInputError
        With every problem found.
    """
    from .io import loads_json

    if isinstance(data, Mapping):
        text = json.dumps(data, default=str)
    elif isinstance(data, bytes | bytearray):
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            from .errors import Problem

            raise InvalidInputError(
                [
                    Problem(
                        "input", None, None, None, lazy_text("a JSON document must be UTF-8 text")
                    )
                ]
            ) from None
    else:
        text = data
    return loads_json(text, source="input")


def solve_json(
    data: str | bytes | Mapping[str, Any],
    options: SolveOptions | None = None,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    budget: float | None = None,
    workers: int | None = None,
    stable: bool | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Solve a dataset given as JSON and return the result as a JSON-ready dictionary.

    Bad data does not raise: the answer is then
    ``{"status": "infeasible_input", "problems": [...]}`` with every problem.

    Parameters
    ----------
    data
        The dataset as one JSON document (see ``docs/schema/dataset.schema.json``): text, UTF-8
        bytes, or the parsed object (a mapping with a ``settings`` object and one list per
        table).
    options
        How to solve, as for :func:`stagematch.solve`
        (:class:`~stagematch.solver.options.SolveOptions`); the keyword arguments of the same
        names override its fields, and what neither gives comes from the dataset's settings.
    time_limit, seed, budget, workers, stable, progress
        The fields of ``options``: a wall-clock safety cap in seconds, the solver seed, the
        work budget (the same input, seed, budget and workers give the same plan), solver
        threads, only plans without justified envy, progress events.

    Returns
    -------
    dict
        A :class:`~stagematch.documents.SolvedDocument` (``status`` ``optimal`` or ``feasible``:
        summary, levels, counts, KPIs, ``assignments`` and ``unplaced``) or an
        :class:`~stagematch.documents.InvalidInputDocument` (``status`` ``infeasible_input``).

    Examples
    --------
    >>> import stagematch
    >>> out = stagematch.solve_json('{"settings": {}}')
    >>> out["status"], len(out["problems"]) > 0
    ('infeasible_input', True)
    """
    try:
        instance = load_json_dataset(data)
        # Pins are checked by the solve (they need the candidate pairs): bad data too.
        result = solve(
            instance,
            options,
            time_limit=time_limit,
            seed=seed,
            budget=budget,
            workers=workers,
            stable=stable,
            progress=progress,
        )
    except InvalidInputError as error:
        return problems_document(error)
    return result_document(result)
