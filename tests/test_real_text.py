"""What documents written by others do to the composer: tables of contents, question-and-answer
documents, reasons announced in one sentence and given in the next, intent words that are a topic."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_pdf
from fakes import HashEmbedder

from qa.answer.structure import is_prose
from qa.evaluation import Question, citation_problems, evaluate_answers
from qa.index.build import build_index
from qa.search.question import read_question
from qa.service import Vraagbaak
from qa.settings import AnswerSettings, Settings

QA_DOCUMENT = [
    [
        "Vragen van het lid Jansen aan de Minister over de Tozo-lening.",
        "Vraag 1 Klopt het dat de Tozo-lening een lening voor zelfstandigen is, uitgevoerd door gemeenten?",
        "Antwoord 1 Ja. De Tozo-lening wordt door gemeenten verstrekt aan zelfstandigen.",
        "Vraag 2 Kunt u toelichten waarom de rente voor de Tozo-lening op 2% is gesteld.",
        "Antwoord 2 Bij de invoering van de Tozo is toegelicht waarom de rente is bepaald op 2%. "
        "Bij de keuze voor de rente is aangesloten bij het percentage dat Qredits hanteert voor kleine kredieten.",
    ]
]
REPORT = [
    [
        "Inhoudsopgave",
        "Samenvatting ........................................ 3",
        "Resultaten van de toets van de website ................ 5",
    ],
    [
        "Resultaten van de toets",
        "Er wordt voldaan aan 47 van 56 succescriteria van de toets van de website (83 %).",
        "De website is getoetst door een onafhankelijk bureau in het voorjaar.",
    ],
]


@pytest.fixture
def study(tmp_path: Path) -> Vraagbaak:
    root = tmp_path / "corpus"
    folder = root / "cases" / "rijk"
    folder.mkdir(parents=True)
    (folder / "case.toml").write_text('title = "Rijksdocumenten"\nmunicipality = "Den Haag"\n', encoding="utf-8")
    make_pdf(folder / "kamervragen.pdf", QA_DOCUMENT)
    make_pdf(folder / "rapport.pdf", REPORT)
    bars = {"guarded_bar_nl": -9, "guarded_bar_nl_unknown": -9, "abstain_below": -9, "abstain_unknown_nl": -9}
    settings = Settings(
        corpus=root, index=tmp_path / "index", answer=AnswerSettings(**bars), indexing={"guard_encoder": None}
    )
    build_index(settings, HashEmbedder())
    return Vraagbaak(settings, HashEmbedder())


def test_lines_that_are_not_prose() -> None:
    assert not is_prose("Samenvatting ........................ 3")
    assert not is_prose("5 Basisniveau van toegankelijkheidsondersteuning …………………………")
    assert not is_prose("2.1 Reikwijdte van het onderzoek 7")
    assert not is_prose("Naam: ________________")
    assert not is_prose("https://open.minvws.nl/dossier/VWS-WC/098/file/download/main_document/1eeab142")
    assert is_prose("Meer informatie staat op https://www.example.nl bij de gemeente en in de bibliotheek.")
    assert is_prose("Er wordt voldaan aan 47 van 56 succescriteria (83 %).")
    assert is_prose("Deelnemers: 48")  # a table row read as a sentence
    assert is_prose("De raad stemde in 2015 in met het voorstel")


def test_a_table_of_contents_is_never_quoted(study: Vraagbaak) -> None:
    answer = study.ask("Wat zijn de resultaten van de toets van de website?")
    assert citation_problems(answer) == []
    assert answer.citations
    assert not any("...." in c.quote for c in answer.citations), answer.text


def test_a_count_is_not_what_worked() -> None:
    cues = read_question("Aan hoeveel succescriteria voldoet de website?")
    assert cues.answer_type == "count" and cues.intent is None
    assert read_question("How many problems did the researcher record?").intent is None
    assert read_question("Wat werkte goed bij het buurtbudget?").intent == "positive"
    assert read_question("Waarom ging het mis bij de stemming?").intent == "negative"  # a reason keeps it


def test_the_answer_is_quoted_not_the_question_and_a_reason_with_its_announcement(study: Vraagbaak) -> None:
    answer = study.ask("Waarom is de rente voor de Tozo-lening op 2% gezet?")
    assert citation_problems(answer) == []
    quotes = [part for c in answer.citations for part in c.quote.split(" … ")]
    assert not any("Kunt u toelichten" in q or "Klopt het dat" in q for q in quotes), quotes
    assert not any(q.startswith(("Antwoord", "Vraag")) for q in quotes), quotes
    announced = next(q for q in quotes if "is toegelicht waarom" in q)
    assert announced.endswith("aangesloten bij het percentage dat Qredits hanteert voor kleine kredieten.")


def test_the_evaluation_scores_whether_the_questions_document_is_cited_and_quoted_first(study: Vraagbaak) -> None:
    # as `qa eval --set` scores the dekamer questions written by `benchmarks.real_answers --eval-sets`
    asked = "Waarom is de rente voor de Tozo-lening op 2% gezet?"
    right = Question(asked, ("cases/rijk/kamervragen.pdf",), None, "nl", None, cases=("rijk",))
    wrong = Question(asked, ("cases/rijk/rapport.pdf",), None, "nl", None, cases=("rijk",))
    answer = study.ask(asked)
    assert answer.citations[0].document == "cases/rijk/kamervragen.pdf"
    assert all(c.document == "cases/rijk/kamervragen.pdf" for c in answer.citations)
    scores, _failures = evaluate_answers(study.ask, [right, wrong], [])
    assert (scores["nl"].document_cited, scores["nl"].document_first) == (0.5, 0.5)
    assert scores["all"].as_json()["document_first"] == 0.5
