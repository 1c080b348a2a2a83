"""The peers stagematch is compared with: deferred acceptance, a plain MILP, a plain CP-SAT model.

Each peer gets the *same* candidate pairs as stagematch (``stagematch.candidates``: the same
reachability and eligibility), so the comparison is about optimisation alone. Every peer returns
a :class:`~stagematch.plan.Plan`; the benchmark judges every plan with the independent checker
(``stagematch.check``), never with the peer's own objective values.

* **Deferred acceptance** (:func:`deferred_acceptance`, the ``matching`` library's
  hospital–resident game): students propose, offers accept by priority. It gives one placement
  per student and nothing else (no workshops, no second placement).
* **The straightforward model** (:func:`build_model`): one variable per candidate pair and
  every rule written out, the way one would first write it down. It is built once as a sparse
  matrix and handed to three solvers, so all three solve exactly the same model:
  HiGHS through ``highspy`` (:class:`HighsBackend`), CBC through PuLP (:class:`PulpBackend`)
  and CP-SAT with default parameters (:class:`CpSatBackend`).
* **Lexicographic levels** (:func:`lexicographic`): the obvious approach — optimise the first
  level, fix it at the value reached, optimise the next, and so on, the previous solution given
  as a warm start (MILP) or hint (CP-SAT). The time limit covers the model build and all
  levels; each level gets an equal share of what is left.

This module imports ``matching``, ``pulp`` and ``highspy`` only inside the functions that need
them: they are in the ``bench`` extra, not in the core dependencies, and the smoke test skips
what is missing.
"""

from __future__ import annotations

import math
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

from stagematch.candidates import Candidates
from stagematch.model import MAXIMISED_LEVELS, Instance
from stagematch.plan import Assignment, Plan

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --------------------------------------------------------------------------------------------
# Deferred acceptance


def deferred_acceptance(instance: Instance, cand: Candidates) -> Plan:
    """Student-proposing deferred acceptance with the ``matching`` library (one placement each).

    Students are the residents; each ranks its candidate offers by (wish cost, minutes, offer
    row). Offers are the hospitals; each ranks the students who listed it QPV first, then by
    minutes, then by student row (ties need a strict order).

    Reserved seats are *minority reserves*: an offer with ``qpv_reserved`` > 0 is split into a
    reserved copy (``qpv_reserved`` seats, listed by QPV students only) and an open copy (the
    other seats, anyone). A QPV student lists the reserved copy just before the open copy of
    the same offer, so QPV students fill the seats others may not take before competing for
    the open ones. Both copies are the same offer in the plan, so rule 2 holds by construction.

    The players are built with the library's public ``Player`` and ``Hospital`` classes and
    solved by its Gale–Shapley implementation, ``matching.algorithms.hospital_resident``
    (resident-optimal). The ``HospitalResident`` game wrapper is not used: it deep-copies the
    players (a recursion that overflows Python's stack from about 1,000 students, the players
    linking to each other) and checks its inputs in time quadratic in the players; the inputs
    here are consistent by construction.

    Why this peer: it is the textbook mechanism for school and residency matching, stable and
    strategy-proof for students, and what a coordinator might reach for first. It optimises
    nobody's count, so it shows what the flow's proof is worth on ``qpv_placed`` and
    ``placed``.
    """
    from matching import Player
    from matching.algorithms import hospital_resident
    from matching.players import Hospital

    arrays = instance.arrays
    student = cand.offers.student.astype(np.int64)
    item = cand.offers.item.astype(np.int64)
    minutes = cand.offers.minutes.astype(np.float64)
    qpv = arrays.qpv
    capacity = arrays.offers.capacity
    reserved = arrays.offers.reserved
    residents: dict[int, Any] = {}
    hospitals: dict[tuple[str, int], Any] = {}

    def hospital(kind: str, o: int) -> Any:
        found = hospitals.get((kind, o))
        if found is None:
            seats = reserved[o] if kind == "r" else capacity[o] - reserved[o]
            found = hospitals[(kind, o)] = Hospital(name=(kind, o), capacity=int(seats))
        return found

    # Student side: by wish cost, then minutes, then offer row (lexsort keys are last-first).
    order = np.lexsort((item, minutes, cand.offer_cost, student))
    prefs: dict[int, list[Any]] = {}
    for s, o in zip(student[order].tolist(), item[order].tolist(), strict=True):
        mine = prefs.setdefault(s, [])
        if reserved[o] > 0 and qpv[s]:
            mine.append(hospital("r", o))
        if capacity[o] > reserved[o]:
            mine.append(hospital("o", o))
    for s, mine in prefs.items():
        residents[s] = Player(name=s)
        residents[s].set_prefs(mine)
    # Offer side: QPV first, then minutes, then student row.
    order = np.lexsort((student, minutes, ~qpv[student], item))
    ranked: dict[tuple[str, int], list[Any]] = {}
    for s, o in zip(student[order].tolist(), item[order].tolist(), strict=True):
        if reserved[o] > 0 and qpv[s]:
            ranked.setdefault(("r", o), []).append(residents[s])
        if capacity[o] > reserved[o]:
            ranked.setdefault(("o", o), []).append(residents[s])
    for key, players in ranked.items():
        hospitals[key].set_prefs(players)
    matching = hospital_resident(list(residents.values()), list(hospitals.values()), "resident")
    ids = arrays.student_ids
    offer_ids = arrays.offers.ids
    return Plan(
        Assignment(ids[r.name], "placement", offer_ids[h.name[1]])
        for h, matched in matching.items()
        for r in matched
    )


