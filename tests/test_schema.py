"""The JSON contract: schemas generated from the models, kept current, and true of real documents.

``stagematch.schema`` derives the dataset schema from the row models and the result schema from
the document models that build the output; these tests check that real datasets and real results
validate, that invalid ones do not, and that :func:`stagematch.solve_json` keeps its promises
(JSON types only, no exception for bad data). That the committed copies are current is checked
with the generator's tests (``test_data_format_page.py``).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import stagematch
from stagematch.api import error_document, result_document, solve_json
from stagematch.errors import InvalidInputError
from stagematch.generate import generate, load_pilot
from stagematch.io import loads_json
from stagematch.schema import EXAMPLE_DATASET, dataset_schema, result_schema


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.fixture(scope="module")
def dataset_validator() -> jsonschema.Draft202012Validator:
    return validator(dataset_schema())


@pytest.fixture(scope="module")
def result_validator() -> jsonschema.Draft202012Validator:
    return validator(result_schema())


@pytest.fixture(scope="module")
def example_result() -> dict[str, Any]:
    return solve_json(json.dumps(EXAMPLE_DATASET), time_limit=10)


def errors_of(v: jsonschema.Draft202012Validator, document: Any) -> list[str]:
    return [error.message for error in v.iter_errors(document)]


# ---- the dataset schema --------------------------------------------------------------------


def test_real_datasets_validate(dataset_validator: jsonschema.Draft202012Validator) -> None:
    assert errors_of(dataset_validator, EXAMPLE_DATASET) == []
    assert errors_of(dataset_validator, load_pilot().to_dict()) == []
    assert errors_of(dataset_validator, generate("bassin", students=300, seed=2).to_dict()) == []


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE_DATASET)
    change(data)
    return data


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["offers"][0].update(capacity=0),
        lambda d: d["offers"][0].pop("offer_id"),
        lambda d: d["offers"][1].pop("commune"),  # no location at all
        lambda d: d["students"][0].pop("home_lon"),  # lat without lon
        lambda d: d["students"][0].update(mode="plane"),
        lambda d: d["students"][0].update(unavailable=["25/06/2027"]),
        lambda d: d["schools"][1].update(commune="5960A"),
        lambda d: d["workshop_slots"][0].update(part="EVENING"),
        lambda d: d["settings"].update(pace="fast"),
        lambda d: d["settings"].pop("period_start"),
        lambda d: d.pop("offers"),
        lambda d: d.update(hosts=[]),
    ],
)
def test_invalid_datasets_are_rejected_by_schema_and_loader(
    dataset_validator: jsonschema.Draft202012Validator, change: Any
) -> None:
    data = _broken(change)
    assert errors_of(dataset_validator, data)
    with pytest.raises(InvalidInputError):
        loads_json(json.dumps(data))


def test_blank_optional_values_are_accepted(
    dataset_validator: jsonschema.Draft202012Validator,
) -> None:
    data = _broken(lambda d: d["students"][1].update(mode=None, qpv=None, age=None))
    data["travel_times"] = None
    assert errors_of(dataset_validator, data) == []
    loads_json(json.dumps(data))


# ---- the result schema and solve_json -------------------------------------------------------


def test_result_validates(
    result_validator: jsonschema.Draft202012Validator, example_result: dict[str, Any]
) -> None:
    assert example_result["status"] in ("optimal", "feasible")
    assert errors_of(result_validator, example_result) == []
    json.dumps(example_result, allow_nan=False)


def test_result_is_the_summary_plus_the_plan(example_result: dict[str, Any]) -> None:
    result = stagematch.solve(loads_json(json.dumps(EXAMPLE_DATASET)), time_limit=10)
    summary = result.summary()
    for key in ("status", "levels", "counts", "kpis", "seed", "version", "input_hash"):
        assert example_result[key] == summary[key], key
    assert example_result["version"] == stagematch.__version__
    frame = result.assignments_frame
    assert [(a["student_id"], a["kind"], a["item_id"]) for a in example_result["assignments"]] == [
        tuple(row) for row in frame[["student_id", "kind", "item_id"]].itertuples(index=False)
    ]
    for record in example_result["assignments"]:
        assert (record["part"] is None) == (record["kind"] == "placement")
        assert record["travel_min"] is not None
    assert example_result["unplaced"] == [
        {"student_id": u.student_id, "qpv": u.qpv, "reason": u.reason, "detail": u.detail}
        for u in result.unplaced
    ]


def test_solve_json_accepts_text_bytes_and_mappings(example_result: dict[str, Any]) -> None:
    as_bytes = solve_json(("\ufeff" + json.dumps(EXAMPLE_DATASET)).encode("utf-8"), time_limit=10)
    as_dict = solve_json(EXAMPLE_DATASET, time_limit=10)
    for other in (as_bytes, as_dict):
        assert other["assignments"] == example_result["assignments"]
        assert other["input_hash"] == example_result["input_hash"]


def test_solve_json_reports_problems_without_raising(
    result_validator: jsonschema.Draft202012Validator,
) -> None:
    data = _broken(lambda d: d["students"][1].update(school_id="0599999X"))
    data["offers"][0]["capacity"] = "deux"
    out = solve_json(data)
    assert out["status"] == "infeasible_input"
    assert errors_of(result_validator, out) == []
    with pytest.raises(InvalidInputError) as caught:
        loads_json(json.dumps(data))
    assert out["problems"] == [p.as_dict() for p in caught.value.problems]
    located = {(p["table"], p["row"], p["column"]) for p in out["problems"]}
    assert located == {("students", 3, "school_id"), ("offers", 2, "capacity")}


def test_solve_json_reports_a_pin_that_cannot_hold_without_raising(
    result_validator: jsonschema.Draft202012Validator,
) -> None:
    """Regression: pins are checked by the solve, whose InvalidInputError escaped solve_json."""
    data = copy.deepcopy(EXAMPLE_DATASET)
    data["students"][0]["unavailable"] = [data["settings"]["period_start"]]  # in the pinned week
    out = solve_json(data, time_limit=10)
    assert out["status"] == "infeasible_input"
    assert errors_of(result_validator, out) == []
    assert [(p["table"], p["row"], p["column"]) for p in out["problems"]] == [
        ("students", 2, "pinned_offer")
    ]


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"settings": {}}', b"\xff\xfe"])
def test_solve_json_garbage_is_invalid_input(
    result_validator: jsonschema.Draft202012Validator, text: str | bytes
) -> None:
    out = solve_json(text)
    assert out["status"] == "infeasible_input"
    assert out["problems"]
    assert errors_of(result_validator, out) == []


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")
def test_no_placement_gives_nulls_not_nan(
    result_validator: jsonschema.Draft202012Validator,
) -> None:
    """KPIs of an empty plan (a median of no travel) are null: the JSON stays standard."""
    data = copy.deepcopy(EXAMPLE_DATASET)
    data["travel_times"] = []
    data["workshop_slots"] = []
    for offer in data["offers"]:
        offer.update(lat=43.3, lon=5.4)  # Marseille: out of everybody's reach
        offer.pop("commune", None)
    for student in data["students"]:  # pins out of reach would be conflicts, not unplaced
        student.pop("pinned_offer", None)
        student.pop("pinned_slots", None)
    out = solve_json(data, time_limit=5)
    assert out["assignments"] == []
    assert out["kpis"]["travel_median_min"] is None
    assert {u["reason"] for u in out["unplaced"]} == {"no_reachable_offer"}
    json.dumps(out, allow_nan=False)
    assert errors_of(result_validator, out) == []


def test_error_documents_validate(result_validator: jsonschema.Draft202012Validator) -> None:
    assert errors_of(result_validator, error_document("no")) == []
    assert errors_of(result_validator, {"status": "error"})
    assert errors_of(result_validator, {"status": "optimal", "problems": []})


def test_result_document_of_a_written_plan(tmp_path: Path) -> None:
    """A plan read back from its folder gives the same JSON document (bar timings)."""
    from stagematch.export import read_result, write_plan

    result = stagematch.solve(loads_json(json.dumps(EXAMPLE_DATASET)), time_limit=10)
    write_plan(result, tmp_path)
    original, again = result_document(result), result_document(read_result(tmp_path))
    for document in (original, again):
        document.pop("seconds")
    assert again == original
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in original["kpis"].values())


def test_api_docstring_examples() -> None:
    import doctest

    import stagematch.api

    assert doctest.testmod(stagematch.api).failed == 0
