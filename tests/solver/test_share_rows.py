"""Each offer's share row is kept by every plan that keeps the share, and cuts off the others.

The row (:mod:`stagematch.solver.share_rows`) is derived for one offer with outside holders,
reserved seats and QPV candidates elsewhere; here every count of QPV and other students that
the component's seats allow is enumerated, the rule ``k ≥ min(⌈q·n/100⌉, E)`` tested from its
definition, and the row must hold wherever the rule does (validity: pricing it never cuts off
a plan). Where the rule cannot fall back on every QPV candidate coming, the row is the rule.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from stagematch.solver.cpsat import ComponentData
from stagematch.solver.share_rows import share_rows


def one_offer(
    qpv: int, others: int, capacity: int, reserved: int, share: int, outside: tuple[int, int, int]
) -> ComponentData:
    """One offer with ``qpv`` QPV and ``others`` other students in the component, its seats
    and ``share``; ``outside`` = (holders outside, of whom QPV, QPV candidates elsewhere)."""
    n = qpv + others
    held, held_qpv, elsewhere = outside
    zeros = np.zeros(n, dtype=np.int64)
    return ComponentData(
        qpv=np.arange(n) < qpv,
        workshops_per_student=0,
        n_half_days=2,
        offer_student=np.arange(n),
        offer_first=zeros,
        offer_last=zeros + 1,
        offer_cost=zeros,
        offer_minutes=zeros,
        slot_student=np.zeros(0, dtype=np.int64),
        slot_first=np.zeros(0, dtype=np.int64),
        slot_last=np.zeros(0, dtype=np.int64),
        slot_minutes=np.zeros(0, dtype=np.int64),
        slot_workshop=np.zeros(0, dtype=np.int64),
        max_placements=zeros + 1,
        offer_item=zeros,
        offer_capacity=np.array([capacity]),
        offer_reserved=np.array([reserved]),
        slot_item=np.zeros(0, dtype=np.int64),
        slot_capacity=np.zeros(0, dtype=np.int64),
        slot_reserved=np.zeros(0, dtype=np.int64),
        offer_min_share=np.array([share]),
        offer_qpv_candidates=np.array([held_qpv + qpv + elsewhere]),
        offer_outside_held=np.array([held]),
        offer_outside_qpv=np.array([held_qpv]),
    )


def keeps_share(data: ComponentData, y: int, z: int) -> bool:
    """The rule from its definition, with ``y`` QPV and ``z`` other students of the component
    on the offer."""
    n = int(data.offer_outside_held[0]) + y + z
    k = int(data.offer_outside_qpv[0]) + y
    asked = -(-int(data.offer_min_share[0]) * n // 100)
    return k >= min(asked, int(data.offer_qpv_candidates[0]))


@given(
    qpv=st.integers(0, 6),
    others=st.integers(0, 8),
    capacity=st.integers(1, 10),
    reserved=st.integers(0, 10),
    share=st.sampled_from([1, 10, 30, 50, 60, 99, 100]),
    held=st.integers(0, 4),
    held_qpv=st.integers(0, 4),
    elsewhere=st.integers(0, 2),
)
def test_every_plan_that_keeps_the_share_keeps_the_row(
    qpv: int,
    others: int,
    capacity: int,
    reserved: int,
    share: int,
    held: int,
    held_qpv: int,
    elsewhere: int,
) -> None:
    held_qpv = min(held_qpv, held)
    data = one_offer(qpv, others, capacity, min(reserved, capacity), share, (held, held_qpv, 0))
    data_elsewhere = one_offer(
        qpv, others, capacity, min(reserved, capacity), share, (held, held_qpv, elsewhere)
    )
    for d in (data, data_elsewhere):
        rows = share_rows(d)
        if not len(rows.limit):
            continue
        (limit,) = rows.limit
        coef_qpv = rows.coef[0] if qpv else 0.0
        coef_other = rows.coef[qpv] if others else 0.0
        open_seats = capacity - min(reserved, capacity)
        for y in range(qpv + 1):
            for z in range(min(others, open_seats) + 1):
                if y + z <= capacity and keeps_share(d, y, z):
                    assert coef_qpv * y + coef_other * z <= limit + 1e-9, (y, z)


@given(qpv=st.integers(1, 6), others=st.integers(1, 8), share=st.sampled_from([30, 50, 100]))
def test_where_not_every_qpv_candidate_can_come_the_row_is_the_rule(
    qpv: int, others: int, share: int
) -> None:
    data = one_offer(qpv, others, 20, 0, share, (0, 0, 1))
    rows = share_rows(data)
    for y in range(qpv + 1):
        for z in range(others + 1):
            lhs = rows.coef[0] * y + rows.coef[qpv] * z
            kept = len(rows.limit) == 0 or lhs <= rows.limit[0] + 1e-9
            assert kept == keeps_share(data, y, z), (y, z)


def test_the_chord_through_no_one_and_every_candidate_in_a_full_offer() -> None:
    """Two QPV candidates, eight others, ten seats, 50 %: the share alone allows four (two
    QPV), both QPV allow ten; the row is ``E·n ≤ N·k``, ``2·n ≤ 10·k``, where the share row
    ``50·n ≤ 100·k`` would cut off the full offer."""
    rows = share_rows(one_offer(2, 8, 10, 0, 50, (0, 0, 0)))
    # 2·(y + z) ≤ 10·y is 2·z − 8·y ≤ 0: a QPV pair counts −4 others.
    assert rows.limit.tolist() == [0.0]
    assert rows.coef[2] > 0
    assert np.isclose(rows.coef[0] / rows.coef[2], -4.0)