# --------------------------------------------------------------------------------------------
# The straightforward model


@dataclass(frozen=True, eq=False)
class LinearModel:
    """``A v ≤ upper``, ``lower ≤ v ≤ col_upper``, every ``v`` integer; one objective per level.

    Columns, in order: one binary per candidate placement pair (``x``), one binary per candidate
    session pair (``y``), one binary ``placed`` per student with a candidate offer, and one
    integer ``attended`` (0..``workshops_per_student``) per student with a candidate session
    when workshops are wanted.

    ``levels`` maps each level to its objective coefficients (dense, one per column) and
    whether it is maximised. ``integral_levels`` names the levels whose coefficients are all
    whole numbers, so a level can be fixed at exactly its value reached.
    """

    n_x: int
    n_y: int
    col_upper: FloatArray
    a: csr_matrix
    upper: FloatArray
    levels: dict[str, tuple[FloatArray, bool]]
    objective: tuple[str, ...]
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return len(self.col_upper)


class _Rows:
    """Collects sparse rows ``Σ coef · v ≤ upper`` as coordinate arrays."""

    def __init__(self) -> None:
        self.row: list[npt.NDArray[np.int32]] = []
        self.col: list[npt.NDArray[np.int32]] = []
        self.val: list[FloatArray] = []
        self.upper: list[FloatArray] = []
        self.count = 0

    def groups(self, keys: IntArray, cols: IntArray, limit: FloatArray) -> int:
        """One row ``Σ_{cols with key k} v ≤ limit[k]`` for each key k it can bind.

        A row whose variables cannot exceed its limit even all at one is left out: it is
        redundant, and every modeller would drop it.
        """
        counts = np.bincount(keys, minlength=len(limit))
        binding = counts > limit
        row_of = np.full(len(limit), -1, dtype=np.int64)
        row_of[binding] = self.count + np.arange(int(binding.sum()))
        keep = binding[keys]
        self.add(row_of[keys[keep]], cols[keep], np.ones(int(keep.sum())), limit[binding])
        return int(binding.sum())

    def add(self, row: IntArray, col: IntArray, val: FloatArray, upper: FloatArray) -> None:
        """Rows numbered ``self.count ..`` (``row`` already in that numbering)."""
        self.row.append(np.asarray(row, dtype=np.int32))  # int32: 10,000 students make
        self.col.append(np.asarray(col, dtype=np.int32))  # ~80 M nonzeros
        self.val.append(np.asarray(val, dtype=np.float64))
        self.upper.append(np.asarray(upper, dtype=np.float64))
        self.count += len(upper)

    def matrix(self, n_cols: int) -> tuple[csr_matrix, FloatArray]:
        """The rows as one CSR matrix (the pieces are released as they are joined)."""
        row = np.concatenate(self.row) if self.row else np.zeros(0, np.int32)
        self.row = []
        col = np.concatenate(self.col) if self.col else np.zeros(0, np.int32)
        self.col = []
        val = np.concatenate(self.val) if self.val else np.zeros(0)
        self.val = []
        upper = np.concatenate(self.upper) if self.upper else np.zeros(0)
        a = csr_matrix((val, (row, col)), shape=(self.count, n_cols))
        a.sort_indices()
        return a, upper


