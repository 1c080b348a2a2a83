"""Large-neighbourhood search: improve a big component a piece at a time.

A component with hundreds of thousands of candidate pairs is too large for one CP-SAT model,
but most students only compete with their neighbours. Each step frees a *neighbourhood* —
the students nearest a seed student, or (:mod:`.neighbourhoods`) those competing with it for
sessions, their placements kept — keeps everyone else's assignments fixed (their seats are
taken out of the capacities), and re-optimises the neighbourhood exactly with CP-SAT, with
every level constrained to be at least as good as it is now. A step can therefore never make
the plan worse on any level, lexicographically. Each student keeps only its cheapest candidate
pairs plus what it holds now, so steps stay small however dense the geography.

Steps run in sweeps over shuffled seeds (from ``seed``) — when re-planning, students who
changed first, since only their neighbourhoods can reduce ``changes``. The first sweep frees
near neighbourhoods; later ones choose each step's kind by what each kind has gained per unit
of work. The search stops when its *work* budget is spent, or after a sweep that improved
nothing. Before the steps and after them the whole component is re-assigned by min-cost flows
(:mod:`.component_flows`): chains of moves across the component that no neighbourhood holds. On a
3,000-student bassin they gain more than the steps their work would buy; the closing ones are
charged on top of the budget, so that no step is given up for them. Work is counted deterministically: the CP-SAT deterministic time each step
used plus a fixed charge per ``Tuning.neighbourhood`` students for building its model, so the same
input, seed and budget give the same plan on any machine. Only the wall-clock cap or a stop
flag (:mod:`.limits`) can end it otherwise, and they are recorded.
"""

from __future__ import annotations

import numpy as np

from ..arrays import BoolArray, IntArray
from ..levels import LEVELS
from .component_flows import ComponentFlows
from .context import Chosen, SolveContext
from .cpsat import ComponentData, ComponentOutcome, solve_component
from .flow import ranges
from .losses import Losses
from .neighbourhoods import KINDS, KindChooser, Neighbourhoods
from .subproblem import Rows, first_gain, free_pairs, student_rows, sub_problem

__all__ = ["improve"]


def _neighbourhood_data(
    context: SolveContext,
    chosen: Chosen,
    students: IntArray,
    rows: Rows,
    keep_placements: bool = False,
) -> tuple[ComponentData, IntArray, IntArray]:
    """The sub-problem of ``students`` with everyone else's seats taken out; with
    ``keep_placements``, the placement pairs they hold only (their calendars stay in the model,
    a placement can only be given up)."""
    # Their rows, what they hold now (a step may have given them a free seat off their rows)
    # and the free seats they could take.
    theirs = ranges(rows.offer_ptr, students)
    holding = theirs[chosen.offer_chosen[theirs]]
    if keep_placements:
        o_pairs: IntArray = holding.astype(np.int64)
    else:
        kept = [rows.offers[s] for s in students]
        kept += [holding, free_pairs(context, chosen, theirs)]
        o_pairs = np.unique(np.concatenate(kept)).astype(np.int64)
    w_pairs: IntArray = np.concatenate([rows.slots[s] for s in students]).astype(np.int64)
    return sub_problem(context, chosen, students, o_pairs, w_pairs), o_pairs, w_pairs


