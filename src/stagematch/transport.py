"""What getting students there costs: coaches to workshop sessions, public transport to hosts.

Transport is planned only when the dataset gives a transport setting (``coach_capacity``,
``coach_cost``, ``coach_cost_per_km``, ``transit_daily_cost``); without one every function here
reports nothing and the plan's outputs are those of a dataset without transport.

* **Coach groups.** For a workshop session, the students of one school travel together by coach
  from their school: a group is a (session, school) pair and needs
  ⌈students / ``coach_capacity``⌉ coaches. One coach costs ``coach_cost`` plus
  ``coach_cost_per_km`` × the round trip school → venue → school, the great-circle distance
  times the SPEC's detour factor (1.3) both ways.
* **Public transport.** A placement of a student whose mode is ``transit`` costs
  ``transit_daily_cost`` per working day it covers.

Everything is computed from the instance and the plan alone, so a plan edited by hand, read
back from a folder or returned by the solver is costed the same way; the ``coaches`` level of the
solver counts the same groups (Concepts › Transport). Reachability is not changed by coaches:
a session is reachable when the student's own trip is within ``workshop_max_travel_min``, as
the SPEC says, so transport settings never make a plan invalid or a valid plan different.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .arrays import MODE_CODES
from .geo import great_circle_km
from .model import Instance
from .plan import Plan

DETOUR = 1.3
"""Road distance over great-circle distance, as in the SPEC's travel estimate."""

COACH_COLUMNS = [
    "slot_id",
    "school_id",
    "students",
    "coaches",
    "cost",
    "venue",
    "date",
    "part",
    "round_trip_km",
]
TRANSIT_COLUMNS = ["student_id", "school_id", "offer_id", "days", "cost"]
TABLE_DOCS = {
    "kind": "`coach`: a (session, school) group; `transit`: the students of one school placed "
    "at one offer who go there by public transport.",
    "slot_id": "The workshop session (coach rows).",
    "offer_id": "The offer (transit rows).",
    "school_id": "The students' school.",
    "students": "Students in the group, or placed at the offer by public transport.",
    "coaches": "⌈students / `coach_capacity`⌉ (coach rows).",
    "days": "Working days of the placement, holidays excluded (transit rows).",
    "cost": "Euros: coaches × (`coach_cost` + `coach_cost_per_km` × `round_trip_km`), or "
    "students × days × `transit_daily_cost`. The column adds up to `summary.json`'s "
    "`transport.total_cost`.",
    "venue": "The session's venue (coach rows).",
    "date": "The session's date (coach rows).",
    "part": "`AM` or `PM` (coach rows).",
    "round_trip_km": "School → venue → school: twice 1.3 × the great-circle distance (coach rows).",
}
"""``transport.csv``, column by column: ``coach`` rows (as :func:`coach_groups`), then
``transit`` rows; a column that does not apply to a row is empty."""
TABLE_COLUMNS = list(TABLE_DOCS)


def plans_coaches(instance: Instance) -> bool:
    """Whether coaches are planned: ``coach_capacity`` is given."""
    return instance.settings.coach_capacity is not None


