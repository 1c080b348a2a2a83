"""A plan's item kinds are the one vocabulary of :data:`stagematch.rows.ItemKind`, checked on entry."""

from __future__ import annotations

import pandas as pd
import pytest

from stagematch.plan import Plan
from stagematch.rows import ITEM_KINDS, ITEM_TABLES, is_item_kind


def test_every_kind_names_its_table() -> None:
    assert ITEM_KINDS == ("placement", "workshop")
    assert set(ITEM_TABLES) == set(ITEM_KINDS)
    assert not is_item_kind("offers") and not is_item_kind("slots")


@pytest.mark.parametrize("kind", ["offers", "slots", "Placement", ""])
def test_a_kind_from_text_is_checked(kind: str) -> None:
    with pytest.raises(ValueError, match="kind must be"):
        Plan([("S1", kind, "O1")])
    frame = pd.DataFrame({"student_id": ["S1"], "kind": [kind], "item_id": ["O1"]})
    with pytest.raises(ValueError, match="kind must be"):
        Plan.from_frame(frame)


def test_a_plan_reads_back_from_its_frame() -> None:
    plan = Plan([("S2", "workshop", "W1"), ("S1", "placement", "O1"), ("S1", "placement", "O1")])
    assert len(plan) == 2
    assert Plan.from_frame(plan.to_frame()) == plan
    assert plan.placements == {"S1": ("O1",)} and plan.workshops == {"S2": ("W1",)}
