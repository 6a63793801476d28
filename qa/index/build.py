"""`qa index`: incremental, crash-safe building of index versions.

Only new and changed documents are read, chunked and embedded; unchanged documents carry their
chunks and vectors over from the current version untouched. A new version is written beside the
current one and switched in atomically, so a reader never sees a half-built index and a killed
run leaves the previous version complete.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from qa.errors import SettingsError, UnreadableDocumentError
from qa.index import store
from qa.index.dense import DenseIndex
from qa.index.embedders import Rescaled, load_embedder
from qa.index.embedding import (
    Embedded,
    Encoders,
    FreshChunk,
    Progress,
    as_stage,
    embed_fresh,
    embed_passages,
    indexed_text,
    sentence_texts,
    sentences_cached,
)
from qa.index.layout import IndexLayout, WriterLock, index_write_error, publish, recover
from qa.index.lexical import LexicalIndex
from qa.index.manifest import Manifest
from qa.index.plan import IndexSummary, UpdatePlan, document_row, is_served, plan_update, stale_row
from qa.index.store import DocumentRow, IndexReader, SentenceRow, StoredChunk
from qa.ingest.chunking import chunk_document
from qa.ingest.corpus import SourceFile, discover, read_source
from qa.ingest.readworker import ReadingWorker
from qa.records import CaseInfo, Chunk, Skipped
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.index.embedders import Embedder

log = logging.getLogger(__name__)


@dataclass
class _Previous:
    """The version an update builds on."""

    manifest: Manifest
    documents: dict[str, DocumentRow]
    dense: DenseIndex | None
    reader: IndexReader
    current: bool = True  # False: the current version is broken and this is the intact one before it


def _load_previous(layout: IndexLayout) -> _Previous | None:
    """The version to build on: the one readers are served (never a broken one)."""
    serving = layout.serving()
    if serving.folder is None:
        return None
    reader = IndexReader(serving.folder / "meta.sqlite")
    return _Previous(
        manifest=reader.manifest(),
        documents={row.path: row for row in reader.documents()},
        dense=DenseIndex.load(serving.folder / "dense.faiss"),
        reader=reader,
        current=serving.broken is None,
    )


def build_index(
    settings: Settings,
    embedder: Embedder,
    rebuild: bool = False,
    progress: Progress | None = None,
    guard: Embedder | None = None,
) -> IndexSummary:
    """Bring the index up to date with the corpus; returns what changed. The guard encoder
    (`indexing.guard_encoder`) is loaded when needed unless given."""
    layout = IndexLayout(settings.index)
    summary = IndexSummary()
    try:
        with WriterLock(layout):
            for leftover in recover(layout):
                log.info("removed leftover %s", leftover)
            wanted = Manifest.wanted(settings, embedder)
            previous = _load_previous(layout)
            try:
                # a quick version only when the main encoder's version cannot be served (nor built upon)
                servable = previous is not None and not previous.manifest.differences(wanted)
                quick = None if servable else _quick_build(settings, guard, layout, progress)
                quick_served = (
                    previous is not None and quick is not None and not previous.manifest.differences(quick.manifest)
                )
                if previous is not None and quick_served:
                    # not a rebuild: the main encoder's version was never finished, and is built whole
                    previous.reader.close()
                    previous = None
                elif previous is not None and (rebuild or previous.manifest.differences(wanted)):
                    summary.rebuilt = True
                    summary.reason = "; ".join(previous.manifest.differences(wanted)) or "--rebuild"
                    previous.reader.close()
                    previous = None
                if previous is None and quick is not None and not quick_served:
                    _update_quick(quick, summary)
                _update(_Build(settings, embedder, guard, layout, wanted, progress), previous, summary)
                if summary.quick_version is not None:  # superseded, as a first version is
                    shutil.rmtree(layout.version_dir(summary.quick_version), ignore_errors=True)
            finally:
                if previous is not None:
                    previous.reader.close()
    except (OSError, sqlite3.OperationalError) as exc:
        mapped = index_write_error(layout, exc)
        if mapped is exc:
            raise
        raise mapped from exc
    summary.seconds = time.perf_counter() - summary.started
    return summary


def build_quick_version(
    settings: Settings, guard: Embedder | None = None, progress: Progress | None = None
) -> IndexSummary:
    """A quick version of the whole corpus alone (`indexing.guard_as_main`), switched in: what is served
    while the main encoder's version is built, made on its own to measure it. Refused when the settings
    make no quick version (no guard encoder, no cosine map for the two encoders)."""
    layout = IndexLayout(settings.index)
    summary = IndexSummary()
    with WriterLock(layout):
        quick = _quick_build(settings, guard, layout, progress)
        if quick is None:
            raise SettingsError(
                f"no quick version for the encoders {settings.indexing.encoder!r} and "
                f"{settings.indexing.guard_encoder!r}: indexing.guard_as_main has no cosine map for them"
            )
        _update(quick, None, summary)
    summary.quick_version = summary.version
    summary.quick_seconds = summary.seconds = time.perf_counter() - summary.started
    return summary


def _quick_build(
    settings: Settings, guard: Embedder | None, layout: IndexLayout, progress: Progress | None
) -> _Build | None:
    """How a quick version is built, when settings ask for one (`indexing.guard_as_main`): complete, on
    the guard encoder put on the main encoder's scale, reported as the stage "quick"."""
    indexing = settings.indexing
    scale_shift = indexing.cosine_map()
    if not (indexing.passages_first and indexing.guard_encoder and scale_shift):
        return None
    guard = guard or load_embedder(indexing.guard_encoder, indexing.batch_size)
    encoder = Rescaled(guard, *scale_shift)
    quick_settings = settings.model_copy(update={"indexing": indexing.model_copy(update={"passages_first": False})})
    manifest = replace(Manifest.wanted(settings, encoder), stand_in_for=indexing.encoder)
    return _Build(quick_settings, encoder, guard, layout, manifest, as_stage(progress, None, "quick"))


