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

from qa.lexical import fold_text
from qa.scope import NAME_PARTICLES

if TYPE_CHECKING:
    from lingua import LanguageDetector

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

_POSITIVE = re.compile(
    r"\b(werkte(?! met)|werkten(?! met)|(?<!hoe )werkt(?! met)|goed|succes\w*|geslaagd|sterk\w*|hielp|helpen|"
    r"lessen|positief|"
    r"worked|work|works|went well|well|success\w*|strengths?|helped|positive)\b"
)
#: Asks for advice: the study's recommendations ("Aanbevelingen voor Den Haag"), what people would
#: recommend. Read before "what worked?": "What does the study recommend?" is not that question; after
#: "what went wrong?", which "What should be done differently?" asks.
_ADVICE = re.compile(
    r"\b(aanbevel\w*|aanraden|raadt\b.*\baan|raden\b.*\baan|adviseer\w*|adviseren|tips|meegeven|"
    r"advies aan|belangrijkste advies|recommend\w*|advice|advise\w*)\b"
)
_NEGATIVE = re.compile(
    r"\b(minder goed|niet goed|mis|fout|lastig\w*|moeilijk\w*|probleem|problemen|knelpunt\w*|aandachtspunt\w*|"
    r"valkuil\w*|anders|beter|verbeter\w*|kritiek|zorgen|letten|oppassen|risico\w*|"
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


#: Questions that ask for an enumeration ("wat zijn de ...", "which factors ...", "the fifth ...").
_LISTING = re.compile(
    r"^\s*(wat zijn|welke \w+ (zijn|waren|noemt|noemen|heeft|hebben)|noem|what are|which \w+ (are|were|does|do|did)|"
    r"list|name the)\b|"
    r"\b(eerste|tweede|derde|vierde|vijfde|zesde|zevende|achtste|negende|tiende|"
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)\b"
)

#: Questions about the research itself rather than about participation.
_ABOUT_RESEARCH = re.compile(
    r"\b(onderzoek\w*|onderzocht|researchers?|research|auteurs?|authors?|interview\w*|criteri\w+|selecte\w*|"
    r"method\w*)\b"
)

#: The question names the study or its cases ("In welke casussen ...", "Which cases ...", "the study",
#: "welke gemeenten"): whatever its words, it is put to the study, not to a municipality's front desk.
_CASES = "casussen|cases|gemeenten|municipalities"  # the study's cases, by name or by their municipalities
_NAMES_STUDY = re.compile(rf"\b(casus|case studies|onderzoek|studie|the study|this study|{_CASES})\b")

#: The question spans cases: "Hoeveel gemeenten ...", "In which cases ...".
_ACROSS_CASES = re.compile(rf"\b({_CASES}|projecten|projects)\b")

_MONTHS = "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december"
_NUMBER_WORDS = (
    "twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|dertien|veertien|vijftien|zestien|zeventien|"
    "achttien|negentien|twintig|dertig|veertig|vijftig|honderd|"
    "duizend|miljoen|helft|kwart|tientallen|honderden"
)
_TIME_UNITS = "uur|uren|dag|dagen|week|weken|maand|maanden|jaar|jaren|minuten"

AnswerType = Literal["date", "money", "duration", "count", "reason"]

