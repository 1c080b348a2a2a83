"""Where to recruit hosts: added seats that would place the most unplaced students, QPV first.

A coordinator short of seats calls companies; this says whom to call. A *seat group* is a new
one-week offer in one commune (the host at the commune's centre, as a place given by its
``commune`` code is located), in one week of the period. Its gain — how many more students, and
QPV students, the best plan would place — is computed exactly from the placement flow
(:mod:`stagematch.solver.gaps`): the optima of ``qpv_placed`` and ``placed`` with the seats
minus those without. Seat groups are chosen one after the other, QPV students first: each is
the group with the largest gain *given the groups chosen before it* (two groups can court the
same students, so gains are not additive; the cumulative figures are exact for the whole list).

The sector is a suggestion, not a rule: a seat's sector decides no eligibility, so it does not
change who can be placed; the group gets the sector most wished by the unplaced students it
would reach, so that the placements also meet wishes.

Areas tried: the communes of the unplaced students' homes (or schools), the most frequent
first (at most ``max_areas``). Proposed offers come back as offer rows
(:meth:`Gaps.offers`); adding them to the dataset and solving again places exactly the
announced number of students more whenever ``qpv_placed`` and ``placed`` lead the objective
(the solver proves those two levels by the same flow).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .candidates import candidates
from .geo import communes, to_unit_vectors
from .i18n import _, ngettext
from .model import Instance, Offer
from .result import Result

if TYPE_CHECKING:
    from .solver.gaps import SeatGains

__all__ = ["GAP_COLUMNS", "REPORT_MAX_STUDENTS", "Gaps", "SeatGroup", "gaps", "report_gaps"]

REPORT_MAX_STUDENTS = 3000
"""Reports include the recruitment list up to this many students; beyond, its flows (two per
area, week and round) would cost more than the rest of the report: run ``stagematch gaps``."""

GAP_COLUMNS = [
    "rank",
    "commune",
    "commune_name",
    "week",
    "start",
    "end",
    "sector",
    "seats",
    "placed",
    "qpv_placed",
    "students_in_reach",
    "placed_total",
    "qpv_placed_total",
]
NEW_OFFER_PREFIX = "NEW"


@dataclass(frozen=True)
class SeatGroup:
    """Seats to recruit: where, when, which sector, and what they would bring (exactly)."""

    rank: int
    commune: str
    commune_name: str
    week: int
    start: date
    end: date
    sector: str
    seats: int
    placed: int
    qpv_placed: int
    students_in_reach: int
    placed_total: int
    qpv_placed_total: int

    @property
    def offer_id(self) -> str:
        return f"{NEW_OFFER_PREFIX}-{self.commune}-W{self.week}"

    def sentence(self) -> str:
        """ "4 seats in health at Lens (62498), week 2 (14/06–18/06): +6 students placed, +5
        QPV", in the language in force."""
        text = ngettext(
            "{seats} seat in {sector} at {name} ({commune}), week {week} ({start}–{end}): "
            "+{placed} students placed, +{qpv} QPV",
            "{seats} seats in {sector} at {name} ({commune}), week {week} ({start}–{end}): "
            "+{placed} students placed, +{qpv} QPV",
            self.seats,
        )
        return text.format(
            seats=self.seats,
            sector=self.sector,
            name=self.commune_name,
            commune=self.commune,
            week=self.week,
            start=self.start.strftime("%d/%m"),
            end=self.end.strftime("%d/%m"),
            placed=self.placed,
            qpv=self.qpv_placed,
        )

    def offer(self) -> dict[str, Any]:
        """The offer row a recruited host would fill in (one row, ``seats`` seats)."""
        return {
            "offer_id": self.offer_id,
            "host_id": f"{NEW_OFFER_PREFIX}-{self.commune}",
            "host_name": _("New host, {commune}").format(commune=self.commune_name),
            "sector": self.sector,
            "commune": self.commune,
            "capacity": self.seats,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


@dataclass(frozen=True, eq=False)
class Gaps:
    """The recruitment list: seat groups in the order chosen, with the optima before them."""

    groups: tuple[SeatGroup, ...]
    qpv_placed: int
    placed: int

    @property
    def frame(self) -> pd.DataFrame:
        """One row per seat group (``gaps.csv``)."""
        return pd.DataFrame(
            [[getattr(g, c) for c in GAP_COLUMNS] for g in self.groups], columns=GAP_COLUMNS
        )

    def offers(self) -> list[dict[str, Any]]:
        """The proposed seats as offer rows, to add to a dataset."""
        return [g.offer() for g in self.groups]

    def with_seats(self, instance: Instance, top: int | None = None) -> Instance:
        """``instance`` with the first ``top`` (default: all) proposed offers added."""
        data = instance.to_dict()
        data["offers"] = [*data["offers"], *self.offers()[:top]]
        return Instance.from_dict(data)

    def text(self) -> str:
        """The list as ``stagematch gaps`` prints it, in the language in force."""
        if not self.groups:
            return _("No added seat would place anyone more.")
        head = _(
            "Today's best plan places {placed} students ({qpv} QPV). Seats to recruit, in "
            "order (each figure given the ones above):"
        )
        lines = [head.format(placed=self.placed, qpv=self.qpv_placed)]
        lines += [f"{g.rank:>3}. {g.sentence()}" for g in self.groups]
        last = self.groups[-1]
        tail = _("All of them: {placed} students placed ({qpv} QPV).")
        lines.append(tail.format(placed=last.placed_total, qpv=last.qpv_placed_total))
        return "\n".join(lines)


def _weeks(instance: Instance) -> list[tuple[date, date]]:
    """First and last working day of each calendar week of the period."""
    weeks: dict[tuple[int, int], list[date]] = {}
    for day in instance.working_days:
        weeks.setdefault(day.isocalendar()[:2], []).append(day)
    return [(days[0], days[-1]) for _, days in sorted(weeks.items())]


@cache
def _commune_points() -> tuple[Any, list[str]]:
    from scipy.spatial import cKDTree

    table = communes().table
    known = table[np.isfinite(table["lat"]) & np.isfinite(table["lon"])]
    tree = cKDTree(to_unit_vectors(known["lat"].to_numpy(float), known["lon"].to_numpy(float)))
    return tree, [str(code) for code in known.index]


def _origin_communes(instance: Instance, students: list[int]) -> list[str]:
    """Each student's home (or school) commune: the given code, else the nearest centre."""
    arrays = instance.arrays
    out = []
    tree, codes = _commune_points()
    for s in students:
        code = arrays.origin_commune[s]
        if isinstance(code, str) and code:
            out.append(code)
            continue
        _, index = tree.query(to_unit_vectors(arrays.origin_lat[[s]], arrays.origin_lon[[s]]))
        out.append(codes[int(np.asarray(index).ravel()[0])])
    return out


def _sector(instance: Instance, reached: list[int], fallback: str) -> str:
    """The sector most wished (first wishes weigh most) by the students reached."""
    votes: Counter[str] = Counter()
    students = instance.students
    for s in reached:
        wishes = students[s].wishes
        for position, sector in enumerate(wishes):
            votes[sector] += len(wishes) - position
    if not votes:
        return fallback
    return min(votes, key=lambda sector: (-votes[sector], sector))


def gaps(result: Result, *, max_groups: int = 10, max_seats: int = 5, max_areas: int = 25) -> Gaps:
    """Where added seats would place the most unplaced students, QPV students first.

    Parameters
    ----------
    result
        A solved plan (its unplaced students choose the areas tried; the gains are those of
        the dataset's optima, whatever the plan).
    max_groups
        Seat groups to propose at most; the list stops earlier when no group gains anything.
    max_seats
        Seats one group asks of a host at most (the gain of ``k`` seats is exactly
        ``min(k, gain of unlimited seats)``, see :mod:`stagematch.solver.gaps`).
    max_areas
        Communes tried, the most frequent among the unplaced students' origins first.
    """
    from .solver.gaps import SeatGains

    if max_seats < 1:
        raise ValueError(_("max_seats must be at least 1"))
    instance = result.instance
    student_index = {s.student_id: k for k, s in enumerate(instance.students)}
    unplaced = [student_index[u.student_id] for u in result.unplaced]
    trial = _trials(instance, _areas(instance, unplaced, max_areas))
    augmented = _with_trial_offers(instance, trial)
    engine = SeatGains(augmented, candidates(augmented), len(trial))
    start = engine.optima()
    unplaced_mask = np.zeros(len(instance.students), dtype=bool)
    unplaced_mask[unplaced] = True
    chosen = _choose(instance, engine, trial, start, unplaced_mask, (max_groups, max_seats))
    return Gaps(tuple(chosen), qpv_placed=start[0], placed=start[1])


_Trial = tuple[str, int, date, date]
"""A seat group tried: commune code, week number (from 1), its first and last working day."""


def _areas(instance: Instance, unplaced: list[int], max_areas: int) -> list[str]:
    """The communes of the unplaced students' origins, the most frequent first."""
    counts = Counter(_origin_communes(instance, unplaced))
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [code for code, _n in ordered[:max_areas]]


def _trials(instance: Instance, areas: list[str]) -> list[_Trial]:
    """Every (area, week) whose offer id is not taken already."""
    ids = {o.offer_id for o in instance.offers}
    return [
        (code, week + 1, first, last)
        for code in areas
        for week, (first, last) in enumerate(_weeks(instance))
        if f"{NEW_OFFER_PREFIX}-{code}-W{week + 1}" not in ids
    ]


def _with_trial_offers(instance: Instance, trial: list[_Trial]) -> Instance:
    """``instance`` with one one-seat offer per trial, after its own offers."""
    data = instance.to_dict()
    data["offers"] = [
        *data["offers"],
        *(
            Offer(
                offer_id=f"{NEW_OFFER_PREFIX}-{code}-W{week}",
                host_id=f"{NEW_OFFER_PREFIX}-{code}",
                sector="any",
                commune=code,
                capacity=1,
                start=first,
                end=last,
            ).model_dump(mode="json", exclude_none=True)
            for code, week, first, last in trial
        ),
    ]
    return Instance.from_dict(data)


def _choose(
    instance: Instance,
    engine: SeatGains,
    trial: list[_Trial],
    base: tuple[int, int],
    unplaced_mask: npt.NDArray[np.bool_],
    limits: tuple[int, int],
) -> list[SeatGroup]:
    """The seat groups one after the other, each the best given the ones before it (``base``:
    the optima of ``qpv_placed`` and ``placed`` so far; ``limits``: groups, seats per group)."""
    from .solver.gaps import Gain

    max_groups, max_seats = limits
    names = communes()
    alive = list(range(len(trial)))
    chosen: list[SeatGroup] = []
    while alive and len(chosen) < max_groups:
        unlimited = {g: engine.gain(g, base) for g in alive}
        # Gains only shrink as seats are added (the students a flow can place form a matroid,
        # whose rank is submodular), so a group that gains nothing now never will.
        alive = [g for g in alive if unlimited[g].placed or unlimited[g].qpv_placed]
        if not alive:
            break
        gains = {
            g: Gain(min(max_seats, unlimited[g].placed), min(max_seats, unlimited[g].qpv_placed))
            for g in alive
        }
        best = min(alive, key=lambda g: (-gains[g].qpv_placed, -gains[g].placed, g))
        gain = gains[best]
        seats = max(gain.placed, gain.qpv_placed)
        engine.choose(best, seats)
        base = engine.optima()
        code, week, first, last = trial[best]
        reach = engine.reachable_students(best)
        chosen.append(
            SeatGroup(
                rank=len(chosen) + 1,
                commune=code,
                commune_name=names.name(code),
                week=week,
                start=first,
                end=last,
                sector=_sector(instance, np.flatnonzero(reach & unplaced_mask).tolist(), "any"),
                seats=seats,
                placed=gain.placed,
                qpv_placed=gain.qpv_placed,
                students_in_reach=int(reach.sum()),
                placed_total=base[1],
                qpv_placed_total=base[0],
            )
        )
        alive.remove(best)
    return chosen


@lru_cache(maxsize=2)
def report_gaps(result: Result) -> Gaps | None:
    """The recruitment list a report shows (the workbook and the page share one computation);
    ``None`` when every student is placed or the dataset is larger than
    :data:`REPORT_MAX_STUDENTS`."""
    if not result.unplaced or len(result.instance.students) > REPORT_MAX_STUDENTS:
        return None
    return gaps(result)
