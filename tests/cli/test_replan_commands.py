"""Re-planning from the command line for every common change, edited as a coordinator would.

The pilot is written as a CSV folder and solved once; each test edits a copy of the folder the
obvious way (delete the host's rows from ``offers.csv``, lower a capacity, delete a session,
add or delete a student row) and runs ``stagematch resolve NEW --previous PLAN --out PLAN2``.
Each new plan must be valid for the new data, honour the change, and keep everyone else's
programme as far as the levels above ``changes`` allow: the ``changes`` level is proven minimal
and never above what a fresh solve would change.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from stagematch.check import check
from stagematch.cli import main
from stagematch.export import read_plan
from stagematch.generate import load_pilot
from stagematch.io import load, write_dataset

Rows = list[dict[str, str]]


def read_rows(folder: Path, table: str) -> Rows:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(folder: Path, table: str, rows: Rows, columns: list[str]) -> None:
    with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def columns_of(folder: Path, table: str) -> list[str]:
    with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The pilot as a CSV folder, and its plan."""
    root = tmp_path_factory.mktemp("pilot")
    data, plan = root / "data", root / "plan"
    write_dataset(load_pilot(), data)
    assert main(["solve", str(data), "--out", str(plan), "--time-limit", "20"]) == 0
    return data, plan


def programmes(plan_dir: Path) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for row in read_rows(plan_dir, "assignments"):
        out.setdefault(row["student_id"], set()).add((row["kind"], row["item_id"]))
    return out


def replan(
    tmp_path: Path, first: tuple[Path, Path], change: Callable[[Path, Path], None]
) -> tuple[Path, Path]:
    """Copy the data, apply ``change(folder, first plan)``, resolve; returns (folder, plan)."""
    data, plan = first
    folder = Path(shutil.copytree(data, tmp_path / "changed"))
    change(folder, plan)
    out = tmp_path / "plan2"
    args = ["resolve", str(folder), "--previous", str(plan), "--out", str(out)]
    assert main([*args, "--time-limit", "20"]) == 0
    instance = load(folder)
    report = check(instance, read_plan(out)[1])
    assert report.ok, report
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    changes = summary["levels"]["changes"]
    assert changes["value"] == changes["bound"]  # kept everyone it could
    fresh = tmp_path / "fresh"
    assert main(["solve", str(folder), "--out", str(fresh), "--time-limit", "20"]) == 0
    before, fresh_plan = programmes(plan), programmes(fresh)
    moved_by_fresh = sum(before.get(s.student_id, set()) != fresh_plan.get(s.student_id, set())
                         for s in instance.students)  # fmt: skip
    assert changes["value"] <= moved_by_fresh
    return folder, out


def busiest_host(first: tuple[Path, Path]) -> tuple[str, set[str]]:
    data, plan = first
    host_of = {row["offer_id"]: row["host_id"] for row in read_rows(data, "offers")}
    counts: dict[str, int] = {}
    for row in read_rows(plan, "assignments"):
        if row["kind"] == "placement":
            counts[host_of[row["item_id"]]] = counts.get(host_of[row["item_id"]], 0) + 1
    host = max(counts, key=lambda h: counts[h])
    return host, {o for o, h in host_of.items() if h == host}


def test_a_host_drops_out(tmp_path: Path, first: tuple[Path, Path]) -> None:
    """Its rows are deleted from offers.csv and nothing else: wishes that named its offers are
    warnings, not errors (the data is not refused)."""
    host, offers = busiest_host(first)

    def drop(folder: Path, _plan: Path) -> None:
        rows = [r for r in read_rows(folder, "offers") if r["host_id"] != host]
        write_rows(folder, "offers", rows, columns_of(folder, "offers"))
        students = read_rows(folder, "students")
        wished = [s for s in students if set(s.get("wished_offers", "").split(";")) & offers]
        if not wished:  # make sure one wish names a dropped offer, as in the field report
            students[0]["wished_offers"] = sorted(offers)[0]
            write_rows(folder, "students", students, columns_of(folder, "students"))

    _folder, out = replan(tmp_path, first, drop)
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert any(w["column"] == "wished_offers" and w["value"] in offers
               for w in summary["warnings"])  # fmt: skip
    assert not any(item in offers for _, item in set().union(*programmes(out).values()))


