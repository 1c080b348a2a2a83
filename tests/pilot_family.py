"""Pilot-shaped instances unlike the bundled pilot, and an independent MILP that solves them.

The family (:func:`pilot_shaped`) is seeded, not tuned: each seed draws a programme shaped like
the real pilot — QPV students of a few lycées, two workshops each, half-day and whole-day
sessions at two venues, one-week and two-week offers — and varies what the bundled pilot does
not have: reserved seats on offers and sessions, ``reserved_schools``, ``travel_times``
overrides (some fractional), unavailable dates, students who refuse a split, accessibility and
age limits, ``max_placements_per_student`` 1 or 2, and another order of the objective.

The yardstick (:func:`milp_optimum`) is a plain lexicographic MILP written here with
``highspy`` directly, sharing no code with the solver: eligibility, reachability and half-days
come from :mod:`bruteforce` (which re-derives them from the dates, with ``check``'s two formula
helpers), the rows are written from the SPEC's rules, and each level is fixed at its optimum
before the next.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import highspy
import numpy as np
from bruteforce import _allowed, _half_days
from strategies import PERIOD_START, WEEK_1, WEEK_2

from stagematch.check import preference_cost, travel_minutes, wish_rank
from stagematch.model import MAXIMISED_LEVELS, Instance, Offer, WorkshopSlot

VENUES = ((50.3570, 3.5235), (50.3640, 3.4990))
"""Two venues in Valenciennes (a chamber of commerce, a museum)."""
SECTORS = ("health", "law", "media", "industry", "retail", "digital")
LOWER_ORDERS = (
    ("workshops", "coverage", "preference", "travel"),
    ("coverage", "workshops", "travel", "preference"),
    ("preference", "workshops", "coverage", "travel"),
    ("travel", "coverage", "preference", "workshops"),
)


def pilot_shaped(seed: int, students: int = 24) -> Instance:
    """One instance of the family (``students`` around 20–40 keeps the yardstick fast)."""
    rng = random.Random(seed)
    working = [PERIOD_START + timedelta(days=k) for k in range(12)]
    working = [d for d in working if d.weekday() < 5]
    schools = [
        {
            "school_id": f"059{seed % 10}{k:03d}X",
            "name": f"Lycée {k}",
            "lat": round(50.36 + rng.uniform(-0.04, 0.04), 4),
            "lon": round(3.52 + rng.uniform(-0.06, 0.06), 4),
        }
        for k in range(rng.randint(2, 4))
    ]
    school_ids = [s["school_id"] for s in schools]
    offers: list[dict[str, Any]] = []
    for k in range(max(4, students // 3)):
        capacity = rng.choice((1, 1, 2, 2, 3))
        span = rng.choice(("week_1", "week_2", "period", "week_1", "week_2"))
        offer: dict[str, Any] = {
            "offer_id": f"OF{k:02d}",
            "host_id": f"H{rng.randint(0, students // 4)}",
            "sector": rng.choice(SECTORS),
            "lat": round(50.36 + rng.uniform(-0.05, 0.05), 4),
            "lon": round(3.52 + rng.uniform(-0.08, 0.08), 4),
            "capacity": capacity,
        }
        if span != "period":
            first, last = WEEK_1 if span == "week_1" else WEEK_2
            offer.update(start=first, end=last)
        if rng.random() < 0.2:
            offer["qpv_reserved"] = rng.randint(1, capacity)
        if rng.random() < 0.1:
            offer["reserved_schools"] = rng.sample(school_ids, 1)
        if rng.random() < 0.1:
            offer["accessible"] = False
        if rng.random() < 0.1:
            offer["min_age"] = 16
        offers.append(offer)
    slots: list[dict[str, Any]] = []
    n_workshops = rng.randint(3, 4)
    for w in range(n_workshops):
        venue = VENUES[w % 2]
        for k in range(rng.randint(2, 3)):
            capacity = rng.randint(3, 8)
            slot: dict[str, Any] = {
                "slot_id": f"SL{w}{k}",
                "workshop_id": f"WK{w}",
                "venue": f"venue {w % 2}",
                "lat": venue[0],
                "lon": venue[1],
                "date": rng.choice(working),
                "part": rng.choice(("AM", "PM", "AM", "PM", "DAY")),
                "capacity": capacity,
            }
            if rng.random() < 0.2:
                slot["qpv_reserved"] = rng.randint(1, capacity)
            slots.append(slot)
    student_rows: list[dict[str, Any]] = []
    for k in range(students):
        school = rng.choice(schools)
        row: dict[str, Any] = {
            "student_id": f"P{k:03d}",
            "school_id": school["school_id"],
            "qpv": rng.random() < 0.85,
            "home_lat": round(school["lat"] + rng.uniform(-0.03, 0.03), 4),
            "home_lon": round(school["lon"] + rng.uniform(-0.04, 0.04), 4),
            "wishes": rng.sample(SECTORS, rng.randint(0, 3)),
            "age": rng.choice((14, 15, 15, 16)),
        }
        if rng.random() < 0.1:
            row["wished_offers"] = [rng.choice(offers)["offer_id"]]
        if rng.random() < 0.15:
            row["split_ok"] = False
        if rng.random() < 0.1:
            row["needs_accessibility"] = True
        if rng.random() < 0.15:
            row["unavailable"] = [rng.choice(working)]
        if rng.random() < 0.1:
            row["max_travel_min"] = rng.choice((30, 60))
        student_rows.append(row)
    travel_times = []
    for _ in range(rng.randint(2, 6)):
        student = rng.choice(student_rows)["student_id"]
        item = rng.choice([o["offer_id"] for o in offers] + [s["slot_id"] for s in slots])
        travel_times.append(
            {"origin": student, "destination": item, "minutes": rng.choice((5, 20, 44.5, 70))}
        )
    objective = ("qpv_placed", "placed", *rng.choice(LOWER_ORDERS))
    if rng.random() < 0.2:
        objective = ("placed", "qpv_placed", *objective[2:])
    settings = {
        "period_start": PERIOD_START,
        "period_end": PERIOD_START + timedelta(days=11),
        "workshops_per_student": rng.choice((2, 2, 1)),
        "max_placements_per_student": rng.choice((2, 2, 1)),
        "objective": list(objective),
        "unranked_cost": rng.choice((5, 10)),
    }
    return Instance(
        settings=settings,
        schools=schools,
        students=student_rows,
        offers=offers,
        workshop_slots=slots,
        travel_times=travel_times,
    )


def milp_optimum(
    instance: Instance, reached: dict[str, float] | None = None, *, stable: bool = False
) -> dict[str, float]:
    """The lexicographic optimum of every level of the objective, by a plain pair MILP.

    With ``reached``, each level is optimised over the plans at least as good as ``reached``
    on the levels before it (instead of their optima): the best value a bound conditional on
    those levels must allow. With ``stable``, over the plans without justified envy
    (:func:`_no_envy`).
    """
    settings = instance.settings
    items: list[Offer | WorkshopSlot] = [*instance.offers, *instance.workshop_slots]
    n_offers = len(instance.offers)
    pairs: list[tuple[int, int]] = [
        (s, i)
        for s, student in enumerate(instance.students)
        for i, item in enumerate(items)
        if _allowed(instance, student, item)
    ]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    inf = highspy.kHighsInf
    n_students = len(instance.students)
    # Columns: one binary per pair, then placed[s] (0..1), then attended[s] (0..target).
    placed = [len(pairs) + s for s in range(n_students)]
    attended = [len(pairs) + n_students + s for s in range(n_students)]
    n_cols = len(pairs) + 2 * n_students
    upper = np.ones(n_cols)
    upper[attended] = settings.workshops_per_student
    empty = np.zeros(n_cols, dtype=np.int32)
    h.addCols(n_cols, np.zeros(n_cols), np.zeros(n_cols), upper, 0, empty, empty, np.zeros(0))
    h.changeColsIntegrality(n_cols, np.arange(n_cols, dtype=np.int32), np.ones(n_cols, np.int32))

    def row(cols: list[int], coefs: list[float], lower: float, upper: float) -> None:
        if cols:
            h.addRow(lower, upper, len(cols), np.array(cols, np.int32), np.array(coefs))

    by_student: dict[int, list[int]] = {}
    by_item: dict[int, list[int]] = {}
    for k, (s, i) in enumerate(pairs):
        by_student.setdefault(s, []).append(k)
        by_item.setdefault(i, []).append(k)
    for i, ks in by_item.items():  # rules 1 and 2
        row(ks, [1.0] * len(ks), -inf, items[i].capacity)
        others = [k for k in ks if not instance.students[pairs[k][0]].qpv]
        row(others, [1.0] * len(others), -inf, items[i].capacity - items[i].qpv_reserved)
    for s, student in enumerate(instance.students):
        ks = by_student.get(s, [])
        offer_ks = [k for k in ks if pairs[k][1] < n_offers]
        slot_ks = [k for k in ks if pairs[k][1] >= n_offers]
        limit = settings.max_placements_per_student if student.split_ok else 1
        row(offer_ks, [1.0] * len(offer_ks), -inf, limit)  # rule 6
        workshops: dict[str, list[int]] = {}
        for k in slot_ks:
            workshops.setdefault(items[pairs[k][1]].workshop_id, []).append(k)  # type: ignore[union-attr]
        for same in workshops.values():
            row(same, [1.0] * len(same), -inf, 1.0)
        spans = {k: _half_days(instance, items[pairs[k][1]]) for k in ks}
        for half_day in set().union(*spans.values()) if spans else ():  # rule 5
            covering = [k for k in ks if half_day in spans[k]]
            row(covering, [1.0] * len(covering), -inf, 1.0)
        row([placed[s], *offer_ks], [1.0] + [-1.0] * len(offer_ks), -inf, 0.0)
        row([attended[s], *slot_ks], [1.0] + [-1.0] * len(slot_ks), -inf, 0.0)
        pinned = set(student.pinned_offer) | set(student.pinned_slots)
        for k in ks:
            item = items[pairs[k][1]]
            item_id = item.offer_id if isinstance(item, Offer) else item.slot_id
            if item_id in pinned:
                h.changeColBounds(k, 1.0, 1.0)

    if stable:
        _no_envy(instance, pairs, by_student, by_item, row)
    _min_share(instance, pairs, by_item, row, h)
    level_coefs: dict[str, np.ndarray] = {}
    for name in ("qpv_placed", "placed", "workshops", "coverage", "preference", "travel"):
        coefs = np.zeros(n_cols)
        if name in ("qpv_placed", "placed"):
            for s, student in enumerate(instance.students):
                coefs[placed[s]] = 1.0 if name == "placed" or student.qpv else 0.0
        elif name == "workshops":
            coefs[attended] = 1.0
        for k, (s, i) in enumerate(pairs):
            student, item = instance.students[s], items[i]
            if name == "coverage":
                coefs[k] = len(_half_days(instance, item))
            elif name == "travel":
                coefs[k] = travel_minutes(instance, student, item)
            elif name == "preference" and isinstance(item, Offer):
                rank = wish_rank(instance, student, item)
                coefs[k] = settings.unranked_cost if rank is None else rank - 1
        level_coefs[name] = coefs

    optimum: dict[str, float] = {}
    cols = np.arange(n_cols, dtype=np.int32)
    for name in settings.objective:
        coefs = level_coefs[name]
        maximise = name in MAXIMISED_LEVELS
        h.changeColsCost(n_cols, cols, coefs)
        h.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        )
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, name
        optimum[name] = float(coefs @ np.asarray(h.getSolution().col_value)[:n_cols])
        value = optimum[name] if reached is None else reached[name]
        slack = 1e-6 * max(1.0, abs(value))
        nonzero = np.flatnonzero(coefs).tolist()
        if maximise:
            row(nonzero, list(coefs[nonzero]), value - slack, inf)
        else:
            row(nonzero, list(coefs[nonzero]), -inf, value + slack)
    return optimum


def _no_envy(
    instance: Instance,
    pairs: list[tuple[int, int]],
    by_student: dict[int, list[int]],
    by_item: dict[int, list[int]],
    row: Any,
) -> None:
    """No justified envy, pair by pair (:mod:`stagematch.fairness`, ties not broken): for
    every placement pair (s, o) and every t that o ranks strictly below s,
    ``x[t,o] ≤ Σ x[s,o′]`` over the offers o′ that s likes at least as much as o. A student
    prefers the smaller (preference cost, minutes), an offer ranks first the smaller (not QPV,
    minutes), both from the checker's formulas."""
    offers = instance.offers
    students = instance.students

    def minutes(k: int) -> float:
        s, i = pairs[k]
        return travel_minutes(instance, students[s], offers[i])

    def preference(k: int) -> tuple[int, float]:
        s, i = pairs[k]
        return (preference_cost(instance, students[s], offers[i]), minutes(k))

    def priority(k: int) -> tuple[bool, float]:
        return (not students[pairs[k][0]].qpv, minutes(k))

    for i in range(len(offers)):
        ks = by_item.get(i, [])
        for k in ks:
            s = pairs[k][0]
            good = [j for j in by_student[s] if pairs[j][1] < len(offers)]
            good = [j for j in good if preference(j) <= preference(k)]
            for t in ks:
                if priority(t) > priority(k):
                    row([t, *good], [1.0] + [-1.0] * len(good), -highspy.kHighsInf, 0.0)


