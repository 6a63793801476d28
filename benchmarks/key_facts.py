"""Where key facts are lost on their way into the answer, per question set.

    python -m benchmarks.key_facts [--set eval/questions.jsonl --set eval/heldout-facts.jsonl]

For every question with a key fact: is the fact in a retrieved passage, in a quotable sentence of
those passages (and at which place among them, best first: MRR, in the first three), and in the
answer? A fact not quoted is put down to the first reason `qa.evaluation.trace_fact` finds. The
index must exist (`qa index`).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from qa.answer import compose, retrieve
from qa.evaluation import load_questions, trace_fact
from qa.search.retrieval import Filters
from qa.service import Vraagbaak
from qa.settings import load_settings

SETS = (Path("eval/questions.jsonl"), Path("eval/heldout-facts.jsonl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="sets", type=Path, action="append")
    args = parser.parse_args(argv)
    service = Vraagbaak(load_settings())
    settings, retriever = service.settings, service.retriever
    for path in args.sets or SETS:
        traces = []
        for question in (q for q in load_questions(path) if q.fact):
            retrieved = retrieve(retriever, question.question, Filters(), (), settings)
            answer = compose(question.question, retrieved, settings)
            traces.append(trace_fact(question, retrieved, answer, settings.answer))
        n = len(traces)
        places = [t.place for t in traces if t.place is not None]
        mrr, first_three = sum(1 / (p + 1) for p in places) / n, sum(p < 3 for p in places) / n
        print(
            f"{path} ({n} questions): fact in a retrieved passage {sum(t.in_passages for t in traces) / n:.3f}, "
            f"in a quotable sentence {len(places) / n:.3f} (MRR {mrr:.3f}, first three {first_three:.3f}), "
            f"in the answer {sum(t.in_answer for t in traces) / n:.3f}"
        )
        for why, count in Counter(t.why for t in traces if not t.in_answer).most_common():
            print(f"  not quoted: {why}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
