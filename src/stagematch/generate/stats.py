"""A quick profile of an instance: sizes, shares, and how many offers each student can reach.

Used by the benchmark and the tests to check that a family is realistic *and* useful: capacity
should bind (seats per student near 1) while most students have tens to hundreds of offers within
their travel limit. Reach is counted within :func:`~stagematch.travel.reach_km`, the radius
reachability itself uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from ..arrays import MODE_CODES
from ..geo import communes, km_to_chord, to_unit_vectors
from ..model import Instance
from ..travel import reach_km
from .geography import FloatArray


def _points(
    rows: tuple[Any, ...], lat: str, lon: str, commune: str
) -> tuple[FloatArray, FloatArray]:
    table = communes().table
    out_lat = np.empty(len(rows))
    out_lon = np.empty(len(rows))
    for i, row in enumerate(rows):
        if getattr(row, lat) is not None:
            out_lat[i], out_lon[i] = getattr(row, lat), getattr(row, lon)
        elif getattr(row, commune, None) is not None:
            code = getattr(row, commune)
            out_lat[i] = float(table.at[code, "lat"])  # type: ignore[arg-type]
            out_lon[i] = float(table.at[code, "lon"])  # type: ignore[arg-type]
        else:
            out_lat[i] = out_lon[i] = np.nan
    return out_lat, out_lon


def _quantiles(values: np.ndarray) -> dict[str, float]:
    if len(values) == 0:
        return {}
    q = np.percentile(values, [10, 50, 90])
    return {
        "p10": float(q[0]),
        "median": float(q[1]),
        "p90": float(q[2]),
        "zero_share": float(np.mean(values == 0)),
    }


def describe(instance: Instance, max_students: int = 20_000) -> dict[str, Any]:
    """Sizes, shares and reachability of ``instance`` (a plain, JSON-ready dict).

    Reachability counts offers (and workshop venues) within each student's travel limit by the
    SPEC estimate, ignoring eligibility; it is computed on at most ``max_students`` students
    (an even stride), since counting pairs in dense cities grows with their number.
    """
    settings = instance.settings
    students, offers, slots = instance.students, instance.offers, instance.workshop_slots
    n = len(students)
    half_days = [instance.half_days_of_offer(o) for o in offers]
    days = np.array([(hi - lo + 1) // 2 for lo, hi in half_days])
    seats = int(sum(o.capacity for o in offers))
    out: dict[str, Any] = {
        "students": n,
        "qpv_share": float(np.mean([s.qpv for s in students])) if n else 0.0,
        "schools": len(instance.schools),
        "offers": len(offers),
        "hosts": len({o.host_id for o in offers}),
        "seats": seats,
        "seats_per_student": seats / n if n else 0.0,
        "one_week_offers": int(np.sum(days == 5)),
        "two_week_offers": int(np.sum(days == 10)),
        "offers_by_commune": int(sum(o.lat is None for o in offers)),
        "workshop_slots": len(slots),
        "workshops": len({s.workshop_id for s in slots}),
        "venues": len({s.venue for s in slots}),
        "associations": len({s.association for s in slots}),
        "slot_seats": int(sum(s.capacity for s in slots)),
    }
    if n == 0 or not offers:
        return out
    stride = max(1, -(-n // max_students))
    sample = students[::stride]
    s_lat, s_lon = _points(sample, "home_lat", "home_lon", "home_commune")
    school = {s.school_id: s for s in instance.schools}
    missing = np.flatnonzero(np.isnan(s_lat))
    if len(missing):
        m_lat, m_lon = _points(
            tuple(school[sample[i].school_id] for i in missing), "lat", "lon", "commune"
        )
        s_lat[missing], s_lon[missing] = m_lat, m_lon
    o_lat, o_lon = _points(offers, "lat", "lon", "commune")
    offer_tree = cKDTree(to_unit_vectors(o_lat, o_lon))
    mode = np.array([s.mode or settings.default_mode for s in sample])
    limit = np.array(
        [
            s.max_travel_min if s.max_travel_min is not None else settings.default_max_travel_min
            for s in sample
        ]
    )
    points = to_unit_vectors(s_lat, s_lon)
    reachable = np.zeros(len(sample), dtype=np.int64)
    venues = np.zeros(len(sample), dtype=np.int64)
    venue_points = sorted({(s.lat, s.lon) for s in slots if s.lat is not None})
    venue_tree = (
        cKDTree(to_unit_vectors(*map(np.array, zip(*venue_points, strict=True))))
        if venue_points
        else None
    )
    for m in np.unique(mode):
        for lim in np.unique(limit[mode == m]):
            group = np.flatnonzero((mode == m) & (limit == lim))
            radius = km_to_chord(reach_km(lim, MODE_CODES[str(m)]))
            reachable[group] = offer_tree.query_ball_point(
                points[group], radius, return_length=True
            )
        if venue_tree is not None:
            group = np.flatnonzero(mode == m)
            radius = km_to_chord(reach_km(settings.workshop_max_travel_min, MODE_CODES[str(m)]))
            venues[group] = venue_tree.query_ball_point(points[group], radius, return_length=True)
    out["reachable_offers"] = _quantiles(reachable)
    if venue_tree is not None:
        out["reachable_venues"] = _quantiles(venues)
    out["profiled_students"] = len(sample)
    return out
