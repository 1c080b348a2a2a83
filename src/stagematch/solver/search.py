"""A component too large for one exact model: neighbourhood search, and bounds without search.

The plan is improved by large-neighbourhood search (:mod:`.lns`), then by the plans of the
Lagrangian bound's master where its MILP keeps every rule of the component (:mod:`.master_plan`),
or else, for a component of at most ``Tuning.polish_pairs`` pairs, its lower levels by its
exact model's relaxation (:mod:`.polish`), then evaluated on the pairs
it holds only (a model of the whole component would not fit). Its bounds come from the flow for
``qpv_placed`` and ``placed``, from what each student could get alone for the others
(:mod:`.bounds`), and — for a component of at most ``Tuning.first_order_pairs`` pairs — from the
linear relaxation of its exact model (:func:`.relaxation.relaxation_bounds`), the better of the two.
"""

from __future__ import annotations

import numpy as np

from ..arrays import BoolArray
from ..levels import LEVELS, PairData
from ..model import CHANGES
from .bounds import level_bounds
from .context import Chosen, SolveContext, scaled_minutes
from .cpsat import ComponentData
from .flow import ranges
from .graph import Component, Part, component_data, materialise, pairs_data
from .lns import improve
from .master_plan import bounds_and_plans, keeps_every_rule, makes_plans
from .polish import polish
from .region_plans import plan_regions
from .relaxation import relaxation_bounds
from .subproblem import student_rows

__all__ = ["LevelTriple", "chosen_pairs", "search_component"]

LevelTriple = tuple[float, float, bool]  # value, bound, proven


def search_component(
    context: SolveContext, part: Part, chosen: Chosen, work: float, flow_best: dict[str, float]
) -> dict[str, LevelTriple]:
    """Improve ``chosen`` on the component by neighbourhood search; its levels and bounds.

    ``flow_best`` holds the component's flow optima of ``qpv_placed`` and ``placed``: proven
    values when those levels lead the objective, valid upper bounds wherever they stand.
    """
    arrays, objective, scale = context.arrays, context.objective, context.scale
    improve(context, chosen, part.students, work)
    whole = _whole(context, part)
    if whole is None and context.tuning.region_plan_work > 0:  # no master of its own
        rows = student_rows(context, chosen, part.students)
        plan_regions(context, chosen, part.students, rows)
    planning = (
        whole is not None
        and _lagrangian(context, part, whole[1])
        and makes_plans(context, whole[1])
    )
    # The master's plans take the polish's place: the polish's bounds hold for its plan only.
    polished = {} if planning else polish(context, part, chosen)
    members = np.zeros(arrays.n_students, dtype=bool)
    members[part.students] = True
    values = _values(context, chosen, members)
    relaxed: dict[str, int] = {}
    if whole is not None and not context.limits.exhausted():
        relaxed = _relaxed(context, part, whole, chosen, values, planning)
        values = _values(context, chosen, members)
    bounds = level_bounds(
        arrays,
        context.cand,
        objective,
        values,
        int(flow_best["placed"]),
        context.workshops_per_student,
        members,
        context.short,
        # Past the wall-clock cap, no flow more than before (the run says it was cut).
        0 if context.limits.exhausted() else context.tuning.wish_floor_pairs,
    )
    out: dict[str, LevelTriple] = {}
    for lvl in objective:
        value = values[lvl]
        if lvl in flow_best:
            bound = flow_best[lvl]
        elif lvl == CHANGES:  # students who lost an item change whatever is done
            lost = context.flags.student_lost
            bound = 0.0 if lost is None else float(lost[part.students].sum())
        else:
            bound = bounds[lvl] * (scale if lvl == "travel" else 1)
        for tighter in (polished.get(lvl), relaxed.get(lvl)):  # conditional on the levels above
            if tighter is not None:
                bound = min(bound, tighter) if LEVELS[lvl].maximise else max(bound, tighter)
        out[lvl] = (value, bound, bool(np.isclose(value, bound)))
    if "coaches" in objective and not context.limits.exhausted():
        _tighten_coaches(context, part, values, out)
    return out


def _tighten_coaches(
    context: SolveContext,
    part: Part,
    values: dict[str, float],
    out: dict[str, LevelTriple],
) -> None:
    """The bound of ``coaches`` from the relaxation of the sessions alone, where tighter.

    Coach groups are made of session pairs only, so the model without its placements (and
    the rows that hold them) is a relaxation of the component's: every plan, its placements
    dropped, satisfies it. With ``workshops`` ranked above and fixed at its value, its linear
    relaxation bounds ``coaches`` nearly as well as the whole model's and costs a fraction of
    it: on a 1,000-student bassin (6,500 session pairs beside 49,000 placement pairs) 25
    coaches in 1 CPU second, where the whole model's relaxation gives 26 in about 19 and
    counting seats gives 22. Levels ranked above other than ``workshops`` need placements and
    are left free, which keeps the bound valid (only looser).
    """
    objective = context.objective
    if "workshops" not in objective[: objective.index("coaches")]:
        return  # nothing above asks for sessions: the search-free bound stands
    n = context.arrays.n_students
    slot_pairs = ranges(context.cand.slots.indptr(n), part.students)
    tuning = context.tuning
    if len(slot_pairs) > max(tuning.relaxation_pairs, tuning.first_order_pairs):
        return
    sessions = pairs_data(context, part.students, np.zeros(0, dtype=np.int64), slot_pairs)
    relaxed = relaxation_bounds(
        sessions,
        ["workshops", "coaches"],
        values,
        {"workshops"},
        context.limits.seconds_left(),
        context.limits.stop,
        tuning=tuning,
    )
    if "coaches" in relaxed:
        value, bound, _ = out["coaches"]
        bound = max(bound, relaxed["coaches"])
        out["coaches"] = (value, bound, bool(np.isclose(value, bound)))