class _Sweeps:
    """The search's state: its random order, neighbourhoods and the work it has used."""

    def __init__(self, context: SolveContext, chosen: Chosen, students: IntArray, work: float):
        self.context, self.chosen, self.students, self.work = context, chosen, students, work
        self.rng = np.random.default_rng(context.options.seed)
        self.rows = student_rows(context, chosen, students)
        self.size = min(context.tuning.neighbourhood, len(students))
        self.neighbourhoods = Neighbourhoods(context, students, self.rows.slots, self.size)
        # Sessions steps keep the placements: not with stability, whose constraints are
        # written for neighbourhoods that may move them.
        sessions = self.neighbourhoods.has_sessions and context.stability is None
        self.chooser = KindChooser(KINDS if sessions else ("near",))
        self.losses = Losses(context, students)
        self.steps = 0
        self.sweeps = 0
        self.used = 0.0
        self.flows_of_component = ComponentFlows(context, chosen, students, self.rows)

    def spent(self) -> bool:
        """Is the work budget spent, or must the search end now (``limits``)?"""
        return self.used >= self.work or self.context.limits.exhausted()

    def flows(self) -> None:
        """Re-assign the whole component by min-cost flows (:mod:`.component_flows`), charged their
        fixed work; not when the wall-clock cap or the stop flag ends the search."""
        flows = self.flows_of_component
        if flows.charge and not self.context.limits.exhausted():
            self.used += flows.charge
            flows.run()

    def seeds(self) -> list[int]:
        """A sweep's seed students (positions in ``students``): those who lose the most value
        first (:mod:`.losses`, level by level in objective order), ties shuffled; when
        re-planning, those who changed before all others, since only their neighbourhoods can
        reduce ``changes``."""
        context, chosen = self.context, self.chosen
        seeds = self.rng.permutation(len(self.students))
        seeds = seeds[self.losses.order(chosen, self.students[seeds])]
        flags = context.flags
        if flags.offer_previous is not None:
            changed = flags.changed(
                context.cand, chosen.offer_chosen, chosen.slot_chosen, context.arrays.n_students
            )
            seeds = seeds[np.argsort(~changed[self.students[seeds]], kind="stable")]
        return list(seeds.tolist())

    def sweep(self) -> bool | None:
        """One sweep; whether it improved the plan (``None``: the search must end).

        The first sweep frees near neighbourhoods only: they find most gains, cheaply, and
        on a large component the budget ends within it. Later sweeps pick each step's kind
        by what the kinds have gained (:class:`.neighbourhoods.KindChooser`)."""
        improved = False
        covered = np.zeros(len(self.students), dtype=bool)
        for seed_index in self.seeds():
            if covered[seed_index]:
                continue
            if self.spent():
                return None
            kind = "near" if self.sweeps == 0 else self.chooser.choose(self.steps)
            used = self.used
            if kind == "sessions":
                members = self.neighbourhoods.sessions(
                    seed_index, self.chosen.slot_chosen, self.rng
                )
                gained = self.step(self.students[members], keep_placements=True)
            else:
                members = self.neighbourhoods.near(seed_index)
                covered[members] = True
                gained = self.step(self.students[members])
            self.chooser.record(kind, self.steps, gained, self.used - used)
            improved |= gained is not None
        self.sweeps += 1
        return improved

    def step(self, members: IntArray, keep_placements: bool = False) -> int | None:
        """Re-optimise the neighbourhood ``members`` (only their sessions with
        ``keep_placements``); keep the outcome if lexicographically better, and return the
        position in the objective of the first level it improved (``None``: kept the plan)."""
        context, chosen = self.context, self.chosen
        objective = context.objective
        data, o_pairs, w_pairs = _neighbourhood_data(
            context, chosen, members, self.rows, keep_placements
        )
        hint_x = chosen.offer_chosen[o_pairs]
        hint_y = chosen.slot_chosen[w_pairs]
        before = [LEVELS[lvl].value(data, hint_x, hint_y) for lvl in objective]
        fixed = _settled(objective, context.leading, before, data)
        outcome = self._solve(data, members, o_pairs, fixed, hint_x, hint_y)
        context.limits.note(outcome.stopped_by)
        # Building a model costs about the same per student whatever the kind.
        charge = context.tuning.step_charge * max(1.0, len(members) / self.size)
        self.used += outcome.work + charge
        after = [
            LEVELS[lvl].value(data, outcome.offer_chosen, outcome.slot_chosen) for lvl in objective
        ]
        self.steps += 1
        improved = first_gain(objective, after, before)
        if improved is None:
            return None
        chosen.offer_chosen[o_pairs] = outcome.offer_chosen
        chosen.slot_chosen[w_pairs] = outcome.slot_chosen
        return improved

    def _solve(
        self,
        data: ComponentData,
        members: IntArray,
        o_pairs: IntArray,
        fixed: dict[str, int],
        hint_x: BoolArray,
        hint_y: BoolArray,
    ) -> ComponentOutcome:
        context = self.context
        extra = None
        if context.stability is not None:
            extra = context.stability.for_neighbourhood(
                self.chosen.offer_chosen,
                members,
                o_pairs,
                data.offer_student,
                data.offer_item,
                data.offer_capacity,
            )
        per_level = context.tuning.step_deterministic_time
        return solve_component(
            data,
            context.objective,
            fixed,
            hint_x,
            hint_y,
            context.limits.deadline,
            context.options.seed,
            1,
            work=min(per_level * (len(context.objective) - len(fixed)), self.work - self.used),
            extra_constraints=extra,
            stop=context.limits.stop,
            presolve=False,
        )


def improve(context: SolveContext, chosen: Chosen, students: IntArray, work: float) -> int:
    """Improve ``chosen`` in place by neighbourhood steps over ``students``; returns the steps.

    The whole component is first re-assigned by min-cost flows (:mod:`.component_flows`); steps then
    go on while ``work`` units remain and a sweep improves something; the flows run once more
    at the end, their fixed work charged on top of ``work``. The context's ``limits`` (the
    wall-clock cap and the stop flag) can end it all sooner, and remember it.

    The context's ``leading`` levels are proven optimal by the flow: each neighbourhood keeps
    their value (the others, those two included when the flow does not prove them, are
    optimised). Its ``flags`` carry pins (kept in every neighbourhood) and the previous plan;
    with its ``stability``, every step keeps the plan free of justified envy.
    """
    if len(students) <= 1:
        return 0
    sweeps = _Sweeps(context, chosen, students, work)
    sweeps.flows()
    while not sweeps.spent():
        if not sweeps.sweep():
            break
    sweeps.flows()  # charged on top of ``work``: whatever ended the steps
    return sweeps.steps


def _settled(
    objective: list[str], leading: list[str], before: list[float], data: ComponentData
) -> dict[str, int]:
    """The levels a step keeps as constraints rather than optimises: those the flow proves,
    and each level that, with every level before it settled, is already at what the
    neighbourhood's students could get alone (its trivial bound): nothing to gain there. A
    level after one still to optimise is never settled, since it may have to give way."""
    settled = {lvl: round(before[i]) for i, lvl in enumerate(objective) if lvl in leading}
    for i, lvl in enumerate(objective):
        if lvl in settled:
            continue
        if before[i] != LEVELS[lvl].trivial_bound(data):
            break
        settled[lvl] = round(before[i])
    return settled
