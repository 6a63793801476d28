"""`qa index`: incremental, crash-safe building of index versions.

Only new and changed documents are read, chunked and embedded; unchanged documents carry their
chunks and vectors over from the current version untouched. A new version is written beside the
current one and switched in atomically, so a reader never sees a half-built index and a killed
run leaves the previous version complete.
"""

from __future__ import annotations

import errno
import logging
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa import store
from qa.chunking import chunk_document, quotable_spans
from qa.corpus import SourceFile, discover, read_source
from qa.dense import DenseIndex
from qa.embedcache import EmbeddingCache, text_key
from qa.errors import DiskFullError, IndexAccessError, UnreadableDocumentError, is_disk_full
from qa.layout import IndexLayout, WriterLock, publish, recover
from qa.lexical import LexicalIndex
from qa.readworker import ReadingWorker
from qa.records import CaseInfo, Chunk, Document, Skipped
from qa.settings import Settings
from qa.store import DocumentRow, StoredChunk

if TYPE_CHECKING:
    from qa.embedders import Embedder

log = logging.getLogger(__name__)

#: Bump when what is embedded for a chunk changes (see `indexed_text`).
# 6: a sentence also ends where the space after its full stop was lost ("aard.Zonder");
# 5: PDF tables read as rows, table rows quotable, a paragraph a PDF page break cut in two mended;
# 4: Markdown list items keep a bullet
TEXT_FORMAT = 6

#: progress(stage, done, total)
Progress = Callable[[str, int, int], None]


@dataclass
class IndexSummary:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    seconds: float = 0.0
    rebuilt: bool = False
    embedded_chunks: int = 0  # texts sent to the encoder (passages, their sentences twice), cache misses only
    version: str | None = None
    reason: str | None = None  # why a full rebuild happened

    def as_json(self) -> dict[str, object]:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "documents": self.documents,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
        }


def manifest_for(settings: Settings, embedder: Embedder) -> dict[str, object]:
    """What must match for an index to be reused; see `manifest_differences`."""
    return {
        "schema_version": store.SCHEMA_VERSION,
        "text_format": TEXT_FORMAT,
        "encoder": embedder.name,
        "encoder_version": embedder.version,
        "dimension": embedder.dimension,
        "chunk_size": settings.chunk.size,
        "chunk_overlap": settings.chunk.overlap,
        "chunk_min_size": settings.chunk.min_size,
        "sentence_vectors": settings.indexing.sentence_vectors,
        "guard_encoder": settings.indexing.guard_encoder,
    }


def manifest_differences(stored: dict[str, object], wanted: dict[str, object]) -> list[str]:
    return [
        f"{key}: index has {stored.get(key)!r}, settings want {value!r}"
        for key, value in wanted.items()
        if stored.get(key) != value
    ]


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


@dataclass
class _Previous:
    manifest: dict[str, object]
    documents: dict[str, DocumentRow]
    dense: DenseIndex | None
    connection: object | None
    current: bool = True  # False: the current version is broken and this is the intact one before it


