"""A :class:`~stagematch.result.Result` for any plan: read from disk, made by hand or re-planned.

Reports need travel minutes, wish ranks, level values and reasons for a plan whether or not the
solver produced it in this process; this module derives them from the instance and the plan.
Bounds are not known for an arbitrary plan, so unless given they equal the values and the
status is ``feasible``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .arrays import IntArray
from .candidates import candidates, data_warnings, wish_cost, wish_ranks
from .errors import Problem
from .levels import PairData, level_values
from .model import CHANGES, COACHES, Instance
from .model import LEVELS as LEVEL_NAMES
from .plan import Plan
from .reasons import unplaced_reasons
from .result import LevelResult, Result, Status, StoppedBy, level_result
from .travel import Pairs, minutes_for

if TYPE_CHECKING:
    from .candidates import Candidates


def plan_pairs(instance: Instance, plan: Plan) -> PairData:
    """The plan's pairs with what the levels need (:mod:`stagematch.levels`); all chosen."""
    arrays = instance.arrays
    encoded = arrays.encode(plan)
    placements = _placement_pairs(encoded.placements)
    w = encoded.sessions
    o_student = placements.student.astype(np.int64)
    o_item = placements.item.astype(np.int64)
    ranks = wish_ranks(instance, placements)
    offers, slots = arrays.offers, arrays.slots
    return PairData(
        qpv=arrays.qpv,
        workshops_per_student=instance.settings.workshops_per_student,
        n_half_days=instance.n_half_days,
        offer_student=o_student,
        offer_first=offers.first_half_day[o_item],
        offer_last=offers.last_half_day[o_item],
        offer_cost=wish_cost(ranks, instance.settings.unranked_cost),
        offer_minutes=minutes_for(instance, "placement", o_student, o_item).astype(np.float64),
        slot_student=w[:, 0],
        slot_first=slots.first_half_day[w[:, 1]],
        slot_last=slots.last_half_day[w[:, 1]],
        slot_minutes=minutes_for(instance, "workshop", w[:, 0], w[:, 1]).astype(np.float64),
        slot_workshop=slots.group[w[:, 1]],
        coach_capacity=arrays.coach_capacity,
        slot_coach_group=arrays.coach_groups(w[:, 1], w[:, 0])[0],
    )


def plan_levels(instance: Instance, plan: Plan) -> dict[str, float]:
    """Every SPEC level's value for ``plan`` (all six, whatever the objective), and
    ``coaches`` when the dataset gives ``coach_capacity``."""
    data = plan_pairs(instance, plan)
    x = np.ones(len(data.offer_student), dtype=bool)
    y = np.ones(len(data.slot_student), dtype=bool)
    names = list(LEVEL_NAMES)
    if instance.settings.coach_capacity is not None:
        names.append(COACHES)
    return level_values(data, x, y, names)


def _placement_pairs(rows: IntArray) -> Pairs:
    """(student, offer) position rows as pairs sorted by student, then offer."""
    rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
    s, o = rows[:, 0].astype(np.int32), rows[:, 1].astype(np.int32)
    return Pairs(s, o, np.zeros(len(rows), dtype=np.float32))


def _minutes(instance: Instance, plan: Plan) -> dict[tuple[str, str], float]:
    """Each assignment's one-way minutes, keyed by (student id, item id)."""
    encoded = instance.arrays.encode(plan)  # rows in the plan's order, kind by kind
    out: dict[tuple[str, str], float] = {}
    for chosen, minutes in (
        (
            [a for a in plan.assignments if a.kind == "placement"],
            minutes_for(instance, "placement", encoded.placements[:, 0], encoded.placements[:, 1]),
        ),
        (
            [a for a in plan.assignments if a.kind == "workshop"],
            minutes_for(instance, "workshop", encoded.sessions[:, 0], encoded.sessions[:, 1]),
        ),
    ):
        out.update(
            {(a.student_id, a.item_id): float(m) for a, m in zip(chosen, minutes, strict=True)}
        )
    return out


def evaluate(
    instance: Instance,
    plan: Plan,
    *,
    status: Status = "feasible",
    bounds: dict[str, float] | None = None,
    seconds: dict[str, float] | None = None,
    seed: int = 0,
    cand: Candidates | None = None,
    stopped_by: StoppedBy | None = None,
    options: dict[str, Any] | None = None,
) -> Result:
    """A full :class:`Result` for ``plan`` (values recomputed; bounds as given, else the values)."""
    arrays = instance.arrays
    values = plan_levels(instance, plan)
    bounds = bounds or {}
    levels: dict[str, LevelResult] = {
        name: level_result(name, values[name], bounds.get(name, values[name]))
        for name in instance.settings.objective
        if name in values  # ``changes`` needs the previous plan: see result_from_summary
    }
    pairs = _placement_pairs(arrays.encode(plan).placements)
    ranks = wish_ranks(instance, pairs)
    ids = arrays.student_ids
    rank_of = {
        (ids[s], arrays.offers.ids[o]): int(r)
        for s, o, r in zip(pairs.student, pairs.item, ranks, strict=True)
    }
    cand = cand if cand is not None else candidates(instance)
    return Result(
        instance=instance,
        plan=plan,
        status=status,
        levels=levels,
        unplaced=unplaced_reasons(instance, cand, plan),
        seconds=seconds or {},
        seed=seed,
        travel_minutes=_minutes(instance, plan),
        wish_rank=rank_of,
        stopped_by=stopped_by,
        options=options or {},
        warnings=data_warnings(instance, cand),
    )


def result_from_summary(instance: Instance, plan: Plan, summary: dict[str, Any]) -> Result:
    """Rebuild the :class:`Result` of a written plan folder (status and bounds from its summary)."""
    written = summary.get("levels", {})
    bounds = {name: float(v["bound"]) for name, v in written.items()}
    result = evaluate(
        instance,
        plan,
        status=summary.get("status", "feasible"),
        bounds=bounds,
        seconds=summary.get("seconds", {}),
        seed=int(summary.get("seed", 0)),
        stopped_by=summary.get("stopped_by"),
        options=summary.get("options") or {},
    )
    if "warnings" in summary:  # as found on the data the plan was solved from
        result = replace(result, warnings=tuple(Problem.from_dict(w) for w in summary["warnings"]))
    if CHANGES not in written:
        return result
    # A re-planned folder: ``changes`` compared with a plan this folder does not hold, so its
    # value is taken as written, in the level order of the summary.
    recomputed = dict(result.levels)
    recomputed[CHANGES] = level_result(
        CHANGES, float(written[CHANGES]["value"]), float(written[CHANGES]["bound"])
    )
    levels = {name: recomputed[name] for name in written if name in recomputed}
    levels.update({k: v for k, v in recomputed.items() if k not in levels})
    return replace(result, levels=levels)
