"""The real geography the synthetic datasets stand on, and the draws made on it.

Everything here is column arrays (numpy) so that drawing 550,000 homes costs a few KD-tree
queries, not a Python loop per student. Sources are the files of ``stagematch/data/geo`` (see
its README): communes with population and unemployment, public collèges with their REP/REP+
flag, and lycées with their type and IPS.

No map of the QPV perimeters is available offline, so "lives in a QPV" is drawn from a logistic
propensity built on the stand-ins the README suggests: closeness to a REP/REP+ collège (the
éducation prioritaire map is drawn around QPVs), the commune's unemployment rate, the lycée's IPS
and the size of the commune (QPVs are urban). The intercept is then calibrated so the expected
share matches the family's target.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from ..geo import (
    EARTH_RADIUS_KM,
    chord_to_km,
    data_file,
    great_circle_km,
    km_to_chord,
    to_unit_vectors,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

KM_PER_DEGREE = np.pi * EARTH_RADIUS_KM / 180.0

# Home draw: communes within HOME_RADIUS_KM of the lycée, weighted population^HOME_POP_EXPONENT
# × exp(-d / HOME_DECAY_KM). The exponent below 1 keeps the big city from taking every student
# of a suburban lycée; the decay reflects the sectorisation of public lycées.
HOME_RADIUS_KM = 20.0
HOME_DECAY_KM = 6.0
HOME_POP_EXPONENT = 0.9

# QPV propensity (logit scale, before the calibrated intercept).
REP_DECAY_KM = 0.8
REP_SEARCH_KM = 4.0
REP_PLUS_WEIGHT = 1.5
QPV_COEF_REP = 2.8
QPV_COEF_UNEMPLOYMENT = 0.5  # per standard deviation of the 59/62 commune unemployment rate
QPV_COEF_IPS = 0.05  # per IPS point below 100
QPV_COEF_URBAN = 0.35  # per factor 10 of commune population above 10,000


@dataclass(frozen=True)
class CommuneArrays:
    """Communes as columns: code, name, point, population, area, unemployment rate (NaN unknown)."""

    code: ObjectArray
    name: ObjectArray
    lat: FloatArray
    lon: FloatArray
    population: FloatArray
    area_km2: FloatArray
    unemployment: FloatArray

    def __len__(self) -> int:
        return len(self.code)

    def take(self, index: IntArray) -> CommuneArrays:
        """The communes at ``index``, in that order."""
        return CommuneArrays(*(getattr(self, f)[index] for f in CommuneArrays.__dataclass_fields__))


@dataclass(frozen=True)
class LyceeArrays:
    """Lycées (LEGT and LPO only: *seconde générale et technologique* is never taught in an LP)."""

    uai: ObjectArray
    name: ObjectArray
    kind: ObjectArray  # "LEGT" or "LPO"
    public: BoolArray
    ips: FloatArray
    lat: FloatArray
    lon: FloatArray

    def __len__(self) -> int:
        return len(self.uai)

    def take(self, index: IntArray) -> LyceeArrays:
        """The lycées at ``index``, in that order."""
        return LyceeArrays(*(getattr(self, f)[index] for f in LyceeArrays.__dataclass_fields__))


@dataclass(frozen=True)
class Geography:
    """What a family is built on: its communes, its lycées and the REP/REP+ collèges near them."""

    communes: CommuneArrays
    lycees: LyceeArrays
    rep_lat: FloatArray
    rep_lon: FloatArray
    rep_weight: FloatArray  # 1 for REP, REP_PLUS_WEIGHT for REP+

    @property
    def commune_tree(self) -> cKDTree:
        return _tree(self.communes.lat, self.communes.lon)


def _tree(lat: FloatArray, lon: FloatArray) -> cKDTree:
    return cKDTree(to_unit_vectors(lat, lon))


# --------------------------------------------------------------------------------------------
# Loading the shipped tables


def _read(name: str, **kwargs: object) -> pd.DataFrame:
    with data_file(name) as handle:
        return pd.read_csv(handle, **kwargs)  # type: ignore[call-overload]


def _communes_frame(name: str) -> pd.DataFrame:
    table = _read(name, dtype={"insee_com": str, "dep": str, "reg": str, "codes_postaux": str})
    return table[np.isfinite(table["lat"]) & np.isfinite(table["lon"])].reset_index(drop=True)


def _commune_arrays(table: pd.DataFrame, unemployment: pd.Series) -> CommuneArrays:
    area = table["superficie_km2"].to_numpy(np.float64)
    area = np.where(np.isfinite(area) & (area > 0), area, np.nanmedian(area))
    return CommuneArrays(
        code=table["insee_com"].to_numpy(object),
        name=table["nom"].to_numpy(object),
        lat=table["lat"].to_numpy(np.float64),
        lon=table["lon"].to_numpy(np.float64),
        population=np.maximum(table["population_2021"].to_numpy(np.float64), 1.0),
        area_km2=area,
        unemployment=table["insee_com"].map(unemployment).to_numpy(np.float64),
    )


@cache
def _unemployment_59_62() -> pd.Series:
    table = _read("geo/communes_59_62.csv", dtype={"insee_com": str})
    active = table["pop_15_64_active_2021"].to_numpy(np.float64)
    jobless = table["pop_15_64_chomage_2021"].to_numpy(np.float64)
    rate = np.where(active > 0, jobless / np.maximum(active, 1.0), np.nan)
    return pd.Series(rate, index=table["insee_com"])


def _lycee_arrays(table: pd.DataFrame, names: pd.Series) -> LyceeArrays:
    table = table[
        table["type_de_lycee"].isin(["LEGT", "LPO"])
        & np.isfinite(table["lat"])
        & np.isfinite(table["lon"])
    ].reset_index(drop=True)
    public = (table["secteur"] == "public").to_numpy(bool)
    mapped = table["insee_com"].map(names)
    town = mapped.where(mapped.notna(), table["commune"].str.title()).to_numpy(object)
    kind = table["type_de_lycee"].to_numpy(object)
    # Descriptive names only: real lycées are often named after people, and a synthetic
    # dataset carries no personal names. The UAI identifies the real establishment.
    label = np.where(kind == "LEGT", "Lycée général et technologique", "Lycée polyvalent")
    status = np.where(public, "public", "privé")
    name = np.array([f"{a} {b}, {c}" for a, b, c in zip(label, status, town, strict=True)], object)
    ips = table["ips_2021_2022"].to_numpy(np.float64)
    return LyceeArrays(
        uai=table["uai"].to_numpy(object),
        name=name,
        kind=kind,
        public=public,
        ips=np.where(np.isfinite(ips), ips, 100.0),
        lat=table["lat"].to_numpy(np.float64),
        lon=table["lon"].to_numpy(np.float64),
    )


@cache
def _rep_colleges() -> tuple[FloatArray, FloatArray, FloatArray]:
    table = _read("geo/etablissements_publics_2nd_degre_59_62.csv", dtype={"uai": str})
    rep = table[(table["categorie"] == "college") & table["education_prioritaire"].ne("NON")]
    weight = np.where(rep["education_prioritaire"] == "REP+", REP_PLUS_WEIGHT, 1.0)
    return rep["lat"].to_numpy(np.float64), rep["lon"].to_numpy(np.float64), weight


def rep_colleges() -> tuple[FloatArray, FloatArray, FloatArray]:
    """Latitude, longitude and weight (1 REP, 1.5 REP+) of the éducation-prioritaire collèges.

    Only Nord and Pas-de-Calais are covered by the shipped data; elsewhere the QPV propensity
    rests on IPS and town size alone.
    """
    lat, lon, weight = _rep_colleges()
    return lat.copy(), lon.copy(), weight.copy()


@cache
def academie_geography() -> Geography:
    """Nord and Pas-de-Calais: 1,538 communes with unemployment, their LEGT/LPO lycées."""
    table = _communes_frame("geo/communes_59_62.csv")
    communes = _commune_arrays(table, _unemployment_59_62())
    names = pd.Series(communes.name, index=communes.code)
    lycees = _lycee_arrays(
        _read("geo/lycees_59_62.csv", dtype={"uai": str, "insee_com": str, "dep": str}), names
    )
    return Geography(communes, lycees, *_rep_colleges())


@cache
def national_geography() -> Geography:
    """All of France: every commune with a point, every LEGT/LPO lycée with a point."""
    table = _communes_frame("geo/communes_france.csv.gz")
    communes = _commune_arrays(table, _unemployment_59_62())
    names = pd.Series(communes.name, index=communes.code)
    lycees = _lycee_arrays(
        _read(
            "geo/lycees_ips_france_2021.csv.gz", dtype={"uai": str, "insee_com": str, "dep": str}
        ),
        names,
    )
    return Geography(communes, lycees, *_rep_colleges())


def restrict(
    geography: Geography,
    centres: Sequence[tuple[float, float]],
    lycee_radius_km: float,
    commune_radius_km: float,
    public_only: bool = False,
) -> Geography:
    """The lycées within ``lycee_radius_km`` of any centre, and the communes around them.

    Communes are kept within ``commune_radius_km`` of a kept lycée: homes are drawn from them
    and local hosts are placed in them.
    """
    lycees = geography.lycees
    c_lat = np.array([c[0] for c in centres])
    c_lon = np.array([c[1] for c in centres])
    d = great_circle_km(lycees.lat[:, None], lycees.lon[:, None], c_lat[None, :], c_lon[None, :])
    keep = d.min(axis=1) <= lycee_radius_km
    if public_only:
        keep &= lycees.public
    lycees = lycees.take(np.flatnonzero(keep))
    near = _tree(geography.communes.lat, geography.communes.lon).query_ball_point(
        to_unit_vectors(lycees.lat, lycees.lon), km_to_chord(commune_radius_km)
    )
    index = np.unique(np.concatenate([np.asarray(n, dtype=np.intp) for n in near]))
    return replace(geography, communes=geography.communes.take(index), lycees=lycees)


# --------------------------------------------------------------------------------------------
# Draws


def jitter(
    lat: FloatArray, lon: FloatArray, radius_km: FloatArray, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Points uniform in a disc of ``radius_km`` around each (lat, lon).

    A commune is known by one point; spreading homes and hosts over a disc of about its size
    keeps thousands of students of one town from sharing one point (which would make every
    travel time in a town identical).
    """
    r = radius_km * np.sqrt(rng.random(len(lat)))
    theta = 2 * np.pi * rng.random(len(lat))
    dlat = r * np.sin(theta) / KM_PER_DEGREE
    dlon = r * np.cos(theta) / (KM_PER_DEGREE * np.cos(np.radians(lat)))
    return np.round(lat + dlat, 6), np.round(lon + dlon, 6)


