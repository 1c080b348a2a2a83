"""The documentation: the site builds offline in strict mode, and what the pages claim is true.

``mkdocs build --strict`` fails on any broken link, missing page or bad anchor; the API reference
is rendered from the docstrings. The Python examples of *Getting started* are run in order, and
the command-line reference is compared with the real parser.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import stagematch
from stagematch.cli import build_parser

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


@pytest.mark.slow
def test_site(site: Path) -> None:
    """One build (it takes seconds) checked three ways."""
    check_every_page(site)
    check_content(site)
    check_no_network(site)


def check_every_page(site: Path) -> None:
    for page in (
        "index.html",
        "getting-started/index.html",
        "data-format/index.html",
        "concepts/best/index.html",
        "how-to/embed/index.html",
        "reference/api/index.html",
        "reference/cli/index.html",
        "solver/index.html",
        "benchmarks/index.html",
        "scaling/index.html",
        "changelog/index.html",
    ):
        assert (site / page).is_file(), page
    for name in ("dataset.schema.json", "result.schema.json"):
        assert (site / "schema" / name).is_file()
    assert not (site / "hooks.py").exists()


def check_content(site: Path) -> None:
    api = (site / "reference" / "api" / "index.html").read_text("utf-8")
    for name in ("solve_json", "InvalidInputError", "write_dataset", "plot_map", "check"):
        assert name in api
    assert ":class:" not in api  # Sphinx roles rendered as code by docs/hooks.py
    embed = (site / "how-to" / "embed" / "index.html").read_text("utf-8")
    assert "spawnSync" in embed  # the Node.js example is included from examples/
    assert "Unreleased" in (site / "changelog" / "index.html").read_text("utf-8")


def check_no_network(site: Path) -> None:
    """No web fonts or CDN scripts: the site works offline."""
    for page in site.rglob("*.html"):
        text = page.read_text("utf-8")
        assert "fonts.googleapis.com" not in text, page
        assert not re.search(r"<script[^>]+src=\"https?://", text), page


def test_nav_lists_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    nav = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", config, flags=re.MULTILINE))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    assert nav == pages


def test_cli_reference_matches_the_parser() -> None:
    page = (DOCS / "reference" / "cli.md").read_text("utf-8")
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    for name, sub in subparsers.choices.items():  # type: ignore[union-attr]
        assert f"## `stagematch {name}" in page, name
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in page, (name, option)


def test_changelog_names_the_released_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    assert "## [Unreleased]" in changelog
    assert f"## [{stagematch.__version__}]" in changelog


def test_getting_started_python_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``python`` block of Getting started, in order, in one namespace."""
    page = (DOCS / "getting-started.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "getting-started.md", "exec"), namespace)
    assert (tmp_path / "out" / "pilot" / "report.html").is_file()
