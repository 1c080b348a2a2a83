"""French and English: the catalogue is complete, the language is chosen as documented, and
validation problems read in French with their table, row and column.

The completeness test is what keeps the French whole while the code grows: it extracts every
marked string with Babel, exactly as ``make messages`` does, and fails on any without French.
"""

from __future__ import annotations

import ast
import contextlib
import io
import pickle
import re
import shutil
import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from stagematch import i18n
from stagematch.cli import main
from stagematch.errors import InvalidInputError
from stagematch.i18n import LazyText, lazy_text, translate
from stagematch.io import load
from stagematch.model import Instance

PACKAGE = Path(i18n.__file__).parent
CATALOGUE = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "stagematch.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "lazy_text": None}
VALID = Path(__file__).parent / "data" / "valid"


def _extracted() -> dict[str, tuple[str, ...]]:
    """Every marked message of the package: msgid → its forms (one, or singular and plural)."""
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        forms = message if isinstance(message, tuple) else (message,)
        found[forms[0]] = forms
    return found


def _catalogue() -> dict[str, tuple[tuple[str, ...], bool]]:
    with CATALOGUE.open("rb") as stream:
        catalogue = read_po(stream)
    entries = {}
    for message in catalogue:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        entries[msgid] = (tuple(strings), message.fuzzy)
    return entries


def _fields(text: str) -> set[str]:
    """The ``{name}`` placeholders and ``%(name)s``/``%s`` conversions of a message."""
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    return names | set(re.findall(r"%\(\w+\)[a-z]|%[a-z]", text))


def test_every_marked_message_has_a_french_translation() -> None:
    extracted = _extracted()
    catalogue = _catalogue()
    assert len(extracted) > 100
    missing = [m for m in extracted if m not in catalogue]
    empty = [m for m in extracted if m in catalogue and not all(catalogue[m][0])]
    fuzzy = [m for m in extracted if m in catalogue and catalogue[m][1]]
    assert not missing, f"run `make messages` and translate: {missing}"
    assert not empty, f"no French yet in {CATALOGUE.name}: {empty}"
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"


def test_no_marked_message_hides_inside_an_f_string() -> None:
    """Babel does not extract a call inside an f-string: its message would never be
    translated. Compute it before, or concatenate."""
    hidden = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for inner in ast.walk(node):
                name = getattr(getattr(inner, "func", None), "id", None)
                if isinstance(inner, ast.Call) and name in KEYWORDS:
                    hidden.append(f"{path.name}:{inner.lineno}")
    assert not hidden


SHOWN = {
    "Sheet": 0,
    "set_title": 0,
    "set_xlabel": 0,
    "set_ylabel": 0,
    "_card": 1,
    "_empty": 1,
    "_figure": 2,
    "Violation": 3,
}
"""Calls whose argument (by position) a person reads: a sheet's name, a plot's title and axes,
a report card's words, an empty plot's note, a figure's caption, a violation's message."""


def test_words_shown_to_people_go_through_the_catalogue() -> None:
    """Where a person reads the argument, it is never a bare English literal or an f-string:
    it comes from ``_()`` (or a variable holding its result), so it exists in French."""
    bare = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            position = SHOWN.get(str(name))
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            if isinstance(argument, ast.JoinedStr) or (
                literal and re.search("[A-Za-z]{2}", str(argument.value))  # type: ignore[attr-defined]
            ):
                bare.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not bare


def test_sheet_names_fit_in_excel_in_every_language() -> None:
    """Excel cuts a sheet name at 31 characters: a longer French name would lose its end
    (``Capacité par structure d'accuei``)."""
    catalogue = _catalogue()
    titles = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            func = getattr(node, "func", None)
            if not (isinstance(node, ast.Call) and getattr(func, "id", None) == "Sheet"):
                continue
            title = node.args[0] if node.args else None
            if (
                isinstance(title, ast.Call)
                and title.args
                and isinstance(title.args[0], ast.Constant)
            ):
                titles.append(str(title.args[0].value))
    assert len(titles) >= 20
    too_long = [
        (title, catalogue[title][0][0])
        for title in titles
        if len(title) > 31 or len(catalogue[title][0][0]) > 31
    ]
    assert not too_long