def _values(context: SolveContext, chosen: Chosen, members: BoolArray) -> dict[str, float]:
    """The levels of the plan ``chosen`` on the students ``members``."""
    data, x, y = chosen_pairs(context, chosen, members)
    return {lvl: LEVELS[lvl].value(data, x, y) for lvl in context.objective}


def _whole(context: SolveContext, part: Part) -> tuple[Component, ComponentData] | None:
    """The component's pairs and its data, if it is small enough for a relaxation or a
    Lagrangian bound (and the search was not cut)."""
    tuning = context.tuning
    relaxed_up_to = max(tuning.relaxation_pairs, tuning.first_order_pairs)
    if part.n_pairs > relaxed_up_to or context.limits.exhausted():
        return None
    n = context.arrays.n_students
    component = materialise(part, context.cand.offers.indptr(n), context.cand.slots.indptr(n))
    return component, component_data(context, component)


def _lagrangian(context: SolveContext, part: Part, data: ComponentData) -> bool:
    """Does the component get the Lagrangian bound rather than the interior point's? Above
    ``Tuning.relaxation_pairs``, and above ``Tuning.lagrangian_pairs`` when it keeps every rule
    of the component but the minimum QPV shares, which it prices as the rows they imply
    (:mod:`.share_rows`): then it is at least as tight, for far less work (a 1,000-student
    bassin with a 30 % share: `placed` bounded at 669 instead of 733, in 27 CPU s instead of
    101 with the master's plans, docs/benchmarks.md)."""
    tuning = context.tuning
    return part.n_pairs > tuning.relaxation_pairs or (
        part.n_pairs > tuning.lagrangian_pairs and keeps_every_rule(data, context.objective)
    )


def _relaxed(
    context: SolveContext,
    part: Part,
    whole: tuple[Component, ComponentData],
    chosen: Chosen,
    values: dict[str, float],
    planning: bool,
) -> dict[str, int]:
    """The relaxation's bounds (interior point) or the Lagrangian bound's, each conditional on
    ``values`` of the levels above — with ``planning``, on those of the plan the Lagrangian
    master made and left in ``chosen`` (:mod:`.master_plan`)."""
    limits, tuning = context.limits, context.tuning
    component, data = whole
    if _lagrangian(context, part, data):
        return bounds_and_plans(context, component, data, chosen, values, planning)
    return relaxation_bounds(
        data,
        context.objective,
        values,
        set(context.leading),
        limits.seconds_left(),
        limits.stop,
        tuning=tuning,
    )


def chosen_pairs(
    context: SolveContext, chosen: Chosen, members: BoolArray
) -> tuple[PairData, BoolArray, BoolArray]:
    """The pairs ``members`` hold (and held in the previous plan) as level data (students
    numbered as in the instance), with the mask of those chosen now."""
    arrays, cand, flags, scale = context.arrays, context.cand, context.flags, context.scale
    offer_chosen, slot_chosen = chosen.offer_chosen, chosen.slot_chosen
    offer_keep = offer_chosen & members[cand.offers.student]
    slot_keep = slot_chosen & members[cand.slots.student]
    if flags.offer_previous is not None:
        offer_keep |= flags.offer_previous & members[cand.offers.student]
    if flags.slot_previous is not None:
        slot_keep |= flags.slot_previous & members[cand.slots.student]
    o = np.flatnonzero(offer_keep)
    w = np.flatnonzero(slot_keep)
    o_item = cand.offers.item[o].astype(np.int64)
    w_item = cand.slots.item[w].astype(np.int64)
    offers, slots = arrays.offers, arrays.slots
    previous = flags.restrict(o, w, np.arange(arrays.n_students))
    lost = previous["student_lost"]
    data = PairData(
        qpv=arrays.qpv,
        workshops_per_student=context.workshops_per_student,
        n_half_days=context.instance.n_half_days,
        offer_student=cand.offers.student[o].astype(np.int64),
        offer_first=offers.first_half_day[o_item],
        offer_last=offers.last_half_day[o_item],
        offer_cost=cand.offer_cost[o].astype(np.int64),
        offer_minutes=scaled_minutes(cand.offers.minutes[o], scale),
        slot_student=cand.slots.student[w].astype(np.int64),
        slot_first=slots.first_half_day[w_item],
        slot_last=slots.last_half_day[w_item],
        slot_minutes=scaled_minutes(cand.slots.minutes[w], scale),
        slot_workshop=slots.group[w_item],
        offer_previous=previous["offer_previous"],
        slot_previous=previous["slot_previous"],
        student_lost=None if lost is None else lost & members,
        coach_capacity=arrays.coach_capacity,
        slot_coach_group=arrays.coach_groups(w_item, cand.slots.student[w])[0],
    )
    return data, offer_chosen[o], slot_chosen[w]
