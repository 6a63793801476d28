"""What a question asks, read from its words alone: language, intent, kind of source, follow-up cues.

Pure functions. The language is lingua's statistical guess between Dutch and English; the rest reads
small word lists, on purpose: they steer, the retrieval decides.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from qa import vocabulary
from qa.names import NAME_PARTICLES
from qa.textclean import fold_text
from qa.vocabulary import Vocabulary

if TYPE_CHECKING:
    from lingua import LanguageDetector

Language = Literal["nl", "en"]
Intent = Literal["positive", "negative", "advice"]

_WORD = re.compile(r"\w+")
_WORD_OR_NUMBER = re.compile(r"\d[\d.,]*|\w[\w']*")
_COUNT_REACH = 3  # words: how far before the counted thing its number may stand ("1.870 bewoners")

AnswerType = vocabulary.AnswerType


def answer_type(folded_question: str, vocab: Vocabulary | None = None) -> AnswerType | None:
    """What kind of answer a (folded) question wants: the first of the vocabulary's answer types whose
    words it uses."""
    for name, asks, _looks in (vocab or vocabulary.packaged()).answer_types:
        if asks.search(folded_question):
            return name
    return None


def holds_answer(cues: QuestionCues, sentence: str, vocab: Vocabulary | None = None) -> bool:
    """Whether a sentence holds the kind of answer the question asks for, beyond what the question
    already says: a date, an amount, a number, a reason ... that the question does not state itself
    ("Hoeveel bewoners stemden in maart 2015?" is not answered by a sentence for its "2015")."""
    if cues.answer_type is None:
        return False
    w = vocab or vocabulary.packaged()
    values = answer_values(cues.answer_type, sentence, w)
    return any(fold_text(value) not in cues.given for value in values) or (
        cues.answer_type == "count" and "%" in sentence
    )


def counts_named(cues: QuestionCues, sentence: str, vocab: Vocabulary | None = None) -> bool:
    """Whether a sentence gives a number beside the thing a count question names ("In totaal stemden
    1.870 bewoners" for "Hoeveel bewoners ...?")."""
    if cues.answer_type != "count" or cues.counted is None:
        return False
    number = _looks(vocab or vocabulary.packaged(), "count")
    tokens = _WORD_OR_NUMBER.findall(fold_text(sentence))
    return any(
        _same_noun(token, cues.counted)
        and any(number.search(t) and t not in cues.given for t in tokens[max(0, i - _COUNT_REACH) : i])
        for i, token in enumerate(tokens)
    )


def answer_values(kind: AnswerType, text: str, vocab: Vocabulary) -> list[str]:
    """What a text says of a kind of answer: its dates, amounts, ..., or for a count its numbers."""
    looks = _looks(vocab, kind)
    if kind == "count":
        return [t for t in _WORD_OR_NUMBER.findall(fold_text(text)) if looks.search(t)]
    return [m.group(0) for m in looks.finditer(text)]


def _looks(vocab: Vocabulary, kind: AnswerType) -> re.Pattern[str]:
    """What an answer of that kind looks like in the study's text (for a count: a number, in figures or words)."""
    return next(looks for name, _asks, looks in vocab.answer_types if name == kind)


def _same_noun(word: str, noun: str) -> bool:
    """Whether a sentence's word names the thing a question counts: the same word, another form of it
    ("bewoner", "bewoners"), or the head of the question's compound ("pagina's" for "webpagina's")."""
    if word == noun:
        return True
    stem = noun[: max(4, len(noun) - 2)]
    return word.startswith(stem) or (len(word) >= 4 and noun.endswith(word))


def looks_like(kind: AnswerType, sentence: str, vocab: Vocabulary | None = None) -> bool:
    """Whether a sentence holds the kind of answer asked for (a date, an amount, a reason, ...)."""
    return bool(_looks(vocab or vocabulary.packaged(), kind).search(sentence))


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
    counted: str | None = None  # what a count question counts ("bewoners" in "Hoeveel bewoners ...?"), folded
    given: tuple[str, ...] = ()  # what the question itself says of the kind it asks for ("in 2015"), folded

    @property
    def spans_cases(self) -> bool:
        """Its words ask about the cases together: what worked or went wrong (without naming a case),
        which municipalities or cases did something, the other cases."""
        return self.intent is not None or self.across_cases or self.other_cases


def words(text: str) -> list[str]:
    return _WORD.findall(fold_text(text))


# A lone word is English only when lingua is this sure of it ("Participatie" or "Budget" gets about
# 0.7); what it cannot tell apart (a name, a number, an empty box) is Dutch, the study's language.
ENGLISH_AT_LEAST = 0.75

# Longer runs of letters are no words of either language ("xxxx…"), whatever lingua makes of them.
_LONGEST_WORD = 60
_LETTERS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@functools.cache
def language_detector() -> LanguageDetector:
    """Lingua's detector for Dutch and English only, its models (shipped in the wheel) loaded at once:
    about 1.5 s and 130 MB the first time, well under a millisecond per question after that."""
    from lingua import Language as Lingua
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Lingua.DUTCH, Lingua.ENGLISH).with_preloaded_language_models().build()


