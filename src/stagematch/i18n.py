"""Every word a person reads, in French or in English: gettext catalogues managed with Babel.

The people who run *stage de seconde* campaigns, and the families who read the letters, work in
French; scripts and the SPEC's codes stay English. So every sentence, label, heading and message
meant for a person is written in English in the code, marked for translation, and looked up in
the French catalogue ``locale/fr/LC_MESSAGES/stagematch.po`` when the language is French. Data
never is: ids, names, sectors and titles are the coordinator's and stay as typed, and so do the
machine-readable parts of the outputs (CSV columns, JSON keys, reason codes).

Which language
--------------
In order: an explicit choice (``--lang fr|en`` on the command line, ``lang=`` in the Python API,
or :func:`language` around any code), else the dataset's ``language`` setting where a dataset is
at hand, else the environment's locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as
gettext reads them: ``LANG=fr_FR.UTF-8`` gives French), else English. The choice is a context
variable, so threads and asyncio tasks each keep their own.

How to add a string (the pattern every module follows)
------------------------------------------------------
::

    from .i18n import N_, _, ngettext

    print(_("plan written to {path}").format(path=out))         # translated where it is used
    print(ngettext("{n} problem found:", "{n} problems found:", n).format(n=n))
    HEADINGS = {"placed": N_("Placed")}   # marked where defined (at import), ...
    label = _(HEADINGS["placed"])         # ... translated where shown

* The English text is the message id; placeholders are named (``{path}``), never f-strings,
  so the translation can move them.
* Then ``make messages`` extracts every marked string into the French ``.po`` (new ones have an
  empty ``msgstr``); write their French there. ``tests/test_i18n.py`` fails while any marked
  string has no French, or a translation drops or invents a placeholder.
* The ``.mo`` files are built from the ``.po`` by ``make`` (and into the wheel), never committed;
  a ``.mo`` older than its ``.po`` is ignored and the ``.po`` compiled in memory instead, so a
  fresh translation is never hidden by a stale build.

Dates, numbers and percentages read the local way through Babel: :func:`format_date`
(``lundi 16 juin 2025``), :func:`format_percent` (``12,5 %``), :func:`format_number`.
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cache
from pathlib import Path

from babel import Locale
from babel import dates as _dates
from babel import numbers as _numbers

LANGUAGES = ("en", "fr")
"""The languages stagematch speaks; English is the source language of the catalogue."""

DOMAIN = "stagematch"
LOCALE_DIR = Path(__file__).parent / "locale"

BABEL_LOCALES = {"en": "en_GB", "fr": "fr_FR"}
"""The Babel locale of each language, for dates and numbers."""

_chosen: ContextVar[str | None] = ContextVar("stagematch_language", default=None)


def check_language(lang: str) -> str:
    """``lang`` lower-cased if stagematch speaks it; otherwise a :class:`ValueError`."""
    code = str(lang).strip().lower()
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return code


def environment_language() -> str:
    """The language of the environment's locale: French for ``fr…``, else English.

    The variables are read in gettext's order; the first one set decides (``C`` and ``POSIX``
    are English).
    """
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        first = value.split(":")[0].strip()
        if first:
            return "fr" if first.lower().startswith("fr") else "en"
    return "en"


def current() -> str:
    """The language in force: the explicit choice, else the environment's."""
    return _chosen.get() or environment_language()


def is_explicit() -> bool:
    """Whether a language was chosen explicitly (then a dataset's setting does not override it)."""
    return _chosen.get() is not None


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Run a block in ``lang`` (``"fr"`` or ``"en"``); ``None`` keeps the language in force.

    Yields the language in force inside the block.
    """
    if lang is None:
        yield current()
        return
    token = _chosen.set(check_language(lang))
    try:
        yield current()
    finally:
        _chosen.reset(token)


@contextmanager
def default_language(lang: str | None) -> Iterator[str]:
    """Like :func:`language`, but only when no language was chosen explicitly: how a dataset's
    ``language`` setting applies (an explicit ``--lang`` or ``lang=`` wins over it)."""
    with language(None if is_explicit() else lang) as code:
        yield code


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalogue of ``lang`` (English is the source: no catalogue, the text as written)."""
    code = check_language(lang)
    if code == "en":
        return _gettext.NullTranslations()
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as stream:
            return _gettext.GNUTranslations(stream)
    return _gettext.GNUTranslations(io.BytesIO(compile_catalogue(po)))


