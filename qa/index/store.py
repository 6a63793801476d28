"""SQLite side of an index version: manifest, cases, documents (with status), chunk texts, sentences
and guard vectors.

The only module that speaks SQL to meta.sqlite: the build path writes through the `write_*`
functions, everything else reads through an `IndexReader`, which returns typed rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from qa.index.manifest import SCHEMA_VERSION, Manifest
from qa.records import CaseInfo, Chunk, DocumentKind

__all__ = ["SCHEMA_VERSION", "IndexReader"]

SCHEMA = """
CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY, title TEXT NOT NULL, municipality TEXT, year INTEGER, themes TEXT NOT NULL
);
CREATE TABLE documents (
    path TEXT PRIMARY KEY, sha256 TEXT, size INTEGER, case_id TEXT, kind TEXT, title TEXT,
    pages INTEGER, status TEXT NOT NULL, reason TEXT
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY, document TEXT NOT NULL, ordinal INTEGER NOT NULL, text TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, page_start INTEGER, page_end INTEGER, section TEXT
);
CREATE INDEX chunks_document ON chunks(document);
CREATE TABLE sentences (
    chunk_id INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, page INTEGER, vector BLOB NOT NULL,
    as_question BLOB NOT NULL
);
CREATE INDEX sentences_chunk ON sentences(chunk_id);
CREATE TABLE guard (chunk_id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
"""

INDEXED = "indexed"
SKIPPED = "skipped"
STALE = "stale"  # the file changed and no longer reads; the previous version is still served


@dataclass(frozen=True)
class DocumentRow:
    path: str
    sha256: str | None
    size: int | None
    case_id: str | None
    kind: DocumentKind | None
    title: str | None
    pages: int | None
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class StoredChunk:
    id: int
    chunk: Chunk


class ChunkRow(NamedTuple):
    """A passage with its document's kind, title and case: what a hit is made of."""

    id: int
    document: str
    text: str
    page_start: int | None
    page_end: int | None
    section: str | None
    kind: str | None
    title: str | None
    case_id: str | None
    start: int  # the passage's offsets in the document text
    end: int


class StudyPassage(NamedTuple):
    """A passage of a document about the study as a whole (no case)."""

    document: str
    section: str | None
    chunk_id: int


class PassageRow(NamedTuple):
    """A passage's section and the case of its document (None: about the study as a whole)."""

    chunk_id: int
    section: str | None
    case_id: str | None


class SentenceVectors(NamedTuple):
    """A sentence's chunk, its two vectors (float32 bytes) and its words."""

    chunk_id: int
    vector: bytes
    as_question: bytes
    text: str


def create(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    return connection


def write_manifest(connection: sqlite3.Connection, manifest: Manifest) -> None:
    connection.executemany("INSERT OR REPLACE INTO manifest VALUES (?, ?)", list(manifest.as_stored().items()))


def write_cases(connection: sqlite3.Connection, cases: Iterable[CaseInfo]) -> None:
    connection.executemany(
        "INSERT OR REPLACE INTO cases VALUES (?, ?, ?, ?, ?)",
        [(c.case_id, c.title, c.municipality, c.year, json.dumps(list(c.themes))) for c in cases],
    )


def write_documents(connection: sqlite3.Connection, rows: Iterable[DocumentRow]) -> None:
    connection.executemany(
        "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.path,
                r.sha256,
                r.size,
                r.case_id,
                r.kind.value if r.kind else None,
                r.title,
                r.pages,
                r.status,
                r.reason,
            )
            for r in rows
        ],
    )


def write_chunks(connection: sqlite3.Connection, chunks: Iterable[StoredChunk]) -> None:
    connection.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                s.id,
                s.chunk.document,
                s.chunk.ordinal,
                s.chunk.text,
                s.chunk.start,
                s.chunk.end,
                s.chunk.page_start,
                s.chunk.page_end,
                s.chunk.section,
            )
            for s in chunks
        ],
    )


@dataclass(frozen=True)
class SentenceRow:
    """A sentence of a chunk (offsets into the chunk text) and its embeddings."""

    chunk_id: int
    start: int
    end: int
    page: int | None  # the page the sentence starts on (PDFs)
    vector: bytes  # float32: embedded as a passage, as the chunks are (empty: not yet, in a first version)
    as_question: bytes  # float32: embedded as a query, like the question it is compared with (empty: not yet)


