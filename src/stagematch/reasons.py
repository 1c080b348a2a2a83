"""Why a student has no placement: exact reasons, computed from the data and the plan.

The SPEC's reasons, first that applies:

* ``no_reachable_offer`` — no offer within the student's travel limit (the detail names the
  nearest offer and its minutes);
* ``no_eligible_offer`` — offers are within reach but every one breaks an eligibility rule (the
  detail counts which rules excluded them);
* ``capacity`` — eligible offers within reach exist but their seats went to others (the detail
  says who holds them and which level gave those students priority: QPV priority, or a level
  further down such as placing more students in total, coverage, preference or travel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .candidates import INELIGIBILITY_RULES, Candidates, offer_failures
from .i18n import N_, LazyText, lazy_text
from .plan import Plan
from .result import Unplaced
from .share import qpv_candidates
from .travel import nearest_item, reachable

if TYPE_CHECKING:
    from .model import Instance

RULE_WORDS = {
    "accessibility": N_("not accessible"),
    "min_age": N_("student under the minimum age"),
    "reserved_schools": N_("reserved for other schools"),
    "unavailable": N_("on dates the student is unavailable"),
    "banned": N_("with a host the student must not go to"),
}
"""Each eligibility rule in words (English; marked for the catalogue, translated when shown)."""


def unplaced_reasons(
    instance: Instance, cand: Candidates, plan: Plan, *, stable: bool = False
) -> tuple[Unplaced, ...]:
    """One :class:`~stagematch.result.Unplaced` per student without a placement, in input order.

    ``stable``: the plan was made without justified envy, which is then the first reason a
    free seat stays free.
    """
    arrays = instance.arrays
    placed = plan.placements
    ids = arrays.student_ids
    unplaced = np.array([s for s, sid in enumerate(ids) if sid not in placed], dtype=np.int64)
    if not len(unplaced):
        return ()
    # Reachability again, for the unplaced only: the candidates keep just the eligible pairs.
    reach = reachable(instance, "placement", students=unplaced)
    failures = offer_failures(arrays, reach)
    reach_ptr = reach.indptr(arrays.n_students)
    elig_ptr = cand.offers.indptr(arrays.n_students)
    n_reach = reach_ptr[unplaced + 1] - reach_ptr[unplaced]
    n_elig = elig_ptr[unplaced + 1] - elig_ptr[unplaced]
    nowhere = unplaced[n_reach == 0]
    nearest, minutes = nearest_item(instance, "placement", nowhere)
    nearest_of = {
        int(s): (int(j), float(m)) for s, j, m in zip(nowhere, nearest, minutes, strict=True)
    }
    seats = _Seats.of(instance, plan, qpv_candidates(arrays, cand))
    objective: list[str] = list(instance.settings.objective)
    out = []
    for s, reach, elig in zip(unplaced.tolist(), n_reach.tolist(), n_elig.tolist(), strict=True):
        qpv = bool(arrays.qpv[s])
        if reach == 0:
            reason, detail = "no_reachable_offer", _nowhere_detail(instance, s, nearest_of[s])
        elif elig == 0:
            bits = failures[reach_ptr[s] : reach_ptr[s + 1]]
            reason, detail = "no_eligible_offer", _ineligible_detail(bits)
        else:
            offers = cand.offers.item[elig_ptr[s] : elig_ptr[s + 1]]
            reason = "capacity"
            detail = _capacity_detail(seats, offers, qpv, stable, objective)
        out.append(Unplaced(ids[s], qpv, reason, detail))
    return tuple(out)


def _nowhere_detail(instance: Instance, s: int, nearest: tuple[int, float]) -> str:
    arrays = instance.arrays
    limit = arrays.max_travel[s]
    j, minutes = nearest
    if j < 0:
        return lazy_text("there are no offers")
    return lazy_text(
        "nearest offer {offer} is {minutes:g} min away; the limit is {limit:g} min",
        offer=arrays.offers.ids[j],
        minutes=minutes,
        limit=limit,
    )


def _ineligible_detail(bits: np.ndarray) -> str:
    parts: list[str] = []
    for k, rule in enumerate(INELIGIBILITY_RULES):
        count = int(((bits >> k) & 1).sum())
        if count:
            parts.append(
                lazy_text(
                    "{count} {words} ({rule})", count=count, words=_rule_words(rule), rule=rule
                )
            )
    text = lazy_text("{n} offer(s) within reach, none eligible: ", n=len(bits))
    for k, part in enumerate(parts):
        text = lazy_text("{text}{part}", text=text, part=part) if k == 0 else _then(text, part)
    return text


def _rule_words(rule: str) -> str:
    """The words of an eligibility rule, translated when shown."""
    return lazy_text(RULE_WORDS[rule]) if rule in RULE_WORDS else rule


def _then(text: str, more: str) -> LazyText:
    """Two clauses of a detail, joined by a semicolon (translated when shown)."""
    return lazy_text("{text}; {more}", text=text, more=more)


@dataclass(frozen=True)
class _Seats:
    """Per offer, what the plan did with its seats (one array each, indexed by offer)."""

    qpv_taken: np.ndarray  # seats held by QPV students
    other_taken: np.ndarray  # seats held by other students
    free: np.ndarray  # seats nobody holds
    open_free: np.ndarray  # free seats a non-QPV student may take (not reserved for QPV)
    held_for_share: np.ndarray  # open free seats the minimum QPV share keeps from non-QPV

    @classmethod
    def of(cls, instance: Instance, plan: Plan, could_come: np.ndarray) -> _Seats:
        """The seats of every offer under ``plan``; ``could_come``: per offer, the QPV
        students who could take it (the share asks no more than them)."""
        arrays = instance.arrays
        placements = arrays.encode(plan).placements
        n_offers = len(arrays.offers.ids)
        student, offer = placements[:, 0], placements[:, 1]
        taken = np.bincount(offer, minlength=n_offers).astype(np.int64)
        qpv_taken = np.bincount(
            offer, weights=arrays.qpv[student].astype(np.int64), minlength=n_offers
        ).astype(np.int64)
        capacity = arrays.offers.capacity.astype(np.int64)
        reserved = arrays.offers.reserved.astype(np.int64)
        free = capacity - taken
        open_free = np.maximum(0, np.minimum(free, capacity - reserved - (taken - qpv_taken)))
        # A non-QPV student may not take a free seat that would put the offer below its share.
        asked = (arrays.min_share.astype(np.int64) * (taken + 1) + 99) // 100
        short = qpv_taken < np.minimum(asked, np.asarray(could_come, dtype=np.int64))
        held = np.where((open_free > 0) & short, open_free, 0)
        return cls(qpv_taken, taken - qpv_taken, free, open_free, held)


def _capacity_detail(
    seats: _Seats, offers: np.ndarray, qpv: bool, stable: bool, objective: list[str]
) -> str:
    held_for_share = 0 if qpv else int(seats.held_for_share[offers].sum())
    open_free = seats.open_free[offers]
    if not qpv:
        open_free = open_free - seats.held_for_share[offers]
    free_open = int(open_free.sum())
    free_reserved = int((seats.free[offers] - open_free).sum())
    counts = {
        "qpv": int(seats.qpv_taken[offers].sum()),
        "other": int(seats.other_taken[offers].sum()),
    }
    # Who got the seats was decided by the objective's levels, in the dataset's order.
    text: str = lazy_text(
        "{offers} eligible offer(s) within reach; their seats are held by "
        "{qpv} QPV student(s) and {other} other student(s), chosen by the objective: {levels}",
        offers=len(offers),
        qpv=counts["qpv"],
        other=counts["other"],
        levels=", ".join(objective),
    )
    if free_reserved and not qpv:
        text = _then(
            text, lazy_text("{n} free seat(s) are reserved for QPV students", n=free_reserved)
        )
    if held_for_share:
        text = _then(
            text,
            lazy_text(
                "{n} free seat(s) are held for QPV students by the offers' minimum QPV share",
                n=held_for_share,
            ),
        )
    if free_open or (free_reserved and qpv):
        if "placed" not in objective and not (qpv and "qpv_placed" in objective):
            still_free = lazy_text(
                "a seat is still free: the objective does not count this student's placement"
            )
        elif stable:
            still_free = lazy_text(
                "a seat is still free: placing this student would cost a level ranked above"
                " 'placed', or the solver stopped before proving that level, or it would give"
                " a student ranked higher there justified envy (stable plan)"
            )
        else:
            still_free = lazy_text(
                "a seat is still free: placing this student would cost a level ranked above"
                " 'placed', or the solver stopped before proving that level"
            )
        text = _then(text, still_free)
    return text