def compile_catalogue(po: Path) -> bytes:
    """The ``.mo`` bytes of a ``.po`` file, compiled by Babel (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as stream:
        catalogue = read_po(stream)
    out = io.BytesIO()
    write_mo(out, catalogue)
    return out.getvalue()


def gettext(message: str) -> str:
    """``message`` in the language in force."""
    return translations(current()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the language in force (French: 0 and 1 are
    singular)."""
    return translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now (for tables built at
    import): translate it with :func:`_` where it is shown."""
    return message


class Words(Mapping[str, str]):
    """A fixed table of words (code → English marked with :func:`N_`) that gives each word in
    the language in force when it is looked up: ``PART_WORDS["AM"]`` is ``morning`` or
    ``matin``. For tables defined at import and read while a report is written."""

    def __init__(self, words: Mapping[str, str]) -> None:
        self._words = dict(words)

    def __getitem__(self, key: str) -> str:
        return gettext(self._words[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)


class LazyText(str):
    """A message whose words are chosen when it is shown, not when it is made.

    Its value as a ``str`` is the English text, so code that compares, sorts or tests messages
    keeps working unchanged; :func:`translate` gives it in the language in force at display
    time. Validation problems are made this way: they are found before anyone knows which
    language the dataset's ``language`` setting asks for.
    """

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, params: dict[str, object]) -> LazyText:
        english = template.format(**{k: _english(v) for k, v in params.items()})
        text = super().__new__(cls, english)
        text.template = template
        text.params = params
        return text

    def __reduce__(self) -> tuple[object, tuple[str, dict[str, object]]]:
        return (LazyText, (self.template, self.params))


def lazy_text(template: str, **params: object) -> LazyText:
    """``template`` (marked for the catalogue) with named ``params``, translated when shown by
    :func:`translate`. A parameter that is itself a :class:`LazyText` or marked with
    :func:`N_` and wrapped in :func:`lazy_text` is translated too."""
    return LazyText(template, params)


def _english(value: object) -> object:
    return str(value) if isinstance(value, LazyText) else value


def translate(message: object) -> str:
    """A message in the language in force: a :class:`LazyText` is rebuilt from its translated
    template and parameters; any other text is looked up as a message id (and shown as it is
    when the catalogue does not have it, as a pydantic message we do not translate)."""
    if isinstance(message, LazyText):
        params = {
            k: translate(v) if isinstance(v, LazyText) else v for k, v in message.params.items()
        }
        return gettext(message.template).format(**params)
    text = str(message)
    return gettext(text) if text else text


def babel_locale(lang: str | None = None) -> Locale:
    """The Babel locale for ``lang`` (default: the language in force)."""
    return Locale.parse(BABEL_LOCALES[check_language(lang or current())])


def format_date(day: date, style: str = "full", lang: str | None = None) -> str:
    """A date the local way: ``full`` gives ``lundi 16 juin 2025`` / ``Monday, 16 June 2025``,
    ``short`` ``16/06/2025``."""
    return _dates.format_date(day, format=style, locale=babel_locale(lang))


def format_number(value: float, lang: str | None = None) -> str:
    """A number the local way (``1 234,5`` in French)."""
    return _numbers.format_decimal(value, locale=babel_locale(lang))


def format_percent(rate: float, lang: str | None = None, digits: int = 1) -> str:
    """A rate (0.125) as a percentage the local way, to ``digits`` decimals at most:
    ``12,5 %`` / ``12.5%``."""
    return _numbers.format_percent(
        round(rate, digits + 2), locale=babel_locale(lang), decimal_quantization=False
    )
