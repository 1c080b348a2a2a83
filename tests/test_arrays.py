"""The instance arrays as the one home of id → position and of a plan's encoding.

Every module that turns ids into positions (or back) goes through :func:`stagematch.arrays.index_of`,
:attr:`InstanceArrays.student_index`, :attr:`ItemArrays.index` and
:meth:`InstanceArrays.encode` / :meth:`~InstanceArrays.decode`; these tests hold them to being
exact inverses on random instances and plans.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import instances, make_instance, plans

from stagematch.arrays import index_of
from stagematch.model import Instance
from stagematch.plan import Assignment, Plan


@given(st.lists(st.text(min_size=1, max_size=4), unique=True, max_size=20))
def test_index_of_inverts_the_list(ids: list[str]) -> None:
    index = index_of(ids)
    assert len(index) == len(ids)
    assert all(ids[position] == item_id for item_id, position in index.items())


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_encode_then_decode_gives_the_plan_back(data: st.DataObject) -> None:
    instance = data.draw(instances())
    plan = data.draw(plans(instance, unknown_ids=False))
    arrays = instance.arrays
    encoded = arrays.encode(plan)
    assert encoded.placements.dtype == np.int64 and encoded.placements.shape[1] == 2
    assert encoded.sessions.dtype == np.int64 and encoded.sessions.shape[1] == 2
    assert len(encoded.placements) + len(encoded.sessions) == len(plan)
    for s, o in encoded.placements.tolist():
        assert instance.offers[o].offer_id in plan.placements[instance.students[s].student_id]
    for s, w in encoded.sessions.tolist():
        assert instance.workshop_slots[w].slot_id in plan.workshops[instance.students[s].student_id]
    assert arrays.decode(encoded.placements, encoded.sessions) == plan
    assert arrays.decode(*encoded) == plan


@settings(max_examples=30, deadline=None)
@given(instances())
def test_indexes_agree_with_the_rows(instance: Instance) -> None:
    arrays = instance.arrays
    assert arrays.student_index == {s.student_id: i for i, s in enumerate(instance.students)}
    assert arrays.school_index == {s.school_id: i for i, s in enumerate(instance.schools)}
    assert arrays.offers.index == {o.offer_id: j for j, o in enumerate(instance.offers)}
    assert arrays.slots.index == {w.slot_id: j for j, w in enumerate(instance.workshop_slots)}
    assert arrays.items("placement") is arrays.offers
    assert arrays.items("workshop") is arrays.slots


def test_encode_refuses_an_id_the_instance_does_not_have() -> None:
    instance = make_instance([{"student_id": "S1"}], [{"offer_id": "O1"}])
    with pytest.raises(KeyError):
        instance.arrays.encode(Plan([Assignment("S1", "placement", "O2")]))


def test_decode_of_nothing_is_the_empty_plan() -> None:
    instance = make_instance([{"student_id": "S1"}], [{"offer_id": "O1"}])
    assert instance.arrays.decode(np.empty((0, 2), dtype=np.int64)) == Plan()
    assert instance.arrays.decode([[0, 0]]) == Plan([("S1", "placement", "O1")])
