"""Which solver path each component of a solve took, and which of its levels it left open.

The result says how good the plan is (levels, bounds, ``status``, ``stopped_by``), not how it
was made. To rank what misses issue 12's targets by cause, the sweep wraps the functions where
a component's path is decided — an exact task (HiGHS/CP-SAT, with the envy rows for stable
plans, the coach-group search inside HiGHS for ``coaches``), or the neighbourhood search with
the Lagrangian master's plans, the polish or the interior point's bounds — and notes, for each
component, the path, its size and the levels it left unproven. The wrappers call the wrapped
function unchanged, so the plan is the one an unwrapped solve returns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Component:
    """One component: how it was solved and what it left open."""

    path: str
    students: int
    pairs: int
    unproven: list[str] = field(default_factory=list)

    def text(self) -> str:
        open_ = ",".join(self.unproven) or "-"
        return f"{self.path}[{self.students}s/{self.pairs}p open={open_}]"


@dataclass
class Trace:
    """The components of one solve, in the order they were solved."""

    components: list[Component] = field(default_factory=list)
    marks: set[str] = field(default_factory=set)  # polish, master, lagrangian, groups


def _exact(trace: Trace, original: Any) -> Any:
    def wrapped(task: Any, *args: Any, **kwargs: Any) -> Any:
        outcome = original(task, *args, **kwargs)
        path = "exact-stable" if task.extra is not None else "exact"
        if "coaches" in task.objective:
            path += "-coaches"
        students = len(set(task.data.offer_student.tolist()) | set(task.data.slot_student.tolist()))
        pairs = len(task.hint_x) + len(task.hint_y)
        unproven = [lvl for lvl, o in outcome.levels.items() if not o.proven]
        trace.components.append(Component(path, students, pairs, unproven))
        return outcome

    return wrapped


def _searched(trace: Trace, original: Any) -> Any:
    def wrapped(context: Any, part: Any, *args: Any, **kwargs: Any) -> Any:
        before = set(trace.marks)
        trace.marks.clear()
        out = original(context, part, *args, **kwargs)
        ways = sorted(trace.marks)
        trace.marks = before | trace.marks
        path = "search" + "".join(f"+{w}" for w in ways)
        if context.stability is not None:
            path += "-stable"
        unproven = [lvl for lvl, (_, _, proven) in out.items() if not proven]
        trace.components.append(Component(path, len(part.students), part.n_pairs, unproven))
        return out

    return wrapped


def _mark(trace: Trace, original: Any, name: str) -> Any:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        if name != "lagrangian":
            trace.marks.add(name if out else f"{name}(none)")
            return out
        planning = args[5] if len(args) > 5 else kwargs.get("planning", False)
        trace.marks.add("master" if planning else "lagrangian")
        return out

    return wrapped


@contextmanager
def traced() -> Iterator[Trace]:
    """Note every component's path while the block runs (one solve at a time)."""
    from stagematch.solver import components, search

    trace = Trace()
    saved = [
        (components, "solve_exact", components.solve_exact),
        (components, "search_component", components.search_component),
        (search, "polish", search.polish),
        (search, "bounds_and_plans", search.bounds_and_plans),
        (search, "relaxation_bounds", search.relaxation_bounds),
    ]
    components.solve_exact = _exact(trace, components.solve_exact)  # type: ignore[assignment]
    components.search_component = _searched(trace, components.search_component)  # type: ignore[assignment]
    search.polish = _mark(trace, search.polish, "polish")  # type: ignore[assignment]
    search.bounds_and_plans = _mark(trace, search.bounds_and_plans, "lagrangian")  # type: ignore[assignment]
    search.relaxation_bounds = _mark(trace, search.relaxation_bounds, "relax")  # type: ignore[assignment]
    try:
        yield trace
    finally:
        for module, name, original in saved:
            setattr(module, name, original)
