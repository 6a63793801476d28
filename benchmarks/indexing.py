"""Indexing throughput: `build_index` end to end against the encoder alone on exactly the same texts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchmarks.common import (
    Context,
    CountingEmbedder,
    Section,
    copy_first_documents,
    corpus_texts,
    embed_like_indexer,
    log,
    stopwatch,
)
from qa.indexer import build_index

if TYPE_CHECKING:
    from qa.embedders import Embedder

#: Chunks to index per encoder, so that one pass takes about 80 s (raw and end to end: ~3 min).
CHUNK_BUDGET = {"e5-small": 130, "use-m3": 4000}
QUICK_CHUNK_BUDGET = {"e5-small": 10, "use-m3": 200}
SECONDS_PER_PASS = 80.0
QUICK_SECONDS_PER_PASS = 6.0
TARGET_OVERHEAD = 0.15


def run(context: Context) -> Section:
    embedder = context.embedder()
    batch_size = context.settings.indexing.batch_size
    budget = _chunk_budget(context, embedder)
    corpus = context.folder("indexing/corpus")
    documents, _ = copy_first_documents(context.settings, context.dekamer_corpus, corpus, budget)
    settings = context.settings_for(corpus, context.workdir / "indexing" / "index")
    texts = corpus_texts(settings)
    section = Section(
        "indexing",
        f"build_index end to end vs the encoder alone ({embedder.name}, the first {documents} dekamer documents, "
        f"{len(texts)} chunks, batches of {batch_size})",
    )

    # The encoder alone, in two halves around the build, so that a drift in the machine's load
    # between the two measurements affects both alike. The split falls on a batch boundary.
    half = (len(texts) // 2 // batch_size) * batch_size
    log.info("indexing: encoder alone on %d of %d chunks", half, len(texts))
    with stopwatch() as first_half:
        embed_like_indexer(embedder, texts[:half], batch_size)
    log.info("indexing: build_index on a fresh index (%d chunks)", len(texts))
    counter = CountingEmbedder(embedder, keep_texts=True)
    summary = build_index(settings, counter)
    log.info("indexing: encoder alone on the other %d chunks", len(texts) - half)
    with stopwatch() as second_half:
        embed_like_indexer(embedder, texts[half:], batch_size)

    raw = first_half[0] + second_half[0]
    end_to_end = summary.seconds
    chunks = summary.chunks
    overhead = end_to_end / raw - 1 if raw else float("nan")
    other = end_to_end - counter.seconds

    section.add("documents", documents, "docs", "dekamer documents indexed (the first ones in discovery order)")
    section.add("chunks", chunks, "chunks", "chunks in the index = texts embedded by both measurements")
    section.add(
        "same_texts", counter.texts == texts, "", "build_index embedded exactly the texts the raw measurement embedded"
    )
    section.add("raw.seconds", raw, "s", "embed_passages alone over all texts, in the indexer's batch slices")
    section.add("raw.chunks_per_s", chunks / raw if raw else None, "chunks/s", "encoder-alone throughput")
    section.add("end_to_end.seconds", end_to_end, "s", "build_index on a fresh index: discover, read, chunk, embed, "
                "SQLite, FAISS, BM25, publish (model already loaded)")
    section.add("end_to_end.chunks_per_s", chunks / end_to_end, "chunks/s", "end-to-end indexing throughput")
    section.add(
        "overhead_ratio",
        overhead,
        "ratio",
        "end_to_end seconds / raw seconds - 1: what indexing costs beyond embedding",
        target=f"<= {TARGET_OVERHEAD:.0%}",
        met=overhead <= TARGET_OVERHEAD,
    )
    section.add("in_build.embed_seconds", counter.seconds, "s", "seconds spent inside embed_passages during build_index")
    section.add("in_build.other_seconds", other, "s", "build_index seconds outside the encoder (the overhead itself)")
    section.add(
        "in_build.overhead_ratio",
        other / counter.seconds if counter.seconds else None,
        "ratio",
        "other_seconds / embed_seconds, both from the same build: the overhead without run-to-run encoder noise",
    )
    section.notes.append(
        "Model loading and its first call are excluded from both measurements. The raw pass runs in two halves, "
        "before and after the build, to share the machine's load drift; in_build.* splits the one build and is "
        "immune to that drift."
    )
    return section


def _chunk_budget(context: Context, embedder: Embedder) -> int:
    known = (QUICK_CHUNK_BUDGET if context.quick else CHUNK_BUDGET).get(context.encoder_spec)
    if known is not None:
        return known
    probe = ["passage: " + "Dit is een proefzin voor het meten van de snelheid van de encoder. " * 12] * 8
    with stopwatch() as elapsed:
        embedder.embed_passages(probe)
    per_chunk = elapsed[0] / len(probe)
    seconds = QUICK_SECONDS_PER_PASS if context.quick else SECONDS_PER_PASS
    return max(10, int(seconds / max(per_chunk, 1e-4)))
