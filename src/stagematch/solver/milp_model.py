"""The exact model of a component as an integer program: sparse rows for HiGHS (:mod:`.milp`).

The same pair model as :mod:`.cpsat` — one binary per candidate pair — written as sparse rows
for an LP-based branch and bound; each level is a column cost vector built from its linear
description (:mod:`stagematch.levels`). Why a MILP: on pilot-size components the levels below
``placed`` are decided by how seats, half-days and workshops trade off between students, and the
linear relaxation of the pair model (its clique rows for "no overlap" describe each student's
calendar exactly) bounds them tightly, so HiGHS proves them in fractions of a second where
CP-SAT's search stalls (measured in ``docs/benchmarks.md``, section "Exact lower levels").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

from ..arrays import FloatArray, IntArray, members_by_key
from ..levels import LEVELS, GroupTerm, StudentTerm
from .cpsat import ComponentData

INF = highspy.kHighsInf


class _Rows:
    """Sparse rows ``lower ≤ Σ coef · v ≤ upper``, collected as coordinate arrays."""

    def __init__(self) -> None:
        self.row: list[IntArray] = []
        self.col: list[IntArray] = []
        self.val: list[FloatArray] = []
        self.lower: list[FloatArray] = []
        self.upper: list[FloatArray] = []
        self.count = 0

    def add(
        self,
        local_row: npt.ArrayLike,
        col: npt.ArrayLike,
        val: npt.ArrayLike,
        lower: npt.ArrayLike,
        upper: npt.ArrayLike,
    ) -> None:
        """Rows ``0 .. len(lower) - 1`` of this call, given by ``local_row`` per coefficient."""
        self.row.append(self.count + np.asarray(local_row, dtype=np.int64))
        cols = np.asarray(col, dtype=np.int64)
        self.col.append(cols)
        self.val.append(np.broadcast_to(np.asarray(val, dtype=np.float64), len(cols)).copy())
        self.lower.append(np.asarray(lower, dtype=np.float64))
        self.upper.append(np.asarray(upper, dtype=np.float64))
        self.count += len(self.lower[-1])

    def at_most(self, keys: IntArray, cols: IntArray, limit: IntArray) -> None:
        """``Σ_{cols of key k} v ≤ limit[k]`` for every key whose columns could exceed it."""
        counts = np.bincount(keys, minlength=len(limit))
        binding = np.flatnonzero(counts > limit)
        row_of = np.full(len(limit), -1, dtype=np.int64)
        row_of[binding] = np.arange(len(binding))
        keep = row_of[keys] >= 0
        self.add(
            row_of[keys[keep]],
            cols[keep],
            1.0,
            np.full(len(binding), -INF),
            limit[binding].astype(np.float64),
        )

    def matrix(self, n_cols: int) -> tuple[csr_matrix, FloatArray, FloatArray]:
        def joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        a = csr_matrix(
            (
                joined(self.val, np.float64),
                (joined(self.row, np.int64), joined(self.col, np.int64)),
            ),
            shape=(self.count, n_cols),
        )
        a.sum_duplicates()
        a.sort_indices()
        return a, joined(self.lower, np.float64), joined(self.upper, np.float64)


@dataclass
class PairModel:
    """The component's rows and columns, and each level as a linear expression plus a constant.

    Columns: ``x`` (one per candidate placement), ``y`` (one per candidate session), one
    ``everyone`` indicator per offer whose QPV share may be met by taking every QPV candidate,
    then the variables of the levels' student terms (``placed``, ``attended``, ``changed``:
    :mod:`stagematch.levels`), made once per key. ``group_columns``: per group term (the
    ``coaches`` level), its groups and their integer columns (:mod:`.groups` branches on them).
    """

    n_x: int
    n_y: int
    lower: FloatArray
    upper: FloatArray
    a: csr_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    levels: dict[str, tuple[FloatArray, float]]
    group_columns: dict[str, tuple[IntArray, IntArray]] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return len(self.lower)


class _Columns:
    """Columns and their bounds: the pairs' binaries first, then variables made on the way."""

    def __init__(self, n_pairs: int) -> None:
        self.lower = [np.zeros(n_pairs)]
        self.upper = [np.ones(n_pairs)]
        self.count = n_pairs

    def new(self, count: int, high: FloatArray | float) -> IntArray:
        """``count`` new columns in ``[0, high]``."""
        cols = self.count + np.arange(count, dtype=np.int64)
        self.lower.append(np.zeros(count))
        self.upper.append(np.broadcast_to(np.asarray(high, dtype=np.float64), count).copy())
        self.count += count
        return cols


