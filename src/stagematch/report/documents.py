"""Printable letters: one PDF per school, per host and per workshop session, in ``letters/``.

A coordinator sends each partner a document they can print and act on, not a row of a mail
merge:

* ``letters/schools/<school_id>.pdf`` — a page per student: the programme (host, address or
  commune, dates, contact, one-way minutes and mode; workshop sessions with venue, date and
  half-day), or for a student without a placement the reason in plain words and what happens
  next;
* ``letters/hosts/<host_id>.pdf`` — the host's students, their school and dates;
* ``letters/sessions/<slot_id>.pdf`` — for the association running it, the session (workshop,
  venue, date, half-day) and its attendees.

The PDFs are A4, black on white (readable when photocopied), in the language in force (see
:mod:`stagematch.i18n`), with dates the local way (``lundi 16 juin 2025``). They are drawn with
`fpdf2 <https://py-pdf.github.io/fpdf2/>`_: pure Python, installed from PyPI with no system
library, maintained, and able to embed a TrueType font so that accents, ``œ``, ``€`` and ``’``
print. The font is DejaVu Sans, which matplotlib (already a dependency) ships: no font file is
added to the package and nothing is fetched. Partner documents leave out whether a student
lives in a QPV, as the rosters do.

Offers may carry an ``address`` and a ``contact`` column (kept by the loaders as extra
columns): the school letters print them when they are there. File names come from ids, made
safe by :func:`safe_file_names`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from .. import i18n
from ..i18n import _
from ..result import Result
from ._common import PART_WORDS, REASON_WORDS, context

LETTER_FOLDERS = ("schools", "hosts", "sessions")

_FONT_FAMILY = "DejaVu"
_MARGIN_MM = 18
_BODY_PT = 10.5

_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{k}" for k in range(1, 10)),
    *(f"LPT{k}" for k in range(1, 10)),
}
_MAX_NAME = 80


def safe_file_names(ids: Iterable[str]) -> dict[str, str]:
    """A file-name stem for each id, safe on every system and unique among them.

    Ids are the coordinator's text: they may hold ``/``, ``..``, spaces, accents, or be a name
    Windows reserves (``CON``, ``LPT1``…). Each id keeps its letters and digits (accents
    removed), ``-``, ``_`` and inner dots; anything else becomes ``_``; a leading dot or a
    reserved name gets a ``_`` in front. Two ids that would give the same name (ignoring case,
    as Windows and macOS do) each get a short hash of the id appended, so no file overwrites
    another.
    """
    wanted: dict[str, str] = {}
    for raw in ids:
        ascii_text = unicodedata.normalize("NFKD", str(raw)).encode("ascii", "ignore").decode()
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_text)[:_MAX_NAME].strip(" .")
        stem = re.sub(r"\.{2,}", "_", stem)
        if not stem or stem.split(".")[0].upper() in _WINDOWS_RESERVED or stem.startswith("."):
            stem = f"_{stem}"
        wanted[raw] = stem
    clashes: dict[str, int] = {}
    for stem in wanted.values():
        clashes[stem.casefold()] = clashes.get(stem.casefold(), 0) + 1
    names = {}
    for raw, stem in wanted.items():
        if clashes[stem.casefold()] > 1:
            stem += "-" + hashlib.sha256(str(raw).encode("utf-8")).hexdigest()[:8]
        names[raw] = stem
    return names


def _font_paths() -> tuple[Path, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


class _Document:
    """An A4 document with a title block, paragraphs, label/value lines and tables."""

    def __init__(self, title: str) -> None:
        from fpdf import FPDF

        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        regular, bold = _font_paths()
        pdf.add_font(_FONT_FAMILY, "", str(regular))
        pdf.add_font(_FONT_FAMILY, "B", str(bold))
        pdf.set_margins(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
        pdf.set_auto_page_break(auto=True, margin=_MARGIN_MM)
        pdf.set_title(title)
        pdf.set_creator("stagematch")
        pdf.set_lang(i18n.current())
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(0, 0, 0)
        self.pdf = pdf

    def page(self, heading: str, subheading: str = "") -> None:
        self.pdf.add_page()
        self.pdf.set_font(_FONT_FAMILY, "B", 15)
        self.pdf.multi_cell(0, 8, heading, align="L", new_x="LMARGIN", new_y="NEXT")
        if subheading:
            self.pdf.set_font(_FONT_FAMILY, "", 11)
            self.pdf.multi_cell(0, 6, subheading, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)
        y = self.pdf.get_y()
        self.pdf.line(_MARGIN_MM, y, self.pdf.w - _MARGIN_MM, y)
        self.pdf.ln(4)

    def section(self, text: str) -> None:
        self.pdf.ln(2)
        self.pdf.set_font(_FONT_FAMILY, "B", 12)
        self.pdf.multi_cell(0, 7, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def paragraph(self, text: str) -> None:
        self.pdf.set_font(_FONT_FAMILY, "", _BODY_PT)
        self.pdf.multi_cell(0, 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def fields(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label: value lines, the label in bold, skipping blank values."""
        for name, value in pairs:
            if not value:
                continue
            self.pdf.set_font(_FONT_FAMILY, "B", _BODY_PT)
            self.pdf.cell(45, 5.5, name)
            self.pdf.set_font(_FONT_FAMILY, "", _BODY_PT)
            self.pdf.multi_cell(0, 5.5, value, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def table(self, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.pdf.set_font(_FONT_FAMILY, "", 9)
        with self.pdf.table(
            headings_style=_headings_style(),
            line_height=5,
            padding=1,
            text_align="LEFT",
            first_row_as_headings=True,
        ) as table:
            for values in [headings, *rows]:
                row = table.row()
                for value in values:
                    row.cell(value)
        self.pdf.ln(2)

    def save(self, path: Path) -> None:
        self.pdf.output(str(path))


def _headings_style() -> Any:
    from fpdf.fonts import FontFace

    return FontFace(family=_FONT_FAMILY, emphasis="BOLD")


def _day(value: date) -> str:
    return i18n.format_date(value, "full")


def _range(start: date, end: date) -> str:
    if start == end:
        return _day(start)
    return _("from {start} to {end}").format(start=_day(start), end=_day(end))


MODE_WORDS = i18n.Words(
    {
        "walk": i18n.N_("on foot"),
        "bike": i18n.N_("by bike"),
        "transit": i18n.N_("by public transport"),
        "car": i18n.N_("by car"),
    }
)


def _minutes(result: Result, student_id: str, item_id: str, mode: str) -> str:
    minutes = result.travel_minutes.get((student_id, item_id))
    if minutes is None or minutes != minutes:
        return ""
    return _("{minutes} min one way, {mode}").format(
        minutes=i18n.format_number(round(float(minutes))), mode=MODE_WORDS[mode]
    )


def _extra(row: Any, name: str) -> str:
    extra = getattr(row, "model_extra", None) or {}
    value = extra.get(name)
    return "" if value is None else str(value).strip()


def school_letters(result: Result, path: Path, school_id: str) -> None:
    """One school's PDF: a page per student of the school, in input order."""
    ctx = context(result)
    school = ctx.schools[school_id]
    settings = ctx.instance.settings
    school_name = school.name or school_id
    doc = _Document(_("Work placements: {school}").format(school=school_name))
    for student_id, student in ctx.students.items():
        if student.school_id != school_id:
            continue
        mode = student.mode or settings.default_mode
        doc.page(
            _("Programme of student {student}").format(student=student_id),
            _("{school} · placement period {period}").format(
                school=school_name, period=_range(settings.period_start, settings.period_end)
            ),
        )
        placements = ctx.placements[student_id]
        for k, offer_id in enumerate(placements, start=1):
            offer = ctx.offers[offer_id]
            start, end = ctx.offer_dates(offer_id)
            title = _("Placement") if len(placements) == 1 else _("Placement {k}").format(k=k)
            doc.section(title)
            doc.fields(
                [
                    (_("Host"), offer.host_name or offer.host_id),
                    (_("Address"), _extra(offer, "address")),
                    (_("Commune"), ctx.offer_commune[offer_id]),
                    (_("Dates"), _range(start, end)),
                    (_("Contact"), _extra(offer, "contact")),
                    (_("Sector"), offer.sector),
                    (_("Journey"), _minutes(result, student_id, offer_id, mode)),
                    (_("Offer"), offer_id),
                ]
            )
        for slot_id in ctx.workshops[student_id]:
            slot = ctx.slots[slot_id]
            doc.section(_("Workshop: {title}").format(title=slot.title or slot.workshop_id))
            doc.fields(
                [
                    (_("Association"), slot.association),
                    (_("Venue"), slot.venue),
                    (_("Commune"), ctx.slot_commune[slot_id]),
                    (_("Date"), f"{_day(slot.date)}, {PART_WORDS[slot.part]}"),
                    (_("Journey"), _minutes(result, student_id, slot_id, mode)),
                    (_("Session"), slot_id),
                ]
            )
        unplaced = ctx.unplaced.get(student_id)
        if unplaced is not None:
            doc.section(_("No placement yet"))
            doc.paragraph(REASON_WORDS.get(unplaced.reason, unplaced.reason) + ".")
            doc.paragraph(
                _(
                    "What happens next: the coordinator keeps looking for a host for this "
                    "student and will tell the school as soon as a placement is found. The "
                    "school can help by suggesting a host close to home."
                )
            )
        if not placements and not ctx.workshops[student_id] and unplaced is None:
            doc.paragraph(_("Nothing is planned for this student."))
    if doc.pdf.page == 0:
        doc.page(school_name, _("No student of this school is in the dataset."))
    doc.save(path)


def host_letter(result: Result, path: Path, host_id: str) -> None:
    """One host's PDF: its offers, and for each its students with their school and dates."""
    ctx = context(result)
    offers = [o for o in ctx.offers.values() if o.host_id == host_id]
    name = next((o.host_name for o in offers if o.host_name), "") or host_id
    doc = _Document(_("Students placed with {host}").format(host=name))
    doc.page(
        _("Students placed with {host}").format(host=name),
        _("Placement period {period}").format(
            period=_range(ctx.instance.settings.period_start, ctx.instance.settings.period_end)
        ),
    )
    total = 0
    for offer in offers:
        start, end = ctx.offer_dates(offer.offer_id)
        takers = ctx.offer_takers[offer.offer_id]
        total += len(takers)
        doc.section(
            _("Offer {offer} ({sector}), {dates}").format(
                offer=offer.offer_id, sector=offer.sector, dates=_range(start, end)
            )
        )
        if not takers:
            doc.paragraph(_("No student is placed on this offer."))
            continue
        doc.table(
            [_("Student"), _("School"), _("Commune of the school")],
            [
                [
                    student_id,
                    ctx.school_name(student_id) or ctx.students[student_id].school_id,
                    ctx.school_commune.get(ctx.students[student_id].school_id, ""),
                ]
                for student_id in takers
            ],
        )
    doc.paragraph(
        i18n.ngettext(
            "{n} student in all. Thank you for welcoming them.",
            "{n} students in all. Thank you for welcoming them.",
            total,
        ).format(n=total)
    )
    doc.save(path)


def session_letter(result: Result, path: Path, slot_id: str) -> None:
    """One workshop session's PDF for its association: when, where, and who attends."""
    ctx = context(result)
    slot = ctx.slots[slot_id]
    title = slot.title or slot.workshop_id
    doc = _Document(_("Workshop session {session}").format(session=slot_id))
    doc.page(_("Workshop: {title}").format(title=title))
    takers = ctx.slot_takers[slot_id]
    doc.fields(
        [
            (_("Association"), slot.association),
            (_("Venue"), slot.venue),
            (_("Commune"), ctx.slot_commune[slot_id]),
            (_("Date"), f"{_day(slot.date)}, {PART_WORDS[slot.part]}"),
            (_("Session"), slot_id),
            (
                _("Attendees"),
                _("{n} of {capacity} seats").format(n=len(takers), capacity=slot.capacity),
            ),
        ]
    )
    if takers:
        doc.table(
            [_("Student"), _("School")],
            [
                [student_id, ctx.school_name(student_id) or ctx.students[student_id].school_id]
                for student_id in takers
            ],
        )
    else:
        doc.paragraph(_("No student attends this session."))
    doc.save(path)


def write_letters(result: Result, folder: str | Path) -> list[Path]:
    """Write every letter into ``folder`` (``schools/``, ``hosts/``, ``sessions/``).

    The folder must not exist yet or be empty of letters: use
    :func:`stagematch.report.write_report`, which writes it beside the report atomically.
    Returns the paths written.
    """
    ctx = context(result)
    root = Path(folder)
    written: list[Path] = []
    groups: list[tuple[str, list[str], Any]] = [
        ("schools", list(ctx.schools), school_letters),
        ("hosts", list(dict.fromkeys(o.host_id for o in ctx.offers.values())), host_letter),
        ("sessions", list(ctx.slots), session_letter),
    ]
    for sub, ids, write in groups:
        target = root / sub
        target.mkdir(parents=True, exist_ok=True)
        for item_id, stem in safe_file_names(ids).items():
            path = target / f"{stem}.pdf"
            write(result, path, item_id)
            written.append(path)
    return written
