"""The commands on plan folders: ``diff``, ``reproduce``, ``compare``, ``gaps`` and ``report``,
with their parsers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import _
from ..outfolder import PlanFolder
from .console import TerminalProgress, short_number

if TYPE_CHECKING:
    from .options import Subparsers


def cmd_diff(args: argparse.Namespace) -> int:
    from ..cells import write_csv
    from ..export import read_plan, read_result, write_files
    from ..replan import diff

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
        from ..report import letters as letters_of

        changes, letters = result.changes, result.for_changed(letters_of(result.after))

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
    from ..reproduce import reproduce

    outcome = reproduce(args.plan_dir, progress=TerminalProgress())
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


def cmd_compare(args: argparse.Namespace) -> int:
    from ..compare import compare
    from ..export import read_result

    if len(args.plans) < 2:
        print(_("stagematch compare: error: give at least two plan folders"), file=sys.stderr)
        return 2
    names = [Path(folder).resolve().name or str(folder) for folder in args.plans]
    comparison = compare([read_result(folder) for folder in args.plans], names=names)
    frame = comparison.frame
    print(frame.to_string(index=False, na_rep="", max_colwidth=40, float_format=short_number))
    print()
    print(comparison.headlines())
    if args.out:
        for path in comparison.write(args.out):
            print(_("written: {path}").format(path=path))
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from ..cells import write_csv
    from ..export import read_result, write_files
    from ..gaps import gaps

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
    from ..export import read_result
    from ..report import write_report

    with PlanFolder(args.plan_dir, force=True):  # no other run writes it meanwhile
        result = read_result(args.plan_dir)
        paths = write_report(result, args.plan_dir)
    for path in paths:
        print(_("report written to {path}").format(path=path))
    return 0


def add_diff_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``diff``: what changed between two plan folders."""
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
    return diff_cmd


def add_reproduce_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``reproduce``: solve a plan folder again and compare."""
    reproduce = sub.add_parser(
        "reproduce",
        help=_(
            "solve a plan folder again with the options it records; exit 0 only when the plan "
            "is identical"
        ),
    )
    reproduce.add_argument("plan_dir", help=_("a folder written by solve or demo --out"))
    reproduce.set_defaults(run=cmd_reproduce)
    return reproduce


def add_compare_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``compare``: scenarios side by side."""
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
    return compare_cmd


def add_gaps_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``gaps``: where added seats would place the most students."""
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
    return gaps_cmd


def add_report_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """``report``: the report of a plan folder."""
    report = sub.add_parser(
        "report",
        help=_("write report.xlsx, report.html and the PDF letters (letters/) for a plan folder"),
    )
    report.add_argument("plan_dir", help=_("a folder written by solve or demo --out"))
    report.set_defaults(run=cmd_report)
    return report
