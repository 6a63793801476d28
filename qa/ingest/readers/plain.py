"""Markdown and plain-text reader: UTF-8, with a cp1252 fallback that is reported."""

from __future__ import annotations

import re
from pathlib import Path

from qa.errors import UnreadableDocumentError
from qa.ingest.readers import ReadResult
from qa.ingest.readers.sections import SectionTracker
from qa.records import Block
from qa.textclean import normalize
from qa.vocabulary import packaged

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def decode(raw: bytes, display: str) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM); otherwise cp1252, with a warning naming the file."""
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnreadableDocumentError(display, "text is neither UTF-8 nor cp1252") from exc
    return text, [f"{display}: not UTF-8; read as cp1252 (Windows-1252). Save it as UTF-8 to be sure."]


BULLET = packaged().bullets[0]  # a Markdown list item is written as PDFs show one


def _md_table_row(line: str) -> str:
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return " | ".join(cell for cell in cells if cell)


def markdown_blocks(text: str) -> list[Block]:
    """Headings become sections; paragraphs, list items and table rows become blocks."""
    blocks: list[Block] = []
    section: str | None = None
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block(text=" ".join(paragraph), section=section))
            paragraph.clear()

    in_table = False
    tracker = SectionTracker()
    for raw_line in normalize(text).split("\n"):
        line = _MD_EMPHASIS.sub(r"\2", raw_line)
        heading = _MD_HEADING.match(line)
        if heading:
            flush()
            title = heading.group(2)
            section = tracker.open(len(heading.group(1)), title) or title
            blocks.append(Block(text=title, section=section, is_heading=True))
        elif not line:
            flush()
            in_table = False
        elif line.startswith("|"):
            if not in_table:
                flush()
                in_table = True
            if not _MD_TABLE_RULE.match(line):
                paragraph.append(_md_table_row(line))
                flush()
        elif line.startswith(("- ", "* ", "+ ")):
            flush()
            paragraph.append(f"{BULLET} {line[2:].strip()}")  # marked as a list item, as PDFs show them
        else:
            paragraph.append(line)
    flush()
    return blocks


def plain_blocks(text: str) -> list[Block]:
    """Paragraphs separated by blank lines."""
    paragraphs = re.split(r"\n\s*\n", normalize(text))
    return [Block(text=" ".join(p.split("\n")).strip()) for p in paragraphs if p.strip()]


def read_text(path: Path, display: str) -> ReadResult:
    text, warnings = decode(path.read_bytes(), display)
    is_markdown = path.suffix.lower() in {".md", ".markdown"}
    blocks = markdown_blocks(text) if is_markdown else plain_blocks(text)
    return ReadResult(blocks=blocks, warnings=warnings)
