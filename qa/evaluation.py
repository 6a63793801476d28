"""Retrieval quality on a question set: recall@k and MRR per language, for dense, BM25 and hybrid.

A question set is JSON lines with `question`, the expected `document` (or a list `documents`, any
of which counts), optional `page` (1-based) and `lang`. Ranks are counted over distinct documents.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa.answer import Retrieved
from qa.errors import QaError
from qa.readers.sections import leaf
from qa.records import Answer, Citation
from qa.retrieval import Filters, Hit, Mode, Retriever
from qa.settings import AnswerSettings, Settings
from qa.structure import interviewer_prompt

MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")


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
    for question in questions:
        vector = retriever.embedder.embed_queries([question.question])[0] if set(modes) - {"lexical"} else None
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


# ---------------------------------------------------------------------------- answers


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


@dataclass(frozen=True)
class FactTrace:
    """Where a question's key fact went on its way into the answer."""

    in_passages: bool  # in a retrieved passage
    place: int | None  # among the quotable sentences of those passages, best first (None: in none)
    in_answer: bool
    why: str  # "quoted", or the first reason it was not


def trace_fact(question: Question, retrieved: Retrieved, answer: Answer, config: AnswerSettings) -> FactTrace:
    """Why a fact that retrieval found was or was not quoted (pure): below the group margin of the best
    sentence; its case not quoted; below the quote margin of its case's best sentence; its passage
    already quoted for another sentence (an answer across cases quotes a passage once); or its case's
    budget of sentences spent on ones that score higher."""
    in_passages = any(holds_fact(question, hit.text) for hit in retrieved.hits)
    found = retrieved.found
    place = next((i for i, c in enumerate(found) if holds_fact(question, c.quote)), None)
    if not answer.abstained and holds_fact(question, answer.text):
        return FactTrace(in_passages, place, True, "quoted")
    if answer.abstained:
        why = "abstained"
    elif place is None:
        why = "not quotable" if in_passages else "not in a retrieved passage"
    elif found[place].score < found[0].score - config.group_margin:
        why = "below the group margin"
    elif found[place].hit.case_id not in {c.case_id for c in answer.citations}:
        why = "its case not quoted"
    elif found[place].score < max(c.score for c in found if c.group == found[place].group) - config.quote_margin:
        why = "below the quote margin"
    elif not retrieved.filters.single_case and found[place].hit.chunk_id in {c.chunk_id for c in answer.citations}:
        why = "its passage quoted for another sentence"
    else:
        why = "budget of its case spent"
    return FactTrace(in_passages, place, False, why)


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
