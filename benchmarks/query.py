"""Query latency of a warm `Retriever.search` at growing index sizes, with exact search and with HNSW.

The indexes are synthetic (see benchmarks.synthetic) but loaded and searched by the real
Retriever, with real query encoding of real dekamer questions. Each search is split into its
stages by timing wrappers around the encoder, the dense and lexical indexes and the SQLite fetch.
"""

from __future__ import annotations

import gc
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks import synthetic
from benchmarks.common import Context, Section, Table, log, percentile, read_queries, stopwatch
from qa.index.dense import DenseIndex
from qa.search.retrieval import Retriever

if TYPE_CHECKING:
    from qa.index.embedders import Embedder

SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 5_000)
HNSW_MAX = 100_000  # HNSW on random vectors builds at ~1-2 ms a vector here: 1M would take 30+ min
QUERIES, QUICK_QUERIES = 50, 10
REPEATS, QUICK_REPEATS = 3, 2
WARMUP = 5
K = 5  # hits asked for, as `qa search` does by default
TARGET_P95_MS = 50.0
TARGET_SIZE = 100_000
DENSE_BUDGET_MS = 20.0  # share of the 50 ms budget the dense search may take before HNSW pays off
STAGES = ("encode", "dense", "lexical", "fetch")


@dataclass
class Run:
    """The latencies (ms) of every measured search of one index, by stage."""

    load_seconds: float
    total: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    hits: list[int] = field(default_factory=list)

    def retrieval(self) -> list[float]:
        return [t - e for t, e in zip(self.total, self.stages["encode"], strict=True)]

    def rest(self) -> list[float]:
        return [t - sum(self.stages[s][i] for s in STAGES) for i, t in enumerate(self.total)]


class _Clock:
    """Timing wrappers that remember the duration of the last call per stage."""

    def __init__(self) -> None:
        self.last: dict[str, float] = {}

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.last[stage] = (time.perf_counter() - started) * 1000

        return timed


class _TimedEmbedder:
    def __init__(self, inner: Embedder, clock: _Clock) -> None:
        self.name, self.version, self.dimension = inner.name, inner.version, inner.dimension
        self.embed_passages = inner.embed_passages
        self.embed_queries = clock.wrap("encode", inner.embed_queries)


def run(context: Context) -> Section:
    embedder = context.embedder()
    quick = context.quick
    sizes = QUICK_SIZES if quick else SIZES
    hnsw_max = max(sizes) if quick else HNSW_MAX
    queries = read_queries(context.dekamer, QUICK_QUERIES if quick else QUERIES)
    repeats = QUICK_REPEATS if quick else REPEATS
    section = Section(
        "query",
        f"warm Retriever.search latency (k={K}, hybrid, {embedder.name} query encoding, {len(queries)} dekamer "
        f"questions x {repeats} after {WARMUP} warm-up searches) on synthetic indexes",
    )
    synthetic.material(context)
    section.add(
        "lexical_build_matches_indexer",
        synthetic.lexical_matches_indexer(context),
        "",
        "the synthetic BM25 side scores exactly like LexicalIndex.build on the real texts",
    )
    query_vectors = embedder.embed_queries(queries)
    runs: dict[tuple[int, str], Run] = {}
    builds: dict[int, dict[str, float]] = {}
    recalls: dict[int, float] = {}
    for n in sizes:
        builds[n], recalls_n = _one_size(context, embedder, n, n <= hnsw_max, queries, query_vectors, repeats, runs)
        if recalls_n is not None:
            recalls[n] = recalls_n
    _report(section, sizes, runs, builds, recalls, hnsw_max, context)
    return section


