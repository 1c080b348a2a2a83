"""What the plan must keep: pinned pairs (always) and the previous plan (as far as it can).

Pins are hard: a pinned pair must be a candidate (eligible, within reach, not banned), and the
pins together must respect every rule on their own — seats, reserved seats, half-days, counts.
Pins that cannot all hold are bad input; each conflict is reported as the smallest set of pins
that cannot hold together, found with CP-SAT assumptions: the solver names a set of pins that
is infeasible, which is then shrunk one pin at a time until every pin in it is needed.

The previous plan is soft: its pairs are marked so the ``changes`` level can count the
students whose items differ, and a student who held an item that is no longer a candidate (a
host dropped out, a capacity fell to nothing for them, they moved away) has changed whatever
the solver does.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from ..arrays import BoolArray, IntArray
from ..candidates import INELIGIBILITY_RULES, Candidates, offer_failures, slot_failures
from ..errors import Problem
from ..i18n import clauses, lazy_text
from ..model import Instance
from ..plan import Plan
from ..rows import ItemKind
from ..share import qpv_candidates
from ..travel import Pairs, minutes_for
from .cpsat import PairFlags

Pin = tuple[ItemKind, int, int]
"""A pin as (kind, student position, item position)."""

PIN_COLUMNS: dict[ItemKind, str] = {"placement": "pinned_offer", "workshop": "pinned_slots"}


def _find(pairs: Pairs, n_items: int, student: IntArray, item: IntArray) -> IntArray:
    """Index of each (student, item) in ``pairs`` (grouped by student), −1 when absent."""
    if not len(student):
        return np.zeros(0, dtype=np.int64)
    width = max(n_items, 1)
    wanted = student.astype(np.int64) * width + item
    order = np.argsort(wanted)
    sorted_wanted = wanted[order]
    found = np.full(len(wanted), -1, dtype=np.int64)
    # Only the wanted students' pair ranges are scanned: an académie has 10⁸ pairs.
    ptr = pairs.indptr(int(student.max()) + 1)
    for s in np.unique(student).tolist():
        lo, hi = int(ptr[s]), int(ptr[s + 1])
        keys = s * width + pairs.item[lo:hi].astype(np.int64)
        at = np.searchsorted(sorted_wanted, keys)
        at = np.minimum(at, len(sorted_wanted) - 1)
        hit = sorted_wanted[at] == keys
        found[order[at[hit]]] = lo + np.flatnonzero(hit)
    return found


def _mask(n: int, index: IntArray) -> BoolArray:
    mask = np.zeros(n, dtype=bool)
    mask[index[index >= 0]] = True
    return mask


def pinned_pairs(instance: Instance, cand: Candidates) -> tuple[IntArray, IntArray]:
    """Candidate indices of the pinned placements and sessions (−1: the pin is no candidate)."""
    arrays = instance.arrays
    po, ps = arrays.pinned_offers, arrays.pinned_slots
    return (
        _find(cand.offers, len(arrays.offers), po[:, 0], po[:, 1]),
        _find(cand.slots, len(arrays.slots), ps[:, 0], ps[:, 1]),
    )


def pair_flags(instance: Instance, cand: Candidates, previous: Plan | None) -> PairFlags:
    """Pins and the previous plan's pairs as flags on ``cand`` (call after :func:`pin_conflicts`)."""
    offer_pins, slot_pins = pinned_pairs(instance, cand)
    has_pins = bool(len(offer_pins) or len(slot_pins))
    if previous is None:
        if not has_pins:
            return PairFlags()
        return PairFlags(
            offer_pinned=_mask(len(cand.offers), offer_pins),
            slot_pinned=_mask(len(cand.slots), slot_pins),
        )
    arrays = instance.arrays
    student_index = arrays.student_index
    lost = np.zeros(arrays.n_students, dtype=bool)
    masks = []
    for kind, store, ids in (
        ("placement", cand.offers, arrays.offers.ids),
        ("workshop", cand.slots, arrays.slots.ids),
    ):
        item_index = {item_id: j for j, item_id in enumerate(ids)}
        rows = [
            (student_index[a.student_id], item_index.get(a.item_id, -1))
            for a in previous.assignments
            if a.kind == kind and a.student_id in student_index
        ]
        table = np.array(rows, dtype=np.int64).reshape(-1, 2)
        known = table[:, 1] >= 0
        lost[table[~known, 0]] = True  # the item is gone from the dataset
        found = _find(store, len(ids), table[known, 0], table[known, 1])
        lost[table[known, 0][found < 0]] = True  # still there, but no longer a candidate
        masks.append(_mask(len(store), found))
    return PairFlags(
        offer_pinned=_mask(len(cand.offers), offer_pins) if has_pins else None,
        slot_pinned=_mask(len(cand.slots), slot_pins) if has_pins else None,
        offer_previous=masks[0],
        slot_previous=masks[1],
        student_lost=lost,
    )