def build(data: ComponentData, levels: list[str]) -> PairModel:
    """Rules 1, 2, 5 and 6 as rows (3 and 4 hold by construction), and ``levels``."""
    d = data
    n_x, n_y = len(d.offer_student), len(d.slot_student)
    xs = d.offer_student.astype(np.int64)
    ys = d.slot_student.astype(np.int64)
    x_cols = np.arange(n_x, dtype=np.int64)
    y_cols = n_x + np.arange(n_y, dtype=np.int64)
    rows = _Rows()
    columns = _Columns(n_x + n_y)
    # Rules 1 and 2: seats, and seats open to non-QPV students.
    for item, student, capacity, reserved, cols in (
        (d.offer_item, xs, d.offer_capacity, d.offer_reserved, x_cols),
        (d.slot_item, ys, d.slot_capacity, d.slot_reserved, y_cols),
    ):
        item = item.astype(np.int64)
        rows.at_most(item, cols, capacity.astype(np.int64))
        others = ~d.qpv[student]
        open_seats = np.where(reserved > 0, capacity - reserved, np.iinfo(np.int64).max)
        rows.at_most(item[others], cols[others], open_seats.astype(np.int64))
    # Rule 6: placements per student, each workshop at most once.
    rows.at_most(xs, x_cols, d.max_placements.astype(np.int64))
    n_workshops = int(d.slot_workshop.max(initial=-1)) + 1
    keys, same_workshop = np.unique(ys * max(n_workshops, 1) + d.slot_workshop, return_inverse=True)
    rows.at_most(same_workshop.astype(np.int64), y_cols, np.ones(len(keys), dtype=np.int64))
    _no_overlap(rows, d, x_cols, y_cols)
    _min_share(rows, d, x_cols, columns.new)
    for pinned, cols in ((d.offer_pinned, x_cols), (d.slot_pinned, y_cols)):
        if pinned is not None:
            columns.lower[0][cols[pinned]] = 1.0
    group_columns: dict[str, tuple[IntArray, IntArray]] = {}
    objectives = _objectives(rows, columns, d, levels, x_cols, y_cols, group_columns)
    a, row_lower, row_upper = rows.matrix(columns.count)
    return PairModel(
        n_x,
        n_y,
        np.concatenate(columns.lower),
        np.concatenate(columns.upper),
        a,
        row_lower,
        row_upper,
        objectives,
        group_columns,
    )


def _objectives(
    rows: _Rows,
    columns: _Columns,
    d: ComponentData,
    levels: list[str],
    x_cols: IntArray,
    y_cols: IntArray,
    group_columns: dict[str, tuple[IntArray, IntArray]],
) -> dict[str, tuple[FloatArray, float]]:
    """Each level from its linear description (:mod:`stagematch.levels`): pair coefficients
    plus per-student and per-group terms, whose variables are made once per key (with their
    rows) and weighted per level; the group terms' columns are also put in
    ``group_columns``."""
    term_cols: dict[str, tuple[IntArray, IntArray]] = {}  # key: students, their columns
    parts: dict[str, list[tuple[IntArray, FloatArray]]] = {}
    constants: dict[str, float] = {}
    for level in levels:
        linear = LEVELS[level].linear(d)
        parts[level] = [
            (x_cols, np.asarray(linear.offer, dtype=np.float64)),
            (y_cols, np.asarray(linear.slot, dtype=np.float64)),
        ]
        constants[level] = float(linear.constant)
        for term in linear.terms:
            if term.key not in term_cols:
                term_cols[term.key] = _term(rows, term, x_cols, y_cols, columns.new)
                if term.key == "attended":
                    students, cols = term_cols[term.key]
                    _workshops_beside_placements(
                        rows, d, students, cols, term.cap[students], x_cols, y_cols
                    )
            students, cols = term_cols[term.key]
            parts[level].append((cols, term.weight[students].astype(np.float64)))
        for group in linear.groups:
            if group.key not in term_cols:
                term_cols[group.key] = _group_term(rows, d, group, y_cols, columns.new)
                group_columns[group.key] = term_cols[group.key]
            _, cols = term_cols[group.key]
            parts[level].append((cols, np.ones(len(cols))))
    objectives: dict[str, tuple[FloatArray, float]] = {}
    for level, pieces in parts.items():
        coefs = np.zeros(columns.count)
        for cols, weights in pieces:
            np.add.at(coefs, cols, weights)
        objectives[level] = (coefs, constants[level])
    return objectives


