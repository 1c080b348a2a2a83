"""What a command prints on the terminal: summaries, problems, warnings and progress.

Standard output carries the result (a summary or a JSON document); standard error carries the
problems, the warnings and the solve's progress, so that a pipe gets only the result.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence

from .. import i18n
from ..errors import InvalidInputError, Problem
from ..i18n import N_, _, ngettext
from ..model import Instance
from ..result import Result
from ..solver import Progress


def print_problems(error: InvalidInputError) -> None:
    count = len(error.problems)
    print(
        ngettext("{n} problem(s) found:", "{n} problem(s) found:", count).format(n=count),
        file=sys.stderr,
    )
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)
    print_warnings(error.warnings)


WARNINGS_SHOWN = 20
"""Warnings a solve prints; summary.json and the report hold every one."""


def print_warnings(warnings: Sequence[Problem], *, limit: int | None = None) -> None:
    """Warnings on standard error: planned anyway, but the coordinator should know."""
    if not warnings:
        return
    count = len(warnings)
    print(
        ngettext(
            "{n} warning(s) (planned anyway):", "{n} warning(s) (planned anyway):", count
        ).format(n=count),
        file=sys.stderr,
    )
    for problem in warnings[:limit]:
        print(f"  - {problem}", file=sys.stderr)
    if limit is not None and count > limit:
        print(
            _("  ... and {n} more (all in summary.json)").format(n=count - limit), file=sys.stderr
        )


class TerminalProgress(Progress):
    """One line per event on standard error, so standard output stays the summary."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def _say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:7.2f} s] {text}", file=sys.stderr, flush=True)

    def on_phase(self, phase: str, seconds: float) -> None:
        self._say(_("{phase} done in {seconds:.2f} s").format(phase=phase, seconds=seconds))

    def on_component(self, done: int, total: int, students: int) -> None:
        if total <= 20 or done % max(1, total // 20) == 0 or done == total:
            self._say(
                _("part {done}/{total} solved ({students} students)").format(
                    done=done, total=total, students=students
                )
            )

    def on_memory(self, estimated: int, limit: int, parts: int) -> None:
        if parts:
            self._say(
                _(
                    "estimated memory {estimated} MB is above the limit of {limit} MB: "
                    "solving by {parts} geographic parts (--memory-limit)"
                ).format(estimated=estimated, limit=limit, parts=parts)
            )
        else:
            self._say(
                _(
                    "estimated memory {estimated} MB is above the limit of {limit} MB, but "
                    "stable plans, a minimum QPV share and re-planning cannot be solved by "
                    "parts: solving whole"
                ).format(estimated=estimated, limit=limit)
            )

    def on_level(self, level: str, value: float, bound: float) -> None:
        if value != bound:
            self._say(
                _("  {level}: {value:g} (bound {bound:g})").format(
                    level=level, value=value, bound=bound
                )
            )


STOPPED_WORDS = {
    "time_limit": N_(
        "stopped by the time limit before the work budget was spent: another run may give "
        "another plan (raise --time-limit)"
    ),
    "interrupt": N_("interrupted: the best plan found so far"),
}


STATUS_WORDS = {
    "optimal": N_("optimal"),
    "feasible": N_("feasible"),
    "infeasible_input": N_("infeasible_input"),
}
"""A result's status as the terminal shows it (summary.json keeps the code)."""


def format_summary(result: Result) -> str:
    """A readable summary of a result for the terminal."""
    counts = result.counts()
    lines = [
        _("status: {status}   ({seconds:.1f} s, seed {seed})").format(
            status=_(STATUS_WORDS.get(result.status, result.status)),
            seconds=result.seconds.get("total", 0),
            seed=result.seed,
        ),
        _("students placed: {placed} / {students}   QPV placed: {qpv_placed} / {qpv}").format(
            placed=counts["placed"],
            students=counts["students"],
            qpv_placed=counts["qpv_placed"],
            qpv=counts["qpv_students"],
        ),
        _("placements: {placements}   workshop sessions: {sessions}").format(
            placements=counts["placements"], sessions=counts["workshop_sessions"]
        ),
    ]
    if result.stopped_by is not None:
        lines.append(_(STOPPED_WORDS[result.stopped_by]))
    lines.append(_("levels (value / proven bound):"))
    for name, level in result.levels.items():
        mark = (
            _("optimal")
            if level.proven
            else _("gap {gap}").format(gap=i18n.format_percent(level.gap, digits=2))
        )
        lines.append(f"  {name:<11} {level.value:>10g} / {level.bound:<10g} {mark}")
    reasons: dict[str, int] = {}
    for u in result.unplaced:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    if reasons:
        lines.append(
            _("unplaced: {counts}").format(
                counts=", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
            )
        )
    return "\n".join(lines)


def described(instance: Instance) -> str:
    """The dataset in one line, as ``repr(instance)`` gives it in English."""
    settings = instance.settings
    return _(
        "Instance({students} students, {schools} schools, {offers} offers, {slots} workshop "
        "slots, {travel} travel times, period {start}..{end})"
    ).format(
        students=len(instance.students),
        schools=len(instance.schools),
        offers=len(instance.offers),
        slots=len(instance.workshop_slots),
        travel=len(instance.travel_times),
        start=settings.period_start,
        end=settings.period_end,
    )


def print_json(document: dict[str, object]) -> None:
    """One JSON document on standard output, UTF-8 whatever the locale."""
    text = json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n"
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def short_number(value: float) -> str:
    """``1,580``, ``0.7333``: thousands separated, no trailing zeros."""
    return f"{value:,.4f}".rstrip("0").rstrip(".")
