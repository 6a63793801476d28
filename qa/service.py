"""The one facade the CLI and the web app call: ask, search, browse cases and documents, re-index.

It owns the settings, the encoder and the retriever; everything deeper is reached through it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import DiskFullError, DocumentRefusedError, IndexAccessError, IndexLockedError, QaError
from qa.index.build import Progress, build_index
from qa.index.layout import IndexLayout
from qa.index.plan import IndexSummary
from qa.ingest.readworker import ReadingWorker
from qa.records import Answer, Block, CaseInfo, Turn
from qa.search.retrieval import Filters, Hit, Retriever
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.answer.matrix import FactorMatrix
    from qa.index.embedders import Embedder
    from qa.search.question import Intent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentInfo:
    path: str  # relative to the corpus root
    kind: str | None
    title: str | None
    case_id: str | None
    pages: int | None
    status: str  # indexed | skipped | stale
    reason: str | None


@dataclass(frozen=True)
class CaseFinding:
    """A success factor or point of attention as the study states it, with where it stands."""

    text: str
    document: str
    page: int | None
    section: str


@dataclass(frozen=True)
class CaseOverview:
    case: CaseInfo
    documents: tuple[DocumentInfo, ...]
    success_factors: tuple[CaseFinding, ...]
    points_of_attention: tuple[CaseFinding, ...]


@dataclass(frozen=True)
class DocumentView:
    """What is needed to show a document: the file (for PDFs) or its text blocks (for the rest)."""

    path: str
    file: Path
    kind: str | None
    title: str | None
    pages: int | None
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class IndexStatus:
    """Where the latest index update stands, for the page to show while it answers."""

    running: bool
    # scan (corpus walked and hashed) | read | embed (passages) | first (a first version written) | sentences
    # (their sentences embedded) | index (the complete version written), while running
    stage: str | None = None
    done: int = 0
    total: int = 0
    summary: IndexSummary | None = None  # of the last update that finished
    error: str | None = None  # why the last update failed (the domain error's message)
    failure: type[BaseException] | None = None  # ... and its kind, for the app to word it
    answering: bool = False  # a first version (the passages alone) is switched in; the rest is being embedded


class Vraagbaak:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._retriever: Retriever | None = None
        self._lock = threading.Lock()
        self._index_lock = threading.Lock()
        self._status = IndexStatus(running=False)
        self._status_lock = threading.Lock()
        self._reader = ReadingWorker(settings)  # shows documents; started on the first, kept for the next
        self._reader_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                from qa.index.embedders import load_embedder

                self._embedder = load_embedder(self.settings.indexing.encoder, self.settings.indexing.batch_size)
            return self._embedder

    @property
    def retriever(self) -> Retriever:
        embedder = self.embedder
        with self._lock:
            if self._retriever is None:
                guard = None
                if self.settings.indexing.guard_encoder:
                    from qa.index.embedders import load_embedder

                    guard = load_embedder(self.settings.indexing.guard_encoder, self.settings.indexing.batch_size)
                self._retriever = Retriever(self.settings, embedder, guard)
            return self._retriever

    # ------------------------------------------------------------------ questions
    def ask(self, question: str, filters: Filters | None = None, history: Sequence[Turn] = ()) -> Answer:
        from qa.answer import compose_answer

        return compose_answer(self.retriever, question, filters or Filters(), history, self.settings)

    def search(self, question: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        return self.retriever.search(question, k=k, filters=filters)

    # ------------------------------------------------------------------ browsing
    def has_index(self) -> bool:
        return self.retriever.layout.serving().folder is not None

    def cases(self) -> list[CaseInfo]:
        return sorted(self.retriever.cases.values(), key=lambda c: (c.municipality or "", c.title))

    def documents(self) -> list[DocumentInfo]:
        rows = self.retriever.version().documents()
        return [
            DocumentInfo(r.path, r.kind.value if r.kind else None, r.title, r.case_id, r.pages, r.status, r.reason)
            for r in rows
        ]

    def case_overviews(self) -> list[CaseOverview]:
        """Each case with its documents and the findings the study's synthesis states for it."""
        documents = self.documents()
        rows = self.retriever.version().study_sections()
        overviews = []
        for case in self.cases():
            found: dict[str, list[CaseFinding]] = {"succes": [], "aandacht": []}
            for row in rows:
                text, document, page, section = row.text, row.document, row.page_start, row.section or ""
                head, _, leaf = section.rpartition(" › ")
                if case.title.lower() not in head.lower():
                    continue
                key = "succes" if "succes" in leaf.lower() else "aandacht" if "aandacht" in leaf.lower() else None
                if key is None:
                    continue
                for line in text.split("\n\n"):
                    line = line.strip()
                    if line and line != leaf and line not in {f.text for f in found[key]}:
                        found[key].append(CaseFinding(line.lstrip("•- ").strip(), document, page, section))
            overviews.append(
                CaseOverview(
                    case=case,
                    documents=tuple(d for d in documents if d.case_id == case.case_id),
                    success_factors=tuple(found["succes"]),
                    points_of_attention=tuple(found["aandacht"]),
                )
            )
        return overviews

    def matrix(self, intent: Intent) -> FactorMatrix:
        """The cases against the study's overarching factors, filled with the cases' success factors
        ("positive") or points of attention ("negative")."""
        from qa.answer.matrix import factor_matrix

        version = self.retriever.version()
        return version.memo(f"matrix/{intent}", lambda: factor_matrix(version, self.settings.answer, intent))

    def document_view(self, path: str) -> DocumentView:
        """A document of the index, read from the corpus; only files inside the corpus are served."""
        from qa.ingest.reading import SUPPORTED

        root = self.settings.corpus.resolve()
        file = (root / path).resolve()
        if root not in file.parents or not file.is_file():
            raise DocumentRefusedError(path, "not a document of this corpus")
        known = {d.path: d for d in self.documents()}
        if path not in known:
            raise DocumentRefusedError(path, "not in the index")
        if file.suffix.lower() not in SUPPORTED:
            raise QaError(f"{path}: no longer in the corpus")
        # Read just this file: discovering the corpus would hash every document to show one.
        with self._reader_lock:  # in the reading worker, as indexing: a file changed since cannot stall the app
            result = self._reader.read(file, path)
        if not any(block.text.strip() for block in result.blocks):
            raise QaError(f"{path}: no text found in the document")
        info = known[path]
        return DocumentView(path, file, info.kind, info.title, result.pages, tuple(result.blocks))

    # ------------------------------------------------------------------ maintenance
    def serving_version(self) -> str | None:
        """The name of the index version questions are answered from now (None: no index yet)."""
        folder = IndexLayout(self.settings.index).serving().folder
        return folder.name if folder is not None else None

    def index_status(self) -> IndexStatus:
        with self._status_lock:
            return self._status

    def _set_status(self, status: IndexStatus) -> None:
        with self._status_lock:
            self._status = status

    def reindex(self, progress: Progress | None = None, rebuild: bool = False) -> IndexSummary:
        """Update the index; the running retriever keeps answering from the old version until the switch.
        Its progress is kept in `index_status` as well as passed to `progress`."""

        first_in = False  # from the first (or quick) version on, questions are answered while the rest is embedded
        quick = False  # a quick version is being built: it is in once another stage follows

        def record(stage: str, done: int, total: int) -> None:
            nonlocal first_in, quick
            first_in = first_in or (stage == "first" and done >= total) or (quick and stage != "quick")
            quick = quick or stage == "quick"
            self._set_status(IndexStatus(running=True, stage=stage, done=done, total=total, answering=first_in))
            if progress is not None:
                progress(stage, done, total)

        with self._index_lock:
            previous = self.index_status().summary
            self._set_status(IndexStatus(running=True, stage="scan", summary=previous))
            try:
                summary = build_index(
                    self.settings, self.embedder, rebuild=rebuild, progress=record, guard=self.retriever.guard
                )
            except BaseException as exc:
                self._set_status(IndexStatus(running=False, summary=previous, error=str(exc), failure=type(exc)))
                raise
            self._set_status(IndexStatus(running=False, summary=summary))
            return summary

    def start_indexing(self) -> threading.Thread:
        """Bring the index up to date in a background thread (only new and changed documents, under the
        index's writer lock, as `qa index`); questions are answered from the current version meanwhile
        and from the new one once it is switched in. Failures are logged and kept in `index_status`."""
        # Running from this moment: a page opened before the thread gets going says so too.
        self._set_status(replace(self.index_status(), running=True, stage="scan", error=None, failure=None))

        def run() -> None:
            try:
                summary = self.reindex()
            except IndexLockedError as exc:
                log.warning("not indexing at start: %s", exc)
            except (DiskFullError, IndexAccessError) as exc:  # the folder and what to do, in one line
                log.error("indexing in the background failed: %s", exc)
            except Exception:
                log.exception("indexing in the background failed")
            else:
                log.info(
                    "index up to date: %s documents, %s chunks (%s added, %s changed, %s removed) in %.1f s",
                    summary.documents,
                    summary.chunks,
                    summary.added,
                    summary.changed,
                    summary.removed,
                    summary.seconds,
                )

        thread = threading.Thread(target=run, name="vraagbaak-index", daemon=True)
        thread.start()
        return thread
