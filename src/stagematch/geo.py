"""Offline geography: the French communes table shipped with the package, and distances.

``communes()`` resolves a 5-character INSEE code to a point with no network access. The table
comes from public open data (INSEE COG 2024, data.gouv.fr postcodes; Licence Ouverte v2.0); see
``data/geo/README.md`` for sources and attribution.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import IO

import numpy as np
import numpy.typing as npt
import pandas as pd

EARTH_RADIUS_KM = 6371.0

FloatArray = npt.NDArray[np.float64]


def data_file(name: str) -> IO[bytes]:
    """Open a file shipped in ``stagematch/data`` (transparently gunzipped for ``.gz``)."""
    handle = resources.files("stagematch").joinpath("data", *name.split("/")).open("rb")
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=handle)  # type: ignore[return-value]
    return handle


@dataclass(frozen=True)
class Communes:
    """All French communes: INSEE code → name, point (WGS84), population, postcodes."""

    table: pd.DataFrame  # indexed by INSEE code

    @property
    def index(self) -> pd.Index:
        return self.table.index

    def has_point(self, code: str) -> bool:
        row = self.table.loc[code]
        return bool(np.isfinite(row["lat"]) and np.isfinite(row["lon"]))

    def points(self, codes: list[str] | npt.NDArray[np.object_]) -> tuple[FloatArray, FloatArray]:
        """Latitudes and longitudes of the given codes (all must be known)."""
        rows = self.table.loc[list(codes)]
        return rows["lat"].to_numpy(np.float64), rows["lon"].to_numpy(np.float64)

    def name(self, code: str) -> str:
        return str(self.table.at[code, "nom"])


@cache
def communes() -> Communes:
    """The shipped communes table (loaded once per process)."""
    with data_file("geo/communes_france.csv.gz") as handle:
        table = pd.read_csv(
            handle,
            dtype={"insee_com": str, "dep": str, "reg": str, "codes_postaux": str, "nom": str},
            keep_default_na=False,
            na_values={"lat": [""], "lon": [""], "population_2021": [""]},
        )
    table = table.set_index("insee_com")
    if not table.index.is_unique:
        raise RuntimeError("the shipped communes table repeats an INSEE code")
    return Communes(table)


def to_unit_vectors(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Points on the unit sphere, so that Euclidean (chord) distance orders like great-circle."""
    phi = np.radians(lat)
    lam = np.radians(lon)
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def great_circle_km(
    lat1: FloatArray | float,
    lon1: FloatArray | float,
    lat2: FloatArray | float,
    lon2: FloatArray | float,
) -> FloatArray:
    """Haversine distance in km on a sphere of radius 6371 km (vectorised, broadcasting)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlam = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def km_to_chord(km: FloatArray | float) -> FloatArray:
    """Great-circle km → chord length on the unit sphere (for KD-tree radius queries)."""
    return np.asarray(2 * np.sin(np.minimum(np.asarray(km) / EARTH_RADIUS_KM, np.pi) / 2))


def chord_to_km(chord: FloatArray) -> FloatArray:
    """Chord length on the unit sphere → great-circle km (the inverse of :func:`km_to_chord`).

    Mathematically the haversine distance of the same two points; reachability uses it because
    the KD-tree already returns chord lengths, which saves recomputing trigonometry per pair.
    """
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.asarray(chord) / 2, 1.0)))
