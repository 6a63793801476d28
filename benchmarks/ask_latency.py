"""Warm `ask` latency against warm `search` latency on the sample study (the same questions).

    python -m benchmarks.ask_latency [--repeat 3]

Both include encoding the question; the index must exist (`qa index`). Reports p50/p95 and the ratio
of the p95s (target from the issue: ask p95 at most 2x search p95).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from qa.evaluation import load_questions
from qa.service import Vraagbaak
from qa.settings import load_settings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timings(service: Vraagbaak, questions: list[str], repeat: int) -> dict[str, list[float]]:
    """Milliseconds per warm `search` (k=10) and `ask` of each question, `repeat` times over."""
    service.ask(questions[0])  # warm: model, index version, caches
    found: dict[str, list[float]] = {"search": [], "ask": []}
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            service.search(question, k=10)
            found["search"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            service.ask(question)
            found["ask"].append((time.perf_counter() - started) * 1000)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="question_set", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    service = Vraagbaak(load_settings())
    questions = [q.question for q in load_questions(args.question_set)]
    measured = timings(service, questions, args.repeat)
    for name, values in measured.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        print(f"{name:<7} n={len(values)} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
    ratio = percentile(measured["ask"], 0.95) / percentile(measured["search"], 0.95)
    print(f"ask p95 / search p95 = {ratio:.2f} (target <= 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
