"""Incremental indexing: adding one case to a large index, and a run with nothing changed, against a
full rebuild of the same corpus.

(a) With use-m3 (fast), every build is real. (b) With a slow encoder such as e5-small the base
index is built by a zero-cost stand-in that poses as the encoder (so the manifest matches), the
incremental and no-change builds are real, and the full rebuild is an estimate: its measured
non-encoder cost plus the chunk count times the encoder's measured seconds per chunk.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import (
    Context,
    CountingEmbedder,
    Section,
    ZeroCostEmbedder,
    corpus_texts,
    embed_like_indexer,
    log,
    stopwatch,
)
from qa.chunking import chunk_document
from qa.corpus import discover, read_source
from qa.indexer import IndexSummary, build_index
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.embedders import Embedder

FAST_ENCODER = "use-m3"
ADDED_CASE = "digitaal-platform-zandwijck"  # three documents: a PDF, a DOCX and a Markdown interview
MIN_CHUNKS = 10_000
QUICK_DOCUMENTS = 100
SAMPLE_CHUNKS = 50
QUICK_SAMPLE_CHUNKS = 8
TARGET_SPEEDUP = 50.0
TARGET_NO_CHANGE_SECONDS = 2.0


@dataclass
class Outcome:
    base: IndexSummary
    added: IndexSummary
    added_calls: CountingEmbedder
    unchanged: IndexSummary
    unchanged_calls: CountingEmbedder
    full_seconds: float
    full_chunks: int
    full_is_estimate: bool
    full_other_seconds: float  # build_index seconds outside the encoder in the full rebuild
    seconds_per_chunk: float | None = None  # the encoder alone, on a sample (estimate only)
    sample: int = 0


def run(context: Context) -> Section:
    corpus = context.folder("incremental/corpus")
    copies, documents = _replicated_corpus(context, corpus)
    section = Section(
        "incremental",
        f"incremental build_index: add one case of 3 documents to an index of the dekamer corpus x{copies} "
        f"({documents} documents), then change nothing; against a full rebuild",
    )
    scenarios = [(FAST_ENCODER, False)]
    if context.encoder_spec != FAST_ENCODER:
        scenarios.append((context.encoder_spec, True))
    for spec, estimate in scenarios:
        outcome = _scenario(context, spec, corpus, context.workdir / "incremental" / f"index-{spec}", estimate)
        _report(section, spec, outcome, context.settings.indexing.batch_size)
    section.notes.append(
        f"The corpus is the dekamer set copied {copies}x into renamed case folders (case title and each "
        "document's heading marked with the copy number, so every text is unique); the added case is "
        f"corpus/cases/{ADDED_CASE} of the sample study. Each scenario has its own fresh index."
    )
    return section


def _replicated_corpus(context: Context, target: Path) -> tuple[int, int]:
    """The dekamer corpus copied until it holds at least MIN_CHUNKS chunks (quick: a small part, once)."""
    source = context.settings_for(context.dekamer_corpus, context.workdir / "unused")
    files = discover(source).files
    if context.quick:
        files, copies = files[:QUICK_DOCUMENTS], 1
    else:
        per_copy = sum(len(chunk_document(read_source(f, source)[0], source.chunk)) for f in files)
        copies = math.ceil(MIN_CHUNKS / per_copy)
    for copy in range(copies):
        for file in files:
            case_dir = file.path.parent
            folder = target / "cases" / (case_dir.name if copy == 0 else f"{case_dir.name}-kopie-{copy}")
            folder.mkdir(parents=True, exist_ok=True)
            case_toml = folder / "case.toml"
            if not case_toml.exists() and (case_dir / "case.toml").is_file():
                text = (case_dir / "case.toml").read_text(encoding="utf-8")
                if copy:
                    text = _retitled(text, copy)
                case_toml.write_text(text, encoding="utf-8")
            text = file.path.read_text(encoding="utf-8")
            if copy:
                text = _marked(text, copy)
            (folder / file.path.name).write_text(text, encoding="utf-8")
    return copies, len(files) * copies


def _retitled(case_toml: str, copy: int) -> str:
    lines = case_toml.splitlines()
    return "\n".join(
        line[:-1] + f' (kopie {copy})"' if line.startswith("title =") and line.endswith('"') else line for line in lines
    ) + "\n"


def _marked(markdown: str, copy: int) -> str:
    """The document with its first heading marked (a separate first line would be a chunk of its own)."""
    first, _, rest = markdown.partition("\n")
    if first.startswith("#"):
        return f"{first} (kopie {copy})\n{rest}"
    return f"Kopie {copy}. {markdown}"


def _scenario(context: Context, spec: str, corpus: Path, index: Path, estimate: bool) -> Outcome:
    embedder = context.embedder(spec)
    settings = context.settings_for(corpus, index)
    added_case = corpus / "cases" / ADDED_CASE
    shutil.rmtree(added_case, ignore_errors=True)

    log.info("incremental [%s]: base build%s", spec, " (zero-cost stand-in encoder)" if estimate else "")
    base = build_index(settings, ZeroCostEmbedder(embedder) if estimate else embedder)

    shutil.copytree(context.sample_corpus / "cases" / ADDED_CASE, added_case)
    added_calls = CountingEmbedder(embedder)
    log.info("incremental [%s]: build after adding %s", spec, ADDED_CASE)
    added = build_index(settings, added_calls)

    unchanged_calls = CountingEmbedder(embedder)
    log.info("incremental [%s]: build with nothing changed", spec)
    unchanged = build_index(settings, unchanged_calls)

    if not estimate:
        log.info("incremental [%s]: full rebuild", spec)
        full_calls = CountingEmbedder(embedder)
        full = build_index(settings, full_calls, rebuild=True)
        return Outcome(
            base, added, added_calls, unchanged, unchanged_calls, full.seconds, full.chunks, False,
            full.seconds - full_calls.seconds,
        )

    log.info("incremental [%s]: full rebuild with the zero-cost stand-in (non-encoder cost)", spec)
    full = build_index(settings, ZeroCostEmbedder(embedder), rebuild=True)
    seconds_per_chunk, sample = _seconds_per_chunk(context, embedder, settings)
    return Outcome(
        base, added, added_calls, unchanged, unchanged_calls,
        full.seconds + full.chunks * seconds_per_chunk, full.chunks, True, full.seconds, seconds_per_chunk, sample,
    )


def _seconds_per_chunk(context: Context, embedder: Embedder, settings: Settings) -> tuple[float, int]:
    """The encoder's seconds per chunk on texts spread evenly over the final corpus."""
    texts = corpus_texts(settings)
    wanted = QUICK_SAMPLE_CHUNKS if context.quick else SAMPLE_CHUNKS
    step = max(1, len(texts) // wanted)
    sample = texts[::step][:wanted]
    log.info("incremental: encoder %s alone on a sample of %d chunks", embedder.name, len(sample))
    with stopwatch() as elapsed:
        embed_like_indexer(embedder, sample, context.settings.indexing.batch_size)
    return elapsed[0] / len(sample), len(sample)


def _report(section: Section, spec: str, outcome: Outcome, batch_size: int) -> None:
    p = f"{spec}."
    added, unchanged = outcome.added, outcome.unchanged
    speedup = outcome.full_seconds / added.seconds
    est = " (ESTIMATE: measured non-encoder cost + chunks x measured seconds per chunk)" if outcome.full_is_estimate else ""
    section.add(p + "base.chunks", outcome.base.chunks, "chunks", "chunks in the index before the case is added")
    if outcome.full_is_estimate:
        section.add(p + "base.seconds", outcome.base.seconds, "s",
                    "base build with the zero-cost stand-in encoder (setup only, not a real build time)")
    else:
        section.add(p + "base.seconds", outcome.base.seconds, "s", "base build, every chunk embedded (real)")
    section.add(p + "added.seconds", added.seconds, "s", "build_index after adding the case (real encoder)")
    section.add(p + "added.embedded_chunks", added.embedded_chunks, "chunks",
                f"chunks embedded by that build ({added.added} documents added)")
    section.add(p + "added.encoder_seconds", outcome.added_calls.seconds, "s", "of which inside the encoder")
    section.add(p + "full.chunks", outcome.full_chunks, "chunks", "chunks in the final corpus")
    section.add(p + "full.seconds", outcome.full_seconds, "s", "full rebuild of the final corpus" + est,
                estimate=outcome.full_is_estimate)
    section.add(p + "full.other_seconds", outcome.full_other_seconds, "s",
                "full rebuild seconds outside the encoder (measured)")
    if outcome.seconds_per_chunk is not None:
        section.add(p + "encoder.seconds_per_chunk", outcome.seconds_per_chunk, "s/chunk",
                    f"embed_passages alone on {outcome.sample} chunks sampled evenly from the final corpus "
                    f"(batches of {batch_size})")
    section.add(p + "speedup", speedup, "x", "full rebuild seconds / incremental build seconds" + est,
                target=f">= {TARGET_SPEEDUP:g}x", met=speedup >= TARGET_SPEEDUP, estimate=outcome.full_is_estimate)
    section.add(p + "unchanged.seconds", unchanged.seconds, "s", "build_index with nothing changed",
                target=f"< {TARGET_NO_CHANGE_SECONDS:g} s", met=unchanged.seconds < TARGET_NO_CHANGE_SECONDS)
    calls = outcome.unchanged_calls.passage_calls + outcome.unchanged_calls.query_calls
    section.add(p + "unchanged.encoder_calls", calls, "calls",
                "encoder calls during the no-change build (counting wrapper)", target="0", met=calls == 0)
