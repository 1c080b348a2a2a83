"""The ``stagematch`` command: a thin shell over the public API (see the SPEC's command line).

Every command exits 0 on success and 1 when the input is invalid (with every problem listed);
no command prints a traceback for bad data.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Sequence

from .errors import InvalidInputError, Problem
from .model import Instance
from .plan import Plan
from .result import Result
from .solver import Progress, solve


def _print_problems(error: InvalidInputError) -> None:
    print(f"{len(error.problems)} problem(s) found:", file=sys.stderr)
    for problem in error.problems:
        print(f"  - {problem}", file=sys.stderr)
    _print_warnings(error.warnings)


WARNINGS_SHOWN = 20
"""Warnings a solve prints; summary.json and the report hold every one."""


def _print_warnings(warnings: Sequence[Problem], *, limit: int | None = None) -> None:
    """Warnings on standard error: planned anyway, but the coordinator should know."""
    if not warnings:
        return
    print(f"{len(warnings)} warning(s) (planned anyway):", file=sys.stderr)
    for problem in warnings[:limit]:
        print(f"  - {problem}", file=sys.stderr)
    if limit is not None and len(warnings) > limit:
        print(f"  ... and {len(warnings) - limit} more (all in summary.json)", file=sys.stderr)


class _TerminalProgress(Progress):
    """One line per event on standard error, so standard output stays the summary."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def _say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:7.2f} s] {text}", file=sys.stderr, flush=True)

    def on_phase(self, phase: str, seconds: float) -> None:
        self._say(f"{phase} done in {seconds:.2f} s")

    def on_component(self, done: int, total: int, students: int) -> None:
        if total <= 20 or done % max(1, total // 20) == 0 or done == total:
            self._say(f"part {done}/{total} solved ({students} students)")

    def on_level(self, level: str, value: float, bound: float) -> None:
        if value != bound:
            self._say(f"  {level}: {value:g} (bound {bound:g})")


def format_summary(result: Result) -> str:
    """A readable summary of a result for the terminal."""
    counts = result.counts()
    lines = [
        f"status: {result.status}   ({result.seconds.get('total', 0):.1f} s, seed {result.seed})",
        f"students placed: {counts['placed']} / {counts['students']}"
        f"   QPV placed: {counts['qpv_placed']} / {counts['qpv_students']}",
        f"placements: {counts['placements']}   workshop sessions: {counts['workshop_sessions']}",
        "levels (value / proven bound):",
    ]
    for name, level in result.levels.items():
        mark = "optimal" if level.proven else f"gap {level.gap:.2%}"
        lines.append(f"  {name:<11} {level.value:>10g} / {level.bound:<10g} {mark}")
    reasons: dict[str, int] = {}
    for u in result.unplaced:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    if reasons:
        lines.append(
            "unplaced: " + ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        )
    return "\n".join(lines)


def _load(path: str) -> Instance:
    """A dataset from a folder, workbook or JSON file, or a JSON document on stdin for ``-``."""
    if path == "-":
        from .api import load_json_dataset

        return load_json_dataset(sys.stdin.buffer.read())
    from .io import load

    return load(path)


def _solve_and_write(
    instance: Instance,
    out: str | None,
    time_limit: float | None,
    seed: int | None,
    *,
    stable: bool = False,
    report: bool = False,
    pseudonymise: bool = False,
    key_file: str | None = None,
    previous: Plan | None = None,
) -> Result:
    result = solve(
        instance,
        time_limit=time_limit,
        seed=seed,
        progress=_TerminalProgress(),
        stable=True if stable else None,
        previous=previous,
    )
    if out is not None:
        from .export import write_plan

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
            print(f"key file (keep it private, outside the shared folder): {key}")
            shared = pseudonymise_result(result, pseudonyms)
        write_plan(shared, out)
        if report:
            from .report import write_report

            for path in write_report(shared, out):
                print(f"report written to {path}")
    return result


def _export_options_problem(args: argparse.Namespace) -> str | None:
    """Why --report/--pseudonymise/--key-file cannot be honoured, checked before solving."""
    if (args.report or args.pseudonymise or args.key_file) and not args.out:
        return "--report, --pseudonymise and --key-file need --out"
    if args.key_file and not args.pseudonymise:
        return "--key-file is only used with --pseudonymise"
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
        print(f"error: {problem}", file=sys.stderr)
        return 1
    result = _solve_and_write(
        load(),
        args.out,
        args.time_limit,
        args.seed,
        stable=args.stable,
        report=args.report,
        pseudonymise=args.pseudonymise,
        key_file=args.key_file,
        previous=previous,
    )
    _print_warnings(result.warnings, limit=WARNINGS_SHOWN)
    print(format_summary(result))
    if previous is not None:
        from .replan import diff

        counts = diff(previous, result).counts()
        print("changes: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    if args.out:
        print(f"plan written to {args.out}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .generate import load_pilot

    def load() -> Instance:
        instance = load_pilot()
        print(f"bundled pilot: {instance!r}")
        return instance

    return _solve_command(args, load)


def cmd_validate(args: argparse.Namespace) -> int:
    from .candidates import candidates, data_warnings
    from .solver import check_pins

    instance = _load(args.input)
    cand = candidates(instance)
    warnings = data_warnings(instance, cand)
    problems = check_pins(instance, cand)
    if problems:
        raise InvalidInputError(problems, warnings)
    _print_warnings(warnings)
    print(f"valid: {instance!r}" + (f", {len(warnings)} warning(s)" if warnings else ""))
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
        instance = _load(args.input)
        with contextlib.redirect_stdout(sys.stderr):
            result = _solve_and_write(
                instance,
                args.out,
                args.time_limit,
                args.seed,
                stable=args.stable,
                report=args.report,
                pseudonymise=args.pseudonymise,
                key_file=args.key_file,
            )
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
        print("stagematch solve: error: --out is required (or use --json)", file=sys.stderr)
        return 2
    return _solve_command(args, lambda: _load(args.input))


def cmd_resolve(args: argparse.Namespace) -> int:
    from .export import read_plan

    previous = read_plan(args.previous)[1]
    return _solve_command(args, lambda: _load(args.input), previous)


def cmd_diff(args: argparse.Namespace) -> int:
    from .cells import write_csv
    from .export import read_plan, read_result, write_files
    from .replan import diff

    result = diff(read_plan(args.plan_a)[1], read_result(args.plan_b))
    counts = result.counts()
    print(
        f"{len(result.changes)} student(s) changed: "
        + ", ".join(f"{n} {kind}" for kind, n in counts.items())
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
        print(f"changes.csv and letters_changed.csv written to {args.out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .export import read_result
    from .report import write_report

    result = read_result(args.plan_dir)
    for path in write_report(result, args.plan_dir):
        print(f"report written to {path}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from .generate import FAMILIES, generate
    from .io import write_dataset

    if args.family not in FAMILIES:
        print(
            f"unknown family {args.family!r}; expected one of {', '.join(FAMILIES)}",
            file=sys.stderr,
        )
        return 1
    started = time.monotonic()
    instance = generate(args.family, students=args.students, seed=args.seed)
    write_dataset(instance, args.out)
    print(f"{instance!r} written to {args.out} in {time.monotonic() - started:.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stagematch",
        description="Plan work placements and workshop sessions for school students.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def solve_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--time-limit", type=float, default=None, help="seconds (default: settings)")
        p.add_argument("--seed", type=int, default=None, help="random seed (default: settings)")
        p.add_argument(
            "--stable",
            action="store_true",
            help="only plans without justified envy, the best of them (default: the "
            "'stable' setting); see docs/fairness.md",
        )

    def export_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--report", action="store_true", help="also write report.xlsx and report.html"
        )
        p.add_argument(
            "--pseudonymise",
            action="store_true",
            help="replace student ids by salted tokens in every file written to --out",
        )
        p.add_argument(
            "--key-file",
            default=None,
            help="token → student id key for --pseudonymise, kept outside --out "
            "(default: <out>.key.csv; an existing key's salt is reused)",
        )

    demo = sub.add_parser("demo", help="solve the bundled pilot dataset and print the summary")
    demo.add_argument("--out", default=None, help="also write the plan to this folder")
    solve_options(demo)
    export_options(demo)
    demo.set_defaults(run=cmd_demo)

    validate = sub.add_parser("validate", help="check a dataset and list every problem")
    validate.add_argument("input", help="a folder of CSVs, an .xlsx workbook or a .json file")
    validate.set_defaults(run=cmd_validate)

    solve_cmd = sub.add_parser("solve", help="solve a dataset and write the plan")
    solve_cmd.add_argument(
        "input",
        help="a folder of CSVs, an .xlsx workbook, a .json file, or - for JSON on standard input",
    )
    solve_cmd.add_argument(
        "--out", default=None, help="folder for the plan files (required without --json)"
    )
    solve_cmd.add_argument(
        "--json",
        action="store_true",
        help="print the result as one JSON document on standard output (problems too); "
        "see docs/schema/result.schema.json",
    )
    solve_options(solve_cmd)
    export_options(solve_cmd)
    solve_cmd.set_defaults(run=cmd_solve)

    resolve_cmd = sub.add_parser(
        "resolve",
        help="solve a changed dataset again, keeping every assignment of a previous plan it can",
    )
    resolve_cmd.add_argument("input", help="the new dataset: a folder, .xlsx or .json")
    resolve_cmd.add_argument(
        "--previous", required=True, help="the plan folder to stay close to (from solve)"
    )
    resolve_cmd.add_argument("--out", required=True, help="folder for the new plan files")
    solve_options(resolve_cmd)
    export_options(resolve_cmd)
    resolve_cmd.set_defaults(run=cmd_resolve)

    diff_cmd = sub.add_parser(
        "diff", help="who moved, who is newly placed, who lost a placement, and why"
    )
    diff_cmd.add_argument("plan_a", help="the earlier plan folder")
    diff_cmd.add_argument("plan_b", help="the later plan folder (reasons use its dataset)")
    diff_cmd.add_argument(
        "--out",
        default=None,
        help="write changes.csv and letters_changed.csv (changed students only) here",
    )
    diff_cmd.set_defaults(run=cmd_diff)

    report = sub.add_parser("report", help="write report.xlsx and report.html for a plan folder")
    report.add_argument("plan_dir", help="a folder written by solve or demo --out")
    report.set_defaults(run=cmd_report)

    gen = sub.add_parser("generate", help="write a realistic synthetic dataset")
    gen.add_argument("family", help="pilot, bassin, academie or national")
    gen.add_argument("out", help="a folder (CSVs), an .xlsx or a .json path")
    gen.add_argument("--students", type=int, default=None, help="number of students")
    gen.add_argument("--seed", type=int, default=0)
    gen.set_defaults(run=cmd_generate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except InvalidInputError as error:
        _print_problems(error)
        return 1
    except (FileNotFoundError, IsADirectoryError, PermissionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
