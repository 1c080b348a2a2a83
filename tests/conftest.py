"""Shared test configuration: hypothesis profiles and tiny named instances.

Profiles (choose with ``HYPOTHESIS_PROFILE=...``; ``default`` otherwise):

``default``
    50 examples per property, no deadline (the first call of a test pays for loading the
    communes table, which a deadline would wrongly blame on the example);
``ci``
    100 examples, derandomised so a CI failure reproduces;
``dev``
    10 examples, for a quick loop while editing;
``thorough``
    1,000 examples, to run by hand before a release.

The named instances are hand-made and small enough to reason about in one's head; each one
isolates a situation the SPEC cares about. Build more with :func:`strategies.make_instance`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from stagematch.model import Instance

# ``from strategies import ...`` and ``from bruteforce import ...`` work whatever the import mode.
sys.path.insert(0, str(Path(__file__).parent))

from strategies import WEEK_1, WEEK_2, make_instance

for name, examples in (("default", 50), ("ci", 100), ("dev", 10), ("thorough", 1000)):
    settings.register_profile(
        name,
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        derandomize=name == "ci",
        print_blob=name == "ci",
    )
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts in an English environment, whatever the developer's locale: tests of
    French output choose French themselves (``--lang fr``, ``lang=``, or ``LANG``)."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def two_students_one_seat() -> Instance:
    """One seat, two students who can both take it: ``Q`` (QPV) and ``N`` (not).

    The optimum gives the seat to ``Q`` (``qpv_placed`` comes first); either choice is valid.
    """
    return make_instance(
        students=[
            {"student_id": "Q", "qpv": True},
            {"student_id": "N", "qpv": False},
        ],
        offers=[{"offer_id": "O1", "capacity": 1}],
    )


@pytest.fixture
def reserved_seat() -> Instance:
    """An offer with 2 seats, 1 reserved for QPV students, and two non-QPV students.

    Only one of ``N1``, ``N2`` may be placed: the other seat is held for a QPV student even
    though none is there.
    """
    return make_instance(
        students=[{"student_id": "N1"}, {"student_id": "N2"}],
        offers=[{"offer_id": "O1", "capacity": 2, "qpv_reserved": 1}],
    )


@pytest.fixture
def split_weeks() -> Instance:
    """Two one-week offers (``A`` in week 1, ``B`` in week 2) and a two-week one (``AB``).

    Student ``S`` (split allowed) can do ``A`` + ``B`` or ``AB``: both cover all 20
    half-days. ``S`` wishes ``A`` first and ``B`` second, so ``A`` + ``B`` costs 0 + 1 while
    ``AB`` (sector ``law``, not wished) costs the unranked cost. ``T`` may not split.
    """
    return make_instance(
        students=[
            {"student_id": "S", "wished_offers": "A;B"},
            {"student_id": "T", "split_ok": False},
        ],
        offers=[
            {"offer_id": "A", "start": WEEK_1[0], "end": WEEK_1[1]},
            {"offer_id": "B", "start": WEEK_2[0], "end": WEEK_2[1]},
            {"offer_id": "AB", "sector": "law"},
        ],
    )


@pytest.fixture
def workshop_week() -> Instance:
    """A one-week placement, a two-week placement, and a workshop session in week 2.

    With ``workshops_per_student = 1`` the optimum for the single student ``S`` is the
    one-week placement plus the workshop (workshops rank above coverage), not two weeks.
    """
    return make_instance(
        students=[{"student_id": "S"}],
        offers=[
            {"offer_id": "WEEK", "start": WEEK_1[0], "end": WEEK_1[1]},
            {"offer_id": "TWO"},
        ],
        slots=[{"slot_id": "S1", "date": WEEK_2[0], "part": "DAY"}],
        settings={"workshops_per_student": 1},
    )
