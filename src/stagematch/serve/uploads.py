"""A request body to a validated dataset, refusing what is too big, hostile or not a dataset.

A dataset arrives as a JSON document (``application/json``), a workbook or a zip of CSV files —
sent as the body itself (with its content type) or as the ``file`` field of a
``multipart/form-data`` form. Multipart bodies are parsed in memory, so nothing of an upload
is written to disk but the table files the loader reads, inside the data folder's scratch
space; they are named by stagematch (``students.csv``…), never after the names in the upload.

Archives are inspected before anything is unpacked: a zip (or a workbook, which is a zip) whose
members would unpack to more than the limit, or with too many members, encrypted members,
links, or names that climb out of the archive, is refused with a ``400``.
"""

from __future__ import annotations

import io
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from python_multipart.multipart import MultipartParser, parse_options_header

from ..api import load_json_dataset
from ..errors import InvalidInputError, Problem
from ..i18n import N_, _, format_number, lazy_text
from ..io import load
from ..model import TABLES, Instance

__all__ = ["MEDIA_TYPES", "Upload", "UploadError", "load_upload", "read_upload"]

Kind = Literal["json", "workbook", "zip"]

MEDIA_TYPES: dict[str, Kind] = {
    "application/json": "json",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "workbook",
    "application/vnd.ms-excel.sheet.macroenabled.12": "workbook",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
}
"""Content types accepted as a dataset (also for the ``file`` part of a form)."""

SUFFIXES: dict[str, Kind] = {
    ".json": "json",
    ".xlsx": "workbook",
    ".xlsm": "workbook",
    ".zip": "zip",
}

MAX_MEMBERS = 1000
"""More members than this in a zip (or a workbook) is not a dataset."""

MAX_FORM_PARTS = 20

TABLE_FILES = frozenset(
    [f"{table}.csv" for table in TABLES] + ["settings.toml"]
)  # settings may be settings.csv or settings.toml


class UploadError(Exception):
    """A request that cannot be read as a dataset: an HTTP status and one plain sentence."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code, self.message = status_code, message


@dataclass(frozen=True)
class Upload:
    kind: Kind
    data: bytes


def read_upload(body: bytes, content_type: str | None) -> Upload:
    """What kind of dataset ``body`` is, from its content type (or its form part's)."""
    media, params = parse_options_header(content_type or "")
    media_type = media.decode("latin-1").lower()
    if media_type == "multipart/form-data":
        boundary = params.get(b"boundary")
        if not boundary:
            raise UploadError(400, _("the multipart body has no boundary"))
        return _form_file(body, boundary)
    kind = MEDIA_TYPES.get(media_type)
    if kind is None:
        raise UploadError(415, _unsupported(media_type or _("no content type")))
    return Upload(kind, body)


def _unsupported(what: str) -> str:
    return _(
        "unsupported content type ({what}): send a JSON dataset as application/json, a "
        "workbook (.xlsx) or a zip of CSV files, as the body or as the 'file' field of a "
        "multipart/form-data form"
    ).format(what=what)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)


