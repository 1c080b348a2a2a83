"""Independent evaluation, in small: datasets unlike ours through every public path.

Each example draws a dataset over every setting of the SPEC (:func:`adversarial.scenarios`),
writes it the way a coordinator might (a clean or French-exported CSV folder, a workbook, a JSON
document) and runs it as users do: ``stagematch solve DIR --out OUT``, ``stagematch
reproduce OUT``, :func:`stagematch.solve_json`. Whatever the shape:

- no traceback; a pin that cannot hold is one clear problem and exit 1, with nothing written;
- the plan read back from ``assignments.csv`` passes the independent checker, and every level
  and KPI of ``summary.json`` equals its recomputation from the written files by
  :func:`stagematch.check`;
- ``reproduce`` exits 0 and ``solve_json`` gives the same plan (same seed, same options);
- the input files are byte-identical afterwards; the folder holds the plan files and nothing
  half-written.

Broken copies (:data:`adversarial.BREAKAGES`, in up to four tables at once) exit 1 on ``validate`` and
``solve`` with one problem per mistake naming its table, row and column, write nothing, and give
the same problems to ``solve_json``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import statistics
import tempfile
from pathlib import Path

from adversarial import BREAKAGES, FORMS, break_folder, fingerprint, scenarios, write_form
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from stagematch.api import solve_json
from stagematch.check import check
from stagematch.cli import main
from stagematch.export import PLAN_FILES, TRANSPORT_FILE, read_plan
from stagematch.io import write_dataset
from stagematch.model import Instance
from stagematch.plan import Assignment, Plan

CAP = "30"
"""The wall-clock cap: far above what these small solves take, so the budget decides."""


def run(*argv: str) -> tuple[int, str]:
    """``stagematch argv`` in-process: its exit code and everything it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def recomputed_kpis(instance: Instance, folder: Path, coverage: float) -> dict[str, object]:
    """The KPIs of ``summary.json``, from the written files and the dataset alone."""
    assignments = rows_of(folder / "assignments.csv")
    unplaced = rows_of(folder / "unplaced.csv")
    placed = {a["student_id"] for a in assignments if a["kind"] == "placement"}
    qpv = {s.student_id for s in instance.students if s.qpv}
    n = max(len(instance.students), 1)
    ranks = [a["wish_rank"] for a in assignments if a["kind"] == "placement"]
    travel = [float(a["travel_min"]) for a in assignments]
    reasons = [u["reason"] for u in unplaced]
    return {
        "placed_rate": round(len(placed) / n, 4),
        "qpv_placed_rate": round(len(placed & qpv) / max(len(qpv), 1), 4),
        "mean_coverage_rate": round(coverage / (n * max(instance.n_half_days, 1)), 4),
        "first_wish_rate": round(ranks.count("1") / len(ranks), 4) if ranks else None,
        "travel_median_min": statistics.median(travel) if travel else None,
        "travel_max_min": max(travel) if travel else None,
        **{
            f"unplaced_{r}": reasons.count(r)
            for r in ("no_reachable_offer", "no_eligible_offer", "capacity")
        },
    }


def without_notes(instance: Instance) -> dict[str, object]:
    """The dataset without the column the French export adds (kept, and ignored)."""
    data = instance.to_dict()
    data["settings"] = instance.settings.model_dump(mode="json")  # a blank cell = unset
    for table, rows in data.items():
        if table != "settings":
            data[table] = [{k: v for k, v in r.items() if k != "remarque"} for r in rows]
    return data


def assert_plan_folder_is_checked(instance: Instance, folder: Path) -> dict[str, object]:
    """The written plan is valid and its summary is what ``check`` recomputes."""
    transport = instance.settings.coach_capacity is not None
    expected = set(PLAN_FILES) | ({TRANSPORT_FILE} if transport else set())
    assert {p.name for p in folder.iterdir()} == expected
    written_instance, plan, summary = read_plan(folder)
    assert without_notes(written_instance) == without_notes(instance)
    report = check(instance, plan)
    assert report.ok, report.violations
    assert list(summary["levels"]) == list(instance.settings.objective)
    for name, level in summary["levels"].items():
        assert math.isclose(level["value"], report.levels[name], abs_tol=1e-6), name
    kpis = recomputed_kpis(instance, folder, report.levels["coverage"])
    for name, value in kpis.items():
        got = summary["kpis"][name]
        assert (got is None) == (value is None), (name, got, value)
        if value is not None:
            assert math.isclose(got, value, abs_tol=1e-4), (name, got, value)  # type: ignore[arg-type]
    unplaced = {u["student_id"]: u["reason"] for u in rows_of(folder / "unplaced.csv")}
    placed = {
        a["student_id"] for a in rows_of(folder / "assignments.csv") if a["kind"] == "placement"
    }
    assert set(unplaced) == {s.student_id for s in instance.students} - placed
    assert unplaced == {s: expected_reason(instance, s) for s in unplaced}
    return summary


