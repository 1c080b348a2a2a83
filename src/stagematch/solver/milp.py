"""The exact model of a component as an integer program, optimised level by level with HiGHS.

The same pair model as :mod:`.cpsat` — one binary per candidate pair — written as sparse rows
for an LP-based branch and bound. Why a MILP: on pilot-size components the levels below
``placed`` are decided by how seats, half-days and workshops trade off between students, and the
linear relaxation of the pair model (its clique rows for "no overlap" describe each student's
calendar exactly) bounds them tightly, so HiGHS proves them in fractions of a second where
CP-SAT's search stalls (measured in ``docs/benchmarks.md``, section "Exact lower levels").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

from ..arrays import BoolArray, FloatArray, IntArray
from ..levels import LEVELS, GroupTerm, StudentTerm
from .cpsat import ComponentData, ComponentOutcome, LevelOutcome, _group
from .limits import Stop

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
    :mod:`stagematch.levels`), made once per key.
    """

    n_x: int
    n_y: int
    lower: FloatArray
    upper: FloatArray
    a: csr_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    levels: dict[str, tuple[FloatArray, float]]

    @property
    def n_cols(self) -> int:
        return len(self.lower)


def build(data: ComponentData, levels: list[str]) -> PairModel:
    """Rules 1, 2, 5 and 6 as rows (3 and 4 hold by construction), and ``levels``."""
    d = data
    n_x, n_y = len(d.offer_student), len(d.slot_student)
    xs = d.offer_student.astype(np.int64)
    ys = d.slot_student.astype(np.int64)
    x_cols = np.arange(n_x, dtype=np.int64)
    y_cols = n_x + np.arange(n_y, dtype=np.int64)
    rows = _Rows()
    lower = [np.zeros(n_x + n_y)]
    upper = [np.ones(n_x + n_y)]
    n_cols = n_x + n_y

    def new_columns(count: int, high: FloatArray | float) -> IntArray:
        nonlocal n_cols
        cols = n_cols + np.arange(count, dtype=np.int64)
        lower.append(np.zeros(count))
        upper.append(np.broadcast_to(np.asarray(high, dtype=np.float64), count).copy())
        n_cols += count
        return cols

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
    _min_share(rows, d, x_cols, new_columns)

    for pinned, cols in ((d.offer_pinned, x_cols), (d.slot_pinned, y_cols)):
        if pinned is not None:
            lower[0][cols[pinned]] = 1.0

    # Each level from its linear description (stagematch.levels): pair coefficients plus
    # per-student terms, whose variables are made once per key and weighted per level.
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
                term_cols[term.key] = _term(rows, term, x_cols, y_cols, new_columns)
                if term.key == "attended":
                    students, cols = term_cols[term.key]
                    _workshops_beside_placements(
                        rows, d, students, cols, term.cap[students], x_cols, y_cols
                    )
            students, cols = term_cols[term.key]
            parts[level].append((cols, term.weight[students].astype(np.float64)))
        for group in linear.groups:
            if group.key not in term_cols:
                term_cols[group.key] = _group_term(rows, d, group, y_cols, new_columns)
            _, cols = term_cols[group.key]
            parts[level].append((cols, np.ones(len(cols))))
    objectives: dict[str, tuple[FloatArray, float]] = {}
    for level, pieces in parts.items():
        coefs = np.zeros(n_cols)
        for cols, weights in pieces:
            np.add.at(coefs, cols, weights)
        objectives[level] = (coefs, constants[level])
    a, row_lower, row_upper = rows.matrix(n_cols)
    return PairModel(
        n_x,
        n_y,
        np.concatenate(lower),
        np.concatenate(upper),
        a,
        row_lower,
        row_upper,
        objectives,
    )


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
    group can hold, ``min(capacity, m) · c ≥ outside + Σ y`` and ``c ≥ y_k`` (``c ≥ 1`` when
    students outside the model ride already) — the integer points of ⌈n / capacity⌉ with a
    tight relaxation. Returns the groups and their columns."""
    members = _group(term.slot_group, len(term.outside))
    groups, highs, mosts = [], [], []
    for g, pairs in enumerate(members):
        outside = int(term.outside[g])
        most = len(pairs) + outside
        if len(pairs):
            most = min(most, outside + int(d.slot_capacity[d.slot_item[pairs[0]]]))
        if most:
            groups.append(g)
            mosts.append(most)
            highs.append(-(-most // term.capacity))
    cols = new_columns(len(groups), np.asarray(highs, dtype=np.float64))
    for g, col, most in zip(groups, cols.tolist(), mosts, strict=True):
        pairs = members[g]
        outside = int(term.outside[g])
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
    return np.asarray(groups, dtype=np.int64), cols


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
    x_by = _group(d.offer_student, d.n_students)
    y_by = _group(d.slot_student, d.n_students)
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


class _Highs:
    """One HiGHS instance holding the model; levels are set, solved and fixed in turn."""

    def __init__(self, model: PairModel, seed: int, threads: int) -> None:
        # The core class: ``highspy.Highs`` installs a logging callback that prints a banner
        # on stdout before any option can be set, which would corrupt ``solve --json -``.
        h = highspy._Highs()  # type: ignore[attr-defined]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", int(seed))
        h.setOptionValue("threads", int(threads))
        # Level values are integers: a gap below one proves them exactly (the default
        # relative gap of 1e-4 would accept a travel 1 minute worse on 10,000).
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.5)
        a = model.a
        n = model.n_cols
        status = h.passModel(
            n,
            a.shape[0],
            a.nnz,
            int(highspy.MatrixFormat.kRowwise),
            int(highspy.ObjSense.kMinimize),
            0.0,
            np.zeros(n),
            model.lower,
            model.upper,
            model.row_lower,
            model.row_upper,
            np.asarray(a.indptr, dtype=np.int32),
            np.asarray(a.indices, dtype=np.int32),
            np.asarray(a.data, dtype=np.float64),
            np.ones(n, dtype=np.int32),
        )
        if status != highspy.HighsStatus.kOk:  # pragma: no cover - a bug in build()
            raise RuntimeError(f"HiGHS refused the model: {status}")
        self.h = h
        self.n = n
        self.all_cols = np.arange(n, dtype=np.int32)
        self.status = highspy.HighsModelStatus.kNotset

    def interrupt_when(self, stop: Stop) -> None:
        """Let HiGHS end its search (simplex and branch and bound) once ``stop`` is set."""

        def check(kind: int, message: str, out: object, given: object, user: object) -> None:
            if stop.is_set():
                given.user_interrupt = True  # type: ignore[attr-defined]

        self.h.setCallback(check, None)
        for kind in (highspy.cb.kCallbackMipInterrupt, highspy.cb.kCallbackSimplexInterrupt):
            self.h.startCallback(kind)

    def optimise(
        self, coefs: FloatArray, maximise: bool, seconds: float
    ) -> tuple[FloatArray | None, float, bool]:
        """The best solution found (``None``: none), the proven bound, and whether it is proven.

        No start solution is passed: with one, HiGHS 1.16 sometimes reports an optimum that
        presolve found but returns the start's columns (a small pilot-shaped instance: optimum
        2, columns worth 1, status optimal), and on pilot-size components it did not make the
        solve measurably faster. A returned solution whose objective differs from the one HiGHS
        reports is therefore never taken as proven.
        """
        h = self.h
        h.changeColsCost(self.n, self.all_cols, coefs)
        h.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        )
        h.setOptionValue("time_limit", max(seconds, 0.01))
        h.run()
        info = h.getInfo()
        self.status = h.getModelStatus()
        proven = self.status == highspy.HighsModelStatus.kOptimal
        bound = float(info.mip_dual_bound)
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            return None, bound, False
        solution: FloatArray = np.rint(np.asarray(h.getSolution().col_value, dtype=np.float64))
        consistent = abs(float(coefs @ solution) - info.objective_function_value) < 0.5
        return solution, bound, bool(proven and consistent)

    def fix(self, coefs: FloatArray, maximise: bool, value: float) -> None:
        nz = np.flatnonzero(coefs).astype(np.int32)
        lower, upper = (value, INF) if maximise else (-INF, value)
        self.h.addRow(lower, upper, len(nz), nz, coefs[nz])


def solve_component(
    data: ComponentData,
    objective: list[str],
    fixed_levels: dict[str, int],
    hint_x: BoolArray,
    hint_y: BoolArray,
    deadline: float,
    seed: int,
    workers: int,
    *,
    stop: Stop | None = None,
) -> ComponentOutcome:
    """Optimise ``objective`` level by level within ``deadline``, as :func:`.cpsat.solve_component`.

    ``stop`` (anything with ``is_set()``) interrupts HiGHS; ``outcome.stopped_by`` says when
    the stop or the deadline cut a level short.

    Each level is fixed at the value reached before the next is optimised. The hint (the flow
    and greedy plan) is kept wherever HiGHS finds nothing better in time, so the outcome is
    never worse than the hint. Levels are reported as the returned plan has them: a level
    solved without proof may still gain while the levels below are optimised.
    """
    model = build(data, list(dict.fromkeys([*fixed_levels, *objective])))
    highs = _Highs(model, seed, workers)
    if stop is not None:
        highs.interrupt_when(stop)
    outcome = ComponentOutcome(hint_x.copy(), hint_y.copy())
    for level, value in fixed_levels.items():
        coefs, offset = model.levels[level]
        highs.fix(coefs, LEVELS[level].maximise, value - offset)
        outcome.levels[level] = LevelOutcome(value, value, True)
    remaining = [lvl for lvl in objective if lvl not in fixed_levels]

    def evaluate_level(level: str, x: BoolArray, y: BoolArray) -> int:
        return round(LEVELS[level].value(data, x, y))

    for position, level in enumerate(remaining):
        maximise = LEVELS[level].maximise
        coefs, offset = model.levels[level]
        time_left = deadline - time.monotonic()
        if stop is not None and stop.is_set():
            outcome.stopped_by = outcome.stopped_by or "interrupt"
        elif time_left <= 0:
            outcome.stopped_by = outcome.stopped_by or "time_limit"
        if outcome.stopped_by is not None:  # keep the plan; a bound without search
            value = evaluate_level(level, outcome.offer_chosen, outcome.slot_chosen)
            trivial = round(LEVELS[level].trivial_bound(data))
            outcome.levels[level] = LevelOutcome(value, trivial, value == trivial)
            highs.fix(coefs, maximise, value - offset)
            continue
        share = time_left / (len(remaining) - position)
        solution, bound, proven = highs.optimise(
            coefs, maximise, max(0.01, min(time_left, 2 * share))
        )
        if highs.status == highspy.HighsModelStatus.kInterrupt:
            outcome.stopped_by = "interrupt"
        elif highs.status == highspy.HighsModelStatus.kTimeLimit:
            outcome.stopped_by = "time_limit"
        kept = evaluate_level(level, outcome.offer_chosen, outcome.slot_chosen)
        if solution is not None:
            x = solution[: model.n_x] > 0.5
            y = solution[model.n_x : model.n_x + model.n_y] > 0.5
            found = evaluate_level(level, x, y)
            # Cut short, HiGHS may hold a solution worse on this level than the plan so far.
            if found == kept or (found > kept) == maximise:
                outcome.offer_chosen, outcome.slot_chosen = x, y
        value = evaluate_level(level, outcome.offer_chosen, outcome.slot_chosen)
        bound = value if proven else _proven_bound(bound + offset, value, maximise, data, level)
        outcome.levels[level] = LevelOutcome(value, bound, proven or value == bound)
        highs.fix(coefs, maximise, value - offset)
    for level, reached in outcome.levels.items():
        value = evaluate_level(level, outcome.offer_chosen, outcome.slot_chosen)
        outcome.levels[level] = LevelOutcome(
            value, reached.bound, reached.proven or value == reached.bound
        )
    return outcome


def _proven_bound(dual: float, value: int, maximise: bool, data: ComponentData, level: str) -> int:
    """The best bound HiGHS proved, made integral and never weaker than the trivial one.

    Cut short before its first relaxation, HiGHS reports an infinite dual bound; the value
    reached is always within the bound.
    """
    trivial = round(LEVELS[level].trivial_bound(data))
    if maximise:
        proved = math.floor(dual + 1e-6) if math.isfinite(dual) else trivial
        return max(value, min(proved, trivial))
    proved = math.ceil(dual - 1e-6) if math.isfinite(dual) else trivial
    return min(value, max(proved, trivial))


def relaxation_bounds(
    data: ComponentData,
    objective: list[str],
    achieved: dict[str, float],
    known: set[str],
    seconds: float,
    stop: Stop | None = None,
    *,
    iterations: int,
) -> dict[str, int]:
    """Bounds from the linear relaxation of the component's exact model, level by level.

    Each level's bound holds for every plan at least as good as ``achieved`` on the levels
    before it: those levels are fixed at their achieved values (``≥`` for maximised levels,
    ``≤`` for minimised ones) before the next is relaxed — the condition the search-free
    bounds of :mod:`.bounds` carry too. Levels in ``known`` (proven by the flow) are fixed
    without being solved. The interior-point method (with crossover, so the bound is that of
    an optimal basis) is capped at ``iterations`` per level (``Tuning.relaxation_iterations``),
    which does not depend on the machine, and by
    ``seconds`` of wall clock as a safety cap; a level cut short gets no bound here, and
    neither do the levels after it, nor any once ``stop`` is set.
    """
    deadline = time.monotonic() + seconds
    model = build(data, objective)
    highs = _Highs(model, 0, 1)
    if stop is not None:
        highs.interrupt_when(stop)
    h = highs.h
    h.setOptionValue("solve_relaxation", True)
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("ipm_iteration_limit", iterations)
    bounds: dict[str, int] = {}
    for level in objective:
        if level not in achieved or (stop is not None and stop.is_set()):
            break
        coefs, offset = model.levels[level]
        maximise = LEVELS[level].maximise
        if level not in known:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            h.changeColsCost(highs.n, highs.all_cols, coefs)
            h.changeObjectiveSense(
                highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
            )
            h.setOptionValue("time_limit", left)
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                break
            relaxed = float(h.getInfo().objective_function_value) + offset
            slack = 1e-6 * max(1.0, abs(relaxed))
            bounds[level] = math.floor(relaxed + slack) if maximise else math.ceil(relaxed - slack)
        highs.fix(coefs, maximise, achieved[level] - offset)
    return bounds
