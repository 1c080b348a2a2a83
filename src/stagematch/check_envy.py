"""The ``justified_envy`` rule of :func:`stagematch.check.check`, for plans asked to be stable.

Under the same rule as :mod:`stagematch.check`: plain Python from the row models, never the
solver's arrays or keys, so a bug in the solver's envy chains (:mod:`stagematch.solver.stable`)
cannot hide itself by being repeated here. The definition is :mod:`stagematch.fairness`'s,
ties not broken:

student *s* has **justified envy** at offer *o* when *o* is a candidate of *s* (within their
travel limit and eligible), *s* strictly prefers *o* to their best placement (or has none),
and *o* holds a student *t* whom it ranks strictly below *s*.

A student prefers the smaller (preference cost, one-way minutes); an offer ranks first the
smaller (not QPV, one-way minutes). Every student is compared with every offer that holds
someone, which takes seconds for a few thousand students; the vectorised
:func:`stagematch.fairness.analyse` does the same at scale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .i18n import _
from .model import Instance, Offer, Student

__all__ = ["envy_pairs"]

Minutes = Callable[[Student, Offer], float]
Cost = Callable[[Student, Offer], int]
Candidate = Callable[[Student, Offer], bool]


def envy_pairs(
    instance: Instance,
    placements: Iterable[tuple[Student, Offer]],
    minutes: Minutes,
    cost: Cost,
    is_candidate: Candidate,
) -> list[tuple[str, str, str]]:
    """Every (student id, offer id, message) with justified envy in a plan's ``placements``.

    ``minutes``, ``cost`` and ``is_candidate`` are the checker's own formulas for one pair:
    one-way travel, preference cost, and rules 3 and 4.
    """
    best: dict[str, tuple[int, float]] = {}
    lowest: dict[str, tuple[bool, float]] = {}
    offers: dict[str, Offer] = {}
    for student, offer in placements:
        travel = minutes(student, offer)
        wish = (cost(student, offer), travel)
        best[student.student_id] = min(best.get(student.student_id, wish), wish)
        rank = (not student.qpv, travel)
        lowest[offer.offer_id] = max(lowest.get(offer.offer_id, rank), rank)
        offers[offer.offer_id] = offer
    out: list[tuple[str, str, str]] = []
    text = _(
        "{student} would rather have {offer} than their placement, and {offer} holds a "
        "student it ranks below them (justified envy)"
    )
    for student in instance.students:
        sid = student.student_id
        for oid in sorted(lowest):
            offer = offers[oid]
            travel = minutes(student, offer)
            if (not student.qpv, travel) >= lowest[oid]:
                continue  # nobody it holds ranks below the student
            if sid in best and (cost(student, offer), travel) >= best[sid]:
                continue  # their own placement is as good
            if is_candidate(student, offer):
                out.append((sid, oid, text.format(student=sid, offer=oid)))
    return out
