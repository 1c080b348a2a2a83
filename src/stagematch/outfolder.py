"""Output folders that cannot be mixed up: whose folder it is, who is writing, and all at once.

A plan is written into a folder that either does not exist, is empty, or already holds a
stagematch plan (a ``summary.json`` of ours and nothing but stagematch's files): anything else
is refused, since replacing it would lose the user's files, unless ``force`` is given. Then
stagematch's files are replaced one by one (each whole) and the others are left as they are.

Otherwise the whole plan is written into a temporary folder beside the target and swapped in
with two renames, so the folder holds the old plan or the new one, never a mix: a stale
``report.xlsx`` from an earlier run does not survive next to a new ``assignments.csv``.

Two writers are kept apart by a lock file beside the folder (``.NAME.lock``, left in place:
removing it would let a third writer in while a second still holds the old one). The second
writer gets :class:`FolderBusyError` at once, before it spends time solving.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from .i18n import _

Writer = Callable[[Path], None]

OUTPUT_NAMES = frozenset(
    {
        "assignments.csv",
        "unplaced.csv",
        "summary.json",
        "input.json",
        "report.xlsx",
        "report.html",
        "changes.csv",
        "letters_changed.csv",
        "transport.csv",
        "letters",
    }
)
"""Every file stagematch writes into a plan folder."""


class ForeignFolderError(FileExistsError):
    """The output folder holds something other than a stagematch plan."""


class FolderBusyError(OSError):
    """Another stagematch is writing to the same output folder."""


def lock_path(out: str | Path) -> Path:
    """The lock file of an output folder: beside it, hidden."""
    target = _absolute(out)
    return target.parent / f".{target.name}.lock"


def is_plan(folder: Path) -> bool:
    """Whether ``folder`` holds a ``summary.json`` written by stagematch."""
    try:
        summary = json.loads((folder / "summary.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and str(summary.get("input_hash", "")).startswith("sha256:")


def foreign_entries(folder: Path) -> list[str]:
    """What in ``folder`` is not stagematch's (everything, when it is not a plan folder)."""
    if not folder.is_dir():
        return []
    names = sorted(p.name for p in folder.iterdir())
    if not names:
        return []
    if not is_plan(folder):
        return names
    return [n for n in names if n not in OUTPUT_NAMES]


def _absolute(out: str | Path) -> Path:
    """An absolute path without resolving symbolic links (a link stays the user's link)."""
    return Path(os.path.abspath(out))


class PlanFolder:
    """The output folder of one run, locked for the run and written whole.

    Use it as a context manager around the work whose result it will hold (the lock is taken
    first, so a second run is refused before it solves)::

        with PlanFolder("plan/") as folder:
            result = solve(instance)
            folder.write({"summary.json": ..., ...})

    Raises
    ------
    FolderBusyError
        On entering, when another run holds the folder.
    ForeignFolderError
        On entering, when the folder holds files that are not stagematch's and ``force`` is off.
    """

    def __init__(self, out: str | Path, *, force: bool = False) -> None:
        self.path = _absolute(out)
        self.force = force
        self._lock = FileLock(lock_path(self.path), timeout=0)

    def __enter__(self) -> PlanFolder:
        if self.path.exists() and not self.path.is_dir():
            raise NotADirectoryError(_("{out} exists and is not a folder").format(out=self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            raise FolderBusyError(
                _(
                    "another stagematch is writing to {out}: wait for it to finish or choose "
                    "another folder (lock file {lock})"
                ).format(out=self.path, lock=self._lock.lock_file)
            ) from None
        try:
            self.check()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()

    def check(self) -> None:
        """Refuse a folder that holds files that are not stagematch's (unless ``force``)."""
        foreign = foreign_entries(self.path)
        if foreign and not self.force:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise ForeignFolderError(
                _(
                    "{out} holds files that are not a stagematch plan ({names}): choose an empty "
                    "or new folder, or add --force to write the plan's files among them"
                ).format(out=self.path, names=shown)
            )

    def write(self, writers: dict[str, Writer]) -> Path:
        """Write every file (``name → writer(path)``) and put them in place all at once.

        Nothing changes in the folder unless every writer succeeded.
        """
        self.check()  # the folder may have changed while the plan was being solved
        with _staging(self.path) as staging:
            for name, write in writers.items():
                write(staging / name)
            if foreign_entries(self.path) or self.path.is_symlink():
                self._replace_files(staging, writers)
            else:
                self._swap(staging)
        return self.path

    def _swap(self, staging: Path) -> None:
        """Two renames: the old plan moves aside, the new one takes its name."""
        if not self.path.exists():
            os.rename(staging, self.path)
            return
        old = self.path.parent / f".{self.path.name}.old-{uuid.uuid4().hex[:12]}"
        os.rename(self.path, old)
        try:
            os.rename(staging, self.path)
        except BaseException:
            os.rename(old, self.path)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def _replace_files(self, staging: Path, writers: dict[str, Writer]) -> None:
        """Among files that are not ours (``force``): ours replaced one by one, each whole;
        stagematch files this run did not write are removed so no stale one stays beside."""
        for name in OUTPUT_NAMES - set(writers):
            _remove(self.path / name)
        for name in writers:
            if (staging / name).is_dir():  # a folder of ours (letters/) is replaced whole
                _remove(self.path / name)
            os.replace(staging / name, self.path / name)


def _remove(path: Path) -> None:
    """A file or folder of ours, gone (nothing when absent; a link is removed, not followed)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextmanager
def _staging(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` (same file system, so renames are atomic), with
    the permissions a new folder would get; removed whatever happens."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)
