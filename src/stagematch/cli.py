"""The ``stagematch`` command: a thin shell over the public API (see the SPEC's command line).

Every command exits 0 on success and 1 when the input is invalid (with every problem listed);
no command prints a traceback for bad data. Every command takes ``--lang fr|en``; without it the
dataset's ``language`` setting, else the environment's locale, chooses (see
:mod:`stagematch.i18n`). Help and argparse's own messages are translated too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from . import i18n
from .errors import InvalidInputError, Problem
from .i18n import N_, _, ngettext
from .model import Instance
from .outfolder import PlanFolder
from .plan import Plan
from .result import Result
from .solver import Progress, solve


def _print_problems(error: InvalidInputError) -> None:
    count = len(error.problems)
    print(
        ngettext("{n} problem(s) found:", "{n} problem(s) found:", count).format(n=count),
        file=sys.stderr,
    )
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)
    _print_warnings(error.warnings)


WARNINGS_SHOWN = 20
"""Warnings a solve prints; summary.json and the report hold every one."""


def _print_warnings(warnings: Sequence[Problem], *, limit: int | None = None) -> None:
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


class _TerminalProgress(Progress):
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


def _described(instance: Instance) -> str:
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


def _load(path: str, columns_file: str | None = None) -> Instance:
    """A dataset from a folder, workbook or JSON file, or a JSON document on stdin for ``-``;
    ``columns_file`` maps the coordinator's headers to stagematch's columns."""
    from .io import load, loads_json, read_column_map

    columns = read_column_map(columns_file) if columns_file else None
    if path == "-":
        if columns is None:
            from .api import load_json_dataset

            return load_json_dataset(sys.stdin.buffer.read())
        return loads_json(sys.stdin.buffer.read().decode("utf-8-sig"), columns=columns)
    return load(path, columns=columns)


class _Interrupt:
    """Ctrl-C or SIGTERM during a solve: the first stops the search, the second aborts.

    The first signal sets the solver's stop event: the search ends within a second or two and
    the best valid plan so far is written whole (``stopped_by: "interrupt"``). A second signal
    raises :class:`KeyboardInterrupt`, and since a plan folder is only ever swapped in whole,
    nothing half-written is left. The solve runs in a worker thread because a signal handler
    only runs when the main thread executes Python, which it does not inside a solver call.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Interrupt:
        if threading.current_thread() is threading.main_thread():
            for number in self.SIGNALS:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()
        print(
            _("stopping: the best plan so far will be written (interrupt again to abort)"),
            file=sys.stderr,
        )

    def run(self, work: Callable[[], Result]) -> Result:
        """``work()`` in a worker thread, the main thread waiting where signals reach it."""
        results: list[Result] = []
        errors: list[BaseException] = []

        def target() -> None:
            try:
                results.append(work())
            except BaseException as error:  # handed to the main thread, raised there
                errors.append(error)

        worker = threading.Thread(target=target, name="stagematch-solve", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.1)
        except KeyboardInterrupt:
            # The solve's thread is inside native solver code, which cannot be unwound, and an
            # interpreter shutting down around it aborts: leave at once. Nothing is written
            # before the solve returns, so nothing is left half.
            print(_("interrupted"), file=sys.stderr, flush=True)
            sys.stdout.flush()
            os._exit(130)
        if errors:
            raise errors[0]
        return results[0]


def _solve_and_write(
    instance: Instance,
    out: str | None,
    time_limit: float | None,
    seed: int | None,
    *,
    budget: float | None = None,
    stable: bool = False,
    report: bool = False,
    pseudonymise: bool = False,
    key_file: str | None = None,
    previous: Plan | None = None,
    force: bool = False,
) -> Result:
    """Solve, then write the plan (and report) into ``out`` whole; ``out`` is locked and checked
    first, so a second run into the same folder is refused before it solves."""
    folder = PlanFolder(out, force=force) if out is not None else None
    with folder if folder is not None else contextlib.nullcontext(), _Interrupt() as interrupt:
        result = interrupt.run(
            lambda: solve(
                instance,
                time_limit=time_limit,
                seed=seed,
                progress=_TerminalProgress(),
                stable=True if stable else None,
                previous=previous,
                budget=budget,
                stop=interrupt.stop,
            )
        )
        if folder is not None and out is not None:
            _write(result, folder, out, report=report, pseudonymise=pseudonymise, key_file=key_file)
    return result