def _term(
    rows: _Rows,
    term: StudentTerm,
    x_cols: IntArray,
    y_cols: IntArray,
    new_columns: Callable[[int, FloatArray | float], IntArray],
) -> tuple[IntArray, IntArray]:
    """One column ``t[s] ∈ [0, cap[s]]`` per student with a positive cap, linked to its pairs.

    ``at_most``: ``t[s] ≤ Σ`` feeding pairs of ``s``. ``at_least``: ``t[s] ≥ x_k`` for each
    feeding pair outside the flipped ones, ``t[s] ≥ 1 − x_k`` inside them (one row per pair:
    tighter than one aggregated row).
    """
    students = np.flatnonzero(term.cap > 0)
    cols = new_columns(len(students), term.cap[students].astype(np.float64))
    col_of = np.full(len(term.cap), -1, dtype=np.int64)
    col_of[students] = cols
    pair_student = np.concatenate((term.offer_student, term.slot_student)).astype(np.int64)
    pair_cols = np.concatenate((x_cols, y_cols))
    feeds = np.concatenate((term.offer_feeds, term.slot_feeds)) & (col_of[pair_student] >= 0)
    if term.kind == "at_most":
        _indicator(rows, students, cols, pair_student[feeds], pair_cols[feeds])
        return students, cols
    flipped = np.concatenate(
        (
            np.zeros(len(term.offer_student), bool)
            if term.offer_flipped is None
            else term.offer_flipped,
            np.zeros(len(term.slot_student), bool)
            if term.slot_flipped is None
            else term.slot_flipped,
        )
    )[feeds]
    k = int(feeds.sum())
    flag = col_of[pair_student[feeds]]
    # outside: x − t ≤ 0; inside: x + t ≥ 1.
    rows.add(
        np.repeat(np.arange(k), 2),
        np.column_stack((pair_cols[feeds], flag)).ravel(),
        np.column_stack((np.ones(k), np.where(flipped, 1.0, -1.0))).ravel(),
        np.where(flipped, 1.0, -INF),
        np.where(flipped, INF, 0.0),
    )
    return students, cols


