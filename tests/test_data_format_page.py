"""The generated documentation of the data contract: ``tools/data_format.py``.

The data format page and the published JSON Schemas are generated from the models; these tests
check that the committed copies are current, that every table and column is documented (on the
row models' fields) and that the page shows the messages validation really gives.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from stagematch.io import loads_json
from stagematch.rows import ROW_MODELS, TABLE_DOCS, TABLES, Settings
from stagematch.schema import EXAMPLE_DATASET, model_of

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
TOOL = ROOT / "tools" / "data_format.py"


def _load_tool() -> ModuleType:
    """The generator is a build tool outside the package: loaded from its file."""
    spec = importlib.util.spec_from_file_location("data_format", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


data_format = _load_tool()


def test_committed_docs_are_current() -> None:
    stale = data_format.write_docs(DOCS, check=True)
    assert not stale, (
        f"out of date: {', '.join(str(p) for p in stale)}; run `python tools/data_format.py docs`"
    )


def test_write_docs_writes_then_reports_nothing(tmp_path: Path) -> None:
    written = data_format.write_docs(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(
        data_format.schema_files()
    )
    assert data_format.write_docs(tmp_path, check=True) == []
    (tmp_path / "data-format.md").write_text("stale", encoding="utf-8")
    assert data_format.write_docs(tmp_path, check=True) == [tmp_path / "data-format.md"]
    assert (tmp_path / "data-format.md").read_text(encoding="utf-8") == "stale"


def test_main_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert data_format.main([str(tmp_path), "--check"]) == 1
    assert data_format.main([str(tmp_path)]) == 0
    assert data_format.main([str(tmp_path), "--check"]) == 0
    assert "written" in capsys.readouterr().out


def test_every_table_and_column_is_documented_on_its_model() -> None:
    assert set(TABLE_DOCS) == set(TABLES)
    for table in TABLES:
        for column, info in model_of(table).model_fields.items():
            assert info.description, (table, column)


def test_example_dataset_is_valid_and_uses_every_column() -> None:
    instance = loads_json(json.dumps(EXAMPLE_DATASET))
    assert len(instance.students) == 2
    assert set(EXAMPLE_DATASET["settings"]) == set(Settings.model_fields)
    for table, model in ROW_MODELS.items():
        used = {column for row in EXAMPLE_DATASET[table] for column in row}
        assert used == set(model.model_fields), table


def test_data_format_page_lists_every_column_and_its_problems() -> None:
    page = data_format.data_format_markdown()
    for table in TABLES:
        assert f"## {table}\n" in page
        assert f"**Problems reported in `{table}`**" in page
        for column, info in model_of(table).model_fields.items():
            assert f"| `{column}` |" in page, (table, column)
            assert str(info.description).replace("|", "\\|") in page, (table, column)
    # Messages come from the validator itself, cross-table checks included.
    for message in (
        "required value is missing",
        "expected a boolean",
        "duplicate id, first used on row 2",
        "unknown school",
        "unknown offer",
        "no location: give lat and lon, or commune",
        "more reserved seats than the capacity",
        "not a working day (weekend or holiday)",
        "unknown setting",
        "the table is missing",
        "not valid JSON",
    ):
        assert message in page, message