def _solve_and_write_as_asked(
    instance: Instance, args: argparse.Namespace, *, previous: Plan | None = None
) -> Result:
    """:func:`_solve_and_write` with the options ``demo``, ``solve`` and ``resolve`` share."""
    return _solve_and_write(
        instance,
        args.out,
        args.time_limit,
        args.seed,
        budget=args.budget,
        stable=args.stable,
        report=args.report,
        pseudonymise=args.pseudonymise,
        key_file=args.key_file,
        force=args.force,
        previous=previous,
    )


def _write(
    result: Result,
    folder: PlanFolder,
    out: str,
    *,
    report: bool,
    pseudonymise: bool,
    key_file: str | None,
) -> None:
    """The plan's files (and the report's) into ``folder``, all at once."""
    from .export import plan_writers

    instance = result.instance
    shared = result
    if pseudonymise:
        # The key is written first: a shared folder never exists without its key.
        from .report.pseudonymise import (
            default_key_path,
            pseudonymise_result,
            pseudonyms_for,
            write_key_file,
        )

        key = key_file or default_key_path(out)
        pseudonyms = pseudonyms_for([s.student_id for s in instance.students], key)
        write_key_file(pseudonyms, key)
        print(_("key file (keep it private, outside the shared folder): {key}").format(key=key))
        shared = pseudonymise_result(result, pseudonyms)
    writers = plan_writers(shared)
    reports = {}
    if report:
        from .report import report_writers

        reports = report_writers(shared)
    folder.write({**writers, **reports})
    for name in reports:
        print(_("report written to {path}").format(path=Path(out) / name))


def _export_options_problem(args: argparse.Namespace) -> str | None:
    """Why --report/--pseudonymise/--key-file cannot be honoured, checked before solving."""
    if (args.report or args.pseudonymise or args.key_file) and not args.out:
        return _("--report, --pseudonymise and --key-file need --out")
    if args.key_file and not args.pseudonymise:
        return _("--key-file is only used with --pseudonymise")
    if args.pseudonymise:
        from pathlib import Path

        from .report.pseudonymise import check_key_outside, default_key_path, read_key_file

        key = Path(args.key_file or default_key_path(args.out))
        try:
            check_key_outside(key, args.out)
            if key.exists():
                read_key_file(key)
        except ValueError as error:
            return str(error)
    return None


def _solve_command(
    args: argparse.Namespace, load: Callable[[], Instance], previous: Plan | None = None
) -> int:
    """What ``demo``, ``solve`` and ``resolve`` share: check the export options, load, solve,
    write, print."""
    problem = _export_options_problem(args)
    if problem:
        print(_("error: {problem}").format(problem=problem), file=sys.stderr)
        return 1
    instance = load()
    with i18n.default_language(instance.settings.language):
        result = _solve_and_write_as_asked(instance, args, previous=previous)
        _print_warnings(result.warnings, limit=WARNINGS_SHOWN)
        print(format_summary(result))
        if previous is not None:
            from .replan import diff

            counts = diff(previous, result).counts()
            print(
                _("changes: {counts}").format(
                    counts=", ".join(f"{n} {kind}" for kind, n in counts.items())
                )
            )
        if args.out:
            print(_("plan written to {out}").format(out=args.out))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .generate import load_pilot

    def load() -> Instance:
        instance = load_pilot()
        print(_("bundled pilot: {instance}").format(instance=_described(instance)))
        return instance

    return _solve_command(args, load)


def cmd_validate(args: argparse.Namespace) -> int:
    from .candidates import candidates, data_warnings
    from .solver import check_pins

    instance = _load(args.input, args.columns)
    cand = candidates(instance)
    warnings = data_warnings(instance, cand)
    problems = check_pins(instance, cand)
    if problems:
        raise InvalidInputError(problems, warnings, language=instance.settings.language)
    with i18n.default_language(instance.settings.language):
        _print_warnings(warnings)
        print(_("valid: {instance}").format(instance=_described(instance)))
    return 0


def _print_json(document: dict[str, object]) -> None:
    """One JSON document on standard output, UTF-8 whatever the locale."""
    text = json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n"
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


def _solve_json(args: argparse.Namespace) -> int:
    """``solve --json``: only the result document on stdout (errors too); messages on stderr."""
    from .api import error_document, problems_document, result_document

    problem = _export_options_problem(args)
    if problem:
        _print_json(error_document(problem))
        return 1
    try:
        instance = _load(args.input, args.columns)
        with contextlib.redirect_stdout(sys.stderr):
            result = _solve_and_write_as_asked(instance, args)
    except InvalidInputError as error:
        _print_json(problems_document(error))
        return 1
    except OSError as error:
        _print_json(error_document(str(error)))
        return 1
    _print_json(result_document(result))
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    if args.json:
        return _solve_json(args)
    if not args.out:
        print(_("stagematch solve: error: --out is required (or use --json)"), file=sys.stderr)
        return 2
    return _solve_command(args, lambda: _load(args.input, args.columns))