def test_an_offers_capacity_is_reduced(tmp_path: Path, first: tuple[Path, Path]) -> None:
    counts: dict[str, int] = {}
    for row in read_rows(first[1], "assignments"):
        if row["kind"] == "placement":
            counts[row["item_id"]] = counts.get(row["item_id"], 0) + 1
    offer = max(counts, key=lambda o: counts[o])

    def reduce(folder: Path, _plan: Path) -> None:
        rows = read_rows(folder, "offers")
        for r in rows:
            if r["offer_id"] == offer:
                r["capacity"] = str(counts[offer] - 1)
                r["qpv_reserved"] = str(min(int(r.get("qpv_reserved") or 0), counts[offer] - 1))
        write_rows(folder, "offers", rows, columns_of(folder, "offers"))

    _folder, out = replan(tmp_path, first, reduce)
    taken = sum(1 for r in read_rows(out, "assignments") if r["item_id"] == offer)
    assert taken <= counts[offer] - 1
    before, after = programmes(first[1]), programmes(out)
    at_offer = {s for s, items in before.items() if ("placement", offer) in items}
    assert any(before[s] != after.get(s, set()) for s in at_offer)  # one had to leave


def test_a_session_is_cancelled(tmp_path: Path, first: tuple[Path, Path]) -> None:
    counts: dict[str, int] = {}
    for row in read_rows(first[1], "assignments"):
        if row["kind"] == "workshop":
            counts[row["item_id"]] = counts.get(row["item_id"], 0) + 1
    slot = max(counts, key=lambda w: counts[w])

    def cancel(folder: Path, _plan: Path) -> None:
        rows = [r for r in read_rows(folder, "workshop_slots") if r["slot_id"] != slot]
        write_rows(folder, "workshop_slots", rows, columns_of(folder, "workshop_slots"))

    _folder, out = replan(tmp_path, first, cancel)
    assert all(r["item_id"] != slot for r in read_rows(out, "assignments"))
    before, after = programmes(first[1]), programmes(out)
    # Cancelling a session frees no placement seat: whoever was not in it keeps everything.
    for student, items in before.items():
        if ("workshop", slot) not in items:
            assert after.get(student) == items, student


def test_a_late_student_is_added(tmp_path: Path, first: tuple[Path, Path]) -> None:
    def add(folder: Path, _plan: Path) -> None:
        rows = read_rows(folder, "students")
        late = dict(rows[0], student_id="LATE-1")
        write_rows(folder, "students", [*rows, late], columns_of(folder, "students"))

    _folder, out = replan(tmp_path, first, add)
    before, after = programmes(first[1]), programmes(out)
    assert "LATE-1" in {r["student_id"] for r in read_rows(out, "assignments")} | {
        r["student_id"] for r in read_rows(out, "unplaced")
    }
    placed_before = {s for s, items in before.items() if any(k == "placement" for k, _ in items)}
    placed_after = {s for s, items in after.items() if any(k == "placement" for k, _ in items)}
    assert placed_before <= placed_after  # nobody loses a placement to the late student


def test_a_student_withdraws(tmp_path: Path, first: tuple[Path, Path]) -> None:
    before = programmes(first[1])
    gone = next(iter(before))

    def withdraw(folder: Path, _plan: Path) -> None:
        rows = [r for r in read_rows(folder, "students") if r["student_id"] != gone]
        write_rows(folder, "students", rows, columns_of(folder, "students"))

    _folder, out = replan(tmp_path, first, withdraw)
    after = programmes(out)
    assert gone not in after
    assert gone not in {r["student_id"] for r in read_rows(out, "unplaced")}
    # The freed seat may place someone new; nobody placed loses their placement.
    placed_before = {s for s, items in before.items() if any(k == "placement" for k, _ in items)}
    placed_after = {s for s, items in after.items() if any(k == "placement" for k, _ in items)}
    assert placed_before - {gone} <= placed_after
