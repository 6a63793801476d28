"""Incremental indexing: adding one case of three documents to a large index, and a run with nothing
changed, against a full build of the same final corpus from scratch.

The base index is built by a zero-cost stand-in that poses as the encoder (same name, version and
dimension, so the manifest matches): it is setup, not a result. Every reported build then runs
with the real encoder. (a) With use-m3 (fast) the full build from scratch is real too. (b) With a
slow encoder such as e5-small it is an estimate: its measured non-encoder cost plus the chunk count
times the encoder's measured seconds per chunk (chunk and sentence texts) on a sample.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import (
    Context,
    CountingEmbedder,
    Section,
    ZeroCostEmbedder,
    chunk_texts,
    embed_like_indexer,
    in_indexer_order,
    log,
    questions_in_order,
    stopwatch,
)
from qa.index.build import build_index
from qa.index.plan import IndexSummary
from qa.ingest.chunking import chunk_document
from qa.ingest.corpus import discover, read_source
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.index.embedders import Embedder

FAST_ENCODER = "use-m3"
ADDED_CASE = "digitaal-platform-zandwijck"  # three documents: a PDF, a DOCX and a Markdown interview
MIN_CHUNKS = 10_000
QUICK_DOCUMENTS = 25
SAMPLE_CHUNKS, QUICK_SAMPLE_CHUNKS = 50, 4
TARGET_SPEEDUP = 50.0
TARGET_NO_CHANGE_SECONDS = 2.0


@dataclass
class Build:
    summary: IndexSummary
    calls: CountingEmbedder
    guard_calls: CountingEmbedder | None = None  # the topic guard's encoder, when it is on

    @property
    def encoder_calls(self) -> int:
        guard = self.guard_calls.passage_calls + self.guard_calls.query_calls if self.guard_calls else 0
        return self.calls.passage_calls + self.calls.query_calls + guard

    @property
    def encoder_seconds(self) -> float:
        return self.calls.seconds + (self.guard_calls.seconds if self.guard_calls else 0.0)


@dataclass
class Outcome:
    base: IndexSummary
    added: Build
    unchanged: Build
    warm_rebuild: Build
    full_seconds: float
    full_chunks: int
    full_other_seconds: float  # seconds outside the encoder in the full build
    full_is_estimate: bool
    seconds_per_chunk: float | None = None  # encoder alone on a sample (estimate only)
    sample: int = 0


def run(context: Context) -> Section:
    corpus = context.folder("incremental/corpus")
    copies, documents, add_case, case_label = _corpus(context, corpus)
    section = Section(
        "incremental",
        f"incremental build_index: add one case of 3 documents to an index of {documents} documents "
        f"(dekamer x{copies}), then change nothing; against a full build from scratch",
    )
    scenarios = [(FAST_ENCODER, False)]
    if context.encoder_spec != FAST_ENCODER:
        scenarios.append((context.encoder_spec, True))
    for spec, estimate in scenarios:
        outcome = _scenario(context, spec, corpus, context.folder(f"incremental/{spec}"), estimate, add_case)
        _report(section, spec, outcome, context.settings.indexing.batch_size)
    section.notes.append(
        f"The corpus is the dekamer set copied {copies}x into renamed case folders (case title and each document's "
        f"heading marked with the copy number, so every text is unique). The added case: {case_label}. Each "
        "scenario has its own index; its base is built by a zero-cost stand-in encoder (setup, not timed as a "
        "result); the added, unchanged and warm-rebuild builds and the real full build use the real encoder."
    )
    return section


def _corpus(context: Context, target: Path) -> tuple[int, int, Callable[[Path], None], str]:
    """The dekamer corpus copied until it holds at least MIN_CHUNKS chunks (quick: a small part, once),
    and how to add the case: the sample study's ADDED_CASE (quick: three short dekamer answers)."""
    source = context.settings_for(context.dekamer_corpus, context.workdir / "unused")
    files = discover(source).files
    if context.quick:
        extra = sorted(files[QUICK_DOCUMENTS:], key=lambda f: f.size)[:3]
        files, copies = files[:QUICK_DOCUMENTS], 1

        def add_case(corpus: Path) -> None:
            folder = corpus / "cases" / "toegevoegd"
            folder.mkdir(parents=True)
            (folder / "case.toml").write_text('title = "Toegevoegd"\nmunicipality = "Belgische Kamer"\n', "utf-8")
            for file in extra:
                shutil.copyfile(file.path, folder / file.path.name)

        label = "the 3 shortest other dekamer answers in a new case folder (quick mode)"
    else:
        per_copy = sum(len(chunk_document(read_source(f, source)[0], source.chunk)) for f in files)
        copies = math.ceil(MIN_CHUNKS / per_copy)

        def add_case(corpus: Path) -> None:
            shutil.copytree(context.sample_corpus / "cases" / ADDED_CASE, corpus / "cases" / ADDED_CASE)

        label = f"corpus/cases/{ADDED_CASE} of the sample study (PDF, DOCX, Markdown)"
    for copy in range(copies):
        for file in files:
            case_dir = file.path.parent
            folder = target / "cases" / (case_dir.name if copy == 0 else f"{case_dir.name}-kopie-{copy}")
            folder.mkdir(parents=True, exist_ok=True)
            case_toml = folder / "case.toml"
            if not case_toml.exists() and (case_dir / "case.toml").is_file():
                text = (case_dir / "case.toml").read_text(encoding="utf-8")
                case_toml.write_text(_retitled(text, copy) if copy else text, encoding="utf-8")
            text = file.path.read_text(encoding="utf-8")
            (folder / file.path.name).write_text(_marked(text, copy) if copy else text, encoding="utf-8")
    return copies, len(files) * copies, add_case, label


