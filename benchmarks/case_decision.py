"""The per-case decision of an answer across cases, fitted on one question set and checked on another.

For every question of a cross-case set (`eval/crosscase.jsonl`: each question with the complete set
of cases that answer it), and every question of a fact set that is not restricted to one case and
does not ask for one case's fact (`eval/questions.jsonl`: most name no case, and one case, or the study
alone, answers them), and every case considered, the evidence the composer decides on
(`qa.answer.selection.decision_features`: how far the case's best sentence falls below the best case's,
how far its best passage's cosine falls below the best case's, and its best BM25 score as a share of
the best) is labelled by whether the case answers the question. A logistic regression on the tuning
set gives the weights; two bars, one for questions whose words ask about the cases together (what
worked, which municipalities, ...) and one for the rest, are each the highest that keeps the mean case
recall of those tuning questions at `--recall` (0.9: a case left out reads as "it did not happen
there"), or, with `--recall 0`, the one that maximises F2.
Both are then scored, with the shipped settings too, on the tuning set and on the held-out set, which
is never fitted on.

    python -m benchmarks.case_decision [--tune SET[:ADDED] ...] [--check SET[:ADDED] ...] [--recall 0.9]
                                       [--workspace DIR] [--json]

The sets' added cases are put in a copy of the corpus and its index (as `qa eval --crosscase --added`
does) and indexed incrementally; `--workspace` keeps those copies between runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer import retrieve
from qa.answer.selection import decision_features
from qa.evaluation import Question, load_questions, workspace_with_cases
from qa.search.retrieval import Filters
from qa.service import Vraagbaak
from qa.settings import Settings

REPO = Path(__file__).resolve().parents[1]
TUNE = [
    f"{REPO / 'eval' / 'crosscase.jsonl'}:{REPO / 'eval' / 'added-cases' / 'tuning'}",
    str(REPO / "eval" / "questions.jsonl"),
]
CHECK = [
    f"{REPO / 'eval' / 'crosscase-heldout.jsonl'}:{REPO / 'eval' / 'added-cases' / 'heldout'}",
    str(REPO / "eval" / "heldout-facts.jsonl"),
]


@dataclass(frozen=True)
class Row:
    question: str
    lang: str
    case: str
    features: tuple[float, ...]
    gold: bool
    spans: bool  # the question's words ask about the cases together


def collect(settings: Settings, questions: list[Question], service: Vraagbaak) -> list[Row]:
    rows = []
    for question in questions:
        got = retrieve(service.retriever, question.question, Filters(), (), settings)
        features = decision_features(got.found, got.considered, got.evidence)
        for case, values in features.items():
            spans = got.resolved.cues.spans_cases
            rows.append(Row(question.question, question.lang, case, values, case in question.cases, spans))
    return rows


def fit(x: np.ndarray, y: np.ndarray, ridge: float = 1e-2, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method; returns weights with the intercept last."""
    design = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(design.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ w))
        gradient = design.T @ (p - y) + ridge * np.r_[w[:-1], 0]
        hessian = (design.T * (p * (1 - p))) @ design + ridge * np.diag(np.r_[np.ones(len(w) - 1), 0])
        w -= np.linalg.solve(hessian, gradient)
    return w


def score(rows: list[Row], decide: np.ndarray) -> dict[str, dict[str, float]]:
    """Per language: mean case recall, mean case precision and the share of questions with every gold case."""
    by_question: dict[str, list[tuple[Row, bool]]] = {}
    for row, chosen in zip(rows, decide.tolist(), strict=True):
        by_question.setdefault(row.question, []).append((row, chosen))
    out: dict[str, dict[str, list[float]]] = {}
    for items in by_question.values():
        lang = items[0][0].lang
        gold = {r.case for r, _c in items if r.gold}
        cited = {r.case for r, c in items if c}
        for key in (lang, "all"):
            bucket = out.setdefault(key, {"recall": [], "precision": [], "all_cited": []})
            bucket["recall"].append(len(gold & cited) / len(gold) if gold else 1.0)
            bucket["precision"].append(len(gold & cited) / len(cited) if cited else float(not gold))
            bucket["all_cited"].append(float(gold <= cited))
    return {k: {m: round(float(np.mean(v)), 3) for m, v in b.items()} for k, b in out.items()}


