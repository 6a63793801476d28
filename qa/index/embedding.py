"""What an update embeds for its new chunks, and the embedding itself: each chunk's text (with where
it comes from), its quotable sentences in two forms, and its guard-encoder vector, through the
embedding cache, so that unchanged text is never embedded twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.index.embedcache import EmbeddingCache, text_key
from qa.index.store import SentenceRow, StoredChunk
from qa.ingest.chunking import quotable_spans
from qa.records import CaseInfo, Chunk, Document
from qa.settings import IndexSettings

if TYPE_CHECKING:
    from qa.index.embedders import Embedder

#: progress(stage, done, total)
Progress = Callable[[str, int, int], None]


def source_label(title: str, case: CaseInfo | None) -> str:
    """Where a text comes from, as a short prefix: the case (and municipality) or the document."""
    if case is None:
        return title
    return f"{case.title} ({case.municipality})" if case.municipality else case.title


def indexed_text(chunk: Chunk, title: str, case: CaseInfo | None) -> str:
    """The text that is embedded and BM25-indexed: the passage with where it comes from."""
    where = source_label(title, case)
    section = f" — {chunk.section}" if chunk.section and chunk.section not in chunk.text[:200] else ""
    return f"{where} — {title}{section}\n{chunk.text}"


@dataclass(frozen=True)
class SentenceText:
    """A quotable sentence of a chunk and the two texts embedded for it."""

    start: int  # offsets into the chunk text
    end: int
    page: int | None
    as_passage: str  # with where it comes from, embedded as the chunks are
    as_question: str  # the sentence alone, embedded as a query: compared with a question, form for form


def sentence_texts(chunk: Chunk, document: Document) -> list[SentenceText]:
    """The chunk's quotable sentences: offsets into the chunk text, page, and the texts embedded for it."""
    where = source_label(document.title, document.case)
    return [
        SentenceText(a, b, document.page_at(chunk.start + a), f"{where} — {chunk.text[a:b]}", chunk.text[a:b])
        for a, b in quotable_spans(chunk.text)
    ]


@dataclass(frozen=True)
class FreshChunk:
    """A chunk of a new or changed document, with the texts embedded for it."""

    chunk: Chunk
    text: str  # `indexed_text`
    sentences: tuple[SentenceText, ...]


@dataclass(frozen=True)
class Embedded:
    """The new chunks with their ids, and their vectors: main encoder, sentences, guard encoder."""

    chunks: list[StoredChunk]
    vectors: np.ndarray
    sentences: list[SentenceRow]
    guard: list[tuple[int, bytes]]
    count: int  # texts sent to the main encoder (cache misses)


@dataclass(frozen=True)
class Encoders:
    """The encoders of an update, their settings and where their vectors are cached."""

    embedder: Embedder
    guard: Embedder | None  # loaded when needed unless given
    settings: IndexSettings
    cache_file: Path
    progress: Progress | None = None


def embed_fresh(encoders: Encoders, fresh: list[FreshChunk], first_id: int, carried: int) -> Embedded:
    """Give the new chunks ids from `first_id` and embed them and their sentences (as passages and as
    queries), and with the guard encoder. `carried`: vectors the cache keeps for the chunks and
    sentences carried over (a sentence has two)."""
    chunks = [StoredChunk(first_id + i, f.chunk) for i, f in enumerate(fresh)]
    owner = [i for i, f in enumerate(fresh) for _ in f.sentences]
    flat = [sentence for f in fresh for sentence in f.sentences]
    embedder, batch_size, progress = encoders.embedder, encoders.settings.batch_size, encoders.progress
    encoders.cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(encoders.cache_file, embedder.name, embedder.version, embedder.dimension)
    try:
        texts = [f.text for f in fresh] + [s.as_passage for s in flat]
        embedded, count = embed_texts(texts, embedder, batch_size, progress, cache)
        query_cache = EmbeddingCache(
            encoders.cache_file, f"{embedder.name}/query", embedder.version, embedder.dimension
        )
        try:
            questions = [s.as_question for s in flat]
            as_questions, asked = embed_texts(questions, embedder, batch_size, progress, query_cache, as_query=True)
        finally:
            query_cache.close()
        cache.prune(keep_at_least=carried + len(fresh) + 2 * len(flat))
    finally:
        cache.close()
    sentence_rows = [
        SentenceRow(
            chunks[o].id,
            s.start,
            s.end,
            s.page,
            embedded[len(fresh) + i].astype(np.float32).tobytes(),
            as_questions[i].astype(np.float32).tobytes(),
        )
        for i, (o, s) in enumerate(zip(owner, flat, strict=True))
    ]
    guard = embed_guard(encoders, fresh, chunks)
    return Embedded(chunks, embedded[: len(fresh)], sentence_rows, guard, count + asked)


