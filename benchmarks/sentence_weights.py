"""How far any weighting of the sentence score's parts can take the key facts.

    python -m benchmarks.sentence_weights [--set eval/questions.jsonl --set eval/heldout-facts.jsonl]

A quotable sentence's score is a weighted sum of its parts (`qa.answer.ScoreParts`: its cosine to the
question in both forms, its neighbours', the word overlap, the section, the kind of answer, held-back
passages, the passage's rank) and a bonus for a pair. This benchmark fits those weights afresh by
pairwise logistic regression: per question, each sentence that holds the key fact against every
quotable sentence that does not, every question weighing the same. It then scores each set with the
shipped weights and with weights fitted on each set and on all of them:

- the fact sentence's place among the quotable sentences (MRR, share in the first three);
- whether the fact reaches the answer: the candidates rescored, then selected and composed as
  `qa ask` does (which sentences pair up stays as the shipped weights decided).

Weights fitted on the set they are scored on are an upper bound for any linear weighting of these
parts on that set; weights fitted on the other set show what such a fit is worth on unseen questions.
The index must exist (`qa index`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.answer import Candidate, Retrieved, ScoreParts, compose, rescore, retrieve
from qa.evaluation import Question, holds_fact, load_questions
from qa.search.retrieval import Filters, mix_forms
from qa.service import Vraagbaak
from qa.settings import AnswerSettings, Settings, load_settings

SETS = (Path("eval/questions.jsonl"), Path("eval/heldout-facts.jsonl"))
PARTS = ("as passage", "as question", "beside", "overlap", "section", "typed", "held back", "rank", "pair")
RIDGE = 1e-3  # on standardized differences: keeps the fit finite when a part separates a set perfectly


@dataclass(frozen=True)
class Asked:
    """One question with a key fact, what retrieval found for it, and its candidates' parts as rows."""

    question: Question
    got: Retrieved
    rows: np.ndarray  # per candidate and per sentence quoted: candidate index, then the parts
    holds: np.ndarray  # per candidate: its quote holds the fact


def vector(parts: ScoreParts, config: AnswerSettings, pair: bool) -> list[float]:
    """A sentence's parts as numbers, in the order of PARTS (pure). A sentence alone in its passage
    has its own similarity beside it, which is what `weigh` gives it."""
    own = mix_forms(parts.as_passage, parts.as_question, config.question_form_weight)
    beside = own if parts.beside is None else parts.beside
    return [
        parts.as_passage,
        parts.as_question,
        beside,
        parts.overlap,
        parts.section,
        float(parts.typed),
        float(parts.held_back),
        float(parts.rank),
        float(pair),
    ]


def shipped(config: AnswerSettings) -> np.ndarray:
    """The settings' weights on the parts, in the order of PARTS (pure)."""
    q, n = config.question_form_weight, config.neighbour_weight
    return np.array(
        [
            (1 - n) * (1 - q),
            (1 - n) * q,
            n,
            config.lexical_weight,
            config.section_weight,
            config.answer_type_bonus,
            -config.intro_penalty,
            -config.rank_penalty,
            config.pair_bonus,
        ]
    )


def ask(questions: Sequence[Question], service: Vraagbaak) -> list[Asked]:
    settings, config = service.settings, service.settings.answer
    asked = []
    for question in questions:
        got = retrieve(service.retriever, question.question, Filters(), (), settings)
        rows = [[i, *vector(parts, config, pair=c.sentences > 1)] for i, c in enumerate(got.found) for parts in c.parts]
        holds = np.array([holds_fact(question, c.quote) for c in got.found], dtype=bool)
        asked.append(Asked(question, got, np.array(rows).reshape(-1, 1 + len(PARTS)), holds))
    return asked


def scores(asked: Asked, weights: np.ndarray) -> np.ndarray:
    """Each candidate's score under `weights`: its best sentence's (pure)."""
    each = asked.rows[:, 1:] @ weights
    out = np.full(len(asked.got.found), -np.inf)
    np.maximum.at(out, asked.rows[:, 0].astype(int), each)
    return out


