"""Indexing throughput: `build_index` end to end against the encoder alone on exactly the same texts."""

from __future__ import annotations

from benchmarks.common import (
    Context,
    CountingEmbedder,
    Section,
    chunk_texts,
    copy_first_documents,
    embed_like_indexer,
    in_indexer_order,
    log,
    questions_in_order,
    stopwatch,
)
from qa.index.build import build_index

SECONDS_PER_PASS = 80.0  # raw and end to end: about 3 minutes with the calibration
QUICK_SECONDS_PER_PASS = 5.0
CALIBRATION_CHUNKS, QUICK_CALIBRATION_CHUNKS = 4, 2
TARGET_OVERHEAD = 0.15


def run(context: Context) -> Section:
    embedder = context.embedder()
    batch_size = context.settings.indexing.batch_size

    # How many chunks fit the time budget: the encoder on the first chunks' texts (with their sentences).
    source_settings = context.settings_for(context.dekamer_corpus, context.workdir / "unused")
    first = chunk_texts(source_settings)[: QUICK_CALIBRATION_CHUNKS if context.quick else CALIBRATION_CHUNKS]
    with stopwatch() as calibration:
        embed_like_indexer(embedder, in_indexer_order(first), batch_size)
        embed_like_indexer(embedder, questions_in_order(first), batch_size, as_query=True)
    per_chunk = calibration[0] / len(first)
    budget = max(2, int((QUICK_SECONDS_PER_PASS if context.quick else SECONDS_PER_PASS) / per_chunk))

    corpus = context.folder("indexing/corpus")
    documents, _ = copy_first_documents(context.settings, context.dekamer_corpus, corpus, budget)
    settings = context.settings_for(corpus, context.workdir / "indexing" / "index")
    per_chunk_texts = chunk_texts(settings)
    texts = in_indexer_order(per_chunk_texts)
    questions = questions_in_order(per_chunk_texts)
    sentences = len(texts) - len(per_chunk_texts)
    section = Section(
        "indexing",
        f"build_index end to end vs the encoder alone ({embedder.name}, the first {documents} dekamer documents: "
        f"{len(per_chunk_texts)} chunks + {sentences} sentence texts, and the sentences again as queries, "
        f"batches of {batch_size})",
    )

    # The encoder alone, in two halves around the build, so that a drift in the machine's load
    # between the two measurements affects both alike. The split falls on a batch boundary.
    half = (len(texts) // 2 // batch_size) * batch_size
    log.info("indexing: encoder alone on %d of %d texts", half, len(texts))
    with stopwatch() as first_half:
        embed_like_indexer(embedder, texts[:half], batch_size)
    log.info("indexing: build_index on a fresh index (%d chunks, %d texts)", len(per_chunk_texts), len(texts))
    counter = CountingEmbedder(embedder, keep_texts=True)
    guard = context.guard()
    guard_counter = CountingEmbedder(guard, keep_texts=True) if guard else None
    summary = build_index(settings, counter, guard=guard_counter)
    log.info("indexing: encoder alone on the other %d texts", len(texts) - half)
    with stopwatch() as second_half:
        embed_like_indexer(embedder, texts[half:], batch_size)
    with stopwatch() as as_queries:  # build_index embeds every sentence a second time, as a query
        embed_like_indexer(embedder, questions, batch_size, as_query=True)
    raw = first_half[0] + second_half[0] + as_queries[0]
    same = counter.texts == texts
    if not same:  # the indexer embeds something else than we rebuilt: measure what it really embedded
        log.warning("indexing: build_index embedded other texts than expected; timing those instead")
        section.notes.append(
            "build_index embedded other texts than chunking + indexed_text (+ sentences) predicts; the raw "
            "figure was measured again, after the build, on the texts build_index actually sent to the encoder."
        )
        recorded = counter.texts or []
        with stopwatch() as again:
            embed_like_indexer(embedder, recorded, batch_size)
        raw, texts = again[0] + as_queries[0], recorded

    raw_guard = 0.0
    if guard is not None and guard_counter is not None:
        # The topic guard embeds each chunk once more with its own (fast) encoder: that is encoder time too.
        log.info("indexing: guard encoder %s alone on %d texts", guard.name, len(guard_counter.texts or []))
        with stopwatch() as guard_alone:
            embed_like_indexer(guard, guard_counter.texts or [], batch_size)
        raw_guard = guard_alone[0]
        raw += raw_guard
    end_to_end = summary.seconds
    chunks = summary.chunks
    overhead = end_to_end / raw - 1 if raw else float("nan")
    in_encoders = counter.seconds + (guard_counter.seconds if guard_counter else 0.0)
    other = end_to_end - in_encoders

    section.add("documents", documents, "docs", "dekamer documents indexed (the first ones in discovery order)")
    section.add("chunks", chunks, "chunks", "chunks in the index")
    section.add("texts", len(texts), "texts", "texts embedded by both measurements (chunks, then their sentences)")
    section.add("same_texts", same, "", "build_index embedded exactly the texts the raw measurement embedded")
    section.add(
        "calibration.seconds_per_chunk",
        per_chunk,
        "s/chunk",
        f"encoder on the first {len(first)} chunks' texts, used to size the run",
    )
    section.add(
        "raw.seconds",
        raw,
        "s",
        "embed_passages alone over all texts, in the indexer's batch slices (both encoders when the guard is on)",
    )
    section.add("raw.guard_seconds", raw_guard, "s", "of which the guard encoder on the chunk texts")
    section.add("raw.chunks_per_s", chunks / raw if raw else None, "chunks/s", "encoder-alone throughput")
    section.add("raw.texts_per_s", len(texts) / raw if raw else None, "texts/s", "the same in texts")
    section.add(
        "end_to_end.seconds",
        end_to_end,
        "s",
        "build_index on a fresh index: discover, read, chunk, "
        "embed (via the embedding cache), SQLite, FAISS, BM25, publish; model already loaded",
    )
    section.add("end_to_end.chunks_per_s", chunks / end_to_end, "chunks/s", "end-to-end indexing throughput")
    section.add(
        "quick_version.seconds",
        summary.quick_seconds,
        "s",
        "until a quick version on the guard encoder answered (indexing.guard_as_main; part of end_to_end)",
    )
    section.add(
        "overhead_ratio",
        overhead,
        "ratio",
        "end_to_end seconds / raw seconds - 1: what indexing costs beyond embedding",
        target=f"<= {TARGET_OVERHEAD:.0%}",
        met=overhead <= TARGET_OVERHEAD,
    )
    section.add("in_build.embed_seconds", in_encoders, "s", "seconds inside embed_passages during build_index")
    section.add("in_build.other_seconds", other, "s", "build_index seconds outside the encoder (the overhead itself)")
    section.add(
        "in_build.encoder_vs_raw",
        in_encoders / raw - 1 if raw else None,
        "ratio",
        "how much longer the same encoder calls took inside build_index than alone (encoder speed, not overhead)",
    )
    section.add(
        "in_build.overhead_ratio",
        other / in_encoders if in_encoders else None,
        "ratio",
        "other_seconds / embed_seconds, both from the same build: the overhead without run-to-run encoder noise",
    )
    section.notes.append(
        "Model loading and its first call are excluded from both measurements. The raw pass runs in two halves, "
        "before and after the build, to share the machine's load drift; in_build.* splits the one build and is "
        "immune to that drift."
    )
    return section