def _one_size(
    context: Context,
    embedder: Embedder,
    n: int,
    with_hnsw: bool,
    queries: list[str],
    query_vectors: np.ndarray,
    repeats: int,
    runs: dict[tuple[int, str], Run],
) -> tuple[dict[str, float], float | None]:
    root = context.folder(f"query/{n}")
    log.info("query: building the synthetic index of %d chunks", n)
    with stopwatch() as elapsed:
        vectors = synthetic.random_unit_vectors(n, embedder.dimension, seed=n)
    exact_dir, times = synthetic.write_version(context, root / "exact", n, vectors, embedder, hnsw=False)
    build = {
        "vectors": elapsed[0],
        "sqlite": times.sqlite,
        "dense_exact": times.dense,
        "lexical": times.lexical,
        "publish": times.publish,
    }
    hnsw_dir: Path | None = None
    if with_hnsw:
        log.info("query: building the HNSW twin of %d chunks", n)
        hnsw_dir, build["dense_hnsw"] = synthetic.hnsw_twin(exact_dir, root / "hnsw", vectors, embedder.dimension)
    del vectors
    gc.collect()
    build["disk_mb"] = sum(f.stat().st_size for f in exact_dir.rglob("*") if f.is_file()) / 1e6
    context.cache[f"synthetic:{n}:exact"] = exact_dir
    if hnsw_dir is not None:
        context.cache[f"synthetic:{n}:hnsw"] = hnsw_dir

    for mode, version_root in (("exact", root / "exact"), ("hnsw", root / "hnsw" if hnsw_dir else None)):
        if version_root is None:
            continue
        log.info("query: measuring %s search on %d chunks", mode, n)
        runs[(n, mode)] = _measure(context, embedder, version_root, queries, repeats)
        build[f"load_{mode}"] = runs[(n, mode)].load_seconds

    recall = None
    if hnsw_dir is not None:
        recall = _recall_at_10(exact_dir, hnsw_dir, query_vectors, context.settings.retrieval.candidates)
    if n > TARGET_SIZE:  # too big to keep around for the memory benchmark
        shutil.rmtree(root, ignore_errors=True)
        context.cache.pop(f"synthetic:{n}:exact", None)
    return build, recall


def _measure(context: Context, embedder: Embedder, root: Path, queries: list[str], repeats: int) -> Run:
    clock = _Clock()
    settings = context.settings_for(context.workdir / "unused-corpus", root)
    retriever = Retriever(settings, _TimedEmbedder(embedder, clock))
    with stopwatch() as elapsed:
        version = retriever.version()
    setattr(version.dense, "search", clock.wrap("dense", version.dense.search))  # noqa: B010
    setattr(version.lexical, "search", clock.wrap("lexical", version.lexical.search))  # noqa: B010
    setattr(version, "chunk_rows", clock.wrap("fetch", version.chunk_rows))  # noqa: B010
    run = Run(load_seconds=elapsed[0])
    for query in queries[:WARMUP]:
        retriever.search(query, k=K)
    for _ in range(repeats):
        for query in queries:
            clock.last.clear()
            started = time.perf_counter()
            hits = retriever.search(query, k=K)
            run.total.append((time.perf_counter() - started) * 1000)
            for stage in STAGES:
                run.stages[stage].append(clock.last.get(stage, 0.0))
            run.hits.append(len(hits))
    version.close()
    del retriever, version
    gc.collect()
    return run


def _recall_at_10(exact_dir: Path, hnsw_dir: Path, vectors: np.ndarray, candidates: int) -> float:
    """Mean share of the exact top 10 that HNSW finds, searching as the Retriever does (k=candidates)."""
    exact = DenseIndex.load(exact_dir / "dense.faiss")
    hnsw = DenseIndex.load(hnsw_dir / "dense.faiss")
    found = []
    for vector in vectors:
        truth = set(exact.nearest(vector, 10)[0].tolist())
        approx = set(hnsw.nearest(vector, candidates)[0][:10].tolist())
        found.append(len(truth & approx) / max(1, len(truth)))
    return float(np.mean(found))


def _label(n: int) -> str:
    return (
        f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)
    )


