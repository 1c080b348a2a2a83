"""Key performance indicators of a plan, as pandas DataFrames.

The coordinator's questions the morning after a solve are few and always the same: how many
students are placed (and how many of the QPV students the programme exists for), whether their
programmes fill the period, whether they got the workshops and the sectors they asked for, how far
they travel, how full each host and session is, whether seats held for QPV students were used,
and why the others have nothing. Each function answers one of them for any
:class:`~stagematch.result.Result` — solved, read back from a folder, or evaluated from a
hand-made plan — so the same numbers appear in Python, in ``report.xlsx`` and in ``report.html``.

Rates are fractions in ``[0, 1]`` (columns ending in ``_rate``, and ``programme_completeness``);
they are NaN when their denominator is zero (e.g. the first-wish rate of a group without
placements), never a misleading 0. Travel percentiles use linear interpolation (numpy's default).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..i18n import N_, _
from ..result import REASONS, Result
from ._common import PART_ORDER, REASON_WORDS, Context, context

GROUPS: tuple[str, ...] = (N_("All students"), N_("QPV"), N_("Non-QPV"))
"""The groups of :func:`kpis_by_group`, in English: the table holds them in the language in force
(``_(group)``)."""

METRIC_COLUMNS: tuple[str, ...] = (
    "students",
    "placed",
    "placed_rate",
    "unplaced",
    "placements",
    "programme_completeness",
    "full_programme",
    "full_programme_rate",
    "workshops_target",
    "workshops_attended_mean",
    "workshop_sessions",
    "workshop_target_met",
    "workshop_target_met_rate",
    "first_choice",
    "first_choice_rate",
    "top_3",
    "top_3_rate",
    "unranked",
    "unranked_rate",
    "travel_median_min",
    "travel_p90_min",
    "travel_max_min",
    "workshop_travel_median_min",
    "workshop_travel_p90_min",
    "workshop_travel_max_min",
)
"""The indicators computed for every group of students (see :func:`student_metrics`)."""


def _rate(numerator: float, denominator: float) -> float:
    return float(numerator) / denominator if denominator else float("nan")


def _stats(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return float("nan"), float("nan"), float("nan")
    array = np.asarray(values, dtype=float)
    return (
        float(np.median(array)),
        float(np.percentile(array, 90)),
        float(array.max()),
    )


def student_metrics(result: Result, student_ids: Iterable[str]) -> dict[str, Any]:
    """Every indicator of :data:`METRIC_COLUMNS` for one group of students.

    Parameters
    ----------
    result
        Any result (solved, read back or evaluated).
    student_ids
        The group; indicators about placements (wishes, travel) count the placements of these
        students, indicators about students count the students.

    Notes
    -----
    * *Programme completeness* is the share of the group's possible half-days that their
      programmes cover: Σ covered half-days / (students × half-days in the period). A student
      with two one-week placements, or one week plus workshop days, can reach 100 %.
    * *Workshop target met* counts students attending at least ``workshops_per_student``
      distinct workshops (everyone meets a target of 0).
    * Wish indicators are per placement: *first choice* is rank 1, *top 3* ranks 1–3,
      *unranked* a placement that matches none of the student's wishes.
    """
    ctx = context(result)
    ids = list(student_ids)
    n = len(ids)
    settings = ctx.instance.settings
    target = settings.workshops_per_student
    pairs = [(s, o) for s in ids for o in ctx.placements[s]]
    ranks = np.array([result.wish_rank.get(pair, 0) for pair in pairs], dtype=int)
    travel = [result.travel_minutes[p] for p in pairs if p in result.travel_minutes]
    sessions = [(s, w) for s in ids for w in ctx.workshops[s]]
    workshop_travel = [result.travel_minutes[p] for p in sessions if p in result.travel_minutes]
    placed = sum(1 for s in ids if ctx.placements[s])
    full = sum(1 for s in ids if ctx.covered[s] >= ctx.instance.n_half_days)
    met = sum(1 for s in ids if ctx.distinct_workshops[s] >= target)
    first = int(np.sum(ranks == 1))
    top3 = int(np.sum((ranks >= 1) & (ranks <= 3)))
    unranked = int(np.sum(ranks == 0))
    median, p90, worst = _stats(travel)
    w_median, w_p90, w_worst = _stats(workshop_travel)
    return {
        "students": n,
        "placed": placed,
        "placed_rate": _rate(placed, n),
        "unplaced": n - placed,
        "placements": len(pairs),
        "programme_completeness": _rate(
            sum(ctx.covered[s] for s in ids), n * ctx.instance.n_half_days
        ),
        "full_programme": full,
        "full_programme_rate": _rate(full, n),
        "workshops_target": target,
        "workshops_attended_mean": _rate(sum(ctx.distinct_workshops[s] for s in ids), n),
        "workshop_sessions": len(sessions),
        "workshop_target_met": met,
        "workshop_target_met_rate": _rate(met, n),
        "first_choice": first,
        "first_choice_rate": _rate(first, len(pairs)),
        "top_3": top3,
        "top_3_rate": _rate(top3, len(pairs)),
        "unranked": unranked,
        "unranked_rate": _rate(unranked, len(pairs)),
        "travel_median_min": median,
        "travel_p90_min": p90,
        "travel_max_min": worst,
        "workshop_travel_median_min": w_median,
        "workshop_travel_p90_min": w_p90,
        "workshop_travel_max_min": w_worst,
    }


def kpis_by_group(result: Result) -> pd.DataFrame:
    """Indicators for all students, QPV students and the others: one row per group.

    The QPV/non-QPV split is the programme's reason to exist: a plan that places many students
    but few QPV ones has failed, whatever its total.
    """
    students = context(result).students
    groups = {
        _("All students"): list(students),
        _("QPV"): [s for s, row in students.items() if row.qpv],
        _("Non-QPV"): [s for s, row in students.items() if not row.qpv],
    }
    rows = [{"group": name, **student_metrics(result, ids)} for name, ids in groups.items()]
    return pd.DataFrame(rows, columns=["group", *METRIC_COLUMNS])


def kpis_by_school(result: Result) -> pd.DataFrame:
    """The group indicators per school, with the school's QPV students placed.

    Schools are where students are followed up: each one needs its own placement rate to see
    which of its students still need a host.
    """
    ctx = context(result)
    members: dict[str, list[str]] = {school: [] for school in ctx.schools}
    for sid, student in ctx.students.items():
        members[student.school_id].append(sid)
    rows = []
    for school_id, ids in members.items():
        school = ctx.schools[school_id]
        qpv = [s for s in ids if ctx.students[s].qpv]
        qpv_placed = sum(1 for s in qpv if ctx.placements[s])
        rows.append(
            {
                "school_id": school_id,
                "school_name": school.name,
                "school_commune": ctx.school_commune.get(school_id, ""),
                "qpv_students": len(qpv),
                "qpv_placed": qpv_placed,
                "qpv_placed_rate": _rate(qpv_placed, len(qpv)),
                **student_metrics(result, ids),
            }
        )
    columns = [
        "school_id",
        "school_name",
        "school_commune",
        "students",
        "placed",
        "placed_rate",
        "qpv_students",
        "qpv_placed",
        "qpv_placed_rate",
        *[c for c in METRIC_COLUMNS if c not in {"students", "placed", "placed_rate"}],
    ]
    return pd.DataFrame(rows, columns=columns)


def _taken(ctx: Context, takers: tuple[str, ...]) -> tuple[int, int]:
    qpv = sum(1 for s in takers if ctx.students[s].qpv)
    return len(takers), qpv


def capacity_by_offer(result: Result) -> pd.DataFrame:
    """Seats of each offer: offered, reserved for QPV students, taken (by QPV students), free."""
    ctx = context(result)
    rows = []
    for offer_id, offer in ctx.offers.items():
        start, end = ctx.offer_dates(offer_id)
        taken, qpv = _taken(ctx, ctx.offer_takers[offer_id])
        rows.append(
            {
                "offer_id": offer_id,
                "host_id": offer.host_id,
                "host_name": offer.host_name,
                "sector": offer.sector,
                "commune": ctx.offer_commune[offer_id],
                "start": start,
                "end": end,
                "capacity": offer.capacity,
                "qpv_reserved": offer.qpv_reserved,
                "taken": taken,
                "taken_by_qpv": qpv,
                "free": offer.capacity - taken,
                "use_rate": _rate(taken, offer.capacity),
            }
        )
    columns = [
        "offer_id",
        "host_id",
        "host_name",
        "sector",
        "commune",
        "start",
        "end",
        "capacity",
        "qpv_reserved",
        "taken",
        "taken_by_qpv",
        "free",
        "use_rate",
    ]
    return pd.DataFrame(rows, columns=columns)


def capacity_by_host(result: Result) -> pd.DataFrame:
    """Seats per host (all its offers together), the unit a coordinator calls back.

    A host with free seats is a host to thank and perhaps to ask about other dates; one whose
    seats were all taken may welcome more students next year.
    """
    offers = capacity_by_offer(result)
    columns = [
        "host_id",
        "host_name",
        "commune",
        "offers",
        "seats",
        "qpv_reserved",
        "taken",
        "taken_by_qpv",
        "free",
        "use_rate",
    ]
    if offers.empty:
        return pd.DataFrame(columns=columns)
    grouped = offers.groupby("host_id", sort=False).agg(
        host_name=("host_name", "first"),
        commune=("commune", "first"),
        offers=("offer_id", "count"),
        seats=("capacity", "sum"),
        qpv_reserved=("qpv_reserved", "sum"),
        taken=("taken", "sum"),
        taken_by_qpv=("taken_by_qpv", "sum"),
        free=("free", "sum"),
    )
    grouped["use_rate"] = grouped["taken"] / grouped["seats"]
    return grouped.reset_index()[columns]


def capacity_by_session(result: Result) -> pd.DataFrame:
    """Every workshop session: when, where, who runs it, seats and attendees, in date order."""
    ctx = context(result)
    rows = []
    for slot_id, slot in ctx.slots.items():
        taken, qpv = _taken(ctx, ctx.slot_takers[slot_id])
        rows.append(
            {
                **ctx.session(slot_id),
                "capacity": slot.capacity,
                "qpv_reserved": slot.qpv_reserved,
                "attendees": taken,
                "qpv_attendees": qpv,
                "free": slot.capacity - taken,
                "use_rate": _rate(taken, slot.capacity),
                "_order": PART_ORDER[slot.part],
            }
        )
    columns = [
        "date",
        "part",
        "slot_id",
        "workshop_id",
        "title",
        "association",
        "venue",
        "commune",
        "capacity",
        "qpv_reserved",
        "attendees",
        "qpv_attendees",
        "free",
        "use_rate",
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows).sort_values(["date", "_order", "slot_id"], kind="stable")
    return frame[columns].reset_index(drop=True)


def reserved_seats(result: Result) -> pd.DataFrame:
    """Seats reserved for QPV students, offered against taken, for placements and workshops.

    A reserved seat counts as taken when a QPV student sits on that item (up to the number
    reserved): reserved seats left empty are seats nobody else was allowed to use, which is
    the price of the reservation and worth knowing when negotiating next year's offers.
    """
    ctx = context(result)
    rows = []
    for kind, items, takers in (
        (_("Placements"), ctx.offers, ctx.offer_takers),
        (_("Workshop sessions"), ctx.slots, ctx.slot_takers),
    ):
        with_reserved = 0
        reserved = taken = qpv_all = 0
        for item_id, item in items.items():
            _all, qpv = _taken(ctx, takers[item_id])
            qpv_all += qpv
            if item.qpv_reserved:
                with_reserved += 1
                reserved += item.qpv_reserved
                taken += min(qpv, item.qpv_reserved)
        rows.append(
            {
                "kind": kind,
                "items": len(items),
                "items_with_reserved": with_reserved,
                "reserved_seats": reserved,
                "reserved_taken": taken,
                "reserved_unused": reserved - taken,
                "reserved_taken_rate": _rate(taken, reserved),
                "qpv_seats_taken": qpv_all,
            }
        )
    return pd.DataFrame(rows)


def unplaced_by_reason(result: Result) -> pd.DataFrame:
    """How many students have no placement, per SPEC reason (every reason listed, even at 0)."""
    counts = {reason: [0, 0] for reason in REASONS}
    for u in result.unplaced:
        counts.setdefault(u.reason, [0, 0])[0 if u.qpv else 1] += 1
    rows = [
        {
            "reason": reason,
            "reason_text": REASON_WORDS.get(reason, reason),
            "students": qpv + other,
            "qpv_students": qpv,
            "non_qpv": other,
        }
        for reason, (qpv, other) in counts.items()
    ]
    return pd.DataFrame(rows)


def summary_table(result: Result, *, generated: date | None = None) -> pd.DataFrame:
    """The headline numbers, one per row (``key``, ``indicator``, ``value``): the first page.

    ``key`` is a stable identifier for scripts; ``indicator`` is what a reader sees. The table
    ends with each optimisation level's value and proven bound, so a reader can tell a plan
    proven best from one cut short by the time limit.
    """
    from .._version import __version__
    from ..result import input_hash

    ctx = context(result)
    instance = ctx.instance
    settings = instance.settings
    overall = {row["group"]: row for row in kpis_by_group(result).to_dict("records")}
    everyone, qpv, others = (overall[_(g)] for g in GROUPS)
    placements_reserved = reserved_seats(result).to_dict("records")[0]
    reasons = unplaced_by_reason(result).to_dict("records")
    status_text = {
        "optimal": _("optimal (proven best on every level)"),
        "feasible": _("feasible (valid; not proven best on every level)"),
    }.get(result.status, result.status)
    rows: list[tuple[str, str, Any]] = [
        ("status", _("Plan status"), status_text),
        ("period_start", _("Period start"), settings.period_start),
        ("period_end", _("Period end"), settings.period_end),
        ("period_half_days", _("Half-days in the period"), instance.n_half_days),
        ("students", _("Students"), int(everyone["students"])),
        ("qpv_students", _("QPV students"), int(qpv["students"])),
        ("schools", _("Schools"), len(instance.schools)),
        ("hosts", _("Hosts"), len({o.host_id for o in instance.offers})),
        ("offer_seats", _("Placement seats offered"), sum(o.capacity for o in instance.offers)),
        ("workshop_sessions_offered", _("Workshop sessions offered"), len(instance.workshop_slots)),
        ("placed", _("Students placed"), int(everyone["placed"])),
        ("placed_rate", _("Students placed (%)"), everyone["placed_rate"]),
        ("qpv_placed", _("QPV students placed"), int(qpv["placed"])),
        ("qpv_placed_rate", _("QPV students placed (%)"), qpv["placed_rate"]),
        ("non_qpv_placed_rate", _("Non-QPV students placed (%)"), others["placed_rate"]),
        ("placements", _("Placements"), int(everyone["placements"])),
        (
            "programme_completeness",
            # "{percent}", not "%": Babel would read "% o" as a Python format.
            _("Programme completeness ({percent} of half-days covered)").format(percent="%"),
            everyone["programme_completeness"],
        ),
        ("full_programme", _("Students with a full programme"), int(everyone["full_programme"])),
        ("workshops_target", _("Workshops required per student"), settings.workshops_per_student),
        (
            "workshop_target_met_rate",
            _("Students meeting the workshop target (%)"),
            everyone["workshop_target_met_rate"],
        ),
        ("workshop_sessions", _("Workshop sessions attended"), int(everyone["workshop_sessions"])),
        ("first_choice_rate", _("Placements on first wish (%)"), everyone["first_choice_rate"]),
        ("top_3_rate", _("Placements in top 3 wishes (%)"), everyone["top_3_rate"]),
        ("unranked_rate", _("Placements matching no wish (%)"), everyone["unranked_rate"]),
        ("travel_median_min", _("Placement travel, median (min)"), everyone["travel_median_min"]),
        (
            "travel_p90_min",
            _("Placement travel, 90th percentile (min)"),
            everyone["travel_p90_min"],
        ),
        ("travel_max_min", _("Placement travel, max (min)"), everyone["travel_max_min"]),
        (
            "reserved_seats",
            _("Placement seats reserved for QPV students"),
            int(placements_reserved["reserved_seats"]),
        ),
        (
            "reserved_taken",
            _("… of which taken by QPV students"),
            int(placements_reserved["reserved_taken"]),
        ),
        ("unplaced", _("Students unplaced"), int(everyone["unplaced"])),
    ]
    for reason in reasons:
        rows.append(
            (
                f"unplaced_{reason['reason']}",
                _("Unplaced: {reason}").format(reason=reason["reason_text"].lower()),
                int(reason["students"]),
            )
        )
    for name, level in result.levels.items():
        proven = _("proven") if level.proven else _("not proven")
        rows.append(
            (
                f"level_{name}",
                _("Objective level '{name}': value (best proven bound)").format(name=name),
                f"{level.value:g} ({level.bound:g}, {proven})",
            )
        )
    rows += [
        ("generated", _("Report generated"), generated or date.today()),
        ("seed", _("Solver seed"), result.seed),
        ("version", _("stagematch version"), __version__),
        ("input_hash", _("Input hash"), input_hash(instance)),
    ]
    return pd.DataFrame(rows, columns=["key", "indicator", "value"])


def kpi_tables(result: Result) -> dict[str, pd.DataFrame]:
    """Every KPI table by name, in the order the reports show them."""
    return {
        "summary": summary_table(result),
        "by_group": kpis_by_group(result),
        "by_school": kpis_by_school(result),
        "hosts": capacity_by_host(result),
        "offers": capacity_by_offer(result),
        "sessions": capacity_by_session(result),
        "reserved_seats": reserved_seats(result),
        "unplaced_by_reason": unplaced_by_reason(result),
    }
