"""The heap calls change how much memory the process holds, never what is computed: pairs listed
after the freed memory is given back, or in a thread sharing the main heap, are those listed
before."""

from __future__ import annotations

import threading

import numpy as np

from stagematch.candidates import Candidates, candidates
from stagematch.generate import load_pilot
from stagematch.heap import keep_freed_memory, one_heap_for_threads, release_freed_memory


def _same(one: Candidates, other: Candidates) -> bool:
    return all(
        np.array_equal(a, b)
        for a, b in (
            (one.offers.student, other.offers.student),
            (one.offers.item, other.offers.item),
            (one.offer_cost, other.offer_cost),
            (one.slots.student, other.slots.student),
            (one.slots.item, other.slots.item),
        )
    )


def test_pairs_listed_after_the_freed_memory_is_given_back_are_the_same() -> None:
    instance = load_pilot()
    before = candidates(instance)
    release_freed_memory()
    assert _same(candidates(instance), before)


def test_pairs_listed_in_a_thread_sharing_the_main_heap_are_those_of_the_main_thread() -> None:
    instance = load_pilot()
    here = candidates(instance)
    one_heap_for_threads()
    there: list[Candidates] = []
    worker = threading.Thread(target=lambda: there.append(candidates(instance)))
    worker.start()
    worker.join()
    assert _same(there[0], here)


def test_pairs_listed_while_freed_memory_is_kept_are_the_same() -> None:
    instance = load_pilot()
    before = candidates(instance)
    with keep_freed_memory(), keep_freed_memory():  # nested, as a listing inside a listing
        inside = candidates(instance)
    assert _same(inside, before)
    assert _same(candidates(instance), before)
