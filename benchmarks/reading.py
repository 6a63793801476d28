"""The reading step of indexing in its worker process against reading in the indexing process itself.

`python -m benchmarks.reading [--corpus corpus] [--runs 5]` reads every document of the corpus both
ways in each run (which goes first alternates), the worker's start included as `qa index` pays it,
and prints each run, the median ratio worker / in process and the median start of the worker (a fixed
cost per run). Results are checked to be equal.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from qa.ingest.corpus import SourceFile, discover, read_source
from qa.ingest.readworker import ReadingWorker
from qa.settings import Settings


def _read_all(files: Sequence[SourceFile], settings: Settings, isolated: bool) -> tuple[float, float, list[object]]:
    """Seconds to read `files`, of which starting the worker, and what was read."""
    started = time.perf_counter()
    results: list[object] = []
    worker = ReadingWorker(settings) if isolated else None
    start = 0.0
    try:
        if worker is not None:
            worker.start()
            start = time.perf_counter() - started
        for source in files:
            try:
                results.append(read_source(source, settings, worker)[0])
            except Exception as exc:  # a skipped document is a result too
                results.append(str(exc))
    finally:
        if worker is not None:
            worker.close()
    return time.perf_counter() - started, start, results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    settings = Settings(corpus=args.corpus)
    files = discover(settings).files
    _read_all(files[:1], settings, isolated=False)  # the readers' imports, paid once by any process
    ratios: list[float] = []
    starts: list[float] = []
    for run in range(args.runs):
        order = (False, True) if run % 2 == 0 else (True, False)
        timed = {isolated: _read_all(files, settings, isolated) for isolated in order}
        (inline, _, inline_results), (worker, start, worker_results) = timed[False], timed[True]
        if inline_results != worker_results:
            raise SystemExit("the worker read something else than the indexing process")
        ratios.append(worker / inline)
        starts.append(start)
        print(
            f"run {run + 1}: {len(files)} documents, in process {inline:.2f} s, "
            f"in the worker {worker:.2f} s (of which starting it {start:.2f} s)"
        )
    print(
        f"median ratio worker / in process over {args.runs} runs: {statistics.median(ratios):.2f}; "
        f"median start of the worker {statistics.median(starts):.2f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
