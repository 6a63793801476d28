"""Retrieval quality on a question set: recall@k and MRR per language, for dense, BM25 and hybrid.

Ranks are counted over distinct documents; a hit counts when it is from the labelled document, or
when it holds the answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.evaluation.questions import Question, is_answer_bearing, is_labelled
from qa.search.retrieval import Filters, Hit, Mode, Retriever

MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")


@dataclass(frozen=True)
class Scores:
    n: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr: float

    def as_json(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "recall@1": round(self.recall_at_1, 4),
            "recall@5": round(self.recall_at_5, 4),
            "recall@10": round(self.recall_at_10, 4),
            "mrr": round(self.mrr, 4),
        }


def first_relevant_rank(question: Question, hits: Sequence[Hit], strict: bool = True) -> int | None:
    """1-based rank among distinct documents of the first relevant hit, or None."""
    relevant = is_labelled if strict else is_answer_bearing
    seen: list[str] = []
    for hit in hits:
        if hit.document not in seen:
            seen.append(hit.document)
        if relevant(question, hit):
            return seen.index(hit.document) + 1
    return None


def score(ranks: Sequence[int | None]) -> Scores:
    n = len(ranks)
    if not n:
        return Scores(0, 0.0, 0.0, 0.0, 0.0)

    def recall(k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n

    mrr = sum(1 / r for r in ranks if r is not None) / n
    return Scores(n, recall(1), recall(5), recall(10), mrr)


#: How a hit counts as relevant: the labelled document, or any passage that holds the answer.
RELEVANCE = ("labelled", "answer")


Results = dict[str, dict[str, dict[str, Scores]]]  # relevance -> mode -> language ('all') -> scores


def evaluate(
    retriever: Retriever, questions: Sequence[Question], modes: Sequence[Mode] = MODES, depth: int = 30
) -> Results:
    """Scores per relevance, mode and language; each question is embedded once for all modes."""
    ranks: dict[tuple[str, str], list[tuple[str, int | None]]] = {}
    encoder = retriever.encoder_for(retriever.version())
    for question in questions:
        vector = encoder.embed_queries([question.question])[0] if set(modes) - {"lexical"} else None
        for mode in modes:
            hits = retriever.search(question.question, k=depth, filters=Filters(), mode=mode, query_vector=vector)
            for relevance in RELEVANCE:
                rank = first_relevant_rank(question, hits, strict=relevance == "labelled")
                ranks.setdefault((relevance, mode), []).append((question.lang, rank))
    results: Results = {}
    for (relevance, mode_name), pairs in ranks.items():
        by_lang = {"all": score([r for _, r in pairs])}
        for lang in sorted({lang for lang, _ in pairs}):
            by_lang[lang] = score([r for lg, r in pairs if lg == lang])
        results.setdefault(relevance, {})[mode_name] = by_lang
    return results


def format_table(results: Results) -> str:
    lines = [f"{'relevant':<9} {'mode':<13} {'lang':<4} {'n':>5} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6}"]
    for relevance, by_mode in results.items():
        for mode, by_lang in by_mode.items():
            for lang, s in by_lang.items():
                lines.append(
                    f"{relevance:<9} {mode:<13} {lang:<4} {s.n:>5} {s.recall_at_1:>6.3f} {s.recall_at_5:>6.3f} "
                    f"{s.recall_at_10:>6.3f} {s.mrr:>6.3f}"
                )
    return "\n".join(lines)
