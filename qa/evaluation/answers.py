"""Answer quality on a question set: the expected case and document cited, the key fact, sound
citations, and off-topic questions declined."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.evaluation.questions import Question, holds_fact
from qa.records import Answer


def citation_problems(answer: Answer) -> list[str]:
    """Why an answer's citations are not sound (empty when they are): every quote verbatim in its
    passage and in the answer, every marker resolving, every source cited, numbered by first use."""
    problems: list[str] = []
    markers = [int(m) for m in re.findall(r"\[(\d+)\]", answer.text)]
    numbers = [c.n for c in answer.citations]
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"citations numbered {numbers}")
    if set(markers) - set(numbers):
        problems.append(f"markers without a source: {sorted(set(markers) - set(numbers))}")
    if set(numbers) - set(markers):
        problems.append(f"sources never cited: {sorted(set(numbers) - set(markers))}")
    first_use = list(dict.fromkeys(markers))
    if first_use != sorted(first_use):
        problems.append(f"markers not numbered by first use: {first_use}")
    for citation in answer.citations:
        for part in citation.quote.split(" … "):
            if part not in citation.text:
                problems.append(f"[{citation.n}] quote not in its passage: {part[:60]!r}")
            if part not in answer.text:
                problems.append(f"[{citation.n}] quote not in the answer: {part[:60]!r}")
    if answer.abstained and (answer.citations or markers):
        problems.append("abstained but cites sources")
    return problems


@dataclass(frozen=True)
class AnswerScores:
    n: int
    case_cited: float  # expected case (or the study, for study questions) among the citations
    case_precision: float  # share of the cited cases that are expected (questions that expect cases)
    case_first: float  # the first case the answer quotes is an expected one (questions that expect cases)
    fact_present: float  # key fact in the answer text
    integrity: float  # share of answers without citation problems
    false_abstention: float
    offtopic_n: int = 0
    abstention: float = 0.0  # share of off-topic questions abstained on
    broad_n: int = 0
    broad_false_abstention: float = 0.0  # share of broad in-scope questions (no key fact) abstained on
    document_cited: float = 0.0  # the question's document (any of them) among the cited ones
    document_first: float = 0.0  # the first quote is from the question's document

    def as_json(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "case_cited": round(self.case_cited, 4),
            "case_precision": round(self.case_precision, 4),
            "case_first": round(self.case_first, 4),
            "fact_present": round(self.fact_present, 4),
            "integrity": round(self.integrity, 4),
            "false_abstention": round(self.false_abstention, 4),
            "offtopic_n": self.offtopic_n,
            "abstention": round(self.abstention, 4),
            "broad_n": self.broad_n,
            "broad_false_abstention": round(self.broad_false_abstention, 4),
            "document_cited": round(self.document_cited, 4),
            "document_first": round(self.document_first, 4),
        }


@dataclass(frozen=True)
class _Judged:
    """One in-scope question's answer, judged."""

    lang: str
    case_ok: bool  # an expected case (or the study, for study questions) among the citations
    fact_ok: bool  # the key fact in the answer text
    sound: bool  # no citation problems
    abstained: bool
    document: tuple[bool, bool] | None  # for a question with documents: one cited, one quoted first
    precision: float | None  # for a question that expects cases and cites some: the share expected
    first: bool | None  # ... and whether the first case quoted is expected
    failure: dict[str, object] | None  # what goes into the failures (None: nothing wrong)


@dataclass(frozen=True)
class _Declined:
    """An off-topic or broad question's answer: whether it abstained, whether its citations are sound."""

    lang: str
    abstained: bool
    sound: bool