def _report(
    section: Section,
    sizes: tuple[int, ...],
    runs: dict[tuple[int, str], Run],
    builds: dict[int, dict[str, float]],
    recalls: dict[int, float],
    hnsw_max: int,
    context: Context,
) -> None:
    rows = []
    for (n, mode), run in sorted(runs.items()):
        key = f"{mode}.{_label(n)}."
        total, retrieval = run.total, run.retrieval()
        p95 = percentile(total, 95)
        target = {"target": f"<= {TARGET_P95_MS:g} ms", "met": p95 <= TARGET_P95_MS} if n == TARGET_SIZE else {}
        section.add(
            key + "p50_ms",
            percentile(total, 50),
            "ms",
            f"{mode} search, {_label(n)} chunks: median, query encoding included",
        )
        section.add(
            key + "p95_ms",
            p95,
            "ms",
            f"{mode} search, {_label(n)} chunks: 95th percentile, encoding included",
            **target,
        )
        section.add(key + "retrieval_p50_ms", percentile(retrieval, 50), "ms", "median without query encoding")
        section.add(key + "retrieval_p95_ms", percentile(retrieval, 95), "ms", "95th percentile without query encoding")
        stage_p50 = {s: percentile(run.stages[s], 50) for s in STAGES}
        for stage in STAGES:
            section.add(key + f"{stage}_p50_ms", stage_p50[stage], "ms", f"median time of the {stage} stage")
        section.add(key + "dense_p95_ms", percentile(run.stages["dense"], 95), "ms", "95th percentile of dense search")
        section.add(
            key + "rest_p50_ms",
            percentile(run.rest(), 50),
            "ms",
            "median of the rest: case detection in the question, fusion, diversity, Hit records",
        )
        section.add(key + "hits_min", min(run.hits), "hits", "fewest hits any search returned")
        recall = recalls.get(n) if mode == "hnsw" else None
        if recall is not None:
            section.add(
                key + "recall_at_10",
                recall,
                "share",
                "HNSW top 10 (searched as the Retriever does) vs exact top 10, random-vector index",
            )
        rows.append(
            [
                _label(n),
                mode,
                f"{percentile(total, 50):.1f}",
                f"{p95:.1f}",
                f"{percentile(retrieval, 50):.1f}",
                f"{percentile(retrieval, 95):.1f}",
                f"{stage_p50['encode']:.1f}",
                f"{stage_p50['dense']:.1f}",
                f"{percentile(run.stages['dense'], 95):.1f}",
                f"{stage_p50['lexical']:.1f}",
                f"{percentile(run.stages['lexical'], 95):.1f}",
                f"{stage_p50['fetch']:.1f}",
                f"{percentile(run.rest(), 50):.1f}",
                f"{recall:.3f}" if recall is not None else "-",
            ]
        )
    section.tables.append(
        Table(
            "latency in ms",
            [
                "chunks",
                "mode",
                "p50",
                "p95",
                "retr p50",
                "retr p95",
                "encode",
                "dense",
                "dense p95",
                "bm25",
                "bm25 p95",
                "fetch",
                "rest",
                "recall@10",
            ],
            rows,
            [
                "p50/p95: whole Retriever.search incl. query encoding; retr: the same without encoding;",
                "encode, dense, bm25, fetch (SQLite rows), rest (case detection, fusion, diversity):",
                "medians per stage;",
                "recall@10: share of the exact dense top 10 that HNSW returns (random vectors: a worst case).",
            ],
        )
    )
    build_rows = []
    for n in sizes:
        b = builds[n]
        for name, value in b.items():
            unit, what = ("MB", "disk size of the version") if name == "disk_mb" else ("s", f"synthetic build: {name}")
            if name.startswith("load_"):
                what = f"IndexVersion load ({name[5:]}) on the first search"
            section.add(f"build.{_label(n)}.{name}", value, unit, what)
        build_rows.append(
            [
                _label(n),
                f"{b['vectors']:.1f}",
                f"{b['sqlite']:.1f}",
                f"{b['dense_exact']:.1f}",
                f"{b['dense_hnsw']:.1f}" if "dense_hnsw" in b else "-",
                f"{b['lexical']:.1f}",
                f"{b['publish']:.1f}",
                f"{b.get('load_exact', 0):.1f}",
                f"{b['load_hnsw']:.1f}" if "load_hnsw" in b else "-",
                f"{b['disk_mb']:.0f}",
            ]
        )
    section.tables.append(
        Table(
            "synthetic index build and load, seconds",
            [
                "chunks",
                "vectors",
                "sqlite",
                "dense exact",
                "dense hnsw",
                "bm25",
                "publish",
                "load exact",
                "load hnsw",
                "MB",
            ],
            build_rows,
            [
                "vectors: random unit vectors; sqlite: all rows; dense: DenseIndex.build + save; bm25: bm25s over",
                "pre-tokenized replicas (each distinct text tokenized once); publish: fsync + CURRENT;",
                "load: IndexVersion.",
            ],
        )
    )
    _growth(section, sizes, runs)
    _threshold(section, runs, builds, recalls, context)
    biggest = max(sizes)
    section.notes.append(
        "Synthetic indexes: dense side random unit vectors (float32, the encoder's dimension), lexical side and "
        "SQLite rows real dekamer chunk texts replicated; written with qa.index.store, DenseIndex, LexicalIndex and "
        "qa.index.layout.publish in the indexer's layout and loaded by the real Retriever."
    )
    if hnsw_max < biggest:
        per_vector = builds[hnsw_max]["dense_hnsw"] / hnsw_max
        section.notes.append(
            f"HNSW not built above {_label(hnsw_max)} chunks: at {_label(hnsw_max)} it took "
            f"{builds[hnsw_max]['dense_hnsw']:.0f} s ({per_vector * 1000:.2f} ms a vector), so {_label(biggest)} would "
            f"take at least ~{per_vector * biggest / 60:.0f} min, beyond this benchmark's time budget."
        )


