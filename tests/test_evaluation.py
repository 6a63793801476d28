"""Question sets: reading them, and what counts as the key fact being in an answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.answer.structure import interviewer_prompt
from qa.errors import QaError
from qa.evaluation import holds_fact, load_questions, on_intent
from qa.records import Answer, Citation


def test_a_fact_counts_in_any_way_the_study_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    record = {"question": "How many were younger than 25?", "lang": "en", "document": "cases/a/b.md"}
    path.write_text(json.dumps({**record, "fact": "drie van de 48", "fact_also": ["3 van de 48"]}) + "\n")
    (question,) = load_questions(path)
    assert question.fact_also == ("3 van de 48",)
    assert holds_fact(question, "Jongeren onder de 25: 3 van de 48 deelnemers.")
    assert holds_fact(question, "Het werden er Drie van de 48.")
    assert not holds_fact(question, "Het werden er 3 van de 40.")
    path.write_text(json.dumps(record) + "\n")
    assert not holds_fact(load_questions(path)[0], "anything")  # no fact: nothing holds it


def test_a_bad_line_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text('{"question": "ok?", "document": "x"}\n{"lang": "nl"}\n')
    with pytest.raises(QaError, match=r"questions\.jsonl, line 2: not a question record"):
        load_questions(path)


INTERVIEW = (
    "Interviewer: Wat ging er goed?\n\n"
    "Voorzitter: De snelle beslissingen. Iedereen kende de regels.\n\n"
    "Interviewer: Wat zou u andere gemeenten aanraden?\n\n"
    "Voorzitter: Begin klein en geef bewoners echt het geld."
)


def test_the_interviewers_question_an_answer_replies_to() -> None:
    assert interviewer_prompt(INTERVIEW, INTERVIEW.index("Iedereen")) == "Wat ging er goed?"
    assert interviewer_prompt(INTERVIEW, INTERVIEW.index("Begin klein")) == "Wat zou u andere gemeenten aanraden?"
    assert interviewer_prompt("Voorzitter: midden in een antwoord.", 12) is None


def _cited(quote: str, section: str | None) -> Citation:
    return Citation(
        n=1, chunk_id=1, case_id="c", case_title="C", municipality="M", document="cases/c/i.md", kind="interview-bewoner",
        title="Interview", page=None, section=section, text=INTERVIEW, quote=quote,
    )  # fmt: skip


def test_a_quote_is_on_intent_by_its_heading_or_by_the_question_it_answers() -> None:
    answer = Answer(
        question="Wat raden bewoners aan?",
        text="…",
        abstained=False,
        language="nl",
        citations=(_cited("Begin klein en geef bewoners echt het geld.", "Tot slot"), _cited("De snelle", "Tot slot")),
    )
    assert on_intent(answer, "advice") == 0.5
    assert on_intent(answer, "positive") == 0.5
    headed = Answer(question="?", text="…", abstained=False, language="nl", citations=(_cited("x", "Succesfactoren"),))
    assert on_intent(headed, "positive") == 1.0 and on_intent(headed, "negative") == 0.0