def _update_quick(quick: _Build, summary: IndexSummary) -> None:
    """Build and switch in a quick version: nothing is served yet, and the main encoder takes minutes."""
    done = IndexSummary(started=summary.started)
    _update(quick, None, done)
    summary.quick_version, summary.quick_seconds = done.version, time.perf_counter() - summary.started
    log.info(
        "quick version %s (on %s) switched in after %.1f s", done.version, quick.embedder.name, summary.quick_seconds
    )


@dataclass(frozen=True)
class _Build:
    """What every step of an update needs: the settings, the encoders, the index folder, the manifest."""

    settings: Settings
    embedder: Embedder
    guard: Embedder | None
    layout: IndexLayout
    manifest: Manifest
    progress: Progress | None

    def encoders(self) -> Encoders:
        cache_file = self.settings.indexing.cache_file or self.layout.root / "embeddings.sqlite"
        return Encoders(self.embedder, self.guard, self.settings.indexing, cache_file, self.progress)


@dataclass
class _Read:
    """What reading the new and changed documents gave."""

    rows: list[DocumentRow] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # served before, unreadable now: the old chunks stay
    fresh: list[FreshChunk] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    added: int = 0
    changed: int = 0


def _read_changed(build: _Build, plan: UpdatePlan, previous: Mapping[str, DocumentRow]) -> _Read:
    """Read and chunk the plan's new and changed documents; one bad file never stops the rest."""
    read = _Read()
    settings = build.settings
    with ReadingWorker(settings) as worker:  # one worker process reads them all, each within its limits
        for done, source in enumerate(plan.to_read, start=1):
            old = previous.get(source.display)
            try:
                document, _warnings = read_source(source, settings, worker)
            except UnreadableDocumentError as exc:
                _not_read(read, source, old, exc.reason)
            except Exception as exc:
                log.exception("unexpected failure reading %s", source.display)
                _not_read(read, source, old, f"unreadable ({type(exc).__name__}: {exc})")
            else:
                if is_served(old):
                    read.changed += 1
                else:
                    read.added += 1
                read.rows.append(document_row(source, document.pages, store.INDEXED))
                for chunk in chunk_document(document, settings.chunk):
                    sentences = sentence_texts(chunk, document) if settings.indexing.sentence_vectors else []
                    text = indexed_text(chunk, document.title, document.case)
                    read.fresh.append(FreshChunk(chunk, text, tuple(sentences)))
            if build.progress:
                build.progress("read", done, len(plan.to_read))
    return read


def _not_read(read: _Read, source: SourceFile, old: DocumentRow | None, reason: str) -> None:
    read.skipped.append(Skipped(source.display, reason))
    if old is not None and is_served(old):
        read.kept.append(source.display)
        read.rows.append(stale_row(old, reason))
    else:
        read.rows.append(replace(document_row(source, None, store.SKIPPED), reason=reason))


@dataclass(frozen=True)
class _Carried:
    """What the new version takes over from the previous one, ids unchanged."""

    chunks: list[StoredChunk]
    sentences: list[SentenceRow]
    guard: dict[int, bytes]
    vectors: np.ndarray | None


def _carry_over(previous: _Previous | None, documents: list[str], with_guard: bool) -> _Carried:
    if previous is None:
        return _Carried([], [], {}, None)
    chunks = previous.reader.chunks_of(documents)
    ids = [c.id for c in chunks]
    sentences = previous.reader.sentences(ids)
    guard = previous.reader.guard(ids) if with_guard else {}
    vectors = previous.dense.vectors(np.array(ids, dtype=np.int64)) if previous.dense else None
    return _Carried(chunks, sentences, guard, vectors)


