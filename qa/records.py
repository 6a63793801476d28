"""Typed records that flow between the stages: ingest -> chunk -> index -> retrieve -> answer."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class DocumentKind(StrEnum):
    DOCUMENTANALYSE = "documentanalyse"
    INTERVIEW_AMBTENAAR = "interview-ambtenaar"
    INTERVIEW_BEWONER = "interview-bewoner"
    OVERIG = "overig"
    STUDIE = "studie"


#: Kinds a case.toml may name (``studie`` is reserved for documents under ``study/``).
CASE_DOCUMENT_KINDS = frozenset(kind.value for kind in DocumentKind if kind is not DocumentKind.STUDIE)


@dataclass(frozen=True)
class Block:
    """One piece of extracted text in document order: a paragraph, a heading, a table row group."""

    text: str
    page: int | None = None  # 1-based for PDFs, None otherwise
    section: str | None = None  # nearest heading above (or this heading itself)
    is_heading: bool = False
    next_page_at: int | None = None  # a paragraph that runs on over a page break: where the next page begins

    def page_at(self, offset: int) -> int | None:
        """The page that the text at `offset` (into this block's text) stands on."""
        if self.page is not None and self.next_page_at is not None and offset >= self.next_page_at:
            return self.page + 1
        return self.page


@dataclass(frozen=True)
class CaseInfo:
    """A case's metadata from its case.toml (or derived from the folder when that is missing)."""

    case_id: str  # the folder name (slug)
    title: str
    municipality: str | None = None
    year: int | None = None
    themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentMeta:
    """What a case.toml says about one document."""

    file: str
    kind: DocumentKind
    title: str


@dataclass(frozen=True)
class Document:
    """A readable document with its extracted text blocks and where it belongs."""

    path: str  # relative to the corpus root, POSIX style: cases/<slug>/file.pdf
    kind: DocumentKind
    title: str
    case: CaseInfo | None
    sha256: str
    size: int
    pages: int | None
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        """The document's text; chunk offsets point into this string."""
        return BLOCK_SEPARATOR.join(block.text for block in self.blocks)

    @cached_property
    def block_starts(self) -> tuple[int, ...]:
        """Where each block starts in `text`."""
        starts, offset = [], 0
        for block in self.blocks:
            starts.append(offset)
            offset += len(block.text) + len(BLOCK_SEPARATOR)
        return tuple(starts)

    def page_at(self, offset: int) -> int | None:
        """The page that the text at `offset` (into `text`) stands on."""
        number = max(0, bisect_right(self.block_starts, offset) - 1)
        return self.blocks[number].page_at(offset - self.block_starts[number]) if self.blocks else None

    @property
    def words(self) -> int:
        return sum(len(block.text.split()) for block in self.blocks)


BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Chunk:
    """A passage of one document: the unit that is embedded, searched and cited."""

    document: str  # Document.path
    ordinal: int  # position within the document, 0-based
    text: str  # == document.text[start:end]
    start: int
    end: int
    page_start: int | None
    page_end: int | None
    section: str | None


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested, with the reason shown to the user."""

    path: str
    reason: str


@dataclass(frozen=True)
class Notice:
    """A warning about a file that was still ingested (or whose siblings were)."""

    path: str
    message: str


@dataclass
class IngestReport:
    """Everything a pass over the corpus found."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    cases: list[CaseInfo] = field(default_factory=list)


@dataclass(frozen=True)
class Citation:
    """One source of an answer: the passage, and the sentence(s) quoted from it."""

    n: int  # the marker [n] in the answer text
    chunk_id: int
    case_id: str | None
    case_title: str | None
    municipality: str | None
    document: str  # relative to the corpus root
    kind: str | None
    title: str | None
    page: int | None  # 1-based for PDFs, None otherwise
    section: str | None
    text: str  # the whole passage
    quote: str  # the sentence(s) quoted in the answer, verbatim from `text`
    start: int = 0  # the passage's offsets in the document text
    end: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "n": self.n,
            "case_id": self.case_id,
            "case_title": self.case_title,
            "municipality": self.municipality,
            "document": self.document,
            "kind": self.kind,
            "title": self.title,
            "page": self.page,
            "text": self.text,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class CaseVerdict:
    """For a question asked across cases: whether one case speaks to it (is quoted), and how strongly
    its best sentence answers (-1: none of its passages was gathered)."""

    case_id: str
    case_title: str
    municipality: str | None
    relevant: bool
    score: float

    def as_json(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "case_title": self.case_title,
            "municipality": self.municipality,
            "relevant": self.relevant,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class Answer:
    """What the user sees: Markdown text with markers [n], and the sources they point to."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    language: str = "nl"
    suggestions: tuple[str, ...] = ()  # nearby topics the study does cover, offered on abstention
    scope: tuple[str, ...] = ()  # case ids the question was restricted to
    cases: tuple[CaseVerdict, ...] = ()  # asked across cases: every case considered, and whether it speaks to it
    provisional: bool = False  # from a quick version, served until the complete index is in

    def as_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "provisional": self.provisional,
            "citations": [c.as_json() for c in self.citations],
            "cases": [c.as_json() for c in self.cases],
        }


@dataclass(frozen=True)
class Turn:
    """One earlier turn of the conversation."""

    role: str  # "user" | "assistant"
    content: str
    scope: tuple[str, ...] = ()  # for assistant turns: the cases its answer cited
