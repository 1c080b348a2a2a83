"""Release hygiene: the package builds as a wheel that works once installed somewhere else.

The wheel is built offline from a copy of the sources (``pip wheel --no-build-isolation``, with
the setuptools of this environment) and installed without dependencies into a fresh virtual
environment. The fresh environment sees this environment's third-party packages (ortools,
pandas, …) through a ``.pth`` path, so nothing is downloaded; ``stagematch`` itself comes from
the wheel only — the editable install of this checkout is not visible there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import stagematch

ROOT = Path(__file__).parent.parent


def _run(*args: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=300, check=False, **kwargs
    )  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "pyproject.toml", source)
    for name in ("README.md", "LICENSE"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, source)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    built = _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--quiet",
        "--wheel-dir",
        wheelhouse,
        source,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (path,) = wheelhouse.glob("stagematch-*.whl")
    return path


@pytest.mark.slow
def test_wheel_holds_the_package_data(wheel: Path) -> None:
    assert wheel.name.startswith(f"stagematch-{stagematch.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "stagematch/__init__.py",
        "stagematch/py.typed",
        "stagematch/data/pilot.json",
        "stagematch/schema.py",
        "stagematch/locale/fr/LC_MESSAGES/stagematch.po",
    ):
        assert needed in names, needed
    assert any(n.startswith("stagematch/data/geo/") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "stagematch = stagematch.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
def test_wheel_installs_and_runs_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    created = _run(sys.executable, "-m", "venv", "--without-pip", venv)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    installed = _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
        "--quiet",
        wheel,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # The dependencies, from this environment, after the wheel's own site-packages.
    fresh_site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        ).stdout.strip()
    )
    (fresh_site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    where = _run(
        python,
        "-c",
        "import json, stagematch; print(json.dumps([stagematch.__file__, stagematch.__version__]))",
        cwd=tmp_path,
    )
    assert where.returncode == 0, where.stderr
    module_file, version = json.loads(where.stdout)
    assert Path(module_file).is_relative_to(venv), module_file
    assert version == stagematch.__version__

    demo = _run(venv / "bin" / "stagematch", "demo", "--out", tmp_path / "demo", cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "status:" in demo.stdout
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text("utf-8"))
    assert summary["version"] == stagematch.__version__
    # The French catalogue ships in the wheel: a French locale gets French messages.
    french = _run(
        venv / "bin" / "stagematch",
        "validate",
        tmp_path / "nowhere",
        cwd=tmp_path,
        env={**os.environ, "LANG": "fr_FR.UTF-8"},
    )
    assert french.returncode == 1
    assert "fichier ou dossier introuvable" in french.stderr, french.stderr
