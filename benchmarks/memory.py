"""Memory of a loaded index version per chunk, model excluded.

A child process imports what loading needs (numpy, faiss, bm25s, qa.search.retrieval), reads its RSS,
constructs `IndexVersion(folder)` and reads RSS and peak RSS (VmHWM) again; then runs a few
searches and reads the peak once more. No encoder is loaded.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from benchmarks import synthetic
from benchmarks.common import REPO, Context, Section, log, proc_status_kb, read_queries

SIZE, QUICK_SIZE = 100_000, 5_000
TARGET_BYTES_PER_CHUNK = 3 * 1024


def run(context: Context) -> Section:
    n = QUICK_SIZE if context.quick else SIZE
    section = Section("memory", f"RSS of a loaded IndexVersion of {n:,} chunks per chunk (child process, no encoder)")
    queries = read_queries(context.dekamer, 5)
    for mode in ("exact", "hnsw"):
        folder = _version(context, n, mode)
        log.info("memory: loading the %s version of %d chunks in a child process", mode, n)
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", str(folder), *queries],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env=os.environ.copy(),
        )
        facts = json.loads(child.stdout)
        loaded = (facts["hwm_after_load_kb"] - facts["rss_before_kb"]) * 1024
        steady = (facts["rss_after_load_kb"] - facts["rss_before_kb"]) * 1024
        searched = (facts["hwm_after_search_kb"] - facts["rss_before_kb"]) * 1024
        per_chunk = loaded / n
        key = f"{mode}."
        section.add(
            key + "bytes_per_chunk",
            per_chunk,
            "B/chunk",
            f"{mode}: (peak RSS after loading - RSS before) / chunks; chunk text stays in SQLite on disk",
            target=f"<= {TARGET_BYTES_PER_CHUNK} B",
            met=per_chunk <= TARGET_BYTES_PER_CHUNK,
        )
        section.add(key + "steady_bytes_per_chunk", steady / n, "B/chunk", "the same with RSS (not peak) after loading")
        section.add(
            key + "search_peak_bytes_per_chunk",
            searched / n,
            "B/chunk",
            f"peak RSS after {len(queries)} lexical + dense searches and SQLite fetches, per chunk",
        )
        section.add(key + "loaded_mb", loaded / 1e6, "MB", "peak RSS growth from loading the version")
        section.add(
            key + "baseline_rss_mb",
            facts["rss_before_kb"] / 1024,
            "MB",
            "child RSS before loading (Python + numpy + faiss + bm25s + qa imported)",
        )
        for name in ("dense_file_mb", "lexical_files_mb", "sqlite_file_mb", "chunk_text_mb"):
            meaning = {
                "dense_file_mb": "size of dense.faiss (loaded whole into memory)",
                "lexical_files_mb": "size of lexical/ (bm25s arrays and vocabulary, loaded into memory)",
                "sqlite_file_mb": "size of meta.sqlite (stays on disk; SQLite caches at most ~2 MB of pages)",
                "chunk_text_mb": "total chunk text in SQLite: not in RSS, so nothing is subtracted",
            }[name]
            section.add(key + name, facts[name], "MB", meaning)
    section.notes.append(
        "Synthetic versions (random unit vectors, replicated dekamer texts; see the query benchmark) of the "
        f"encoder's dimension ({context.embedder().dimension}). The model is not loaded in the child. Sentence "
        "vectors, when the indexer stores them, are SQLite rows too and are not loaded by IndexVersion."
    )
    return section


def _version(context: Context, n: int, mode: str) -> Path:
    cached = context.cache.get(f"synthetic:{n}:{mode}")
    if isinstance(cached, Path) and cached.is_dir():
        return cached
    embedder = context.embedder()
    root = context.folder(f"memory/{n}")
    log.info("memory: building a synthetic %s index of %d chunks", mode, n)
    vectors = synthetic.random_unit_vectors(n, embedder.dimension, seed=n)
    exact = context.cache.get(f"synthetic:{n}:exact")
    if not (isinstance(exact, Path) and exact.is_dir()):
        exact, _times = synthetic.write_version(context, root / "exact", n, vectors, embedder, hnsw=False)
        context.cache[f"synthetic:{n}:exact"] = exact
    if mode == "exact":
        return exact
    hnsw, _seconds = synthetic.hnsw_twin(exact, root / "hnsw", vectors, embedder.dimension)
    context.cache[f"synthetic:{n}:hnsw"] = hnsw
    return hnsw


def _child(folder: Path, queries: list[str]) -> dict[str, float]:
    """Runs in the child process: load the version, search a little, report /proc/self/status figures."""
    import bm25s  # noqa: F401  (imports belong to the baseline, not to the index)
    import faiss  # noqa: F401
    import numpy as np

    from qa.index.searcher import Query
    from qa.search.retrieval import IndexVersion

    before = proc_status_kb("VmRSS")
    peak_reset = _reset_peak()
    version = IndexVersion(folder)
    facts: dict[str, float] = {
        "rss_before_kb": before,
        "peak_reset": peak_reset,
        "rss_after_load_kb": proc_status_kb("VmRSS"),
        "hwm_after_load_kb": proc_status_kb("VmHWM"),
    }
    rng = np.random.default_rng(0)
    for query in queries:
        vector = rng.standard_normal(version.dense.dimension).astype(np.float32)
        ids, _ = version.dense.search(Query(query, vector / np.linalg.norm(vector)), 50)
        lexical_ids, _ = version.lexical.search(Query(query), 50)
        version.chunk_rows([*ids.tolist(), *lexical_ids.tolist()])
    facts["hwm_after_search_kb"] = proc_status_kb("VmHWM")
    connection = sqlite3.connect(f"file:{folder / 'meta.sqlite'}?mode=ro", uri=True)
    facts["chunk_text_mb"] = (
        connection.execute("SELECT total(length(CAST(text AS BLOB))) FROM chunks").fetchone()[0] / 1e6
    )
    connection.close()
    facts["dense_file_mb"] = (folder / "dense.faiss").stat().st_size / 1e6
    facts["lexical_files_mb"] = sum(f.stat().st_size for f in (folder / "lexical").rglob("*") if f.is_file()) / 1e6
    facts["sqlite_file_mb"] = (folder / "meta.sqlite").stat().st_size / 1e6
    version.close()
    return facts


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the peak is the load's own."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


if __name__ == "__main__":
    print(json.dumps(_child(Path(sys.argv[1]), sys.argv[2:])))
