"""The domain model in one import: the row models, the validated :class:`Instance`, the levels.

The model layer has four modules, and this one gathers their public names so that
``from stagematch.model import Instance, Offer`` keeps working wherever it is written:

* :mod:`stagematch.parsing` — the cell parsers every loader shares and the column types;
* :mod:`stagematch.rows` — one frozen pydantic model per table, each column's meaning on its
  field, and the constants (levels, tables, item kinds);
* :mod:`stagematch.validation` — the checks that involve more than one cell;
* :mod:`stagematch.instance` — :class:`Instance`, which runs them and reports every problem at
  once before raising one :class:`~stagematch.errors.InvalidInputError`.
"""

from __future__ import annotations

from .errors import PYDANTIC_MESSAGES
from .instance import Instance
from .parsing import (
    parse_bool,
    parse_commune,
    parse_date,
    parse_id,
    parse_int,
    parse_number,
    split_list,
)
from .rows import (
    CHANGES,
    COACHES,
    ID_COLUMNS,
    ITEM_KINDS,
    ITEM_TABLES,
    LEVELS,
    LOCATION_COLUMNS,
    MAXIMISED_LEVELS,
    MODES,
    PARTS,
    REQUIRED_TABLES,
    ROW_MODELS,
    TABLE_DOCS,
    TABLES,
    TRANSPORT_SETTINGS,
    ItemKind,
    Level,
    Mode,
    Offer,
    Part,
    School,
    Settings,
    Student,
    TravelTime,
    WorkshopSlot,
    is_item_kind,
)

__all__ = [
    "CHANGES",
    "COACHES",
    "ID_COLUMNS",
    "ITEM_KINDS",
    "ITEM_TABLES",
    "LEVELS",
    "LOCATION_COLUMNS",
    "MAXIMISED_LEVELS",
    "MODES",
    "PARTS",
    "PYDANTIC_MESSAGES",
    "REQUIRED_TABLES",
    "ROW_MODELS",
    "TABLES",
    "TABLE_DOCS",
    "TRANSPORT_SETTINGS",
    "Instance",
    "ItemKind",
    "Level",
    "Mode",
    "Offer",
    "Part",
    "School",
    "Settings",
    "Student",
    "TravelTime",
    "WorkshopSlot",
    "is_item_kind",
    "parse_bool",
    "parse_commune",
    "parse_date",
    "parse_id",
    "parse_int",
    "parse_number",
    "split_list",
]