def _retitled(case_toml: str, copy: int) -> str:
    lines = case_toml.splitlines()
    marked = [
        f'{line[:-1]} (kopie {copy})"' if line.startswith("title =") and line.endswith('"') else line for line in lines
    ]
    return "\n".join(marked) + "\n"


def _marked(markdown: str, copy: int) -> str:
    """The document with its first heading marked (a separate first line would be a chunk of its own)."""
    first, _, rest = markdown.partition("\n")
    if first.startswith("#"):
        return f"{first} (kopie {copy})\n{rest}"
    return f"Kopie {copy}. {markdown}"


def _build(settings: Settings, embedder: Embedder, guard: Embedder | None, rebuild: bool = False) -> Build:
    calls = CountingEmbedder(embedder)
    guard_calls = CountingEmbedder(guard) if guard else None
    return Build(build_index(settings, calls, rebuild=rebuild, guard=guard_calls), calls, guard_calls)


def _scenario(
    context: Context, spec: str, corpus: Path, folder: Path, estimate: bool, add_case: Callable[[Path], None]
) -> Outcome:
    embedder = context.embedder(spec)
    guard = context.guard()
    zero_guard = ZeroCostEmbedder(guard) if guard else None
    settings = context.settings_for(corpus, folder / "index")
    for case in ("toegevoegd", ADDED_CASE):
        shutil.rmtree(corpus / "cases" / case, ignore_errors=True)

    log.info("incremental [%s]: base index (zero-cost stand-in encoder)", spec)
    base = build_index(settings, ZeroCostEmbedder(embedder), guard=zero_guard)
    add_case(corpus)
    log.info("incremental [%s]: build after adding the case", spec)
    added = _build(settings, embedder, guard)
    log.info("incremental [%s]: build with nothing changed", spec)
    unchanged = _build(settings, embedder, guard)
    log.info("incremental [%s]: --rebuild with the embedding cache warm", spec)
    warm = _build(settings, embedder, guard, rebuild=True)

    fresh = context.settings_for(corpus, folder / "from-scratch")
    if not estimate:
        log.info("incremental [%s]: full build from scratch (real encoder)", spec)
        full = _build(fresh, embedder, guard)
        return Outcome(
            base,
            added,
            unchanged,
            warm,
            full.summary.seconds,
            full.summary.chunks,
            full.summary.seconds - full.encoder_seconds,
            False,
        )
    log.info("incremental [%s]: full build from scratch with the zero-cost stand-in (non-encoder cost)", spec)
    overhead = build_index(fresh, ZeroCostEmbedder(embedder), guard=zero_guard)
    seconds_per_chunk, sample = _seconds_per_chunk(context, embedder, guard, fresh)
    return Outcome(
        base,
        added,
        unchanged,
        warm,
        overhead.seconds + overhead.chunks * seconds_per_chunk,
        overhead.chunks,
        overhead.seconds,
        True,
        seconds_per_chunk,
        sample,
    )


