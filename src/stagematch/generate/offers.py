"""Hosts and their offers: where people live and work, one- and two-week placements.

A host is drawn first (place, sector, size, rules), then its *positions* (a number of seats for
some weeks), then the offer rows those positions become: a two-week position is one row, a
one-week position is one row in one week, and a position offered "every week" is one row per
week (the SPEC: the same seats offered in two weeks are two rows).

Hosts are placed by two mechanisms, because both exist and because only the first would leave
rural students with nothing in reach: employment follows population more than linearly (big
towns concentrate jobs), and small local employers (the bakery, the town hall, the primary school)
sit where the students themselves live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from ..geo import to_unit_vectors
from .geography import CommuneArrays, FloatArray, Geography, IntArray, jitter
from .sectors import HAZARDOUS, HOST_KINDS, SECTORS, size_class, supply_probabilities
from .students import StudentDraw, make_ids

LOCAL_HOST_SHARE = 0.4  # hosts placed in a student's home commune
WORK_POP_EXPONENT = 1.2  # the others: communes weighted by population^1.2
EXTRA_POSITIONS = (0.6, 0.9, 1.3)  # mean extra positions per host, by commune size class
MAX_EXTRA = 4
POSITION_KIND_P = (0.45, 0.25, 0.30)  # two weeks, one week every week, one week in one week
# Capacity 1..5 by commune size class: a village business takes one student, a city hospital
# or a large firm several.
CAPACITY_P = (
    (0.45, 0.30, 0.13, 0.07, 0.05),
    (0.35, 0.28, 0.18, 0.11, 0.08),
    (0.25, 0.25, 0.20, 0.15, 0.15),
)
BLANK_DATES_SHARE = 0.2  # two-week rows that leave start/end blank (= the whole period)
QPV_RESERVED_SHARE = 0.15
BY_COMMUNE_SHARE = 0.10
NOT_ACCESSIBLE_SHARE = 0.15
MIN_AGE_SHARE = (0.03, 0.25)  # other sectors, hazardous sectors
RESERVED_SCHOOLS_SHARE = 0.02


@dataclass(frozen=True)
class OfferDraw:
    """The offer rows and, for later draws, each row's point (the commune's for commune-only)."""

    rows: list[dict[str, object]]
    lat: FloatArray
    lon: FloatArray
    ids: list[str]


def _host_communes(
    geography: Geography, draw: StudentDraw, count: int, rng: np.random.Generator
) -> IntArray:
    population = geography.communes.population
    work_p = population**WORK_POP_EXPONENT
    work = rng.choice(len(population), size=count, p=work_p / work_p.sum())
    if len(draw) == 0:
        return np.asarray(work, dtype=np.intp)
    local = draw.commune[rng.integers(0, len(draw), size=count)]
    return np.asarray(np.where(rng.random(count) < LOCAL_HOST_SHARE, local, work), np.intp)


@dataclass(frozen=True)
class _Hosts:
    """Drawn hosts (place, sector) and their positions (host, kind, capacity, rows it becomes)."""

    commune: IntArray
    sector: IntArray
    lat: FloatArray
    lon: FloatArray
    position_host: IntArray
    position_kind: IntArray  # 0 two weeks, 1 one week every week, 2 one week in one week
    capacity: IntArray
    rows: IntArray  # offer rows each position becomes

    def __len__(self) -> int:
        return len(self.commune)


def _draw_hosts(
    geography: Geography,
    draw: StudentDraw,
    n_hosts: int,
    n_weeks: int,
    extra: FloatArray,
    rng: np.random.Generator,
) -> _Hosts:
    """``n_hosts`` hosts, then their positions (the draws in this order keep datasets as they
    were for a given seed)."""
    communes = geography.communes
    commune = _host_communes(geography, draw, n_hosts, rng)
    klass = size_class(communes.population[commune])
    supply = supply_probabilities()
    sector = np.empty(n_hosts, dtype=np.intp)
    for c in range(supply.shape[0]):
        members = np.flatnonzero(klass == c)
        sector[members] = rng.choice(len(SECTORS), size=len(members), p=supply[c])
    radius = np.sqrt(communes.area_km2[commune]) / 2.0
    lat, lon = jitter(communes.lat[commune], communes.lon[commune], radius, rng)
    positions = 1 + np.minimum(rng.poisson(extra[klass]), MAX_EXTRA)
    host_of = np.repeat(np.arange(n_hosts), positions)
    kind = rng.choice(3, size=len(host_of), p=POSITION_KIND_P)
    cumulative = np.cumsum(np.asarray(CAPACITY_P), axis=1)[klass[host_of]]
    u = rng.random(len(host_of))[:, None]
    capacity = 1 + np.minimum((u >= cumulative).sum(axis=1), 4)
    rows = np.where(kind == 1, n_weeks, 1)
    return _Hosts(commune, sector, lat, lon, host_of, kind, capacity, rows)


def _enough_hosts(
    geography: Geography,
    draw: StudentDraw,
    n_weeks: int,
    seats: int,
    extra: FloatArray,
    rng: np.random.Generator,
) -> _Hosts:
    """Hosts whose positions hold at least ``seats`` seats: a guess 1.5 times the expected
    need, doubled until it is enough."""
    mean_seats_per_host = (
        (1 + float(np.mean(extra)))
        * (POSITION_KIND_P[0] + POSITION_KIND_P[1] * n_weeks + POSITION_KIND_P[2])
        * float(np.dot(np.arange(1, 6), CAPACITY_P[1]))
    )
    n_hosts = int(np.ceil(1.5 * seats / mean_seats_per_host)) + 5
    while True:
        hosts = _draw_hosts(geography, draw, n_hosts, n_weeks, extra, rng)
        if int(np.sum(hosts.capacity * hosts.rows)) >= seats:
            return hosts
        n_hosts *= 2


@dataclass(frozen=True)
class _HostRules:
    """Per host: located by commune, accessible, ``min_age`` (0: none), lycées it reserves to
    (a count of nearest), and which of its sector's kinds names it."""

    by_commune: npt.NDArray[np.bool_]
    accessible: npt.NDArray[np.bool_]
    min_age: IntArray
    n_reserved: IntArray
    kind_pick: FloatArray

    @classmethod
    def draw(cls, sector: IntArray, rng: np.random.Generator) -> _HostRules:
        """Drawn for every host, so that the stream does not depend on where rows are cut."""
        n_hosts = len(sector)
        by_commune = rng.random(n_hosts) < BY_COMMUNE_SHARE
        accessible = rng.random(n_hosts) >= NOT_ACCESSIBLE_SHARE
        hazardous = np.isin(np.asarray(SECTORS)[sector], list(HAZARDOUS))
        min_age = np.where(
            rng.random(n_hosts) < np.where(hazardous, MIN_AGE_SHARE[1], MIN_AGE_SHARE[0]),
            np.where(rng.random(n_hosts) < 0.8, 15, 16),
            0,
        )
        n_reserved = np.where(rng.random(n_hosts) < RESERVED_SCHOOLS_SHARE, rng.integers(1, 3), 0)
        return cls(by_commune, accessible, min_age, n_reserved, rng.random(n_hosts))