# --------------------------------------------------------------------------------------------
# Conflicting pins


def _why_not_candidate(instance: Instance, kind: ItemKind, s: int, j: int) -> str:
    """Which rule keeps a pinned pair out of the candidates (travel or eligibility)."""
    arrays = instance.arrays
    student = np.array([s], dtype=np.int64)
    item = np.array([j], dtype=np.int64)
    minutes = float(minutes_for(instance, kind, student, item)[0])
    limit = float(arrays.max_travel[s] if kind == "placement" else arrays.workshop_max_travel)
    reasons: list[str] = []
    if minutes > limit:
        reasons.append(
            lazy_text(
                "{minutes:g} min away, over the {limit:g} min limit", minutes=minutes, limit=limit
            )
        )
    pair = Pairs(
        student.astype(np.int32), item.astype(np.int32), np.array([minutes], dtype=np.float32)
    )
    if kind == "placement":
        bits = int(offer_failures(arrays, pair)[0])
        reasons += [rule for k, rule in enumerate(INELIGIBILITY_RULES) if bits >> k & 1]
    elif slot_failures(arrays, pair)[0]:
        reasons.append(lazy_text("accessibility or unavailable dates"))
    return clauses(reasons) if reasons else lazy_text("not a candidate")


def _pin_words(instance: Instance, student_id: str, s: int, item_id: str) -> str:
    """One pin as a problem names it: the student, their row, the item."""
    return lazy_text(
        "{student} (row {row}) → {item}",
        student=student_id,
        row=instance.row_number("students", s),
        item=item_id,
    )


def pin_conflicts(instance: Instance, cand: Candidates) -> list[Problem]:
    """Every pin that breaks a rule alone, and each smallest set of pins that cannot all hold."""
    arrays = instance.arrays
    offer_pins, slot_pins = pinned_pairs(instance, cand)
    if not len(offer_pins) and not len(slot_pins):
        return []
    problems: list[Problem] = []
    pins: list[Pin] = []  # (kind, student, item) of candidate pins
    pinned: tuple[tuple[ItemKind, IntArray, IntArray], ...] = (
        ("placement", arrays.pinned_offers, offer_pins),
        ("workshop", arrays.pinned_slots, slot_pins),
    )
    for kind, table, found in pinned:
        for (s, j), k in zip(table.tolist(), found.tolist(), strict=True):
            if k >= 0:
                pins.append((kind, s, j))
                continue
            items = arrays.offers if kind == "placement" else arrays.slots
            problems.append(
                Problem(
                    "students",
                    instance.row_number("students", s),
                    PIN_COLUMNS[kind],
                    items.ids[j],
                    lazy_text(
                        "this pin breaks a hard rule on its own: {why}",
                        why=_why_not_candidate(instance, kind, s, j),
                    ),
                )
            )
    model, literals = _pins_model(instance, pins)
    free = list(range(len(pins)))
    while free:
        core = _core(model, [literals[i] for i in free])
        if core is None:
            break
        members = [free[i] for i in core]
        problems.append(_conflict_problem(instance, [pins[i] for i in members]))
        free = [i for i in free if i not in set(members)]
    problems += _share_conflicts(instance, cand, [pins[i] for i in free])
    return problems


