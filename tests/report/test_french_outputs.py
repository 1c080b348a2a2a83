"""Done-when of issue 14: the bundled pilot solved with ``--report --lang fr`` gives a French
report.html, a French report.xlsx and one PDF letter per school, host and workshop session.

Every document is read back the way a person would get it — the page rendered in headless
Chromium, the workbook opened with openpyxl, the text extracted from each PDF — and searched
for French words, the students' data, and any sentence of the catalogue left in English.
"""

from __future__ import annotations

import contextlib
import io
import re
import string
from pathlib import Path

import openpyxl
import pypdf
import pytest
from babel.messages.pofile import read_po
from report_support import CHROMIUM, _chromium, hand_made

import stagematch as sm
from stagematch import fairness, i18n
from stagematch.cli import main
from stagematch.evaluate import evaluate
from stagematch.export import read_result
from stagematch.generate import load_pilot
from stagematch.io import write_dataset
from stagematch.model import Instance
from stagematch.plan import Plan
from stagematch.report import (
    plot_capacity_use,
    plot_map,
    plot_school_placement,
    plot_travel_times,
    plot_unplaced_reasons,
    plot_wish_ranks,
    printable,
    render_html,
    safe_file_names,
    write_excel,
    write_fairness_excel,
)
from stagematch.report._common import LABELS

CATALOGUE = Path(i18n.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "stagematch.po"


def _english_sentences() -> list[str]:
    """Catalogue messages whose French differs and that are long enough to be unmistakable
    (without placeholders, which data fills in): none may appear in a French document."""
    with CATALOGUE.open("rb") as stream:
        catalogue = read_po(stream)
    sentences = []
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple):
            continue
        text = str(message.id)
        has_fields = any(f is not None for _, f, _, _ in string.Formatter().parse(text))
        if len(text) >= 14 and " " in text and not has_fields and message.string != text:
            sentences.append(text.split("\n")[0])
    return sentences


def _untranslated(text: str) -> list[str]:
    return [s for s in _english_sentences() if s in text]


ENGLISH_WORDS = re.compile(
    r"\b(students?|placed|seats?|wish(es)?|offers?|coaches|cost|envy|wasted|blocking|"
    r"scenario|week|rank|figure|host|school|travel|vs|per|of|the|and|with)\b",
    re.IGNORECASE,
)
"""English words a French document must not show outside the data (ids, names, sectors)."""


def _english_words(text: str, data: set[str]) -> list[str]:
    """The English words of ``text`` once the data's own words are taken out."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return sorted({m.group(0) for m in ENGLISH_WORDS.finditer(text)})


def _data_words(result: sm.Result) -> set[str]:
    instance = result.instance
    words = {s.student_id for s in instance.students} | {s.school_id for s in instance.schools}
    words |= {s.name for s in instance.schools if s.name}
    words |= {o.offer_id for o in instance.offers} | {o.host_id for o in instance.offers}
    words |= {o.host_name for o in instance.offers if o.host_name} | {
        o.sector for o in instance.offers
    }
    words |= {w.slot_id for w in instance.workshop_slots} | {
        w.workshop_id for w in instance.workshop_slots
    }
    for w in instance.workshop_slots:
        words |= {v for v in (w.title, w.association, w.venue) if v}
    return words


@pytest.fixture(scope="module")
def french_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``stagematch solve PILOT --out PLAN --report --lang fr``, run once."""
    root = tmp_path_factory.mktemp("french")
    write_dataset(load_pilot(), root / "pilot")
    plan = root / "plan"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        command = ["solve", str(root / "pilot"), "--out", str(plan), "--report", "--lang", "fr"]
        code = main([*command, "--time-limit", "10"])
    assert code == 0
    assert "plan écrit dans" in out.getvalue() and "élèves placés" in out.getvalue()
    return plan


def test_the_summary_json_keeps_english_keys(french_plan: Path) -> None:
    text = (french_plan / "summary.json").read_text("utf-8")
    assert '"status"' in text and '"levels"' in text and '"qpv_placed"' in text


