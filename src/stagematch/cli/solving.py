"""The commands that solve: ``demo``, ``validate``, ``solve`` and ``resolve``, with their parsers."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING

from .. import i18n
from ..errors import InvalidInputError
from ..i18n import _
from ..model import Instance
from .console import described, print_json, print_warnings
from .options import add_columns_option, add_export_options, add_solve_options
from .run import export_options_problem, load_dataset, solve_and_write_as_asked, solve_command

if TYPE_CHECKING:
    from .options import Subparsers


def cmd_demo(args: argparse.Namespace) -> int:
    from ..generate import load_pilot

    def load() -> Instance:
        instance = load_pilot()
        print(_("bundled pilot: {instance}").format(instance=described(instance)))
        return instance

    return solve_command(args, load)


def cmd_validate(args: argparse.Namespace) -> int:
    from ..candidates import candidates, data_warnings
    from ..solver import check_pins

    instance = load_dataset(args.input, args.columns)
    cand = candidates(instance)
    warnings = data_warnings(instance, cand)
    problems = check_pins(instance, cand)
    if problems:
        raise InvalidInputError(problems, warnings, language=instance.settings.language)
    with i18n.default_language(instance.settings.language):
        print_warnings(warnings)
        print(_("valid: {instance}").format(instance=described(instance)))
    return 0


def _solve_json(args: argparse.Namespace) -> int:
    """``solve --json``: only the result document on stdout (errors too); messages on stderr."""
    from ..api import error_document, problems_document, result_document

    problem = export_options_problem(args)
    if problem:
        print_json(error_document(problem))
        return 1
    try:
        instance = load_dataset(args.input, args.columns)
        with contextlib.redirect_stdout(sys.stderr):
            result = solve_and_write_as_asked(instance, args)
    except InvalidInputError as error:
        print_json(problems_document(error))
        return 1
    except OSError as error:
        print_json(error_document(str(error)))
        return 1
    print_json(result_document(result))
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    if args.json:
        return _solve_json(args)
    if not args.out:
        print(_("stagematch solve: error: --out is required (or use --json)"), file=sys.stderr)
        return 2
    return solve_command(args, lambda: load_dataset(args.input, args.columns))


def cmd_resolve(args: argparse.Namespace) -> int:
    from ..export import read_plan

    previous = read_plan(args.previous)[1]
    return solve_command(args, lambda: load_dataset(args.input, args.columns), previous)


def add_demo_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``demo``: the bundled pilot dataset."""
    demo = sub.add_parser("demo", help=_("solve the bundled pilot dataset and print the summary"))
    demo.add_argument("--out", default=None, help=_("also write the plan to this folder"))
    add_solve_options(demo)
    add_export_options(demo)
    demo.set_defaults(run=cmd_demo)
    return demo


def add_validate_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``validate``: every problem of a dataset."""
    validate = sub.add_parser("validate", help=_("check a dataset and list every problem"))
    validate.add_argument("input", help=_("a folder of CSVs, an .xlsx workbook or a .json file"))
    add_columns_option(validate)
    validate.set_defaults(run=cmd_validate)
    return validate


def add_solve_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``solve``: a dataset into a plan folder or a JSON document."""
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
    add_solve_options(solve_cmd)
    add_export_options(solve_cmd)
    add_columns_option(solve_cmd)
    solve_cmd.set_defaults(run=cmd_solve)
    return solve_cmd


def add_resolve_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``resolve``: solve again close to a previous plan."""
    resolve_cmd = sub.add_parser(
        "resolve",
        help=_("solve a changed dataset again, keeping every assignment of a previous plan it can"),
    )
    resolve_cmd.add_argument("input", help=_("the new dataset: a folder, .xlsx or .json"))
    resolve_cmd.add_argument(
        "--previous", required=True, help=_("the plan folder to stay close to (from solve)")
    )
    resolve_cmd.add_argument("--out", required=True, help=_("folder for the new plan files"))
    add_solve_options(resolve_cmd)
    add_export_options(resolve_cmd)
    add_columns_option(resolve_cmd)
    resolve_cmd.set_defaults(run=cmd_resolve)
    return resolve_cmd
