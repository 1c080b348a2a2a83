"""The example notebooks: committed without outputs, and each runs from top to bottom.

Each notebook is executed with nbclient in a temporary folder (its files go to ``out/`` there),
as a reader would run it; a notebook that fails fails the test. How long it takes is not
asserted (a loaded machine is slow, not wrong): the per-cell timeout only stops a hang.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))
CELL_TIMEOUT_S = 600  # each notebook is written to run in well under 30 s; this stops a hang


def test_the_stories_are_there() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01-quickstart.ipynb",
        "02-excel-workbook.ipynb",
        "03-academie-at-scale.ipynb",
        "04-fairness.ipynb",
        "05-replanning.ipynb",
        "06-transport-and-scenarios.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: strip the outputs before committing"
            assert cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_tells_a_story(path: Path) -> None:
    """Prose, not just code: a title and at least a third of the cells in markdown."""
    notebook = nbformat.read(path, as_version=4)
    assert notebook.cells[0].cell_type == "markdown"
    assert notebook.cells[0].source.startswith("# ")
    prose = sum(cell.cell_type == "markdown" for cell in notebook.cells)
    assert prose * 3 >= len(notebook.cells)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_listed_in_the_docs(path: Path) -> None:
    assert f"examples/{path.name}" in (ROOT / "docs" / "examples.md").read_text("utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors
    images = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    plots = any("plot_" in cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert images >= plots, "the plots did not display"