def test_unplaced_csv_details_are_french_and_reasons_stay_codes(french_plan: Path) -> None:
    text = (french_plan / "unplaced.csv").read_text("utf-8")
    assert text.startswith("student_id,qpv,reason,detail")
    assert '"capacity",' in text  # text cells are quoted (CSV injection, see stagematch.cells)
    assert "offre(s) accessible(s) et compatible(s)" in text
    assert "eligible offer(s) within reach" not in text


def test_report_xlsx_is_french(french_plan: Path) -> None:
    book = openpyxl.load_workbook(french_plan / "report.xlsx")
    names = book.sheetnames
    assert names[:3] == ["Synthèse", "Indicateurs par groupe", "Indicateurs par établissement"]
    assert "Summary" not in names and "Host rosters" not in names
    summary = [tuple(row) for row in book["Synthèse"].iter_rows(values_only=True)]
    assert summary[0] == ("Indicateur", "Valeur")
    indicators = {row[0]: row[1] for row in summary[1:]}
    assert indicators["Élèves QPV placés"] > 0
    # Proven optimal on a quiet machine; a loaded one may stop at the time limit.
    assert str(indicators["Statut du plan"]).startswith(("optimal (prouvé", "réalisable (valide"))
    letters = [tuple(r) for r in book[names[3]].iter_rows(values_only=True)]
    assert "Identifiant de l'élève" in letters[0] and "Établissement" in letters[0]
    every_cell = "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    assert "S000001" in every_cell  # the students' data, as typed
    assert "Stage 1 : structure d'accueil" in every_cell
    assert re.search(r"[Ss]tage chez .+ du \d\d/\d\d/2027 au", every_cell)
    assert "matin" in every_cell or "après-midi" in every_cell
    assert not _untranslated(every_cell)


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")
def test_report_html_is_french_in_the_browser(french_plan: Path, tmp_path: Path) -> None:
    page = (french_plan / "report.html").read_text("utf-8")
    assert '<html lang="fr">' in page
    dom = _chromium((french_plan / "report.html").resolve().as_uri(), tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-rendered="ok"' in dom.stdout
    text = re.sub(r"<[^>]+>", " ", dom.stdout.split("<body", 1)[1])
    for words in ("Rapport du plan de stages", "Synthèse", "Élèves non placés", "Capacité"):
        assert words in text, words
    result = read_result(french_plan)
    assert result.instance.schools[0].name in text
    assert all(u.student_id in text for u in result.unplaced)
    assert not _untranslated(text)


def test_letters_one_pdf_per_school_host_and_session(french_plan: Path) -> None:
    instance = load_pilot()
    letters = french_plan / "letters"
    hosts = {o.host_id for o in instance.offers}
    expected = {
        "schools": {s.school_id for s in instance.schools},
        "hosts": hosts,
        "sessions": {w.slot_id for w in instance.workshop_slots},
    }
    for folder, ids in expected.items():
        names = {p.stem for p in (letters / folder).glob("*.pdf")}
        assert names == set(safe_file_names(ids).values()), folder


def _pdf_text(path: Path) -> tuple[int, str]:
    reader = pypdf.PdfReader(path)
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_school_letters_have_a_french_page_per_student(french_plan: Path) -> None:
    result = read_result(french_plan)
    school = result.instance.schools[0].school_id
    pages, text = _pdf_text(french_plan / "letters" / "schools" / f"{school}.pdf")
    students = [s for s in result.instance.students if s.school_id == school]
    assert pages >= len(students)
    for student in students:
        assert f"Programme de l'élève {student.student_id}" in text
    assert re.search(r"(lundi|mardi|mercredi|jeudi|vendredi) \d+ juin 2027", text)
    assert "Structure d'accueil" in text or "Pas encore de stage" in text
    assert "min aller" in text
    assert not _untranslated(text)
    for english in ("Programme of student", "Journey", "one way", "morning", "afternoon"):
        assert english not in text


def test_host_and_session_letters_are_french(french_plan: Path) -> None:
    result = read_result(french_plan)
    taken = next(a for a in result.plan.assignments if a.kind == "placement")
    offer = next(o for o in result.instance.offers if o.offer_id == taken.item_id)
    _, text = _pdf_text(french_plan / "letters" / "hosts" / f"{offer.host_id}.pdf")
    assert "Élèves accueillis par" in text and taken.student_id in text
    assert "Merci de" in text
    session = next(a for a in result.plan.assignments if a.kind == "workshop")
    _, text = _pdf_text(french_plan / "letters" / "sessions" / f"{session.item_id}.pdf")
    assert "Atelier :" in text and "Participants" in text and session.student_id in text
    assert not _untranslated(text)


def test_letters_print_every_french_character(tmp_path: Path) -> None:
    """Helvetica in Windows-1252 holds what French needs (accents, œ, €, ’, « »); a letter
    outside it loses its accent, or becomes ``?``, rather than failing the whole letter."""
    french = "Élève à l’Œuvre : « 12,5 € », ça, où, île, naïve, cœur, Noël — déjà…"
    assert printable(french) == french
    assert printable("Ștefan Łukasz 李") == "Stefan ?ukasz ?"
    from stagematch.report.documents import _Document

    document = _Document("Test")
    document.page(french, "Ștefan")
    document.save(tmp_path / "test.pdf")
    _, text = _pdf_text(tmp_path / "test.pdf")
    assert french in text and "Stefan" in text


def test_plots_speak_the_language_in_force() -> None:
    result = hand_made()
    plots = [
        plot_map,
        plot_travel_times,
        plot_wish_ranks,
        plot_school_placement,
        plot_capacity_use,
        plot_unplaced_reasons,
    ]
    with i18n.language("fr"):
        texts = []
        for plot in plots:
            ax = plot(result)
            legend = ax.get_legend()
            texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
            texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
            texts += [t.get_text() for t in legend.get_texts()] if legend else []
    joined = "\n".join(texts)
    for words in ("Temps de trajet", "Satisfaction des vœux", "Occupation des places"):
        assert words in joined
    assert not _untranslated(joined)


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["../../etc/passwd"], {"../../etc/passwd": "___etc_passwd"}),
        (["CON", "lpt1", "ok"], {"CON": "_CON", "lpt1": "_lpt1", "ok": "ok"}),
        (["Hôte n°1"], {"Hôte n°1": "Hote_n1"}),
        ([".hidden", ""], {".hidden": "hidden", "": "_"}),
    ],
)
def test_file_names_from_ids_are_safe(ids: list[str], expected: dict[str, str]) -> None:
    assert safe_file_names(ids) == expected


