"""The answer's view on the vocabulary (`qa.vocabulary`): whether a passage is filed under what the
question asks for, by its section's own heading. Every stage that asks "is this passage filed under
what the question asks for?" reads these, so that the answer and its gathering agree."""

from __future__ import annotations

from qa.ingest.readers.sections import leaf
from qa.search.question import Intent, QuestionCues
from qa.vocabulary import Vocabulary, packaged


def section_bonus(section: str | None, cues: QuestionCues, words: Vocabulary | None = None) -> float:
    """How a passage's section matches the question's intent: 1 (filed under it), -0.5 (filed under the
    opposite), 0 (neither, or the question has no intent)."""
    return filing(section, cues.intent, words)


def filing(section: str | None, intent: Intent | None, words: Vocabulary | None = None) -> float:
    """How a section's heading files what it holds: 1 under `intent`, -0.5 under the opposite, else 0."""
    return (words or packaged()).filing(leaf(section), intent)


def on_intent(section: str | None, cues: QuestionCues, words: Vocabulary | None = None) -> bool:
    """Whether the study files a passage's section under what the question asks for."""
    return filing(section, cues.intent, words) > 0
