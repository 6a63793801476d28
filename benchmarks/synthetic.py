"""Index versions of any size, written directly in the indexer's layout so the real Retriever loads them.

Too many chunks to embed in minutes, so: the dense side holds random unit vectors (float32, the
encoder's dimension); the lexical side and the SQLite rows hold real dekamer chunk texts, replicated
(copy r of a document gets its own path). Everything is written with qa.index.store, qa.index.dense.DenseIndex,
qa.index.lexical.LexicalIndex and published with qa.index.layout.publish, like `build_index` does.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.common import Context, log, stopwatch
from qa.index import store
from qa.index.dense import DenseIndex
from qa.index.embedding import indexed_text
from qa.index.layout import IndexLayout, publish
from qa.index.lexical import BM25_B, BM25_K1, LexicalIndex, Terms, word_counts
from qa.index.manifest import Manifest
from qa.index.store import DocumentRow, StoredChunk
from qa.ingest.chunking import chunk_document
from qa.ingest.corpus import discover, read_source
from qa.records import CaseInfo, Chunk

if TYPE_CHECKING:
    from qa.index.embedders import Embedder

EMPTY_TOKEN = "\u2205"  # what LexicalIndex.build gives a text without tokens
WRITE_BLOCK = 50_000


@dataclass
class Material:
    """The dekamer corpus chunked as the indexer chunks it, with each chunk's tokens."""

    cases: list[CaseInfo]
    documents: list[DocumentRow]
    chunks: list[Chunk]
    texts: list[str]  # indexed_text of each chunk
    tokens: list[list[str]]  # BM25's terms of each (LexicalIndex.build's)
    counts: dict[str, int]  # how often the texts use each word: where compounds split
    document_of_chunk: list[int]  # index into documents


@dataclass
class BuildTimes:
    sqlite: float = 0.0
    dense: float = 0.0
    lexical: float = 0.0
    publish: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return self.sqlite + self.dense + self.lexical + self.publish


def material(context: Context) -> Material:
    """The dekamer chunks, read once per run."""
    cached = context.cache.get("material")
    if isinstance(cached, Material):
        return cached
    settings = context.settings_for(context.dekamer_corpus, context.workdir / "unused")
    found = discover(settings)
    documents: list[DocumentRow] = []
    chunks: list[Chunk] = []
    texts: list[str] = []
    owner: list[int] = []
    for source in found.files:
        document, _warnings = read_source(source, settings)
        case_id = source.case.case_id if source.case else None
        documents.append(
            DocumentRow(
                source.display,
                source.sha256,
                source.size,
                case_id,
                source.kind,
                source.title,
                document.pages,
                store.INDEXED,
            )
        )
        for chunk in chunk_document(document, settings.chunk):
            chunks.append(chunk)
            texts.append(indexed_text(chunk, document.title, document.case))
            owner.append(len(documents) - 1)
    with stopwatch() as elapsed:
        counts = word_counts(texts)
        terms = Terms(counts)
        tokens = [terms(text) or [EMPTY_TOKEN] for text in texts]
    made = Material(found.cases, documents, chunks, texts, tokens, counts, owner)
    context.cache["material"] = made
    context.cache["tokenize_seconds_per_text"] = elapsed[0] / max(1, len(texts))
    log.info("dekamer material: %d documents, %d chunks", len(documents), len(chunks))
    return made