def evaluate_answers(
    ask: Callable[[str], Answer],
    questions: Sequence[Question],
    offtopic: Sequence[Question],
    broad: Sequence[Question] = (),
) -> tuple[dict[str, AnswerScores], list[dict[str, object]]]:
    """Scores per language ('all' too) and the failures, for a function that answers a question.
    `broad` are in-scope questions without a key fact ("how do you involve young people?"): only
    whether the composer wrongly abstains on them, and whether their citations are sound, is scored."""
    judged = [_judge(question, ask(question.question)) for question in questions]
    failures = [j.failure for j in judged if j.failure is not None]
    off: list[_Declined] = []
    for question in offtopic:
        answer = ask(question.question)
        off.append(_Declined(question.lang, answer.abstained, not citation_problems(answer)))
        if not answer.abstained:
            failures.append({"question": question.question, "offtopic": True, "answer": answer.text[:200]})
    wide: list[_Declined] = []
    for question in broad:
        answer = ask(question.question)
        problems = citation_problems(answer)
        wide.append(_Declined(question.lang, answer.abstained, not problems))
        if answer.abstained or problems:
            failures.append(
                {"question": question.question, "broad": True, "abstained": answer.abstained, "problems": problems}
            )
    languages = sorted({j.lang for j in judged} | {o.lang for o in off} | {w.lang for w in wide})
    results = {lang: _scores(lang, judged, off, wide) for lang in languages}
    return {"all": _scores(None, judged, off, wide), **results}, failures


def _judge(question: Question, answer: Answer) -> _Judged:
    cited = {c.case_id for c in answer.citations}
    case_ok = bool(cited & set(question.cases)) if question.cases else None in cited
    fact_ok = holds_fact(question, answer.text) and not answer.abstained  # not in a suggested topic's name
    problems = citation_problems(answer)
    document = None
    if question.documents:
        quoted = [c.document for c in answer.citations]
        document = (bool(set(quoted) & set(question.documents)), quoted[:1] != [] and quoted[0] in question.documents)
    precision = first = None
    named = cited - {None}
    if question.cases and named:
        precision = len(named & set(question.cases)) / len(named)
        first = next(c.case_id for c in answer.citations if c.case_id) in question.cases
    failure: dict[str, object] | None = None
    if not (case_ok and fact_ok) or problems or answer.abstained:
        failure = {
            "question": question.question,
            "case_ok": case_ok,
            "fact": question.fact,
            "fact_ok": fact_ok,
            "abstained": answer.abstained,
            "problems": problems,
            "cited": sorted(str(c) for c in cited),
        }
    return _Judged(question.lang, case_ok, fact_ok, not problems, answer.abstained, document, precision, first, failure)


def _share(values: list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def _scores(lang: str | None, judged: list[_Judged], off: list[_Declined], wide: list[_Declined]) -> AnswerScores:
    """The scores of one language's questions (None: all)."""
    mine = [j for j in judged if lang is None or j.lang == lang]
    theirs = [o for o in off if lang is None or o.lang == lang]
    wides = [w for w in wide if lang is None or w.lang == lang]
    precise = [j.precision for j in mine if j.precision is not None]
    documents = [j.document for j in mine if j.document is not None]
    return AnswerScores(
        n=len(mine),
        case_cited=_share([j.case_ok for j in mine]),
        case_precision=sum(precise) / len(precise) if precise else 0.0,
        case_first=_share([j.first for j in mine if j.first is not None]),
        fact_present=_share([j.fact_ok for j in mine]),
        integrity=_share([j.sound for j in mine] + [o.sound for o in theirs] + [w.sound for w in wides]),
        false_abstention=_share([j.abstained for j in mine]),
        offtopic_n=len(theirs),
        abstention=_share([o.abstained for o in theirs]),
        broad_n=len(wides),
        broad_false_abstention=_share([w.abstained for w in wides]),
        document_cited=_share([cited for cited, _first in documents]),
        document_first=_share([first for _cited, first in documents]),
    )


def format_answer_table(results: dict[str, AnswerScores]) -> str:
    lines = [
        f"{'lang':<5} {'n':>4} {'case':>6} {'c.prec':>6} {'c.1st':>6} {'fact':>6} {'integr':>7} {'falseAb':>8} "
        f"{'off n':>6} {'abstain':>8} {'broad n':>8} {'broadFA':>8} {'doc':>6} {'d.1st':>6}"
    ]
    for lang, s in results.items():
        lines.append(
            f"{lang:<5} {s.n:>4} {s.case_cited:>6.3f} {s.case_precision:>6.3f} {s.case_first:>6.3f} "
            f"{s.fact_present:>6.3f} {s.integrity:>7.3f} {s.false_abstention:>8.3f} {s.offtopic_n:>6} "
            f"{s.abstention:>8.3f} {s.broad_n:>8} {s.broad_false_abstention:>8.3f} {s.document_cited:>6.3f} "
            f"{s.document_first:>6.3f}"
        )
    return "\n".join(lines)
