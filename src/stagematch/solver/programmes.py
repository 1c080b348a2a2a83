"""Each student's best programme for given values of their pairs, exactly, all students at once.

The per-student problem of the Lagrangian bound (:mod:`.lagrangian`): with the rows that tie
students together priced, what is left of the rules concerns one student alone — at most
``max_placements`` placements, no two items on one half-day, ``placed`` and ``attended`` capped
as in :mod:`stagematch.levels`. Items are intervals of half-days, so a dynamic programme over
the half-days solves it exactly, on numpy arrays across students rather than in a loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..arrays import BoolArray, FloatArray, IntArray
from .cpsat import ComponentData

__all__ = ["Programmes"]


def _grouped(keys: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """An order sorting ``keys``, the start of each run of equal keys in it, and their keys."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])[: len(keys)]
    return order, starts, sorted_keys[starts]


@dataclass(frozen=True)
class _Best:
    """The best pair of each (student, span) group, for some values of the pairs."""

    value: FloatArray  # (students, spans), -inf where the student has no pair of that span
    pair: IntArray  # (students, spans), the pair achieving it (-1: none)


class _SpanGroups:
    """One kind of items (placements or sessions) grouped by student and span of half-days."""

    def __init__(self, student: IntArray, first: IntArray, last: IntArray, n_students: int):
        key_span = first.astype(np.int64) * 4096 + last.astype(np.int64)
        spans, span_of_pair = np.unique(key_span, return_inverse=True)
        self.first = (spans // 4096).astype(np.int64)
        self.last = (spans % 4096).astype(np.int64)
        self.n_students = n_students
        self.n_spans = len(spans)
        keys = student.astype(np.int64) * max(self.n_spans, 1) + span_of_pair
        self.order, self.starts, group_keys = _grouped(keys)
        self.group_student = group_keys // max(self.n_spans, 1)
        self.group_span = group_keys % max(self.n_spans, 1)

    def best(self, values: FloatArray) -> _Best:
        out = np.full((self.n_students, self.n_spans), -np.inf)
        pair = np.full((self.n_students, self.n_spans), -1, dtype=np.int64)
        if not len(self.order):
            return _Best(out, pair)
        ordered = values[self.order]
        top = np.maximum.reduceat(ordered, self.starts)
        sizes = np.diff(np.r_[self.starts, len(ordered)])
        positions = np.where(
            ordered == np.repeat(top, sizes), np.arange(len(ordered)), len(ordered)
        )
        first_top = np.minimum.reduceat(positions, self.starts)
        out[self.group_student, self.group_span] = top
        pair[self.group_student, self.group_span] = self.order[first_top]
        return _Best(out, pair)


class Programmes:
    """Each student's best programme for given pair values, exactly, all students at once.

    The state after half-day ``h`` is (placements held ``p``, sessions held ``n`` capped at
    the largest target): ``V[h, s, p, n]`` is the most student ``s`` can add from half-day
    ``h`` on. At ``h`` the student leaves the half-day free or starts the best item of some
    span ``[h, e]`` (the best pair of that span and kind), going on at ``e + 1``. At the end a
    student holding a placement gains ``placed_weight``, and ``attended_weight`` per session
    up to its cap; more than ``max_placements`` placements is infeasible.
    """

    def __init__(self, data: ComponentData) -> None:
        n = data.n_students
        self.n_students = n
        self.n_half_days = int(
            max(
                data.n_half_days,
                int(data.offer_last.max(initial=-1)) + 1,
                int(data.slot_last.max(initial=-1)) + 1,
            )
        )
        self.offers = _SpanGroups(data.offer_student, data.offer_first, data.offer_last, n)
        self.slots = _SpanGroups(data.slot_student, data.slot_first, data.slot_last, n)
        # No student can hold more placements than it has spans of them.
        most = max(self.offers.n_spans, 0)
        self.max_placements = np.minimum(data.max_placements.astype(np.int64), most)
        has_offer = np.bincount(data.offer_student, minlength=n) > 0
        self.max_placements = np.where(has_offer, self.max_placements, 0)
        self.p_states = int(self.max_placements.max(initial=0)) + 1
        self.offer_student = data.offer_student.astype(np.int64)
        self.slot_student = data.slot_student.astype(np.int64)

    def best(
        self,
        offer_value: FloatArray,
        slot_value: FloatArray,
        placed_weight: FloatArray,
        attended_weight: FloatArray,
        attended_cap: IntArray,
    ) -> tuple[FloatArray, BoolArray, BoolArray]:
        """Each student's best value, and the pairs of one best programme (offer, slot masks).

        ``placed_weight`` and ``attended_weight`` must be non-negative (then the capped terms
        are ``min(cap, count)`` at the optimum, as the levels define them).
        """
        n_states = int(attended_cap.max(initial=0)) + 1
        o_best = self.offers.best(offer_value)
        s_best = self.slots.best(slot_value)
        h_count, students = self.n_half_days, self.n_students
        p_range = np.arange(self.p_states)
        n_range = np.arange(n_states)
        end = (
            placed_weight[:, None, None] * (p_range[None, :, None] > 0)
            + attended_weight[:, None, None]
            * np.minimum(n_range[None, None, :], attended_cap[:, None, None])
        ).astype(np.float64)
        end = np.broadcast_to(end, (students, self.p_states, n_states)).copy()
        too_many = p_range[None, :] > self.max_placements[:, None]
        end[np.broadcast_to(too_many[:, :, None], end.shape)] = -np.inf
        values = np.empty((h_count + 1, students, self.p_states, n_states))
        values[h_count] = end
        choice = np.zeros((h_count, students, self.p_states, n_states), dtype=np.int16)
        options = self._options()
        for h in range(h_count - 1, -1, -1):
            here = values[h + 1].copy()
            pick = np.zeros(here.shape, dtype=np.int16)
            for code, (kind, span, last) in enumerate(options[h], start=1):
                after = values[last + 1]
                if kind == 0:  # a placement: p + 1
                    gain = o_best.value[:, span]
                    shifted = np.full(after.shape, -np.inf)
                    shifted[:, :-1, :] = after[:, 1:, :]
                else:  # a session: n + 1, capped
                    gain = s_best.value[:, span]
                    shifted = after[:, :, np.minimum(n_range + 1, n_states - 1)]
                total = gain[:, None, None] + shifted
                better = total > here
                here = np.where(better, total, here)
                pick = np.where(better, np.int16(code), pick)
            values[h] = here
            choice[h] = pick
        offer_chosen, slot_chosen = self._trace(choice, options, o_best, s_best, n_states)
        return values[0][:, 0, 0], offer_chosen, slot_chosen

    def _options(self) -> list[list[tuple[int, int, int]]]:
        """Per half-day: the (kind, span, last half-day) of the spans starting there."""
        out: list[list[tuple[int, int, int]]] = [[] for _ in range(self.n_half_days)]
        for kind, groups in ((0, self.offers), (1, self.slots)):
            for span in range(groups.n_spans):
                out[int(groups.first[span])].append((kind, span, int(groups.last[span])))
        return out

    def _trace(
        self,
        choice: np.ndarray,
        options: list[list[tuple[int, int, int]]],
        o_best: _Best,
        s_best: _Best,
        n_states: int,
    ) -> tuple[BoolArray, BoolArray]:
        """The pairs of the programme the choices describe, from half-day 0 and no item."""
        at = np.zeros(self.n_students, dtype=np.int64)
        p = np.zeros(self.n_students, dtype=np.int64)
        n = np.zeros(self.n_students, dtype=np.int64)
        offer_chosen = np.zeros(len(self.offer_student), dtype=bool)
        slot_chosen = np.zeros(len(self.slot_student), dtype=bool)
        for h in range(self.n_half_days):
            now = np.flatnonzero(at == h)
            if not len(now):
                continue
            picked = choice[h, now, p[now], n[now]].astype(np.int64)
            at[now[picked == 0]] = h + 1
            for code, (kind, span, last) in enumerate(options[h], start=1):
                who = now[picked == code]
                if not len(who):
                    continue
                at[who] = last + 1
                if kind == 0:
                    offer_chosen[o_best.pair[who, span]] = True
                    p[who] += 1
                else:
                    slot_chosen[s_best.pair[who, span]] = True
                    n[who] = np.minimum(n[who] + 1, n_states - 1)
        return offer_chosen, slot_chosen
