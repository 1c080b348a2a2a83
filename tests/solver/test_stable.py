"""``stable=True``: no justified envy, and the lexicographic best of the plans without it.

Justified envy is judged twice, independently of the solver's model: by
:func:`stagematch.fairness.analyse` (vectorised) and by the brute force of :mod:`test_fairness`
(the definitions, one pair at a time, with the checker's formulas). The optimum among plans
without justified envy comes from enumerating every plan of tiny instances
(:func:`bruteforce.best_plan_where`). That deferred acceptance is stable, and that the envy
counter agrees with brute force, are tested in :mod:`test_baselines` and :mod:`test_fairness`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bruteforce import best_plan_where, oriented
from hypothesis import given, settings
from strategies import CENTRE, instances, make_instance
from test_fairness import Brute

from stagematch import solve
from stagematch.check import check
from stagematch.cli import main
from stagematch.fairness import analyse
from stagematch.model import Instance
from stagematch.plan import Plan
from stagematch.solver import SolveOptions, Tuning


def envy_free(brute: Brute, plan: Plan) -> bool:
    """No pair with justified envy, ties not broken (wasted seats are allowed)."""
    return not any(envy for _, envy in brute.blocking(plan, tie_break=False).values())


@settings(max_examples=30)
@given(instances(max_students=6, max_offers=4, max_slots=2))
def test_stable_plans_have_no_justified_envy(instance: Instance) -> None:
    result = solve(instance, time_limit=10, stable=True)
    assert check(instance, result.plan, stable=True).ok
    assert not analyse(instance, result.plan).pair_envy.any()
    assert envy_free(Brute.of(instance), result.plan)
    for level in result.levels.values():  # bounds are bounds
        assert (
            level.value <= level.bound + 1e-9
            if level.maximise
            else level.value >= level.bound - 1e-9
        )


@settings(max_examples=25)
@given(instances(max_students=4, max_offers=3, max_slots=0, overrides=False))
def test_stable_plans_are_the_best_without_envy(instance: Instance) -> None:
    """Against every plan of the instance: the solver's levels are the best envy-free ones."""
    brute = Brute.of(instance)
    best = best_plan_where(instance, lambda plan: envy_free(brute, plan))
    assert best is not None  # the empty plan has no envy
    result = solve(instance, time_limit=10, stable=True)
    got = oriented(instance, check(instance, result.plan).levels)
    assert got <= tuple(v + 1e-6 for v in best[0])  # nothing beats the optimum
    if result.status == "optimal":
        assert got == pytest.approx(best[0])


def _one_seat_two_claims() -> Instance:
    """One seat at the centre; N lives there, F farther away and can reach nothing else.

    The default plan places both: N at the far offer O2, F at O1. But N prefers O1 (same wish
    cost, fewer minutes) and outranks F there (nearer): justified envy. The stable plan gives
    O1 to N and leaves F unplaced, since O2 is out of F's reach.
    """
    east = CENTRE[1] + 0.1  # 7.1 km: 41 transit minutes from N, 49 from F
    return make_instance(
        students=[
            {"student_id": "N", "home_lat": CENTRE[0], "home_lon": CENTRE[1]},
            {"student_id": "F", "home_lat": CENTRE[0], "home_lon": CENTRE[1] - 0.03},
        ],
        offers=[{"offer_id": "O1"}, {"offer_id": "O2", "lat": CENTRE[0], "lon": east}],
        settings={"max_placements_per_student": 1},
    )


def test_stability_costs_a_placement_by_hand() -> None:
    instance = _one_seat_two_claims()
    default = solve(instance, time_limit=10)
    assert set(default.plan.placements) == {"N", "F"}
    assert analyse(instance, default.plan).pair_envy.any()
    stable = solve(instance, time_limit=10, stable=True)
    assert stable.plan.placements == {"N": ("O1",)}
    assert stable.status == "optimal"
    assert stable.value("placed") == 1
    data = instance.to_dict()
    data["settings"]["stable"] = True
    by_setting = Instance.from_dict(data)
    assert solve(by_setting, time_limit=10).value("placed") == 1  # the setting does the same
    assert solve(by_setting, time_limit=10, stable=False).value("placed") == 2  # unless told


def test_stable_neighbourhood_search_stays_envy_free() -> None:
    """Components too large for one model are improved by neighbourhoods, each envy-free."""
    from stagematch.generate import load_pilot

    instance = load_pilot()
    search = SolveOptions(tuning=Tuning(stable_exact_pairs=0))
    result = solve(instance, search, time_limit=10, stable=True)
    assert check(instance, result.plan, stable=True).ok
    assert not analyse(instance, result.plan).pair_envy.any()
    flow = solve(instance, time_limit=10)
    # the flow's optimum bounds the stable plan's placements
    assert result.levels["placed"].bound == flow.value("placed")
    assert result.value("placed") <= flow.value("placed")


def test_cli_stable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from stagematch.io import write_dataset

    data = tmp_path / "data.json"
    write_dataset(_one_seat_two_claims(), data)
    assert main(["solve", str(data), "--json", "--stable", "--time-limit", "10"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["placed"] == 1
    assert main(["solve", str(data), "--json", "--time-limit", "10"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["placed"] == 2


def test_stable_refuses_pins_and_replanning() -> None:
    """Deferred acceptance, the warm start, knows no pins; a pin may even force envy."""
    from stagematch.errors import InvalidInputError

    pinned = make_instance(
        students=[{"student_id": "A", "pinned_offer": "O1"}, {"student_id": "B"}],
        offers=[{"offer_id": "O1"}],
    )
    with pytest.raises(InvalidInputError, match="pinned placements") as error:
        solve(pinned, time_limit=5, stable=True)
    assert [(p.table, p.column) for p in error.value.problems] == [("settings", "stable")]
    plain = _one_seat_two_claims()
    previous = solve(plain, time_limit=5).plan
    with pytest.raises(InvalidInputError, match="re-planning"):
        solve(plain, time_limit=5, stable=True, previous=previous)


def test_a_seat_left_free_is_explained_by_envy() -> None:
    """T wishes the one-week O1 but holds the two-week O2 (coverage ranks above wishes).

    S can reach only O1. Giving O1 to S would give T, nearer and wishing it, justified envy;
    moving T there would lose coverage. So the stable plan leaves O1 empty, and S is told so.
    """
    from strategies import WEEK_1

    east = CENTRE[1] + 0.1
    instance = make_instance(
        students=[
            {"student_id": "T", "wishes": "health"},
            {"student_id": "S", "home_lat": CENTRE[0], "home_lon": CENTRE[1] - 0.03},
        ],
        offers=[
            {"offer_id": "O1", "start": WEEK_1[0], "end": WEEK_1[1]},
            {"offer_id": "O2", "sector": "law", "lat": CENTRE[0], "lon": east},
        ],
        settings={"max_placements_per_student": 1},
    )
    assert solve(instance, time_limit=10).value("placed") == 2
    result = solve(instance, time_limit=10, stable=True)
    assert result.plan.placements == {"T": ("O2",)}
    (unplaced,) = result.unplaced
    assert unplaced.student_id == "S"
    assert "justified envy (stable plan)" in unplaced.detail