def _seconds_per_chunk(
    context: Context, embedder: Embedder, guard: Embedder | None, settings: Settings
) -> tuple[float, int]:
    """The encoders' seconds per chunk (its text and its sentences', plus the guard encoder on the chunk)
    on chunks spread over the corpus."""
    per_chunk = chunk_texts(settings)
    wanted = QUICK_SAMPLE_CHUNKS if context.quick else SAMPLE_CHUNKS
    sample = per_chunk[:: max(1, len(per_chunk) // wanted)][:wanted]
    texts = in_indexer_order(sample)
    questions = questions_in_order(sample)
    log.info("incremental: encoder %s alone on %d chunks (%d texts)", embedder.name, len(sample), len(texts))
    with stopwatch() as elapsed:
        embed_like_indexer(embedder, texts, context.settings.indexing.batch_size)
        embed_like_indexer(embedder, questions, context.settings.indexing.batch_size, as_query=True)
        if guard is not None:
            embed_like_indexer(guard, [c.passages[0] for c in sample], context.settings.indexing.batch_size)
    return elapsed[0] / len(sample), len(sample)


def _report(section: Section, spec: str, outcome: Outcome, batch_size: int) -> None:
    p = f"{spec}."
    added, unchanged, warm = outcome.added, outcome.unchanged, outcome.warm_rebuild
    speedup = outcome.full_seconds / added.summary.seconds
    est = " (ESTIMATE: measured non-encoder cost + chunks x measured seconds per chunk)"
    est = est if outcome.full_is_estimate else " (measured)"
    section.add(p + "base.chunks", outcome.base.chunks, "chunks", "chunks in the index before the case is added")
    section.add(p + "added.seconds", added.summary.seconds, "s", "build_index after adding the case")
    section.add(p + "added.chunks", added.summary.chunks - outcome.base.chunks, "chunks", "chunks the case added")
    section.add(
        p + "added.embedded_texts",
        added.summary.embedded_chunks,
        "texts",
        "texts that build embedded (the new chunks and their sentences)",
    )
    section.add(p + "added.encoder_seconds", added.encoder_seconds, "s", "of which inside the encoders")
    section.add(p + "full.chunks", outcome.full_chunks, "chunks", "chunks in the final corpus")
    section.add(
        p + "full.seconds",
        outcome.full_seconds,
        "s",
        "build of the final corpus from scratch" + est,
        estimate=outcome.full_is_estimate,
    )
    section.add(p + "full.other_seconds", outcome.full_other_seconds, "s", "of which outside the encoder (measured)")
    if outcome.seconds_per_chunk is not None:
        section.add(
            p + "encoder.seconds_per_chunk",
            outcome.seconds_per_chunk,
            "s/chunk",
            f"embed_passages alone on {outcome.sample} chunks spread over the final corpus, with their "
            f"sentences (batches of {batch_size})",
        )
    section.add(
        p + "speedup",
        speedup,
        "x",
        "full build seconds / incremental build seconds" + est,
        target=f">= {TARGET_SPEEDUP:g}x",
        met=speedup >= TARGET_SPEEDUP,
        estimate=outcome.full_is_estimate,
    )
    section.add(
        p + "unchanged.seconds",
        unchanged.summary.seconds,
        "s",
        "build_index with nothing changed",
        target=f"< {TARGET_NO_CHANGE_SECONDS:g} s",
        met=unchanged.summary.seconds < TARGET_NO_CHANGE_SECONDS,
    )
    section.add(
        p + "unchanged.encoder_calls",
        unchanged.encoder_calls,
        "calls",
        "encoder calls during the no-change build (counting wrapper)",
        target="0",
        met=unchanged.encoder_calls == 0,
    )
    section.add(
        p + "warm_rebuild.seconds",
        warm.summary.seconds,
        "s",
        "build_index(rebuild=True) on the same index: every document re-read, vectors from the cache",
    )
    section.add(p + "warm_rebuild.encoder_calls", warm.encoder_calls, "calls", "encoder calls during that rebuild")
