"""The generator's profile: its reach counts agree with an exact count by the SPEC's estimate."""

from __future__ import annotations

import numpy as np
import pytest

from stagematch.arrays import MODE_CODES
from stagematch.generate import describe, generate
from stagematch.geo import communes, great_circle_km
from stagematch.model import Instance
from stagematch.travel import estimate_minutes


def _point(row: object, lat: str, lon: str, commune: str) -> tuple[float, float]:
    if getattr(row, lat) is not None:
        return getattr(row, lat), getattr(row, lon)
    table = communes().table
    code = getattr(row, commune)
    return float(table.at[code, "lat"]), float(table.at[code, "lon"])  # type: ignore[arg-type]


def _exact_reach(instance: Instance) -> list[int]:
    """Offers whose estimate from each student's origin is within the student's limit."""
    settings = instance.settings
    schools = {s.school_id: s for s in instance.schools}
    offers = np.array([_point(o, "lat", "lon", "commune") for o in instance.offers])
    counts = []
    for student in instance.students:
        if student.home_lat is not None or student.home_commune is not None:
            origin = _point(student, "home_lat", "home_lon", "home_commune")
        else:
            origin = _point(schools[student.school_id], "lat", "lon", "commune")
        km = great_circle_km(origin[0], origin[1], offers[:, 0], offers[:, 1])
        mode = MODE_CODES[student.mode or settings.default_mode]
        limit = student.max_travel_min
        limit = settings.default_max_travel_min if limit is None else limit
        counts.append(int(np.sum(estimate_minutes(km, mode) <= limit)))
    return counts


@pytest.mark.parametrize(("family", "students", "seed"), [("pilot", None, 0), ("bassin", 400, 3)])
def test_reachable_offers_match_an_exact_count(
    family: str, students: int | None, seed: int
) -> None:
    instance = generate(family, students=students, seed=seed)
    profile = describe(instance)
    counts = np.asarray(_exact_reach(instance))
    assert profile["profiled_students"] == len(instance.students)
    q = np.percentile(counts, [10, 50, 90])
    assert profile["reachable_offers"] == {
        "p10": float(q[0]),
        "median": float(q[1]),
        "p90": float(q[2]),
        "zero_share": float(np.mean(counts == 0)),
    }
