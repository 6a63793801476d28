"""SQLite side of an index version: manifest, cases, documents (with status) and chunk texts."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.records import CaseInfo, Chunk, DocumentKind

SCHEMA_VERSION = 4

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


def create(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA)
    return connection


def connect_readonly(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def write_manifest(connection: sqlite3.Connection, manifest: dict[str, object]) -> None:
    connection.executemany(
        "INSERT OR REPLACE INTO manifest VALUES (?, ?)", [(k, json.dumps(v)) for k, v in manifest.items()]
    )


def read_manifest(connection: sqlite3.Connection) -> dict[str, object]:
    return {key: json.loads(value) for key, value in connection.execute("SELECT key, value FROM manifest")}


def write_cases(connection: sqlite3.Connection, cases: Iterable[CaseInfo]) -> None:
    connection.executemany(
        "INSERT OR REPLACE INTO cases VALUES (?, ?, ?, ?, ?)",
        [(c.case_id, c.title, c.municipality, c.year, json.dumps(list(c.themes))) for c in cases],
    )


def read_cases(connection: sqlite3.Connection) -> list[CaseInfo]:
    rows = connection.execute("SELECT case_id, title, municipality, year, themes FROM cases ORDER BY case_id")
    return [CaseInfo(cid, title, muni, year, tuple(json.loads(themes))) for cid, title, muni, year, themes in rows]


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


def read_documents(connection: sqlite3.Connection) -> list[DocumentRow]:
    rows = connection.execute(
        "SELECT path, sha256, size, case_id, kind, title, pages, status, reason FROM documents ORDER BY path"
    )
    return [
        DocumentRow(path, sha, size, case_id, DocumentKind(kind) if kind else None, title, pages, status, reason)
        for path, sha, size, case_id, kind, title, pages, status, reason in rows
    ]


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


_CHUNK_COLUMNS = 'id, document, ordinal, text, start, "end", page_start, page_end, section'


def _stored(row: tuple[Any, ...]) -> StoredChunk:
    cid, document, ordinal, text, start, end, page_start, page_end, section = row
    return StoredChunk(cid, Chunk(document, ordinal, text, start, end, page_start, page_end, section))


def read_chunks_of(connection: sqlite3.Connection, documents: Iterable[str]) -> list[StoredChunk]:
    found: list[StoredChunk] = []
    for path in documents:
        rows = connection.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE document = ? ORDER BY ordinal", (path,))
        found.extend(_stored(row) for row in rows)
    return found


def read_chunks_by_id(connection: sqlite3.Connection, ids: Iterable[int]) -> dict[int, StoredChunk]:
    wanted = [int(i) for i in ids]
    if not wanted:
        return {}
    marks = ",".join("?" * len(wanted))
    rows = connection.execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE id IN ({marks})", wanted)
    return {row[0]: _stored(row) for row in rows}


def chunk_ids_where(
    connection: sqlite3.Connection,
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
    if case is not None:
        clauses.append("d.case_id = ?")
        params.append(case)
    if municipality is not None:
        clauses.append("c.municipality = ? COLLATE NOCASE")
        params.append(municipality)
    if kind is not None:
        clauses.append("d.kind = ?")
        params.append(kind)
    if year is not None:
        clauses.append("c.year = ?")
        params.append(year)
    where = " AND ".join(clauses) or "1"
    rows = connection.execute(
        "SELECT k.id FROM chunks k JOIN documents d ON d.path = k.document "
        f"LEFT JOIN cases c ON c.case_id = d.case_id WHERE {where}",
        params,
    )
    return [row[0] for row in rows]


@dataclass(frozen=True)
class SentenceRow:
    """A sentence of a chunk (offsets into the chunk text) and its embeddings."""

    chunk_id: int
    start: int
    end: int
    page: int | None  # the page the sentence starts on (PDFs)
    vector: bytes  # float32: embedded as a passage, as the chunks are
    as_question: bytes  # float32: embedded as a query, like the question it is compared with


def write_sentences(connection: sqlite3.Connection, rows: Iterable[SentenceRow]) -> None:
    connection.executemany(
        "INSERT INTO sentences VALUES (?, ?, ?, ?, ?, ?)",
        [(r.chunk_id, r.start, r.end, r.page, r.vector, r.as_question) for r in rows],
    )


def read_sentences(connection: sqlite3.Connection, chunk_ids: Iterable[int]) -> list[SentenceRow]:
    wanted = [int(i) for i in chunk_ids]
    found: list[SentenceRow] = []
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        marks = ",".join("?" * len(part))
        rows = connection.execute(
            f'SELECT chunk_id, start, "end", page, vector, as_question FROM sentences WHERE chunk_id IN ({marks}) '
            "ORDER BY chunk_id, start",
            part,
        )
        found.extend(SentenceRow(*row) for row in rows)
    return found


def read_sentence_vectors(connection: sqlite3.Connection) -> list[tuple[int, bytes, bytes]]:
    """Every sentence's chunk id and its vectors (as a passage, as a query), in chunk and text order."""
    return connection.execute("SELECT chunk_id, vector, as_question FROM sentences ORDER BY chunk_id, start").fetchall()


def write_guard(connection: sqlite3.Connection, vectors: Iterable[tuple[int, bytes]]) -> None:
    """Each chunk's vector from the guard encoder (float32 bytes), used to judge whether a question is on topic."""
    connection.executemany("INSERT INTO guard VALUES (?, ?)", list(vectors))


def read_guard(connection: sqlite3.Connection, chunk_ids: Iterable[int]) -> dict[int, bytes]:
    wanted = [int(i) for i in chunk_ids]
    found: dict[int, bytes] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start : start + 500]
        marks = ",".join("?" * len(part))
        found.update(connection.execute(f"SELECT chunk_id, vector FROM guard WHERE chunk_id IN ({marks})", part))
    return found
