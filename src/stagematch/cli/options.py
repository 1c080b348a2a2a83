"""The options several commands share, and the type of the sub-command registry."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypeAlias

from .. import i18n
from ..i18n import _

if TYPE_CHECKING:
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def add_solve_options(p: argparse.ArgumentParser) -> None:
    """The options of every command that solves (``demo``, ``solve``, ``resolve``)."""
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
        "--memory-limit",
        type=memory_limit_argument,
        default=None,
        metavar="SIZE",
        help=_(
            "memory the solve may expect to use, such as 4GB or 3500MB, or off (default: "
            "4GB); above it the dataset is solved by geographic parts, and summary.json says so"
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


def memory_limit_argument(text: str) -> str:
    """``--memory-limit``'s value, checked when the command line is read (a clear message, no
    traceback); kept as typed, so ``summary.json`` and a re-run see the same words."""
    from ..solver.options import memory_megabytes

    try:
        memory_megabytes(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def add_export_options(p: argparse.ArgumentParser) -> None:
    """What a solve writes besides the plan, and into which folder."""
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


def add_columns_option(p: argparse.ArgumentParser) -> None:
    """``--columns``: the commands that read a dataset take the coordinator's own headers."""
    p.add_argument(
        "--columns",
        default=None,
        metavar="MAPPING.toml",
        help=_(
            "your own column names: a TOML file with one table per dataset table, "
            'header = "column" (see docs/how-to/workbook.md)'
        ),
    )


def add_language_option(p: argparse.ArgumentParser) -> None:
    """``--lang``, which every command takes (last, after its own options)."""
    p.add_argument(
        "--lang",
        choices=i18n.LANGUAGES,
        default=None,
        help=_(
            "language of messages, reports and letters (default: the dataset's language "
            "setting, else the locale: LANG=fr_FR.UTF-8 gives French)"
        ),
    )
