"""The commands around the solver: ``serve`` (the HTTP service) and ``generate`` (synthetic
datasets), with their parsers."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import _
from .console import described

if TYPE_CHECKING:
    from .options import Subparsers


def cmd_generate(args: argparse.Namespace) -> int:
    from ..generate import FAMILIES, generate
    from ..io import write_dataset

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
            instance=described(instance), out=args.out, seconds=time.monotonic() - started
        )
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from ..serve import ServeConfig, default_data_dir, run
    except ImportError as error:
        print(
            _(
                "error: stagematch serve needs the serve extra ({module} is missing): "
                'pip install "stagematch[serve]"'
            ).format(module=error.name),
            file=sys.stderr,
        )
        return 1
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


def add_serve_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``serve``: the HTTP service and its page."""
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
    return serve


def add_generate_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``generate``: a synthetic dataset."""
    gen = sub.add_parser("generate", help=_("write a realistic synthetic dataset"))
    gen.add_argument("family", help=_("pilot, bassin, academie or national"))
    gen.add_argument("out", help=_("a folder (CSVs), an .xlsx or a .json path"))
    gen.add_argument("--students", type=int, default=None, help=_("number of students"))
    gen.add_argument("--seed", type=int, default=0)
    gen.set_defaults(run=cmd_generate)
    return gen
