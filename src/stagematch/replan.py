"""Re-planning without chaos: solve again close to a previous plan, and say what changed.

A host cancels the Friday before; a student moves; late offers arrive. :func:`resolve` solves
the new dataset with one more level, ``changes`` — the students whose placements or sessions
differ from the previous plan — placed right after ``placed`` unless the ``objective`` setting
lists it elsewhere. So, by default, nobody is left unplaced to avoid a change (QPV students
first, then everyone, exactly as in a fresh solve), and then as few students as possible get a
new letter. Every assignment that can be kept is kept.

:func:`diff` compares two plans student by student: who moved, who is newly placed, who lost
a placement and exactly why, whose sessions changed — and gives the letters-ready rows for the
changed students only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from .check import check
from .export import read_plan, read_result
from .i18n import _, translate
from .model import Instance, Offer
from .plan import Assignment, Plan
from .result import Result, Unplaced
from .rows import ItemKind
from .solver import Progress, SolveOptions, solve
from .solver.options import Stop

__all__ = ["CHANGE_KINDS", "PlanDiff", "diff", "resolve"]

Change = Literal["moved", "newly_placed", "lost_placement", "sessions_changed", "removed"]
CHANGE_KINDS: tuple[str, ...] = (
    "lost_placement",
    "moved",
    "newly_placed",
    "sessions_changed",
    "removed",
)
"""What can happen to a student between two plans, the most urgent to tell first."""


def _plan_of(previous: Plan | Result | str | Path) -> Plan:
    if isinstance(previous, Plan):
        return previous
    if isinstance(previous, Result):
        return previous.plan
    return read_plan(previous)[1]


def resolve(
    instance: Instance,
    previous: Plan | Result | str | Path,
    options: SolveOptions | None = None,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    budget: float | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> Result:
    """Solve ``instance`` again, keeping every assignment of ``previous`` that it can.

    Parameters
    ----------
    instance
        The new dataset: offers, slots and students may have been removed, added or changed.
    previous
        The plan to stay close to: a :class:`~stagematch.plan.Plan`, a
        :class:`~stagematch.result.Result`, or a plan folder written by ``stagematch solve``.
        Its assignments of students, offers or slots the new dataset no longer has are simply
        gone (those students count as changed).

    The result has the level ``changes``; ``options`` and the other arguments are those of
    :func:`stagematch.solve` (stable plans cannot be re-planned yet). Pins (``pinned_offer``,
    ``pinned_slots``) hold as always.
    """
    return solve(
        instance,
        options,
        previous=_plan_of(previous),
        time_limit=time_limit,
        seed=seed,
        budget=budget,
        workers=workers,
        executor=executor,
        progress=progress,
        stop=stop,
    )


# --------------------------------------------------------------------------------------------
# What changed between two plans


@dataclass(frozen=True)
class PlanDiff:
    """The students whose programme differs between two plans (see :func:`diff`).

    ``changes`` has one row per changed student: ``student_id, qpv, change, before, after,
    reason`` — ``before``/``after`` list the items (``;``-separated, placements first), and
    ``reason`` says why each item the student lost was lost, or for a student left without a
    placement, the reason of ``unplaced.csv``.
    """

    before: Plan
    after: Result
    changes: pd.DataFrame

    @property
    def changed_students(self) -> list[str]:
        return list(self.changes["student_id"])

    def counts(self) -> dict[str, int]:
        """How many students per kind of change (every kind present, zeros included)."""
        found = Counter(self.changes["change"])
        return {kind: int(found.get(kind, 0)) for kind in CHANGE_KINDS}

    def for_changed(self, table: pd.DataFrame) -> pd.DataFrame:
        """The rows of a per-student ``table`` for the changed students still in the dataset,
        with the ``change`` and its ``change_reason`` in front.

        For letters to the changed students only: ``changes.for_changed(report.letters(
        changes.after))``. The diff takes the table rather than building it, because letters
        are the reports' business and re-planning must not depend on the report layer.
        """
        info = self.changes.set_index("student_id")[["change", "reason"]]
        kept = table[table["student_id"].isin(info.index)].copy()
        kept.insert(1, "change", kept["student_id"].map(info["change"]))
        kept.insert(2, "change_reason", kept["student_id"].map(info["reason"]))
        return kept.reset_index(drop=True)


@dataclass(frozen=True)
class _Losses:
    """What a lost item's reason is read against: the later plan's dataset and who holds what."""

    instance: Instance
    offers: dict[str, Offer]
    slots: set[str]
    students: set[str]
    holders: dict[str, set[str]]  # after: to name who took a seat a student lost
    old_holders: dict[str, set[str]]

    @classmethod
    def between(cls, old: Plan, new: Result) -> _Losses:
        instance = new.instance
        return cls(
            instance=instance,
            offers={o.offer_id: o for o in instance.offers},
            slots={w.slot_id for w in instance.workshop_slots},
            students={s.student_id for s in instance.students},
            holders=_holders(new.plan),
            old_holders=_holders(old),
        )

    def why(self, student_id: str, kind: ItemKind, item_id: str) -> str:
        """Why ``student_id`` no longer has ``item_id``, the most telling reason first."""
        if item_id not in (self.offers if kind == "placement" else self.slots):
            if kind == "placement":
                return _("offer {item} was withdrawn").format(item=item_id)
            return _("session {item} was withdrawn").format(item=item_id)
        if student_id in self.students:
            alone = Plan([Assignment(student_id, kind, item_id)])
            broken = check(self.instance, alone, stable=False).violations  # this pair's rules
            rules = [v.message for v in broken if v.rule not in ("pinned",)]
            if rules:
                return _("{item} is no longer possible: {rule}").format(item=item_id, rule=rules[0])
        if kind == "placement" and len(self.holders[item_id]) >= self.offers[item_id].capacity:
            newcomers = sorted(self.holders[item_id] - self.old_holders[item_id])
            if newcomers:
                return _(
                    "the seat at {item} went to {students} so that more students (QPV "
                    "first) are placed"
                ).format(item=item_id, students=", ".join(newcomers))
            return _("{item} is full ({capacity} seat(s))").format(
                item=item_id, capacity=self.offers[item_id].capacity
            )
        return _("{item} was given up for a programme that keeps more students placed").format(
            item=item_id
        )

    def change(
        self,
        student_id: str,
        was: set[tuple[str, str]],
        now: set[tuple[str, str]],
        unplaced: Unplaced | None,
    ) -> tuple[Change, str]:
        """The kind of change of one student whose items went from ``was`` to ``now``, and why."""
        had = {i for k, i in was if k == "placement"}
        has = {i for k, i in now if k == "placement"}
        if student_id not in self.students:
            return "removed", _("the student is no longer in the dataset")
        if had and not has:
            reason = "; ".join(self.why(student_id, "placement", i) for i in sorted(had))
            if unplaced is not None:
                now_unplaced = _(" — now unplaced: {reason} ({detail})")
                detail = translate(unplaced.detail)
                reason += now_unplaced.format(reason=unplaced.reason, detail=detail)
            return "lost_placement", reason
        if has and not had:
            return "newly_placed", _("placed in this plan")
        if had != has:
            gone = sorted(had - has)
            if not gone:
                return "moved", _("a placement was added")
            return "moved", "; ".join(self.why(student_id, "placement", i) for i in gone)
        lost_sessions = sorted(i for k, i in was - now if k == "workshop")
        if not lost_sessions:
            return "sessions_changed", _("a session was added")
        reasons = (self.why(student_id, "workshop", i) for i in lost_sessions)
        return "sessions_changed", "; ".join(reasons)


def diff(
    before: Plan | Result | str | Path,
    after: Result | str | Path,
) -> PlanDiff:
    """Who moved, who is newly placed, who lost a placement and why, whose sessions changed.

    ``before`` is the earlier plan (a plan, a result or a plan folder); ``after`` the later
    one as a :class:`~stagematch.result.Result` or a plan folder — its dataset is the one the
    reasons are given against.
    """
    old = _plan_of(before)
    new = after if isinstance(after, Result) else read_result(after)
    losses = _Losses.between(old, new)
    qpv = {s.student_id: bool(s.qpv) for s in new.instance.students}
    unplaced = {u.student_id: u for u in new.unplaced}
    old_items, new_items = _items(old), _items(new.plan)
    rows = []
    for student_id in sorted(set(old_items) | set(new_items)):
        was, now = old_items.get(student_id, set()), new_items.get(student_id, set())
        if was == now:
            continue
        change, reason = losses.change(student_id, was, now, unplaced.get(student_id))
        rows.append(
            {
                "student_id": student_id,
                "qpv": qpv.get(student_id, pd.NA),
                "change": change,
                "before": _listing(was),
                "after": _listing(now),
                "reason": reason,
            }
        )
    frame = pd.DataFrame(rows, columns=["student_id", "qpv", "change", "before", "after", "reason"])
    order = {kind: k for k, kind in enumerate(CHANGE_KINDS)}
    frame = frame.sort_values(
        ["change", "student_id"], key=lambda c: c.map(order) if c.name == "change" else c
    ).reset_index(drop=True)
    return PlanDiff(old, new, frame)


def _holders(plan: Plan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for a in plan.assignments:
        out[a.item_id].add(a.student_id)
    return out


def _items(plan: Plan) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for a in plan.assignments:
        out[a.student_id].add((a.kind, a.item_id))
    return out


def _listing(items: set[tuple[str, str]]) -> str:
    return ";".join(i for _, i in sorted(items))