def _share_conflicts(instance: Instance, cand: Candidates, pins: list[Pin]) -> list[Problem]:
    """Non-QPV pins that leave an offer no way to keep its minimum QPV share.

    With ``m`` non-QPV students pinned to an offer of ``capacity`` seats, the most QPV students
    it can hold is ``min(E, capacity − m)`` (*E*: its QPV candidates); the share asks
    ``k ≥ min(⌈q·(m + k)/100⌉, E)`` for some ``k`` from the QPV pins up to that. The smallest
    ``m`` for which no ``k`` fits names the pins: any ``m`` of the offer's non-QPV pins break
    the share together (even if every QPV candidate came), and ``m − 1`` of them need not.
    """
    arrays = instance.arrays
    offers = arrays.offers
    qpv_count = qpv_candidates(arrays, cand)
    problems = []
    for j in np.flatnonzero((arrays.min_share > 0) & (qpv_count > 0)).tolist():
        mine = [p for p in pins if p[0] == "placement" and p[2] == j]
        others = [p for p in mine if not arrays.qpv[p[1]]]
        share, supply, capacity = (
            int(arrays.min_share[j]),
            int(qpv_count[j]),
            int(offers.capacity[j]),
        )
        qpv_pinned = len(mine) - len(others)
        breaking = next(
            (
                m
                for m in range(1, len(others) + 1)
                if not _share_possible(m, qpv_pinned, share, supply, capacity)
            ),
            None,
        )
        if breaking is None:
            continue
        named = others[:breaking]
        listing = clauses(
            [_pin_words(instance, arrays.student_ids[s], s, offers.ids[o]) for _, s, o in named]
        )
        count = (
            lazy_text("these {n} pins cannot all hold", n=breaking)
            if breaking > 1
            else lazy_text("this pin cannot hold")
        )
        problems.append(
            Problem(
                "students",
                instance.row_number("students", named[0][1]),
                "pinned_offer",
                offers.ids[j],
                # "{percent}", not "%": Babel would read "% o" as a Python format.
                lazy_text(
                    "{count} ({offer} must keep at least {share} {percent} of its students for "
                    "QPV students (qpv_min_share), {supply} of whom could come, and {capacity} "
                    "seat(s)): {listing}",
                    count=count,
                    offer=offers.ids[j],
                    share=share,
                    percent="%",
                    supply=supply,
                    capacity=capacity,
                    listing=listing,
                ),
            )
        )
    return problems


