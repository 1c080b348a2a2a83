"""``solve``: the whole instance through the four stages of :mod:`.pipeline`, or by parts when
it would not fit the memory limit.

Before any candidate pair is listed, :func:`.memory.estimate` counts the pairs (no pair kept)
and the peak memory they cost. Within ``memory_limit`` the instance is solved whole, as always.
Above it, the instance is cut into geographic parts (:func:`stagematch.decompose.partition`)
whose estimated pairs each fit the limit, and solved part by part (:mod:`.parts`): the memory
stays bounded by one part's pairs, at the cost measured in ``docs/scaling.md`` (students near
a cut who could only be placed across it). The choice depends on the dataset and the limit
only, so the same options give the same plan; the result's options record it.
"""

from __future__ import annotations

from concurrent.futures import Executor

from ..candidates import Candidates
from ..decompose import partition
from ..model import Instance
from ..plan import Plan
from ..result import Result
from .memory import estimate, pairs_within
from .options import Progress, ResolvedOptions, SolveOptions, Stop
from .parts import parts_refused, run_parts
from .pipeline import run

__all__ = ["solve"]


def solve(
    instance: Instance,
    options: SolveOptions | None = None,
    *,
    previous: Plan | None = None,
    pairs: Candidates | None = None,
    time_limit: float | None = None,
    seed: int | None = None,
    budget: float | None = None,
    workers: int | None = None,
    stable: bool | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    stop: Stop | None = None,
    memory_limit: int | float | str | None = None,
) -> Result:
    """Solve ``instance``: every hard rule holds, levels are optimised in ``objective`` order.

    Parameters
    ----------
    instance
        A validated dataset.
    options
        How to solve (:class:`~stagematch.solver.options.SolveOptions`: work budget, seed,
        wall-clock cap, workers, stability, executor, progress, stop flag, memory limit,
        tuning). The keyword arguments of the same names override its fields; what neither
        gives comes from the dataset's settings.
    previous
        A plan to stay close to (re-planning, see :func:`stagematch.resolve`): the level
        ``changes`` counts the students whose items differ from it, right after ``placed``
        unless ``objective`` lists it elsewhere. Without it, ``changes`` is left out.
    pairs
        The candidate pairs to choose from (default: every eligible, reachable pair). Solving
        by parts (:mod:`.parts`) passes those of the items a part owns.
    time_limit, seed, budget, workers, stable, executor, progress, stop, memory_limit
        The fields of ``options`` (see there).

    Raises
    ------
    InvalidInputError
        When pins cannot hold: a pin that breaks a rule on its own, or a smallest set of pins
        that cannot all hold together.
    ValueError
        When ``memory_limit`` is not a size (``"4GB"``, ``"3500MB"``, a number of megabytes)
        nor ``"off"``.
    """
    chosen = SolveOptions.given(
        options,
        time_limit=time_limit,
        seed=seed,
        budget=budget,
        workers=workers,
        stable=stable,
        executor=executor,
        progress=progress,
        stop=stop,
        memory_limit=memory_limit,
    )
    resolved = chosen.resolved(instance.settings)
    if pairs is None and resolved.memory_limit is not None:
        by_parts = _over_the_limit(instance, resolved, previous)
        if by_parts is not None:
            return by_parts
    return run(instance, resolved, previous=previous, pairs=pairs)


def _over_the_limit(
    instance: Instance, options: ResolvedOptions, previous: Plan | None
) -> Result | None:
    """The result by parts when the estimate passes the limit and the rules allow a split;
    ``None``: solve whole (within the limit, or a split is impossible, which is reported)."""
    limit = options.memory_limit
    assert limit is not None
    guess = estimate(instance)
    if guess.megabytes <= limit:
        return None
    if options.stable or previous is not None or parts_refused(instance):
        options.progress.on_memory(guess.megabytes, limit, 0)
        return None
    split = partition(instance, max_pairs=pairs_within(limit, instance.arrays.n_students))
    options.progress.on_memory(guess.megabytes, limit, split.n_parts)
    why = {"parts_reason": "memory_limit", "estimated_memory": guess.megabytes}
    return run_parts(instance, split, options, why=why)
