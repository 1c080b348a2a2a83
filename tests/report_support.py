"""What the report tests share: a hand-made result whose every number is worked out by hand, and
a headless Chromium to render pages in.

The dataset (period 15–26 June 2026: 10 working days, 20 half-days; one workshop required):

* school ``A`` at Valenciennes (lat/lon), school ``B`` given as the commune of Lens;
* ``Q1`` (QPV, A) → offer ``O1`` (two weeks), her first wished sector: rank 1, 20 half-days;
* ``Q2`` (QPV, A) → ``O2`` (week 1, her first wished offer: rank 1) + session ``S1``
  (Mon 22 June, morning): 11 half-days, 1 workshop;
* ``N1`` (A) → ``O1`` (wishes ``law``, O1 is ``health``: unranked), 20 half-days;
* ``Q3`` (QPV, B, home at Valenciennes, 15 years old) → sessions ``S1`` and ``S2`` (Tue 23,
  full day): 3 half-days, 2 workshops, unplaced for ``capacity`` (O3 needs age 18);
* ``N2`` (B, travels from Lens, ~50 km) → nothing: ``no_reachable_offer``.

Travel minutes come from ``travel_times`` overrides so percentiles have round answers.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from functools import cache
from pathlib import Path

from stagematch.evaluate import evaluate
from stagematch.model import Instance
from stagematch.plan import Plan
from stagematch.result import Result

CENTRE = {"lat": 50.36, "lon": 3.52}
MON_W2, TUE_W2 = date(2026, 6, 22), date(2026, 6, 23)


@cache
def hand_made() -> Result:
    """The result described in the module docstring (built once per test session)."""
    instance = Instance(
        settings={
            "period_start": "2026-06-15",
            "period_end": "2026-06-26",
            "workshops_per_student": 1,
        },
        schools=[
            {"school_id": "0590001A", "name": "Lycée A", **CENTRE},
            {"school_id": "0620002B", "name": "Lycée B", "commune": "62498"},
        ],
        students=[
            {"student_id": "Q1", "school_id": "0590001A", "qpv": True, "wishes": "health;law"},
            {"student_id": "Q2", "school_id": "0590001A", "qpv": True, "wished_offers": "O2"},
            {"student_id": "N1", "school_id": "0590001A", "wishes": "law"},
            {"student_id": "N2", "school_id": "0620002B"},
            {
                "student_id": "Q3",
                "school_id": "0620002B",
                "qpv": True,
                "age": 15,
                "home_lat": 50.36,
                "home_lon": 3.52,
            },
        ],
        offers=[
            {
                "offer_id": "O1",
                "host_id": "H1",
                "host_name": "Clinique Alpha",
                "sector": "health",
                "capacity": 2,
                "qpv_reserved": 1,
                **CENTRE,
            },
            {
                "offer_id": "O2",
                "host_id": "H1",
                "host_name": "Clinique Alpha",
                "sector": "law",
                "capacity": 1,
                "start": "2026-06-15",
                "end": "2026-06-19",
                **CENTRE,
            },
            {
                "offer_id": "O3",
                "host_id": "H2",
                "host_name": "Cabinet Beta",
                "sector": "law",
                "capacity": 1,
                "start": "2026-06-22",
                "end": "2026-06-26",
                "min_age": 18,
                "commune": "59606",
            },
        ],
        workshop_slots=[
            {
                "slot_id": "S2",
                "workshop_id": "W2",
                "title": "Confidence",
                "association": "Assoc Two",
                "venue": "Museum",
                "date": TUE_W2,
                "part": "DAY",
                "capacity": 2,
                **CENTRE,
            },
            {
                "slot_id": "S1",
                "workshop_id": "W1",
                "title": "Interview skills",
                "association": "Assoc One",
                "venue": "CCI",
                "date": MON_W2,
                "part": "AM",
                "capacity": 3,
                "qpv_reserved": 2,
                **CENTRE,
            },
        ],
        travel_times=[
            {"origin": "Q1", "destination": "O1", "minutes": 20},
            {"origin": "Q2", "destination": "O2", "minutes": 30},
            {"origin": "N1", "destination": "O1", "minutes": 40},
            {"origin": "Q2", "destination": "S1", "minutes": 15},
            {"origin": "Q3", "destination": "S1", "minutes": 5},
            {"origin": "Q3", "destination": "S2", "minutes": 25},
        ],
    )
    plan = Plan(
        [
            ("Q1", "placement", "O1"),
            ("Q2", "placement", "O2"),
            ("Q2", "workshop", "S1"),
            ("N1", "placement", "O1"),
            ("Q3", "workshop", "S1"),
            ("Q3", "workshop", "S2"),
        ]
    )
    return evaluate(instance, plan)


CHROMIUM = next(
    (p for p in (shutil.which("chromium"), shutil.which("chromium-browser")) if p), None
)


def _chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        *extra,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