def sentences_cached(encoders: Encoders, fresh: list[FreshChunk]) -> bool:
    """Whether the cache holds every sentence of the new chunks in both forms: then the complete version
    follows at once, and a first version from the passages alone would only delay it."""
    flat = [s for f in fresh for s in f.sentences]
    if not flat:
        return True
    if not encoders.cache_file.exists():
        return False
    embedder = encoders.embedder
    for name, texts in (
        (embedder.name, [s.as_passage for s in flat]),
        (f"{embedder.name}/query", [s.as_question for s in flat]),
    ):
        cache = EmbeddingCache(encoders.cache_file, name, embedder.version, embedder.dimension)
        try:
            keys = sorted({text_key(text) for text in texts})
            if len(cache.get(keys)) < len(keys):
                return False
        finally:
            cache.close()
    return True


def embed_passages(encoders: Encoders, fresh: list[FreshChunk], first_id: int) -> Embedded:
    """The first half of `embed_fresh`: the new chunks with the same ids and their passage vectors
    and guard vectors, through the same cache (so `embed_fresh` after it embeds none of them again).
    Their sentences come with offsets and pages but without vectors (empty)."""
    chunks = [StoredChunk(first_id + i, f.chunk) for i, f in enumerate(fresh)]
    embedder = encoders.embedder
    encoders.cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(encoders.cache_file, embedder.name, embedder.version, embedder.dimension)
    try:
        vectors, count = embed_texts(
            [f.text for f in fresh], embedder, encoders.settings.batch_size, encoders.progress, cache
        )
    finally:
        cache.close()
    sentence_rows = [
        SentenceRow(chunk.id, s.start, s.end, s.page, b"", b"")
        for chunk, f in zip(chunks, fresh, strict=True)
        for s in f.sentences
    ]
    return Embedded(chunks, vectors, sentence_rows, embed_guard(encoders, fresh, chunks), count)


def embed_guard(encoders: Encoders, fresh: list[FreshChunk], chunks: list[StoredChunk]) -> list[tuple[int, bytes]]:
    """The new chunks' vectors from the guard encoder (loaded here unless given), none without one."""
    settings = encoders.settings
    if not settings.guard_encoder or not fresh:
        return []
    guard = encoders.guard
    if guard is None:
        from qa.index.embedders import load_embedder

        guard = load_embedder(settings.guard_encoder, settings.batch_size)
    guard_cache = EmbeddingCache(encoders.cache_file, guard.name, guard.version, guard.dimension)
    try:
        guarded, _count = embed_texts([f.chunk.text for f in fresh], guard, settings.batch_size, None, guard_cache)
    finally:
        guard_cache.close()
    return [(c.id, v.astype(np.float32).tobytes()) for c, v in zip(chunks, guarded, strict=True)]


def embed_texts(
    texts: list[str],
    embedder: Embedder,
    batch_size: int,
    progress: Progress | None,
    cache: EmbeddingCache,
    as_query: bool = False,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts` (as passages, or as queries), from the cache where possible; returns them and the
    number embedded."""
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    keys = [text_key(text) for text in texts]
    cached = cache.get(sorted(set(keys)))
    missing = [i for i, key in enumerate(keys) if key not in cached]
    for i, key in enumerate(keys):
        if key in cached:
            vectors[i] = cached[key]
    embed = embedder.embed_queries if as_query else embedder.embed_passages
    if progress and missing:  # the total before the first (slow) batch
        progress("embed", 0, len(missing))
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        embedded = embed([texts[i] for i in batch])
        vectors[batch] = embedded
        cache.put([keys[i] for i in batch], embedded)  # committed per batch: a killed run keeps its work
        if progress:
            progress("embed", min(start + batch_size, len(missing)), len(missing))
    return vectors, len(missing)


def as_stage(progress: Progress | None, stage: str | None, renamed: str) -> Progress | None:
    """`progress` with one stage (None: every stage) reported under another name."""
    if progress is None:
        return None
    report = progress

    def renaming(reported: str, done: int, total: int) -> None:
        report(renamed if stage is None or reported == stage else reported, done, total)

    return renaming
