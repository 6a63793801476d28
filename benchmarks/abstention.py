"""Calibrate when to abstain: the bars per language, measured on in-scope and off-topic questions.

For every question of the in-scope sets (eval/questions.jsonl, broad.jsonl, intent.jsonl) and the off-topic
set (eval/offtopic.jsonl) it computes the signals the composer decides on (qa.answer.retrieve), then
per language picks the bar that abstains on the most off-topic questions while abstaining on at
most --max-false of the in-scope ones. Because choosing a bar on the same questions it is scored on
flatters it, it also reports repeated 2-fold cross-validation (choose on one half, score the other),
and applies the bars chosen on all of them to the held-out sets (eval/heldout-inscope.jsonl,
eval/heldout-offtopic.jsonl), which were written later, by another hand, and never tuned on.
Each rule is scored for several weights of the background questions (qa.search.background).

    python -m benchmarks.abstention [--max-false 0.01] [--folds-repeat 50] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from qa.answer import abstains, retrieve
from qa.evaluation import load_questions
from qa.search.retrieval import Filters
from qa.service import Vraagbaak
from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
IN_SCOPE = [ROOT / "eval" / "questions.jsonl", ROOT / "eval" / "broad.jsonl", ROOT / "eval" / "intent.jsonl"]
OFF_TOPIC = [ROOT / "eval" / "offtopic.jsonl"]
HELD_OUT = {False: [ROOT / "eval" / "heldout-inscope.jsonl"], True: [ROOT / "eval" / "heldout-offtopic.jsonl"]}
WEIGHTS = (0.0, 0.5, 0.75, 1.0, 1.5)


@dataclass(frozen=True)
class Point:
    question: str
    lang: str
    off_topic: bool
    base: float  # relevance + guard_weight * topicality + support_weight * support
    elsewhere: float  # closeness to the background questions (subtracted, times its weight)
    relevance: float
    unknown_words: bool
    held_out: bool = False
    group: str = ""  # the bar it is held against (set by calibrate)


Value = Callable[[Point], float]


def points(service: Vraagbaak) -> list[Point]:
    settings = service.settings
    found = []
    sets = [(f, False, False) for f in IN_SCOPE] + [(f, True, False) for f in OFF_TOPIC]
    sets += [(f, off, True) for off, files in HELD_OUT.items() for f in files if f.exists()]
    for file, off, held in sets:
        for q in load_questions(file):
            got = retrieve(service.retriever, q.question, Filters(), [], settings)
            s = got.signals
            # the composer's own score, without its background term (added back per weight below)
            _abstains, guarded, _bar = abstains(replace(s, elsewhere=0.0), q.lang, settings.answer)
            elsewhere = s.elsewhere or 0.0
            found.append(Point(q.question, q.lang, off, guarded, elsewhere, s.relevance, s.unknown_words, held))
    return found


def with_background(weight: float) -> Value:
    return lambda p: p.base - weight * p.elsewhere


def relevance(p: Point) -> float:
    return p.relevance


def choose_bar(scores_in: list[float], max_false: float) -> float:
    """The highest bar that abstains on at most max_false of the in-scope questions."""
    ordered = sorted(scores_in)
    allowed = int(max_false * len(ordered))
    return ordered[allowed] if ordered else 0.0


def rates(bar: float, scores_in: list[float], scores_off: list[float]) -> tuple[float, float]:
    false = sum(s < bar for s in scores_in) / len(scores_in) if scores_in else 0.0
    caught = sum(s < bar for s in scores_off) / len(scores_off) if scores_off else 0.0
    return false, caught


def _group(point: Point, split_unknown: bool) -> str:
    """Dutch questions get a second bar when they use words the study never does (English ones always do)."""
    if split_unknown and point.lang == "nl":
        return "nl, unknown words" if point.unknown_words else "nl, all words known"
    return point.lang


def _fit_and_score(train: list[Point], test: list[Point], value: Value, max_false: float) -> tuple[float, float]:
    """Bars chosen per group on `train`, applied to `test`: its false abstention and abstention."""
    bars = {
        group: choose_bar([value(p) for p in train if p.group == group and not p.off_topic], max_false)
        for group in {p.group for p in train}
    }
    inside = [p for p in test if not p.off_topic]
    outside = [p for p in test if p.off_topic]
    false = sum(value(p) < bars.get(p.group, 0.0) for p in inside) / len(inside) if inside else 0.0
    caught = sum(value(p) < bars.get(p.group, 0.0) for p in outside) / len(outside) if outside else 0.0
    return false, caught


def calibrate(
    data: list[Point], value: Value, max_false: float, repeat: int, split_unknown: bool
) -> dict[str, dict[str, float]]:
    grouped = [replace(p, group=_group(p, split_unknown)) for p in data]
    tuning = [p for p in grouped if not p.held_out]
    results: dict[str, dict[str, float]] = {}
    for group in sorted({p.group for p in tuning}):
        mine = [p for p in tuning if p.group == group]
        score_in = [value(p) for p in mine if not p.off_topic]
        score_off = [value(p) for p in mine if p.off_topic]
        bar = choose_bar(score_in, max_false)
        false, caught = rates(bar, score_in, score_off)
        results[group] = {
            "in_scope": len(score_in),
            "off_topic": len(score_off),
            "bar": round(bar, 4),
            "false_abstention": round(false, 4),
            "abstention": round(caught, 4),
        }
    for lang in sorted({p.lang for p in tuning}):
        mine = [p for p in tuning if p.lang == lang]
        rng = random.Random(0)
        cv_false: list[float] = []
        cv_caught: list[float] = []
        for _ in range(repeat):
            shuffled = mine[:]
            rng.shuffle(shuffled)
            half = len(shuffled) // 2
            for train, test in ((shuffled[:half], shuffled[half:]), (shuffled[half:], shuffled[:half])):
                f, c = _fit_and_score(train, test, value, max_false)
                cv_false.append(f)
                cv_caught.append(c)
        fitted_false, fitted_caught = _fit_and_score(mine, mine, value, max_false)
        held = [p for p in grouped if p.held_out and p.lang == lang]
        held_false, held_caught = _fit_and_score(mine, held, value, max_false) if held else (float("nan"),) * 2
        results[f"{lang}, overall"] = {
            "in_scope": sum(not p.off_topic for p in mine),
            "off_topic": sum(p.off_topic for p in mine),
            "false_abstention": round(fitted_false, 4),
            "abstention": round(fitted_caught, 4),
            "cv_false_abstention": round(sum(cv_false) / len(cv_false), 4),
            "cv_abstention": round(sum(cv_caught) / len(cv_caught), 4),
            "held_out_false_abstention": round(held_false, 4),
            "held_out_abstention": round(held_caught, 4),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-false", type=float, default=0.01, help="false abstention allowed when choosing")
    parser.add_argument("--folds-repeat", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    service = Vraagbaak(Settings())
    data = points(service)
    m, r = args.max_false, args.folds_repeat
    report: dict[str, dict[str, dict[str, float]]] = {}
    for w in WEIGHTS:
        report[f"guarded, background {w}, Dutch split"] = calibrate(data, with_background(w), m, r, True)
        report[f"guarded, background {w}, one bar"] = calibrate(data, with_background(w), m, r, False)
    report["relevance alone, Dutch split"] = calibrate(data, relevance, m, r, split_unknown=True)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"abstention bars, chosen for at most {m:.0%} false abstention per group; CV = 2-fold x {r}; ")
    print("held out = bars chosen on all tuning questions, applied to eval/heldout-*.jsonl")
    print(
        f"{'signal':<38} {'group':<20} {'in':>4} {'off':>4} {'bar':>7} {'falseAb':>8} {'abstain':>8} "
        f"{'cv fAb':>7} {'cv abst':>8} {'ho fAb':>7} {'ho abst':>8}"
    )
    nan = float("nan")
    for signal, groups in report.items():
        for group, x in groups.items():
            print(
                f"{signal:<38} {group:<20} {x['in_scope']:>4} {x['off_topic']:>4} {x.get('bar', nan):>7.3f} "
                f"{x['false_abstention']:>8.3f} {x['abstention']:>8.3f} {x.get('cv_false_abstention', nan):>7.3f} "
                f"{x.get('cv_abstention', nan):>8.3f} {x.get('held_out_false_abstention', nan):>7.3f} "
                f"{x.get('held_out_abstention', nan):>8.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