def build_model(instance: Instance, cand: Candidates) -> LinearModel:
    """The whole problem as one integer program over every candidate pair.

    Rules 3 and 4 hold because only candidate pairs have variables. The rows:

    * capacity of every offer and slot (rule 1), and non-QPV seats ≤ capacity − reserved where
      seats are reserved (rule 2);
    * placements per student ≤ ``max_placements_per_student`` (1 when ``split_ok`` is false),
      at most one session of each workshop (rule 6);
    * no overlap (rule 5): for each student and half-day, the items covering it sum to ≤ 1;
      identical rows of a student (consecutive half-days covered by the same items) are kept
      once;
    * ``placed_s ≤ Σ x_s`` and ``attended_s ≤ Σ y_s``, the indicators the first levels count.

    Coverage is then Σ length × v (no two chosen items of a student overlap), preference
    Σ cost × x, travel Σ minutes × v.
    """
    arrays = instance.arrays
    settings = instance.settings
    n = arrays.n_students
    xs = cand.offers.student.astype(np.int64)
    xi = cand.offers.item.astype(np.int64)
    ys = cand.slots.student.astype(np.int64)
    yi = cand.slots.item.astype(np.int64)
    n_x, n_y = len(xs), len(ys)
    qpv = arrays.qpv
    offers, slots = arrays.offers, arrays.slots

    placed_students = np.flatnonzero(np.bincount(xs, minlength=n) > 0)
    wps = int(settings.workshops_per_student)
    workshop = slots.group[yi]
    n_workshops = max(len(slots.group_ids), 1)
    pair_keys, workshop_pairs = np.unique(ys * n_workshops + workshop, return_inverse=True)
    if wps > 0:
        distinct = np.bincount(pair_keys // n_workshops, minlength=n)
        attend_students = np.flatnonzero(distinct > 0)
        attend_upper = np.minimum(distinct[attend_students], wps).astype(np.float64)
    else:
        attend_students = np.zeros(0, np.int64)
        attend_upper = np.zeros(0)
    placed_col = n_x + n_y
    attend_col = placed_col + len(placed_students)
    n_cols = attend_col + len(attend_students)
    col_upper = np.concatenate((np.ones(placed_col + len(placed_students)), attend_upper))

    rows = _Rows()
    stats: dict[str, int] = {}
    x_cols = np.arange(n_x, dtype=np.int64)
    y_cols = n_x + np.arange(n_y, dtype=np.int64)
    capacity = offers.capacity.astype(np.float64)
    stats["capacity"] = rows.groups(xi, x_cols, capacity)
    stats["capacity"] += rows.groups(yi, y_cols, slots.capacity.astype(np.float64))
    open_seats = np.where(offers.reserved > 0, capacity - offers.reserved, np.inf)
    others = ~qpv[xs]
    stats["reserved"] = rows.groups(xi[others], x_cols[others], open_seats)
    slot_open = np.where(
        slots.reserved > 0, slots.capacity.astype(np.float64) - slots.reserved, np.inf
    )
    others = ~qpv[ys]
    stats["reserved"] += rows.groups(yi[others], y_cols[others], slot_open)
    stats["placements"] = rows.groups(xs, x_cols, arrays.max_placements.astype(np.float64))
    stats["workshop_once"] = rows.groups(workshop_pairs, y_cols, np.ones(len(pair_keys)))
    stats["overlap"] = _overlap_rows(rows, instance, cand)
    # Indicators: placed_s - Σ x_s ≤ 0, attended_s - Σ y_s ≤ 0.
    for students, first_col, pair_student, pair_cols in (
        (placed_students, placed_col, xs, x_cols),
        (attend_students, attend_col, ys, y_cols),
    ):
        if not len(students):
            continue
        row_of = np.full(n, -1, dtype=np.int64)
        row_of[students] = rows.count + np.arange(len(students))
        has = row_of[pair_student] >= 0
        rows.add(
            np.concatenate((row_of[students], row_of[pair_student[has]])),
            np.concatenate((first_col + np.arange(len(students)), pair_cols[has])),
            np.concatenate((np.ones(len(students)), -np.ones(int(has.sum())))),
            np.zeros(len(students)),
        )
    a, upper = rows.matrix(n_cols)

    def vector(values: dict[int, FloatArray]) -> FloatArray:
        out = np.zeros(n_cols)
        for start, part in values.items():
            out[start : start + len(part)] = part
        return out

    x_len = (offers.last_half_day - offers.first_half_day + 1)[xi].astype(np.float64)
    y_len = (slots.last_half_day - slots.first_half_day + 1)[yi].astype(np.float64)
    levels_all = {
        "qpv_placed": vector({placed_col: qpv[placed_students].astype(np.float64)}),
        "placed": vector({placed_col: np.ones(len(placed_students))}),
        "workshops": vector({attend_col: np.ones(len(attend_students))}),
        "coverage": vector({0: x_len, n_x: y_len}),
        "preference": vector({0: cand.offer_cost.astype(np.float64)}),
        "travel": vector(
            {0: cand.offers.minutes.astype(np.float64), n_x: cand.slots.minutes.astype(np.float64)}
        ),
    }
    objective = tuple(settings.objective)
    stats.update(columns=n_cols, rows=a.shape[0], nonzeros=a.nnz)
    return LinearModel(
        n_x=n_x,
        n_y=n_y,
        col_upper=col_upper,
        a=a,
        upper=upper,
        levels={k: (levels_all[k], k in MAXIMISED_LEVELS) for k in objective},
        objective=objective,
        stats=stats,
    )


def _overlap_rows(rows: _Rows, instance: Instance, cand: Candidates) -> int:
    """Per student and half-day: the items covering it sum to ≤ 1 (identical rows once)."""
    arrays = instance.arrays
    n = arrays.n_students
    n_x = len(cand.offers)
    xi = cand.offers.item
    yi = cand.slots.item
    first = np.concatenate(
        (arrays.offers.first_half_day[xi], arrays.slots.first_half_day[yi])
    ).astype(np.int64)
    last = np.concatenate((arrays.offers.last_half_day[xi], arrays.slots.last_half_day[yi])).astype(
        np.int64
    )
    x_ptr = cand.offers.indptr(n)
    y_ptr = cand.slots.indptr(n)
    half_days = np.arange(arrays.n_half_days)
    added = 0
    for s in range(n):
        cols = np.concatenate(
            (np.arange(x_ptr[s], x_ptr[s + 1]), n_x + np.arange(y_ptr[s], y_ptr[s + 1]))
        )
        if len(cols) < 2:
            continue
        cover = (first[cols, None] <= half_days) & (last[cols, None] >= half_days)
        cover = cover[:, cover.sum(axis=0) >= 2]
        if not cover.shape[1]:
            continue
        distinct = np.unique(cover, axis=1)
        item, row = np.nonzero(distinct)
        k = distinct.shape[1]
        rows.add(rows.count + row, cols[item], np.ones(len(item)), np.ones(k))
        added += k
    return added


def plan_from_values(instance: Instance, cand: Candidates, values: FloatArray) -> Plan:
    """The plan of a solution vector: every ``x`` or ``y`` column at 1 is an assignment."""
    arrays = instance.arrays
    ids = arrays.student_ids
    n_x = len(cand.offers)
    chosen_x = np.flatnonzero(values[:n_x] > 0.5)
    chosen_y = np.flatnonzero(values[n_x : n_x + len(cand.slots)] > 0.5)
    return Plan(
        [
            Assignment(
                ids[cand.offers.student[k]], "placement", arrays.offers.ids[cand.offers.item[k]]
            )
            for k in chosen_x
        ]
        + [
            Assignment(ids[cand.slots.student[k]], "workshop", arrays.slots.ids[cand.slots.item[k]])
            for k in chosen_y
        ]
    )


# --------------------------------------------------------------------------------------------
# Solvers behind one interface, and the lexicographic loop


@dataclass
class Solved:
    """One level's solve: the solution (``None`` when none was found) and whether it is proven."""

    values: FloatArray | None
    proven: bool


class Backend(Protocol):
    """What :func:`lexicographic` needs from a solver."""

    name: str

    def set_objective(self, coefs: FloatArray, maximise: bool) -> None: ...

    def warm_start(self, values: FloatArray) -> None: ...

    def solve(self, seconds: float) -> Solved: ...

    def fix(self, coefs: FloatArray, maximise: bool, value: float) -> None: ...


@dataclass
class LevelRecord:
    """What the loop reached on one level (the solver's own value; the benchmark rechecks)."""

    value: float | None
    proven: bool
    seconds: float
    found: bool


@dataclass
class LexOutcome:
    values: FloatArray | None
    levels: dict[str, LevelRecord]
    build_seconds: float
    stopped: str  # "proven", "limit" or "no solution"
    errors: list[str] = field(default_factory=list)  # solver failures, level by level


def lexicographic(
    model: LinearModel,
    make_backend: Callable[[LinearModel], Backend],
    time_limit: float,
    started: float | None = None,
    on_level: Callable[[str, LevelRecord], None] | None = None,
) -> LexOutcome:
    """Build the backend, then optimise ``model.objective`` level by level within the limit.

    ``started`` is when the clock started (``time.monotonic``; default now): the limit covers
    building too. Each level gets an equal share of the time left; after it, the level is
    fixed at the value reached (``≥`` for maximised levels, ``≤`` otherwise) and the solution
    is the warm start of the next. A level that finds nothing keeps the previous solution; the
    first level, when it finds nothing in its share, is solved again with all the time left
    (without a first solution there is nothing to go on with), and failing that there is no
    plan.
    """
    started = time.monotonic() if started is None else started
    deadline = started + time_limit
    backend = make_backend(model)
    build_seconds = time.monotonic() - started
    incumbent: FloatArray | None = None
    levels: dict[str, LevelRecord] = {}
    all_proven = True
    for i, name in enumerate(model.objective):
        coefs, maximise = model.levels[name]
        left = deadline - time.monotonic()
        if left <= 0:
            all_proven = False
            break
        begin = time.monotonic()
        backend.set_objective(coefs, maximise)
        if incumbent is not None:
            backend.warm_start(incumbent)
        solved = backend.solve(left / (len(model.objective) - i))
        left = deadline - time.monotonic()
        if solved.values is None and incumbent is None and left > 0:
            # Nothing to fix a level at, so nothing to go on with: this level gets the rest.
            solved = backend.solve(left)
        if solved.values is not None:
            incumbent = solved.values
        all_proven &= solved.proven
        value = None if incumbent is None else float(coefs @ incumbent)
        record = LevelRecord(
            value, solved.proven, time.monotonic() - begin, solved.values is not None
        )
        levels[name] = record
        if on_level is not None:
            on_level(name, record)
        if value is None:
            break
        backend.fix(coefs, maximise, value)
    if incumbent is None:
        stopped = "no solution"
    else:
        stopped = "proven" if all_proven and len(levels) == len(model.objective) else "limit"
    return LexOutcome(incumbent, levels, build_seconds, stopped, getattr(backend, "errors", []))


def _fixed_bound(coefs: FloatArray, maximise: bool, value: float) -> float:
    """The bound that fixes a level at ``value`` without cutting off the solution reaching it."""
    if np.all(coefs == np.round(coefs)):
        return math.floor(value + 1e-6) if maximise else math.ceil(value - 1e-6)
    return value - 1e-6 * max(1.0, abs(value)) if maximise else value + 1e-6 * max(1.0, abs(value))


class HighsBackend:
    """HiGHS through ``highspy``: the whole matrix passed at once (no modelling layer)."""

    name = "highs"

    def __init__(self, model: LinearModel) -> None:
        import highspy

        self.highspy = highspy
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
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
            np.zeros(n),
            model.col_upper,
            np.full(a.shape[0], -highspy.kHighsInf),
            model.upper,
            np.asarray(a.indptr, dtype=np.int32),
            np.asarray(a.indices, dtype=np.int32),
            np.asarray(a.data, dtype=np.float64),
            np.ones(n, dtype=np.int32),  # kInteger
        )
        if status != highspy.HighsStatus.kOk:
            raise RuntimeError(f"HiGHS refused the model: {status}")
        self.h = h
        self.n = n
        self.all_cols = np.arange(n, dtype=np.int32)

    def set_objective(self, coefs: FloatArray, maximise: bool) -> None:
        self.h.changeColsCost(self.n, self.all_cols, coefs)
        sense = self.highspy.ObjSense.kMaximize if maximise else self.highspy.ObjSense.kMinimize
        self.h.changeObjectiveSense(sense)

    def warm_start(self, values: FloatArray) -> None:
        self.h.setSolution(self.n, self.all_cols, values)

    def solve(self, seconds: float) -> Solved:
        self.h.setOptionValue("time_limit", max(seconds, 0.1))  # per run, not cumulative
        self.h.run()
        status = self.h.getModelStatus()
        info = self.h.getInfo()
        if info.primal_solution_status != 2:  # kSolutionStatusFeasible
            return Solved(None, False)
        values = np.asarray(self.h.getSolution().col_value, dtype=np.float64)
        return Solved(np.round(values), status == self.highspy.HighsModelStatus.kOptimal)

    def fix(self, coefs: FloatArray, maximise: bool, value: float) -> None:
        nz = np.flatnonzero(coefs).astype(np.int32)
        bound = _fixed_bound(coefs, maximise, value)
        inf = self.highspy.kHighsInf
        lower, upper = (bound, inf) if maximise else (-inf, bound)
        self.h.addRow(lower, upper, len(nz), nz, coefs[nz])


