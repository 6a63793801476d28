"""Retrieval quality on a question set: recall@k and MRR per language, for dense, BM25 and hybrid.

A question set is JSON lines with `question`, the expected `document` (or a list `documents`, any
of which counts), optional `page` (1-based) and `lang`. Ranks are counted over distinct documents.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QaError
from qa.retrieval import Filters, Hit, Mode, Retriever

MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")


@dataclass(frozen=True)
class Question:
    question: str
    documents: tuple[str, ...]
    page: int | None = None
    lang: str = "?"


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


def load_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            documents = tuple(data.get("documents") or [data["document"]])
            if "document" in data and data["document"] not in documents:
                documents = (data["document"], *documents)
            questions.append(
                Question(
                    question=data["question"],
                    documents=documents,
                    page=data.get("page"),
                    lang=data.get("lang", "?"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise QaError(f"{path}, line {number}: not a question record ({exc})") from exc
    return questions


def first_relevant_rank(question: Question, hits: Sequence[Hit]) -> int | None:
    """1-based rank among distinct documents of the first relevant hit, or None."""
    seen: list[str] = []
    for hit in hits:
        if hit.document not in seen:
            seen.append(hit.document)
        if hit.document in question.documents and (
            question.page is None
            or (hit.page is not None and hit.page <= question.page <= (hit.page_end or hit.page))
        ):
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


def evaluate(
    retriever: Retriever, questions: Sequence[Question], modes: Sequence[Mode] = MODES, depth: int = 30
) -> dict[str, dict[str, Scores]]:
    """{mode: {language or 'all': Scores}}; each question is embedded once for all modes."""
    ranks: dict[str, list[tuple[str, int | None]]] = {mode: [] for mode in modes}
    for question in questions:
        vector = retriever.embedder.embed_queries([question.question])[0] if set(modes) - {"lexical"} else None
        for mode in modes:
            hits = retriever.search(question.question, k=depth, filters=Filters(), mode=mode, query_vector=vector)
            ranks[mode].append((question.lang, first_relevant_rank(question, hits)))
    results: dict[str, dict[str, Scores]] = {}
    for mode_name, pairs in ranks.items():
        languages = sorted({lang for lang, _ in pairs})
        results[mode_name] = {"all": score([r for _, r in pairs])}
        for lang in languages:
            results[mode_name][lang] = score([r for lg, r in pairs if lg == lang])
    return results


def format_table(results: dict[str, dict[str, Scores]]) -> str:
    lines = [f"{'mode':<8} {'lang':<4} {'n':>5} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6}"]
    for mode, by_lang in results.items():
        for lang, s in by_lang.items():
            lines.append(
                f"{mode:<8} {lang:<4} {s.n:>5} {s.recall_at_1:>6.3f} {s.recall_at_5:>6.3f} "
                f"{s.recall_at_10:>6.3f} {s.mrr:>6.3f}"
            )
    return "\n".join(lines)
