"""Questions across cases: case recall and precision, every answering case cited, the same cases in
Dutch and English."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.evaluation.answers import citation_problems
from qa.evaluation.questions import Question
from qa.records import Answer


@dataclass(frozen=True)
class CrossCaseScores:
    n: int
    case_recall: float  # mean share of the cases that answer a question that the answer cites
    case_precision: float  # mean share of the cases an answer cites that answer the question (none cited: 0)
    all_cited: float  # share of answers that cite every case that answers the question
    abstained: float
    integrity: float
    pairs: int = 0  # questions asked in both languages (counted under "all")
    jaccard: float = 0.0  # mean Jaccard similarity of the cases cited in the two languages

    def as_json(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "case_recall": round(self.case_recall, 4),
            "case_precision": round(self.case_precision, 4),
            "all_cited": round(self.all_cited, 4),
            "abstained": round(self.abstained, 4),
            "integrity": round(self.integrity, 4),
            "pairs": self.pairs,
            "jaccard": round(self.jaccard, 4),
        }


def evaluate_crosscase(
    ask: Callable[[str], Answer], questions: Sequence[Question]
) -> tuple[dict[str, CrossCaseScores], list[dict[str, object]]]:
    """For questions asked across cases, each with the complete set of cases that answer it: which of
    them the answer cites, which it cites that do not, and whether the same question in Dutch and in
    English cites the same cases."""
    rows: list[tuple[str, float, float, bool, bool, bool]] = []
    cited_by: dict[tuple[str, str], set[str]] = {}
    failures: list[dict[str, object]] = []
    for question in questions:
        answer = ask(question.question)
        gold = set(question.cases)
        cited = {c.case_id for c in answer.citations if c.case_id}
        recall = len(cited & gold) / len(gold) if gold else 1.0
        precision = len(cited & gold) / len(cited) if cited else 0.0
        problems = citation_problems(answer)
        rows.append((question.lang, recall, precision, gold <= cited, answer.abstained, not problems))
        if question.pair:
            cited_by[(question.pair, question.lang)] = cited
        if recall < 1 or precision < 1 or problems:
            failures.append(
                {
                    "question": question.question,
                    "missed": sorted(gold - cited),
                    "extra": sorted(cited - gold),
                    "abstained": answer.abstained,
                    "problems": problems,
                }
            )
    pairs = sorted({pair for pair, _lang in cited_by})
    jaccards = []
    for pair in pairs:
        nl, en = cited_by.get((pair, "nl")), cited_by.get((pair, "en"))
        if nl is not None and en is not None:
            jaccards.append(len(nl & en) / len(nl | en) if nl | en else 1.0)

    def scores(lang: str | None) -> CrossCaseScores:
        mine = [r for r in rows if lang is None or r[0] == lang]
        n = len(mine)

        def mean(values: list[float]) -> float:
            return sum(values) / len(values) if values else 0.0

        return CrossCaseScores(
            n=n,
            case_recall=mean([r[1] for r in mine]),
            case_precision=mean([r[2] for r in mine]),
            all_cited=mean([float(r[3]) for r in mine]),
            abstained=mean([float(r[4]) for r in mine]),
            integrity=mean([float(r[5]) for r in mine]),
            pairs=len(jaccards) if lang is None else 0,
            jaccard=mean(jaccards) if lang is None else 0.0,
        )

    languages = sorted({r[0] for r in rows})
    return {"all": scores(None), **{lang: scores(lang) for lang in languages}}, failures


def format_crosscase_table(results: dict[str, CrossCaseScores]) -> str:
    lines = [f"{'lang':<5} {'n':>4} {'recall':>7} {'prec':>6} {'all':>6} {'abst':>6} {'integr':>7} {'jaccard':>8}"]
    for lang, s in results.items():
        jaccard = f"{s.jaccard:>8.3f}" if s.pairs else f"{'':>8}"
        lines.append(
            f"{lang:<5} {s.n:>4} {s.case_recall:>7.3f} {s.case_precision:>6.3f} {s.all_cited:>6.3f} "
            f"{s.abstained:>6.3f} {s.integrity:>7.3f} {jaccard}"
        )
    return "\n".join(lines)
