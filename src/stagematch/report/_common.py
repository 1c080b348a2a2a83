"""What every report table and plot needs from a :class:`~stagematch.result.Result`, computed once.

A report is many views of the same facts (who is placed where, which half-days each student's
programme covers, how full each item is). :func:`context` derives those facts once per result and
caches them, so building the fifteen tables and six plots of a report costs about as much as
building one. Display conventions shared by the Excel and HTML writers (column labels, number
formats, how a half-day part reads) live here too, so both outputs say the same thing the same way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .. import i18n
from ..geo import chord_to_km, communes, to_unit_vectors
from ..i18n import N_, Words, _
from ..model import Instance, Offer, School, Student, WorkshopSlot
from ..result import Result, Unplaced

PART_WORDS = Words({"AM": N_("morning"), "PM": N_("afternoon"), "DAY": N_("full day")})
"""How a session's part reads in a report meant for people (the CSV keeps the SPEC's codes)."""

PART_ORDER = {"AM": 0, "DAY": 1, "PM": 2}

REASON_WORDS = Words(
    {
        "no_reachable_offer": N_("No offer within the student's travel limit"),
        "no_eligible_offer": N_("Offers within reach, but none the student is eligible for"),
        "capacity": N_("Eligible offers within reach, but their seats went to other students"),
    }
)
"""A plain sentence for each SPEC reason, for readers who do not know the codes."""

NEAREST_COMMUNE_MAX_KM = 10.0
"""A point farther than this from every commune centre gets no commune name (blank)."""

QPV_COLOUR = "#e66100"
OTHER_COLOUR = "#5d3a9b"
NEUTRAL_COLOUR = "#7f7f7f"


@dataclass(frozen=True)
class Context:
    """The facts of one result that reports share, keyed by the dataset's own ids.

    Attributes
    ----------
    students, schools, offers, slots
        Rows by id (students and schools keep input order).
    placements, workshops
        Student id → offer ids / slot ids (every student present, possibly empty), in date order.
    covered
        Student id → number of distinct half-days their programme covers.
    distinct_workshops
        Student id → number of distinct workshops (``workshop_id``) attended.
    offer_takers, slot_takers
        Item id → student ids assigned to it.
    unplaced
        Student id → its :class:`~stagematch.result.Unplaced` record.
    school_point, offer_point, slot_point
        Id → resolved (lat, lon).
    offer_commune, slot_commune, school_commune
        Id → commune name: the given commune, else the nearest commune centre (blank if none is
        within :data:`NEAREST_COMMUNE_MAX_KM`).
    """

    instance: Instance
    students: dict[str, Student]
    schools: dict[str, School]
    offers: dict[str, Offer]
    slots: dict[str, WorkshopSlot]
    placements: dict[str, tuple[str, ...]]
    workshops: dict[str, tuple[str, ...]]
    covered: dict[str, int]
    distinct_workshops: dict[str, int]
    offer_takers: dict[str, tuple[str, ...]]
    slot_takers: dict[str, tuple[str, ...]]
    unplaced: dict[str, Unplaced]
    school_point: dict[str, tuple[float, float]]
    offer_point: dict[str, tuple[float, float]]
    slot_point: dict[str, tuple[float, float]]
    offer_commune: dict[str, str]
    slot_commune: dict[str, str]
    school_commune: dict[str, str]

    def offer_dates(self, offer_id: str) -> tuple[date, date]:
        """First and last day of an offer (the whole period when the offer gives none)."""
        offer = self.offers[offer_id]
        settings = self.instance.settings
        return offer.start or settings.period_start, offer.end or settings.period_end

    def school_name(self, student_id: str) -> str:
        return self.schools[self.students[student_id].school_id].name

    def session(self, slot_id: str) -> dict[str, Any]:
        """What every table about a workshop session shows of it: when, what, who, where."""
        slot = self.slots[slot_id]
        return {
            "date": slot.date,
            "part": PART_WORDS[slot.part],
            "slot_id": slot_id,
            "workshop_id": slot.workshop_id,
            "title": slot.title,
            "association": slot.association,
            "venue": slot.venue,
            "commune": self.slot_commune[slot_id],
        }


@lru_cache(maxsize=4)
def context(result: Result) -> Context:
    """The shared facts of ``result`` (cached: results are immutable and hashed by identity)."""
    instance = result.instance
    students = {s.student_id: s for s in instance.students}
    schools = {s.school_id: s for s in instance.schools}
    offers = {o.offer_id: o for o in instance.offers}
    slots = {s.slot_id: s for s in instance.workshop_slots}
    period_start = instance.settings.period_start

    def offer_key(offer_id: str) -> tuple[date, str]:
        return offers[offer_id].start or period_start, offer_id

    def slot_key(slot_id: str) -> tuple[date, int, str]:
        slot = slots[slot_id]
        return slot.date, PART_ORDER[slot.part], slot_id

    placements = {
        sid: tuple(sorted(result.plan.placements.get(sid, ()), key=offer_key)) for sid in students
    }
    workshops = {
        sid: tuple(sorted(result.plan.workshops.get(sid, ()), key=slot_key)) for sid in students
    }
    offer_span = {oid: instance.half_days_of_offer(o) for oid, o in offers.items()}
    slot_span = {wid: instance.half_days_of_slot(w) for wid, w in slots.items()}
    covered: dict[str, int] = {}
    distinct: dict[str, int] = {}
    for sid in students:
        halves: set[int] = set()
        for oid in placements[sid]:
            lo, hi = offer_span[oid]
            halves.update(range(lo, hi + 1))
        for wid in workshops[sid]:
            lo, hi = slot_span[wid]
            halves.update(range(lo, hi + 1))
        covered[sid] = len(halves)
        distinct[sid] = len({slots[w].workshop_id for w in workshops[sid]})
    offer_takers: dict[str, list[str]] = defaultdict(list)
    slot_takers: dict[str, list[str]] = defaultdict(list)
    for a in result.plan.assignments:
        (offer_takers if a.kind == "placement" else slot_takers)[a.item_id].append(a.student_id)

    arrays = instance.arrays
    school_point = _points(arrays.school_ids, arrays.school_lat, arrays.school_lon)
    offer_point = _points(arrays.offers.ids, arrays.offers.lat, arrays.offers.lon)
    slot_point = _points(arrays.slots.ids, arrays.slots.lat, arrays.slots.lon)
    return Context(
        instance=instance,
        students=students,
        schools=schools,
        offers=offers,
        slots=slots,
        placements=placements,
        workshops=workshops,
        covered=covered,
        distinct_workshops=distinct,
        offer_takers={oid: tuple(offer_takers.get(oid, ())) for oid in offers},
        slot_takers={wid: tuple(slot_takers.get(wid, ())) for wid in slots},
        unplaced={u.student_id: u for u in result.unplaced},
        school_point=school_point,
        offer_point=offer_point,
        slot_point=slot_point,
        offer_commune=_commune_names(
            [o.commune for o in offers.values()], list(offers), offer_point
        ),
        slot_commune=_commune_names([w.commune for w in slots.values()], list(slots), slot_point),
        school_commune=_commune_names(
            [s.commune for s in schools.values()], list(schools), school_point
        ),
    )


def _points(
    ids: list[str], lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> dict[str, tuple[float, float]]:
    """Id → (lat, lon), from the instance's resolved points (commune points included)."""
    return {key: (float(la), float(lo)) for key, la, lo in zip(ids, lat, lon, strict=True)}


