"""Venues, associations and workshop sessions.

The pilot's shape is fixed: four associations, two venues (a chamber of commerce in Valenciennes,
the Louvre-Lens museum), two workshops at each venue, several sessions each. At scale there is a
venue in each big town and a few associations that each run workshops in many of them (as
national networks do).

Seats follow demand: each workshop gets enough sessions for a share of the students who live
within a transit hour of its venue (the workshop travel limit), so capacity binds without making
workshops unreachable by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.spatial import cKDTree

from ..geo import km_to_chord, to_unit_vectors
from .geography import FloatArray, Geography, jitter
from .sectors import ASSOCIATION_NAMES, VENUE_KINDS, WORKSHOP_TITLES
from .students import StudentDraw, make_ids

# Straight-line reach of a 60-minute transit trip under the SPEC estimate: (60 - 10) × 18 / 78.
WORKSHOP_REACH_KM = 11.5
DAY_WORKSHOP_SHARE = 0.25
QPV_SLOT_SHARE = 0.3
NOT_ACCESSIBLE_VENUE_SHARE = 0.08


@dataclass(frozen=True)
class Venue:
    """A place where associations hold workshops."""

    name: str
    lat: float
    lon: float
    accessible: bool = True


# Approximate points (town-centre addresses), enough for travel estimates.
PILOT_VENUES: tuple[Venue, ...] = (
    Venue("CCI Grand Hainaut, Valenciennes", 50.3592, 3.5207),
    Venue("Musée du Louvre-Lens, Lens", 50.4299, 2.8037),
)


def town_venues(
    geography: Geography, min_population: float, max_venues: int, rng: np.random.Generator
) -> list[Venue]:
    """One venue per big town (largest first), of a kind that rotates (CCI, museum, library...)."""
    communes = geography.communes
    big = np.flatnonzero(communes.population >= min_population)
    big = big[np.argsort(-communes.population[big], kind="stable")][:max_venues]
    if len(big) == 0:  # a tiny area: its largest commune still gets a venue
        big = np.array([int(np.argmax(communes.population))])
    lat, lon = jitter(communes.lat[big], communes.lon[big], np.full(len(big), 0.5), rng)
    accessible = rng.random(len(big)) >= NOT_ACCESSIBLE_VENUE_SHARE
    return [
        Venue(
            f"{VENUE_KINDS[i % len(VENUE_KINDS)]}, {communes.name[c]}",
            float(lat[i]),
            float(lon[i]),
            bool(accessible[i]),
        )
        for i, c in enumerate(big.tolist())
    ]


def venue_demand(venues: list[Venue], draw: StudentDraw) -> FloatArray:
    """Students within reach of each venue, each shared equally among the venues they reach.

    Sharing matters where venues are close (the Paris suburbs, the Lille metropolis): counting a
    student once per reachable venue would multiply the seats there.
    """
    demand = np.zeros(len(venues))
    if not venues or not len(draw):
        return demand
    points = to_unit_vectors(np.array([v.lat for v in venues]), np.array([v.lon for v in venues]))
    tree = cKDTree(to_unit_vectors(draw.lat, draw.lon))
    near = tree.query_ball_point(points, km_to_chord(WORKSHOP_REACH_KM))
    lengths = np.array([len(n) for n in near], dtype=np.intp)
    student = np.concatenate([np.asarray(n, dtype=np.intp) for n in near])
    venue = np.repeat(np.arange(len(venues)), lengths)
    reached = np.bincount(student, minlength=len(draw))
    np.add.at(demand, venue, 1.0 / reached[student])
    return demand


def slot_rows(
    venues: list[Venue],
    draw: StudentDraw,
    working_days: tuple[date, ...],
    *,
    workshops_per_venue: tuple[int, int],
    n_associations: int,
    seats_per_student: float,
    capacity: tuple[int, int],
    pilot: bool,
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    """Workshop sessions at ``venues``.

    Each venue gets between ``workshops_per_venue`` workshops (inclusive bounds); each workshop
    gets ``ceil(seats / capacity)`` sessions (at most one per half-day) where seats =
    ``seats_per_student`` × :func:`venue_demand` / workshops at the venue. ``pilot`` gives each workshop its own association
    and the first titles in order (the pilot's four workshops), instead of random ones.
    """
    if not venues:
        return []
    demand = venue_demand(venues, draw)
    lo, hi = workshops_per_venue
    counts = rng.integers(lo, hi + 1, size=len(venues))
    # Few students in reach (a small sample of a big area): fewer workshops, not empty sessions.
    needed = np.ceil(seats_per_student * demand / capacity[0]).astype(np.int64)
    counts = np.minimum(counts, np.maximum(needed, 1))
    associations = ASSOCIATION_NAMES[: max(1, min(n_associations, len(ASSOCIATION_NAMES)))]
    days = [d.isoformat() for d in working_days]
    rows: list[dict[str, object]] = []
    workshop_number = 0
    for v, venue in enumerate(venues):
        titles = rng.choice(len(WORKSHOP_TITLES), size=counts[v], replace=False)
        for w in range(counts[v]):
            if pilot:
                association = associations[workshop_number % len(associations)]
                title = WORKSHOP_TITLES[workshop_number % len(WORKSHOP_TITLES)]
            else:
                association = associations[int(rng.integers(len(associations)))]
                title = WORKSHOP_TITLES[int(titles[w])]
            workshop_number += 1
            workshop_id = f"WK{workshop_number:03d}"
            cap = int(rng.integers(capacity[0], capacity[1] + 1))
            seats = seats_per_student * demand[v] / counts[v]
            whole_day = rng.random() < DAY_WORKSHOP_SHARE
            # One team per workshop: at most one session per half-day (or per day).
            grid = len(days) * (1 if whole_day else 2)
            sessions = min(grid, max(1, int(np.ceil(seats / cap))))
            picks = rng.choice(grid, size=sessions, replace=False)
            picks.sort()
            reserved = rng.random(sessions) < QPV_SLOT_SHARE
            reserved_seats = rng.integers(cap // 2, cap + 1, size=sessions)
            for s in range(sessions):
                pick = int(picks[s])
                if whole_day:
                    day, part = days[pick], "DAY"
                else:
                    day, part = days[pick // 2], ("AM", "PM")[pick % 2]
                row: dict[str, object] = {
                    "slot_id": "",
                    "workshop_id": workshop_id,
                    "title": title,
                    "association": association,
                    "venue": venue.name,
                    "lat": venue.lat,
                    "lon": venue.lon,
                    "date": day,
                    "part": part,
                    "capacity": cap,
                }
                if reserved[s]:
                    row["qpv_reserved"] = cap if pilot else int(reserved_seats[s])
                row["accessible"] = venue.accessible
                rows.append(row)
    for row, slot_id in zip(rows, make_ids("W", len(rows)), strict=True):
        row["slot_id"] = slot_id
    return rows