def _share_possible(m: int, qpv_pinned: int, share: int, supply: int, capacity: int) -> bool:
    """Can an offer holding ``m`` pinned non-QPV students keep its share with some QPV count?"""
    return any(
        k >= min((share * (m + k) + 99) // 100, supply)
        for k in range(qpv_pinned, min(supply, capacity - m) + 1)
    )


def _pins_model(
    instance: Instance, pins: list[Pin]
) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    """One literal per pin ("this pin holds") under the rules that tie pins together."""
    arrays = instance.arrays
    model = cp_model.CpModel()
    literals = [model.new_bool_var(f"pin{i}") for i in range(len(pins))]
    by_item: dict[tuple[ItemKind, int], list[int]] = {}
    by_student: dict[int, list[int]] = {}
    for i, (kind, s, j) in enumerate(pins):
        by_item.setdefault((kind, j), []).append(i)
        by_student.setdefault(s, []).append(i)
    for (kind, j), members in by_item.items():
        items = arrays.offers if kind == "placement" else arrays.slots
        model.add(sum(literals[i] for i in members) <= int(items.capacity[j]))
        open_members = [i for i in members if not arrays.qpv[pins[i][1]]]
        if open_members:
            limit = int(items.capacity[j] - items.reserved[j])
            model.add(sum(literals[i] for i in open_members) <= limit)
    for s, members in by_student.items():
        placements = [i for i in members if pins[i][0] == "placement"]
        if placements:
            model.add(sum(literals[i] for i in placements) <= int(arrays.max_placements[s]))
        spans = [_span(instance, pins[i]) for i in members]
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                overlap = spans[a][0] <= spans[b][1] and spans[b][0] <= spans[a][1]
                same_workshop = (
                    pins[members[a]][0] == pins[members[b]][0] == "workshop"
                    and arrays.slots.group[pins[members[a]][2]]
                    == arrays.slots.group[pins[members[b]][2]]
                )
                if overlap or same_workshop:
                    model.add_bool_or(
                        [literals[members[a]].negated(), literals[members[b]].negated()]
                    )
    return model, literals


def _span(instance: Instance, pin: Pin) -> tuple[int, int]:
    items = instance.arrays.offers if pin[0] == "placement" else instance.arrays.slots
    return int(items.first_half_day[pin[2]]), int(items.last_half_day[pin[2]])


def _solve_assuming(
    model: cp_model.CpModel, assumed: list[cp_model.IntVar]
) -> tuple[bool, cp_model.CpSolver]:
    """Solve the pins model with ``assumed`` pins held: infeasible?, and the solver."""
    model.clear_assumptions()
    model.add_assumptions(assumed)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    return solver.solve(model) == cp_model.INFEASIBLE, solver


def _core(model: cp_model.CpModel, assumed: list[cp_model.IntVar]) -> list[int] | None:
    """Positions in ``assumed`` of a minimal set that cannot all hold (``None``: they can)."""
    infeasible, solver = _solve_assuming(model, assumed)
    if not infeasible:
        return None
    position = {lit.index: i for i, lit in enumerate(assumed)}
    core = sorted(position[v] for v in solver.sufficient_assumptions_for_infeasibility())
    # Deletion: drop each pin whose absence keeps the set infeasible; what stays is minimal.
    k = 0
    while k < len(core):
        trial = core[:k] + core[k + 1 :]
        if _solve_assuming(model, [assumed[i] for i in trial])[0]:
            core = trial
        else:
            k += 1
    return core


def _conflict_problem(instance: Instance, pins: list[Pin]) -> Problem:
    """One problem naming every pin of a conflicting set, with the rule they break together."""
    arrays = instance.arrays
    kind, s, j = pins[0]
    items = arrays.offers if kind == "placement" else arrays.slots

    def name(pin: Pin) -> str:
        pin_items = arrays.offers if pin[0] == "placement" else arrays.slots
        return _pin_words(instance, arrays.student_ids[pin[1]], pin[1], pin_items.ids[pin[2]])

    same_item = len({(p[0], p[2]) for p in pins}) == 1
    same_student = len({p[1] for p in pins}) == 1
    if same_item:
        n_open = sum(not arrays.qpv[p[1]] for p in pins)
        capacity = int(items.capacity[j])
        if len(pins) > capacity:
            why = lazy_text(
                "{item} has {capacity} seat(s) and {n} students are pinned to it",
                item=items.ids[j],
                capacity=capacity,
                n=len(pins),
            )
        else:
            why = lazy_text(
                "{item} keeps {reserved} of its {capacity} seat(s) for QPV students and {n} "
                "non-QPV students are pinned to it",
                item=items.ids[j],
                reserved=int(items.reserved[j]),
                capacity=capacity,
                n=n_open,
            )
    elif same_student:
        why = lazy_text(
            "{student}'s pinned items overlap in time, exceed the placements allowed, or repeat "
            "a workshop",
            student=arrays.student_ids[s],
        )
    else:
        why = lazy_text("together they break the seat and timing rules")
    listing = clauses([name(p) for p in pins])
    return Problem(
        "students",
        instance.row_number("students", s),
        PIN_COLUMNS[kind],
        items.ids[j],
        (
            lazy_text(
                "these {n} pins cannot all hold ({why}): {listing}",
                n=len(pins),
                why=why,
                listing=listing,
            )
            if len(pins) > 1
            else lazy_text("this pin cannot hold ({why}): {listing}", why=why, listing=listing)
        ),
    )