#: What kind of answer a question wants (first match wins), and what such an answer looks like in
#: the study's Dutch. Questions are matched folded (lower case, no accents); sentences as written.
ANSWER_TYPES: tuple[tuple[AnswerType, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "date",
        re.compile(
            # "when" asks for a date where it opens the question, not in "What went wrong when ...?"
            r"^(wanneer|when)\b|\b(welke datum|op welke dag|in welk jaar|sinds wanneer|what date|which date|"
            r"which year|what year|since when|vanaf wanneer|tot wanneer)\b"
        ),
        re.compile(rf"\b\d{{1,2}} ({_MONTHS})\b|\b({_MONTHS}) \d{{4}}\b|\b(19|20)\d\d\b", re.IGNORECASE),
    ),
    (
        "money",
        re.compile(
            # a budget, fund or loan is asked for as an amount ("Hoe groot was het fonds?"), not where it is
            # the topic ("What should we watch out for when starting a neighbourhood budget?")
            r"\b(welk bedrag|hoeveel (geld|kost\w*|euro)|wat kost\w*|kosten|how much (money|did|does|was|is)|"
            r"cost\w*|amount)\b|"
            r"\b(hoe groot|hoe hoog|hoeveel|wat was|wat is|how large|how big|how high|what was|what is)\b.*"
            r"\b(\w*budget\w*|subsidie\w*|\w*lening\w*|\w*fonds\w*|fund\w*|loans?|grants?)\b"
        ),
        re.compile(r"€|\beuro\b", re.IGNORECASE),
    ),
    (
        "duration",
        re.compile(
            r"\b(hoe lang|hoe snel|hoeveel (uur|dagen|weken|maanden|jaar)|how long|how fast|how quickly|"
            r"how many (hours|days|weeks|months|years)|how much time)\b"
        ),
        re.compile(rf"\b(\d+|{_NUMBER_WORDS}|een|enkele|paar)\s+({_TIME_UNITS})\b", re.IGNORECASE),
    ),
    (
        "count",
        re.compile(r"\b(hoeveel|hoe vaak|welk percentage|welk deel|how many|how often|what share|what percentage)\b"),
        re.compile(rf"\d|%|\b({_NUMBER_WORDS})\b", re.IGNORECASE),
    ),
    (
        "reason",
        re.compile(r"\b(waarom|hoe kwam het|wat maakte|why|what made|what caused)\b"),
        re.compile(r"\b(omdat|doordat|wegens|want|vanwege|daardoor|zodat)\b", re.IGNORECASE),
    ),
)


_LOOKS = {name: looks for name, _asks, looks in ANSWER_TYPES}


def answer_type(folded_question: str) -> AnswerType | None:
    for name, asks, _looks in ANSWER_TYPES:
        if asks.search(folded_question):
            return name
    return None


def looks_like(kind: AnswerType, sentence: str) -> bool:
    """Whether a sentence holds the kind of answer asked for (a date, an amount, a reason, ...)."""
    return bool(_LOOKS[kind].search(sentence))


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


def detect_language(text: str) -> Language:
    """Dutch or English: lingua's confidence in English word by word, averaged over the words that are
    not names. Word by word, because a question quotes the study's Dutch terms ("What is a
    bewonersvereniging exactly?"), and over the whole text one long Dutch compound outweighs every
    English word around it; a name ("Wierdenhaven", "Bergen op Zoom") says nothing of the asker's
    language. Dutch when no word is left or lingua cannot tell (ENGLISH_AT_LEAST)."""
    from lingua import Language as Lingua

    telling = [word for word in words_beside_names(text) if len(word) <= _LONGEST_WORD]
    if not telling:
        return "nl"
    detector = language_detector()
    english = [detector.compute_language_confidence(word, Lingua.ENGLISH) for word in telling]
    bar = ENGLISH_AT_LEAST if len(telling) == 1 else 0.5
    return "en" if sum(english) / len(english) > bar else "nl"


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


def topic_of(text: str) -> str:
    """What a question is about, without the words that ask what worked, went wrong or is advised and
    without its function words ("Wat werkte goed bij bewonersinitiatieven?" -> "bewonersinitiatieven"):
    the part on which the cases differ. The folded question itself when nothing is left."""
    folded = fold_text(text)
    topic = folded
    for asks in (_POSITIVE, _NEGATIVE, _ADVICE):
        topic = asks.sub(" ", topic)
    kept = [word for word in _WORD.findall(topic) if word not in _FUNCTION_WORDS]
    return " ".join(kept) or folded


def read_question(text: str) -> QuestionCues:
    folded = fold_text(text)
    intent: Intent | None = None
    if _NEGATIVE.search(folded):
        intent = "negative"
    elif _ADVICE.search(folded) and answer_type(folded) is None:  # not "hoeveel aanbevelingen ...?"
        intent = "advice"
    elif _POSITIVE.search(folded):
        intent = "positive"
    asks_for = answer_type(folded)
    if asks_for in ("date", "money", "duration", "count"):
        # a question for a number or a date asks for that fact: "Aan hoeveel succescriteria voldoet de
        # website?" is a count, not "what worked"; its intent words are its topic
        intent = None
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
        answer_type=asks_for,
        listing=bool(_LISTING.search(folded)),
        about_research=bool(_ABOUT_RESEARCH.search(folded)),
        names_study=bool(_NAMES_STUDY.search(folded)),
        across_cases=bool(_ACROSS_CASES.search(folded)),
    )