class PulpBackend:
    """CBC through PuLP: variables and rows built one by one, as PuLP models are written."""

    name = "cbc"

    def __init__(self, model: LinearModel) -> None:
        import pulp

        self.pulp = pulp
        prob = pulp.LpProblem("peers", pulp.LpMinimize)
        upper = model.col_upper
        self.variables = [
            prob.add_variable(
                f"v{j}", 0, upper[j], cat=pulp.LpBinary if upper[j] == 1 else pulp.LpInteger
            )
            for j in range(model.n_cols)
        ]
        a = model.a
        v = self.variables
        for r in range(a.shape[0]):
            lo, hi = a.indptr[r], a.indptr[r + 1]
            expr = pulp.LpAffineExpression(
                zip([v[j] for j in a.indices[lo:hi]], a.data[lo:hi].tolist(), strict=True)
            )
            prob.addConstraint(
                pulp.LpConstraint(expr, pulp.LpConstraintLE, rhs=float(model.upper[r]))
            )
        self.prob = prob
        self.warm = False
        self.errors: list[str] = []

    def _expr(self, coefs: FloatArray) -> Any:
        nz = np.flatnonzero(coefs)
        return self.pulp.LpAffineExpression(
            zip([self.variables[j] for j in nz], coefs[nz].tolist(), strict=True)
        )

    def set_objective(self, coefs: FloatArray, maximise: bool) -> None:
        self.prob.setObjective(self._expr(coefs))
        self.prob.sense = self.pulp.LpMaximize if maximise else self.pulp.LpMinimize

    def warm_start(self, values: FloatArray) -> None:
        for var, value in zip(self.variables, values.tolist(), strict=True):
            var.setInitialValue(value)
        self.warm = True

    def solve(self, seconds: float) -> Solved:
        pulp = self.pulp
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "cbc.log"
            with warnings.catch_warnings():  # PuLP 3.3 announces CBC's move to an extra in 4.0
                warnings.simplefilter("ignore", DeprecationWarning)
                solver = pulp.PULP_CBC_CMD(
                    msg=False, timeLimit=max(seconds, 1.0), warmStart=self.warm, logPath=str(log)
                )
            try:
                self.prob.solve(solver)
            except pulp.PulpSolverError:
                # CBC exited with an error: the level gets no solution, the reason is kept.
                text = log.read_text(errors="replace") if log.exists() else ""
                self.errors.append("CBC failed: " + " / ".join(text.strip().splitlines()[-3:]))
                return Solved(None, False)
        if self.prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            return Solved(None, False)
        values = np.array([var.varValue or 0.0 for var in self.variables])
        return Solved(np.round(values), self.prob.sol_status == pulp.LpSolutionOptimal)

    def fix(self, coefs: FloatArray, maximise: bool, value: float) -> None:
        pulp = self.pulp
        sense = pulp.LpConstraintGE if maximise else pulp.LpConstraintLE
        bound = _fixed_bound(coefs, maximise, value)
        self.prob.addConstraint(pulp.LpConstraint(self._expr(coefs), sense, rhs=bound))


