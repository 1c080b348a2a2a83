"""Students: which lycée, where they live, whether they live in a QPV, what they ask for.

All attributes are drawn as columns for the whole population at once; only the final row dicts
are built per student.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .geography import (
    BoolArray,
    FloatArray,
    Geography,
    IntArray,
    calibrate_intercept,
    home_communes,
    jitter,
    qpv_propensity,
    sigmoid,
)
from .sectors import SECTORS, wish_probabilities

# Relative number of seconde students a lycée takes: private lycées and LPO (which also teach
# vocational classes) are smaller; a log-normal factor spreads sizes around that.
PRIVATE_SIZE = 0.55
LPO_SIZE = 0.8
SIZE_SPREAD = 0.25

# Pilot: candidates are drawn POOL_FACTOR × n at a time and kept when drawn QPV, with the
# intercept calibrated so that POOL_QPV_SHARE of the pool would be QPV (the most QPV-like homes).
POOL_FACTOR = 20
POOL_QPV_SHARE = 0.15

HOME_BY_POINT, HOME_BY_COMMUNE = 0.93, 0.05  # the rest gives no home: travel from the school
MODES: tuple[str, ...] = ("walk", "bike", "transit", "car")
OWN_LIMITS: tuple[float, ...] = (30, 40, 60)
OWN_LIMIT_P: tuple[float, ...] = (0.3, 0.3, 0.4)
OWN_LIMIT_SHARE = 0.07
WISH_COUNT_P: tuple[float, ...] = (0.03, 0.2, 0.33, 0.44)  # 0, 1, 2 or 3 wishes
AGES: tuple[int, ...] = (14, 15, 16)
AGE_P: tuple[float, ...] = (0.04, 0.6, 0.33)  # the remaining 3 % leave the age blank
ACCESSIBILITY_SHARE = 0.015
NO_SPLIT_SHARE = 0.08
UNAVAILABLE_SHARE = 0.04
WISHED_OFFERS_SHARE = 0.06


@dataclass(frozen=True)
class StudentDraw:
    """The drawn population, grouped by lycée: lycée and commune indices, home point, QPV flag."""

    lycee: IntArray
    commune: IntArray
    lat: FloatArray
    lon: FloatArray
    qpv: BoolArray

    def __len__(self) -> int:
        return len(self.lycee)


def lycee_counts(
    geography: Geography, n: int, rng: np.random.Generator, low_ips_bias: float = 0.0
) -> IntArray:
    """How many of ``n`` students each lycée gets (multinomial on a size proxy).

    The shipped tables have no enrolment, so a lycée's size is a proxy: public LEGT largest.
    ``low_ips_bias`` > 0 favours low-IPS lycées (a QPV programme recruits there).
    """
    lycees = geography.lycees
    weight = np.where(lycees.public, 1.0, PRIVATE_SIZE) * np.where(
        lycees.kind == "LPO", LPO_SIZE, 1.0
    )
    weight = weight * rng.lognormal(0.0, SIZE_SPREAD, len(lycees))
    weight = weight * np.exp(low_ips_bias * (100.0 - lycees.ips) / 10.0)
    return np.asarray(rng.multinomial(n, weight / weight.sum()), dtype=np.intp)


def _draw_homes(
    geography: Geography, counts: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    lycee, commune = home_communes(geography, counts, rng)
    radius = np.sqrt(geography.communes.area_km2[commune]) / 2.0
    lat, lon = jitter(geography.communes.lat[commune], geography.communes.lon[commune], radius, rng)
    return lycee, commune, lat, lon


def draw_population(
    geography: Geography, n: int, qpv_share: float, rng: np.random.Generator
) -> StudentDraw:
    """``n`` students with homes near their lycée and a QPV share of about ``qpv_share``."""
    counts = lycee_counts(geography, n, rng)
    lycee, commune, lat, lon = _draw_homes(geography, counts, rng)
    score = qpv_propensity(geography, lat, lon, commune, lycee)
    p = sigmoid(calibrate_intercept(score, qpv_share) + score)
    qpv = rng.random(len(p)) < p
    return StudentDraw(lycee, commune, lat, lon, qpv)


def draw_qpv_only(
    geography: Geography,
    quotas: list[int],
    group: IntArray,
    rng: np.random.Generator,
) -> StudentDraw:
    """QPV students only (the pilot): ``quotas[g]`` from the lycées with ``group == g``.

    Candidates are drawn as a larger population and kept when drawn QPV. Rejection keeps the
    geography honest: the pilot's students live where QPV students of these lycées would (near
    REP collèges, in poorer communes), not uniformly around the lycée. Quotas keep the pilot's
    two towns balanced, as a coordinator recruiting in both would.
    """
    n = sum(quotas)
    size = max(POOL_FACTOR * n, 200)
    while True:
        counts = lycee_counts(geography, size, rng, low_ips_bias=0.5)
        lycee, commune, lat, lon = _draw_homes(geography, counts, rng)
        score = qpv_propensity(geography, lat, lon, commune, lycee)
        p = sigmoid(calibrate_intercept(score, POOL_QPV_SHARE) + score)
        order = rng.permutation(len(p))
        accepted = order[(rng.random(len(p)) < p)[order]]
        picked = [accepted[group[lycee[accepted]] == g][:q] for g, q in enumerate(quotas)]
        if all(len(k) == q for k, q in zip(picked, quotas, strict=True)):
            break
        size *= 2
    kept = np.sort(np.concatenate(picked))  # back to grouping by lycée
    return StudentDraw(lycee[kept], commune[kept], lat[kept], lon[kept], np.ones(n, dtype=np.bool_))


def top_k_sectors(counts: IntArray, p: FloatArray, rng: np.random.Generator) -> list[list[str]]:
    """Ranked sector lists of the given lengths, sampled without replacement with weights ``p``.

    Gumbel top-k: adding Gumbel noise to log-weights and sorting is the same as successive
    weighted draws without replacement, and is one vectorised sort for everyone.
    """
    keys = np.log(p)[None, :] + rng.gumbel(size=(len(counts), len(p)))
    order = np.argsort(-keys, axis=1)[:, : int(counts.max(initial=0))]
    names = np.asarray(SECTORS, dtype=object)[order]
    return [row[:k].tolist() for row, k in zip(names, counts.tolist(), strict=True)]


def student_rows(
    geography: Geography,
    draw: StudentDraw,
    working_days: tuple[date, ...],
    wished: list[list[str]],
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    """The ``students`` rows (plain dicts, blanks left out) for a drawn population.

    ``wished`` holds each student's ``wished_offers`` (usually empty), drawn by the caller once
    offers exist.
    """
    n = len(draw)
    communes = geography.communes
    urban = communes.population[draw.commune] >= 20_000
    # Walking is an option in towns; otherwise public transport, sometimes a lift by car.
    p_walk = np.where(urban, 0.14, 0.04)
    p_bike, p_car = 0.05, 0.12
    u = rng.random(n)
    mode_index = np.where(
        u < p_walk, 0, np.where(u < p_walk + p_bike, 1, np.where(u < p_walk + p_bike + p_car, 3, 2))
    )
    where = rng.random(n)
    by_point = where < HOME_BY_POINT
    by_commune = (where >= HOME_BY_POINT) & (where < HOME_BY_POINT + HOME_BY_COMMUNE)
    own_limit = np.where(
        rng.random(n) < OWN_LIMIT_SHARE,
        rng.choice(np.asarray(OWN_LIMITS), size=n, p=OWN_LIMIT_P),
        0,
    )
    wish_counts = rng.choice(len(WISH_COUNT_P), size=n, p=WISH_COUNT_P)
    wishes = top_k_sectors(wish_counts, wish_probabilities(), rng)
    accessibility = rng.random(n) < ACCESSIBILITY_SHARE
    age_draw = rng.random(n)
    age_index = np.searchsorted(np.cumsum(AGE_P), age_draw, side="right")
    split_ok = rng.random(n) >= NO_SPLIT_SHARE
    unavailable_count = np.where(rng.random(n) < UNAVAILABLE_SHARE, rng.integers(1, 3, size=n), 0)
    day_keys = rng.random((n, len(working_days)))
    days = np.asarray([d.isoformat() for d in working_days], dtype=object)

    ids = make_ids("S", n)
    school = geography.lycees.uai[draw.lycee].tolist()
    lat, lon = draw.lat.tolist(), draw.lon.tolist()
    commune_code = communes.code[draw.commune].tolist()
    rows: list[dict[str, object]] = []
    for i in range(n):
        row: dict[str, object] = {"student_id": ids[i], "school_id": school[i]}
        row["qpv"] = bool(draw.qpv[i])
        if by_point[i]:
            row["home_lat"], row["home_lon"] = lat[i], lon[i]
        elif by_commune[i]:
            row["home_commune"] = commune_code[i]
        if own_limit[i]:
            row["max_travel_min"] = int(own_limit[i])
        row["mode"] = MODES[mode_index[i]]
        if wishes[i]:
            row["wishes"] = wishes[i]
        if wished[i]:
            row["wished_offers"] = wished[i]
        if accessibility[i]:
            row["needs_accessibility"] = True
        if age_index[i] < len(AGES):
            row["age"] = AGES[age_index[i]]
        row["split_ok"] = bool(split_ok[i])
        if unavailable_count[i]:
            picked = np.sort(np.argsort(day_keys[i])[: unavailable_count[i]])
            row["unavailable"] = days[picked].tolist()
        rows.append(row)
    return rows


def make_ids(prefix: str, n: int, width: int = 6) -> list[str]:
    """``S000001``-style ids: at least ``width`` digits, more when ``n`` needs them."""
    width = max(width, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]