def _commune_names(
    given: list[str | None], ids: list[str], points: dict[str, tuple[float, float]]
) -> dict[str, str]:
    """The given commune's name, else the commune whose centre is nearest (blank when far)."""
    table = communes()
    out: dict[str, str] = {}
    need = [k for k, code in zip(ids, given, strict=True) if code is None]
    for key, code in zip(ids, given, strict=True):
        if code is not None:
            out[key] = table.name(code)
    if need:
        lat = np.array([points[k][0] for k in need])
        lon = np.array([points[k][1] for k in need])
        for key, name in zip(need, nearest_commune_names(lat, lon), strict=True):
            out[key] = name
    return out


@cache
def _commune_tree() -> tuple[Any, list[str], npt.NDArray[np.float64]]:
    from scipy.spatial import cKDTree

    table = communes().table
    known = table[np.isfinite(table["lat"]) & np.isfinite(table["lon"])]
    xyz = to_unit_vectors(known["lat"].to_numpy(float), known["lon"].to_numpy(float))
    area = pd.to_numeric(known["superficie_km2"], errors="coerce").to_numpy(float)
    radius = np.sqrt(np.where(np.isfinite(area) & (area > 0), area, 1.0) / np.pi)
    return cKDTree(xyz), [str(n) for n in known["nom"]], np.maximum(radius, 0.3)


