"""The extractive answer composer: answers built only from the study's own sentences.

Every finding in an answer is a verbatim sentence (or clause) of a cited passage; the composer
writes only the lead and the headings. The stages, in the order data flows, each a module:
`reading` (what the question asks, which cases it names) → `gathering` (every index read: the
passages, per case, and their sentences) → `scoring` (each sentence against the question) →
`selection` (which cases speak to the question, which quotes of each) → `grouping` (findings under
the study's own overarching factors) → `writing` (the answer text and its citations). `abstention`
decides whether the study speaks to the question at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.answer.abstention import Signals, abstains
from qa.answer.gathering import Gathered, gather
from qa.answer.reading import Resolved, resolve
from qa.answer.scoring import Candidate, Retrieved, ScoreParts, candidates, rescore, score, weigh
from qa.answer.selection import select
from qa.answer.writing import compose
from qa.records import Answer, Turn
from qa.search.retrieval import Filters, Retriever
from qa.settings import Settings

__all__ = [
    "Candidate",
    "Gathered",
    "Resolved",
    "Retrieved",
    "ScoreParts",
    "Signals",
    "abstains",
    "candidates",
    "compose",
    "compose_answer",
    "gather",
    "rescore",
    "resolve",
    "retrieve",
    "score",
    "select",
    "weigh",
]


def retrieve(
    retriever: Retriever, question: str, filters: Filters, history: Sequence[Turn], settings: Settings
) -> Retrieved:
    """Gather what the study holds for a question (every index read), then score its sentences."""
    return score(gather(retriever, question, filters, history, settings), settings.answer)


def compose_answer(
    retriever: Retriever,
    question: str,
    filters: Filters,
    history: Sequence[Turn],
    settings: Settings,
) -> Answer:
    """Gather what the study holds for a question, then compose the answer from it."""
    return compose(question, retrieve(retriever, question, filters, history, settings), settings)
