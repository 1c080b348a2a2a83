"""Re-assigning placements or sessions by a min-cost flow (:mod:`stagematch.solver.reassign`).

With the other kind of item kept and each moving student holding at most one item, the flow's
choice is the lexicographic optimum among all such choices (placing at least as many QPV and
other students as the plan, counts it keeps but does not optimise: the solver runs it with
both at their proven optimum): checked against every choice, enumerated, on small random
instances from random valid plans. Whatever it returns keeps every rule (the checker) and
is never worse than the plan it started from; the same input gives the same choice.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from search_support import TOL, checked_levels, everyone, not_worse, prepared
from strategies import instances

from stagematch.levels import LEVELS
from stagematch.model import Instance
from stagematch.solver import Tuning
from stagematch.solver.context import Chosen, SolveContext
from stagematch.solver.cpsat import ComponentData, PairFlags
from stagematch.solver.graph import pairs_data
from stagematch.solver.reassign import Kind, reassign
from stagematch.solver.warmstart import warm_start

KINDS: tuple[Kind, ...] = ("placements", "sessions")
PLACED_COUNTS = ("qpv_placed", "placed")


def _flow_input(
    context: SolveContext, chosen: Chosen, kind: Kind
) -> tuple[ComponentData, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every student with every pair of ``kind`` and the pairs of the other kind they hold."""
    o_pairs = np.arange(len(context.cand.offers), dtype=np.int64)
    w_pairs = np.arange(len(context.cand.slots), dtype=np.int64)
    if kind == "placements":
        w_pairs = w_pairs[chosen.slot_chosen]
    else:
        o_pairs = o_pairs[chosen.offer_chosen]
    data = pairs_data(context, np.arange(context.arrays.n_students), o_pairs, w_pairs)
    return (
        data,
        o_pairs,
        w_pairs,
        chosen.offer_chosen[o_pairs],
        chosen.slot_chosen[w_pairs],
    )


def _apply(
    chosen: Chosen,
    o_pairs: np.ndarray,
    w_pairs: np.ndarray,
    kind: Kind,
    moved: np.ndarray,
) -> Chosen:
    offer, slot = chosen.offer_chosen.copy(), chosen.slot_chosen.copy()
    if kind == "placements":
        offer[o_pairs] = moved
    else:
        slot[w_pairs] = moved
    return Chosen(offer, slot)


@settings(max_examples=40, deadline=None)
@given(instances(max_students=6, max_offers=4, max_slots=3), st.integers(0, 2**16))
def test_the_flow_keeps_every_rule_and_never_makes_the_plan_worse(
    instance: Instance, seed: int
) -> None:
    context = prepared(instance, Tuning())
    chosen = _random_plan(context, seed) or warm_start(context).chosen
    before = checked_levels(context, chosen)
    for kind in KINDS:
        data, o_pairs, w_pairs, x, y = _flow_input(context, chosen, kind)
        moved = reassign(data, x, y, context.objective, kind)
        if moved is None:
            continue
        again = reassign(data, x, y, context.objective, kind)
        assert again is not None and np.array_equal(moved, again)
        after = checked_levels(context, _apply(chosen, o_pairs, w_pairs, kind, moved))
        assert not_worse(context.objective, after, before), (kind, before, after)


def _choices(
    data: ComponentData,
    x: np.ndarray,
    y: np.ndarray,
    kind: Kind,
    moving: np.ndarray | None = None,
) -> Iterator[np.ndarray]:
    """Every choice of ``kind`` where students holding two moving items, or a pinned one, keep
    theirs and the others hold at most one moving item that overlaps none of their kept items
    (of the other kind, and of ``kind`` outside ``moving``), within the seats (and, for
    placements, placing at least as many QPV and other students as now, and no more
    placements than a student may hold)."""
    placements = kind == "placements"
    student = data.offer_student if placements else data.slot_student
    item = data.offer_item if placements else data.slot_item
    first = data.offer_first if placements else data.slot_first
    last = data.offer_last if placements else data.slot_last
    capacity = data.offer_capacity if placements else data.slot_capacity
    reserved = data.offer_reserved if placements else data.slot_reserved
    chosen = x if placements else y
    moving = np.ones(len(chosen), dtype=bool) if moving is None else moving
    if placements:
        kept = chosen & ~moving
        k_student = np.concatenate((data.slot_student[y], data.offer_student[kept]))
        k_first = np.concatenate((data.slot_first[y], data.offer_first[kept]))
        k_last = np.concatenate((data.slot_last[y], data.offer_last[kept]))
    else:
        k_student, k_first, k_last = data.offer_student[x], data.offer_first[x], data.offer_last[x]
    n = data.n_students
    movers = _movers(data, x, y, kind, moving)
    options = []
    for s in np.flatnonzero(movers).tolist():
        mine = [
            k
            for k in np.flatnonzero((student == s) & moving).tolist()
            if not ((k_student == s) & (k_first <= last[k]) & (k_last >= first[k])).any()
        ]
        options.append([None, *mine])
    base = chosen & ~(movers[student] & moving)
    placed_now = np.bincount(student[chosen], minlength=n) > 0
    for combo in itertools.product(*options):
        choice = base.copy()
        choice[[k for k in combo if k is not None]] = True
        used = np.bincount(item[choice], minlength=len(capacity))
        non_qpv = np.bincount(item[choice & ~data.qpv[student]], minlength=len(capacity))
        if (used > capacity).any() or (non_qpv > capacity - reserved).any():
            continue
        if placements:
            placed = np.bincount(student[choice], minlength=n) > 0
            if (placed & data.qpv).sum() < (placed_now & data.qpv).sum():
                continue
            if (placed & ~data.qpv).sum() < (placed_now & ~data.qpv).sum():
                continue
        yield choice