def _group_term(
    rows: _Rows,
    d: ComponentData,
    term: GroupTerm,
    y_cols: IntArray,
    new_columns: Callable[[int, FloatArray | float], IntArray],
) -> tuple[IntArray, IntArray]:
    """One integer column ``c[g]`` per group that can hold anyone (the coaches of a
    (session, school) group), as :meth:`.cpsat._Model._group_term`: with ``m`` the most the
    group can hold (:meth:`~stagematch.levels.GroupTerm.most`), ``min(capacity, m) · c ≥
    outside + Σ y`` and ``c ≥ y_k`` (``c ≥ 1`` when students outside the model ride already) —
    the integer points of ⌈n / capacity⌉ with a tight relaxation. Returns the groups and their
    columns."""
    members = members_by_key(term.slot_group, len(term.outside))
    mosts = term.most(d.slot_capacity[d.slot_item])
    groups = np.flatnonzero(mosts > 0)
    cols = new_columns(len(groups), (-(-mosts[groups] // term.capacity)).astype(np.float64))
    for g, col in zip(groups.tolist(), cols.tolist(), strict=True):
        pairs, most, outside = members[g], int(mosts[g]), int(term.outside[g])
        rows.add(
            np.zeros(len(pairs) + 1),
            np.concatenate(([col], y_cols[pairs])),
            np.concatenate(([float(min(term.capacity, most))], -np.ones(len(pairs)))),
            [float(outside)],
            [INF],
        )
        if outside:
            rows.add([0], [col], [1.0], [1.0], [INF])
        elif len(pairs):
            k = len(pairs)
            rows.add(
                np.repeat(np.arange(k), 2),
                np.column_stack((np.full(k, col), y_cols[pairs])).ravel(),
                np.tile([1.0, -1.0], k),
                np.zeros(k),
                np.full(k, INF),
            )
    return groups.astype(np.int64), cols


def _indicator(
    rows: _Rows, students: IntArray, cols: IntArray, pair_student: IntArray, pair_cols: IntArray
) -> None:
    """``indicator_s − Σ pairs_s ≤ 0`` for each of ``students`` (sorted)."""
    row_of = np.full(int(pair_student.max(initial=-1)) + 1, -1, dtype=np.int64)
    row_of[students] = np.arange(len(students))
    has = row_of[pair_student] >= 0
    rows.add(
        np.concatenate((np.arange(len(students)), row_of[pair_student[has]])),
        np.concatenate((cols, pair_cols[has])),
        np.concatenate((np.ones(len(students)), -np.ones(int(has.sum())))),
        np.full(len(students), -INF),
        np.zeros(len(students)),
    )


def _workshops_beside_placements(
    rows: _Rows,
    d: ComponentData,
    students: IntArray,
    attended_cols: IntArray,
    caps: IntArray,
    x_cols: IntArray,
    y_cols: IntArray,
) -> None:
    """``attended + w·Σ_K x − Σ_F y ≤ w`` per student and clique ``K`` of its placements.

    ``w`` is the student's cap: ``min(workshops_per_student, distinct workshops in reach)``.

    ``K`` is a set of placements of which at most one can be chosen — those of one span of
    half-days, or those covering one half-day — and ``F`` the sessions that miss at least one
    placement of ``K``. If a placement of ``K`` is
    chosen, only sessions beside it count, all in ``F``; otherwise the row is ``attended ≤ w``
    plus non-negative terms. Without these rows the relaxation attends two workshops with half
    a two-week placement and four half sessions (pilot-shaped data: bound 178 for an optimum
    of 144).
    """
    x_by = members_by_key(d.offer_student, d.n_students)
    y_by = members_by_key(d.slot_student, d.n_students)
    local_rows: list[IntArray] = []
    row_cols: list[IntArray] = []
    row_vals: list[FloatArray] = []
    row_upper: list[float] = []  # each row's right-hand side: its student's cap
    count = 0
    seen: set[tuple[int, tuple[int, ...]]] = set()
    for s, col, wps in zip(students.tolist(), attended_cols.tolist(), caps.tolist(), strict=True):
        xs, ys = x_by[s], y_by[s]
        if not len(xs):
            continue
        first, last = d.offer_first[xs], d.offer_last[xs]
        s_first, s_last = d.slot_first[ys], d.slot_last[ys]
        # Per placement: how many workshops its student could still attend beside it.
        beside_each = (s_last[None, :] < first[:, None]) | (s_first[None, :] > last[:, None])
        room_of = {
            int(k): min(wps, len(np.unique(d.slot_workshop[ys[free]])))
            for k, free in zip(xs.tolist(), beside_each, strict=True)
        }
        spans = first * (int(last.max()) + 1) + last
        cliques = [xs[spans == span] for span in np.unique(spans)]
        cliques += [xs[(first <= h) & (last >= h)] for h in np.unique(first).tolist()]
        for clique in cliques:
            key = (s, tuple(clique.tolist()))
            if key in seen:
                continue
            seen.add(key)
            c_first, c_last = d.offer_first[clique], d.offer_last[clique]
            overlaps_all = np.all(
                (s_first[:, None] <= c_last) & (c_first <= s_last[:, None]), axis=1
            )
            beside = ys[~overlaps_all]
            cols = np.concatenate(([col], x_cols[clique], y_cols[beside]))
            vals = np.concatenate(([1.0], np.full(len(clique), wps), -np.ones(len(beside))))
            local_rows.append(np.full(len(cols), count))
            row_cols.append(cols)
            row_vals.append(vals)
            row_upper.append(float(wps))
            count += 1
            # With k chosen, at most the distinct workshops beside k can be attended.
            room = np.array([room_of[k] for k in clique.tolist()])
            if np.any(room < wps):
                local_rows.append(np.full(len(clique) + 1, count))
                row_cols.append(np.concatenate(([col], x_cols[clique])))
                row_vals.append(np.concatenate(([1.0], wps - room)))
                row_upper.append(float(wps))
                count += 1
    if count:
        rows.add(
            np.concatenate(local_rows),
            np.concatenate(row_cols),
            np.concatenate(row_vals),
            np.full(count, -INF),
            np.array(row_upper),
        )


def _no_overlap(rows: _Rows, d: ComponentData, x_cols: IntArray, y_cols: IntArray) -> None:
    """Rule 5: per student, the items covering each start half-day sum to at most one.

    Items are half-day intervals, so these cliques (one per distinct set) cover every overlap
    and describe each student's calendar exactly: its stable sets are its integer points.
    """
    student = np.concatenate((d.offer_student, d.slot_student)).astype(np.int64)
    first = np.concatenate((d.offer_first, d.slot_first)).astype(np.int64)
    last = np.concatenate((d.offer_last, d.slot_last)).astype(np.int64)
    cols = np.concatenate((x_cols, y_cols))
    order = np.argsort(student, kind="stable")
    bounds = np.searchsorted(student[order], np.arange(d.n_students + 1))
    local_rows: list[IntArray] = []
    row_cols: list[IntArray] = []
    count = 0
    for s in range(d.n_students):
        mine = order[bounds[s] : bounds[s + 1]]
        if len(mine) < 2:
            continue
        starts = np.unique(first[mine])
        cover = (first[mine, None] <= starts) & (last[mine, None] >= starts)
        cover = cover[:, cover.sum(axis=0) >= 2]
        if not cover.shape[1]:
            continue
        distinct = np.unique(cover, axis=1)
        item, row = np.nonzero(distinct)
        local_rows.append(count + row)
        row_cols.append(cols[mine[item]])
        count += distinct.shape[1]
    if count:
        rows.add(
            np.concatenate(local_rows),
            np.concatenate(row_cols),
            1.0,
            np.full(count, -INF),
            np.ones(count),
        )


def _min_share(
    rows: _Rows, d: ComponentData, x_cols: IntArray, new_columns: Callable[[int, float], IntArray]
) -> None:
    """Each offer's minimum QPV share: ``q·n ≤ 100·k``, or every QPV candidate holds it.

    As in :mod:`.cpsat`: where the QPV candidates left could all come, an indicator ``e``
    with ``k ≥ missing·e`` switches the share row off (big M: every seat taken by a non-QPV
    student).
    """
    items = np.flatnonzero(d.offer_min_share > 0)
    for j in items.tolist():
        share = int(d.offer_min_share[j])
        missing = int(d.offer_qpv_candidates[j] - d.offer_outside_qpv[j])
        pairs = np.flatnonzero(d.offer_item == j)
        if missing <= 0 or not len(pairs):
            continue
        qpv = d.qpv[d.offer_student[pairs]]
        # share·(held + Σx) − 100·(qpv_held + Σ qpv x) ≤ 0 (+ M·e)
        coefs = share - 100.0 * qpv
        constant = share * int(d.offer_outside_held[j]) - 100 * int(d.offer_outside_qpv[j])
        if int(qpv.sum()) < missing:
            rows.add(np.zeros(len(pairs)), x_cols[pairs], coefs, [-INF], [-constant])
            continue
        (everyone,) = new_columns(1, 1.0)
        big = share * (int(d.offer_outside_held[j]) + len(pairs))
        rows.add(
            np.zeros(len(pairs) + 1),
            np.append(x_cols[pairs], everyone),
            np.append(coefs, -big),
            [-INF],
            [-constant],
        )
        qpv_cols = x_cols[pairs[qpv]]
        rows.add(
            np.zeros(len(qpv_cols) + 1),
            np.append(qpv_cols, everyone),
            np.append(-np.ones(len(qpv_cols)), missing),
            [-INF],
            [0.0],
        )