def write_sentences(connection: sqlite3.Connection, rows: Iterable[SentenceRow]) -> None:
    connection.executemany(
        "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?)",
        [(r.chunk_id, r.start, r.end, r.page, r.vector, r.as_question) for r in rows],
    )


def write_guard(connection: sqlite3.Connection, vectors: Iterable[tuple[int, bytes]]) -> None:
    """Each chunk's vector from the guard encoder (float32 bytes), used to judge whether a question is on topic."""
    connection.executemany("INSERT INTO guard VALUES (?, ?)", list(vectors))


_CHUNK_COLUMNS = 'id, document, ordinal, text, start, "end", page_start, page_end, section'
_ROW_COLUMNS = (
    'k.id, k.document, k.text, k.page_start, k.page_end, k.section, d.kind, d.title, d.case_id, k.start, k."end"'
)
_BATCH = 500  # ids per IN (...): below SQLite's limit on bound parameters


def _stored(row: tuple[Any, ...]) -> StoredChunk:
    cid, document, ordinal, text, start, end, page_start, page_end, section = row
    return StoredChunk(cid, Chunk(document, ordinal, text, start, end, page_start, page_end, section))


def _batches(ids: Iterable[int]) -> list[list[int]]:
    wanted = [int(i) for i in ids]
    return [wanted[start : start + _BATCH] for start in range(0, len(wanted), _BATCH)]