def _host_fields(
    hosts: _Hosts, rules: _HostRules, communes: CommuneArrays, nearest_schools: list[list[str]]
) -> list[tuple[dict[str, object], dict[str, object]]]:
    """The columns an offer row takes from its host, for each kept host (one per entry of
    ``nearest_schools``, its nearest lycées): those before ``capacity`` and those after the
    dates, so that every row keeps the column order of the tables."""
    host_ids = make_ids("H", len(nearest_schools))
    lat, lon = hosts.lat.tolist(), hosts.lon.tolist()
    code = communes.code[hosts.commune].tolist()
    out = []
    for h, schools in enumerate(nearest_schools):
        sector = SECTORS[hosts.sector[h]]
        kinds = HOST_KINDS[sector]
        name = f"{kinds[int(rules.kind_pick[h] * len(kinds))]}, {communes.name[hosts.commune[h]]}"
        before: dict[str, object] = {"host_id": host_ids[h], "host_name": name, "sector": sector}
        if rules.by_commune[h]:
            before["commune"] = code[h]
        else:
            before["lat"], before["lon"] = lat[h], lon[h]
        after: dict[str, object] = {}
        if rules.n_reserved[h]:
            after["reserved_schools"] = schools[: rules.n_reserved[h]]
        after["accessible"] = bool(rules.accessible[h])
        if rules.min_age[h]:
            after["min_age"] = int(rules.min_age[h])
        out.append((before, after))
    return out


