"""The ``stagematch`` command: a thin shell over the public API (see the SPEC's command line).

Every command exits 0 on success and 1 when the input is invalid (with every problem listed);
no command prints a traceback for bad data. Every command takes ``--lang fr|en``; without it the
dataset's ``language`` setting, else the environment's locale, chooses (see
:mod:`stagematch.i18n`). Help and argparse's own messages are translated too.

The package, one module per job: :mod:`.parser` assembles the sub-commands, each built next to
the function that runs it (:mod:`.solving`: demo, validate, solve, resolve; :mod:`.plans`: diff,
reproduce, compare, gaps, report; :mod:`.tools`: serve, generate); :mod:`.run` solves and writes
a plan folder for the solving commands; :mod:`.options` holds the options they share;
:mod:`.console` what the terminal shows; :mod:`.interrupt` Ctrl-C during a solve;
:mod:`.language` ``--lang`` and argparse's own messages.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .. import i18n
from ..errors import InvalidInputError
from ..i18n import _
from .console import format_summary, print_problems
from .interrupt import Interrupt
from .language import argparse_in_language, language_in
from .parser import build_parser

__all__ = ["Interrupt", "build_parser", "format_summary", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    with i18n.language(language_in(argv)), argparse_in_language():
        args = build_parser().parse_args(argv)
        try:
            code: int = args.run(args)
        except InvalidInputError as error:
            with i18n.default_language(error.language):
                print_problems(error)
            return 1
        except OSError as error:  # a missing file, a refused or busy --out, a full disk...
            print(_("error: {error}").format(error=error), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(_("interrupted"), file=sys.stderr)
            return 130
    return code