def test_translations_keep_to_the_placeholders_of_their_message() -> None:
    """A translation uses exactly the placeholders of its message: an unknown ``{name}`` would
    raise at display time, and a dropped one is what ``msgfmt -c`` refuses (the catalogue must
    stay usable by the GNU tools too)."""
    for msgid, (strings, _fuzzy) in _catalogue().items():
        for text in strings:
            assert _fields(text) == _fields(msgid), (msgid, text)


def test_the_catalogue_passes_babels_checks() -> None:
    """What ``pybabel compile`` (run by ``make``) refuses: e.g. a ``%`` in a message that Babel
    takes for a Python format, translated with incompatible conversions."""
    with CATALOGUE.open("rb") as stream:
        catalogue = read_po(stream)
    assert [(message.id, errors) for message, errors in catalogue.check()] == []


def test_the_catalogue_compiles_and_is_used() -> None:
    compiled = i18n.compile_catalogue(CATALOGUE)
    assert compiled.startswith(b"\xde\x12\x04\x95")  # the gettext .mo magic number
    with i18n.language("fr"):
        assert i18n.gettext("unknown school") == "établissement inconnu"
        assert i18n.ngettext("{n} problem(s) found:", "{n} problem(s) found:", 1).startswith(
            "{n} problème "
        )
        assert i18n.ngettext("{n} problem(s) found:", "{n} problem(s) found:", 2).startswith(
            "{n} problèmes "
        )
    with i18n.language("en"):
        assert i18n.gettext("unknown school") == "unknown school"


# --------------------------------------------------------------------------------------------
# Choosing the language


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_BE.UTF-8"}, "fr"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "C"}, "en"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "fr:en"}, "fr"),
    ],
)
def test_the_environment_locale_decides_by_default(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    monkeypatch.delenv("LANG")
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert i18n.current() == expected


def test_an_explicit_language_wins_over_the_dataset_and_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert i18n.current() == "fr" and not i18n.is_explicit()
    with i18n.language("en"):
        assert i18n.current() == "en"
        with i18n.default_language("fr"):  # a dataset's setting does not override --lang
            assert i18n.current() == "en"
    with i18n.default_language("en"):
        assert i18n.current() == "en"
    assert i18n.current() == "fr"
    with pytest.raises(ValueError, match="unknown language"):
        i18n.check_language("de")


def test_dates_and_numbers_read_the_local_way() -> None:
    day = date(2025, 6, 16)
    assert i18n.format_date(day, lang="fr") == "lundi 16 juin 2025"
    assert i18n.format_date(day, lang="en") == "Monday, 16 June 2025"
    assert i18n.format_percent(0.125, lang="fr") == "12,5\u00a0%"
    assert i18n.format_percent(0.125, lang="en") == "12.5%"
    assert i18n.format_number(1234.5, lang="fr") == "1\u202f234,5"


def test_lazy_text_is_english_until_shown_and_survives_pickling() -> None:
    text = lazy_text("duplicate id, first used on row {row}", row=7)
    assert text == "duplicate id, first used on row 7"
    assert isinstance(text, str)
    again = pickle.loads(pickle.dumps(text))
    assert isinstance(again, LazyText) and again == text
    with i18n.language("fr"):
        assert translate(again) == "identifiant en double, déjà utilisé ligne 7"


# --------------------------------------------------------------------------------------------
# Validation problems in French


def _bad_everything() -> dict[str, object]:
    """A dataset with a bad value of every kind the row models check."""
    return {
        "settings": {"period_start": "2027-06-14", "period_end": "2027-06-25", "pace": "x"},
        "schools": [{"school_id": "S", "lat": "north", "lon": 200}],
        "students": [
            {
                "student_id": "A",
                "school_id": "S",
                "qpv": "maybe",
                "mode": "plane",
                "max_travel_min": -1,
                "age": "old",
                "unavailable": "someday",
            },
            {"student_id": "", "school_id": "NOPE", "home_commune": "5960"},
        ],
        "offers": [
            {"offer_id": "O", "host_id": "H", "sector": "", "lat": 50, "lon": 3, "capacity": 1.5},
            {"offer_id": "P", "host_id": "H", "sector": "x", "commune": "ABCDE", "capacity": 0},
        ],
        "workshop_slots": [
            {
                "slot_id": "W",
                "workshop_id": "w",
                "lat": 50,
                "lon": 3,
                "date": "2027-06-15",
                "part": "EVENING",
                "capacity": "many",
            }
        ],
    }


def test_every_kind_of_validation_problem_has_french_words() -> None:
    with pytest.raises(InvalidInputError) as caught:
        Instance(**_bad_everything())  # type: ignore[arg-type]
    problems = caught.value.problems
    assert len(problems) >= 12
    with i18n.language("fr"):
        french = [(p, p.text()) for p in problems]
    untranslated = [(str(p.message), text) for p, text in french if text == str(p.message)]
    assert not untranslated
    with i18n.language("en"):
        assert [p.text() for p in problems] == [str(p.message) for p in problems]


def _broken_copy(tmp_path: Path, language: str | None = None) -> Path:
    folder = Path(shutil.copytree(VALID, tmp_path / "dataset"))
    students = folder / "students.csv"
    lines = students.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("school_id")] = "0000000X"
    lines[1] = ",".join(cells)
    students.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if language is not None:
        settings = folder / "settings.toml"
        settings.write_text(
            settings.read_text(encoding="utf-8") + f'language = "{language}"\n', encoding="utf-8"
        )
    return folder


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_validate_lists_problems_in_french_under_a_french_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _broken_copy(tmp_path)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    code, _out, err = _run(["validate", str(folder)])
    assert code == 1
    assert "1 problème trouvé :" in err
    assert (
        "students, ligne 2, colonne 'school_id' : établissement inconnu (valeur '0000000X')" in err
    )