class CpSatBackend:
    """The same model in CP-SAT, solved with default parameters (all cores as workers).

    CP-SAT needs whole coefficients: travel minutes are rounded (the generator's minutes are
    whole numbers already).
    """

    name = "cpsat"

    def __init__(self, model: LinearModel) -> None:
        from ortools.sat.python import cp_model

        self.cp_model = cp_model
        m = cp_model.CpModel()
        upper = model.col_upper.astype(np.int64).tolist()
        self.variables = [m.new_int_var(0, u, f"v{j}") for j, u in enumerate(upper)]
        a = model.a
        v = self.variables
        data = np.rint(a.data).astype(np.int64)
        for r in range(a.shape[0]):  # row by row: whole-matrix Python lists would not fit
            lo, hi = a.indptr[r], a.indptr[r + 1]
            m.add(
                cp_model.LinearExpr.weighted_sum(
                    [v[j] for j in a.indices[lo:hi].tolist()], data[lo:hi].tolist()
                )
                <= int(model.upper[r])
            )
        self.model = m
        self.workers = 0

    def _expr(self, coefs: FloatArray) -> Any:
        nz = np.flatnonzero(coefs)
        return self.cp_model.LinearExpr.weighted_sum(
            [self.variables[j] for j in nz], np.rint(coefs[nz]).astype(np.int64).tolist()
        )

    def set_objective(self, coefs: FloatArray, maximise: bool) -> None:
        if maximise:
            self.model.maximize(self._expr(coefs))
        else:
            self.model.minimize(self._expr(coefs))

    def warm_start(self, values: FloatArray) -> None:
        self.model.clear_hints()
        for var, value in zip(
            self.variables, np.rint(values).astype(np.int64).tolist(), strict=True
        ):
            self.model.add_hint(var, value)

    def solve(self, seconds: float) -> Solved:
        cp_model = self.cp_model
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(seconds, 0.1)
        status = solver.solve(self.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return Solved(None, False)
        self.workers = int(solver.parameters.num_workers)
        values = np.array(solver.response_proto.solution, dtype=np.float64)
        return Solved(values, status == cp_model.OPTIMAL)

    def fix(self, coefs: FloatArray, maximise: bool, value: float) -> None:
        bound = int(_fixed_bound(np.rint(coefs), maximise, value))
        expr = self._expr(coefs)
        self.model.add(expr >= bound if maximise else expr <= bound)


BACKENDS: dict[str, Callable[[LinearModel], Backend]] = {
    "highs": HighsBackend,
    "cbc": PulpBackend,
    "cpsat": CpSatBackend,
}
"""Solver name → backend class; each solves the same :class:`LinearModel`."""
