"""Rosters and letters-ready tables: who goes where, organised for whoever has to act on it.

A plan is acted on by four kinds of people, each needing a different cut of the same facts:

* a **host** needs its students, their dates and their school (:func:`host_roster`);
* an **association** running a workshop needs each session's date, time, venue and attendees
  (:func:`session_roster`);
* a **school** needs its students' whole programmes, including who has no placement yet and
  why (:func:`school_programmes`);
* the **coordinator** sends every student a letter and a *convention de stage*: one row per
  student with every field a mail merge needs (:func:`letters`).

Partner-facing rosters deliberately leave out whether a student lives in a QPV: hosts and
associations have no need to know it, and the status is socially sensitive. The coordinator's
tables (KPIs, unplaced) keep it.

Dates are :class:`datetime.date` objects, so the workbook writes real date cells. Sessions' parts
read ``morning``/``afternoon``/``full day``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..i18n import _, translate
from ..result import Result
from ._common import PART_ORDER, PART_WORDS, REASON_WORDS, context

HOST_ROSTER_COLUMNS = [
    "host_id",
    "host_name",
    "offer_id",
    "sector",
    "commune",
    "start",
    "end",
    "student_id",
    "school_id",
    "school_name",
    "travel_min",
    "wish_rank",
]
SESSION_ROSTER_COLUMNS = [
    "date",
    "part",
    "slot_id",
    "workshop_id",
    "title",
    "association",
    "venue",
    "commune",
    "student_id",
    "school_id",
    "school_name",
    "travel_min",
]
SCHOOL_PROGRAMME_COLUMNS = [
    "school_id",
    "school_name",
    "student_id",
    "kind",
    "start",
    "end",
    "part",
    "item_id",
    "what",
    "where",
    "travel_min",
    "note",
]
PLACEMENT_FIELDS = (
    "offer_id",
    "host_id",
    "host_name",
    "sector",
    "commune",
    "start",
    "end",
    "travel_min",
)
WORKSHOP_FIELDS = (
    "slot_id",
    "title",
    "association",
    "venue",
    "commune",
    "date",
    "part",
    "travel_min",
)


def _minutes(result: Result, student_id: str, item_id: str) -> float:
    return result.travel_minutes.get((student_id, item_id), float("nan"))


def host_roster(result: Result) -> pd.DataFrame:
    """One row per student placed with each host: the list a host receives.

    Sorted by host, then start date, offer and student, so a host's rows are together and in
    the order its students arrive. ``wish_rank`` is blank for a placement matching no wish.
    """
    ctx = context(result)
    rows = []
    for offer_id, takers in ctx.offer_takers.items():
        offer = ctx.offers[offer_id]
        start, end = ctx.offer_dates(offer_id)
        for student_id in takers:
            student = ctx.students[student_id]
            rank = result.wish_rank.get((student_id, offer_id), 0)
            rows.append(
                {
                    "host_id": offer.host_id,
                    "host_name": offer.host_name,
                    "offer_id": offer_id,
                    "sector": offer.sector,
                    "commune": ctx.offer_commune[offer_id],
                    "start": start,
                    "end": end,
                    "student_id": student_id,
                    "school_id": student.school_id,
                    "school_name": ctx.schools[student.school_id].name,
                    "travel_min": _minutes(result, student_id, offer_id),
                    "wish_rank": rank if rank else pd.NA,
                }
            )
    frame = pd.DataFrame(rows, columns=HOST_ROSTER_COLUMNS)
    if frame.empty:
        return frame
    frame["wish_rank"] = frame["wish_rank"].astype("Int64")
    keys = ["host_name", "host_id", "start", "offer_id", "student_id"]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def session_roster(result: Result) -> pd.DataFrame:
    """One row per attendee of each workshop session: the list an association receives.

    Sorted by date, time of day, session and student. Sessions nobody attends have no rows here;
    they show in the session capacity table with 0 attendees.
    """
    ctx = context(result)
    rows = []
    for slot_id, takers in ctx.slot_takers.items():
        slot = ctx.slots[slot_id]
        for student_id in takers:
            student = ctx.students[student_id]
            rows.append(
                {
                    **ctx.session(slot_id),
                    "student_id": student_id,
                    "school_id": student.school_id,
                    "school_name": ctx.schools[student.school_id].name,
                    "travel_min": _minutes(result, student_id, slot_id),
                    "_order": PART_ORDER[slot.part],
                }
            )
    if not rows:
        return pd.DataFrame(columns=SESSION_ROSTER_COLUMNS)
    frame = pd.DataFrame(rows).sort_values(
        ["date", "_order", "slot_id", "student_id"], kind="stable"
    )
    return frame[SESSION_ROSTER_COLUMNS].reset_index(drop=True)


def school_programmes(result: Result) -> pd.DataFrame:
    """Every student's programme, school by school, in date order.

    Each placement and workshop session is a row (``kind`` ``placement`` or ``workshop``); a
    student with no placement also gets a row of kind ``unplaced`` whose note gives the
    reason, so a school sees at a glance who still needs a host. A student with no item at all
    has only that row.
    """
    ctx = context(result)
    rows: list[dict[str, Any]] = []
    for student_id, student in ctx.students.items():
        school = ctx.schools[student.school_id]
        base = {
            "school_id": school.school_id,
            "school_name": school.name,
            "student_id": student_id,
        }
        items: list[tuple[Any, int, dict[str, Any]]] = []
        for offer_id in ctx.placements[student_id]:
            offer = ctx.offers[offer_id]
            start, end = ctx.offer_dates(offer_id)
            items.append(
                (
                    start,
                    -1,
                    {
                        "kind": _("placement"),
                        "start": start,
                        "end": end,
                        "part": "",
                        "item_id": offer_id,
                        "what": offer.host_name or offer.host_id,
                        "where": ctx.offer_commune[offer_id],
                        "travel_min": _minutes(result, student_id, offer_id),
                        "note": _("sector: {sector}").format(sector=offer.sector),
                    },
                )
            )
        for slot_id in ctx.workshops[student_id]:
            slot = ctx.slots[slot_id]
            items.append(
                (
                    slot.date,
                    PART_ORDER[slot.part],
                    {
                        "kind": _("workshop"),
                        "start": slot.date,
                        "end": slot.date,
                        "part": PART_WORDS[slot.part],
                        "item_id": slot_id,
                        "what": slot.title or slot.workshop_id,
                        "where": _venue_and_commune(slot.venue, ctx.slot_commune[slot_id]),
                        "travel_min": _minutes(result, student_id, slot_id),
                        "note": slot.association,
                    },
                )
            )
        unplaced = ctx.unplaced.get(student_id)
        if unplaced is not None:
            rows.append(
                {
                    **base,
                    "kind": _("unplaced"),
                    "start": None,
                    "end": None,
                    "part": "",
                    "item_id": "",
                    "what": _("no placement"),
                    "where": "",
                    "travel_min": float("nan"),
                    "note": REASON_WORDS.get(unplaced.reason, unplaced.reason),
                }
            )
        for _when, _order, item in sorted(items, key=lambda t: (t[0], t[1])):
            rows.append({**base, **item})
    frame = pd.DataFrame(rows, columns=SCHOOL_PROGRAMME_COLUMNS)
    order = {school_id: k for k, school_id in enumerate(ctx.schools)}
    frame["_school"] = frame["school_id"].map(order)
    frame = frame.sort_values(["_school", "student_id"], kind="stable")
    return frame[SCHOOL_PROGRAMME_COLUMNS].reset_index(drop=True)


def _venue_and_commune(venue: str, commune: str) -> str:
    if not commune or commune.lower() in venue.lower():
        return venue or commune
    return f"{venue}, {commune}" if venue else commune


def _day(value: Any) -> str:
    return value.strftime("%d/%m/%Y")


def letters(result: Result) -> pd.DataFrame:
    """One row per student with everything a placement letter or *convention* needs.

    The table is wide on purpose: a mail merge (Word, LibreOffice) fills one letter per row
    from named columns, so the k-th placement's fields are ``placement_k_host_name``,
    ``placement_k_start``… and the k-th session's ``workshop_k_title``, ``workshop_k_date``…,
    with as many k as the busiest student needs (at least one placement). Students keep the
    input order. ``programme`` is the whole programme as one sentence, for letters that simply
    print it; ``unplaced_reason`` is filled for students without a placement.
    """
    ctx = context(result)
    n_placements = max([1, *(len(v) for v in ctx.placements.values())])
    n_workshops = max([0, *(len(v) for v in ctx.workshops.values())])
    n_half = ctx.instance.n_half_days
    rows = []
    for student_id, student in ctx.students.items():
        school = ctx.schools[student.school_id]
        row: dict[str, Any] = {
            "student_id": student_id,
            "school_id": school.school_id,
            "school_name": school.name,
            "school_commune": ctx.school_commune.get(school.school_id, ""),
            "has_placement": bool(ctx.placements[student_id]),
            "placements": len(ctx.placements[student_id]),
        }
        sentences = []
        for k in range(n_placements):
            fields = dict.fromkeys(PLACEMENT_FIELDS)
            fields["travel_min"] = float("nan")
            if k < len(ctx.placements[student_id]):
                offer_id = ctx.placements[student_id][k]
                offer = ctx.offers[offer_id]
                start, end = ctx.offer_dates(offer_id)
                fields.update(
                    offer_id=offer_id,
                    host_id=offer.host_id,
                    host_name=offer.host_name,
                    sector=offer.sector,
                    commune=ctx.offer_commune[offer_id],
                    start=start,
                    end=end,
                    travel_min=_minutes(result, student_id, offer_id),
                )
                town = fields["commune"]
                named = offer.host_name or offer.host_id
                where = f" ({town})" if town and town.lower() not in named.lower() else ""
                sentences.append(
                    _("placement at {host}{where} from {start} to {end}").format(
                        host=named, where=where, start=_day(start), end=_day(end)
                    )
                )
            row.update({f"placement_{k + 1}_{name}": v for name, v in fields.items()})
        for k in range(n_workshops):
            fields = dict.fromkeys(WORKSHOP_FIELDS)
            fields["travel_min"] = float("nan")
            if k < len(ctx.workshops[student_id]):
                slot_id = ctx.workshops[student_id][k]
                slot = ctx.slots[slot_id]
                fields.update(
                    slot_id=slot_id,
                    title=slot.title,
                    association=slot.association,
                    venue=slot.venue,
                    commune=ctx.slot_commune[slot_id],
                    date=slot.date,
                    part=PART_WORDS[slot.part],
                    travel_min=_minutes(result, student_id, slot_id),
                )
                sentences.append(
                    _("workshop '{title}' on {date} ({part}) at {place}").format(
                        title=slot.title or slot.workshop_id,
                        date=_day(slot.date),
                        part=PART_WORDS[slot.part],
                        place=_venue_and_commune(slot.venue, ctx.slot_commune[slot_id]),
                    )
                )
            row.update({f"workshop_{k + 1}_{name}": v for name, v in fields.items()})
        unplaced = ctx.unplaced.get(student_id)
        row["half_days_covered"] = ctx.covered[student_id]
        row["programme_completeness"] = ctx.covered[student_id] / n_half if n_half else 0.0
        row["unplaced_reason"] = (
            REASON_WORDS.get(unplaced.reason, unplaced.reason) if unplaced else ""
        )
        row["programme"] = (
            "; ".join(sentences)[:1].upper() + "; ".join(sentences)[1:] + "."
            if sentences
            else _("No placement yet.")
        )
        rows.append(row)
    columns = [
        "student_id",
        "school_id",
        "school_name",
        "school_commune",
        "has_placement",
        "placements",
        *(f"placement_{k + 1}_{f}" for k in range(n_placements) for f in PLACEMENT_FIELDS),
        *(f"workshop_{k + 1}_{f}" for k in range(n_workshops) for f in WORKSHOP_FIELDS),
        "half_days_covered",
        "programme_completeness",
        "unplaced_reason",
        "programme",
    ]
    return pd.DataFrame(rows, columns=columns)


def unplaced_students(result: Result) -> pd.DataFrame:
    """The unplaced with their school, QPV status, reason code, plain reason and detail.

    QPV students come first: they are the ones the coordinator must find a host for first.
    """
    ctx = context(result)
    rows = [
        {
            "student_id": u.student_id,
            "qpv": u.qpv,
            "school_id": ctx.students[u.student_id].school_id,
            "school_name": ctx.school_name(u.student_id),
            "reason": u.reason,
            "reason_text": REASON_WORDS.get(u.reason, u.reason),
            "detail": translate(u.detail),
        }
        for u in result.unplaced
    ]
    columns = ["student_id", "qpv", "school_id", "school_name", "reason", "reason_text", "detail"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    frame["_qpv"] = ~frame["qpv"].astype(bool)
    return frame.sort_values("_qpv", kind="stable")[columns].reset_index(drop=True)


def roster_tables(result: Result) -> dict[str, pd.DataFrame]:
    """Every roster and letters table by name, in the order the workbook shows them."""
    return {
        "letters": letters(result),
        "host_roster": host_roster(result),
        "session_roster": session_roster(result),
        "school_programmes": school_programmes(result),
        "unplaced": unplaced_students(result),
    }
