"""Dataset families (pilot, bassin, academie, national) and the generator that assembles them.

A family fixes the geography, the default size and the proportions (QPV share, seats per
student, workshops); ``students`` and ``seed`` vary within it. The random streams of the parts
(students, offers, workshops, wished offers, row attributes) are independent children of one
``numpy.random.default_rng(seed)``, so a change in one part's draws leaves the others as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from ..geo import great_circle_km
from ..model import Instance
from .geography import Geography, IntArray, academie_geography, national_geography, restrict
from .offers import offer_rows, wished_offer_lists
from .students import (
    WISHED_OFFERS_SHARE,
    StudentDraw,
    draw_population,
    draw_qpv_only,
    student_rows,
)
from .workshops import PILOT_VENUES, Venue, slot_rows, town_venues, venue_demand

PERIOD_START = date(2027, 6, 14)  # Monday
PERIOD_END = date(2027, 6, 25)  # Friday of the following week

# Town-centre points used to select the lycées of the pilot and of the bassin.
VALENCIENNES = (50.3570, 3.5235)
LENS = (50.4322, 2.8333)
HENIN_BEAUMONT = (50.4217, 2.9508)
DOUAI = (50.3703, 3.0794)


@dataclass(frozen=True)
class Family:
    """The fixed shape of a family of datasets (see the module docstring)."""

    name: str
    default_students: int
    description: str
    qpv_share: float | None  # None: every student is QPV (the pilot)
    seats_per_student: float
    workshops_per_student: int
    workshop_seats_per_student: float  # seats per student within reach of a venue
    workshops_per_venue: tuple[int, int]
    workshop_capacity: tuple[int, int]
    venue_min_population: float
    max_venues: int
    n_associations: int
    host_size: float = 1.0  # scales positions per host; the pilot's local hosts are small


FAMILY_SPECS: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "pilot",
            105,
            "QPV students of the LEGT/LPO lycées of Valenciennes and Lens, local hosts, "
            "four associations, two venues",
            qpv_share=None,
            seats_per_student=0.9,
            workshops_per_student=2,
            workshop_seats_per_student=2 * 1.15,
            workshops_per_venue=(2, 2),
            workshop_capacity=(15, 15),
            venue_min_population=0,
            max_venues=2,
            n_associations=4,
            host_size=0.4,
        ),
        Family(
            "bassin",
            3_000,
            "the mining basin Lens–Hénin–Douai–Valenciennes",
            qpv_share=0.20,
            seats_per_student=1.0,
            workshops_per_student=1,
            workshop_seats_per_student=0.3,
            workshops_per_venue=(2, 3),
            workshop_capacity=(12, 24),
            venue_min_population=15_000,
            max_venues=12,
            n_associations=5,
        ),
        Family(
            "academie",
            50_000,
            "Académie de Lille: Nord and Pas-de-Calais",
            qpv_share=0.12,
            seats_per_student=1.0,
            workshops_per_student=1,
            workshop_seats_per_student=0.3,
            workshops_per_venue=(2, 3),
            workshop_capacity=(12, 24),
            venue_min_population=15_000,
            max_venues=60,
            n_associations=6,
        ),
        Family(
            "national",
            550_000,
            "all of France (lycée points are commune centroids outside the Académie de Lille)",
            qpv_share=0.08,
            seats_per_student=1.0,
            workshops_per_student=1,
            workshop_seats_per_student=0.3,
            workshops_per_venue=(2, 3),
            workshop_capacity=(12, 24),
            venue_min_population=30_000,
            max_venues=600,
            n_associations=8,
        ),
    )
}

FAMILIES: dict[str, int] = {name: f.default_students for name, f in FAMILY_SPECS.items()}
"""Family name → default number of students."""


def geography_of(family: str) -> Geography:
    """The lycées and communes a family is drawn on."""
    if family == "pilot":
        return restrict(academie_geography(), [VALENCIENNES, LENS], 6.0, 12.0, public_only=True)
    if family == "bassin":
        return restrict(
            academie_geography(), [LENS, HENIN_BEAUMONT, DOUAI, VALENCIENNES], 10.0, 20.0
        )
    if family == "academie":
        return academie_geography()
    if family == "national":
        return national_geography()
    raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")


def working_days(start: date = PERIOD_START, end: date = PERIOD_END) -> tuple[date, ...]:
    """Mon–Fri days of the period (the 2027 period has no public holiday)."""
    days = (start + timedelta(days=i) for i in range((end - start).days + 1))
    return tuple(d for d in days if d.weekday() < 5)


def weeks_of(days: tuple[date, ...]) -> list[tuple[date, date]]:
    """(first, last) working day of each ISO week of ``days``."""
    weeks: dict[tuple[int, int], list[date]] = {}
    for d in days:
        iso = d.isocalendar()
        weeks.setdefault((iso.year, iso.week), []).append(d)
    return [(w[0], w[-1]) for w in weeks.values()]


def generate_tables(family: str, students: int | None = None, seed: int = 0) -> dict[str, Any]:
    """The dataset as plain JSON-ready tables (what :meth:`Instance.from_dict` reads).

    Parameters
    ----------
    family
        One of :data:`FAMILIES`.
    students
        Number of students; the family's default when ``None``.
    seed
        Seed of ``numpy.random.default_rng``; the same arguments always give the same tables.

    Returns
    -------
    dict
        ``settings`` (an object) and one list of row dicts per table; blank cells are left out.
    """
    spec = FAMILY_SPECS.get(family)
    if spec is None:
        raise ValueError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    n = spec.default_students if students is None else int(students)
    if n < 1:
        raise ValueError("students must be at least 1")
    rng_students, rng_offers, rng_workshops, rng_wished, rng_rows = np.random.default_rng(
        seed
    ).spawn(5)
    geography = geography_of(family)
    days = working_days()
    draw = _draw_students(spec, geography, n, rng_students)
    lycees = geography.lycees
    present = np.unique(draw.lycee)
    schools = _school_rows(geography, present)
    offers = offer_rows(
        geography,
        draw,
        [s["school_id"] for s in schools],
        lycees.lat[present],
        lycees.lon[present],
        weeks_of(days),
        round(spec.seats_per_student * n),
        rng_offers,
        host_size=spec.host_size,
    )
    slots = slot_rows(
        _venues(spec, geography, draw, rng_workshops),
        draw,
        days,
        workshops_per_venue=spec.workshops_per_venue,
        n_associations=spec.n_associations,
        seats_per_student=spec.workshop_seats_per_student,
        capacity=spec.workshop_capacity,
        pilot=spec.qpv_share is None,
        rng=rng_workshops,
    )
    wished = wished_offer_lists(draw, offers, WISHED_OFFERS_SHARE, rng_wished)
    return {
        "settings": {
            "period_start": PERIOD_START.isoformat(),
            "period_end": PERIOD_END.isoformat(),
            "workshops_per_student": spec.workshops_per_student,
        },
        "schools": schools,
        "students": student_rows(geography, draw, days, wished, rng_rows),
        "offers": offers.rows,
        "workshop_slots": slots,
    }


def _draw_students(
    spec: Family, geography: Geography, n: int, rng: np.random.Generator
) -> StudentDraw:
    """The family's students: the pilot recruits QPV students equally around its two towns
    (each lycée belongs to the nearest), the others draw the whole population."""
    if spec.qpv_share is not None:
        return draw_population(geography, n, spec.qpv_share, rng)
    centres = np.array([VALENCIENNES, LENS])
    town = great_circle_km(
        geography.lycees.lat[:, None],
        geography.lycees.lon[:, None],
        centres[None, :, 0],
        centres[None, :, 1],
    ).argmin(axis=1)
    return draw_qpv_only(geography, [n - n // 2, n // 2], town, rng)


def _school_rows(geography: Geography, present: IntArray) -> list[dict[str, Any]]:
    """The rows of the lycées some student attends (``present``, sorted)."""
    lycees = geography.lycees
    return [
        {"school_id": uai, "name": name, "lat": lat, "lon": lon}
        for uai, name, lat, lon in zip(
            lycees.uai[present].tolist(),
            lycees.name[present].tolist(),
            np.round(lycees.lat[present], 6).tolist(),
            np.round(lycees.lon[present], 6).tolist(),
            strict=True,
        )
    ]


def _venues(
    spec: Family, geography: Geography, draw: StudentDraw, rng: np.random.Generator
) -> list[Venue]:
    """The pilot's two venues, or the towns' venues that some student can reach (a venue no
    student can reach would only add dead sessions: small samples of a big area)."""
    if spec.qpv_share is None:
        return list(PILOT_VENUES)
    venues = town_venues(geography, spec.venue_min_population, spec.max_venues, rng)
    demand = venue_demand(venues, draw)
    if demand.any():
        venues = [v for v, d in zip(venues, demand, strict=True) if d > 0]
    return venues


def generate(family: str, students: int | None = None, seed: int = 0) -> Instance:
    """A realistic synthetic dataset on the real geography of Nord/Pas-de-Calais or France.

    Parameters
    ----------
    family
        ``pilot`` (105 QPV students, Valenciennes and Lens, four associations, two venues),
        ``bassin`` (3,000 students, Lens–Hénin–Douai–Valenciennes), ``academie`` (50,000,
        Nord and Pas-de-Calais) or ``national`` (550,000, all of France); see :data:`FAMILIES`.
    students
        Number of students; the family's default when ``None``.
    seed
        The same (family, students, seed) always gives an equal instance.

    Returns
    -------
    Instance
        Validated like any user dataset (every row goes through the pydantic models), so a
        generator bug surfaces as an :class:`~stagematch.errors.InvalidInputError` here.
    """
    return Instance.from_dict(generate_tables(family, students, seed))
