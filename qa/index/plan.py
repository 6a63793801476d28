"""What an update of the index does, decided before anything is read (`plan_update`, pure), and what it
did (`IndexSummary`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from qa.index import store
from qa.index.store import DocumentRow
from qa.ingest.corpus import Discovery, SourceFile
from qa.records import Skipped


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
    quick_version: str | None = None  # the version on the guard encoder, served while nothing else can be
    quick_seconds: float | None = None  # ... switched in after this long
    first_version: str | None = None  # the first version from the passages alone, switched in before `version`
    first_seconds: float | None = None  # ... after this long
    started: float = field(default_factory=time.perf_counter, repr=False, compare=False)

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


def is_served(row: DocumentRow | None) -> bool:
    """Whether the previous version serves this document's chunks (indexed, or stale but kept)."""
    return row is not None and row.status in (store.INDEXED, store.STALE)


@dataclass(frozen=True)
class UpdatePlan:
    """What an update does, decided from the corpus found and the previous version's documents alone."""

    unchanged: tuple[str, ...]  # documents whose chunks and vectors are carried over, same ids
    to_read: tuple[SourceFile, ...]  # new and changed documents, to read, chunk and embed
    stale: tuple[str, ...]  # served before, unreadable now (found so at discovery): their old chunks stay
    rows: tuple[DocumentRow, ...]  # the documents' rows known without reading: unchanged and skipped
    removed: int  # documents served before and gone from the corpus


def plan_update(found: Discovery, previous: Mapping[str, DocumentRow]) -> UpdatePlan:
    """The plan of an update (pure): which documents are carried over, read, kept stale or removed."""
    unchanged: list[str] = []
    rows: list[DocumentRow] = []
    to_read: list[SourceFile] = []
    for source in found.files:
        old = previous.get(source.display)
        if old is not None and old.status == store.INDEXED and old.sha256 == source.sha256:
            unchanged.append(source.display)
            rows.append(document_row(source, old.pages, store.INDEXED))
        else:
            to_read.append(source)
    stale: list[str] = []
    skipped_at_discovery = {s.path: s.reason for s in found.skipped}
    for path, reason in skipped_at_discovery.items():
        old = previous.get(path)
        if old is not None and is_served(old):
            stale.append(path)
            rows.append(stale_row(old, reason))
        else:
            rows.append(DocumentRow(path, None, None, None, None, None, None, store.SKIPPED, reason))
    seen = {source.display for source in found.files} | set(skipped_at_discovery)
    removed = sum(1 for path, row in previous.items() if is_served(row) and path not in seen)
    return UpdatePlan(tuple(unchanged), tuple(to_read), tuple(stale), tuple(rows), removed)


def document_row(source: SourceFile, pages: int | None, status: str) -> DocumentRow:
    """A document's row as the corpus shows it, with its pages and status."""
    case_id = source.case.case_id if source.case else None
    return DocumentRow(source.display, source.sha256, source.size, case_id, source.kind, source.title, pages, status)


def stale_row(old: DocumentRow, reason: str) -> DocumentRow:
    """A document served before and unreadable now: its old row, kept, with the reason."""
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
