"""Work the exact components leave unused goes, in a second round, to those left unproven.

Two members of the pilot-shaped family side by side, far apart (two components), with a work
budget so small that the first round leaves one of them unproven while both leave some work
unused. The second round must prove it, and — since iteration counts do not depend on the machine
nor on which task finished first — give the very same plan in this process, in threads, in
other processes and on a second run; it never ends worse than the first round alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest
from pilot_family import pilot_shaped

from stagematch.check import check
from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.result import Result
from stagematch.solver import SolveOptions, Tuning, components, solve

# Generous: only the work budget may end these solves.
TIME_LIMIT = 600.0
BUDGET = SolveOptions(budget=0.05, tuning=Tuning(min_component_work=0.0))
IDS = {
    "schools": ("school_id",),
    "students": ("student_id", "school_id"),
    "offers": ("offer_id", "host_id"),
    "workshop_slots": ("slot_id", "workshop_id"),
    "travel_times": ("origin", "destination"),
}


def side_by_side(near: Instance, far: Instance) -> Instance:
    """``near`` and ``far`` as one dataset, ``far`` moved 1.5° north (out of anyone's reach)
    with its ids prefixed: two independent components."""
    data = near.to_dict()
    for table, keys in IDS.items():
        for original in far.to_dict().get(table, []):
            row = dict(original)
            for key in keys:
                if row.get(key) is not None:
                    row[key] = f"far-{row[key]}"
            if row.get("reserved_schools"):
                row["reserved_schools"] = [f"far-{s}" for s in row["reserved_schools"]]
            for lat in ("lat", "home_lat"):
                if row.get(lat) is not None:
                    row[lat] += 1.5
            data.setdefault(table, []).append(row)
    return Instance.from_dict(data)


@pytest.fixture(scope="module")
def twins() -> Instance:
    return side_by_side(pilot_shaped(0, students=40), pilot_shaped(3, students=40))


def _solve(instance: Instance, executor: Executor | None = None) -> Result:
    return solve(instance, BUDGET, seed=1, time_limit=TIME_LIMIT, executor=executor)


def _first_round_only(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> Result:
    with monkeypatch.context() as patch:
        patch.setattr(components, "_second_round", lambda *args: None)
        return _solve(instance)


@pytest.fixture(scope="module")
def pools() -> Iterator[list[Executor]]:
    with ThreadPoolExecutor(2) as threads, ProcessPoolExecutor(2) as processes:
        yield [threads, processes]


def test_the_unused_work_proves_a_component_the_first_round_left(
    twins: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _first_round_only(twins, monkeypatch)
    both = _solve(twins)
    assert first.stopped_by is None and both.stopped_by is None
    assert first.status == "feasible"  # the budget left a level unproven...
    assert both.status == "optimal"  # ... which the work left over proves
    assert check(twins, both.plan).ok
    assert check(twins, both.plan).levels == {k: v.value for k, v in both.levels.items()}
    assert _lexicographic(both) >= _lexicographic(first)


def test_the_second_round_gives_the_same_plan_with_any_executor(
    twins: Instance, pools: list[Executor]
) -> None:
    reference = _solve(twins)
    again = [_solve(twins), *(_solve(twins, pool) for pool in pools)]
    for other in again:
        assert other.stopped_by is None
        assert other.plan == reference.plan
        assert other.levels == reference.levels


def _lexicographic(result: Result) -> tuple[Any, ...]:
    """The levels as a tuple that compares lexicographically, larger is better."""
    return tuple(
        level.value if LEVELS[name].maximise else -level.value
        for name, level in result.levels.items()
    )


def test_a_cap_passing_after_every_component_is_proven_did_not_cut_the_solve(
    twins: Instance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a loaded machine the cap may pass just after the last component is proven; nothing
    was cut, so the result must not say ``time_limit`` (it would wrongly tell an auditor that
    a second run may differ)."""
    reference = _solve(twins)
    assert reference.status == "optimal"
    collect = components._outcome

    def late(context: Any, submitted: Any) -> Any:
        outcome = collect(context, submitted)
        context.limits.deadline = 0.0  # the cap passes once the component is done
        return outcome

    monkeypatch.setattr(components, "_outcome", late)
    slow = solve(twins, SolveOptions(tuning=Tuning(min_component_work=0.0)), seed=1)
    assert slow.status == "optimal"
    assert slow.stopped_by is None
