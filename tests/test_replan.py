"""Re-planning: pins and bans, ``resolve`` with the ``changes`` level, ``diff`` and the commands.

The yardstick is the brute force of :mod:`bruteforce`, which knows pins, bans and ``changes``
independently of the solver; the checker :func:`stagematch.check.check` verifies every plan
(including the ``pinned`` and ``banned`` rules).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from bruteforce import brute_force
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import instances, make_instance

from stagematch import InvalidInputError, Plan, diff, i18n, resolve, solve
from stagematch.check import check
from stagematch.cli import main
from stagematch.generate import load_pilot
from stagematch.io import write_dataset
from stagematch.model import Instance
from stagematch.plan import Assignment
from stagematch.report import letters as letter_rows

PIN_NAMES = re.compile(r"([^\s;]+) \(row \d+\) → ([^\s;]+)")


def _rebuild(instance: Instance, edit: Any) -> Instance:
    data = instance.to_dict()
    edit(data)
    return Instance.from_dict(data)


def without_host(instance: Instance, host: str) -> Instance:
    """The dataset once ``host`` dropped out: its offers gone, and every reference to them."""

    def edit(data: dict[str, Any]) -> None:
        gone = {o["offer_id"] for o in data["offers"] if o["host_id"] == host}
        data["offers"] = [o for o in data["offers"] if o["offer_id"] not in gone]
        for s in data["students"]:
            s["wished_offers"] = [o for o in s.get("wished_offers", []) if o not in gone]
        data["travel_times"] = [t for t in data["travel_times"] if t["destination"] not in gone]

    return _rebuild(instance, edit)


def with_pins(instance: Instance, pins: Iterable[Assignment]) -> Instance:
    """The dataset with ``pinned_offer``/``pinned_slots`` set from ``pins``."""
    pins = list(pins)

    def edit(data: dict[str, Any]) -> None:
        for s in data["students"]:
            mine = [a for a in pins if a.student_id == s["student_id"]]
            s["pinned_offer"] = [a.item_id for a in mine if a.kind == "placement"]
            s["pinned_slots"] = [a.item_id for a in mine if a.kind == "workshop"]

    return _rebuild(instance, edit)


def _values(result: Any) -> dict[str, float]:
    return {name: level.value for name, level in result.levels.items()}


# --------------------------------------------------------------------------------------------
# resolve


@settings(max_examples=25, deadline=None)
@given(instances(max_students=5, max_offers=3, max_slots=2))
def test_resolving_an_unchanged_instance_returns_the_identical_plan(instance: Instance) -> None:
    first = solve(instance, time_limit=10)
    again = resolve(instance, first, time_limit=10)
    assert again.plan == first.plan
    assert again.levels["changes"].value == 0
    assert list(again.levels)[list(again.levels).index("changes") - 1] in ("placed", "qpv_placed")


@settings(max_examples=30, deadline=None)
@given(instances(max_students=4, max_offers=3, max_slots=2), st.data())
def test_removing_a_host_matches_brute_force_and_never_places_fewer(
    instance: Instance, data: st.DataObject
) -> None:
    hosts = sorted({o.host_id for o in instance.offers})
    assume(len(hosts) > 1)
    first = solve(instance, time_limit=10)
    host = data.draw(st.sampled_from(hosts))
    new = without_host(instance, host)
    result = resolve(new, first.plan, time_limit=10)
    assert check(new, result.plan).ok
    assume(result.status == "optimal")
    expected, _ = brute_force(new, previous=first.plan)
    assert _values(result) == pytest.approx({k: expected[k] for k in result.levels})
    fresh = solve(new, time_limit=10)
    for level in ("qpv_placed", "placed"):
        assert result.value(level) == fresh.value(level)
    hosted = {
        a.student_id
        for a in first.plan.assignments
        if a.kind == "placement"
        and a.item_id.startswith("O")
        and instance.offers[int(a.item_id[1:])].host_id == host
    }
    gone = {o.offer_id for o in instance.offers if o.host_id == host}
    wished = any(gone & set(s.wished_offers) for s in instance.students)
    if not hosted and not wished:  # nobody was with that host (nor ranks it): nothing moves
        assert result.plan == first.plan


EDITS = ("remove_student", "add_student", "cut_capacity", "remove_slot", "grow_capacity")


def _edit(instance: Instance, edit: str, k: int) -> Instance:
    """One change of real life to the dataset (``k`` picks the row)."""

    def apply(data: dict[str, Any]) -> None:
        students, offers, slots = data["students"], data["offers"], data["workshop_slots"]
        if edit == "remove_student" and len(students) > 1:
            gone = students.pop(k % len(students))["student_id"]
            data["travel_times"] = [t for t in data["travel_times"] if t["origin"] != gone]
        elif edit == "add_student":
            late = "LATE" + "+" * max(len(s["student_id"]) for s in students)  # a new id
            students.append({**students[k % len(students)], "student_id": late})
        elif edit == "cut_capacity":
            offer = offers[k % len(offers)]
            offer["capacity"] = 1
            offer["qpv_reserved"] = min(offer.get("qpv_reserved", 0), 1)
        elif edit == "grow_capacity":
            offers[k % len(offers)]["capacity"] += 1
        elif edit == "remove_slot" and slots:
            gone = slots.pop(k % len(slots))["slot_id"]
            data["travel_times"] = [t for t in data["travel_times"] if t["destination"] != gone]

    return _rebuild(instance, apply)


@settings(max_examples=30, deadline=None)
@given(
    instances(max_students=4, max_offers=3, max_slots=2),
    st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 5)), min_size=1, max_size=3),
)
def test_removed_added_and_changed_rows_are_handled(
    instance: Instance, edits: list[tuple[str, int]]
) -> None:
    first = solve(instance, time_limit=10)
    new = instance
    for edit, k in edits:
        new = _edit(new, edit, k)
    result = resolve(new, first, time_limit=10)
    assert check(new, result.plan).ok
    assume(result.status == "optimal")
    expected, _ = brute_force(new, previous=first.plan)
    assert _values(result) == pytest.approx({k: expected[k] for k in result.levels})


def test_changes_can_be_ranked_first_to_never_move_anyone() -> None:
    """With ``changes`` first, a newcomer stays unplaced rather than displace a placed student."""
    base = dict(period_start="2026-06-15", period_end="2026-06-26")
    previous = Plan([Assignment("A", "placement", "O0")])
    students = [{"student_id": "A"}, {"student_id": "B", "qpv": True}]
    default = make_instance(students, [{"offer_id": "O0"}], settings=base)
    moved = resolve(default, previous)
    assert moved.plan == Plan([Assignment("B", "placement", "O0")])  # QPV priority first
    assert moved.levels["changes"].value == 2
    first = make_instance(
        students,
        [{"offer_id": "O0"}],
        settings={**base, "objective": "changes;qpv_placed;placed;workshops;coverage"},
    )
    kept = resolve(first, previous)
    assert kept.plan == previous
    assert next(iter(kept.levels)) == "changes"


def test_a_fresh_solve_leaves_changes_out() -> None:
    instance = make_instance(
        [{"student_id": "A"}], [{"offer_id": "O0"}], settings={"objective": "changes;placed"}
    )
    assert list(solve(instance).levels) == ["placed"]


# --------------------------------------------------------------------------------------------
# pins and bans


@settings(max_examples=30, deadline=None)
@given(instances(max_students=4, max_offers=3, max_slots=2), st.data())
def test_pins_always_hold_and_the_rest_is_optimal(instance: Instance, data: st.DataObject) -> None:
    base = solve(instance, time_limit=10)
    assume(len(base.plan))
    pins = data.draw(st.lists(st.sampled_from(base.plan.assignments), unique=True, min_size=1))
    pinned = with_pins(instance, pins)
    result = solve(pinned, time_limit=10)
    report = check(pinned, result.plan)
    assert report.ok, report.violations
    assert set(pins) <= set(result.plan.assignments)
    if result.status == "optimal":
        expected, _ = brute_force(pinned)
        assert _values(result) == pytest.approx({k: expected[k] for k in result.levels})


def _named_pins(instance: Instance, message: str) -> list[Assignment]:
    offers = {o.offer_id for o in instance.offers}
    return [
        Assignment(s, "placement" if i in offers else "workshop", i)  # type: ignore[arg-type]
        for s, i in PIN_NAMES.findall(message)
    ]


def _breaks_rules(instance: Instance, pins: list[Assignment]) -> bool:
    """Do these pins, alone in a plan, break a hard rule (``instance`` has no pins)?"""
    return not check(instance, Plan(pins)).ok


@settings(max_examples=60, deadline=None)
@given(instances(max_students=4, max_offers=2, max_slots=2), st.data())
def test_conflicting_pins_name_a_truly_infeasible_minimal_set(
    instance: Instance, data: st.DataObject
) -> None:
    every = [Assignment(s.student_id, "placement", o.offer_id) for s in instance.students
             for o in instance.offers]  # fmt: skip
    every += [Assignment(s.student_id, "workshop", w.slot_id) for s in instance.students
              for w in instance.workshop_slots]  # fmt: skip
    pins = data.draw(st.lists(st.sampled_from(every), unique=True, min_size=1, max_size=6))
    pinned = with_pins(instance, pins)
    try:
        result = solve(pinned, time_limit=10)
    except InvalidInputError as error:
        with pytest.raises(ValueError):
            brute_force(pinned)  # the pins truly cannot all hold
        for problem in error.problems:
            assert problem.table == "students"
            assert problem.column in ("pinned_offer", "pinned_slots")
            if "on its own" in problem.message:
                student = pinned.students[problem.row - 2]  # type: ignore[operator]
                kind = "placement" if problem.column == "pinned_offer" else "workshop"
                named = [Assignment(student.student_id, kind, problem.value)]  # type: ignore[arg-type]
            else:
                named = _named_pins(instance, problem.message)
                assert named
            assert set(named) <= set(pins)
            assert _breaks_rules(instance, named), problem
            for k in range(len(named)):  # minimal: without any one of them, the rest can hold
                assert not _breaks_rules(instance, named[:k] + named[k + 1 :]), problem
    else:
        assert check(pinned, result.plan).ok
        assert set(pins) <= set(result.plan.assignments)


def test_conflicting_pins_message_names_the_set_and_the_rule() -> None:
    instance = make_instance(
        [{"student_id": s, "pinned_offer": "O0"} for s in ("A", "B", "C")]
        + [{"student_id": "D", "pinned_offer": "O1"}],
        [{"offer_id": "O0", "capacity": 2}, {"offer_id": "O1", "lat": 43.3, "lon": 5.4}],
    )
    with pytest.raises(InvalidInputError) as caught:
        solve(instance)
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 2, messages
    assert any("3 pins cannot all hold (O0 has 2 seat(s) and 3 students" in m for m in messages)
    assert any("row 5" in m and "on its own" in m and "over the" in m for m in messages)
    with i18n.language("fr"):
        french = [str(p) for p in caught.value.problems]
    assert any(
        "ces 3 affectations imposées ne peuvent pas toutes tenir (O0 a 2 place(s)" in m
        for m in french
    )
    assert any("ligne 5" in m and "au-delà de la limite" in m for m in french)


def test_validate_reports_conflicting_pins(tmp_path: Path, capsys: Any) -> None:
    instance = make_instance(
        [{"student_id": s, "pinned_offer": "O0"} for s in ("A", "B")], [{"offer_id": "O0"}]
    )
    write_dataset(instance, tmp_path / "data")
    assert main(["validate", str(tmp_path / "data")]) == 1
    assert "2 pins cannot all hold" in capsys.readouterr().err
    fine = make_instance([{"student_id": "A", "pinned_offer": "O0"}], [{"offer_id": "O0"}])
    write_dataset(fine, tmp_path / "fine")
    assert main(["validate", str(tmp_path / "fine")]) == 0


def test_bans_keep_a_student_away_from_a_host() -> None:
    instance = make_instance(
        [{"student_id": "A", "banned_hosts": "H0"}],
        [{"offer_id": "O0", "host_id": "H0"}, {"offer_id": "O1", "host_id": "H1", "capacity": 1}],
    )
    result = solve(instance)
    assert result.plan.placements == {"A": ("O1",)}
    alone = make_instance(
        [{"student_id": "A", "banned_hosts": "H0"}], [{"offer_id": "O0", "host_id": "H0"}]
    )
    unplaced = solve(alone).unplaced[0]
    assert unplaced.reason == "no_eligible_offer"
    assert "banned" in unplaced.detail
    report = check(alone, Plan([Assignment("A", "placement", "O0")]))
    assert [v.rule for v in report.violations] == ["banned"]


def test_unknown_pin_and_ban_ids_are_input_problems() -> None:
    with pytest.raises(InvalidInputError) as caught:
        make_instance(
            [{"student_id": "A", "pinned_offer": "O9", "pinned_slots": "W9", "banned_hosts": "H9"}],
            [{"offer_id": "O0"}],
        )
    found = {(p.column, p.value, p.message) for p in caught.value.problems}
    assert found == {
        ("pinned_offer", "O9", "unknown offer"),
        ("pinned_slots", "W9", "unknown workshop slot"),
        ("banned_hosts", "H9", "unknown host"),
    }


# --------------------------------------------------------------------------------------------
# diff and the pilot's story end to end


def test_diff_says_who_moved_who_lost_and_why() -> None:
    students = [{"student_id": s} for s in ("A", "B", "C")]
    offers = [
        {"offer_id": "O0", "host_id": "H0", "capacity": 2},
        {"offer_id": "O1", "host_id": "H1", "capacity": 1},
    ]
    before = Plan([Assignment("A", "placement", "O0"), Assignment("B", "placement", "O0")])
    old = make_instance(students, offers)
    new = without_host(old, "H0")
    result = resolve(new, before)
    changes = diff(before, result)
    rows = changes.changes.set_index("student_id")
    moved = rows["change"] == "moved"
    lost = rows["change"] == "lost_placement"
    assert moved.sum() == 1 and lost.sum() == 1
    assert set(rows.index) == {"A", "B"}  # C had nothing and still has nothing
    assert rows.loc[moved, "reason"].iloc[0] == "offer O0 was withdrawn"
    assert "now unplaced: capacity" in rows.loc[lost, "reason"].iloc[0]
    assert changes.counts() == {
        "lost_placement": 1,
        "moved": 1,
        "newly_placed": 0,
        "sessions_changed": 0,
        "removed": 0,
    }
    letters = changes.for_changed(letter_rows(changes.after))
    assert sorted(letters["student_id"]) == ["A", "B"]
    assert list(letters.columns[:3]) == ["student_id", "change", "change_reason"]


def test_pilot_story_through_the_command_line(tmp_path: Path, capsys: Any) -> None:
    """A host drops out the Friday before: re-plan, and letters only for those affected."""
    plan_v1, plan_v2, out = tmp_path / "v1", tmp_path / "v2", tmp_path / "changes"
    assert main(["demo", "--out", str(plan_v1)]) == 0
    pilot = load_pilot()
    first = pd.read_csv(plan_v1 / "assignments.csv", dtype=str)
    busiest = first[first["kind"] == "placement"]["item_id"].value_counts().index[0]
    host = next(o.host_id for o in pilot.offers if o.offer_id == busiest)
    write_dataset(without_host(pilot, host), tmp_path / "data")
    capsys.readouterr()
    assert main(["resolve", str(tmp_path / "data"), "--previous", str(plan_v1),
                 "--out", str(plan_v2)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "changes" in printed and "moved" in printed
    assert main(["diff", str(plan_v1), str(plan_v2), "--out", str(out)]) == 0
    changed = pd.read_csv(out / "changes.csv", dtype=str)
    letters = pd.read_csv(out / "letters_changed.csv", dtype=str)
    hosted = set(first[first["item_id"].isin(
        [o.offer_id for o in pilot.offers if o.host_id == host])]["student_id"])  # fmt: skip
    assert hosted <= set(changed["student_id"])
    assert set(letters["student_id"]) == set(changed["student_id"])
    assert len(letters) < len(pilot.students) / 2  # letters to the affected only
    summary = pd.read_json(plan_v2 / "summary.json", typ="series")
    assert "changes" in summary["levels"]


def test_pins_that_break_the_minimum_qpv_share_are_a_conflict() -> None:
    """Two non-QPV students pinned to a two-seat offer that must keep half its seats for QPV
    students, one of whom could come: the share cannot hold; one such pin alone could."""
    students = [{"student_id": s, "pinned_offer": "O0"} for s in ("A", "B")]
    students.append({"student_id": "Q", "qpv": True})
    offers = [{"offer_id": "O0", "capacity": 2, "qpv_min_share": 50}]
    with pytest.raises(InvalidInputError) as caught:
        solve(make_instance(students, offers))
    (problem,) = caught.value.problems
    assert "2 pins cannot all hold" in problem.message and "qpv_min_share" in problem.message
    both = Plan([Assignment("A", "placement", "O0"), Assignment("B", "placement", "O0")])
    rules = {v.rule for v in check(make_instance(students, offers), both).violations}
    assert "qpv_min_share" in rules  # and with Q too, the offer would be over capacity
    one = make_instance([students[0], students[2]], offers)
    result = solve(one)
    assert check(one, result.plan).ok
    assert result.plan.placements == {"A": ("O0",), "Q": ("O0",)}


def test_replan_does_not_load_the_reports() -> None:
    """Re-planning sits below the reports: a diff takes a letters table, it does not build one."""
    code = "import sys, stagematch.replan; print([m for m in sys.modules if m.startswith('stagematch.report')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
