"""The study's own words for where it files its findings: the section headings of success factors,
points of attention and recommendations. Every stage that asks "is this passage filed under what the
question asks for?" reads these, so that the answer and its gathering agree."""

from __future__ import annotations

import re

from qa.question import Intent, QuestionCues
from qa.readers.sections import leaf

#: Headings under which the study files what worked ("Succesfactoren", "Wat werkte goed", ...).
POSITIVE_SECTION = re.compile(r"succes|werkte goed|wat goed|goed ging|sterk|lessen|aanraden|wat werkte", re.I)
#: ... what went wrong ("Aandachtspunten", "Wat lastig was", "Wat ging er mis", ...).
NEGATIVE_SECTION = re.compile(r"aandacht|anders|lastig|\bmis\b|knelpunt|valkuil|moeilijk|kritiek|verbeter", re.I)
#: ... what the study or its people advise ("Aanbevelingen voor Den Haag", "Tips", ...).
ADVICE_SECTION = re.compile(r"aanbevel|advies aan|adviezen|tips|aanraden", re.I)


#: The labels of a question-and-answer document ("Vraag 2 Kunt u toelichten ...? Antwoord 2 Bij de
#: invoering ..."): what follows "Vraag n" is the question (context), what follows "Antwoord n" the answer.
QA_LABEL = re.compile(r"(?:^|(?<=[\s.?!:;]))(Vraag|Antwoord|Question|Answer)\s+\d+[a-z]?\b[.:]?\s*")
QUESTION_LABELS = frozenset({"Vraag", "Question"})

#: A sentence that announces a reason and leaves it to the next one ("Bij de invoering van de Tozo is
#: toegelicht waarom de hoogte van de rente is bepaald op 2%." / "De reden is de volgende.").
ANNOUNCES_REASON = re.compile(
    r"\b(toegelicht|uitgelegd|verklaard|aangegeven|beschreven|gemotiveerd|onderbouwd)\s+waarom\b|"
    r"\b(de|een|twee|drie)\s+(belangrijkste\s+)?redenen?\s+(is|zijn|was|waren|hiervoor|daarvoor)\b|"
    r"\b(om|vanwege)\s+(de\s+)?volgende\s+redenen?\b|"
    r"\b(explained|set out|described)\s+why\b|\bthe\s+(main\s+)?reasons?\s+(is|are|was|were)\b",
    re.IGNORECASE,
)


def section_bonus(section: str | None, cues: QuestionCues) -> float:
    """How a passage's section matches the question's intent: 1 (filed under it), -0.5 (filed under the
    opposite), 0 (neither, or the question has no intent)."""
    return filing(section, cues.intent)


def filing(section: str | None, intent: Intent | None) -> float:
    """How a section's heading files what it holds: 1 under `intent`, -0.5 under the opposite, else 0."""
    heading = leaf(section)
    if intent == "positive":
        return 1.0 if POSITIVE_SECTION.search(heading) else -0.5 if NEGATIVE_SECTION.search(heading) else 0.0
    if intent == "negative":
        return 1.0 if NEGATIVE_SECTION.search(heading) else -0.5 if POSITIVE_SECTION.search(heading) else 0.0
    if intent == "advice":
        return 1.0 if ADVICE_SECTION.search(heading) else 0.0
    return 0.0


def on_intent(section: str | None, cues: QuestionCues) -> bool:
    """Whether the study files a passage's section under what the question asks for."""
    return filing(section, cues.intent) > 0