ELIGIBILITY = {"accessibility", "min_age", "reserved_schools", "unavailable", "banned"}


def expected_reason(instance: Instance, student_id: str) -> str:
    """The SPEC's reason, first that applies, from the checker's verdict on each offer alone."""
    broken = []
    for offer in instance.offers:
        alone = Plan([Assignment(student_id, "placement", offer.offer_id)])
        violations = check(instance, alone).violations
        broken.append({v.rule for v in violations if v.student_id == student_id})
    reachable = [rules for rules in broken if "travel" not in rules]
    if not reachable:
        return "no_reachable_offer"
    if all(rules & ELIGIBILITY for rules in reachable):
        return "no_eligible_offer"
    return "capacity"


def assignments_of(document_rows: list[dict[str, object]]) -> set[tuple[str, str, str]]:
    return {(str(r["student_id"]), str(r["kind"]), str(r["item_id"])) for r in document_rows}


@settings(max_examples=12)
@given(scenarios(), st.sampled_from(FORMS), st.integers(0, 2**16))
def test_any_dataset_in_any_form_gives_a_checked_reproducible_plan(
    instance: Instance, form: str, seed: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path, extra = write_form(instance, root / "in", form, seed)
        before = fingerprint(root / "in")
        out = root / "plan"
        code, printed = run("solve", str(path), "--out", str(out), "--time-limit", CAP, *extra)
        assert "Traceback" not in printed
        assert fingerprint(root / "in") == before, "an input file was modified"
        if code == 1:  # only a pin that cannot hold may refuse a valid dataset
            assert any(s.pinned_offer for s in instance.students), printed
            assert "pinned_offer" in printed and not out.exists(), printed
            return
        assert code == 0, printed
        summary = assert_plan_folder_is_checked(instance, out)

        code, printed = run("reproduce", str(out))
        assert code == 0 and "Traceback" not in printed, printed

        document = solve_json(write_dataset(instance, root / "same.json").read_text("utf-8"))
        assert document["status"] == summary["status"]
        if summary["stopped_by"] is None and document["stopped_by"] is None:
            written = assignments_of(rows_of(out / "assignments.csv"))  # type: ignore[arg-type]
            assert assignments_of(document["assignments"]) == written
        assert fingerprint(root / "in") == before, "an input file was modified"


@settings(max_examples=10)
@given(
    scenarios(),
    st.lists(st.sampled_from(BREAKAGES), min_size=1, max_size=4, unique_by=lambda b: b.table),
)
def test_every_mistake_is_reported_at_its_place_and_nothing_is_written(
    instance: Instance, mistakes: list
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = write_dataset(instance, root / "in")
        expected = break_folder(folder, mistakes)
        assume(expected)
        before = fingerprint(folder)
        out = root / "plan"
        for argv in (["validate", str(folder)], ["solve", str(folder), "--out", str(out)]):
            code, printed = run(*argv)
            assert code == 1 and "Traceback" not in printed, printed
            for table, row, column in expected:
                at = f"{table}, row {row}, column '{column}'"
                header = f"{table}, column '{column}'"
                assert at in printed or (row == 1 and header in printed), (at, printed)
        assert not out.exists()
        assert fingerprint(folder) == before
        document = solve_json(
            json.dumps(
                {t.stem: [dict(r) for r in rows_of(t)] for t in folder.glob("*.csv")}
                | {
                    "settings": json.loads(write_dataset(instance, root / "x.json").read_text())[
                        "settings"
                    ]
                }
            )
        )
        assert document["status"] == "infeasible_input"
        assert document["problems"], document