def test_file_names_from_ids_are_unique_even_ignoring_case() -> None:
    ids = ["a/b", "a_b", "A_B", "x"]
    names = safe_file_names(ids)
    assert len({n.casefold() for n in names.values()}) == len(ids)
    assert names["x"] == "x"
    for name in names.values():
        assert "/" not in name and "\\" not in name and ".." not in name


# --------------------------------------------------------------------------------------------
# The fairness workbook, compare.html and the recruitment list, in French


COACHES = {"coach_capacity": 30, "coach_cost": 450, "transit_daily_cost": 4}


@pytest.fixture(scope="module")
def scenarios(french_plan: Path) -> dict[str, sm.Result]:
    """The French plan and the same plan with five placements fewer, both with transport."""
    result = read_result(french_plan)
    data = result.instance.to_dict()
    data["settings"].update(COACHES)
    instance = Instance.from_dict(data)
    placements = [a for a in result.plan.assignments if a.kind == "placement"]
    fewer = Plan([a for a in result.plan.assignments if a not in set(placements[:5])])
    return {"plan": evaluate(instance, result.plan), "moins": evaluate(instance, fewer)}


def test_the_fairness_workbook_is_french(french_plan: Path, tmp_path: Path) -> None:
    result = read_result(french_plan)
    analysis = fairness.analyse(result.instance, result.plan)
    with i18n.language("fr"):
        write_fairness_excel(analysis, tmp_path / "equite.xlsx")
    book = openpyxl.load_workbook(tmp_path / "equite.xlsx")
    assert book.sheetnames == [
        "Équité",
        "Équité par groupe",
        "Équité par établissement",
        "Envie justifiée",
        "Places perdues",
    ]
    rows = {
        name: [tuple(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames
    }
    assert rows["Équité"][0] == ("Indicateur", "ce plan")
    indicators = {row[0] for row in rows["Équité"][1:]}
    assert "Stable (aucune paire bloquante)" in indicators and "Places perdues" in indicators
    assert [row[0] for row in rows["Équité par groupe"][1:]] == [
        "Tous les élèves",
        "QPV",
        "Hors QPV",
    ]
    headers = " | ".join(str(h) for name in book.sheetnames for h in rows[name][0] if h)
    assert "Élèves avec envie justifiée" in headers
    cells = "\n".join(
        str(v) for name in book.sheetnames for r in rows[name] for v in r if v is not None
    )
    assert result.instance.schools[0].name in cells  # the data, as typed
    assert not _untranslated(cells)
    assert not _english_words(cells, _data_words(result))


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed")
def test_compare_html_is_french_in_the_browser(
    scenarios: dict[str, sm.Result], tmp_path: Path
) -> None:
    with i18n.language("fr"):
        table = sm.compare(scenarios)
        headlines = table.headlines()
        table.write(tmp_path / "c")
    assert headlines.startswith("moins (par rapport à plan) : -5 élèves placés") or (
        headlines.startswith("moins (par rapport à plan) : -")
    )
    assert "élèves placés" in headlines
    assert "€ de transport" in headlines
    page = (tmp_path / "c" / "compare.html").read_text("utf-8")
    assert '<html lang="fr">' in page
    dom = _chromium((tmp_path / "c" / "compare.html").resolve().as_uri(), tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    text = re.sub(r"<[^>]+>", " ", dom.stdout.split("<body", 1)[1])
    for words in ("Scénarios comparés", "Ce qui change", "Tous les indicateurs", "Cars"):
        assert words in text, words
    assert "Niveau d'objectif 'placed'" in text and "Coût du transport (€)" in text
    assert not _untranslated(text)
    codes = {f"'{name}'" for name in scenarios["plan"].levels}  # level names are codes
    assert not _english_words(text, _data_words(scenarios["plan"]) | codes | {"moins", "plan"})


def test_every_figure_of_a_comparison_has_a_label(scenarios: dict[str, sm.Result]) -> None:
    """compare.html shows each figure by its label: a new figure without one would read as its
    code in every language."""
    frame = sm.compare(scenarios).frame
    figures = set(frame.loc[~frame["section"].str.startswith("level"), "figure"])
    assert figures and figures <= set(LABELS)


def test_the_recruitment_list_is_french(french_plan: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    command = ["gaps", str(french_plan), "--groups", "2", "--out", str(tmp_path / "g")]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main([*command, "--lang", "fr"]) == 0
    text = out.getvalue()
    result = read_result(french_plan)
    assert result.unplaced  # the pilot leaves students unplaced for lack of seats
    assert "Le meilleur plan actuel place" in text and "semaine" in text
    assert re.search(r"\+\d+ élèves placés, \+\d+ QPV", text)
    assert not _untranslated(text)
    assert not _english_words(text, _data_words(result) | {"any", str(tmp_path)})
    assert "Nouvelle structure d'accueil" in (tmp_path / "g" / "new_offers.csv").read_text("utf-8")


def test_the_transport_sheets_and_section_are_french(
    scenarios: dict[str, sm.Result], tmp_path: Path
) -> None:
    result = scenarios["plan"]
    with i18n.language("fr"):
        write_excel(result, tmp_path / "report.xlsx")
        page = render_html(result)
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert {"Transport", "Transport par établissement", "Groupes de car"} <= set(book.sheetnames)
    cells = "\n".join(
        str(value)
        for name in ("Transport", "Transport par établissement", "Groupes de car")
        for row in book[name].iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    assert "Coût des cars (€)" in cells and "Aller-retour (km)" in cells
    assert "matin" in cells or "après-midi" in cells or "journée" in cells
    data = _data_words(result)
    assert not _untranslated(cells) and not _english_words(cells, data)
    transport = page.split('<section id="transport">', 1)[1].split("</section>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]*"', "", transport))
    assert "Cars" in text and "€" in text
    assert not _untranslated(text) and not _english_words(text, data)
