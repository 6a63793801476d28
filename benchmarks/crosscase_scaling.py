"""How answering across cases scales with the number of cases: warm `ask` against warm `search`.

    python -m benchmarks.crosscase_scaling [--cases 8 24 50] [--repeat 2] [--json]

For each size, a study of that many cases is made from the sample's eight: each case folder copied
under a new name (the texts are the sample's, so the embedding cache of the sample index serves
them and nothing is embedded again; a copy of that cache is used). Every question of
`eval/crosscase.jsonl` and `eval/questions.jsonl` is asked (`ask`) and searched (`search`, k=10), warm,
`--repeat` times; reports p50 and p95 of each, the ratio of the p95s (target: ask p95 at most 2x
search p95 on the sample study) and how ask time grows with the number of cases.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.ask_latency import percentile, timings
from qa.evaluation import load_questions
from qa.service import Vraagbaak
from qa.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def make_study(target: Path, cases: int) -> None:
    """The sample study with `cases` cases: its own eight, then copies of them under new names."""
    source = REPO / "corpus"
    shutil.copytree(source / "study", target / "study")
    originals = sorted(p for p in (source / "cases").iterdir() if p.is_dir())
    for n in range(cases):
        case = originals[n % len(originals)]
        copy = n // len(originals)
        shutil.copytree(case, target / "cases" / (case.name if copy == 0 else f"{case.name}-kopie-{copy}"))


def measure(service: Vraagbaak, questions: list[str], repeat: int) -> dict[str, dict[str, float]]:
    return {
        name: {"n": len(values), "p50_ms": statistics.median(values), "p95_ms": percentile(values, 0.95)}
        for name, values in timings(service, questions, repeat).items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, nargs="+", default=[8, 24, 50])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    base = Settings()
    cache = base.indexing.cache_file or base.index / "embeddings.sqlite"
    questions = [
        q.question
        for path in (REPO / "eval" / "crosscase.jsonl", REPO / "eval" / "questions.jsonl")
        for q in load_questions(path)
    ]
    results: dict[int, dict[str, object]] = {}
    embedder = None
    with tempfile.TemporaryDirectory(prefix="crosscase-scaling-") as tmp:
        shared_cache = Path(tmp) / "embeddings.sqlite"
        if cache.is_file():
            shutil.copy(cache, shared_cache)
        for size in args.cases:
            folder = Path(tmp) / f"cases-{size}"
            make_study(folder / "corpus", size)
            settings = base.model_copy(
                update={
                    "corpus": folder / "corpus",
                    "index": folder / "index",
                    "indexing": base.indexing.model_copy(update={"cache_file": shared_cache}),
                }
            )
            service = Vraagbaak(settings, embedder)
            started = time.perf_counter()
            summary = service.reindex()
            index_seconds = time.perf_counter() - started
            embedder = service.embedder
            measured = measure(service, questions, args.repeat)
            results[size] = {
                "cases": len(service.cases()),
                "chunks": summary.chunks,
                "embedded": summary.embedded_chunks,
                "index_seconds": round(index_seconds, 1),
                **measured,
                "ratio_p95": measured["ask"]["p95_ms"] / measured["search"]["p95_ms"],
            }
    if args.json:
        print(json.dumps(results))
        return 0
    smallest = min(results)
    for size, row in results.items():
        ask, search = row["ask"], row["search"]
        assert isinstance(ask, dict) and isinstance(search, dict)
        growth = ask["p50_ms"] / results[smallest]["ask"]["p50_ms"]  # type: ignore[index]
        print(
            f"{size:>3} cases ({row['chunks']} passages): "
            f"search p50 {search['p50_ms']:6.1f} p95 {search['p95_ms']:6.1f} ms"
            f" | ask p50 {ask['p50_ms']:6.1f} p95 {ask['p95_ms']:6.1f} ms | ask/search p95 {row['ratio_p95']:.2f}"
            f" | ask p50 x{growth:.2f} of {smallest} cases"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
