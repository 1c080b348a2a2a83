"""Solve a plan folder again from the folder alone, and say whether the same plan comes out.

A public allocation must be reproducible by anyone who audits it. A plan folder written by
``stagematch solve`` holds the dataset with the options that shaped the plan in its settings
(``input.json``) and every option again in ``summary.json`` (``options``: objective, stable,
minimum QPV share, work budget, time limit, seed, workers, memory limit — and whether it made
the solve go by parts — and the version in ``version``).
:func:`reproduce` solves with exactly those and compares the plans student by student.

The search is budgeted in deterministic work, so the same plan comes back on any machine under
any load — unless the wall-clock cap cut the original solve or this one short (``stopped_by``),
or the stagematch version differs; the report says so when it happens.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ._version import __version__
from .export import read_plan
from .i18n import _, ngettext
from .plan import Plan
from .result import Result
from .solver import Progress, solve

__all__ = ["Reproduction", "reproduce"]

SHOWN = 10
"""Students whose differences are listed one by one; the rest are counted."""


@dataclass(frozen=True)
class Reproduction:
    """What :func:`reproduce` found: ``identical`` plans, or why not."""

    identical: bool
    differences: tuple[str, ...]  # plain sentences, one per differing student (the first few)
    notes: tuple[str, ...]  # what may explain a difference (the cap, another version)
    result: Result | None  # the new solve (None when the folder cannot be re-solved)


def reproduce(plan_dir: str | Path, progress: Progress | None = None) -> Reproduction:
    """Solve the folder's dataset again with its recorded options; compare with its plan.

    Raises
    ------
    FileNotFoundError
        When ``plan_dir`` is not a plan folder.
    """
    instance, written, summary = read_plan(plan_dir)
    options = summary.get("options") or {}
    method = options.get("method")
    if method != "solve":
        why = (
            _("it was re-planned from a previous plan the folder does not hold")
            if method == "resolve"
            else _("it was solved by parts")
            if method == "parts"
            else _("its summary.json records no solve options (written by an older version?)")
        )
        return Reproduction(
            False, (_("this folder cannot be re-solved: {why}").format(why=why),), (), None
        )
    result = solve(
        instance,
        time_limit=float(options["time_limit"]),
        seed=int(options["seed"]),
        workers=int(options["workers"]),
        stable=bool(options["stable"]),
        budget=float(options["budget"]),
        # Older folders predate the limit: they were solved whole.
        memory_limit=options.get("memory_limit", "off"),
        progress=progress,
    )
    differences = _differences(written, result.plan)
    notes = []
    if summary.get("stopped_by") == "time_limit" or result.stopped_by == "time_limit":
        notes.append(
            _(
                "the wall-clock cap (time limit) cut a solve short: raise it "
                "(--time-limit) for a plan that depends on the work budget only"
            )
        )
    if summary.get("version") != __version__:
        notes.append(
            _("the plan was made by stagematch {then}; this is {now}").format(
                then=summary.get("version"), now=__version__
            )
        )
    return Reproduction(not differences, tuple(differences), tuple(notes), result)


def _differences(before: Plan, after: Plan) -> list[str]:
    """One sentence per student whose items differ (the first :data:`SHOWN`), then a count."""
    items: dict[str, list[set[str]]] = defaultdict(lambda: [set(), set()])
    for k, plan in enumerate((before, after)):
        for a in plan.assignments:
            items[a.student_id][k].add(a.item_id)
    differing = sorted(s for s, (was, now) in items.items() if was != now)
    lines = [
        _("{student}: written {before}, now {after}").format(
            student=s,
            before=";".join(sorted(items[s][0])) or "-",
            after=";".join(sorted(items[s][1])) or "-",
        )
        for s in differing[:SHOWN]
    ]
    if len(differing) > SHOWN:
        more = len(differing) - SHOWN
        lines.append(
            ngettext("... and {n} more student", "... and {n} more students", more).format(n=more)
        )
    return lines
