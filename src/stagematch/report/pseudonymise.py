"""Pseudonymous exports: student ids replaced by stable salted tokens, the key kept apart.

Hosts, associations and funders must see rosters and indicators but not who the students are.
Student ids are often the school's own numbers and so identify a child; pseudonymisation replaces
each by a token ``P-`` + the first hex digits of HMAC-SHA256(salt, student id). The salt is random
and stored only in the *key file*, written **outside** the shared folder: with the key the
coordinator maps tokens back to students; without it a token reveals nothing, and nobody can
test guesses of ids against it.

Tokens are stable for the same salt: rerunning with the same key file gives every student the same
token again, so a partner's earlier roster still matches. Eight hex digits are enough for a pilot;
when two students of a dataset would share a token, every token of that dataset gets longer, so
tokens are always unique.

:func:`pseudonymise_result` rewrites a whole :class:`~stagematch.result.Result` (its dataset too,
so ``input.json`` and every report derived from it carry only tokens); home locations and the other
columns stay, since travel times are computed from them. No names exist in the data model.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..i18n import LazyText, _, lazy_text
from ..model import Instance
from ..plan import Assignment, Plan
from ..result import Result, Unplaced

TOKEN_PREFIX = "P-"
MIN_TOKEN_HEX = 8
KEY_COLUMNS = ("token", "student_id", "salt")


def token_for(student_id: str, salt: bytes, length: int = MIN_TOKEN_HEX) -> str:
    """The token of one student id: ``P-`` + ``length`` upper-case hex digits of its HMAC."""
    digest = hmac.new(salt, student_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return TOKEN_PREFIX + digest[:length].upper()


@dataclass(frozen=True)
class Pseudonyms:
    """A salt and the tokens it gives a set of student ids (``tokens``: student id → token)."""

    salt: bytes
    tokens: Mapping[str, str]

    @classmethod
    def create(
        cls, student_ids: Iterable[str], salt: bytes | None = None, min_length: int = MIN_TOKEN_HEX
    ) -> Pseudonyms:
        """Tokens for ``student_ids`` under ``salt`` (a new random 16-byte salt by default).

        The shortest length ≥ ``min_length`` at which all tokens differ is used.
        """
        salt = salt if salt is not None else secrets.token_bytes(16)
        ids = list(dict.fromkeys(student_ids))
        length = min_length
        while True:
            tokens = {sid: token_for(sid, salt, length) for sid in ids}
            if len(set(tokens.values())) == len(tokens) or length >= 64:
                return cls(salt, tokens)
            length += 2

    @property
    def students(self) -> dict[str, str]:
        """Token → student id (the key file's content)."""
        return {token: sid for sid, token in self.tokens.items()}

    def __call__(self, student_id: str) -> str:
        return self.tokens[student_id]


def read_key_file(path: str | Path) -> Pseudonyms:
    """The salt and tokens of a key file written by :func:`write_key_file`."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        columns = tuple(reader.fieldnames or ())
    if columns[:3] != KEY_COLUMNS:
        text = _("{path} is not a stagematch key file: expected the columns {columns}")
        raise ValueError(text.format(path=path, columns=KEY_COLUMNS))
    salts = {row["salt"] for row in rows if row.get("salt")}
    if len(salts) != 1:
        text = _("{path} is not a stagematch key file: expected one salt, found {n}")
        raise ValueError(text.format(path=path, n=len(salts)))
    try:
        salt = bytes.fromhex(salts.pop())
    except ValueError:
        text = _("{path} is not a stagematch key file: the salt is not hexadecimal")
        raise ValueError(text.format(path=path)) from None
    return Pseudonyms(salt, {row["student_id"]: row["token"] for row in rows})


def write_key_file(pseudonyms: Pseudonyms, path: str | Path) -> Path:
    """Write ``token, student_id, salt`` rows atomically, readable by the owner only (0600).

    The salt is repeated on every row so that any extract of the file still reproduces tokens.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(KEY_COLUMNS)
            salt = pseudonyms.salt.hex()
            for student_id, token in pseudonyms.tokens.items():
                writer.writerow((token, student_id, salt))
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target


def default_key_path(out_dir: str | Path) -> Path:
    """``<out>.key.csv`` beside the output folder (never inside it)."""
    out = Path(out_dir)
    return out.with_name(out.name + ".key.csv")


def check_key_outside(key_file: str | Path, out_dir: str | Path) -> None:
    """Refuse a key file inside the folder that is shared: that would undo the pseudonyms."""
    key = Path(key_file).resolve()
    out = Path(out_dir).resolve()
    if key == out or out in key.parents:
        text = _(
            "the key file {key} must not be inside the output folder {out}: the folder is "
            "shared and the key maps tokens back to students"
        )
        raise ValueError(text.format(key=key_file, out=out_dir))


def pseudonyms_for(student_ids: Iterable[str], key_file: str | Path | None = None) -> Pseudonyms:
    """Tokens for ``student_ids``, reusing the salt (and tokens) of ``key_file`` when it exists.

    Students already in the key file keep their tokens; the others get tokens under the same
    salt. The returned pseudonyms cover the key file's students too, so writing them back loses
    no mapping a partner may still hold.
    """
    ids = list(dict.fromkeys(student_ids))
    if key_file is None or not Path(key_file).exists():
        return Pseudonyms.create(ids)
    known = read_key_file(key_file)
    length = max((len(t) - len(TOKEN_PREFIX) for t in known.tokens.values()), default=8)
    new = [sid for sid in ids if sid not in known.tokens]
    tokens = dict(known.tokens)
    taken = set(tokens.values())
    fresh = Pseudonyms.create(new, known.salt, min_length=length).tokens
    while taken & set(fresh.values()):
        length += 2
        fresh = Pseudonyms.create(new, known.salt, min_length=length).tokens
    tokens.update(fresh)
    return Pseudonyms(known.salt, tokens)


_WORD = re.compile(r"[^\s,;:()'\"]+")


def pseudonymise_result(result: Result, pseudonyms: Pseudonyms) -> Result:
    """The same result with every student id replaced by its token, dataset included.

    Status, levels, bounds, timings and seed are kept (they do not depend on ids); the dataset
    is rebuilt with tokens in ``students.student_id`` and in ``travel_times.origin`` rows whose
    origin is a student. Free-text details of the unplaced are scanned for ids too, so a future
    detail that names a student cannot leak it.
    """
    instance = result.instance
    ids = {s.student_id for s in instance.students}
    missing = ids - set(pseudonyms.tokens)
    if missing:
        raise KeyError(f"{len(missing)} student id(s) have no token")
    tok = pseudonyms.tokens
    students = [s.model_copy(update={"student_id": tok[s.student_id]}) for s in instance.students]
    travel = [
        t.model_copy(update={"origin": tok[t.origin]}) if t.origin in ids else t
        for t in instance.travel_times
    ]
    as_given = instance.to_dict()  # offers and sessions left out of planning included
    new_instance = Instance(
        settings=instance.settings,
        schools=instance.schools,
        students=students,
        offers=as_given["offers"],
        workshop_slots=as_given["workshop_slots"],
        travel_times=travel,
    )

    def scrub(text: str) -> str:
        """Ids replaced in the text; a translatable detail stays translatable (its
        parameters are scrubbed, so the template needs no change)."""
        if isinstance(text, LazyText):
            params = {k: scrub(v) if isinstance(v, str) else v for k, v in text.params.items()}
            return lazy_text(text.template, **params)
        return _WORD.sub(lambda m: tok.get(m.group(0), m.group(0)), text)

    def scrub_problem(problem: Problem) -> Problem:
        value = None if problem.value is None else scrub(problem.value)
        return dataclasses.replace(problem, value=value, message=scrub(problem.message))

    plan = Plan(Assignment(tok[a.student_id], a.kind, a.item_id) for a in result.plan.assignments)
    return dataclasses.replace(
        result,
        instance=new_instance,
        plan=plan,
        unplaced=tuple(
            Unplaced(tok[u.student_id], u.qpv, u.reason, scrub(u.detail)) for u in result.unplaced
        ),
        travel_minutes={(tok.get(s, s), i): m for (s, i), m in result.travel_minutes.items()},
        wish_rank={(tok.get(s, s), i): r for (s, i), r in result.wish_rank.items()},
        warnings=tuple(scrub_problem(w) for w in result.warnings),
    )