def coaches_needed(students: int, capacity: int) -> int:
    """⌈students / capacity⌉: the coaches a group of ``students`` needs."""
    return -(-students // capacity)


def coach_groups(instance: Instance, plan: Plan) -> pd.DataFrame:
    """``transport.csv``: one row per (session, school) group with its coaches and cost.

    Empty (with the columns) when coaches are not planned or nobody attends a session.
    """
    capacity = instance.settings.coach_capacity
    if capacity is None:
        return pd.DataFrame(columns=COACH_COLUMNS)
    school_of = {s.student_id: s.school_id for s in instance.students}
    sizes = Counter(
        (a.item_id, school_of[a.student_id]) for a in plan.assignments if a.kind == "workshop"
    )
    arrays = instance.arrays
    slot_index = arrays.slots.index
    school_index = arrays.school_index
    slots = {s.slot_id: s for s in instance.workshop_slots}
    per_coach = instance.settings.coach_cost
    per_km = instance.settings.coach_cost_per_km
    rows = []
    for (slot_id, school_id), students in sorted(sizes.items()):
        w, k = slot_index[slot_id], school_index[school_id]
        distance = great_circle_km(
            arrays.school_lat[k], arrays.school_lon[k], arrays.slots.lat[w], arrays.slots.lon[w]
        )
        km = round(2 * DETOUR * float(distance), 1)
        coaches = coaches_needed(students, capacity)
        slot = slots[slot_id]
        rows.append(
            (
                slot_id,
                school_id,
                students,
                coaches,
                round(coaches * (per_coach + per_km * km), 2),
                slot.venue,
                slot.date.isoformat(),
                slot.part,
                km,
            )
        )
    return pd.DataFrame(rows, columns=COACH_COLUMNS)


def transit_costs(instance: Instance, plan: Plan) -> pd.DataFrame:
    """One row per placement of a student travelling by public transport, with its days and
    cost (empty when ``transit_daily_cost`` is not given)."""
    settings = instance.settings
    if "transit_daily_cost" not in settings.model_fields_set:
        return pd.DataFrame(columns=TRANSIT_COLUMNS)
    arrays = instance.arrays
    student_index = arrays.student_index
    offer_index = arrays.offers.index
    transit = MODE_CODES["transit"]
    rows = []
    for a in plan.assignments:
        s = student_index[a.student_id]
        if a.kind != "placement" or int(arrays.mode[s]) != transit:
            continue
        days = int(arrays.offers.length[offer_index[a.item_id]]) // 2
        rows.append(
            (
                a.student_id,
                arrays.school_ids[int(arrays.school[s])],
                a.item_id,
                days,
                round(days * settings.transit_daily_cost, 2),
            )
        )
    return pd.DataFrame(rows, columns=TRANSIT_COLUMNS)


@dataclass(frozen=True, eq=False)
class Transport:
    """A plan's transport: coach groups, public-transport placements and their totals."""

    coaches: pd.DataFrame
    transit: pd.DataFrame
    placed: int
    qpv_placed: int

    @property
    def coach_count(self) -> int:
        return int(self.coaches["coaches"].sum()) if len(self.coaches) else 0

    @property
    def coach_cost(self) -> float:
        return round(float(self.coaches["cost"].sum()), 2) if len(self.coaches) else 0.0

    @property
    def transit_cost(self) -> float:
        return round(float(self.transit["cost"].sum()), 2) if len(self.transit) else 0.0

    @property
    def total(self) -> float:
        return round(self.coach_cost + self.transit_cost, 2)

    def table(self) -> pd.DataFrame:
        """``transport.csv`` (:data:`TABLE_COLUMNS`): its costs add up to :attr:`total`."""
        coach = self.coaches.assign(kind="coach")
        if len(self.transit):
            transit = (
                self.transit.groupby(["offer_id", "school_id", "days"], as_index=False)
                .agg(students=("student_id", "size"), cost=("cost", "sum"))
                .assign(kind="transit")
            )
            transit["cost"] = transit["cost"].round(2)
        else:
            transit = pd.DataFrame(columns=["kind", "offer_id", "school_id", "students", "days"])
        frames = [frame for frame in (coach, transit) if len(frame)]
        if not frames:
            return pd.DataFrame(columns=TABLE_COLUMNS)
        table = pd.concat(frames, ignore_index=True).reindex(columns=TABLE_COLUMNS)
        for column in ("students", "coaches", "days"):
            table[column] = table[column].astype("Int64")
        return table

    def summary(self) -> dict[str, Any]:
        """The ``transport`` object of ``summary.json`` (costs per head are null without heads)."""
        return {
            "coaches": self.coach_count,
            "coach_groups": len(self.coaches),
            "coach_cost": self.coach_cost,
            "transit_cost": self.transit_cost,
            "total_cost": self.total,
            "cost_per_placed_student": _per_head(self.total, self.placed),
            "cost_per_placed_qpv_student": _per_head(self.total, self.qpv_placed),
        }

    def by_venue(self) -> pd.DataFrame:
        """Coaches and coach cost per workshop venue."""
        return _totals(self.coaches, "venue")

    def by_school(self) -> pd.DataFrame:
        """Coaches, coach cost, public-transport cost and total per school."""
        coach = _totals(self.coaches, "school_id")
        transit = (
            self.transit.groupby("school_id", as_index=False).agg(transit_cost=("cost", "sum"))
            if len(self.transit)
            else pd.DataFrame(columns=["school_id", "transit_cost"])
        )
        frame = coach.merge(transit, on="school_id", how="outer")
        frame["coaches"] = frame["coaches"].fillna(0).astype(int)
        frame["students"] = frame["students"].fillna(0).astype(int)
        for column in ("coach_cost", "transit_cost"):
            frame[column] = frame[column].astype(float).fillna(0.0).round(2)
        frame["total_cost"] = (frame["coach_cost"] + frame["transit_cost"]).round(2)
        return frame.sort_values("school_id", ignore_index=True)


def _totals(coaches: pd.DataFrame, key: str) -> pd.DataFrame:
    if not len(coaches):
        return pd.DataFrame(columns=[key, "students", "coaches", "coach_cost"])
    frame = coaches.groupby(key, as_index=False).agg(
        students=("students", "sum"), coaches=("coaches", "sum"), coach_cost=("cost", "sum")
    )
    frame["coach_cost"] = frame["coach_cost"].round(2)
    return frame


def _per_head(total: float, heads: int) -> float | None:
    return round(total / heads, 2) if heads else None


def transport(instance: Instance, plan: Plan) -> Transport | None:
    """The transport of ``plan``, or ``None`` when the dataset plans no transport."""
    if not instance.settings.plans_transport:
        return None
    qpv = {s.student_id for s in instance.students if s.qpv}
    placed = set(plan.placements)
    return Transport(
        coaches=coach_groups(instance, plan),
        transit=transit_costs(instance, plan),
        placed=len(placed),
        qpv_placed=len(placed & qpv),
    )


def coach_count(instance: Instance, plan: Plan) -> int:
    """Σ over (session, school) groups of ⌈students / coach_capacity⌉ (0 without coaches)."""
    capacity = instance.settings.coach_capacity
    if capacity is None:
        return 0
    school_of = {s.student_id: s.school_id for s in instance.students}
    sizes = Counter(
        (a.item_id, school_of[a.student_id]) for a in plan.assignments if a.kind == "workshop"
    )
    return sum(coaches_needed(n, capacity) for n in sizes.values())


__all__ = [
    "TABLE_COLUMNS",
    "TABLE_DOCS",
    "Transport",
    "coach_count",
    "coach_groups",
    "coaches_needed",
    "plans_coaches",
    "transit_costs",
    "transport",
]