def random_unit_vectors(n: int, dimension: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = np.empty((n, dimension), dtype=np.float32)
    for start in range(0, n, WRITE_BLOCK):
        block = rng.standard_normal((min(WRITE_BLOCK, n - start), dimension), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        vectors[start : start + len(block)] = block
    return vectors


def replica_path(path: str, copy: int) -> str:
    if copy == 0:
        return path
    stem, dot, suffix = path.rpartition(".")
    return f"{stem}~{copy}{dot}{suffix}" if dot else f"{path}~{copy}"


def write_version(
    context: Context, root: Path, n: int, vectors: np.ndarray, embedder: Embedder, hnsw: bool
) -> tuple[Path, BuildTimes]:
    """Write an index version of n chunks under root (versions/<name>/ + CURRENT) and publish it."""
    source = material(context)
    m = len(source.chunks)
    layout = IndexLayout(root)
    name = f"synthetic-{n}-{'hnsw' if hnsw else 'exact'}"
    temp = layout.temp_dir(name)
    temp.mkdir(parents=True)
    times = BuildTimes()
    ids = np.arange(1, n + 1, dtype=np.int64)

    with stopwatch() as elapsed:
        _write_sqlite(context, temp / "meta.sqlite", source, n, embedder)
    times.sqlite = elapsed[0]

    with stopwatch() as elapsed:
        DenseIndex.build(vectors, ids, embedder.dimension, 0 if hnsw else n).save(temp / "dense.faiss")
    times.dense = elapsed[0]

    with stopwatch() as elapsed:
        _lexical(source, n, m, ids).save(temp / "lexical")
    times.lexical = elapsed[0]

    with stopwatch() as elapsed:
        publish(layout, temp, name)
    times.publish = elapsed[0]
    return layout.version_dir(name), times


def hnsw_twin(exact_version: Path, root: Path, vectors: np.ndarray, dimension: int) -> tuple[Path, float]:
    """The same version with an HNSW dense index: SQLite and lexical files hard-linked, not rewritten."""
    layout = IndexLayout(root)
    name = exact_version.name.replace("-exact", "-hnsw")
    temp = layout.temp_dir(name)
    temp.mkdir(parents=True)
    os.link(exact_version / "meta.sqlite", temp / "meta.sqlite")
    for file in (exact_version / "lexical").rglob("*"):
        target = temp / "lexical" / file.relative_to(exact_version / "lexical")
        if file.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(file, target)
    with stopwatch() as elapsed:
        ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
        DenseIndex.build(vectors, ids, dimension, 0).save(temp / "dense.faiss")
    publish(layout, temp, name)
    return layout.version_dir(name), elapsed[0]


def _write_sqlite(context: Context, path: Path, source: Material, n: int, embedder: Embedder) -> None:
    m = len(source.chunks)
    copies = -(-n // m)
    connection = store.create(path)
    with connection:
        store.write_manifest(
            connection,
            replace(
                Manifest.wanted(context.settings, embedder),
                next_id=n + 1,
                built_at=datetime.now(UTC).isoformat(),
                corpus=f"synthetic: dekamer chunks replicated to {n}, random unit vectors",
            ),
        )
        d = len(source.documents)
        used = sorted({source.document_of_chunk[i % m] + (i // m) * d for i in range(min(n, m * copies))})
        # Only cases that have chunks here, as in a real index: a question naming a case that is
        # not in the index must not be narrowed down to nothing.
        present = {source.documents[key % d].case_id for key in used}
        store.write_cases(connection, [case for case in source.cases if case.case_id in present])
        store.write_documents(
            connection,
            (
                replace(source.documents[key % d], path=replica_path(source.documents[key % d].path, key // d))
                for key in used
            ),
        )
        for start in range(0, n, WRITE_BLOCK):
            block = []
            for i in range(start, min(n, start + WRITE_BLOCK)):
                chunk = source.chunks[i % m]
                if i >= m:
                    chunk = replace(chunk, document=replica_path(chunk.document, i // m))
                block.append(StoredChunk(i + 1, chunk))
            store.write_chunks(connection, block)
    connection.close()


def _lexical(source: Material, n: int, m: int, ids: np.ndarray) -> LexicalIndex:
    """LexicalIndex of n replicated texts. Tokenizing every copy again would only repeat the same
    work (0.3 ms a text), so each distinct text is tokenized once and bm25s indexes the replicas."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B)  # as LexicalIndex.build
    retriever.index([source.tokens[i % m] for i in range(n)], show_progress=False)
    # every text's words counted as in the distinct texts: replicas scale all counts alike, and the split
    # of a compound depends on their ratios only
    return LexicalIndex(retriever, ids, source.counts)


def lexical_matches_indexer(context: Context) -> bool:
    """Whether `_lexical` scores like LexicalIndex.build on the same texts (all of them, once: the words
    counted over all decide where compounds split)."""
    source = material(context)
    n = len(source.texts)
    ids = np.arange(1, n + 1, dtype=np.int64)
    ours = _lexical(source, n, len(source.texts), ids)
    theirs = LexicalIndex.build(source.texts[:n], ids)
    queries = [source.texts[i][:120] for i in range(0, n, max(1, n // 5))]
    return all(np.allclose(ours.scores(q), theirs.scores(q)) for q in queries)