def cmd_resolve(args: argparse.Namespace) -> int:
    from .export import read_plan

    previous = read_plan(args.previous)[1]
    return _solve_command(args, lambda: _load(args.input, args.columns), previous)


def cmd_diff(args: argparse.Namespace) -> int:
    from .cells import write_csv
    from .export import read_plan, read_result, write_files
    from .replan import diff

    result = diff(read_plan(args.plan_a)[1], read_result(args.plan_b))
    counts = result.counts()
    print(
        _("{n} student(s) changed: {counts}").format(
            n=len(result.changes), counts=", ".join(f"{n} {kind}" for kind, n in counts.items())
        )
    )
    with_reasons = result.changes[["student_id", "change", "reason"]]
    if len(with_reasons):
        print(with_reasons.to_string(index=False, max_rows=40, max_colwidth=90))
    if args.out:
        changes, letters = result.changes, result.letters()

        write_files(
            args.out,
            {
                "changes.csv": lambda path: write_csv(changes, path),
                "letters_changed.csv": lambda path: write_csv(letters, path),
            },
        )
        print(_("changes.csv and letters_changed.csv written to {out}").format(out=args.out))
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import reproduce

    outcome = reproduce(args.plan_dir, progress=_TerminalProgress())
    for line in outcome.differences:
        print(f"  {line}")
    for note in outcome.notes:
        print(_("note: {note}").format(note=note))
    if outcome.identical:
        print(
            _("identical: solving {folder} again gives the same plan").format(folder=args.plan_dir)
        )
        return 0
    if outcome.result is not None:
        print(
            _("different: solving {folder} again gives another plan").format(folder=args.plan_dir)
        )
    return 1


