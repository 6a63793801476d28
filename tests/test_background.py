"""The background questions: the packaged list, a bad file, and closeness in an encoder's space."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import HashEmbedder

from qa.errors import QaError
from qa.search.background import Background, read_background
from qa.settings import AnswerSettings

# Words that would put a question on the study's own subject.
PARTICIPATION = ("particip", "bewonersinitiatie", "inspraak", "burgerpanel", "buurtbudget", "initiative", "loting")


def test_the_packaged_list_is_everyday_questions_in_both_languages() -> None:
    path = AnswerSettings().background_questions
    assert path is not None and path.is_file()
    questions = read_background(path)
    languages = [q.lang for q in questions]
    assert len(questions) >= 200 and languages.count("nl") >= 90 and languages.count("en") >= 90
    assert len({q.question for q in questions}) == len(questions)
    assert not [q.question for q in questions if any(w in q.question.lower() for w in PARTICIPATION)]


def test_the_packaged_list_holds_no_evaluation_question() -> None:
    """So that the off-topic figures of `qa eval` measure questions the list does not already hold."""
    background = {q.question.lower() for q in read_background(AnswerSettings().background_questions)}  # type: ignore[arg-type]
    repo = Path(__file__).resolve().parents[1]
    for name in ("offtopic.jsonl", "heldout-offtopic.jsonl", "questions.jsonl", "heldout-inscope.jsonl"):
        lines = (repo / "eval" / name).read_text(encoding="utf-8").splitlines()
        asked = {json.loads(line)["question"].lower() for line in lines if line.strip()}
        assert not background & asked, name


def test_a_bad_line_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "background.jsonl"
    path.write_text('{"question": "Hoe vraag ik een paspoort aan?", "lang": "nl"}\n{"lang": "en"}\n', encoding="utf-8")
    with pytest.raises(QaError, match=r"background\.jsonl, line 2: not a background question"):
        read_background(path)
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(QaError, match="no background questions"):
        read_background(path)
    with pytest.raises(QaError, match=r"missing\.jsonl: cannot read"):
        read_background(tmp_path / "missing.jsonl")


def test_closeness_is_the_best_cosine_to_a_background_question(tmp_path: Path) -> None:
    path = tmp_path / "background.jsonl"
    lines = ["Hoe vraag ik een paspoort aan?", "Wanneer wordt het grofvuil opgehaald?"]
    path.write_text("".join(json.dumps({"question": q, "lang": "nl"}) + "\n" for q in lines), encoding="utf-8")
    encoder = HashEmbedder()
    background = Background(read_background(path), encoder)
    same, other = encoder.embed_queries(["Wanneer wordt het grofvuil opgehaald?", "Wat werkte goed bij de loting?"])
    assert background.closeness(same) == pytest.approx(1.0, abs=1e-5)
    assert background.nearest(same).question == lines[1]
    assert background.closeness(other) < 0.5
