"""``solve`` as four named stages, each a function of one :class:`.context.SolveContext`.

1. :func:`prepare` (**candidates**) — eligible, reachable pairs, pins checked, the objective,
   the short list: everything later stages read, frozen in the context.
2. :func:`.warmstart.warm_start` (**warm start**) — the flow's proven placements, completed
   greedily: a valid plan before any search.
3. :func:`.components.solve_components` (**components**) — each connected component solved
   exactly or by neighbourhood search, its bounds summed.
4. :func:`assemble` (**assemble**) — the plan, its levels evaluated once more, the unplaced
   explained: the :class:`~stagematch.result.Result`.

:func:`run` chains them; :func:`.entry.solve` turns its arguments into one
:class:`~.options.SolveOptions` first, and runs them on the whole instance or by parts.
Re-planning (:func:`stagematch.resolve`) and each part of a solve by parts (:mod:`.parts`) run
the same four stages.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..candidates import SLICE, Candidates, candidates, data_warnings
from ..errors import InvalidInputError, Problem
from ..i18n import lazy_text
from ..levels import LEVELS
from ..model import CHANGES, Instance
from ..plan import Plan
from ..reasons import unplaced_reasons
from ..result import LevelResult, Result, level_result
from ..share import qpv_candidates, share_binds
from .components import solve_components
from .context import Chosen, Phases, SolveContext, WarmStart
from .cpsat import PairFlags
from .fixed import pair_flags, pin_conflicts
from .flow import FLOW_LEVELS
from .limits import Limits
from .options import Progress, ResolvedOptions
from .search import chosen_pairs
from .shortlist import shortlist
from .stable import Stability
from .warmstart import warm_start, with_fixed_pairs

__all__ = [
    "assemble",
    "check_pins",
    "flow_prefix",
    "objective_levels",
    "prepare",
    "run",
    "solve_callback",
]


def run(
    instance: Instance,
    options: ResolvedOptions,
    *,
    previous: Plan | None = None,
    pairs: Candidates | None = None,
) -> Result:
    """The four stages, with options already resolved against the settings."""
    context = prepare(instance, options, previous, pairs)
    start = warm_start(context)
    bounds = solve_components(context, start)
    return assemble(context, start, bounds)


def prepare(
    instance: Instance,
    options: ResolvedOptions,
    previous: Plan | None = None,
    pairs: Candidates | None = None,
) -> SolveContext:
    """Stage 1: the candidate pairs, the pins checked, and all that the later stages read."""
    started = time.monotonic()
    # Keep time for what follows the search: its last step, evaluating levels and bounds,
    # and explaining the unplaced (about 15 s on an académie).
    cap = options.time_limit
    limits = Limits(started + cap - min(20.0, 0.15 * cap), options.stop)
    phases = Phases(options.progress, started)
    cand = candidates(instance) if pairs is None else pairs
    problems = pin_conflicts(instance, cand)
    if problems:
        raise InvalidInputError(problems, instance.warnings)
    flags = pair_flags(instance, cand, previous)
    phases.end("candidates")
    arrays = instance.arrays
    objective = objective_levels(instance.settings.objective, replanning=previous is not None)
    share_candidates = qpv_candidates(arrays, cand)
    # The flow knows neither stability nor the QPV share: its optima are then only bounds,
    # and every component optimises those levels itself.
    exact_flow = not options.stable and not share_binds(arrays, share_candidates)
    stability = _stability(instance, cand, flags, previous) if options.stable else None
    short = with_fixed_pairs(
        cand, shortlist(cand, arrays.n_students, options.tuning.shortlist), flags
    )
    phases.end("shortlist")
    return SolveContext(
        instance=instance,
        cand=cand,
        options=options,
        limits=limits,
        phases=phases,
        objective=objective,
        leading=flow_prefix(objective) if exact_flow else [],
        flags=flags,
        share_candidates=share_candidates,
        stability=stability,
        short=short,
        scale=_travel_scale(cand),
        previous=previous,
        whole=pairs is None,
    )


def assemble(context: SolveContext, start: WarmStart, bounds: dict[str, float]) -> Result:
    """Stage 4: the plan, its levels (whatever each component reported on the way), the
    reasons of the unplaced, and the options that made it."""
    instance, cand, options = context.instance, context.cand, context.options
    chosen = start.chosen
    plan = chosen.plan(context.arrays, context.cand)
    everyone = np.ones(context.arrays.n_students, dtype=bool)
    final, x, y = chosen_pairs(context, chosen, everyone)
    levels: dict[str, LevelResult] = {}
    for lvl in context.objective:  # travel was counted in 1/scale minutes
        value, bound = LEVELS[lvl].value(final, x, y), bounds[lvl]
        if lvl == "travel":
            value, bound = value / context.scale, bound / context.scale
        levels[lvl] = level_result(lvl, value, bound)
    unplaced = unplaced_reasons(instance, cand, plan, stable=options.stable)
    context.phases.end("reasons")
    travel, ranks = _pair_details(context, chosen)
    return Result(
        instance=instance,
        plan=plan,
        status="optimal" if all(v.proven for v in levels.values()) else "feasible",
        levels=levels,
        unplaced=unplaced,
        seconds=context.phases.total(),
        seed=options.seed,
        travel_minutes=travel,
        wish_rank=ranks,
        stopped_by=context.limits.stopped_by,
        options={
            "method": "solve" if context.previous is None else "resolve",
            "objective": context.objective,
            "stable": options.stable,
            "qpv_min_share": instance.settings.qpv_min_share,
            **options.recorded(),
        },
        # Given pairs are a part's (solve_in_parts evaluates the glued plan on all of them).
        warnings=data_warnings(instance, cand) if context.whole else instance.warnings,
    )


def _pair_details(
    context: SolveContext, chosen: Chosen
) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], int]]:
    """Minutes of every chosen pair and wish rank of every chosen placement, by ids."""
    arrays, cand = context.arrays, context.cand
    ids = arrays.student_ids
    o_pick = np.flatnonzero(chosen.offer_chosen)
    s_pick = np.flatnonzero(chosen.slot_chosen)
    travel = {
        (ids[cand.offers.student[k]], arrays.offers.ids[cand.offers.item[k]]): float(
            cand.offers.minutes[k]
        )
        for k in o_pick
    }
    travel.update(
        {
            (ids[cand.slots.student[k]], arrays.slots.ids[cand.slots.item[k]]): float(
                cand.slots.minutes[k]
            )
            for k in s_pick
        }
    )
    ranks = {
        (ids[cand.offers.student[k]], arrays.offers.ids[cand.offers.item[k]]): int(
            cand.offer_rank[k]
        )
        for k in o_pick
    }
    return travel, ranks


def check_pins(instance: Instance, cand: Candidates | None = None) -> list[Problem]:
    """Problems with the pins of a valid dataset (none without pins): what ``solve`` would raise.

    Pins need the candidate pairs (travel and eligibility) and a small CP-SAT model, so they
    are checked here rather than when the dataset is loaded; ``stagematch validate`` runs it.
    ``cand`` saves computing the candidate pairs again when the caller has them.
    """
    arrays = instance.arrays
    if not len(arrays.pinned_offers) and not len(arrays.pinned_slots):
        return []
    return pin_conflicts(instance, candidates(instance) if cand is None else cand)


def objective_levels(objective: tuple[str, ...], *, replanning: bool) -> list[str]:
    """The levels to optimise: ``changes`` only when re-planning, by default after ``placed``."""
    levels = [lvl for lvl in objective if lvl != CHANGES or replanning]
    if replanning and CHANGES not in levels:
        after = [i + 1 for i, lvl in enumerate(levels) if lvl in FLOW_LEVELS]
        levels.insert(max(after, default=0), CHANGES)
    return levels


def flow_prefix(objective: list[str]) -> list[str]:
    """The leading levels the flow proves: any run of ``qpv_placed``/``placed`` at the top."""
    prefix: list[str] = []
    for level in objective:
        if level not in FLOW_LEVELS:
            break
        prefix.append(level)
    return prefix


def _stability(
    instance: Instance, cand: Candidates, flags: PairFlags, previous: Plan | None
) -> Stability:
    """Stability for this solve, or why it cannot be had.

    Its warm start is deferred acceptance's plan, which knows neither pinned placements nor
    a previous plan; a pin may even force justified envy. Rather than return a plan that is
    not what was asked, the combination is refused.
    """
    pinned = flags.offer_pinned is not None and bool(flags.offer_pinned.any())
    if pinned or previous is not None:
        what = (
            lazy_text("pinned placements (pinned_offer)")
            if pinned
            else lazy_text("re-planning (a previous plan)")
        )
        raise InvalidInputError(
            [
                Problem(
                    "settings",
                    None,
                    "stable",
                    "true",
                    lazy_text("stable plans cannot be combined with {what} yet", what=what),
                )
            ]
        )
    return Stability(instance, cand)


def _travel_scale(cand: Candidates) -> int:
    """Travel minutes are integers unless overrides say otherwise; then count hundredths.

    Read a slice at a time: a copy of every pair's minutes would be the solve's peak."""
    for minutes in (cand.offers.minutes, cand.slots.minutes):
        for start in range(0, len(minutes), SLICE):
            part = minutes[start : start + SLICE]
            if not np.array_equal(part, np.round(part)):
                return 100
    return 1


def solve_callback(fn: Callable[[str], None]) -> Progress:
    """A :class:`Progress` that sends one line per event to ``fn`` (e.g. ``print``)."""

    class _Lines(Progress):
        def on_phase(self, phase: str, seconds: float) -> None:
            fn(f"{phase}: {seconds:.2f} s")

        def on_component(self, done: int, total: int, students: int) -> None:
            fn(f"component {done}/{total} ({students} students) solved")

        def on_level(self, level: str, value: float, bound: float) -> None:
            fn(f"  {level}: {value:g} (bound {bound:g})")

    return _Lines()
