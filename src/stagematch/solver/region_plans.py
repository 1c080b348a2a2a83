"""Plans from the Lagrangian master, a region at a time, for a component too large for one.

A component of up to ``Tuning.first_order_pairs`` pairs gets its plans from the restricted
master of its Lagrangian bound (:mod:`.master_plan`). An académie's single component is far
larger: its master would not fit. Its students are cut into small regions of nearby students
(:mod:`.regions`, at most ``Tuning.region_plan_students`` each) and each region gets its own
master, over the pairs its flows by regions hold (:func:`.component_flows.region_pool`), every
other student's seats taken out (:func:`.subproblem.sub_problem`): the region's Lagrangian
column generation, level by level, and its MILP plans (:class:`.master_plan.MasterPlanner`).
The bounds it computes are dropped — over a region's pool only, they bound nothing of the
component. A region's plan is adopted only when lexicographically better on the region; every
level of the objective this path runs for is a sum over students and the others keep their
pairs, so the component's plan is then lexicographically better too.

Measured on the académie (docs/benchmarks.md, "Académie preference and travel, session 11"):
on regions of 450 to 789 students the master's plans were lexicographically better than the
searched plan on every region — a region's preference 1,138 → 1,002 with workshops 142 → 143
and coverage 9,592 → 9,633; another's coverage 8,715 → 8,855 and preference 1,009 → 906 —
for 2 to 8 CPU s a region (a region of 6,315 students cost 133: column generation grows faster
than the region). Regions run in a fixed order while ``Tuning.region_plan_work`` lasts, each
charged by its pairs: the same input gives the same plan. It is off by default (work 0): the
académie's 64 regions cost more than 500 CPU s (a run planning them all was stopped unfinished
after 626 CPU s, the phases before included), which the 120-s cap of issue 12's command line
does not leave.
"""

from __future__ import annotations

import numpy as np

from ..arrays import IntArray
from ..levels import LEVELS
from .component_flows import region_pool
from .context import Chosen, SolveContext
from .lagrangian import models_every_rule
from .master_plan import makes_plans, planned_bounds
from .regions import regions
from .subproblem import Rows, sub_problem

__all__ = ["REGION_PLAN_CHARGE", "REGION_PLAN_SESSIONS", "plan_regions", "region_pairs"]

REGION_PLAN_CHARGE = 1.0
"""Work charged for one region's master, per 10,000 pairs of its sub-problem: about its CPU
seconds (0.4 to 1.6 a 10,000 pairs measured on académie regions of 450 to 789 students)."""

REGION_PLAN_SESSIONS = 32
"""Nearest candidate sessions per student in a region's master, beside those it holds: with
all of them (up to 240 a student on the académie) a region of 500 students cost 51 CPU s, its
column generation did not converge and only travel improved; with 32, 8 CPU s for 140
half-days of coverage more (a region of 450 lost the 14 workshops all its sessions gave)."""


def plan_regions(context: SolveContext, chosen: Chosen, students: IntArray, rows: Rows) -> int:
    """Improve ``chosen`` on ``students`` (one component) by the Lagrangian master of one
    region at a time, while ``Tuning.region_plan_work`` lasts; returns the regions whose plan
    was adopted. The wall-clock cap and the stop flag end it between regions (and cut a
    region's MILP, whose plan is then not taken: ``stopped_by`` says so)."""
    tuning, limits = context.tuning, context.limits
    if tuning.region_plan_work <= 0 or tuning.region_plan_students <= 0:
        return 0
    weight = np.ones(len(students), dtype=np.int64)
    used, adopted = 0.0, 0
    for region in regions(context, students, weight, limit=tuning.region_plan_students):
        if used >= tuning.region_plan_work or limits.exhausted():
            break
        o_pairs, w_pairs = region_pairs(context, chosen, rows, region)
        used += REGION_PLAN_CHARGE * (len(o_pairs) + len(w_pairs)) / 10_000
        adopted += _plan_region(context, chosen, region, o_pairs, w_pairs)
    return adopted


def region_pairs(
    context: SolveContext, chosen: Chosen, rows: Rows, region: IntArray
) -> tuple[IntArray, IntArray]:
    """The placement and session pairs of a region's master: the pool of its flows by regions
    (:func:`.component_flows.region_pool`), and each student's ``REGION_PLAN_SESSIONS`` nearest
    candidate sessions beside those it holds (the académie's students have up to 240)."""
    cand = context.cand
    o_pairs = region_pool(context, chosen, rows, region)
    w = np.concatenate([rows.slots[s] for s in region.tolist()]).astype(np.int64)
    w = w[np.lexsort((w, cand.slots.minutes[w], cand.slots.student[w]))]
    student = cand.slots.student[w]
    starts = np.flatnonzero(np.r_[True, student[1:] != student[:-1]]) if len(w) else w
    rank = np.arange(len(w)) - np.repeat(starts, np.diff(np.r_[starts, len(w)]))
    return o_pairs, np.sort(w[(rank < REGION_PLAN_SESSIONS) | chosen.slot_chosen[w]])


def _plan_region(
    context: SolveContext, chosen: Chosen, region: IntArray, o_pairs: IntArray, w_pairs: IntArray
) -> bool:
    """The region's master plans (its students on the pairs ``o_pairs``, ``w_pairs``); the
    best adopted into ``chosen`` when lexicographically better on the region."""
    data = sub_problem(context, chosen, region, o_pairs, w_pairs)
    # A minimum QPV share counts an offer's holders outside the region too: left to the search.
    if not (makes_plans(context, data) and models_every_rule(data, context.objective)):
        return False
    plan = (chosen.offer_chosen[o_pairs], chosen.slot_chosen[w_pairs])
    values = {lv: float(LEVELS[lv].value(data, *plan)) for lv in context.objective}
    _, planner = planned_bounds(context, data, plan, values, planning=True)
    assert planner is not None  # planning
    context.limits.exhausted()  # a cut column generation depends on the machine: the result says so
    context.limits.note(planner.stopped_by)
    if not planner.adopted:
        return False
    chosen.offer_chosen[o_pairs] = planner.plan[0]
    chosen.slot_chosen[w_pairs] = planner.plan[1]
    return True
