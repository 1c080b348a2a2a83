"""Cross-row checks when some rows fail their own validation: one mistake, one message, and
every other problem still reported."""

from __future__ import annotations

import pytest

from stagematch.errors import InvalidInputError
from stagematch.model import Instance

PERIOD = {"period_start": "2026-06-15", "period_end": "2026-06-26"}


def _problems(**tables: list[dict[str, str]]) -> set[tuple[str, int | None, str | None, str]]:
    with pytest.raises(InvalidInputError) as caught:
        Instance(settings=PERIOD, **tables)
    return {(p.table, p.row, p.column, str(p.message)) for p in caught.value.problems}


def test_rows_referring_to_a_rejected_row_are_not_told_it_is_unknown() -> None:
    problems = _problems(
        schools=[{"school_id": "A", "commune": "59606", "lat": "nord"}],
        students=[{"student_id": "S1", "school_id": "A"}],
        offers=[
            {
                "offer_id": "O1",
                "host_id": "H",
                "sector": "x",
                "commune": "59606",
                "capacity": "deux",
                "reserved_schools": "A",
            },
        ],
        travel_times=[{"origin": "S1", "destination": "O1", "minutes": "12"}],
    )
    assert {(table, row, column) for table, row, column, _ in problems} == {
        ("schools", 2, "lat"),
        ("offers", 2, "capacity"),
    }


def test_a_rejected_row_still_holds_its_id_against_duplicates() -> None:
    problems = _problems(
        schools=[{"school_id": "A", "commune": "59606"}],
        students=[
            {"student_id": "S1", "school_id": "A", "qpv": "peut-être"},
            {"student_id": "S1", "school_id": "A"},
        ],
        offers=[],
    )
    places = {(table, row, column) for table, row, column, _ in problems}
    assert places == {("students", 2, "qpv"), ("students", 3, "student_id")}
    assert any("duplicate id" in message for *_, message in problems)
