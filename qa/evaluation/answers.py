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


def evaluate_answers(
    ask: Callable[[str], Answer],
    questions: Sequence[Question],
    offtopic: Sequence[Question],
    broad: Sequence[Question] = (),
) -> tuple[dict[str, AnswerScores], list[dict[str, object]]]:
    """Scores per language ('all' too) and the failures, for a function that answers a question.
    `broad` are in-scope questions without a key fact ("how do you involve young people?"): only
    whether the composer wrongly abstains on them, and whether their citations are sound, is scored."""
    rows: list[tuple[str, bool, bool, bool, bool]] = []
    documents: list[tuple[str, bool, bool]] = []  # per question with documents: cited, quoted first
    precision: list[tuple[str, float]] = []
    first: list[tuple[str, bool]] = []
    failures: list[dict[str, object]] = []
    for question in questions:
        answer = ask(question.question)
        cited = {c.case_id for c in answer.citations}
        case_ok = bool(cited & set(question.cases)) if question.cases else None in cited
        fact_ok = holds_fact(question, answer.text) and not answer.abstained  # not in a suggested topic's name
        problems = citation_problems(answer)
        rows.append((question.lang, case_ok, fact_ok, not problems, answer.abstained))
        if question.documents:
            quoted = [c.document for c in answer.citations]
            documents.append(
                (
                    question.lang,
                    bool(set(quoted) & set(question.documents)),
                    quoted[:1] != [] and quoted[0] in question.documents,
                )
            )
        named = cited - {None}
        if question.cases and named:
            precision.append((question.lang, len(named & set(question.cases)) / len(named)))
            leading = next(c.case_id for c in answer.citations if c.case_id)
            first.append((question.lang, leading in question.cases))
        if not (case_ok and fact_ok) or problems or answer.abstained:
            failures.append(
                {
                    "question": question.question,
                    "case_ok": case_ok,
                    "fact": question.fact,
                    "fact_ok": fact_ok,
                    "abstained": answer.abstained,
                    "problems": problems,
                    "cited": sorted(str(c) for c in cited),
                }
            )
    off: list[tuple[str, bool, bool]] = []
    for question in offtopic:
        answer = ask(question.question)
        off.append((question.lang, answer.abstained, not citation_problems(answer)))
        if not answer.abstained:
            failures.append({"question": question.question, "offtopic": True, "answer": answer.text[:200]})

    wide: list[tuple[str, bool, bool]] = []
    for question in broad:
        answer = ask(question.question)
        problems = citation_problems(answer)
        wide.append((question.lang, answer.abstained, not problems))
        if answer.abstained or problems:
            failures.append(
                {"question": question.question, "broad": True, "abstained": answer.abstained, "problems": problems}
            )

    def scores(lang: str | None) -> AnswerScores:
        mine = [r for r in rows if lang is None or r[0] == lang]
        theirs = [r for r in off if lang is None or r[0] == lang]
        wides = [r for r in wide if lang is None or r[0] == lang]
        n = len(mine)

        def share(values: list[bool]) -> float:
            return sum(values) / len(values) if values else 0.0

        precise = [p for lg, p in precision if lang is None or lg == lang]
        return AnswerScores(
            n=n,
            case_cited=share([r[1] for r in mine]),
            case_precision=sum(precise) / len(precise) if precise else 0.0,
            case_first=share([ok for lg, ok in first if lang is None or lg == lang]),
            fact_present=share([r[2] for r in mine]),
            integrity=share([r[3] for r in mine] + [r[2] for r in theirs] + [r[2] for r in wides]),
            false_abstention=share([r[4] for r in mine]),
            offtopic_n=len(theirs),
            abstention=share([r[1] for r in theirs]),
            broad_n=len(wides),
            broad_false_abstention=share([r[1] for r in wides]),
            document_cited=share([r[1] for r in documents if lang is None or r[0] == lang]),
            document_first=share([r[2] for r in documents if lang is None or r[0] == lang]),
        )

    languages = sorted({r[0] for r in rows} | {r[0] for r in off} | {r[0] for r in wide})
    return {"all": scores(None), **{lang: scores(lang) for lang in languages}}, failures


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
