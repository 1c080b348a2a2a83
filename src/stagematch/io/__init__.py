"""Datasets in and out: CSV folders, Excel workbooks, JSON documents and pandas DataFrames.

Loading reads every cell as the text a spreadsheet shows and validates once, collecting every
problem (table, spreadsheet row, column) into one :class:`~stagematch.errors.InvalidInputError`;
writing goes through :meth:`~stagematch.model.Instance.to_dict` so what is written reads back
equal.
"""

from __future__ import annotations

from ._columns import ColumnMap, read_column_map
from .readers import from_dataframes, load, loads_json
from .writers import write_dataset

__all__ = ["ColumnMap", "from_dataframes", "load", "loads_json", "read_column_map", "write_dataset"]
