"""The shape of the package: a light front door, no import cycle, imports in one direction.

The import graph is read from the source by grimp (the library under import-linter): every
``import`` statement counts, including those inside functions (lazy imports) and under
``TYPE_CHECKING``. The layers, and the contracts that keep them, are declared in
``pyproject.toml`` (``[tool.importlinter]``) and explained in ``docs/architecture.md``.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import grimp
import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import stagematch

ROOT = Path(__file__).parent.parent
SOLVER_LIBRARIES = ("ortools", "highspy")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("stagematch", cache_dir=None)


@pytest.mark.parametrize(
    "module", ["stagematch", "stagematch.check", "stagematch.io", "stagematch.export"]
)
def test_importing_loads_no_solver_library(module: str) -> None:
    """A script that only loads, checks or exports never pays for OR-Tools or HiGHS."""
    code = f"import sys, {module}; print(*[m for m in {SOLVER_LIBRARIES!r} if m in sys.modules])"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == [], f"import {module} loads {loaded}"


def test_a_solver_name_is_imported_on_first_use() -> None:
    code = (
        "import sys, stagematch as sm\n"
        "assert 'stagematch.solver' not in sys.modules\n"
        "solve = sm.solve\n"
        "import stagematch.solver\n"
        "assert solve is stagematch.solver.solve and 'ortools' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def every_submodule() -> list[str]:
    """Every module of the package but the ``__main__`` ones (importing those runs them)."""
    found = pkgutil.walk_packages(stagematch.__path__, prefix="stagematch.")
    return sorted(m.name for m in found if not m.name.endswith("__main__"))


def test_top_level_names_are_not_hidden_by_submodules() -> None:
    """Importing a submodule sets the package attribute of its name: ``stagematch.check`` must
    stay the function whatever was imported before."""
    for name in every_submodule():
        importlib.import_module(name)
    for name in stagematch.__all__:
        value = getattr(stagematch, name)
        assert not isinstance(value, ModuleType), name


def test_the_front_door_lists_every_name() -> None:
    assert sorted(stagematch.__all__) == sorted(set(stagematch.__all__))
    assert set(stagematch.__all__) <= set(dir(stagematch))
    for name in ("load", "solve", "check", "evaluate", "write_plan", "resolve", "diff"):
        assert name in stagematch.__all__
    with pytest.raises(AttributeError, match="no_such_name"):
        stagematch.no_such_name  # noqa: B018


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The groups of modules that import one another, directly or through others."""
    modules = sorted(graph.modules)
    position = {name: k for k, name in enumerate(modules)}
    edges = [
        (position[importer], position[imported])
        for importer in modules
        for imported in graph.find_modules_directly_imported_by(importer)
    ]
    rows, cols = np.array(edges, dtype=np.int64).reshape(-1, 2).T
    adjacency = coo_matrix((np.ones(len(edges)), (rows, cols)), shape=(len(modules),) * 2)
    _, label = connected_components(adjacency, directed=True, connection="strong")
    groups: dict[int, list[str]] = {}
    for name, group in zip(modules, label, strict=True):
        groups.setdefault(int(group), []).append(name)
    return [members for members in groups.values() if len(members) > 1]


def test_no_import_cycle(graph: grimp.ImportGraph) -> None:
    cycles = import_cycles(graph)
    details = [
        f"{d['importer']}:{d['line_number']} {d['line_contents']}"
        for members in cycles
        for importer in members
        for imported in graph.find_modules_directly_imported_by(importer) & set(members)
        for d in graph.get_import_details(importer=importer, imported=imported)
    ]
    assert cycles == [], "\n".join(details)


def test_cycles_are_found() -> None:
    """The cycle finder itself, on a graph with one cycle of three and a bystander."""
    graph = grimp.ImportGraph()
    for importer, imported in (("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.d", "p.a")):
        graph.add_import(importer=importer, imported=imported)
    assert [sorted(members) for members in import_cycles(graph)] == [["p.a", "p.b", "p.c"]]


def test_nothing_imports_the_package_root(graph: grimp.ImportGraph) -> None:
    """The root imports the front door's modules; a module importing the root back would
    depend on the whole package (``__version__`` lives in ``stagematch._version``)."""
    assert graph.find_modules_that_directly_import("stagematch") == set()


def test_the_import_contracts_hold() -> None:
    """Layers, no cycle between siblings at any depth, only the solver imports a solver
    library, the checker stays independent of what it checks (pyproject.toml).

    In its own process: import-linter configures logging as a command line does, which would
    silence the loggers of the tests that run after it."""
    linter = Path(sys.executable).parent / "lint-imports"
    completed = subprocess.run(
        [linter, "--no-cache", "--no-logo"], cwd=ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
