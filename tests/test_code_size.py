"""The package stays readable: short functions, modules of one job.

Issue 17 set the limits a newcomer can hold in their head: no function longer than 80 lines
(from ``def`` to its last line, docstring included) and no module longer than 600.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "stagematch"
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _label(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_the_sources_were_found() -> None:
    assert {"check.py", "solver/pipeline.py", "cli/parser.py"} <= {_label(p) for p in SOURCES}


@pytest.mark.parametrize("path", SOURCES, ids=_label)
def test_functions_are_short(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} (line {node.lineno}: {node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{_label(path)}: over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"


@pytest.mark.parametrize("path", SOURCES, ids=_label)
def test_modules_are_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_label(path)} has {lines} lines"