def _capitalised(word: str) -> bool:
    """A capital first letter, also after an old article: "Zoom", "'s-Hertogenbosch", "'t-Zandt"."""
    return word[0].isupper() or (word[1:2] == "-" and word[2:3].isupper())


def _name_end(found: Sequence[str], start: int) -> int:
    """Where the name starting with the capitalised word at `start` ends: past every run of name
    particles that leads to another capitalised word."""
    end = start + 1
    while True:
        after = end
        while after < len(found) and found[after] in NAME_PARTICLES:
            after += 1
        if after == end or after == len(found) or not _capitalised(found[after]):
            return end
        end = after + 1


def words_beside_names(text: str) -> list[str]:
    """The words of a text that are not names: a capitalised word after the first, with the particles
    that join it to the next ("Bergen op Zoom"), and a first word that starts such a name."""
    found = _LETTERS.findall(text)
    kept: list[str] = []
    i = 0
    while i < len(found):
        capital = _capitalised(found[i])
        end = _name_end(found, i) if capital else i + 1
        if not capital or end == 1:  # end == 1: a capital that only starts the sentence
            kept.append(found[i])
        i = end
    return kept


def detect_language(text: str, vocab: Vocabulary | None = None) -> Language:
    """Dutch or English, from the words of the text that are not names (a name, "Wierdenhaven" or
    "Bergen op Zoom", says nothing of the asker's language).

    First by the words of each language's grammar (the vocabulary's `function_words`: "de", "wat",
    "bij"; "the", "what", "did"): a question borrows nouns from the other language, the study's Dutch
    terms in an English question ("Is a burgerpanel the same as a burgerberaad?") and English terms in
    a Dutch one ("Wat was de business case achter het right to challenge?"), but hardly ever these.
    The language with more of them wins. When they do not decide (a title without them, "Training
    ambtenaren", or as many of each), lingua's confidence in English word by word, averaged: word by
    word, because over the whole text one long Dutch compound outweighs every English word around it.
    Dutch when no word is left or lingua cannot tell (ENGLISH_AT_LEAST)."""
    from lingua import Language as Lingua

    telling = [word for word in words_beside_names(text) if len(word) <= _LONGEST_WORD]
    if not telling:
        return "nl"
    grammar = (vocab or vocabulary.packaged()).function_words
    folded = [fold_text(word) for word in telling]
    dutch = sum(1 for word in folded if word in grammar.get("nl", ()))
    english = sum(1 for word in folded if word in grammar.get("en", ()))
    if dutch != english:
        return "en" if english > dutch else "nl"
    detector = language_detector()
    confidences = [detector.compute_language_confidence(word, Lingua.ENGLISH) for word in telling]
    bar = ENGLISH_AT_LEAST if len(telling) == 1 else 0.5
    return "en" if sum(confidences) / len(confidences) > bar else "nl"


def topic_of(text: str, vocab: Vocabulary | None = None) -> str:
    """What a question is about, without the words that ask what worked, went wrong or is advised and
    without its function words ("Wat werkte goed bij bewonersinitiatieven?" -> "bewonersinitiatieven"):
    the part on which the cases differ. The folded question itself when nothing is left."""
    w = vocab or vocabulary.packaged()
    folded = fold_text(text)
    topic = folded
    for asks in (w.positive, w.negative, w.advice):
        topic = asks.sub(" ", topic)
    kept = [word for word in _WORD.findall(topic) if word not in w.not_topic]
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
    counted = w.counted.search(folded)
    if counted and any(counted.group(2) in f for f in w.function_words.values()):
        counted = None
    if counted and answer_type(counted.group(0), w) in (None, "count"):
        # "Hoeveel bewoners stemden over het buurtbudget?" counts residents, whatever else it names
        asks_for = "count"
    elif asks_for != "count":
        counted = None
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
    content = tuple(t for t in words(text) if t not in w.not_topic and len(t) > 2)
    starts_with_and = bool(w.opens_follow_up.match(folded))
    return QuestionCues(
        language=detect_language(text, w),
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
        counted=counted.group(2) if counted else None,
        given=tuple(fold_text(v) for v in answer_values(asks_for, text, w)) if asks_for is not None else (),
    )