def test_english_output_is_unchanged(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path)
    code, _out, err = _run(["validate", str(folder)])
    assert code == 1
    assert err.splitlines() == [
        "1 problem(s) found:",
        "  - students, row 2, column 'school_id': unknown school (value '0000000X')",
        "1 warning(s) (planned anyway):",
        "  - warning: students, row 1, column 'note': unknown column: kept and ignored",
    ]


def test_warnings_are_shown_in_french(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, language="fr")
    err = _run(["validate", str(folder)])[2]
    assert "1 avertissement (planifié quand même) :" in err
    assert "avertissement : students, ligne 1" in err and "colonne inconnue" in err


def test_the_dataset_language_setting_applies_unless_lang_is_given(tmp_path: Path) -> None:
    folder = _broken_copy(tmp_path, language="fr")
    assert "établissement inconnu" in _run(["validate", str(folder)])[2]
    assert "unknown school" in _run(["validate", str(folder), "--lang", "en"])[2]
    with pytest.raises(InvalidInputError) as caught:
        load(folder)
    assert caught.value.language == "fr"


def test_help_and_usage_errors_are_in_the_chosen_language() -> None:
    code, out, _err = _run_exit(["validate", "--help", "--lang", "fr"])
    assert code == 0
    assert "afficher cette aide et quitter" in out and "show this help" not in out
    code, _out, err = _run_exit(["validate", "--lang", "fr"])
    assert code == 2
    assert "les arguments suivants sont obligatoires : input" in err


def _run_exit(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as stop:
            code = int(stop.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_a_bad_date_reads_in_french_to_the_end() -> None:
    """Regression: pydantic's reason ("invalid character in year") stayed English inside the
    French message; a day-first date, as French spreadsheets write them, now says its ISO form."""
    from strategies import make_instance

    with pytest.raises(InvalidInputError) as caught:
        make_instance(
            [{"student_id": "E1", "unavailable": "2026-13-01"}],
            [{"offer_id": "O1", "start": "15/06/2026"}, {"offer_id": "O2", "end": "2026-6-x"}],
        )
    with i18n.language("fr"):
        french = {p.column: p.text() for p in caught.value.problems}
    with i18n.language("en"):
        english = {p.column: p.text() for p in caught.value.problems}
    assert english["start"] == "expected a date as YYYY-MM-DD: write 2026-06-15"
    assert french["start"] == "une date au format AAAA-MM-JJ est attendue : écrivez 2026-06-15"
    assert french["unavailable"].endswith("(mois hors des valeurs possibles (1 à 12))"), french
    assert "month value" in english["unavailable"]
    assert not re.search(r"\b(invalid|character|value|input|expected)\b", " ".join(french.values()))