def home_communes(
    geography: Geography, counts: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Draw the home commune of ``counts[i]`` students of each lycée *i*.

    Returns the lycée index and the commune index of each student, grouped by lycée. The loop is
    over lycées (at most a few thousand), each draw is vectorised.
    """
    communes, lycees = geography.communes, geography.lycees
    tree = geography.commune_tree
    points = to_unit_vectors(lycees.lat, lycees.lon)
    near = tree.query_ball_point(points, km_to_chord(HOME_RADIUS_KM))
    lycee_of: list[IntArray] = []
    commune_of: list[IntArray] = []
    for i in np.flatnonzero(counts):
        candidates = np.asarray(sorted(near[i]), dtype=np.intp)
        if len(candidates) < 3:
            k = min(5, len(communes))
            candidates = np.sort(np.atleast_1d(tree.query(points[i], k=k)[1]).astype(np.intp))
        d = great_circle_km(
            lycees.lat[i], lycees.lon[i], communes.lat[candidates], communes.lon[candidates]
        )
        w = communes.population[candidates] ** HOME_POP_EXPONENT * np.exp(-d / HOME_DECAY_KM)
        lycee_of.append(np.full(counts[i], i, dtype=np.intp))
        commune_of.append(rng.choice(candidates, size=counts[i], p=w / w.sum()))
    if not lycee_of:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    return np.concatenate(lycee_of), np.concatenate(commune_of)


def rep_proximity(geography: Geography, lat: FloatArray, lon: FloatArray) -> FloatArray:
    """max over nearby REP/REP+ collèges of weight × exp(-d / 0.8 km); 0 far from any."""
    out = np.zeros(len(lat))
    if len(geography.rep_lat) == 0 or len(lat) == 0:
        return out
    k = min(4, len(geography.rep_lat))
    chord, idx = _tree(geography.rep_lat, geography.rep_lon).query(
        to_unit_vectors(lat, lon), k=k, distance_upper_bound=km_to_chord(REP_SEARCH_KM)
    )
    chord, idx = np.atleast_2d(chord.T).T, np.atleast_2d(idx.T).T
    found = np.isfinite(chord)
    km = chord_to_km(np.where(found, chord, 0.0))
    weight = geography.rep_weight[np.where(found, idx, 0)]
    score = np.where(found, weight * np.exp(-km / REP_DECAY_KM), 0.0)
    return np.asarray(score.max(axis=1))


def qpv_propensity(
    geography: Geography,
    lat: FloatArray,
    lon: FloatArray,
    commune: IntArray,
    lycee: IntArray,
) -> FloatArray:
    """Log-odds (up to an intercept) that a student living at (lat, lon) lives in a QPV.

    Higher near REP/REP+ collèges, in communes with high unemployment, for students of lycées
    with a low IPS, and in bigger towns. See the module docstring for why these stand-ins.
    """
    rates = _unemployment_59_62().to_numpy(np.float64)
    mean, std = np.nanmean(rates), np.nanstd(rates)
    rate = geography.communes.unemployment[commune]
    z = np.where(np.isfinite(rate), (rate - mean) / std, 0.0)
    ips = geography.lycees.ips[lycee]
    urban = np.log10(geography.communes.population[commune]) - 4.0
    return np.asarray(
        QPV_COEF_REP * rep_proximity(geography, lat, lon)
        + QPV_COEF_UNEMPLOYMENT * np.clip(z, -3, 3)
        + QPV_COEF_IPS * np.clip(100.0 - ips, -40, 40)
        + QPV_COEF_URBAN * np.clip(urban, -2, 2.5)
    )


def sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)))


def calibrate_intercept(score: FloatArray, share: float) -> float:
    """The intercept *a* with mean(sigmoid(a + score)) = share (bisection; the mean is monotone)."""
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if sigmoid(mid + score).mean() < share:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