def f_beta(figures: dict[str, float], beta: float) -> float:
    recall, precision = figures["recall"], figures["precision"]
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall) if precision + recall else 0.0


def prepared(spec: str, settings: Settings, base: Vraagbaak, workspace: Path) -> tuple[Vraagbaak, list[Question]]:
    set_path, _, added = spec.partition(":")
    questions = load_questions(Path(set_path))
    if not added:
        return base, questions
    folder = workspace / Path(set_path).stem
    if not folder.exists():
        moved, _cases = workspace_with_cases(settings, Path(added), folder)
    else:
        moved = settings.model_copy(update={"corpus": folder / "corpus", "index": folder / "index"})
    service = Vraagbaak(moved, base.embedder)
    service.reindex()
    return service, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tune", nargs="+", default=TUNE, help="SET[:ADDED] ... fitted on")
    parser.add_argument("--check", nargs="+", default=CHECK, help="SET[:ADDED] ... only checked")
    parser.add_argument(
        "--recall",
        type=float,
        default=0.9,
        help="each bar is the highest that keeps this mean case recall on its tuning questions (0: best F2)",
    )
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings()
    base = Vraagbaak(settings)
    base.reindex()
    with tempfile.TemporaryDirectory(prefix="case-decision-") as tmp:
        workspace = args.workspace or Path(tmp)
        workspace.mkdir(parents=True, exist_ok=True)
        sets: dict[str, list[Row]] = {}
        for name, specs in (("tuning", args.tune), ("held-out", args.check)):
            for spec in specs:
                service, questions = prepared(spec, settings, base, workspace)
                rows = collect(service.settings, questions, service)
                sets[name] = sets.get(name, []) + rows
                sets[f"{name} {Path(spec.partition(':')[0]).name}"] = rows
    tune = sets["tuning"]
    x = np.array([r.features for r in tune])
    y = np.array([float(r.gold) for r in tune])
    w = fit(x, y)
    bars = {}
    for spans in (True, False):
        group = [r for r in tune if r.spans == spans]
        margins = np.array([r.features for r in group]) @ w[:-1]
        candidates = np.unique(margins).tolist()
        if args.recall <= 0:
            bars[spans] = max(candidates, key=lambda b: f_beta(score(group, margins >= b)["all"], 2.0))
        else:  # the highest bar that keeps the tuning questions' mean case recall at the target
            bars[spans] = max(
                (b for b in candidates if score(group, margins >= b)["all"]["recall"] >= args.recall),
                default=min(candidates),
            )

    def decide(rows: list[Row], weights: np.ndarray, bar_of: dict[bool, float]) -> np.ndarray:
        return np.array([float(np.dot(weights, r.features)) >= bar_of[r.spans] for r in rows])

    config = settings.answer
    shipped = np.array(config.case_weights)
    shipped_bars = {True: config.case_bar_spanning, False: config.case_bar}
    report: dict[str, object] = {
        "features": ["sentence gap", "passage cosine gap", "BM25 share", "guard cosine gap", "topic guard gap"],
        "fitted": {
            "weights": [round(float(v), 3) for v in w[:-1]],
            "bar (words span cases)": round(bars[True], 3),
            "bar (others)": round(bars[False], 3),
        },
        "shipped": {
            "weights": list(config.case_weights),
            "bar (words span cases)": config.case_bar_spanning,
            "bar (others)": config.case_bar,
        },
        "rows": {name: len(rows) for name, rows in sets.items()},
    }
    for name, rows in sets.items():
        if not rows:
            continue
        report[f"{name}: fitted"] = score(rows, decide(rows, w[:-1], bars))
        report[f"{name}: shipped"] = score(rows, decide(rows, shipped, shipped_bars))
    print(json.dumps(report, indent=None if args.json else 2, ensure_ascii=False))


if __name__ == "__main__":
    main()
