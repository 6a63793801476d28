"""Evaluation sets: their questions, read from JSON lines, and what counts as an answer to them."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from qa.errors import QaError
from qa.search.retrieval import Hit
from qa.settings import Settings


@dataclass(frozen=True)
class Question:
    question: str
    documents: tuple[str, ...]
    page: int | None = None
    lang: str = "?"
    fact: str | None = None  # a string the answer must contain
    fact_also: tuple[str, ...] = ()  # the same fact as the study also writes it ("3 van de 48" for "drie van de 48")
    cases: tuple[str, ...] = ()  # the cases the answer belongs to (empty: the study as a whole)
    intent: str | None = None  # "positive" (what worked) or "negative" (what went wrong), for eval/intent.jsonl
    pair: str | None = None  # the same question in the other language shares it (eval/crosscase*.jsonl)


def workspace_with_cases(settings: Settings, added: Path, folder: Path) -> tuple[Settings, list[str]]:
    """A copy of the corpus and its index in `folder`, with the case folders under `added` put in the
    copy's cases/ (not yet indexed): how a maintainer adds cases to a study that is already indexed.
    Returns the copy's settings and the added case ids."""
    shutil.copytree(settings.corpus, folder / "corpus")
    shutil.copytree(settings.index, folder / "index", ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
    cases = sorted(p for p in added.iterdir() if p.is_dir())
    for case in cases:
        shutil.copytree(case, folder / "corpus" / "cases" / case.name)
    moved = settings.model_copy(update={"corpus": folder / "corpus", "index": folder / "index"})
    return moved, [case.name for case in cases]


def load_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            documents = tuple(data.get("documents") or ([data["document"]] if "document" in data else []))
            if "document" in data and data["document"] not in documents:
                documents = (data["document"], *documents)
            questions.append(
                Question(
                    question=data["question"],
                    documents=documents,
                    page=data.get("page"),
                    lang=data.get("lang", "?"),
                    fact=data.get("fact"),
                    fact_also=tuple(data.get("fact_also") or ()),
                    cases=tuple(data.get("cases") or ()),
                    intent=data.get("intent"),
                    pair=data.get("pair"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise QaError(f"{path}, line {number}: not a question record ({exc})") from exc
    return questions


def is_labelled(question: Question, hit: Hit) -> bool:
    """Strict relevance: the hit is in the document the question was written from (and page, if given)."""
    return hit.document in question.documents and (
        question.page is None or (hit.page is not None and hit.page <= question.page <= (hit.page_end or hit.page))
    )


def holds_fact(question: Question, text: str) -> bool:
    """The text holds the question's key fact, in one of the ways the study writes it."""
    folded = text.lower()
    return question.fact is not None and any(f.lower() in folded for f in (question.fact, *question.fact_also))


def is_answer_bearing(question: Question, hit: Hit) -> bool:
    """The hit holds the answer: labelled, or it contains the key fact and belongs to the question's
    case(s) or the study. The sample study repeats facts across a case's documents and the synthesis."""
    if is_labelled(question, hit):
        return True
    if not holds_fact(question, hit.text):
        return False
    return hit.case_id is None or not question.cases or hit.case_id in question.cases
