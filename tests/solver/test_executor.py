"""Any ``concurrent.futures`` executor gives the plan of the in-process solve: here, dask.

A ``dask.distributed`` LocalCluster of two worker processes (one thread each) on localhost runs
the components of ``solve`` and the parts of ``solve_in_parts``; both plans must equal the
in-process ones and pass the independent checker.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor

import numpy as np
import pytest
from strategies import make_instance

from stagematch.check import check
from stagematch.decompose import Partition, partition
from stagematch.model import Instance
from stagematch.solver import solve, solve_callback
from stagematch.solver.parts import solve_in_parts

distributed = pytest.importorskip("distributed")

TOWNS = {"V": (50.357, 3.524), "L": (50.432, 2.833), "D": (51.034, 2.377)}
"""Valenciennes, Lens, Dunkerque: far enough apart that nobody reaches another town."""


def _three_towns(stable: bool = False) -> Instance:
    """Three towns that share nothing: three components, each a small exact model."""
    students, offers, slots = [], [], []
    for town, (lat, lon) in TOWNS.items():
        for k in range(5):
            students.append(
                {
                    "student_id": f"{town}S{k}",
                    "home_lat": lat + 0.002 * k,
                    "home_lon": lon,
                    "qpv": k % 3 == 0,
                    "wishes": "health;law" if k % 2 else "law",
                }
            )
        for k in range(3):
            offers.append(
                {
                    "offer_id": f"{town}O{k}",
                    "lat": lat,
                    "lon": lon + 0.003 * k,
                    "capacity": 1 + k % 2,
                    "sector": "law" if k else "health",
                    "start": "2026-06-15" if k == 2 else None,
                    "end": "2026-06-19" if k == 2 else None,
                }
            )
        slots.append({"slot_id": f"{town}W", "lat": lat, "lon": lon, "capacity": 2})
    return make_instance(
        students, offers, slots, settings={"workshops_per_student": 1, "stable": stable}
    )


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[Executor]:
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client.get_executor()


@pytest.mark.parametrize("stable", [False, True])
def test_components_on_a_dask_cluster_give_the_in_process_plan(
    dask_executor: Executor, stable: bool
) -> None:
    """With ``stable``, each task also carries the component's no-envy constraints."""
    instance = _three_towns(stable)
    lines: list[str] = []
    here = solve(instance, time_limit=20, seed=1, progress=solve_callback(lines.append))
    assert sum("component" in line and "solved" in line for line in lines) == 3
    there = solve(instance, time_limit=20, seed=1, executor=dask_executor)
    assert there.plan == here.plan
    assert there.status == here.status == "optimal"
    assert {k: v.value for k, v in there.levels.items()} == {
        k: v.value for k, v in here.levels.items()
    }
    assert check(instance, there.plan).ok


def _town(ids: list[str]) -> np.ndarray:
    return np.array([list(TOWNS).index(i[0]) for i in ids], dtype=np.int64)


@pytest.mark.parametrize("by", ["town", "pairs"])
def test_parts_on_a_dask_cluster_give_the_in_process_plan(dask_executor: Executor, by: str) -> None:
    instance = _three_towns()
    arrays = instance.arrays
    if by == "town":  # parts that share nothing: the split costs nothing
        split = Partition(
            _town(arrays.student_ids),
            _town(arrays.offers.ids),
            _town(arrays.slots.ids),
            np.ones(len(TOWNS)),
        )
    else:  # cuts through towns: students compete across the cuts
        split = partition(instance, max_pairs=20)
    assert split.n_parts >= 3
    here = solve_in_parts(instance, split, time_limit=20, seed=1)
    there = solve_in_parts(instance, split, time_limit=20, seed=1, executor=dask_executor)
    assert there.plan == here.plan
    assert check(instance, there.plan).ok
    if by == "town":
        assert there.status == "optimal"


def test_parts_refuse_rules_that_reach_across_cuts() -> None:
    with pytest.raises(ValueError, match="stable"):
        solve_in_parts(_three_towns(stable=True), time_limit=5)