def _load_previous(layout: IndexLayout) -> _Previous | None:
    """The version to build on: the one readers are served (never a broken one)."""
    serving = layout.serving()
    if serving.folder is None:
        return None
    connection = store.connect_readonly(serving.folder / "meta.sqlite")
    return _Previous(
        manifest=store.read_manifest(connection),
        documents={row.path: row for row in store.read_documents(connection)},
        dense=DenseIndex.load(serving.folder / "dense.faiss"),
        connection=connection,
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
    started = time.perf_counter()
    layout = IndexLayout(settings.index)
    summary = IndexSummary()
    try:
        with WriterLock(layout):
            for leftover in recover(layout):
                log.info("removed leftover %s", leftover)
            wanted = manifest_for(settings, embedder)
            previous = _load_previous(layout)
            if previous is not None and (rebuild or manifest_differences(previous.manifest, wanted)):
                summary.rebuilt = True
                summary.reason = "; ".join(manifest_differences(previous.manifest, wanted)) or "--rebuild"
                previous = None
            _update(settings, embedder, guard, layout, previous, wanted, summary, progress)
    except (OSError, sqlite3.OperationalError) as exc:
        mapped = _index_write_error(layout, exc)
        if mapped is exc:
            raise
        raise mapped from exc
    summary.seconds = time.perf_counter() - started
    return summary


def _index_write_error(layout: IndexLayout, exc: OSError | sqlite3.OperationalError) -> BaseException:
    """A full disk or a permission refused in the index folder as one line naming it; anything else as it is."""
    if is_disk_full(exc):
        return DiskFullError(layout.root, "the index", exc)
    if isinstance(exc, PermissionError):
        if exc.filename is None or not Path(exc.filename).resolve().is_relative_to(layout.root.resolve()):
            return exc
        return IndexAccessError(layout.root, "write", exc)
    # SQLite says so without a file name: the embedding cache or a version's database may not be written
    if isinstance(exc, sqlite3.OperationalError) and any(
        words in str(exc) for words in ("readonly database", "unable to open database")
    ):
        return IndexAccessError(layout.root, "write", PermissionError(errno.EACCES, str(exc)))
    return exc


def _update(
    settings: Settings,
    embedder: Embedder,
    guard: Embedder | None,
    layout: IndexLayout,
    previous: _Previous | None,
    manifest: dict[str, object],
    summary: IndexSummary,
    progress: Progress | None,
) -> None:
    found = discover(settings)
    old_docs = previous.documents if previous else {}
    old_connection = previous.connection if previous else None
    rows: list[DocumentRow] = []
    carried: list[StoredChunk] = []  # unchanged chunks, same ids
    fresh: list[tuple[Chunk, str]] = []  # new chunks and the text to embed
    fresh_sentences: list[list[SentenceText]] = []  # per new chunk: sentences to embed
    keep_old: list[str] = []  # documents whose previous chunks stay

    seen = {source.display for source in found.files}
    skipped_at_discovery = {s.path: s.reason for s in found.skipped}
    summary.skipped = list(found.skipped)

    to_read: list[SourceFile] = []
    for source in found.files:
        old = old_docs.get(source.display)
        if old is not None and old.status == store.INDEXED and old.sha256 == source.sha256:
            summary.unchanged += 1
            keep_old.append(source.display)
            rows.append(_row(source, old.pages, store.INDEXED))
        else:
            to_read.append(source)

    with ReadingWorker(settings) as worker:  # one worker process reads them all, each within its limits
        for done, source in enumerate(to_read, start=1):
            old = old_docs.get(source.display)
            was_indexed = old is not None and old.status in (store.INDEXED, store.STALE)
            try:
                document, _warnings = read_source(source, settings, worker)
            except UnreadableDocumentError as exc:
                summary.skipped.append(Skipped(source.display, exc.reason))
                rows.extend(_keep_or_skip(source.display, old, exc.reason, keep_old, source))
            except Exception as exc:  # one bad file never stops the rest
                log.exception("unexpected failure reading %s", source.display)
                reason = f"unreadable ({type(exc).__name__}: {exc})"
                summary.skipped.append(Skipped(source.display, reason))
                rows.extend(_keep_or_skip(source.display, old, reason, keep_old, source))
            else:
                if was_indexed:
                    summary.changed += 1
                else:
                    summary.added += 1
                rows.append(_row(source, document.pages, store.INDEXED))
                for chunk in _chunks(document, settings):
                    fresh.append((chunk, indexed_text(chunk, document.title, document.case)))
                    with_sentences = settings.indexing.sentence_vectors
                    fresh_sentences.append(sentence_texts(chunk, document) if with_sentences else [])
            if progress:
                progress("read", done, len(to_read))

    for path, reason in skipped_at_discovery.items():
        old = old_docs.get(path)
        if old is not None and old.status in (store.INDEXED, store.STALE):
            keep_old.append(path)
            rows.append(_stale(old, reason))
        else:
            rows.append(DocumentRow(path, None, None, None, None, None, None, store.SKIPPED, reason))

    gone = {p for p, row in old_docs.items() if row.status in (store.INDEXED, store.STALE)}
    summary.removed = len(gone - seen - set(skipped_at_discovery))

    if (
        previous is not None
        and previous.current
        and not fresh
        and not summary.removed
        and _same(previous, rows, found.cases)
    ):
        # Nothing to do: keep serving the current version (no rewrite, no switch).
        summary.version = layout.current_name()
        summary.documents = sum(1 for row in rows if row.status in (store.INDEXED, store.STALE))
        (summary.chunks,) = previous.connection.execute("SELECT count(*) FROM chunks").fetchone()  # type: ignore[attr-defined]
        summary.skipped.sort(key=lambda s: s.path)
        return

    carried_sentences: list[store.SentenceRow] = []
    carried_guard: dict[int, bytes] = {}
    if old_connection is not None:
        carried = store.read_chunks_of(old_connection, keep_old)  # type: ignore[arg-type]
        carried_sentences = store.read_sentences(old_connection, [c.id for c in carried])  # type: ignore[arg-type]
        if settings.indexing.guard_encoder:
            carried_guard = store.read_guard(old_connection, [c.id for c in carried])  # type: ignore[arg-type]
    vectors_old = (
        previous.dense.vectors(np.array([c.id for c in carried], dtype=np.int64))
        if previous and previous.dense
        else None
    )

    next_id = int(previous.manifest.get("next_id", 1)) if previous else 1  # type: ignore[call-overload]
    new_chunks = [StoredChunk(next_id + i, chunk) for i, (chunk, _text) in enumerate(fresh)]
    next_id += len(new_chunks)
    cache_file = settings.indexing.cache_file or layout.root / "embeddings.sqlite"
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(cache_file, embedder.name, embedder.version, embedder.dimension)
    sentence_owner = [i for i, sentences in enumerate(fresh_sentences) for _ in sentences]
    flat_sentences = [sentence for sentences in fresh_sentences for sentence in sentences]
    try:
        embedded, embedded_count = _embed(
            [text for _chunk, text in fresh] + [s.as_passage for s in flat_sentences],
            embedder,
            settings.indexing.batch_size,
            progress,
            cache,
        )
        question_cache = EmbeddingCache(cache_file, f"{embedder.name}/query", embedder.version, embedder.dimension)
        try:
            as_questions, asked_count = _embed(
                [s.as_question for s in flat_sentences],
                embedder,
                settings.indexing.batch_size,
                progress,
                question_cache,
                as_query=True,
            )
        finally:
            question_cache.close()
        embedded_count += asked_count
        sentences = len(carried_sentences) + len(flat_sentences)
        cache.prune(keep_at_least=len(carried) + len(fresh) + 2 * sentences)  # a sentence has two vectors
    finally:
        cache.close()
    new_guard: list[tuple[int, bytes]] = []
    if settings.indexing.guard_encoder and fresh:
        if guard is None:
            from qa.embedders import load_embedder

            guard = load_embedder(settings.indexing.guard_encoder, settings.indexing.batch_size)
        guard_cache = EmbeddingCache(cache_file, guard.name, guard.version, guard.dimension)
        try:
            guarded, _count = _embed(
                [chunk.text for chunk, _text in fresh], guard, settings.indexing.batch_size, None, guard_cache
            )
        finally:
            guard_cache.close()
        new_guard = [(c.id, v.astype(np.float32).tobytes()) for c, v in zip(new_chunks, guarded, strict=True)]
    vectors_new = embedded[: len(fresh)]
    summary.embedded_chunks = embedded_count
    new_sentences = [
        store.SentenceRow(
            new_chunks[owner].id,
            s.start,
            s.end,
            s.page,
            embedded[len(fresh) + i].astype(np.float32).tobytes(),
            as_questions[i].astype(np.float32).tobytes(),
        )
        for i, (owner, s) in enumerate(zip(sentence_owner, flat_sentences, strict=True))
    ]

    all_chunks = carried + new_chunks
    dimension = embedder.dimension
    vectors = np.vstack(
        [v for v in (vectors_old, vectors_new) if v is not None and len(v)] or [np.zeros((0, dimension), np.float32)]
    )
    ids = np.array([c.id for c in all_chunks], dtype=np.int64)

    doc_rows = {row.path: row for row in rows}
    texts = [_text_for(c.chunk, doc_rows, found.cases) for c in all_chunks]

    name = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    temp = layout.temp_dir(name)
    temp.mkdir(parents=True)
    try:  # a version is written whole or not at all: a failure (a full disk) leaves no .tmp-* behind
        built = {"next_id": next_id, "built_at": datetime.now(UTC).isoformat(), "corpus": str(settings.corpus)}
        connection = store.create(temp / "meta.sqlite")
        try:
            with connection:
                store.write_manifest(connection, {**manifest, **built})
                store.write_cases(connection, found.cases)
                store.write_documents(connection, rows)
                store.write_chunks(connection, all_chunks)
                store.write_sentences(connection, carried_sentences + new_sentences)
                store.write_guard(connection, list(carried_guard.items()) + new_guard)
        finally:
            connection.close()
        if progress:
            progress("index", 0, 1)
        DenseIndex.build(vectors, ids, dimension, settings.indexing.hnsw_above).save(temp / "dense.faiss")
        LexicalIndex.build(texts, ids).save(temp / "lexical")
        publish(layout, temp, name)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    if progress:
        progress("index", 1, 1)

    summary.version = name
    summary.documents = sum(1 for row in rows if row.status in (store.INDEXED, store.STALE))
    summary.chunks = len(all_chunks)
    summary.skipped.sort(key=lambda s: s.path)


def _same(previous: _Previous, rows: list[DocumentRow], cases: list[CaseInfo]) -> bool:
    """Whether the documents (files, statuses, metadata) and cases are what the current version holds."""
    if {row.path: row for row in rows} != previous.documents:
        return False
    return sorted(cases, key=lambda c: c.case_id) == store.read_cases(previous.connection)  # type: ignore[arg-type]


def _chunks(document: Document, settings: Settings) -> list[Chunk]:
    return chunk_document(document, settings.chunk)


def _row(source: SourceFile, pages: int | None, status: str) -> DocumentRow:
    case_id = source.case.case_id if source.case else None
    return DocumentRow(source.display, source.sha256, source.size, case_id, source.kind, source.title, pages, status)


def _stale(old: DocumentRow, reason: str) -> DocumentRow:
    return DocumentRow(
        old.path,
        old.sha256,
        old.size,
        old.case_id,
        old.kind,
        old.title,
        old.pages,
        store.STALE,
        f"{reason}; the previously indexed version is still used",
    )


def _keep_or_skip(
    path: str, old: DocumentRow | None, reason: str, keep_old: list[str], source: SourceFile
) -> list[DocumentRow]:
    if old is not None and old.status in (store.INDEXED, store.STALE):
        keep_old.append(path)
        return [_stale(old, reason)]
    case_id = source.case.case_id if source.case else None
    return [
        DocumentRow(path, source.sha256, source.size, case_id, source.kind, source.title, None, store.SKIPPED, reason)
    ]


def _text_for(chunk: Chunk, rows: dict[str, DocumentRow], cases: list[CaseInfo]) -> str:
    row = rows.get(chunk.document)
    case = next((c for c in cases if row and c.case_id == row.case_id), None)
    return indexed_text(chunk, (row.title if row else None) or chunk.document, case)


def _embed(
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
