"""What a question asks, read from its words alone: language, intent, kind of source, follow-up cues.

Pure functions; no model. The word lists are small on purpose: they steer, the retrieval decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from qa import vocabulary
from qa.lexical import fold_text
from qa.vocabulary import Vocabulary

Language = Literal["nl", "en"]
Intent = Literal["positive", "negative", "advice"]

_WORD = re.compile(r"\w+")

_NL = frozenset(
    [
        "de",
        "het",
        "een",
        "en",
        "van",
        "wat",
        "welke",
        "waar",
        "wie",
        "hoe",
        "waarom",
        "hoeveel",
        "bij",
        "voor",
        "met",
        "zijn",
        "was",
        "waren",
        "werd",
        "werden",
        "niet",
        "ook",
        "daar",
        "dat",
        "die",
        "deze",
        "zeiden",
        "zei",
        "gemeente",
        "gemeenten",
        "bewoners",
        "goed",
        "ging",
        "kregen",
        "heeft",
        "hebben",
        "wordt",
        "op",
        "aan",
        "er",
        "casus",
        "casussen",
        "nog",
        "andere",
    ]
)
_EN = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "of",
        "what",
        "which",
        "where",
        "who",
        "how",
        "why",
        "many",
        "much",
        "for",
        "with",
        "is",
        "was",
        "were",
        "did",
        "does",
        "do",
        "not",
        "also",
        "there",
        "that",
        "this",
        "those",
        "these",
        "said",
        "say",
        "residents",
        "municipality",
        "municipalities",
        "worked",
        "went",
        "got",
        "has",
        "have",
        "in",
        "on",
        "to",
        "about",
        "other",
        "cases",
        "case",
    ]
)

AnswerType = vocabulary.AnswerType


def answer_type(folded_question: str, vocab: Vocabulary | None = None) -> AnswerType | None:
    """What kind of answer a (folded) question wants: the first of the vocabulary's answer types whose
    words it uses."""
    for name, asks, _looks in (vocab or vocabulary.packaged()).answer_types:
        if asks.search(folded_question):
            return name
    return None


def looks_like(kind: AnswerType, sentence: str, vocab: Vocabulary | None = None) -> bool:
    """Whether a sentence holds the kind of answer asked for (a date, an amount, a reason, ...)."""
    looks = next(looks for name, _asks, looks in (vocab or vocabulary.packaged()).answer_types if name == kind)
    return bool(looks.search(sentence))


@dataclass(frozen=True)
class QuestionCues:
    language: Language
    intent: Intent | None
    kind: str | None  # a DocumentKind value the question restricts to
    follow_up: bool  # refers back to the conversation ("daar", "that case", "en wat ...")
    other_cases: bool  # asks about the cases not discussed so far
    content_words: tuple[str, ...]  # folded words that carry the topic
    answer_type: AnswerType | None = None  # asks for a date, an amount, a duration, a count or a reason
    listing: bool = False  # asks for an enumeration ("wat zijn de succesfactoren?", "the fifth factor")
    about_research: bool = False  # asks about the research itself ("welke criteria", "the researchers")
    names_study: bool = False  # names the study or its cases ("in welke casussen", "which cases")
    across_cases: bool = False  # spans cases: "hoeveel gemeenten", "in which cases"

    @property
    def spans_cases(self) -> bool:
        """Its words ask about the cases together: what worked or went wrong (without naming a case),
        which municipalities or cases did something, the other cases."""
        return self.intent is not None or self.across_cases or self.other_cases


def words(text: str) -> list[str]:
    return _WORD.findall(fold_text(text))


def detect_language(text: str) -> Language:
    tokens = words(text)
    dutch = sum(1 for t in tokens if t in _NL) + sum(1 for t in tokens if t.endswith(("ij", "aa", "oe", "sch")))
    english = sum(1 for t in tokens if t in _EN) + sum(1 for t in tokens if t.endswith(("ing", "tion", "th")))
    return "en" if english > dutch else "nl"


_FUNCTION_WORDS = (
    _NL
    | _EN
    | frozenset(
        [
            "en",
            "and",
            "zeiden",
            "zei",
            "said",
            "say",
            "daar",
            "there",
            "ook",
            "also",
            "nog",
            "meer",
            "more",
            "wat",
            "what",
            "hoe",
            "how",
            "over",
            "about",
            "die",
            "deze",
            "dat",
            "dit",
            "bij",
            "in",
            "op",
        ]
    )
)


def topic_of(text: str, vocab: Vocabulary | None = None) -> str:
    """What a question is about, without the words that ask what worked, went wrong or is advised and
    without its function words ("Wat werkte goed bij bewonersinitiatieven?" -> "bewonersinitiatieven"):
    the part on which the cases differ. The folded question itself when nothing is left."""
    w = vocab or vocabulary.packaged()
    folded = fold_text(text)
    topic = folded
    for asks in (w.positive, w.negative, w.advice):
        topic = asks.sub(" ", topic)
    kept = [word for word in _WORD.findall(topic) if word not in _FUNCTION_WORDS]
    return " ".join(kept) or folded


def read_question(text: str, vocab: Vocabulary | None = None) -> QuestionCues:
    """What a question asks, read with `vocab` (default: the packaged vocabulary)."""
    w = vocab or vocabulary.packaged()
    folded = fold_text(text)
    # Advice is read after "what went wrong?" ("What should be done differently?" asks that) and before
    # "what worked?" ("What does the study recommend?" is not that question).
    intent: Intent | None = None
    if w.negative.search(folded):
        intent = "negative"
    elif w.advice.search(folded) and answer_type(folded, w) is None:  # not "hoeveel aanbevelingen ...?"
        intent = "advice"
    elif w.positive.search(folded):
        intent = "positive"
    asks_for = answer_type(folded, w)
    if asks_for in ("date", "money", "duration", "count"):
        # a question for a number or a date asks for that fact: "Aan hoeveel succescriteria voldoet de
        # website?" is a count, not "what worked"; its intent words are its topic
        intent = None
    kind = None
    if w.resident.search(folded):
        kind = "interview-bewoner"
    elif w.official.search(folded):
        kind = "interview-ambtenaar"
    elif w.analysis.search(folded):
        kind = "documentanalyse"
    content = tuple(t for t in words(text) if t not in _FUNCTION_WORDS and len(t) > 2)
    starts_with_and = bool(w.opens_follow_up.match(folded))
    return QuestionCues(
        language=detect_language(text),
        intent=intent,
        kind=kind,
        follow_up=starts_with_and or bool(w.follow_up.search(folded)),
        other_cases=bool(w.other_cases.search(folded)),
        content_words=content,
        answer_type=asks_for,
        listing=bool(w.listing.search(folded)),
        about_research=bool(w.about_research.search(folded)),
        names_study=bool(w.names_study.search(folded)),
        across_cases=bool(w.across_cases.search(folded)),
    )