def _short_number(value: float) -> str:
    """``1,580``, ``0.7333``: thousands separated, no trailing zeros."""
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def cmd_compare(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .compare import compare
    from .export import read_result

    if len(args.plans) < 2:
        print(_("stagematch compare: error: give at least two plan folders"), file=sys.stderr)
        return 2
    names = [Path(folder).resolve().name or str(folder) for folder in args.plans]
    comparison = compare([read_result(folder) for folder in args.plans], names=names)
    frame = comparison.frame
    print(frame.to_string(index=False, na_rep="", max_colwidth=40, float_format=_short_number))
    print()
    print(comparison.headlines())
    if args.out:
        for path in comparison.write(args.out):
            print(_("written: {path}").format(path=path))
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from .cells import write_csv
    from .export import read_result, write_files
    from .gaps import gaps

    found = gaps(read_result(args.plan_dir), max_groups=args.groups, max_seats=args.seats)
    print(found.text())
    if args.out:
        import pandas as pd

        table, offers = found.frame, pd.DataFrame(found.offers())
        write_files(
            args.out,
            {
                "gaps.csv": lambda path: write_csv(table, path),
                "new_offers.csv": lambda path: write_csv(offers, path),
            },
        )
        print(_("gaps.csv and new_offers.csv written to {out}").format(out=args.out))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .export import read_result
    from .report import write_report

    with PlanFolder(args.plan_dir, force=True):  # no other run writes it meanwhile
        result = read_result(args.plan_dir)
        paths = write_report(result, args.plan_dir)
    for path in paths:
        print(_("report written to {path}").format(path=path))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import FAMILIES, generate
    from .io import write_dataset

    if args.family not in FAMILIES:
        print(
            _("unknown family {family!r}; expected one of {families}").format(
                family=args.family, families=", ".join(FAMILIES)
            ),
            file=sys.stderr,
        )
        return 1
    started = time.monotonic()
    instance = generate(args.family, students=args.students, seed=args.seed)
    write_dataset(instance, args.out)
    print(
        _("{instance} written to {out} in {seconds:.1f} s").format(
            instance=_described(instance), out=args.out, seconds=time.monotonic() - started
        )
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from .serve import ServeConfig, default_data_dir, run
    except ImportError as error:
        print(
            _(
                "error: stagematch serve needs the serve extra ({module} is missing): "
                'pip install "stagematch[serve]"'
            ).format(module=error.name),
            file=sys.stderr,
        )
        return 1
    import os
    from pathlib import Path

    try:
        config = ServeConfig(
            data_dir=Path(args.data) if args.data else default_data_dir(),
            jobs=args.jobs,
            max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
            token=args.token or os.environ.get("STAGEMATCH_TOKEN") or None,
            host=args.host,
        )
    except ValueError as error:
        print(_("error: {error}").format(error=error), file=sys.stderr)
        return 2
    print(
        _("jobs and results are kept in {folder}").format(folder=config.data_dir), file=sys.stderr
    )
    run(config, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stagematch",
        description=_("Plan work placements and workshop sessions for school students."),
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def solve_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--time-limit",
            type=float,
            default=None,
            help=_("wall-clock safety cap in seconds (default: settings)"),
        )
        p.add_argument("--seed", type=int, default=None, help=_("random seed (default: settings)"))
        p.add_argument(
            "--budget",
            type=float,
            default=None,
            help=_(
                "search work in deterministic units (default: the 'budget' setting): the same "
                "input, seed and budget give the same plan; --time-limit is only a safety cap"
            ),
        )
        p.add_argument(
            "--stable",
            action="store_true",
            help=_(
                "only plans without justified envy, the best of them (default: the "
                "'stable' setting); see docs/fairness.md"
            ),
        )

    def export_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--report",
            action="store_true",
            help=_("also write report.xlsx, report.html and the PDF letters (letters/)"),
        )
        p.add_argument(
            "--pseudonymise",
            action="store_true",
            help=_("replace student ids by salted tokens in every file written to --out"),
        )
        p.add_argument(
            "--key-file",
            default=None,
            help=_(
                "token → student id key for --pseudonymise, kept outside --out "
                "(default: <out>.key.csv; an existing key's salt is reused)"
            ),
        )
        p.add_argument(
            "--force",
            action="store_true",
            help=_(
                "write the plan into a folder that holds other files too (they are kept; "
                "without it such a folder is refused)"
            ),
        )

    demo = sub.add_parser("demo", help=_("solve the bundled pilot dataset and print the summary"))
    demo.add_argument("--out", default=None, help=_("also write the plan to this folder"))
    solve_options(demo)
    export_options(demo)
    demo.set_defaults(run=cmd_demo)

    validate = sub.add_parser("validate", help=_("check a dataset and list every problem"))
    validate.add_argument("input", help=_("a folder of CSVs, an .xlsx workbook or a .json file"))
    validate.set_defaults(run=cmd_validate)

    solve_cmd = sub.add_parser("solve", help=_("solve a dataset and write the plan"))
    solve_cmd.add_argument(
        "input",
        help=_(
            "a folder of CSVs, an .xlsx workbook, a .json file, or - for JSON on standard input"
        ),
    )
    solve_cmd.add_argument(
        "--out", default=None, help=_("folder for the plan files (required without --json)")
    )
    solve_cmd.add_argument(
        "--json",
        action="store_true",
        help=_(
            "print the result as one JSON document on standard output (problems too); "
            "see docs/schema/result.schema.json"
        ),
    )
    solve_options(solve_cmd)
    export_options(solve_cmd)
    solve_cmd.set_defaults(run=cmd_solve)

    resolve_cmd = sub.add_parser(
        "resolve",
        help=_("solve a changed dataset again, keeping every assignment of a previous plan it can"),
    )
    resolve_cmd.add_argument("input", help=_("the new dataset: a folder, .xlsx or .json"))
    resolve_cmd.add_argument(
        "--previous", required=True, help=_("the plan folder to stay close to (from solve)")
    )
    resolve_cmd.add_argument("--out", required=True, help=_("folder for the new plan files"))
    solve_options(resolve_cmd)
    export_options(resolve_cmd)
    resolve_cmd.set_defaults(run=cmd_resolve)

    diff_cmd = sub.add_parser(
        "diff", help=_("who moved, who is newly placed, who lost a placement, and why")
    )
    diff_cmd.add_argument("plan_a", help=_("the earlier plan folder"))
    diff_cmd.add_argument("plan_b", help=_("the later plan folder (reasons use its dataset)"))
    diff_cmd.add_argument(
        "--out",
        default=None,
        help=_("write changes.csv and letters_changed.csv (changed students only) here"),
    )
    diff_cmd.set_defaults(run=cmd_diff)

    reproduce = sub.add_parser(
        "reproduce",
        help=_(
            "solve a plan folder again with the options it records; exit 0 only when the plan "
            "is identical"
        ),
    )
    reproduce.add_argument("plan_dir", help=_("a folder written by solve or demo --out"))
    reproduce.set_defaults(run=cmd_reproduce)
    compare_cmd = sub.add_parser(
        "compare",
        help=_(
            "scenarios side by side: every level, KPI and cost of several plan folders, "
            "with the differences from the first"
        ),
    )
    compare_cmd.add_argument("plans", nargs="+", help=_("plan folders; the first is the baseline"))
    compare_cmd.add_argument(
        "--out", default=None, help=_("also write compare.csv and compare.html to this folder")
    )
    compare_cmd.set_defaults(run=cmd_compare)

    gaps_cmd = sub.add_parser(
        "gaps",
        help=_(
            "where added seats would place the most unplaced students, QPV first "
            "(exact gains from the placement flow)"
        ),
    )
    gaps_cmd.add_argument("plan_dir", help=_("a folder written by solve or demo --out"))
    gaps_cmd.add_argument("--groups", type=int, default=10, help=_("seat groups at most (10)"))
    gaps_cmd.add_argument("--seats", type=int, default=5, help=_("seats per group at most (5)"))
    gaps_cmd.add_argument(
        "--out", default=None, help=_("write gaps.csv and new_offers.csv (offer rows) here")
    )
    gaps_cmd.set_defaults(run=cmd_gaps)

    report = sub.add_parser(
        "report",
        help=_("write report.xlsx, report.html and the PDF letters (letters/) for a plan folder"),
    )
    report.add_argument("plan_dir", help=_("a folder written by solve or demo --out"))
    report.set_defaults(run=cmd_report)

    serve = sub.add_parser(
        "serve", help=_("an HTTP service and a page for other tools and for coordinators")
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help=_("address to listen on (default 127.0.0.1; any other needs --token)"),
    )
    serve.add_argument("--port", type=int, default=8000, help=_("port (default 8000)"))
    serve.add_argument(
        "--data",
        default=None,
        help=_(
            "folder for the job database (default: stagematch's folder in the user data folder)"
        ),
    )
    serve.add_argument(
        "--jobs",
        type=int,
        default=1,
        help=_("solves running at once; the rest wait (default 1)"),
    )
    serve.add_argument(
        "--token",
        default=None,
        help=_(
            "require 'Authorization: Bearer TOKEN' on every API request "
            "(default: the STAGEMATCH_TOKEN environment variable)"
        ),
    )
    serve.add_argument(
        "--max-upload-mb",
        type=float,
        default=50,
        help=_("largest upload accepted, in MB (default 50)"),
    )
    serve.set_defaults(run=cmd_serve)

    gen = sub.add_parser("generate", help=_("write a realistic synthetic dataset"))
    gen.add_argument("family", help=_("pilot, bassin, academie or national"))
    gen.add_argument("out", help=_("a folder (CSVs), an .xlsx or a .json path"))
    gen.add_argument("--students", type=int, default=None, help=_("number of students"))
    gen.add_argument("--seed", type=int, default=0)
    gen.set_defaults(run=cmd_generate)
    for command in (validate, solve_cmd, resolve_cmd):
        command.add_argument(
            "--columns",
            default=None,
            metavar="MAPPING.toml",
            help=_(
                "your own column names: a TOML file with one table per dataset table, "
                'header = "column" (see docs/how-to/workbook.md)'
            ),
        )
    for command in sub.choices.values():
        command.add_argument(
            "--lang",
            choices=i18n.LANGUAGES,
            default=None,
            help=_(
                "language of messages, reports and letters (default: the dataset's language "
                "setting, else the locale: LANG=fr_FR.UTF-8 gives French)"
            ),
        )
    return parser


STATUS_WORDS = {
    "optimal": N_("optimal"),
    "feasible": N_("feasible"),
    "infeasible_input": N_("infeasible_input"),
}
"""A result's status as the terminal shows it (summary.json keeps the code)."""

ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
)
"""argparse's own messages that stagematch's commands can show, in the catalogue so that the
help and usage errors read in the chosen language too."""


def _language_in(argv: Sequence[str]) -> str | None:
    """The ``--lang`` value of a command line, read before parsing so that the help and
    argparse's messages are already in that language (an unknown value is left to argparse)."""
    for k, arg in enumerate(argv):
        value = arg.removeprefix("--lang=") if arg.startswith("--lang=") else None
        if arg == "--lang" and k + 1 < len(argv):
            value = argv[k + 1]
        if value is not None and value.strip().lower() in i18n.LANGUAGES:
            return value
    return None


@contextlib.contextmanager
def _argparse_in_language() -> Iterator[None]:
    """argparse looks its messages up with the stdlib's gettext; point it at ours meanwhile."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = i18n.gettext, i18n.ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with i18n.language(_language_in(argv)), _argparse_in_language():
        args = build_parser().parse_args(argv)
        try:
            code: int = args.run(args)
        except InvalidInputError as error:
            with i18n.default_language(error.language):
                _print_problems(error)
            return 1
        except OSError as error:  # a missing file, a refused or busy --out, a full disk...
            print(_("error: {error}").format(error=error), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(_("interrupted"), file=sys.stderr)
            return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
