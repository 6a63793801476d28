"""Where a key fact is lost on its way to the answer: not retrieved, out-scored, or left out."""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer import Retrieved
from qa.evaluation.questions import Question, holds_fact
from qa.records import Answer
from qa.settings import AnswerSettings


@dataclass(frozen=True)
class FactTrace:
    """Where a question's key fact went on its way into the answer."""

    in_passages: bool  # in a retrieved passage
    place: int | None  # among the quotable sentences of those passages, best first (None: in none)
    in_answer: bool
    why: str  # "quoted", or the first reason it was not


def trace_fact(question: Question, retrieved: Retrieved, answer: Answer, config: AnswerSettings) -> FactTrace:
    """Why a fact that retrieval found was or was not quoted (pure): below the group margin of the best
    sentence; its case not quoted; below the quote margin of its case's best sentence; its passage
    already quoted for another sentence (an answer that quotes several cases quotes a passage once); or its case's
    budget of sentences spent on ones that score higher."""
    in_passages = any(holds_fact(question, hit.text) for hit in retrieved.hits)
    several = not retrieved.filters.single_case and len({c.case_id for c in answer.citations}) > 1
    found = retrieved.found
    place = next((i for i, c in enumerate(found) if holds_fact(question, c.quote)), None)
    if not answer.abstained and holds_fact(question, answer.text):
        return FactTrace(in_passages, place, True, "quoted")
    if answer.abstained:
        why = "abstained"
    elif place is None:
        why = "not quotable" if in_passages else "not in a retrieved passage"
    elif found[place].score < found[0].score - config.group_margin:
        why = "below the group margin"
    elif found[place].hit.case_id not in {c.case_id for c in answer.citations}:
        why = "its case not quoted"
    elif found[place].score < max(c.score for c in found if c.group == found[place].group) - config.quote_margin:
        why = "below the quote margin"
    elif several and found[place].hit.chunk_id in {c.chunk_id for c in answer.citations}:
        why = "its passage quoted for another sentence"
    else:
        why = "budget of its case spent"
    return FactTrace(in_passages, place, False, why)