def _growth(section: Section, sizes: tuple[int, ...], runs: dict[tuple[int, str], Run]) -> None:
    for mode in ("exact", "hnsw"):
        measured = [n for n in sizes if (n, mode) in runs]
        if len(measured) < 2:
            continue
        small = 10_000 if 10_000 in measured else measured[0]
        large = measured[-1]
        if large <= small:
            continue
        for what, pick in (("retrieval", Run.retrieval), ("dense", lambda r: r.stages["dense"])):
            low = percentile(pick(runs[(small, mode)]), 50)
            high = percentile(pick(runs[(large, mode)]), 50)
            section.add(
                f"{mode}.growth_{what}_{_label(small)}_to_{_label(large)}",
                high / low if low else None,
                "x",
                f"median {what} latency at {_label(large)} / at {_label(small)} (linear would be {large / small:g}x)",
            )


def _threshold(
    section: Section,
    runs: dict[tuple[int, str], Run],
    builds: dict[int, dict[str, float]],
    recalls: dict[int, float],
    context: Context,
) -> None:
    exact_sizes = sorted(n for n, mode in runs if mode == "exact")
    hnsw_sizes = sorted(n for n, mode in runs if mode == "hnsw")
    if not exact_sizes:
        return
    largest = exact_sizes[-1]
    # From the median: on a shared machine the 95th percentile mostly measures other processes.
    per_vector_ms = percentile(runs[(largest, "exact")].stages["dense"], 50) / largest
    crossover = DENSE_BUDGET_MS / per_vector_ms if per_vector_ms > 0 else float("inf")
    suggestion = int(float(f"{crossover:.2g}")) if np.isfinite(crossover) else None
    section.add(
        "threshold.exact_dense_us_per_1k_chunks",
        per_vector_ms * 1000 * 1000,
        "µs",
        f"median exact dense search time per 1,000 chunks (at {_label(largest)}; it grows linearly)",
    )
    section.add(
        "threshold.suggested_hnsw_above",
        suggestion,
        "chunks",
        f"where median exact dense search reaches {DENSE_BUDGET_MS:g} ms ({DENSE_BUDGET_MS / TARGET_P95_MS:.0%} of "
        f"the {TARGET_P95_MS:g} ms budget); settings.indexing.hnsw_above is {context.settings.indexing.hnsw_above}",
        estimate=True,
    )
    if hnsw_sizes:
        top = hnsw_sizes[-1]
        section.add(
            "threshold.hnsw_build_ms_per_chunk",
            builds[top]["dense_hnsw"] / top * 1000,
            "ms",
            f"HNSW build time per chunk at {_label(top)} (paid for every chunk on every build_index above the "
            "threshold: the dense index is rebuilt from all vectors each time)",
        )
