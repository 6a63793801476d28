"""Read the question in its conversation: what it asks, and which cases it is restricted to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from qa.names import named_cases, without_names
from qa.records import CaseInfo, Turn
from qa.search.question import QuestionCues, read_question
from qa.vocabulary import Vocabulary


@dataclass(frozen=True)
class Resolved:
    """The question as retrieval should see it, after reading the conversation."""

    query: str
    cues: QuestionCues
    scope: tuple[str, ...]
    inherited: bool


def resolve(
    question: str, history: Sequence[Turn], cases: Sequence[CaseInfo], words: Vocabulary | None = None
) -> Resolved:
    """Follow-ups keep to the previous answer's cases; a question without a topic inherits one (`words`:
    the vocabulary the question is read with, default the packaged one)."""
    cues = read_question(question, words)
    named = named_cases(question, cases)
    if named:  # a case's name says nothing about what is asked of it ("Right to Challenge")
        unnamed = without_names(question, [c for c in cases if c.case_id in named])
        intent = read_question(unnamed, words).intent
        # what a case's people recommended, or what its panel advised, is in the case, not in the
        # study's recommendations for The Hague
        cues = replace(cues, intent=None if intent == "advice" else intent)
    previous_question = _topic_question(history, cases, words)
    previous_scope = next((t.scope for t in reversed(history) if t.role == "assistant" and t.scope), ())
    query, scope, inherited = question, named, False
    if previous_question and (len(cues.content_words) < 2 or cues.other_cases) and not named:
        topic = previous_question
        if cues.other_cases:  # "and in the other cases?": the topic without the case it was about
            topic = without_names(topic, [c for c in cases if c.case_id in previous_scope])
        query = f"{topic} {question}"
        inherited = True
    if not named and previous_scope:
        if cues.other_cases:
            scope = tuple(c.case_id for c in cases if c.case_id not in previous_scope)
        elif cues.follow_up:
            scope = previous_scope
    if inherited:
        previous = read_question(previous_question or "", words)
        cues = replace(cues, intent=cues.intent or previous.intent, content_words=previous.content_words)
    return Resolved(query=query, cues=cues, scope=scope, inherited=inherited)


def _topic_question(history: Sequence[Turn], cases: Sequence[CaseInfo], words: Vocabulary | None) -> str | None:
    """The latest question of the user that carries a topic of its own: after "Wat werkte goed in
    Noorderpolder?" and "En wat zeiden de bewoners daar?", the first one."""
    asked = [t.content for t in reversed(history) if t.role == "user"]
    for text in asked:
        if len(read_question(text, words).content_words) >= 2 or named_cases(text, cases):
            return text
    return asked[0] if asked else None
