"""The command line's language: ``--lang`` read before parsing, argparse's messages translated."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Sequence

from .. import i18n
from ..i18n import N_

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


def language_in(argv: Sequence[str]) -> str | None:
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
def argparse_in_language() -> Iterator[None]:
    """argparse looks its messages up with the stdlib's gettext; point it at ours meanwhile."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = i18n.gettext, i18n.ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]
