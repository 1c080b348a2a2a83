"""What the report tables share (stagematch.report._common): commune names and column labels."""

from __future__ import annotations

import numpy as np
import pytest
from report_support import hand_made

from stagematch.report._common import label, nearest_commune_names
from stagematch.result import Result


@pytest.fixture
def result() -> Result:
    return hand_made()


# --------------------------------------------------------------------------------------------
# Communes and labels


def test_nearest_commune_names() -> None:
    lat = np.array([50.3575, 50.4300, 47.0, float("nan")])
    lon = np.array([3.5233, 2.8319, -6.0, 3.0])
    # Valenciennes, Lens, the Atlantic (blank), unknown (blank).
    assert nearest_commune_names(lat, lon) == ["Valenciennes", "Lens", "", ""]


def test_labels_are_readable() -> None:
    assert label("placed_rate") == "Placed (%)"
    assert label("placement_2_host_name") == "Placement 2: host"
    assert label("workshop_1_title") == "Workshop 1: workshop"
    assert label("something_new") == "Something new"
