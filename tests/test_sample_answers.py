"""The whole chain on the sample study with the real default encoder: retrieval, answers, abstention."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO

from qa.answer import abstains, compose, retrieve
from qa.evaluation import FactTrace, Question, citation_problems, evaluate, load_questions, trace_fact
from qa.records import Turn
from qa.search.retrieval import Filters

pytestmark = pytest.mark.slow


def test_retrieval_finds_the_answer_in_both_languages(sample_service) -> None:  # type: ignore[no-untyped-def]
    questions = load_questions(REPO / "eval" / "questions.jsonl")
    results = evaluate(sample_service.retriever, questions, modes=("hybrid",), depth=10)
    for lang in ("nl", "en"):
        scores = results["answer"]["hybrid"][lang]
        assert scores.recall_at_5 >= 0.85, (lang, scores)


@pytest.mark.parametrize(
    ("question", "language"),
    [("Wat werkte goed bij bewonersinitiatieven?", "nl"), ("What worked for resident initiatives?", "en")],
)
def test_what_worked_for_resident_initiatives(sample_service, question: str, language: str) -> None:  # type: ignore[no-untyped-def]
    answer = sample_service.ask(question)
    assert not answer.abstained and answer.language == language
    assert citation_problems(answer) == []
    assert "initiatievenfonds-wierdenhaven" in {c.case_id for c in answer.citations}
    lead = answer.text.splitlines()[0]
    assert ("casussen" in lead) if language == "nl" else ("cases" in lead or "case" in lead)


@pytest.mark.parametrize("question", ["Hoe vraag ik een nieuw paspoort aan?", "Who won the 2014 football World Cup?"])
def test_off_topic_questions_are_declined(sample_service, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = sample_service.ask(question)
    assert answer.abstained and not answer.citations


@pytest.mark.parametrize(
    "question",
    [
        "How much does it cost to renew a driving licence?",
        "How do I enrol my child in a primary school?",
        "Wat zijn de openingstijden van het zwembad?",
    ],
)
def test_everyday_municipal_questions_are_declined(sample_service, question: str) -> None:  # type: ignore[no-untyped-def]
    """Questions near the study's domain, which it used to answer from passages that share their words
    (qa.search.background); none of them is in the background list."""
    answer = sample_service.ask(question)
    assert answer.abstained and not answer.citations
    # it is the background that declines them: they are closer to it than a question on the study is,
    # and without its term they would be answered
    settings = sample_service.settings
    asked = retrieve(sample_service.retriever, question, Filters(), [], settings).signals
    on_topic = retrieve(sample_service.retriever, "What worked for resident initiatives?", Filters(), [], settings)
    assert asked.elsewhere > on_topic.signals.elsewhere
    assert not abstains(replace(asked, elsewhere=0.0), answer.language, settings.answer)[0]


def test_follow_up_keeps_to_the_case_and_the_residents(sample_service) -> None:  # type: ignore[no-untyped-def]
    first = sample_service.ask("Wat ging er mis bij het burgerpanel in Brakelsteyn?")
    assert not first.abstained and first.scope == ("burgerpanel-brakelsteyn",)
    history = [Turn("user", first.question), Turn("assistant", first.text, scope=first.scope)]
    follow = sample_service.ask("En wat zeiden de bewoners daar?", history=history)
    assert not follow.abstained and citation_problems(follow) == []
    assert {c.case_id for c in follow.citations} == {"burgerpanel-brakelsteyn"}
    assert {c.kind for c in follow.citations} == {"interview-bewoner"}


def test_a_pdf_citation_names_its_page(sample_service) -> None:  # type: ignore[no-untyped-def]
    answer = sample_service.ask("Hoe lang duurde het tellen van de papieren stembiljetten in Noorderpolder?")
    pdf = [c for c in answer.citations if c.document.endswith(".pdf")]
    assert pdf and all(c.page is not None and c.page >= 1 for c in pdf)
    assert any("drie weken" in c.quote for c in answer.citations)
    assert Path(REPO / "corpus" / pdf[0].document).is_file()


@pytest.mark.parametrize(
    "question", ["What does the study recommend to The Hague?", "Wat raden de onderzoekers Den Haag aan?"]
)
def test_the_recommendations_for_the_hague(sample_service, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = sample_service.ask(question)
    assert not answer.abstained and citation_problems(answer) == []
    assert answer.citations[0].section == "Aanbevelingen voor Den Haag"
    assert answer.text.count("\n  - “") >= 6  # the list the announcing sentence brings


def test_a_panels_recommendations_are_the_panels(sample_service) -> None:  # type: ignore[no-untyped-def]
    answer = sample_service.ask("Hoeveel aanbevelingen deed het burgerpanel?")
    # the panel's, not the study's own recommendations to The Hague: a study passage is quoted only
    # where it speaks of this panel
    assert "burgerpanel-brakelsteyn" in {c.case_id for c in answer.citations}
    for citation in answer.citations:
        assert citation.case_id == "burgerpanel-brakelsteyn" or "Brakelsteyn" in citation.quote, citation.quote
    # the study writes it both ways: "17 aanbevelingen" (resident), "Zeventien aanbevelingen" (official)
    assert re.search(r"\b(17|zeventien) aanbevelingen", answer.text, re.IGNORECASE)


def test_a_key_fact_is_traced_to_where_it_was_lost(sample_service) -> None:  # type: ignore[no-untyped-def]
    settings, retriever = sample_service.settings, sample_service.retriever
    asked = "Hoeveel aanbevelingen nam de raad van Brakelsteyn over?"
    retrieved = retrieve(retriever, asked, Filters(), (), settings)
    answer = compose(asked, retrieved, settings)
    found = trace_fact(Question(asked, (), fact="12", lang="nl"), retrieved, answer, settings.answer)
    assert found.in_passages and found.in_answer and found.place is not None and found.why == "quoted"
    absent = trace_fact(Question(asked, (), fact="zeppelin", lang="nl"), retrieved, answer, settings.answer)
    assert absent == FactTrace(False, None, False, "not in a retrieved passage")


def test_qa_cases_matrix_on_the_sample_study(sample_settings, sample_service, capsys) -> None:  # type: ignore[no-untyped-def]
    """The matrix from the command line: the synthesis's six overarching factors, every case a row, and
    cells that open to the passages that support them."""
    import json

    from qa.cli import main

    code = main(["cases", "--matrix", "--json", "--index", str(sample_settings.index)])
    assert code == 0
    positive, negative = json.loads(capsys.readouterr().out)
    assert len(positive["factors"]) == 6 and positive["factors"][1].startswith("2. Budget")
    assert len(positive["cases"]) == 8 and negative["intent"] == "negative"
    cells = [cell for case in positive["cases"] for cell in case["cells"] if cell["count"]]
    assert len(cells) >= 8
    assert all(p["quotes"] and p["document"] for cell in cells for p in cell["passages"])


def test_a_cross_case_question_lists_every_case_considered(sample_service) -> None:  # type: ignore[no-untyped-def]
    answer = sample_service.ask("What should The Hague watch out for when starting a neighbourhood budget?")
    assert citation_problems(answer) == []
    assert len(answer.cases) == 8
    cited = {c.case_id for c in answer.citations if c.case_id}
    assert {v.case_id for v in answer.cases if v.relevant} == cited
    assert "buurtbudget-noorderpolder" in cited and "initiatievenfonds-wierdenhaven" in cited
    silent = [v for v in answer.cases if not v.relevant]
    if_any = answer.text.splitlines()[-1]
    assert (if_any.startswith("Not discussed in: ") and all(v.case_title in if_any for v in silent)) == bool(silent)
