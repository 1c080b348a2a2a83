"""Fairness of any plan: blocking pairs, justified envy, wasted seats, and who is placed where.

stagematch's objective is about *how many* students are placed, QPV students first; it says
nothing about *which* student gets a contested seat. A coordinator who is asked "why did she get
the lab near her home and not me?" needs the notions of school choice (Abdulkadiroğlu and
Sönmez, 2003), computed for the plan at hand, whoever made it: the solver, a baseline of
:mod:`stagematch.baselines`, or a hand-edited file.

Preferences and priorities
--------------------------
A student prefers the lower wish cost (rank − 1, or ``unranked_cost``), then fewer minutes;
only their candidate offers (eligible, within their travel limit) are acceptable, and any of
them beats no placement. An offer ranks QPV students first, then fewer minutes.

These orders have ties, and by default a tie is a tie: a student does not *prefer* an offer
with the same cost and minutes as their own, and does not *outrank* a student of the same QPV
status living as far. That is the fairness a family can argue about. With
``analyse(..., tie_break=True)`` ties are broken as :mod:`stagematch.baselines` breaks them (the
offer listed first, the student listed first): the strict orders deferred acceptance is stable
for. A plan stable with tie-breaking is stable without (every blocking pair without tie-breaking
is one with it), so deferred acceptance's plan is stable either way.

For a plan μ and a student *s*, μ(*s*) is *s*'s best placement in μ by *s*'s preferences
(a split programme has two placements; the better one counts), or nothing.

Definitions
-----------
A student–offer pair (*s*, *o*) **blocks** μ when these three conditions hold:

1. *acceptable* — (*s*, *o*) is a candidate pair: *o* is within *s*'s travel limit and *s* is
   eligible for it;
2. *preferred* — *s* prefers *o* to μ(*s*) (or *s* has no placement);
3. *admissible* — *o* would take *s*, in one of two ways:

   a. **wasted seat**: *o* holds fewer than ``capacity`` students and, if *s* is not QPV,
      fewer than ``capacity − qpv_reserved`` non-QPV students (a seat *s* may take is empty);
   b. **justified envy**: *o* holds a student *s′* with a lower priority than *s*, and putting
      *s* in *s′*'s seat keeps rule 2 (*s* is QPV, or *s′* is not, or *o* holds fewer than
      ``capacity − qpv_reserved`` non-QPV students). *s* envies *s′*, with justification.

A plan is **non-wasteful** when no pair meets 3a, **free of justified envy** when none meets 3b,
and **stable** when no pair blocks it (both). Because every offer ranks QPV students first, a
non-QPV *s* can only outrank a non-QPV *s′*, so the rule-2 clause of 3b always holds here; it is
stated for completeness (and checked by brute force in the tests).

The **wasted seats** of an offer are its empty seats that a student forming a wasted-seat pair
with it may take: all its empty seats when one such student is QPV, else the empty seats open to
non-QPV students.

Counting pairs over every candidate pair is vectorised in slices, so a 50,000-student plan
with tens of millions of candidate pairs is analysed in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .baselines import deferred_acceptance, preference_keys
from .blocking import best_placements, blocking_pairs, seats_of, wasted_seats_of
from .candidates import Candidates, candidates, wish_cost, wish_ranks
from .i18n import N_, _
from .inequality import gini, min_max_ratio
from .plan import Plan
from .travel import Pairs, minutes_for

if TYPE_CHECKING:
    from .model import Instance
    from .result import Result

__all__ = [
    "GROUPS",
    "Fairness",
    "PriceOfStability",
    "analyse",
    "compare",
    "gini",
    "min_max_ratio",
    "price_of_stability",
]

GROUPS: tuple[str, ...] = (N_("All students"), N_("QPV"), N_("Non-QPV"))
"""The student groups of :meth:`Fairness.by_group` (the same names as the KPI tables), in
English; reports show them translated."""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


# --------------------------------------------------------------------------------------------
# The analysis


@dataclass(frozen=True, eq=False)
class Fairness:
    """The fairness of one plan: its blocking pairs, and outcomes per student, group and school.

    Build it with :func:`analyse`. Arrays are indexed like ``instance.arrays`` (students and
    offers in dataset order); the methods return pandas DataFrames with dataset ids.

    Attributes
    ----------
    instance, plan
        What was analysed.
    tie_break
        Whether ties in preferences and priorities were broken by dataset order.
    best_offer
        Per student, the index of their best placement (μ(*s*)), −1 when unplaced.
    best_rank, best_cost, best_minutes
        Its wish rank (0: matches no wish), wish cost and one-way minutes (−1, −1, NaN when
        unplaced).
    placements
        Per student, how many placements they hold.
    pair_student, pair_offer
        Every blocking pair (*s*, *o*), grouped by student.
    pair_wasted, pair_envy
        For each blocking pair, whether it meets condition 3a (wasted seat) and 3b (justified
        envy); at least one is true, both can be.
    taken
        Per offer, how many students hold it.
    wasted_seats
        Per offer, its wasted seats (see the module docstring).
    """

    instance: Instance
    plan: Plan
    tie_break: bool
    best_offer: IntArray
    best_rank: IntArray
    best_cost: IntArray
    best_minutes: npt.NDArray[np.float64]
    placements: IntArray
    pair_student: IntArray
    pair_offer: IntArray
    pair_wasted: BoolArray
    pair_envy: BoolArray
    taken: IntArray
    wasted_seats: IntArray

    # -- counts ---------------------------------------------------------------------------

    @property
    def stable(self) -> bool:
        """No blocking pair: non-wasteful and free of justified envy."""
        return not len(self.pair_student)

    @cached_property
    def envious(self) -> BoolArray:
        """Per student: has at least one justified-envy pair."""
        return self._flag(self.pair_envy)

    @cached_property
    def blocking(self) -> BoolArray:
        """Per student: forms at least one blocking pair."""
        return self._flag(np.ones(len(self.pair_student), dtype=bool))

    def _flag(self, which: BoolArray) -> BoolArray:
        out = np.zeros(self.instance.arrays.n_students, dtype=bool)
        out[self.pair_student[which]] = True
        return out

    def summary(self) -> dict[str, Any]:
        """Headline figures: placed, wishes, travel, blocking pairs, wasted seats, schools.

        Wish and travel figures are over placed students and their best placement;
        ``first_wish_rate`` and ``any_wish_rate`` are shares of placed students whose best placement
        is their first wish / matches a wish. ``unplaced_with_free_seat`` counts unplaced
        students with a wasted seat they may take (the SPEC promises none for a plan whose
        ``placed`` level is proven optimal). School figures are over the per-school placement
        rates of :meth:`by_school` (schools without students left out).
        """
        arrays = self.instance.arrays
        placed = self.best_offer >= 0
        qpv = arrays.qpv
        schools = self.by_school()
        rates = schools.loc[schools["students"] > 0, "placed_rate"].to_numpy(float)
        row: dict[str, Any] = {
            "students": int(arrays.n_students),
            "placed": int(placed.sum()),
            "placed_rate": _rate(placed.sum(), arrays.n_students),
            "qpv_students": int(qpv.sum()),
            "qpv_placed": int((placed & qpv).sum()),
            "qpv_placed_rate": _rate((placed & qpv).sum(), qpv.sum()),
            **self._wishes_and_travel(placed),
            "blocking_pairs": len(self.pair_student),
            "justified_envy_pairs": int(self.pair_envy.sum()),
            "wasted_seat_pairs": int(self.pair_wasted.sum()),
            "blocking_students": int(self.blocking.sum()),
            "envious_students": int(self.envious.sum()),
            "envious_rate": _rate(self.envious.sum(), arrays.n_students),
            "envious_qpv_students": int((self.envious & qpv).sum()),
            "wasted_seats": int(self.wasted_seats.sum()),
            "offers_with_wasted_seats": int((self.wasted_seats > 0).sum()),
            "unplaced_with_free_seat": int(
                np.unique(self.pair_student[self.pair_wasted & ~placed[self.pair_student]]).size
            ),
            "school_placed_rate_min": float(np.min(rates)) if rates.size else float("nan"),
            "school_placed_rate_max": float(np.max(rates)) if rates.size else float("nan"),
            "school_min_max_ratio": min_max_ratio(rates),
            "school_gini": gini(rates),
            "stable": self.stable,
        }
        return row

    def _wishes_and_travel(self, members: BoolArray) -> dict[str, float]:
        """Wish and travel figures of the placed students among ``members``."""
        placed = members & (self.best_offer >= 0)
        n = int(placed.sum())
        rank = self.best_rank[placed]
        minutes = self.best_minutes[placed]
        return {
            "first_wish_rate": _rate((rank == 1).sum(), n),
            "any_wish_rate": _rate((rank > 0).sum(), n),
            "wish_cost_mean": float(self.best_cost[placed].mean()) if n else float("nan"),
            "travel_median_min": float(np.median(minutes)) if n else float("nan"),
            "travel_mean_min": float(minutes.mean()) if n else float("nan"),
        }

    # -- tables ---------------------------------------------------------------------------

    def by_group(self) -> pd.DataFrame:
        """QPV versus non-QPV students: placed, wishes, travel, envy (one row per group).

        ``envious_rate`` is the share of the group's students with justified envy; the pair
        counts are pairs whose student belongs to the group.
        """
        qpv = self.instance.arrays.qpv
        rows = []
        for name, members in zip(GROUPS, (np.ones_like(qpv), qpv, ~qpv), strict=True):
            n = int(members.sum())
            placed = int((members & (self.best_offer >= 0)).sum())
            in_group = members[self.pair_student]
            rows.append(
                {
                    "group": name,
                    "students": n,
                    "placed": placed,
                    "placed_rate": _rate(placed, n),
                    **self._wishes_and_travel(members),
                    "envious_students": int((self.envious & members).sum()),
                    "envious_rate": _rate((self.envious & members).sum(), n),
                    "blocking_students": int((self.blocking & members).sum()),
                    "justified_envy_pairs": int((self.pair_envy & in_group).sum()),
                    "wasted_seat_pairs": int((self.pair_wasted & in_group).sum()),
                }
            )
        return pd.DataFrame(rows)

    def by_school(self) -> pd.DataFrame:
        """Per school: students, placed and QPV placed with rates, and envious students.

        Rates are NaN for an empty denominator (a school without QPV students has no QPV rate).
        """
        arrays = self.instance.arrays
        n_schools = len(arrays.school_ids)
        school = arrays.school
        placed = self.best_offer >= 0
        qpv = arrays.qpv

        def count(mask: BoolArray) -> IntArray:
            return np.bincount(school[mask], minlength=n_schools)

        students = count(np.ones_like(placed))
        qpv_students = count(qpv)
        frame = pd.DataFrame(
            {
                "school_id": arrays.school_ids,
                "school_name": [s.name for s in self.instance.schools],
                "students": students,
                "placed": count(placed),
                "qpv_students": qpv_students,
                "qpv_placed": count(placed & qpv),
                "envious_students": count(self.envious),
            }
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            frame.insert(
                4, "placed_rate", np.where(students > 0, frame["placed"] / students, np.nan)
            )
            frame["qpv_placed_rate"] = np.where(
                qpv_students > 0, frame["qpv_placed"] / qpv_students, np.nan
            )
        return frame

    def pairs_frame(self) -> pd.DataFrame:
        """Every blocking pair: ``student_id, qpv, offer_id, wasted_seat, justified_envy``.

        Can be long on a large plan that was not built for stability (millions of rows on an
        académie); :meth:`students_frame` gives one row per student instead.
        """
        arrays = self.instance.arrays
        ids = np.asarray(arrays.student_ids, dtype=object)
        offer_ids = np.asarray(arrays.offers.ids, dtype=object)
        return pd.DataFrame(
            {
                "student_id": ids[self.pair_student],
                "qpv": arrays.qpv[self.pair_student],
                "offer_id": offer_ids[self.pair_offer],
                "wasted_seat": self.pair_wasted,
                "justified_envy": self.pair_envy,
            }
        )

    def students_frame(self) -> pd.DataFrame:
        """One row per student forming a blocking pair, with the blocking offer they like best.

        Columns: ``student_id, qpv, school_id``, their placement ``offer_id`` (blank when
        unplaced) and its ``wish_rank``, how many ``blocking_offers`` they have (of which
        ``justified_envy_offers`` and ``wasted_seat_offers``), and their favourite blocking
        offer ``preferred_offer_id`` with its ``preferred_wish_rank``. Wish ranks are blank when
        the offer matches no wish. This is the list a coordinator goes through to answer
        complaints, or to improve a plan by hand.
        """
        arrays = self.instance.arrays
        s_all, o_all = self.pair_student, self.pair_offer
        students, counts = np.unique(s_all, return_counts=True)
        envy = np.bincount(s_all[self.pair_envy], minlength=arrays.n_students)[students]
        wasted = np.bincount(s_all[self.pair_wasted], minlength=arrays.n_students)[students]
        minutes = minutes_for(self.instance, "placement", s_all, o_all).astype(np.float32)
        ranks = wish_ranks(
            self.instance, Pairs(s_all.astype(np.int32), o_all.astype(np.int32), minutes)
        ).astype(np.int64)
        cost = wish_cost(ranks, self.instance.settings.unranked_cost)
        order = np.lexsort((o_all, preference_keys(cost, minutes), s_all))
        best = order[np.searchsorted(s_all[order], students)]
        offer_ids = np.asarray(arrays.offers.ids, dtype=object)
        held = self.best_offer[students]
        return pd.DataFrame(
            {
                "student_id": np.asarray(arrays.student_ids, dtype=object)[students],
                "qpv": arrays.qpv[students],
                "school_id": np.asarray(arrays.school_ids, dtype=object)[arrays.school[students]],
                "offer_id": np.where(held >= 0, offer_ids[np.maximum(held, 0)], ""),
                "wish_rank": _ranks(self.best_rank[students]),
                "blocking_offers": counts,
                "justified_envy_offers": envy,
                "wasted_seat_offers": wasted,
                "preferred_offer_id": offer_ids[o_all[best]],
                "preferred_wish_rank": _ranks(ranks[best]),
            }
        )

    def wasted_frame(self) -> pd.DataFrame:
        """Offers with wasted seats, one row each.

        Columns: ``offer_id, host_id, capacity, qpv_reserved, taken`` (students holding it),
        ``wasted_seats`` and ``wanted_by`` (students forming a wasted-seat pair with it).
        """
        offers = self.instance.arrays.offers
        where = np.flatnonzero(self.wasted_seats > 0)
        wanted = np.bincount(self.pair_offer[self.pair_wasted], minlength=len(offers))
        return pd.DataFrame(
            {
                "offer_id": [offers.ids[k] for k in where],
                "host_id": [offers.group_ids[offers.group[k]] for k in where],
                "capacity": offers.capacity[where],
                "qpv_reserved": offers.reserved[where],
                "taken": self.taken[where],
                "wasted_seats": self.wasted_seats[where],
                "wanted_by": wanted[where],
            }
        )


def _ranks(values: IntArray) -> pd.arrays.IntegerArray:
    """Wish ranks for a table: blank when the offer matches no wish (or there is no offer)."""
    values = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(values, values <= 0)


def _rate(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _held_offers(instance: Instance, plan: Plan) -> tuple[IntArray, IntArray]:
    """The plan's placements as (student index, offer index) arrays.

    Raises
    ------
    ValueError
        When the plan names a student or an offer the dataset does not have.
    """
    arrays = instance.arrays
    student = arrays.student_index
    offer = arrays.offers.index
    s_list: list[int] = []
    o_list: list[int] = []
    for a in plan.assignments:
        if a.kind != "placement":
            continue
        if a.student_id not in student or a.item_id not in offer:
            text = _(
                "the plan places {student} with {item}, which this dataset does not have "
                "(check the plan with stagematch.check first)"
            )
            raise ValueError(text.format(student=repr(a.student_id), item=repr(a.item_id)))
        s_list.append(student[a.student_id])
        o_list.append(offer[a.item_id])
    return np.asarray(s_list, dtype=np.int64), np.asarray(o_list, dtype=np.int64)


def analyse(
    instance: Instance,
    plan: Plan,
    *,
    cand: Candidates | None = None,
    tie_break: bool = False,
) -> Fairness:
    """Blocking pairs, justified envy and wasted seats of ``plan`` (definitions: module docs).

    Parameters
    ----------
    instance
        The dataset the plan is for.
    plan
        Any plan; only its placements matter. It should pass :func:`stagematch.check.check`:
        the definitions assume rules 1 and 2 hold (on an over-full offer the counts are still
        computed, but mean little).
    cand
        The instance's :func:`~stagematch.candidates.candidates`, when already computed.
    tie_break
        Break ties in preferences and priorities by dataset order, as the baselines do; by
        default a tie neither makes a student prefer an offer nor outrank another student.

    Raises
    ------
    ValueError
        When the plan names a student or an offer the dataset does not have.
    """
    s_held, o_held = _held_offers(instance, plan)
    cand = cand if cand is not None else candidates(instance)
    best = best_placements(instance, s_held, o_held, tie_break)
    seats = seats_of(instance, s_held, o_held, best.held_minutes, tie_break)
    student, offer, wasted, envy = blocking_pairs(instance, cand, best, seats)
    return Fairness(
        instance=instance,
        plan=plan,
        tie_break=tie_break,
        best_offer=best.offer,
        best_rank=best.rank,
        best_cost=best.cost,
        best_minutes=best.minutes,
        placements=np.bincount(s_held, minlength=instance.arrays.n_students),
        pair_student=student,
        pair_offer=offer,
        pair_wasted=wasted,
        pair_envy=envy,
        taken=seats.held,
        wasted_seats=wasted_seats_of(instance, seats, student, offer, wasted),
    )


def compare(
    instance: Instance,
    plans: Mapping[str, Plan | Fairness],
    *,
    cand: Candidates | None = None,
    tie_break: bool = False,
) -> pd.DataFrame:
    """:meth:`Fairness.summary` of several plans side by side, one row per plan.

    ``plans`` maps a name (``"stagematch"``, ``"deferred acceptance"``, …) to a plan, or to its
    :class:`Fairness` when already analysed. Candidates are computed once for all plans;
    ``tie_break`` is passed to :func:`analyse`.
    """
    rows = []
    for name, plan in plans.items():
        if not isinstance(plan, Fairness):
            cand = cand if cand is not None else candidates(instance)
            plan = analyse(instance, plan, cand=cand, tie_break=tie_break)
        rows.append({"plan": name, **plan.summary()})
    return pd.DataFrame(rows).set_index("plan")


# --------------------------------------------------------------------------------------------
# The price of stability


@dataclass(frozen=True)
class PriceOfStability:
    """How many placements stability costs, against the plan that places the most students.

    Every stable plan places the same students (see
    :func:`~stagematch.baselines.deferred_acceptance`), so ``placed_stable`` does not depend
    on which stable plan is taken.
    """

    placed_optimum: int
    placed_stable: int
    qpv_placed_optimum: int
    qpv_placed_stable: int

    @property
    def ratio(self) -> float:
        """``placed_optimum / placed_stable`` (≥ 1 when the optimum is one; inf if 0 stable)."""
        return _ratio(self.placed_optimum, self.placed_stable)

    @property
    def qpv_ratio(self) -> float:
        """The same for QPV students placed."""
        return _ratio(self.qpv_placed_optimum, self.qpv_placed_stable)

    @property
    def students_lost(self) -> int:
        """Students the optimum places and no stable plan can."""
        return self.placed_optimum - self.placed_stable

    @property
    def qpv_students_lost(self) -> int:
        return self.qpv_placed_optimum - self.qpv_placed_stable


def _ratio(a: int, b: int) -> float:
    if b == 0:
        return 1.0 if a == 0 else float("inf")
    return a / b


def price_of_stability(
    instance: Instance,
    optimum: Plan | Result | None = None,
    stable: Plan | None = None,
    *,
    cand: Candidates | None = None,
    time_limit: float | None = None,
) -> PriceOfStability:
    """Students placed by a stable plan versus by stagematch's optimum.

    Parameters
    ----------
    instance
        A validated dataset.
    optimum
        stagematch's plan (a :class:`~stagematch.plan.Plan` or the
        :class:`~stagematch.result.Result` of :func:`stagematch.solve`); solved here with
        ``time_limit`` when not given. When ``placed`` is proven optimal (it always is when the
        objective starts with ``qpv_placed, placed``), ``placed_optimum`` is the most students
        any valid plan places with one placement each.
    stable
        A stable plan; :func:`~stagematch.baselines.deferred_acceptance` when not given.
    cand
        The instance's candidates, when already computed.
    time_limit
        Seconds for the solve when ``optimum`` is not given.
    """
    if optimum is None:
        from .solver import solve  # the only path here that needs the solver (and OR-Tools)

        optimum = solve(instance, time_limit=time_limit)
    optimum_plan = optimum if isinstance(optimum, Plan) else optimum.plan
    if stable is None:
        stable = deferred_acceptance(instance, cand=cand)
    qpv = {s.student_id for s in instance.students if s.qpv}

    def counts(plan: Plan) -> tuple[int, int]:
        placed = set(plan.placements)
        return len(placed), len(placed & qpv)

    placed_optimum, qpv_optimum = counts(optimum_plan)
    placed_stable, qpv_stable = counts(stable)
    return PriceOfStability(placed_optimum, placed_stable, qpv_optimum, qpv_stable)
