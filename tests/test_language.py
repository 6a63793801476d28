"""Dutch or English, decided by lingua: the issue's short Dutch questions, names alone, and speed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from qa.search.question import detect_language, language_detector, words_beside_names

EVAL = Path(__file__).resolve().parents[1] / "eval"
LANGUAGE_SET = EVAL / "language.jsonl"
# Written by someone who saw neither the set above nor the code, measured once when the detection was
# final and never tuned on (301 of 307): what a new asker's questions get.
HELDOUT_SET = EVAL / "language-heldout.jsonl"
HELDOUT_AT_LEAST = 0.98
# The target is 0.98. The words of each language's grammar, then lingua word by word, reach 0.996
# (292 of 293; lingua word by word alone 0.973, the old word-ending rule 0.823). What it misses: a title
# without them that puts one of the study's Dutch terms beside an English word ("Zandwijck buurtbudget
# results"), which only knowing the study's terms would tell.
ACCURACY_AT_LEAST = 0.99


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Financiering buurtbudget", "nl"),  # a first word ending in -ing is not English
        ("Vergadering bewonersvereniging Zandwijck?", "nl"),
        ("Financiering van bewonersinitiatieven?", "nl"),
        ("Participatie", "nl"),
        ("Budget", "nl"),
        ("Wat werkte goed bij bewonersinitiatieven?", "nl"),
        ("Meeting with residents", "en"),
        ("Funding of resident initiatives?", "en"),
        ("What worked well?", "en"),
        ("Which municipalities used sortition?", "en"),
    ],
)
def test_language_of_short_questions(question: str, language: str) -> None:
    assert detect_language(question) == language


@pytest.mark.parametrize("text", ["", "   ", "?", "2016", "Wierdenhaven", "Oudewater-Noord", "Loting", "x" * 2000])
def test_what_lingua_cannot_tell_is_dutch(text: str) -> None:
    assert detect_language(text) == "nl"


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Was a burgerbegroting or a wijkbudget used?", "en"),  # Dutch terms, English grammar
        ("Oosterlinde wijkbudget: was it spent?", "en"),  # a name and a term first
        ("Was er een kick-off meeting met de stakeholders?", "nl"),  # English terms, Dutch grammar
        ("Best practices uit Kroonsmeer?", "nl"),
        ("Den Haag results?", "en"),  # "Den" starts a name, it is no article
    ],
)
def test_the_words_of_a_grammar_tell_the_language_of_borrowed_terms(question: str, language: str) -> None:
    assert detect_language(question) == language


def test_detector_is_built_once_and_answers_within_milliseconds() -> None:
    assert language_detector() is language_detector()
    questions = ["Financiering buurtbudget", "What went wrong with the citizens' panel?"] * 50
    start = time.perf_counter()
    for question in questions:
        detect_language(question)
    per_question = (time.perf_counter() - start) / len(questions)
    assert per_question < 0.005


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Did Bergen op Zoom use a burgerpanel?", ["Did", "use", "a", "burgerpanel"]),
        ("Alphen aan den Rijn wijkraden: still active?", ["wijkraden", "still", "active"]),
        ("Wat zeiden bewoners in Wierdenhaven?", ["Wat", "zeiden", "bewoners", "in"]),
        ("What is a bewonersvereniging exactly?", ["What", "is", "a", "bewonersvereniging", "exactly"]),
        ("In 's-Hertogenbosch", ["In"]),
    ],
)
def test_names_are_no_evidence_of_a_language(text: str, words: list[str]) -> None:
    assert words_beside_names(text) == words


def _accuracy(path: Path) -> float:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert min(sum(1 for row in rows if row["lang"] == lang) for lang in ("nl", "en")) >= 100
    return sum(1 for row in rows if detect_language(row["question"]) == row["lang"]) / len(rows)


def test_accuracy_on_short_questions_in_both_languages() -> None:
    assert _accuracy(LANGUAGE_SET) >= ACCURACY_AT_LEAST


def test_accuracy_on_held_out_questions() -> None:
    assert _accuracy(HELDOUT_SET) >= HELDOUT_AT_LEAST