def _min_share(
    instance: Instance,
    pairs: list[tuple[int, int]],
    by_item: dict[int, list[int]],
    row: Callable[[list[int], list[float], float, float], None],
    h: highspy.Highs,
) -> None:
    """Each offer's minimum QPV share, from its definition: with ``E`` its QPV candidates (the
    QPV students of its pairs), ``k ≥ min(⌈q·n/100⌉, E)`` is ``q·n ≤ 100·k`` unless a binary
    ``e`` says that all ``E`` hold it (``k ≥ E·e``; big M: ``q·n ≤ q·|pairs|``)."""
    for i, offer in enumerate(instance.offers):
        share = offer.qpv_min_share
        share = instance.settings.qpv_min_share if share is None else share
        ks = by_item.get(i, [])
        qpv = [instance.students[pairs[k][0]].qpv for k in ks]
        if not share or not any(qpv):
            continue
        e = h.getNumCol()
        h.addCol(0.0, 0.0, 1.0, 0, np.zeros(0, np.int32), np.zeros(0))
        h.changeColIntegrality(e, highspy.HighsVarType.kInteger)
        coefs = [share - 100.0 * q for q in qpv]
        row([*ks, e], [*coefs, -share * len(ks)], -highspy.kHighsInf, 0.0)
        qpv_ks = [k for k, q in zip(ks, qpv, strict=True) if q]
        row([*qpv_ks, e], [1.0] * len(qpv_ks) + [-float(len(qpv_ks))], 0.0, highspy.kHighsInf)


def tiny_pilot_shaped(seed: int) -> Instance:
    """A member of the family small enough for :func:`bruteforce.brute_force_levels`."""
    instance = pilot_shaped(seed, students=4)
    data = instance.to_dict()
    data["offers"] = data["offers"][:3]
    for offer in data["offers"]:
        offer["capacity"] = min(int(offer["capacity"]), 2)
        offer.pop("qpv_reserved", None)
    data["workshop_slots"] = data["workshop_slots"][:3]
    for slot in data["workshop_slots"]:
        slot["capacity"] = 1
        slot.pop("qpv_reserved", None)
    kept = {o["offer_id"] for o in data["offers"]} | {w["slot_id"] for w in data["workshop_slots"]}
    data["travel_times"] = [t for t in data.get("travel_times", []) if t["destination"] in kept]
    for student in data["students"]:
        student["wished_offers"] = [
            o for o in student.get("wished_offers", []) if o in kept
        ] or None
    return Instance.from_dict(data)
