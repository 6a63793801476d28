"""The manifest of an index version: what it was built with, and what must match for it to be used.

Shared by the build path (`qa.index.build` writes it) and the query path (`qa.search.retrieval` checks it), so
it sits below both.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING

from qa.index.lexical import BM25_B, BM25_K1, PART_CHARS
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.index.embedders import Embedder

#: Bump when the tables of meta.sqlite change (`qa.index.store.SCHEMA`).
SCHEMA_VERSION = 4

#: Bump when what is embedded for a chunk changes (`qa.index.embedding.indexed_text`).
# 6: a sentence also ends where the space after its full stop was lost ("aard.Zonder");
# 5: PDF tables read as rows, table rows quotable, a paragraph a PDF page break cut in two mended;
# 4: Markdown list items keep a bullet
TEXT_FORMAT = 6

#: The fields that must match the settings for an index version to be used, in the order they are reported.
MATCHED = (
    "schema_version",
    "text_format",
    "encoder",
    "encoder_version",
    "dimension",
    "chunk_size",
    "chunk_overlap",
    "chunk_min_size",
    "sentence_vectors",
    "guard_encoder",
    "bm25_k1",
    "bm25_b",
    "bm25_parts",
)


@dataclass(frozen=True)
class Manifest:
    """What an index version was built with. A field an older version did not record is None, except
    the BM25 parameters: every version before they were recorded was built with the defaults."""

    schema_version: int | None = None
    text_format: int | None = None
    encoder: str | None = None
    encoder_version: str | None = None
    dimension: int | None = None
    chunk_size: int | None = None
    chunk_overlap: int | None = None
    chunk_min_size: int | None = None
    sentence_vectors: bool | None = None
    guard_encoder: str | None = None
    bm25_k1: float = BM25_K1
    bm25_b: float = BM25_B
    bm25_parts: int = 0  # the shortest part BM25 splits compounds into (0: whole words only, as before)
    # recorded, never compared
    next_id: int = 1  # the id the next new chunk gets
    # A first version, written before its sentences' vectors (`indexing.passages_first`): the chunks
    # from this id on have none yet, and the next update completes them. None: complete.
    sentences_from: int | None = None
    # A quick version (`indexing.guard_as_main`): on the guard encoder, served until the version of this
    # main encoder replaces it. None: built on the main encoder.
    stand_in_for: str | None = None
    built_at: str | None = None
    corpus: str | None = None

    @classmethod
    def wanted(cls, settings: Settings, embedder: Embedder) -> Manifest:
        """What the settings and the encoder ask of an index."""
        return cls(
            schema_version=SCHEMA_VERSION,
            text_format=TEXT_FORMAT,
            encoder=embedder.name,
            encoder_version=embedder.version,
            dimension=embedder.dimension,
            chunk_size=settings.chunk.size,
            chunk_overlap=settings.chunk.overlap,
            chunk_min_size=settings.chunk.min_size,
            sentence_vectors=settings.indexing.sentence_vectors,
            guard_encoder=settings.indexing.guard_encoder,
            bm25_parts=PART_CHARS,
        )

    @property
    def complete(self) -> bool:
        """Whether every sentence has its vectors (not a first version, from the passages alone)."""
        return self.sentences_from is None

    def differences(self, wanted: Manifest) -> list[str]:
        """Why this version cannot serve `wanted`'s settings, one line per field (empty: it can)."""
        return [
            f"{key}: index has {getattr(self, key)!r}, settings want {getattr(wanted, key)!r}"
            for key in MATCHED
            if getattr(self, key) != getattr(wanted, key)
        ]

    def as_stored(self) -> dict[str, str]:
        """Key and JSON value per field, as meta.sqlite's manifest table holds them."""
        return {key: json.dumps(value) for key, value in asdict(self).items()}

    @classmethod
    def from_stored(cls, stored: dict[str, str]) -> Manifest:
        """From the manifest table's keys and JSON values; keys this code does not know are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: json.loads(value) for key, value in stored.items() if key in known})
