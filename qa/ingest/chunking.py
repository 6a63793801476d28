"""Structure-aware chunking: pure functions from a Document to its Chunks.

A chunk never crosses a heading or a document; it grows sentence by sentence up to the size
setting, prefers to end at a paragraph break once it is long enough, and repeats up to `overlap`
characters of whole sentences from the chunk before it within the same section. Every chunk's
text is exactly ``document.text[start:end]``, so a citation can always be found again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.ingest.readers.tables import TABLE_ROW
from qa.records import Chunk, Document
from qa.settings import ChunkSettings
from qa.vocabulary import packaged

_ABBREVIATIONS = packaged().abbreviations  # "bijv", "o.a", "dhr": their full stop ends no sentence
# A sentence ends at ".", "!", "?" or "…" before a space and a capital, digit or bullet; at a line break;
# or, in text that lost its spaces ("… van proactieve aard.Zonder te veel …"), at a word's end glued to a
# capitalised word, unless that word runs on into a domain ("www.Rijksoverheid.nl").
_BOUNDARY = re.compile(
    r"([.!?…][\"”')\]]*)[ \t]+(?=[\"“'(\[]?[A-ZÀ-ÖØ-Þ0-9€•-])"
    r"|\n+"
    r"|(?<=[a-zß-öø-ÿ]{2})([.!?])(?=[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+\b(?!\.\w))"
)


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    page: int | None
    section: str | None
    block: int
    is_heading: bool


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (and line) spans of `text`, skipping boundaries after common abbreviations."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        glued = match.group(2) is not None
        cut = match.end(1) if match.group(1) is not None else match.end(2) if glued else match.start()
        head = text[start:cut].rstrip()
        last_word = head.rsplit(None, 1)[-1].lower().rstrip(".") if head else ""
        if "\n" not in match.group(0) and (
            last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha())
        ):
            continue
        if head:
            spans.append((start, start + len(head)))
        start = match.end()
    tail = text[start:].rstrip()
    if tail:
        spans.append((start, start + len(tail)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


MIN_SENTENCE = 25  # shorter units (headings, labels, table cells) are not quoted or embedded alone


def quotable_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of a passage that can stand alone as a quote: long enough, not a bare heading line."""
    spans = []
    for a, b in split_sentences(text):
        sentence = text[a:b]
        if len(sentence) < MIN_SENTENCE:
            continue
        if TABLE_ROW.match(sentence):
            spans.append((a, b))  # a table row as the readers write it: "Post: Moderatie; Kosten per jaar: € 15.000"
            continue
        if len(sentence) < 80 and not sentence.rstrip("\"”')").endswith((".", "!", "?", ":", ";")):
            continue  # a heading or a bare line
        spans.append((a, b))
    return spans


def document_units(document: Document) -> list[Unit]:
    units: list[Unit] = []
    for index, (offset, block) in enumerate(zip(document.block_starts, document.blocks, strict=True)):
        if block.is_heading:
            units.append(Unit(offset, offset + len(block.text), block.page, block.section, index, True))
        else:
            for a, b in split_sentences(block.text):
                units.append(Unit(offset + a, offset + b, block.page_at(a), block.section, index, False))
    return units


def _block_ends(units: list[Unit]) -> dict[int, int]:
    ends: dict[int, int] = {}
    for unit in units:
        ends[unit.block] = unit.end
    return ends


def chunk_document(document: Document, settings: ChunkSettings) -> list[Chunk]:
    """Cut one document into passages (see module docstring)."""
    units = document_units(document)
    block_end = _block_ends(units)
    text = document.text
    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        first = units[i]
        j = i + 1
        while j < len(units):
            unit, previous = units[j], units[j - 1]
            if unit.is_heading or unit.section != previous.section:
                break
            if unit.end - first.start > settings.size:
                break
            new_block = unit.block != previous.block
            if (
                new_block
                and previous.end - first.start >= settings.min_size
                and block_end[unit.block] - first.start > settings.size
            ):
                break
            j += 1
        span = units[i:j]
        pages = [u.page for u in span if u.page is not None]
        chunks.append(
            Chunk(
                document=document.path,
                ordinal=len(chunks),
                text=text[first.start : span[-1].end],
                start=first.start,
                end=span[-1].end,
                page_start=min(pages) if pages else None,
                page_end=max(pages) if pages else None,
                section=first.section,
            )
        )
        i = _next_start(units, i, j, settings.overlap)
    return chunks


def _next_start(units: list[Unit], i: int, j: int, overlap: int) -> int:
    """Where the next chunk begins: back up over whole sentences worth at most `overlap` chars."""
    if j >= len(units) or overlap <= 0:
        return j
    nxt = units[j]
    if nxt.is_heading or nxt.section != units[j - 1].section:
        return j
    k = j
    while k - 1 > i and units[j - 1].end - units[k - 1].start <= overlap and not units[k - 1].is_heading:
        k -= 1
    return k


def chunk_documents(documents: list[Document], settings: ChunkSettings) -> list[Chunk]:
    return [chunk for document in documents for chunk in chunk_document(document, settings)]
