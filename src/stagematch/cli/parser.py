"""The ``stagematch`` argument parser: one sub-command per builder, in the order ``--help``
lists them."""

from __future__ import annotations

import argparse

from ..i18n import _
from .options import add_language_option
from .plans import (
    add_compare_parser,
    add_diff_parser,
    add_gaps_parser,
    add_report_parser,
    add_reproduce_parser,
)
from .solving import add_demo_parser, add_resolve_parser, add_solve_parser, add_validate_parser
from .tools import add_generate_parser, add_serve_parser

COMMANDS = (
    add_demo_parser,
    add_validate_parser,
    add_solve_parser,
    add_resolve_parser,
    add_diff_parser,
    add_reproduce_parser,
    add_compare_parser,
    add_gaps_parser,
    add_report_parser,
    add_serve_parser,
    add_generate_parser,
)
"""Each adds its command (its ``run`` default is the function that carries it out)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stagematch",
        description=_("Plan work placements and workshop sessions for school students."),
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add_command in COMMANDS:
        add_language_option(add_command(sub))
    return parser
