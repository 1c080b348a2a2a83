"""``stagematch.export``: the plan folder's files read back to what was written."""

from __future__ import annotations

import json
from pathlib import Path

from strategies import make_instance

from stagematch.export import read_plan, write_plan
from stagematch.solver import solve


def test_input_json_is_the_dataset_one_row_per_line(tmp_path: Path) -> None:
    """``input.json`` reads back to the very dataset (unknown columns, accents, a quote and a
    line break in a cell included), one row per line so that it diffs and greps well."""
    instance = make_instance(
        [{"student_id": "E1", "note": 'dit "oui"\nà Lille'}, {"student_id": "E2"}],
        [{"offer_id": "O1", "host_name": "Cœur & Co"}],
    )
    folder = write_plan(solve(instance, time_limit=10), tmp_path / "plan")
    text = (folder / "input.json").read_text("utf-8")
    assert json.loads(text) == instance.to_dict()
    assert read_plan(folder)[0] == instance
    lines = text.splitlines()
    assert sum(line.lstrip().startswith('{"student_id"') for line in lines) == 2
    assert len(lines) == 2 + len(instance.to_dict()) + sum(
        len(rows) + 1 for rows in instance.to_dict().values() if isinstance(rows, list) and rows
    )
