"""What a question asks, read from its words alone: language, intent, kind of source, follow-up cues.

Pure functions; no model. The word lists are small on purpose: they steer, the retrieval decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from qa.lexical import fold_text

Language = Literal["nl", "en"]
Intent = Literal["positive", "negative"]

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

_POSITIVE = re.compile(
    r"\b(werkte|werkten|werkt|goed|succes\w*|geslaagd|sterk\w*|hielp|helpen|lessen|aanraden|"
    r"worked|work|works|went well|well|success\w*|strengths?|helped|recommend\w*)\b"
)
_NEGATIVE = re.compile(
    r"\b(mis|fout|lastig\w*|moeilijk\w*|probleem|problemen|knelpunt\w*|aandachtspunt\w*|valkuil\w*|"
    r"anders|beter|verbeter\w*|kritiek|zorgen|letten|oppassen|risico\w*|"
    r"wrong|difficult\w*|hard|problems?|issues?|pitfalls?|watch out|attention|improve\w*|differently|"
    r"risks?|failed|fail\w*|challeng\w*|struggl\w*)\b"
)
_SAY = (
    r"(zei|zeiden|zeggen|zegt|vonden|vinden|vindt|vertelden|vertelt|ervaren|ervoeren|vond|"
    r"said|say|says|think|thought|felt|feel|told|tell|experienced)"
)
_RESIDENT = re.compile(
    rf"\b(bewoners?|initiatiefnemers?|inwoners?|deelnemers?|residents?|initiators?|citizens?)\b.*\b{_SAY}\b|"
    rf"\b{_SAY}\b.*\b(de |het |die )?(bewoners?|initiatiefnemers?|inwoners?|residents?|initiators?|citizens?)\b|"
    r"\b(volgens|according to) (de |the )?(bewoners?|initiatiefnemers?|residents?|initiators?)\b"
)
_OFFICIAL = re.compile(
    r"\b(ambtena(ar|ren)|projectleiders?|wijkregisseurs?|beleidsmedewerkers?|officials?|civil servants?)\b"
    rf".*\b{_SAY}\b|"
    rf"\b{_SAY}\b.*\b(ambtena(ar|ren)|officials?|civil servants?)\b|"
    r"\b(volgens|according to) (de |het |the )?(ambtena(ar|ren)|gemeente|officials?|municipality)\b"
)
_ANALYSIS = re.compile(r"\b(documentanalyse|document analysis|in de documenten|in the documents)\b")

_FOLLOW_UP = re.compile(
    r"\b(daar|daarbij|hierbij|hier|die casus|deze casus|dat project|dit project|die gemeente|deze gemeente|"
    r"there|that case|this case|that project|this project|that municipality|same case|en wat|and what|what about|"
    r"hoe zit het|how about|ook|also|too)\b"
)
_OTHER_CASES = re.compile(
    r"\b(de )?(andere|overige) (casussen|cases|gemeenten|projecten)\b|\belders\b|"
    r"\b(the )?other (cases|municipalities|projects)\b|\belsewhere\b"
)


_QUANTITY = re.compile(
    r"\b(hoeveel|hoe lang|hoe vaak|hoe snel|hoe groot|hoe hoog|welk bedrag|welke datum|wanneer|in welk jaar|"
    r"how many|how much|how long|how often|how fast|how large|how big|what amount|what date|when|which year|"
    r"what share|what percentage)\b"
)
NUMBER = re.compile(
    r"\d|\b(een|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|twintig|dertig|veertig|vijftig|honderd|"
    r"duizend|miljoen|helft|kwart|januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|"
    r"november|december)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionCues:
    language: Language
    intent: Intent | None
    kind: str | None  # a DocumentKind value the question restricts to
    follow_up: bool  # refers back to the conversation ("daar", "that case", "en wat ...")
    other_cases: bool  # asks about the cases not discussed so far
    content_words: tuple[str, ...]  # folded words that carry the topic
    quantity: bool = False  # asks for an amount, a number, a date or a duration


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


def read_question(text: str) -> QuestionCues:
    folded = fold_text(text)
    intent: Intent | None = None
    if _NEGATIVE.search(folded):
        intent = "negative"
    elif _POSITIVE.search(folded):
        intent = "positive"
    kind = None
    if _RESIDENT.search(folded):
        kind = "interview-bewoner"
    elif _OFFICIAL.search(folded):
        kind = "interview-ambtenaar"
    elif _ANALYSIS.search(folded):
        kind = "documentanalyse"
    content = tuple(t for t in words(text) if t not in _FUNCTION_WORDS and len(t) > 2)
    starts_with_and = bool(re.match(r"^\s*(en|and|maar|but|ook|also)\b", folded))
    return QuestionCues(
        language=detect_language(text),
        intent=intent,
        kind=kind,
        follow_up=starts_with_and or bool(_FOLLOW_UP.search(folded)),
        other_cases=bool(_OTHER_CASES.search(folded)),
        content_words=content,
        quantity=bool(_QUANTITY.search(folded)),
    )