def differences(asked: Sequence[Asked], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per question, each fact candidate's parts minus each other candidate's (its best sentence under
    `weights`), and how much each difference counts: every question counts the same (pure)."""
    rows, counts = [], []
    for one in asked:
        if not one.holds.any() or one.holds.all():
            continue
        best = np.zeros((len(one.got.found), len(PARTS)))
        each = one.rows[:, 1:] @ weights
        top = np.full(len(best), -np.inf)
        for (index, *parts), value in zip(one.rows, each, strict=True):
            if value > top[int(index)]:
                top[int(index)], best[int(index)] = value, parts
        pos, neg = best[one.holds], best[~one.holds]
        diff = (pos[:, None, :] - neg[None, :, :]).reshape(-1, len(PARTS))
        rows.append(diff)
        counts.append(np.full(len(diff), 1 / len(diff)))
    return np.vstack(rows), np.concatenate(counts)


def fit(asked: Sequence[Asked], start: np.ndarray) -> np.ndarray:
    """Pairwise logistic regression (Newton's method, a little ridge) on the standardized differences;
    returned in the shipped scale: the three cosine weights sum to one, as in the settings (pure)."""
    diff, count = differences(asked, start)
    scale = diff.std(axis=0)
    scale[scale == 0] = 1.0
    x = diff / scale
    w = np.zeros(x.shape[1])
    for _ in range(50):
        margin = x @ w
        p = 1 / (1 + np.exp(margin))  # the chance the pair is ordered wrong
        grad = -(x * (count * p)[:, None]).sum(axis=0) + RIDGE * w
        hess = (x * (count * p * (1 - p))[:, None]).T @ x + RIDGE * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    w = w / scale
    dense = w[:3].sum()
    return w / dense if dense > 0 else w


@dataclass(frozen=True)
class Measured:
    mrr: float
    first_three: float
    in_answer: float


def measure(asked: Sequence[Asked], weights: np.ndarray, settings: Settings) -> Measured:
    mrr = first_three = in_answer = 0.0
    for one in asked:
        score = scores(one, weights)
        order = np.argsort(-score, kind="stable")
        places = np.nonzero(one.holds[order])[0]
        if len(places):
            mrr += 1 / (places[0] + 1)
            first_three += places[0] < 3
        found: list[Candidate] = sorted(
            (replace(c, score=float(s)) for c, s in zip(one.got.found, score, strict=True)), key=lambda c: -c.score
        )
        answer = compose(one.question.question, replace(one.got, found=found), settings)
        in_answer += not answer.abstained and holds_fact(one.question, answer.text)
    n = len(asked)
    return Measured(mrr / n, first_three / n, in_answer / n)


def check_shipped(asked: Sequence[Asked], config: AnswerSettings) -> None:
    """The parts weighed with the shipped weights give the scores the candidates were ranked by."""
    for one in asked:
        for candidate, score in zip(one.got.found, scores(one, shipped(config)), strict=True):
            if abs(candidate.score - score) > 1e-9 or abs(rescore(candidate, config) - score) > 1e-9:
                raise AssertionError(
                    f"{one.question.question!r}: {candidate.quote!r} scored {candidate.score}, parts {score}"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="sets", type=Path, action="append")
    args = parser.parse_args(argv)
    service = Vraagbaak(load_settings())
    settings = service.settings
    paths = args.sets or list(SETS)
    sets = {path: ask([q for q in load_questions(path) if q.fact], service) for path in paths}
    check_shipped([a for asked in sets.values() for a in asked], settings.answer)
    start = shipped(settings.answer)
    variants: list[tuple[str, np.ndarray]] = [("shipped settings", start)]
    variants += [(f"fitted on {path.name}", fit(asked, start)) for path, asked in sets.items()]
    if len(sets) > 1:
        variants.append(("fitted on all sets", fit([a for asked in sets.values() for a in asked], start)))
    header = "".join(f" | {path.name} ({len(asked)}): MRR first3 answer" for path, asked in sets.items())
    print(f"{'weights':<36}{header}")
    for name, weights in variants:
        cells = ""
        for asked in sets.values():
            m = measure(asked, weights, settings)
            cells += f" | {m.mrr:.3f} {m.first_three:.3f} {m.in_answer:.3f}"
        print(f"{name:<36}{cells}")
    print()
    for name, weights in variants:
        print(f"{name:<36} " + ", ".join(f"{part} {w:+.4f}" for part, w in zip(PARTS, weights, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