def _marks(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


class IndexReader:
    """Read-only access to one version's meta.sqlite, safe to share between threads: every read
    takes the reader's lock, and every row comes back typed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def _all(self, sql: str, params: Iterable[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._connection.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        self._connection.close()

    # ------------------------------------------------------------------ the version as a whole
    def quick_check(self) -> str:
        """SQLite's verdict on the file: "ok" or what is damaged."""
        ((verdict,),) = self._all("PRAGMA quick_check")
        return str(verdict)

    def manifest(self) -> Manifest:
        return Manifest.from_stored(dict(self._all("SELECT key, value FROM manifest")))

    def cases(self) -> list[CaseInfo]:
        rows = self._all("SELECT case_id, title, municipality, year, themes FROM cases ORDER BY case_id")
        return [CaseInfo(cid, title, muni, year, tuple(json.loads(themes))) for cid, title, muni, year, themes in rows]

    def documents(self) -> list[DocumentRow]:
        rows = self._all(
            "SELECT path, sha256, size, case_id, kind, title, pages, status, reason FROM documents ORDER BY path"
        )
        return [
            DocumentRow(path, sha, size, case_id, DocumentKind(kind) if kind else None, title, pages, status, reason)
            for path, sha, size, case_id, kind, title, pages, status, reason in rows
        ]

    def chunk_count(self) -> int:
        ((count,),) = self._all("SELECT count(*) FROM chunks")
        return int(count)

    def chunk_ids(self) -> list[int]:
        return [cid for (cid,) in self._all("SELECT id FROM chunks ORDER BY id")]

    # ------------------------------------------------------------------ chunks
    def documents_from(self, first_id: int) -> set[str]:
        """The documents with a chunk whose id is `first_id` or later."""
        return {row[0] for row in self._all("SELECT DISTINCT document FROM chunks WHERE id >= ?", (first_id,))}

    def chunks_of(self, documents: Iterable[str]) -> list[StoredChunk]:
        """The chunks of these documents, document by document in the order given, in text order."""
        found: list[StoredChunk] = []
        for path in documents:
            rows = self._all(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE document = ? ORDER BY ordinal", (path,))
            found.extend(_stored(row) for row in rows)
        return found

    def chunk_rows(self, ids: Iterable[int]) -> dict[int, ChunkRow]:
        """The passages with these ids (those that exist), with their documents' kind, title and case."""
        wanted = [int(i) for i in ids]
        if not wanted:
            return {}
        # one statement: callers read the rows in the order SQLite returns them
        rows = self._all(
            f"SELECT {_ROW_COLUMNS} FROM chunks k JOIN documents d ON d.path = k.document "
            f"WHERE k.id IN ({_marks(wanted)})",
            wanted,
        )
        return {row[0]: ChunkRow(*row) for row in rows}

    def study_chunk_rows(self) -> list[ChunkRow]:
        """The passages with a section of the documents about the study as a whole, in document order."""
        rows = self._all(
            f"SELECT {_ROW_COLUMNS} FROM chunks k JOIN documents d ON d.path = k.document "
            "WHERE d.case_id IS NULL AND k.section IS NOT NULL ORDER BY k.document, k.ordinal"
        )
        return [ChunkRow(*row) for row in rows]

    def next_chunk_id(self, chunk_id: int) -> int | None:
        """The id of the chunk after this one in its document (None: it is the last)."""
        rows = self._all(
            "SELECT n.id FROM chunks k JOIN chunks n ON n.document = k.document AND n.ordinal = k.ordinal + 1 "
            "WHERE k.id = ?",
            (chunk_id,),
        )
        return int(rows[0][0]) if rows else None

    def sections_under(self, document: str, section: str) -> list[tuple[int, str | None]]:
        """(chunk id, section) of the chunks of `document` whose section starts with `section`, in order."""
        return self._all(
            "SELECT id, section FROM chunks WHERE document = ? AND section LIKE ? ORDER BY ordinal",
            (document, f"{section}%"),
        )

    def study_passages(self) -> list[StudyPassage]:
        """Every passage of the documents about the study as a whole, in document order."""
        rows = self._all(
            "SELECT k.document, k.section, k.id FROM chunks k JOIN documents d ON d.path = k.document "
            "WHERE d.case_id IS NULL ORDER BY k.document, k.ordinal"
        )
        return [StudyPassage(*row) for row in rows]

    def passage_rows(self) -> list[PassageRow]:
        """Every passage's section and its document's case, by chunk id."""
        rows = self._all(
            "SELECT k.id, k.section, d.case_id FROM chunks k JOIN documents d ON d.path = k.document ORDER BY k.id"
        )
        return [PassageRow(*row) for row in rows]

    def chunk_ids_where(
        self,
        case: str | None = None,
        municipality: str | None = None,
        kind: str | None = None,
        year: int | None = None,
        scope: tuple[str, ...] = (),
        scope_names: tuple[str, ...] = (),
    ) -> list[int]:
        """Chunk ids that pass the filters (all optional; municipality matches without case).

        `scope` keeps the chunks of these cases plus the study-wide documents; with `scope_names`, only
        those study-wide passages that name one of them (what the synthesis says about these cases).
        """
        clauses: list[str] = []
        params: list[object] = []
        if scope:
            study = "d.case_id IS NULL"
            if scope_names:
                named = " OR ".join("k.text LIKE ? OR k.section LIKE ?" for _ in scope_names)
                study = f"(d.case_id IS NULL AND ({named}))"
            clauses.append(f"(d.case_id IN ({','.join('?' * len(scope))}) OR {study})")
            params.extend(scope)
            params.extend(pattern for name in scope_names for pattern in (f"%{name}%", f"%{name}%"))
        for clause, value in (
            ("d.case_id = ?", case),
            ("c.municipality = ? COLLATE NOCASE", municipality),
            ("d.kind = ?", kind),
            ("c.year = ?", year),
        ):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        where = " AND ".join(clauses) or "1"
        rows = self._all(
            "SELECT k.id FROM chunks k JOIN documents d ON d.path = k.document "
            f"LEFT JOIN cases c ON c.case_id = d.case_id WHERE {where}",
            params,
        )
        return [row[0] for row in rows]

    # ------------------------------------------------------------------ vectors
    def sentences(self, chunk_ids: Iterable[int]) -> list[SentenceRow]:
        """The sentences of these chunks, in chunk and text order."""
        found: list[SentenceRow] = []
        for part in _batches(chunk_ids):
            rows = self._all(
                f'SELECT chunk_id, start, "end", page, vector, as_question FROM sentences '
                f"WHERE chunk_id IN ({_marks(part)}) ORDER BY chunk_id, start",
                part,
            )
            found.extend(SentenceRow(*row) for row in rows)
        return found

    def sentence_vectors(self) -> list[SentenceVectors]:
        """Every sentence's chunk id, its vectors (as a passage, as a query) and its text, in chunk and
        text order."""
        rows = self._all(
            'SELECT s.chunk_id, s.vector, s.as_question, substr(c.text, s.start + 1, s."end" - s.start) '
            "FROM sentences s JOIN chunks c ON c.id = s.chunk_id ORDER BY s.chunk_id, s.start"
        )
        return [SentenceVectors(*row) for row in rows]

    def guard(self, chunk_ids: Iterable[int]) -> dict[int, bytes]:
        """The guard encoder's vector (float32 bytes) of each of these chunks that has one."""
        found: dict[int, bytes] = {}
        for part in _batches(chunk_ids):
            found.update(self._all(f"SELECT chunk_id, vector FROM guard WHERE chunk_id IN ({_marks(part)})", part))
        return found