def offer_rows(
    geography: Geography,
    draw: StudentDraw,
    school_ids: list[str],
    school_lat: FloatArray,
    school_lon: FloatArray,
    weeks: list[tuple[date, date]],
    seats: int,
    rng: np.random.Generator,
    host_size: float = 1.0,
) -> OfferDraw:
    """Offer rows whose capacities add up to ``seats`` (the last host may be cut short).

    ``weeks`` are the (first, last) working day of each week of the period. ``school_*`` are the
    instance's schools: a few hosts reserve their offers to the one or two nearest lycées (a
    partnership), which must exist in the ``schools`` table. ``host_size`` scales the mean number
    of extra positions per host (below 1: more, smaller hosts).
    """
    communes = geography.communes
    seats = max(int(seats), 1)
    hosts = _enough_hosts(
        geography, draw, len(weeks), seats, host_size * np.asarray(EXTRA_POSITIONS), rng
    )
    capacity = hosts.capacity
    reserved = np.where(
        rng.random(len(capacity)) < QPV_RESERVED_SHARE, rng.integers(1, capacity + 1), 0
    )
    one_week = rng.integers(0, len(weeks), size=len(capacity))
    blank = rng.random(len(capacity)) < BLANK_DATES_SHARE
    # ---- rows, cut when the capacities reach the target
    position = np.repeat(np.arange(len(capacity)), hosts.rows)
    first_row = np.cumsum(hosts.rows) - hosts.rows
    week_in_position = np.arange(len(position)) - first_row[position]
    cut = int(np.searchsorted(np.cumsum(capacity[position]), seats)) + 1
    position, week_in_position = position[:cut], week_in_position[:cut]
    row_kind = hosts.position_kind[position]
    week = np.where(row_kind == 1, week_in_position, one_week[position])
    host = hosts.position_host[position]
    n_kept_hosts = int(host.max()) + 1  # rows are in host order: hosts 0..max are kept
    rules = _HostRules.draw(hosts.sector, rng)
    k = min(2, len(school_ids))
    _, nearest = cKDTree(to_unit_vectors(school_lat, school_lon)).query(
        to_unit_vectors(hosts.lat[:n_kept_hosts], hosts.lon[:n_kept_hosts]), k=k
    )
    nearest = np.asarray(nearest).reshape(n_kept_hosts, k)
    fields = _host_fields(
        hosts, rules, communes, [[school_ids[j] for j in near] for near in nearest]
    )
    offer_ids = make_ids("O", len(position))
    week_text = [(a.isoformat(), b.isoformat()) for a, b in weeks]
    period = (weeks[0][0].isoformat(), weeks[-1][1].isoformat())
    rows: list[dict[str, object]] = []
    for r in range(len(position)):
        h, p = int(host[r]), int(position[r])
        before, after = fields[h]
        row: dict[str, object] = {"offer_id": offer_ids[r], **before}
        row["capacity"] = int(capacity[p])
        if row_kind[r] == 0:
            if not blank[p]:
                row["start"], row["end"] = period
        else:
            row["start"], row["end"] = week_text[week[r]]
        if reserved[p]:
            row["qpv_reserved"] = int(reserved[p])
        row.update({key: list(v) if isinstance(v, list) else v for key, v in after.items()})
        rows.append(row)
    point_lat = np.where(rules.by_commune, communes.lat[hosts.commune], hosts.lat)[host]
    point_lon = np.where(rules.by_commune, communes.lon[hosts.commune], hosts.lon)[host]
    return OfferDraw(rows, point_lat, point_lon, offer_ids)


def wished_offer_lists(
    draw: StudentDraw, offers: OfferDraw, share: float, rng: np.random.Generator
) -> list[list[str]]:
    """For about ``share`` of students, one or two of the 20 offers nearest their home.

    A student who names an offer usually heard of it locally (a relative, a neighbour's shop),
    hence nearby, and not necessarily in a wished sector.
    """
    n = len(draw)
    out: list[list[str]] = [[] for _ in range(n)]
    if n == 0 or not offers.ids:
        return out
    chosen = np.flatnonzero(rng.random(n) < share)
    if len(chosen) == 0:
        return out
    k = min(20, len(offers.ids))
    _, near = cKDTree(to_unit_vectors(offers.lat, offers.lon)).query(
        to_unit_vectors(draw.lat[chosen], draw.lon[chosen]), k=k
    )
    near = np.asarray(near).reshape(len(chosen), k)
    count = np.minimum(rng.integers(1, 3, size=len(chosen)), k)
    keys = rng.random((len(chosen), k))
    picks = np.argsort(keys, axis=1)
    for row, (i, c) in enumerate(zip(chosen.tolist(), count.tolist(), strict=True)):
        out[i] = [offers.ids[j] for j in near[row, picks[row, :c]]]
    return out
