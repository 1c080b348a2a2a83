"""Where to recruit: every announced gain is exact, checked by solving again and by brute force."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bruteforce import brute_force_levels
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from strategies import instances

import stagematch as sm
from stagematch.cli import main
from stagematch.evaluate import evaluate
from stagematch.export import write_plan
from stagematch.gaps import gaps
from stagematch.generate import generate, load_pilot
from stagematch.model import Instance
from stagematch.plan import Plan


def _placement_levels_only(instance: Instance) -> Instance:
    data = instance.to_dict()
    data["settings"].update(
        objective=["qpv_placed", "placed"], stable=False, qpv_min_share=0, time_limit_s=30
    )
    for offer in data["offers"]:
        offer.pop("qpv_min_share", None)
    return Instance.from_dict(data)


@hypothesis_settings(max_examples=25, deadline=None)
@given(instances(max_students=4, max_offers=2, max_slots=1))
def test_announced_gains_equal_the_brute_force_optimum(drawn: Instance) -> None:
    instance = _placement_levels_only(drawn)
    found = gaps(evaluate(instance, Plan()), max_groups=2, max_seats=2)
    before = brute_force_levels(instance)
    assert (before["qpv_placed"], before["placed"]) == (found.qpv_placed, found.placed)
    for k, group in enumerate(found.groups, start=1):
        after = brute_force_levels(found.with_seats(instance, k))
        assert (after["qpv_placed"], after["placed"]) == (
            group.qpv_placed_total,
            group.placed_total,
        )
        previous = found.groups[k - 2] if k > 1 else None
        assert group.placed == group.placed_total - (
            previous.placed_total if previous else found.placed
        )
        assert (1 <= group.seats <= 2 and group.placed >= 1) or group.qpv_placed >= 1


def test_pilot_adding_the_proposed_seats_places_exactly_as_many_more() -> None:
    result = sm.solve(load_pilot(), time_limit=30)
    found = gaps(result)
    assert found.placed == result.counts()["placed"] == 77
    assert found.groups and found.groups[0].qpv_placed > 0
    again = sm.solve(found.with_seats(result.instance), time_limit=60)
    last = found.groups[-1]
    assert again.counts()["placed"] == last.placed_total
    assert again.counts()["qpv_placed"] == last.qpv_placed_total
    assert last.placed_total - found.placed == sum(g.placed for g in found.groups)
    assert again.levels["placed"].proven


def test_mixed_dataset_qpv_first_and_exact() -> None:
    instance = generate("bassin", students=300, seed=3)
    data = instance.to_dict()
    # Fewer seats, so that students are left unplaced for lack of seats.
    for offer in data["offers"][::2]:
        offer["capacity"] = 1
        offer["qpv_reserved"] = min(offer.get("qpv_reserved", 0), 1)
    scarce = _placement_levels_only(Instance.from_dict(data))
    result = sm.solve(scarce)
    found = gaps(result, max_groups=4, max_seats=3)
    assert found.groups
    qpv_gains = [g.qpv_placed for g in found.groups]
    again = sm.solve(found.with_seats(scarce))
    assert again.counts()["placed"] == found.groups[-1].placed_total
    assert again.counts()["qpv_placed"] == found.groups[-1].qpv_placed_total
    assert qpv_gains[0] == max(qpv_gains)


def test_cli_writes_the_list_and_offer_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_plan(sm.solve(load_pilot(), time_limit=30), tmp_path / "plan")
    assert (
        main(["gaps", str(tmp_path / "plan"), "--groups", "2", "--out", str(tmp_path / "g")]) == 0
    )
    out = capsys.readouterr().out
    assert "seats in" in out and "+5 QPV" in out
    rows = (tmp_path / "g" / "new_offers.csv").read_text("utf-8").splitlines()
    assert rows[0].startswith("offer_id,host_id,host_name,sector,commune,capacity,start,end")
    assert len(rows) == 3
    assert json.loads((tmp_path / "plan" / "summary.json").read_text("utf-8"))["counts"]