def _form_parts(body: bytes, boundary: bytes) -> list[_Part]:
    """The parts of a multipart body, parsed in memory."""
    parts: list[_Part] = []
    header_field, header_value = bytearray(), bytearray()
    ended = False

    def begin() -> None:
        if len(parts) >= MAX_FORM_PARTS:
            message = _("the form has more than {limit} fields")
            raise UploadError(400, message.format(limit=MAX_FORM_PARTS))
        parts.append(_Part())

    def data(chunk: bytes, start: int, end: int) -> None:
        parts[-1].data += chunk[start:end]

    def field_name(chunk: bytes, start: int, end: int) -> None:
        header_field.extend(chunk[start:end])

    def field_value(chunk: bytes, start: int, end: int) -> None:
        header_value.extend(chunk[start:end])

    def header_end() -> None:
        parts[-1].headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def end() -> None:
        nonlocal ended
        ended = True

    callbacks = {
        "on_part_begin": begin,
        "on_part_data": data,
        "on_header_field": field_name,
        "on_header_value": field_value,
        "on_header_end": header_end,
        "on_end": end,
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        parser.write(body)
        parser.finalize()
    except UploadError:
        raise
    except Exception as error:  # python-multipart raises several kinds for a broken body
        message = _("the multipart body cannot be read: {error}").format(error=error)
        raise UploadError(400, message) from None
    if not ended:
        raise UploadError(400, _("the multipart body is cut short (no closing boundary)"))
    return parts


def _form_file(body: bytes, boundary: bytes) -> Upload:
    """The ``file`` part of a multipart form; its kind from its file name, else its type."""
    for part in _form_parts(body, boundary):
        disposition = parse_options_header(part.headers.get(b"content-disposition", b""))[1]
        if disposition.get(b"name") != b"file":
            continue
        filename = disposition.get(b"filename", b"").decode("utf-8", "replace")
        media = parse_options_header(part.headers.get(b"content-type", b""))[0].decode("latin-1")
        kind = SUFFIXES.get(PurePosixPath(filename.replace("\\", "/")).suffix.lower())
        kind = kind or MEDIA_TYPES.get(media.lower())
        if kind is None:
            media = media or _("no content type")
            raise UploadError(415, _unsupported(f"{filename!r}, {media}"))
        return Upload(kind, bytes(part.data))
    raise UploadError(400, _("the form has no 'file' field: send the dataset as the 'file' field"))


def load_upload(upload: Upload, scratch: Path, max_unpacked_bytes: int) -> Instance:
    """The validated dataset of an upload.

    Raises
    ------
    UploadError
        For an archive that is refused before it is read.
    InvalidInputError
        For a dataset with problems (every one of them), as ``stagematch validate`` lists them.
    """
    if upload.kind == "json":
        return load_json_dataset(upload.data)
    with _archive(upload, max_unpacked_bytes) as archive:
        if upload.kind == "workbook":
            files = {"dataset.xlsx": upload.data}
        else:
            files = _table_files(archive, max_unpacked_bytes)
    scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=scratch))
    try:
        for name, content in files.items():
            (folder / name).write_bytes(content)
        return load(folder / "dataset.xlsx" if upload.kind == "workbook" else folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _archive(upload: Upload, max_unpacked_bytes: int) -> zipfile.ZipFile:
    """The upload opened as a zip, after checking its directory (nothing unpacked yet)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        if upload.kind == "workbook":
            message = lazy_text(N_("not an .xlsx workbook: {error}"), error=str(error))
        else:
            message = lazy_text(N_("not a zip file: {error}"), error=str(error))
        raise InvalidInputError([Problem("upload", None, None, None, message)]) from None
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        too_many = _("the archive has {count} members; at most {limit}")
        raise UploadError(400, too_many.format(count=len(members), limit=MAX_MEMBERS))
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked_bytes:
        too_big = _(
            "the archive would unpack to {size} bytes, more than the limit of {limit}: refused "
            "(a zip bomb, or a dataset too large for this service)"
        )
        raise UploadError(
            400,
            too_big.format(size=format_number(unpacked), limit=format_number(max_unpacked_bytes)),
        )
    for member in members:
        _check_member(member)
    return archive


def _check_member(member: zipfile.ZipInfo) -> None:
    name = member.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or ".." in parts or any(":" in part for part in parts):
        message = _("the archive holds an unsafe name {name}: names must stay inside the archive")
        raise UploadError(400, message.format(name=repr(name)))
    if member.flag_bits & 0x1:
        message = _("the archive holds an encrypted member {name}: not read")
        raise UploadError(400, message.format(name=repr(name)))
    if stat.S_ISLNK(member.external_attr >> 16):
        raise UploadError(
            400, _("the archive holds a link {name}: not read").format(name=repr(name))
        )


def _table_files(archive: zipfile.ZipFile, max_unpacked_bytes: int) -> dict[str, bytes]:
    """The table files of a zip of CSVs, by their lower-case file name, wherever they are
    (a zipped folder puts them one level down); other members are ignored."""
    found: dict[str, list[zipfile.ZipInfo]] = {}
    for member in archive.infolist():
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if member.is_dir() or "__MACOSX" in path.parts or path.name.startswith("._"):
            continue
        found.setdefault(path.name.lower(), []).append(member)
    problems = [
        Problem(
            name.rsplit(".", 1)[0],
            None,
            None,
            None,
            lazy_text(
                N_("several files in the zip could be this table: {names}"),
                names=", ".join(sorted(m.filename for m in members)),
            ),
        )
        for name, members in found.items()
        if name in TABLE_FILES and len(members) > 1
    ]
    if problems:
        raise InvalidInputError(problems)
    files: dict[str, bytes] = {}
    for name, (member,) in ((n, m) for n, m in found.items() if n in TABLE_FILES):
        try:
            with archive.open(member) as source:
                content = source.read(max_unpacked_bytes + 1)
        except (zipfile.BadZipFile, OSError, NotImplementedError) as error:
            raise InvalidInputError(
                [
                    Problem(
                        name.rsplit(".", 1)[0],
                        None,
                        None,
                        None,
                        lazy_text(N_("cannot unpack: {error}"), error=str(error)),
                    )
                ]
            ) from None
        if len(content) > max_unpacked_bytes:
            message = _("{name} unpacks to more than the limit")
            raise UploadError(400, message.format(name=repr(member.filename)))
        files[name] = content
    return files
