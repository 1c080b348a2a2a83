"""Each student's best programme from the dynamic programme equals the best by enumeration.

The Lagrangian bound is only as valid as its per-student maximum is exact: a programme the
dynamic programme missed would make the bound too tight. Here every subset of a few students'
pairs is enumerated — no two items on one half-day, at most ``max_placements`` placements,
``placed`` and ``attended`` capped — and the best value compared with
:meth:`stagematch.solver.programmes.Programmes.best`, whose returned pairs must also be a
valid programme of exactly that value.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stagematch.solver.cpsat import ComponentData
from stagematch.solver.programmes import Programmes

HALF_DAYS = 6


def component(
    offers: list[tuple[int, int, int]],
    slots: list[tuple[int, int, int, int]],
    max_placements: list[int],
) -> ComponentData:
    """Data with ``offers`` as (student, first, last) and ``slots`` as (student, first, last,
    workshop); every pair on its own item of one seat."""
    n = len(max_placements)
    o = np.array(offers, dtype=np.int64).reshape(-1, 3)
    w = np.array(slots, dtype=np.int64).reshape(-1, 4)
    return ComponentData(
        qpv=np.zeros(n, dtype=bool),
        workshops_per_student=2,
        n_half_days=HALF_DAYS,
        offer_student=o[:, 0],
        offer_first=o[:, 1],
        offer_last=o[:, 2],
        offer_cost=np.zeros(len(o), dtype=np.int64),
        offer_minutes=np.zeros(len(o), dtype=np.int64),
        slot_student=w[:, 0],
        slot_first=w[:, 1],
        slot_last=w[:, 2],
        slot_minutes=np.zeros(len(w), dtype=np.int64),
        slot_workshop=w[:, 3],
        max_placements=np.array(max_placements, dtype=np.int64),
        offer_item=np.arange(len(o)),
        offer_capacity=np.ones(len(o), dtype=np.int64),
        offer_reserved=np.zeros(len(o), dtype=np.int64),
        slot_item=np.arange(len(w)),
        slot_capacity=np.ones(len(w), dtype=np.int64),
        slot_reserved=np.zeros(len(w), dtype=np.int64),
        offer_min_share=np.zeros(len(o), dtype=np.int64),
        offer_qpv_candidates=np.zeros(len(o), dtype=np.int64),
        offer_outside_held=np.zeros(len(o), dtype=np.int64),
        offer_outside_qpv=np.zeros(len(o), dtype=np.int64),
    )


def _brute(
    data: ComponentData,
    s: int,
    values: tuple[np.ndarray, np.ndarray],
    weights: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> float:
    mine = [("o", k) for k in np.flatnonzero(data.offer_student == s)]
    mine += [("w", k) for k in np.flatnonzero(data.slot_student == s)]
    best = 0.0  # nothing at all
    for size in range(1, len(mine) + 1):
        for subset in itertools.combinations(mine, size):
            days: set[int] = set()
            ok, total, placements, sessions = True, 0.0, 0, 0
            for kind, k in subset:
                first = data.offer_first[k] if kind == "o" else data.slot_first[k]
                last = data.offer_last[k] if kind == "o" else data.slot_last[k]
                span = set(range(int(first), int(last) + 1))
                ok &= not (span & days)
                days |= span
                total += float(values[0][k] if kind == "o" else values[1][k])
                placements += kind == "o"
                sessions += kind == "w"
            if not ok or placements > data.max_placements[s]:
                continue
            placed_weight, attended_weight, cap = weights
            total += placed_weight[s] * (placements > 0)
            total += attended_weight[s] * min(sessions, int(cap[s]))
            best = max(best, total)
    return best


def _interval(draw: st.DrawFn) -> tuple[int, int]:
    first = draw(st.integers(0, HALF_DAYS - 1))
    return first, draw(st.integers(first, min(first + 3, HALF_DAYS - 1)))


@st.composite
def cases(draw: st.DrawFn) -> tuple[ComponentData, tuple, tuple]:
    n = draw(st.integers(1, 3))
    offers = [
        (draw(st.integers(0, n - 1)), *_interval(draw)) for _ in range(draw(st.integers(0, 4)))
    ]
    slots = [
        (draw(st.integers(0, n - 1)), *_interval(draw), draw(st.integers(0, 2)))
        for _ in range(draw(st.integers(0, 5)))
    ]
    data = component(offers, slots, [draw(st.integers(0, 2)) for _ in range(n)])
    value = st.integers(-6, 6).map(float)
    values = (
        np.array([draw(value) for _ in offers]),
        np.array([draw(value) for _ in slots]),
    )
    weight = st.integers(0, 5).map(float)
    weights = (
        np.array([draw(weight) for _ in range(n)]),
        np.array([draw(weight) for _ in range(n)]),
        np.array([draw(st.integers(0, 2)) for _ in range(n)], dtype=np.int64),
    )
    return data, values, weights


@settings(max_examples=300, deadline=None)
@given(case=cases())
def test_the_best_programme_is_the_best_by_enumeration(case: tuple) -> None:
    data, values, weights = case
    best, offer_chosen, slot_chosen = Programmes(data).best(*values, *weights)
    for s in range(data.n_students):
        assert best[s] == _brute(data, s, values, weights)
        # The pairs returned are a programme of the student worth exactly that.
        o = np.flatnonzero(offer_chosen & (data.offer_student == s))
        w = np.flatnonzero(slot_chosen & (data.slot_student == s))
        cover = np.zeros(HALF_DAYS, dtype=np.int64)
        for first, last in zip(
            np.r_[data.offer_first[o], data.slot_first[w]],
            np.r_[data.offer_last[o], data.slot_last[w]],
            strict=True,
        ):
            cover[first : last + 1] += 1
        assert cover.max(initial=0) <= 1
        assert len(o) <= data.max_placements[s]
        placed_weight, attended_weight, cap = weights
        worth = values[0][o].sum() + values[1][w].sum()
        worth += placed_weight[s] * (len(o) > 0) + attended_weight[s] * min(len(w), cap[s])
        assert worth == best[s]