def nearest_commune_names(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> list[str]:
    """The commune each point most likely lies in ('' when no commune centre is near).

    Points given by latitude and longitude carry no address, yet a placement letter needs a
    town. The shipped table has each commune's centre and area but no boundary, so among the
    eight nearest centres the one nearest *relative to its size* (distance / radius of a disc of
    the commune's area) is taken: a point 2 km from the centre of a large town is in that town
    rather than in the small neighbouring commune whose centre is 1.5 km away. Near a boundary
    this can still name the neighbour, which is why the host's own address belongs in letters
    whenever the coordinator has it. A point more than :data:`NEAREST_COMMUNE_MAX_KM` from every
    centre (at sea, abroad) gets a blank rather than a wrong name.
    """
    if len(lat) == 0:
        return []
    tree, names, radius = _commune_tree()
    ok = np.isfinite(lat) & np.isfinite(lon)
    out = [""] * len(lat)
    if ok.any():
        k = min(8, len(names))
        chord, index = tree.query(to_unit_vectors(lat[ok], lon[ok]), k=k)
        chord = np.asarray(chord).reshape(-1, k)
        index = np.asarray(index).reshape(-1, k)
        km = chord_to_km(chord)
        best = np.argmin(km / radius[index], axis=1)
        rows = np.arange(len(best))
        for point, i, near in zip(np.flatnonzero(ok), index[rows, best], km[:, 0], strict=True):
            if near <= NEAREST_COMMUNE_MAX_KM:
                out[int(point)] = names[int(i)]
    return out


# --------------------------------------------------------------------------------------------
# Display conventions shared by the workbook and the page

LABELS = Words(
    {
        "group": N_("Group"),
        "students": N_("Students"),
        "qpv_students": N_("QPV students"),
        "placed": N_("Students placed"),
        "placed_rate": N_("Placed (%)"),
        "qpv_placed": N_("QPV students placed"),
        "qpv_placed_rate": N_("QPV placed (%)"),
        "unplaced": N_("Students unplaced"),
        "placements": N_("Placements"),
        "has_placement": N_("Has a placement"),
        "programme_completeness": N_("Programme completeness (%)"),
        "full_programme": N_("Students with a full programme"),
        "full_programme_rate": N_("Full programme (%)"),
        "workshops_target": N_("Workshops required per student"),
        "workshops_attended_mean": N_("Workshops attended (mean)"),
        "workshop_sessions": N_("Workshop sessions attended"),
        "workshop_target_met": N_("Students meeting the workshop target"),
        "workshop_target_met_rate": N_("Workshop target met (%)"),
        "first_choice": N_("Placements on first wish"),
        "first_choice_rate": N_("First wish (%)"),
        "top_3": N_("Placements in top 3 wishes"),
        "top_3_rate": N_("Top 3 wishes (%)"),
        "unranked": N_("Placements matching no wish"),
        "unranked_rate": N_("Matching no wish (%)"),
        "travel_median_min": N_("Placement travel, median (min)"),
        "travel_p90_min": N_("Placement travel, 90th percentile (min)"),
        "travel_max_min": N_("Placement travel, max (min)"),
        "workshop_travel_median_min": N_("Workshop travel, median (min)"),
        "workshop_travel_p90_min": N_("Workshop travel, 90th percentile (min)"),
        "workshop_travel_max_min": N_("Workshop travel, max (min)"),
        "school_id": N_("School id (UAI)"),
        "school_name": N_("School"),
        "school_commune": N_("School commune"),
        "host_id": N_("Host id"),
        "host_name": N_("Host"),
        "offer_id": N_("Offer id"),
        "offers": N_("Offers"),
        "sector": N_("Sector"),
        "commune": N_("Commune"),
        "start": N_("Start"),
        "end": N_("End"),
        "date": N_("Date"),
        "part": N_("Time of day"),
        "seats": N_("Seats"),
        "capacity": N_("Seats"),
        "qpv_reserved": N_("Seats reserved for QPV"),
        "taken": N_("Seats taken"),
        "taken_by_qpv": N_("Taken by QPV students"),
        "free": N_("Seats free"),
        "use_rate": N_("Seats used (%)"),
        "slot_id": N_("Session id"),
        "workshop_id": N_("Workshop id"),
        "title": N_("Workshop"),
        "association": N_("Association"),
        "venue": N_("Venue"),
        "attendees": N_("Attendees"),
        "qpv_attendees": N_("QPV attendees"),
        "student_id": N_("Student id"),
        "qpv": N_("QPV"),
        "travel_min": N_("Travel (min, one way)"),
        "wish_rank": N_("Wish rank"),
        "kind": N_("Kind"),
        "item_id": N_("Item id"),
        "what": N_("What"),
        "where": N_("Where"),
        "note": N_("Note"),
        "reason": N_("Reason"),
        "reason_text": N_("Meaning"),
        "detail": N_("Detail"),
        "items": N_("Items"),
        "items_with_reserved": N_("Items with reserved seats"),
        "reserved_seats": N_("Reserved seats offered"),
        "reserved_taken": N_("Reserved seats taken by QPV students"),
        "reserved_unused": N_("Reserved seats left empty"),
        "reserved_taken_rate": N_("Reserved seats taken (%)"),
        "qpv_seats_taken": N_("All seats taken by QPV students"),
        "non_qpv": N_("Non-QPV students"),
        "half_days_covered": N_("Half-days covered"),
        "period_half_days": N_("Half-days in the period"),
        "programme": N_("Programme"),
        "unplaced_reason": N_("Reason if unplaced"),
        "indicator": N_("Indicator"),
        "value": N_("Value"),
        "table": N_("Table"),
        "row": N_("Row"),
        "column": N_("Column"),
        "message": N_("Message"),
        # summary.json's counts and KPIs (compare.html)
        "workshop_slots": N_("Workshop sessions offered"),
        "mean_coverage_rate": N_("Half-days covered, mean (%)"),
        "first_wish_rate": N_("Placed on their first wish (%)"),
        "unplaced_no_reachable_offer": N_("Unplaced: no offer within reach"),
        "unplaced_no_eligible_offer": N_("Unplaced: no eligible offer within reach"),
        "unplaced_capacity": N_("Unplaced: seats taken by other students"),
        # transport (summary.json's transport object, transport.csv, cost tables)
        "coaches": N_("Coaches"),
        "coach_groups": N_("Coach groups (session, school)"),
        "coach_cost": N_("Coach cost (€)"),
        "transit_cost": N_("Public transport cost (€)"),
        "total_cost": N_("Transport cost (€)"),
        "cost_per_placed_student": N_("Transport cost per student placed (€)"),
        "cost_per_placed_qpv_student": N_("Transport cost per QPV student placed (€)"),
        "cost": N_("Cost (€)"),
        "round_trip_km": N_("Round trip (km)"),
        # where to recruit (gaps.csv)
        "rank": N_("Rank"),
        "commune_name": N_("Commune name"),
        "week": N_("Week"),
        "students_in_reach": N_("Students within reach"),
        "placed_total": N_("Students placed, all seats above"),
        "qpv_placed_total": N_("QPV students placed, all seats above"),
        # fairness (stagematch.fairness)
        "any_wish_rate": N_("Placed on one of their wishes (%)"),
        "wish_cost_mean": N_("Wish cost of the placement (mean)"),
        "travel_mean_min": N_("Placement travel, mean (min)"),
        "envious_students": N_("Students with justified envy"),
        "envious_rate": N_("Justified envy (%)"),
        "blocking_students": N_("Students in a blocking pair"),
        "justified_envy_pairs": N_("Justified-envy pairs"),
        "wasted_seat_pairs": N_("Wasted-seat pairs"),
        "wasted_seats": N_("Wasted seats"),
        "blocking_offers": N_("Blocking offers"),
        "justified_envy_offers": N_("Offers with justified envy"),
        "wasted_seat_offers": N_("Offers with a wasted seat"),
        "preferred_offer_id": N_("Preferred blocking offer"),
        "preferred_wish_rank": N_("Its wish rank"),
        "wanted_by": N_("Wanted by (students)"),
    }
)


def label(column: str) -> str:
    """The heading a person reads for a table column (``placement_1_host_name`` → readable).

    A column without an entry in :data:`LABELS` reads as its name in words, in English: the
    tests look for such headings in the French documents, so give every new column a label."""
    if column in LABELS:
        return LABELS[column]
    for prefix in ("placement_", "workshop_"):
        if column.startswith(prefix):
            rest = column[len(prefix) :]
            number, _sep, field = rest.partition("_")
            if number.isdigit():
                base = LABELS.get(field, field.replace("_", " "))
                if field == "title":
                    base = _("workshop")
                kind = _("Placement") if prefix == "placement_" else _("Workshop")
                return _("{kind} {number}: {field}").format(
                    kind=kind, number=number, field=base[0].lower() + base[1:]
                )
    return column.replace("_", " ").capitalize()


def readable_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its ``part`` column (``AM``, ``PM``, ``DAY``) in words, for people."""
    if "part" not in frame.columns:
        return frame
    return frame.assign(part=frame["part"].map(lambda part: PART_WORDS.get(part, part)))


def readable_indicators(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its ``indicator`` column of codes (``coach_cost``) as labels."""
    return frame.assign(indicator=frame["indicator"].map(label))


def is_rate(column: str) -> bool:
    """Rates are fractions in the tables and percentages on screen and paper."""
    return column.endswith("_rate") or column == "programme_completeness"


def format_number(value: Any, rate: bool = False) -> str:
    """A cell as the HTML page shows it (blank for missing, ``95.2 %`` for rates)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    french = i18n.current() == "fr"
    if rate and isinstance(value, int | float | np.integer | np.floating):
        return i18n.format_percent(float(value)) if french else f"{100 * float(value):.1f} %"
    if isinstance(value, float | np.floating):
        number = float(value)
        if french:
            return i18n.format_number(round(number, 2))
        return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}".rstrip("0")
    if isinstance(value, int | np.integer):
        return i18n.format_number(int(value)) if french else f"{int(value):,}"
    return str(value)