def _update(build: _Build, previous: _Previous | None, summary: IndexSummary) -> None:
    found = discover(build.settings)
    old_docs = previous.documents if previous else {}
    first_id = previous.manifest.next_id if previous else 1
    if previous is not None and previous.manifest.sentences_from is not None:
        # A first version whose sentences were never embedded (the update was stopped): its new
        # documents are read again and take the same ids; their vectors come from the cache.
        first_id = previous.manifest.sentences_from
        partial = previous.reader.documents_from(first_id)
        old_docs = {
            path: replace(row, status=store.SKIPPED) if path in partial else row for path, row in old_docs.items()
        }
    plan = plan_update(found, old_docs)
    read = _read_changed(build, plan, old_docs)
    rows = [*plan.rows, *read.rows]
    summary.unchanged, summary.added, summary.changed = len(plan.unchanged), read.added, read.changed
    summary.removed = plan.removed
    summary.skipped = sorted([*found.skipped, *read.skipped], key=lambda s: s.path)
    summary.documents = sum(1 for row in rows if is_served(row))
    if (
        previous is not None
        and previous.current
        and previous.manifest.complete
        and not read.fresh
        and not plan.removed
        and _same(previous, rows, found.cases)
    ):
        # Nothing to do: keep serving the current version (no rewrite, no switch).
        summary.version = build.layout.current_name()
        summary.chunks = previous.reader.chunk_count()
        return
    carried = _carry_over(
        previous, [*plan.unchanged, *read.kept, *plan.stale], bool(build.settings.indexing.guard_encoder)
    )
    encoders = build.encoders()
    next_id = first_id + len(read.fresh)
    indexing = build.settings.indexing
    if indexing.passages_first and read.fresh and not sentences_cached(encoders, read.fresh):
        # Questions are answered from the passages while their sentences are embedded: a first version
        # from the passages alone is switched in now, the complete one after it.
        first = embed_passages(encoders, read.fresh, first_id)
        summary.embedded_chunks = first.count
        summary.first_version = _write_version(
            build, found.cases, rows, carried, first, next_id, stage="first", sentences_from=first_id
        )
        summary.first_seconds = time.perf_counter() - summary.started
        log.info(
            "first version %s (the passages alone) switched in after %.1f s; embedding their sentences",
            summary.first_version,
            summary.first_seconds,
        )
        encoders = replace(encoders, progress=as_stage(build.progress, "embed", "sentences"))
    embedded = embed_fresh(encoders, read.fresh, first_id, len(carried.chunks) + 2 * len(carried.sentences))
    summary.embedded_chunks += embedded.count
    summary.version = _write_version(build, found.cases, rows, carried, embedded, next_id)
    if summary.first_version is not None:
        # Superseded: the version before the update stays the one to fall back on. A query that holds
        # the first version keeps reading it (its files stay open).
        shutil.rmtree(build.layout.version_dir(summary.first_version), ignore_errors=True)
    summary.chunks = len(carried.chunks) + len(embedded.chunks)


def _write_version(
    build: _Build,
    cases: list[CaseInfo],
    rows: list[DocumentRow],
    carried: _Carried,
    embedded: Embedded,
    next_id: int,
    stage: str = "index",
    sentences_from: int | None = None,
) -> str:
    """Write a new version beside the current one and switch it in; returns its name. `sentences_from`:
    the first chunk id whose sentences have no vectors yet (a first version), reported as `stage`."""
    settings = build.settings
    all_chunks = carried.chunks + embedded.chunks
    dimension = build.embedder.dimension
    parts = [v for v in (carried.vectors, embedded.vectors) if v is not None and len(v)]
    vectors = np.vstack(parts or [np.zeros((0, dimension), np.float32)])
    ids = np.array([c.id for c in all_chunks], dtype=np.int64)
    doc_rows = {row.path: row for row in rows}
    texts = [_text_for(c.chunk, doc_rows, cases) for c in all_chunks]

    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    temp = build.layout.temp_dir(name)
    temp.mkdir(parents=True)
    try:  # a version is written whole or not at all: a failure (a full disk) leaves no .tmp-* behind
        connection = store.create(temp / "meta.sqlite")
        try:
            with connection:
                built = datetime.now(UTC).isoformat()
                store.write_manifest(
                    connection,
                    replace(
                        build.manifest,
                        next_id=next_id,
                        built_at=built,
                        corpus=str(settings.corpus),
                        sentences_from=sentences_from,
                    ),
                )
                store.write_cases(connection, cases)
                store.write_documents(connection, rows)
                store.write_chunks(connection, all_chunks)
                store.write_sentences(connection, carried.sentences + embedded.sentences)
                store.write_guard(connection, list(carried.guard.items()) + embedded.guard)
        finally:
            connection.close()
        if build.progress:
            build.progress(stage, 0, 1)
        DenseIndex.build(vectors, ids, dimension, settings.indexing.hnsw_above).save(temp / "dense.faiss")
        LexicalIndex.build(texts, ids).save(temp / "lexical")
        publish(build.layout, temp, name)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    if build.progress:
        build.progress(stage, 1, 1)
    return name


def _same(previous: _Previous, rows: list[DocumentRow], cases: list[CaseInfo]) -> bool:
    """Whether the documents (files, statuses, metadata) and cases are what the current version holds."""
    if {row.path: row for row in rows} != previous.documents:
        return False
    return sorted(cases, key=lambda c: c.case_id) == previous.reader.cases()


def _text_for(chunk: Chunk, rows: dict[str, DocumentRow], cases: list[CaseInfo]) -> str:
    row = rows.get(chunk.document)
    case = next((c for c in cases if row and c.case_id == row.case_id), None)
    return indexed_text(chunk, (row.title if row else None) or chunk.document, case)
