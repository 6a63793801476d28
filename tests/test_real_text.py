"""What documents written by others do to the composer: tables of contents, question-and-answer
documents, reasons announced in one sentence and given in the next, intent words that are a topic."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import make_hit, make_pdf
from fakes import HashEmbedder

from benchmarks.real_answers import document_ranks, score_facts
from qa.answer.scoring import Candidate, ScoreParts
from qa.answer.selection import select, select_typed, typed_first
from qa.answer.structure import is_prose, tabular
from qa.evaluation import Question, citation_problems, evaluate_answers
from qa.index.build import build_index
from qa.search.question import counts_named, holds_answer, read_question
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


def test_the_fact_sets_score_the_fact_quoted_and_the_fact_in_a_cited_passage_apart(study: Vraagbaak) -> None:
    asked = "Waarom is de rente voor de Tozo-lening op 2% gezet?"
    document = "cases/rijk/kamervragen.pdf"
    questions = [
        (Question(asked, (document,), None, "nl", fact), document)
        for fact in ("Qredits", "lid Jansen", "onafhankelijk bureau")  # quoted; in the cited passage; neither
    ]
    not_prose: list[str] = []
    scores, missed = score_facts(study, questions, not_prose)
    assert scores["nl"] == {"n": 3, "fact": 1 / 3, "fact_in_cited_passage": 2 / 3, "declined": 0.0}
    assert [m["fact"] for m in missed] == ["lid Jansen", "onafhankelijk bureau"]
    assert not_prose == []


def test_the_answering_documents_place_in_a_search_without_the_cap_per_case(study: Vraagbaak) -> None:
    asked = "Waarom is de rente voor de Tozo-lening op 2% gezet?"
    documents = ["cases/rijk/kamervragen.pdf", "cases/rijk/rapport.pdf", "cases/rijk/elders.pdf"]
    assert document_ranks(study, [asked] * 3, documents) == [1, 2, 0]  # 0: not found


def test_a_question_for_a_date_amount_or_count_asks_beyond_what_it_says() -> None:
    cues = read_question("Hoeveel bewoners brachten in maart 2015 hun stem uit over het buurtbudget?")
    # a count of residents, however much the case's name ("buurtbudget") sounds like money
    assert (cues.answer_type, cues.counted, cues.given) == ("count", "bewoners", ("2015",))
    assert holds_answer(cues, "In totaal stemden 1.870 bewoners.")
    assert not holds_answer(cues, "In 2015 mochten de bewoners zelf beslissen.")  # only the question's year
    assert counts_named(cues, "In totaal stemden 1.870 bewoners.")
    assert not counts_named(cues, "In 2015 mochten de bewoners zelf beslissen.")
    assert not counts_named(cues, "Er waren 14 voorstellen voor de bewoners.")
    pages = read_question("Hoeveel webpagina's zijn er in het onderzoek bekeken?")
    assert counts_named(pages, "Tijdens dit onderzoek zijn 15 pagina's onderzocht.")  # the head of the compound
    assert read_question("Hoeveel geld ging naar het fonds?").answer_type == "money"
    assert read_question("Hoeveel tijd had de ambtenaar ervoor?").answer_type == "duration"
    assert read_question("By when was the roll-out planned?").answer_type == "date"


def test_the_sentence_with_the_asked_for_date_is_quoted_before_closer_ones() -> None:
    text = (
        "De export van peren naar Vietnam en Brazilie wordt voorbereid met de sector. "
        "Na overleg met de minister mogen peren sinds 17 februari naar Brazilie. "
        "De sector wil meer export."
    )
    cues = read_question("Sinds wanneer mogen peren naar Brazilie?")
    hit = make_hit("rijk", text, section="Export")
    sentences = [(text.index(s), text.index(s) + len(s)) for s in text.split(". ")]
    found = [
        Candidate(hit, a, b, None, score, score, 1, 0, (_parts(holds_answer(cues, text[a:b])),))
        for (a, b), score in zip(sentences, (0.93, 0.90, 0.80), strict=True)
    ]
    # another case, close behind, whose sentence gives a date too: it does not take the answer over
    other = make_hit("elders", "Sinds 2016 gaan peren ook naar Vietnam.", chunk=2, section="Export", end=0)
    elsewhere = Candidate(other, 0, len(other.text), None, 0.925, 0.925, 1, 0, (_parts(True),))
    config = AnswerSettings(sentences_per_case=1)
    groups = select_typed([*found[:1], elsewhere, *found[1:]], cues, config, single_case=False, max_cases=1)
    assert [[c.quote for c in g] for g in groups] == [[text[sentences[1][0] : sentences[1][1]]]]
    assert select(found, config, single_case=True)[0][0].quote.startswith("De export")  # as ranked: the topic
    # beyond the margin of the best, the order is the ranking's
    far = [replace(found[0], score=0.99), *found[1:]]
    assert typed_first(far, cues, config)[0].quote.startswith("De export")
    # nor does another document of the same case push out the one that answers it best
    beside = replace(other, case_id="rijk", document="cases/rijk/b.md")
    same_case = Candidate(beside, 0, len(beside.text), None, 0.92, 0.92, 1, 0, (_parts(True),))
    kept = select_typed([found[0], same_case], cues, config, single_case=False, max_cases=1)
    assert [[c.quote for c in g] for g in kept] == [[found[0].quote]]


def _parts(typed: bool) -> ScoreParts:
    return ScoreParts(0.9, 0.9, None, 0.0, 0.0, typed, False, 0)


def test_a_sentence_full_of_names_is_a_sentence_and_a_table_run_together_is_not() -> None:
    names = (
        "Vragen van de leden Van Weyenberg, Romke de Jong en Kat (allen D66) aan de Minister van Sociale "
        "Zaken en Werkgelegenheid over de TOZO (ingezonden 3 juni 2021)."
    )
    assert not tabular(names)
    table = (
        "Criterium Omschrijving Niveau Resultaat 2.1.1 Toetsenbord A Voldoet 2.1.2 Geen toetsenbordval A "
        "Voldoet 2.1.4 Enkel teken sneltoetsen A Voldoet 2.2.1 Timing aanpasbaar A Voldoet 2.2.2 Pauzeren A"
    )
    assert tabular(table)


def test_a_case_that_alone_speaks_to_a_question_may_give_more_than_one_sentence_of_a_passage(tmp_path: Path) -> None:
    # Across cases a passage is quoted once, so that each case shows what it says in several places;
    # where one case alone answers, the sentence with the fact often stands beside the closest one.
    root = tmp_path / "corpus"
    folder = root / "cases" / "rijk"
    folder.mkdir(parents=True)
    (folder / "case.toml").write_text('title = "Rijksdocumenten"\nmunicipality = "Den Haag"\n', encoding="utf-8")
    lines = [
        "Antwoord over de terugkeer naar Griekenland.",
        "De terugkeer van asielzoekers naar Griekenland wordt in Brussel besproken door de ministers.",
        "Daarover is nog niets beslist.",
        "Het agentschap EASO gaat de opvang van deze asielzoekers volgen.",
    ]
    make_pdf(folder / "antwoord.pdf", [lines])
    bars = {"guarded_bar_nl": -9, "guarded_bar_nl_unknown": -9, "abstain_below": -9, "abstain_unknown_nl": -9}
    settings = Settings(
        corpus=root, index=tmp_path / "index", answer=AnswerSettings(**bars), indexing={"guard_encoder": None}
    )
    build_index(settings, HashEmbedder())
    answer = Vraagbaak(settings, HashEmbedder()).ask(
        "Welk agentschap volgt de opvang van asielzoekers die naar Griekenland terugkeren?"
    )
    assert citation_problems(answer) == []
    assert len({c.chunk_id for c in answer.citations}) == 1  # one passage ...
    assert "besproken door de ministers" in answer.text  # ... its closest sentence
    assert "Het agentschap EASO" in answer.text  # ... and the one with the fact
