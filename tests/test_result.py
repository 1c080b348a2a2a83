"""LevelResult: proven and gap, as reported in summaries and the terminal."""

from __future__ import annotations

import pytest

from stagematch.result import level_result


def test_proven_level_has_no_gap() -> None:
    level = level_result("placed", 10, 10)
    assert level.proven
    assert level.gap == 0.0


@pytest.mark.parametrize(
    ("name", "value", "bound", "gap"),
    [
        ("coverage", 90, 100, 0.1),  # maximised: bound above the value
        ("travel", 120, 100, 20 / 120),  # minimised: bound below the value
        ("preference", 50, 0, 1.0),  # a zero lower bound gives the largest gap, not infinity
        ("workshops", 0, 4, 1.0),
    ],
)
def test_gap_is_relative_to_the_larger_side(
    name: str, value: float, bound: float, gap: float
) -> None:
    level = level_result(name, value, bound)
    assert not level.proven
    assert level.gap == pytest.approx(gap)
    assert level.maximise == (name in {"coverage", "workshops"})


def test_mean_coverage_rate_when_the_objective_leaves_coverage_out() -> None:
    """Regression: the KPI read the coverage level, and was 0 when the objective had none."""
    from strategies import make_instance

    from stagematch.check import check
    from stagematch.solver import solve

    instance = make_instance(
        [{"student_id": "E1"}, {"student_id": "E2"}],
        [{"offer_id": "O1", "start": "2026-06-22"}],
        [{"slot_id": "S1", "part": "DAY"}],
        settings={"objective": ["placed", "travel"]},
    )
    result = solve(instance, time_limit=10)
    covered = check(instance, result.plan).levels["coverage"]
    assert covered >= 10  # one week placed
    assert result.kpis()["mean_coverage_rate"] == round(covered / (2 * 20), 4)