def _random_plan(context: SolveContext, seed: int) -> Chosen | None:
    """A valid plan made of the candidate pairs in a random order, each kept when it breaks no
    rule (pins first); ``None`` with a minimum QPV share, which it does not keep."""
    arrays, cand, flags = context.arrays, context.cand, context.flags
    if (arrays.min_share > 0).any():
        return None
    rng = np.random.default_rng(seed)
    n_x = len(cand.offers)
    order = rng.permutation(n_x + len(cand.slots)).tolist()
    pinned = [k for k in order if _pinned(flags, k, n_x)]
    x = np.zeros(n_x, dtype=bool)
    y = np.zeros(len(cand.slots), dtype=bool)
    spans: dict[int, list[tuple[int, int]]] = {}
    for k in pinned + [k for k in order if k not in pinned]:
        pairs, items, chosen, j = (
            (cand.offers, arrays.offers, x, k)
            if k < n_x
            else (cand.slots, arrays.slots, y, k - n_x)
        )
        s, item = int(pairs.student[j]), int(pairs.item[j])
        first, last = int(items.first_half_day[item]), int(items.last_half_day[item])
        holders = pairs.student[chosen & (pairs.item == item)]
        if len(holders) >= items.capacity[item]:
            continue
        if (
            not arrays.qpv[s]
            and (~arrays.qpv[holders]).sum() >= items.capacity[item] - items.reserved[item]
        ):
            continue
        if any(a <= last and first <= b for a, b in spans.get(s, [])):
            continue
        mine = chosen & (pairs.student == s)
        if k < n_x and mine.sum() >= arrays.max_placements[s]:
            continue
        if k >= n_x and (items.group[pairs.item[mine]] == items.group[item]).any():
            continue
        chosen[j] = True
        spans.setdefault(s, []).append((first, last))
    return Chosen(x, y)


def _pinned(flags: PairFlags, k: int, n_x: int) -> bool:
    pins = flags.offer_pinned if k < n_x else flags.slot_pinned
    return pins is not None and bool(pins[k if k < n_x else k - n_x])


@settings(max_examples=80, deadline=None)
@given(
    instances(max_students=4, max_offers=3, max_slots=3),
    st.integers(0, 2**16),
    st.lists(st.integers(0, 12), min_size=4, max_size=4),
    st.lists(st.integers(0, 1), min_size=1, max_size=8),
)
def test_the_flow_is_the_lexicographic_optimum_of_its_choices(
    instance: Instance, seed: int, bonus: list[int], pair_bonus: list[int]
) -> None:
    """Also with a bonus on ``coverage`` for each moving student left holding nothing (what
    :meth:`~stagematch.solver.component_flows.ComponentFlows._trade` counts for a session given up), and one on
    ``workshops`` for pairs held (what ``_trade_back`` counts for room left for a session)."""
    context = prepared(instance, Tuning())
    chosen = _random_plan(context, seed)
    assume(chosen is not None)
    assert chosen is not None
    checked_levels(context, chosen)  # the start is a valid plan
    objective = context.objective
    for kind in KINDS:
        data, _, _, x, y = _flow_input(context, chosen, kind)
        idle = {"coverage": np.array(bonus[: data.n_students], dtype=np.int64)}
        n_pairs = len(data.offer_student if kind == "placements" else data.slot_student)
        held = {"workshops": np.resize(np.array(pair_bonus, dtype=np.int64), n_pairs)}
        for given_idle, given_held in ((None, None), (idle, None), (idle, held)):
            moved = reassign(data, x, y, objective, kind, given_idle, given_held)
            if moved is None:
                continue
            best = _levels(data, x, y, kind, moved, objective, given_idle, given_held)
            start = _levels(data, x, y, kind, x if kind == "placements" else y, objective)
            # The placed counts are kept (at least as many as now), not optimised.
            compared = [lvl for lvl in objective if lvl not in PLACED_COUNTS]
            assert all(best[lvl] >= start[lvl] for lvl in objective if lvl in PLACED_COUNTS)
            for choice in _choices(data, x, y, kind):
                other = _levels(data, x, y, kind, choice, objective, given_idle, given_held)
                assert not_worse(compared, best, other), (kind, given_idle, best, other)


