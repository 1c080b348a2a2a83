"""What ``demo``, ``solve`` and ``resolve`` share: load a dataset, solve it with the interrupt
handling, and write the plan folder (and the report) whole."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from .. import i18n
from ..i18n import _
from ..model import Instance
from ..outfolder import PlanFolder
from ..plan import Plan
from ..result import Result
from ..solver import SolveOptions, solve
from .console import WARNINGS_SHOWN, TerminalProgress, format_summary, print_warnings
from .interrupt import Interrupt


def load_dataset(path: str, columns_file: str | None = None) -> Instance:
    """A dataset from a folder, workbook or JSON file, or a JSON document on stdin for ``-``;
    ``columns_file`` maps the coordinator's headers to stagematch's columns."""
    from ..io import load, loads_json, read_column_map

    columns = read_column_map(columns_file) if columns_file else None
    if path == "-":
        if columns is None:
            from ..api import load_json_dataset

            return load_json_dataset(sys.stdin.buffer.read())
        return loads_json(sys.stdin.buffer.read().decode("utf-8-sig"), columns=columns)
    return load(path, columns=columns)


def solve_and_write(
    instance: Instance,
    out: str | None,
    options: SolveOptions,
    *,
    report: bool = False,
    pseudonymise: bool = False,
    key_file: str | None = None,
    previous: Plan | None = None,
    force: bool = False,
) -> Result:
    """Solve, then write the plan (and report) into ``out`` whole; ``out`` is locked and checked
    first, so a second run into the same folder is refused before it solves. The terminal's
    progress and the Ctrl-C stop flag join ``options``."""
    folder = PlanFolder(out, force=force) if out is not None else None
    with folder if folder is not None else contextlib.nullcontext(), Interrupt() as interrupt:
        result = interrupt.run(
            lambda: solve(
                instance,
                options,
                previous=previous,
                progress=TerminalProgress(),
                stop=interrupt.stop,
            )
        )
        if folder is not None and out is not None:
            write_plan_folder(
                result, folder, out, report=report, pseudonymise=pseudonymise, key_file=key_file
            )
    return result


def solve_and_write_as_asked(
    instance: Instance, args: argparse.Namespace, *, previous: Plan | None = None
) -> Result:
    """:func:`solve_and_write` with the options ``demo``, ``solve`` and ``resolve`` share."""
    options = SolveOptions(
        time_limit=args.time_limit,
        seed=args.seed,
        budget=args.budget,
        stable=True if args.stable else None,
        memory_limit=args.memory_limit,
    )
    return solve_and_write(
        instance,
        args.out,
        options,
        report=args.report,
        pseudonymise=args.pseudonymise,
        key_file=args.key_file,
        force=args.force,
        previous=previous,
    )


def write_plan_folder(
    result: Result,
    folder: PlanFolder,
    out: str,
    *,
    report: bool,
    pseudonymise: bool,
    key_file: str | None,
) -> None:
    """The plan's files (and the report's) into ``folder``, all at once."""
    from ..export import plan_writers

    instance = result.instance
    shared = result
    if pseudonymise:
        # The key is written first: a shared folder never exists without its key.
        from ..report.pseudonymise import (
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
        from ..report import report_writers

        reports = report_writers(shared)
    folder.write({**writers, **reports})
    for name in reports:
        print(_("report written to {path}").format(path=Path(out) / name))


def export_options_problem(args: argparse.Namespace) -> str | None:
    """Why --report/--pseudonymise/--key-file cannot be honoured, checked before solving."""
    if (args.report or args.pseudonymise or args.key_file) and not args.out:
        return _("--report, --pseudonymise and --key-file need --out")
    if args.key_file and not args.pseudonymise:
        return _("--key-file is only used with --pseudonymise")
    if args.pseudonymise:
        from ..report.pseudonymise import check_key_outside, default_key_path, read_key_file

        key = Path(args.key_file or default_key_path(args.out))
        try:
            check_key_outside(key, args.out)
            if key.exists():
                read_key_file(key)
        except ValueError as error:
            return str(error)
    return None


def solve_command(
    args: argparse.Namespace, load: Callable[[], Instance], previous: Plan | None = None
) -> int:
    """What ``demo``, ``solve`` and ``resolve`` share: check the export options, load, solve,
    write, print."""
    problem = export_options_problem(args)
    if problem:
        print(_("error: {problem}").format(problem=problem), file=sys.stderr)
        return 1
    instance = load()
    with i18n.default_language(instance.settings.language):
        result = solve_and_write_as_asked(instance, args, previous=previous)
        print_warnings(result.warnings, limit=WARNINGS_SHOWN)
        print(format_summary(result))
        if previous is not None:
            from ..replan import diff

            counts = diff(previous, result).counts()
            print(
                _("changes: {counts}").format(
                    counts=", ".join(f"{n} {kind}" for kind, n in counts.items())
                )
            )
        if args.out:
            print(_("plan written to {out}").format(out=args.out))
    return 0
