"""Travel minutes and reachable pairs against independent recomputations: a direct haversine and
speed model written with :mod:`math`, and the checker's own ``travel_minutes`` (overrides
included) pair by pair; the reach radius never loses a reachable pair and grows with the limit."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import CENTRE, instances, make_instance

from stagematch.arrays import MODE_CODES
from stagematch.check import MODE_SPEEDS, travel_minutes
from stagematch.geo import chord_to_km, great_circle_km
from stagematch.model import Instance
from stagematch.rows import ITEM_KINDS, ItemKind
from stagematch.travel import (
    Pairs,
    chord_minutes,
    estimate_minutes,
    minutes_for,
    nearest_item,
    reach_km,
    reachable,
)

MODES = list(MODE_CODES)
latitudes = st.floats(42.0, 51.0)
longitudes = st.floats(-4.5, 8.0)
limits = st.floats(0.0, 240.0)


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def _raw_minutes(km: float, mode: str) -> float:
    speed, overhead = MODE_SPEEDS[mode]
    return overhead + 60 * 1.3 * km / speed


@given(latitudes, longitudes, latitudes, longitudes, st.sampled_from(MODES))
def test_estimate_is_the_spec_formula_on_the_haversine_distance(
    lat1: float, lon1: float, lat2: float, lon2: float, mode: str
) -> None:
    raw = _raw_minutes(_haversine_km(lat1, lon1, lat2, lon2), mode)
    # Two ways of rounding the same float may differ in the last bit: skip exact halves.
    assume(abs(raw + 0.5 - round(raw + 0.5)) > 1e-6)
    km = great_circle_km(lat1, lon1, lat2, lon2)
    assert float(estimate_minutes(km, MODE_CODES[mode])) == math.floor(raw + 0.5)


@given(limits, st.sampled_from(MODES), st.floats(0.0, 200.0))
def test_reach_radius_holds_every_distance_within_the_limit(
    limit: float, mode: str, km: float
) -> None:
    code = MODE_CODES[mode]
    if float(estimate_minutes(np.float64(km), code)) <= limit:
        assert km <= float(reach_km(limit, code))
    # ...and is not far off: a whole minute beyond the limit is beyond the radius.
    speed, _ = MODE_SPEEDS[mode]
    beyond = float(reach_km(limit, code)) + speed / (60 * 1.3) + 1e-3
    assert float(estimate_minutes(np.float64(beyond), code)) > limit


@given(st.lists(limits, min_size=2, max_size=20), st.lists(st.sampled_from(MODES), min_size=1))
def test_reach_grows_with_the_limit_and_is_vectorised(
    values: list[float], modes: list[str]
) -> None:
    for mode in modes:
        code = MODE_CODES[mode]
        ordered = np.sort(np.asarray(values))
        reach = reach_km(ordered, np.full(len(ordered), code))
        assert np.all(np.diff(reach) >= 0)
        assert reach.tolist() == [float(reach_km(v, code)) for v in ordered]


def _every_minute(instance: Instance, kind: ItemKind) -> dict[tuple[int, int], float]:
    items = instance.offers if kind == "placement" else instance.workshop_slots
    return {
        (s, i): travel_minutes(instance, student, item)
        for s, student in enumerate(instance.students)
        for i, item in enumerate(items)
    }


def _limit(instance: Instance, s: int, kind: ItemKind) -> float:
    if kind == "workshop":
        return instance.settings.workshop_max_travel_min
    limit = instance.students[s].max_travel_min
    return instance.settings.default_max_travel_min if limit is None else limit


@settings(max_examples=150, deadline=None)
@given(instances(max_students=6, max_offers=5, max_slots=4), st.sampled_from(ITEM_KINDS))
def test_reachable_and_minutes_match_the_checker_pair_by_pair(
    instance: Instance, kind: ItemKind
) -> None:
    expected = _every_minute(instance, kind)
    if expected:
        s, i = map(np.array, zip(*expected, strict=True))
        got = minutes_for(instance, kind, s, i)
        assert got.tolist() == list(expected.values())
    pairs = reachable(instance, kind)
    listed = {
        (int(s), int(i)): float(m)
        for s, i, m in zip(pairs.student, pairs.item, pairs.minutes, strict=True)
    }
    within = {p: m for p, m in expected.items() if m <= _limit(instance, p[0], kind)}
    assert listed == within
    # A subset of students gets exactly their own pairs.
    some = np.arange(0, len(instance.students), 2)
    subset = reachable(instance, kind, students=some)
    assert {(int(s), int(i)) for s, i in zip(subset.student, subset.item, strict=True)} == {
        p for p in within if p[0] in set(some.tolist())
    }


@settings(max_examples=100, deadline=None)
@given(instances(max_students=5, max_offers=5, max_slots=0), st.sampled_from([20, 45, 90]))
def test_a_longer_limit_never_loses_a_pair(instance: Instance, limit: float) -> None:
    def with_limit(value: float) -> Instance:
        students = [s.model_copy(update={"max_travel_min": value}) for s in instance.students]
        return Instance(
            settings=instance.settings,
            schools=instance.schools,
            students=students,
            offers=instance.offers,
            workshop_slots=instance.workshop_slots,
            travel_times=instance.travel_times,
        )

    def pairs_of(value: float) -> set[tuple[int, int]]:
        got = reachable(with_limit(value))
        return set(zip(got.student.tolist(), got.item.tolist(), strict=True))

    assert pairs_of(limit) <= pairs_of(limit + 15)


def test_overrides_win_both_ways() -> None:
    far = (CENTRE[0] + 0.5, CENTRE[1])  # ~55 km north: far beyond 45 minutes by transit
    instance = make_instance(
        students=[{"student_id": "E1", "max_travel_min": 45, "mode": "transit"}],
        offers=[
            {"offer_id": "NEAR", "lat": CENTRE[0], "lon": CENTRE[1]},
            {"offer_id": "FAR", "lat": far[0], "lon": far[1]},
            {"offer_id": "OTHER", "lat": CENTRE[0], "lon": CENTRE[1] + 0.01},
        ],
        travel_times=[
            {"origin": "E1", "destination": "NEAR", "minutes": 120},
            {"origin": "E1", "destination": "FAR", "minutes": 12.5},
        ],
    )
    pairs = reachable(instance)
    assert dict(zip(pairs.item.tolist(), pairs.minutes.tolist(), strict=True)) == {1: 12.5, 2: 13.0}
    assert minutes_for(instance, "placement", np.zeros(3, np.int64), np.arange(3)).tolist() == [
        120.0,
        12.5,
        13.0,
    ]
    # The override makes the far offer the nearest in time.
    best, minutes = nearest_item(instance, "placement", np.zeros(1, np.int64))
    assert (best.tolist(), minutes.tolist()) == ([1], [12.5])


@settings(max_examples=100, deadline=None)
@given(instances(max_students=6, max_offers=5, max_slots=4), st.sampled_from(ITEM_KINDS))
def test_nearest_item_is_the_fewest_minutes_lowest_row_first(
    instance: Instance, kind: ItemKind
) -> None:
    expected = _every_minute(instance, kind)
    students = np.arange(len(instance.students))
    best, minutes = nearest_item(instance, kind, students)
    for s in students.tolist():
        mine = sorted((m, i) for (t, i), m in expected.items() if t == s)
        if not mine:
            assert best[s] == -1
        else:
            assert (int(best[s]), float(minutes[s])) == (mine[0][1], mine[0][0])


@settings(max_examples=60, deadline=None)
@given(instances(max_students=8, max_offers=6), st.sampled_from(["placement", "workshop"]))
def test_filtering_while_listing_gives_the_pairs_of_filtering_afterwards(
    instance: Instance, kind: ItemKind
) -> None:
    """``keep`` drops pairs as they are found (to save memory): the same pairs, in the same
    order, as the whole list filtered at the end, overrides included."""

    def keep(pairs: Pairs) -> np.ndarray:
        return np.asarray((pairs.student.astype(np.int64) * 7 + pairs.item * 3) % 3 != 0)

    everything = reachable(instance, kind)
    expected = everything.select(keep(everything))
    found = reachable(instance, kind, keep=keep)
    for name in ("student", "item", "minutes"):
        assert getattr(found, name).tolist() == getattr(expected, name).tolist()
        assert getattr(found, name).dtype == getattr(expected, name).dtype


@given(st.lists(st.floats(0.0, 2.5), max_size=50), st.sampled_from(range(len(MODES))))
def test_chord_minutes_are_the_estimate_of_the_chords_distance_bit_for_bit(
    chords: list[float], mode: int
) -> None:
    chord = np.array(chords, dtype=np.float64)
    expected = estimate_minutes(chord_to_km(chord), mode)
    assert chord_minutes(chord, mode).tobytes() == expected.tobytes()