def _levels(
    data: ComponentData,
    x: np.ndarray,
    y: np.ndarray,
    kind: Kind,
    choice: np.ndarray,
    objective: list[str],
    idle: dict[str, np.ndarray] | None = None,
    held: dict[str, np.ndarray] | None = None,
) -> dict[str, float]:
    """The levels of ``choice``, plus ``idle`` for each moving student holding nothing and
    ``held`` for each pair a moving student holds."""
    cx, cy = (choice, y) if kind == "placements" else (x, choice)
    values = {lvl: LEVELS[lvl].value(data, cx, cy) for lvl in objective}
    movers = _movers(data, x, y, kind)
    student = data.offer_student if kind == "placements" else data.slot_student
    holds = np.bincount(student[choice], minlength=data.n_students) > 0
    for level, per_student in (idle or {}).items():
        if level in values:
            values[level] += float(per_student[movers & ~holds].sum())
    for level, per_pair in (held or {}).items():
        if level in values:
            values[level] += float(per_pair[choice & movers[student]].sum())
    return values


def _movers(
    data: ComponentData, x: np.ndarray, y: np.ndarray, kind: Kind, moving: np.ndarray | None = None
) -> np.ndarray:
    """Students whose items of ``kind`` move: at most one moving item held, none pinned, and
    (placements) room for one more beside those kept."""
    placements = kind == "placements"
    student = data.offer_student if placements else data.slot_student
    pinned = data.offer_pinned if placements else data.slot_pinned
    chosen = x if placements else y
    moving = np.ones(len(chosen), dtype=bool) if moving is None else moving
    movers = np.bincount(student[chosen & moving], minlength=data.n_students) <= 1
    if placements:
        kept = np.bincount(student[chosen & ~moving], minlength=data.n_students)
        movers &= data.max_placements - kept >= 1
    if pinned is not None:
        movers[student[pinned]] = False
    return movers


@settings(max_examples=80, deadline=None)
@given(
    instances(max_students=4, max_offers=4, max_slots=2),
    st.integers(0, 2**16),
    st.lists(st.booleans(), min_size=1, max_size=8),
)
def test_moving_some_placements_is_the_optimum_of_those_choices(
    instance: Instance, seed: int, mask: list[bool]
) -> None:
    """With only some placement pairs moving (one window of half-days in the search), the
    others held are kept: the flow's choice keeps every rule, and is the lexicographic optimum
    among the choices that keep them (a student may take a second placement beside one kept)."""
    context = prepared(instance, Tuning())
    chosen = _random_plan(context, seed)
    assume(chosen is not None)
    assert chosen is not None
    before = checked_levels(context, chosen)
    objective = context.objective
    data, o_pairs, w_pairs, x, y = _flow_input(context, chosen, "placements")
    moving = np.resize(np.array(mask, dtype=bool), len(x))
    moved = reassign(data, x, y, objective, "placements", moving=moving)
    if moved is None:
        return
    assert np.array_equal(moved[~moving], x[~moving])
    after = checked_levels(context, _apply(chosen, o_pairs, w_pairs, "placements", moved))
    assert not_worse(objective, after, before), (before, after)
    best = _levels(data, x, y, "placements", moved, objective)
    compared = [lvl for lvl in objective if lvl not in PLACED_COUNTS]
    for choice in _choices(data, x, y, "placements", moving):
        other = _levels(data, x, y, "placements", choice, objective)
        assert not_worse(compared, best, other), (best, other)


@settings(max_examples=10, deadline=None)
@given(instances(max_students=6, max_offers=4, max_slots=3))
def test_the_search_ends_with_no_flow_gain_left(instance: Instance) -> None:
    """After the search's last re-assignment, the flow of placements finds nothing better."""
    from stagematch.solver.lns import improve

    context = prepared(instance, Tuning(neighbourhood=2, pairs_per_student=1))
    chosen = warm_start(context).chosen
    students = everyone(context)
    if len(students) < 2:
        return
    improve(context, chosen, students, work=1.0)
    data, _, _, x, y = _flow_input(context, chosen, "placements")
    moved = reassign(data, x, y, context.objective, "placements")
    if moved is None:
        return
    for level in context.objective:
        a = LEVELS[level].value(data, moved, y)
        b = LEVELS[level].value(data, x, y)
        assert abs(a - b) < TOL or not LEVELS[level].better(a, b), (level, a, b)
        if abs(a - b) >= TOL:
            break
