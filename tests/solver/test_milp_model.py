"""The coach groups of the two exact models: the MILP (:mod:`stagematch.solver.milp_model`) and
the CP-SAT model give every group the same variable, and agree where a session has no seat
left (a neighbourhood whose session is full outside it)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from strategies import instances
from test_coaches import with_coaches

from stagematch.model import Instance
from stagematch.solver import SolveOptions, cpsat, milp
from stagematch.solver.graph import component_data, connected_parts, materialise
from stagematch.solver.pipeline import prepare

OBJECTIVE = ["workshops", "coaches"]


def _components(instance: Instance) -> list[cpsat.ComponentData]:
    context = prepare(instance, SolveOptions(time_limit=60).resolved(instance.settings))
    n = context.arrays.n_students
    cand = context.cand
    offer_ptr, slot_ptr = cand.offers.indptr(n), cand.slots.indptr(n)
    return [
        component_data(context, materialise(part, offer_ptr, slot_ptr))
        for part in connected_parts(instance, cand, context.short)
    ]


@given(
    instances(max_students=5, max_offers=2, max_slots=3, max_schools=2),
    st.integers(1, 3),
    st.data(),
)
def test_both_exact_models_count_the_same_coaches_when_a_session_is_full(
    drawn: Instance, capacity: int, choice: st.DataObject
) -> None:
    instance = with_coaches(drawn, capacity, 3)
    for data in _components(instance):
        seats = data.slot_capacity.copy()
        if len(seats):
            seats[choice.draw(st.integers(0, len(seats) - 1))] = 0
        full = dataclasses.replace(
            data, slot_capacity=seats, slot_reserved=np.minimum(data.slot_reserved, seats)
        )
        none_x = np.zeros(len(full.offer_student), dtype=bool)
        none_y = np.zeros(len(full.slot_student), dtype=bool)
        deadline = time.monotonic() + 60
        by_milp = milp.solve_component(
            full, OBJECTIVE, {}, none_x, none_y, deadline, 0, 1, work=100
        )
        by_cpsat = cpsat.solve_component(
            full, OBJECTIVE, {}, none_x, none_y, deadline, 0, 1, work=100
        )
        for level in OBJECTIVE:
            assert by_milp.levels[level].proven and by_cpsat.levels[level].proven
            assert by_milp.levels[level].value == by_cpsat.levels[level].value, level
