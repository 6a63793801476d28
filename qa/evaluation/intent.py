""" "What worked / went wrong / what do they advise" questions: are the quotes filed under what was asked."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.answer.structure import interviewer_prompt
from qa.evaluation.questions import Question
from qa.ingest.readers.sections import leaf
from qa.records import Answer, Citation

#: The study's own labels for success factors, points of attention and recommendations: the headings
#: its documents file them under ("Succesfactoren", "Wat werkte goed", "Aandachtspunten", "Wat lastig
#: was", "Aanbevelingen voor Den Haag", ...). A heading such as "Wat goed ging en wat lastig was"
#: carries both. Kept here on purpose, apart from the product's vocabulary (`qa/data/vocabulary.*.toml`):
#: the evaluation measures whether the answers are filed under what was asked, and a yardstick that
#: shared the product's definition would move with it and could never find it wrong.
INTENT_LABELS = {
    "positive": re.compile(r"succesfactor|werkte goed|goed werkte|goed ging", re.IGNORECASE),
    "negative": re.compile(r"aandachtspunt|lastig|moeilijk|anders doen|knelpunt|valkuil", re.IGNORECASE),
    "advice": re.compile(r"aanbevel|advies aan|tips", re.IGNORECASE),
}


#: ... and the interviewers' questions in the interviews that file an answer the same way ("Wat ging er
#: goed?", "Wat ging er minder goed?", "Wat zou u andere gemeenten aanraden?"), written from the list
#: of questions the sample interviews ask.
INTENT_PROMPTS = {
    "positive": re.compile(r"wat ging( er)?( volgens u)? goed|vond u goed|positief", re.IGNORECASE),
    "negative": re.compile(r"minder goed|ging er mis|lastig|moeilijk|anders (doen|aanpakken)", re.IGNORECASE),
    "advice": re.compile(r"aanraden|advies|meegeven", re.IGNORECASE),
}


@dataclass(frozen=True)
class IntentScores:
    n: int
    on_intent: float  # mean share of an answer's quoted passages filed under the asked intent's headings
    case_cited: float  # the named case among the citations (questions that name one)
    abstained: float

    def as_json(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "on_intent": round(self.on_intent, 4),
            "case_cited": round(self.case_cited, 4),
            "abstained": round(self.abstained, 4),
        }


def on_intent(answer: Answer, intent: str) -> float:
    """Share of the answer's quotes filed under `intent`: by their passage's section heading, or in an
    interview by the interviewer's question they answer."""
    if not answer.citations:
        return 0.0

    def filed(citation: Citation) -> bool:
        if citation.section and INTENT_LABELS[intent].search(leaf(citation.section)):
            return True
        position = citation.text.find(citation.quote[:60])
        prompt = interviewer_prompt(citation.text, position) if position >= 0 else None
        return bool(prompt and INTENT_PROMPTS[intent].search(prompt))

    return sum(filed(c) for c in answer.citations) / len(answer.citations)


def evaluate_intent(
    ask: Callable[[str], Answer], questions: Sequence[Question]
) -> tuple[dict[str, IntentScores], list[dict[str, object]]]:
    """For "what worked" / "what went wrong" questions: do the quotes come from the sections the study
    files success factors and points of attention under, and from the named case?"""
    rows: list[tuple[str, float, bool | None, bool]] = []
    failures: list[dict[str, object]] = []
    for question in questions:
        if question.intent not in INTENT_LABELS:
            continue
        answer = ask(question.question)
        share = on_intent(answer, question.intent)
        cited = {c.case_id for c in answer.citations}
        case_ok = bool(cited & set(question.cases)) if question.cases else None
        rows.append((question.lang, share, case_ok, answer.abstained))
        if share < 0.5 or case_ok is False or answer.abstained:
            failures.append(
                {
                    "question": question.question,
                    "intent": question.intent,
                    "on_intent": round(share, 3),
                    "case_ok": case_ok,
                    "sections": [c.section for c in answer.citations],
                }
            )

    def scores(lang: str | None) -> IntentScores:
        mine = [r for r in rows if lang is None or r[0] == lang]
        named = [r[2] for r in mine if r[2] is not None]
        return IntentScores(
            n=len(mine),
            on_intent=sum(r[1] for r in mine) / len(mine) if mine else 0.0,
            case_cited=sum(named) / len(named) if named else 0.0,
            abstained=sum(r[3] for r in mine) / len(mine) if mine else 0.0,
        )

    languages = sorted({r[0] for r in rows})
    return {"all": scores(None), **{lang: scores(lang) for lang in languages}}, failures


def format_intent_table(results: dict[str, IntentScores]) -> str:
    lines = [f"{'lang':<5} {'n':>4} {'on-intent':>9} {'case':>6} {'abstained':>9}"]
    for lang, s in results.items():
        lines.append(f"{lang:<5} {s.n:>4} {s.on_intent:>9.3f} {s.case_cited:>6.3f} {s.abstained:>9.3f}")
    return "\n".join(lines)
