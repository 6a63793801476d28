"""PDF reader: pypdf text per page, running headers/footers removed, headings detected."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from qa.errors import UnreadableDocumentError
from qa.readers import ReadResult
from qa.readers.pdf_glyphs import apply_mapping, has_private_use, repair_private_use
from qa.records import Block
from qa.textclean import find_running_lines, join_hyphenated, normalize, strip_running_lines

log = logging.getLogger(__name__)

_BULLET = re.compile(r"^\s*(?:[-•–·▪◦*]|\d{1,2}[.)])\s+")
_NUMBERED_HEADING = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+\S")
_SENTENCE_END = (".", ",", ";", ":", "?", "!", "”", '"')


def looks_like_heading(line: str, previous: str | None, following: str | None = None) -> bool:
    """A short line without closing punctuation that starts a new thought, e.g. 'Succesfactoren'."""
    words = line.split()
    if not words or len(words) > 9 or len(line) > 80 or line.endswith((*_SENTENCE_END, "-")):
        return False
    if following and following[0].islower():
        return False
    if _BULLET.match(line) and not _NUMBERED_HEADING.match(line):
        return False
    if not (line[0].isupper() or _NUMBERED_HEADING.match(line)):
        return False
    return previous is None or previous.endswith((".", ":", "?", "!")) or looks_short(previous)


def looks_short(line: str) -> bool:
    return len(line.split()) <= 9 and not line.endswith(_SENTENCE_END)


def lines_to_blocks(lines: list[str], page: int, section: str | None) -> tuple[list[Block], str | None]:
    """Group one page's cleaned lines into heading and paragraph blocks."""
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            text = join_hyphenated("\n".join(paragraph)).replace("\n", " ")
            blocks.append(Block(text=text, page=page, section=section))
            paragraph.clear()

    previous: str | None = None
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        if not line:
            flush()
        elif looks_like_heading(line, previous, following):
            flush()
            section = line
            blocks.append(Block(text=line, page=page, section=section, is_heading=True))
        elif _BULLET.match(line):
            flush()
            paragraph.append(line)
        else:
            paragraph.append(line)
        previous = line or previous
    flush()
    return blocks, section


def read_pdf(path: Path, display: str, min_chars_per_page: int = 20) -> ReadResult:
    """Read a PDF into blocks with 1-based page numbers.

    Raises UnreadableDocumentError for files that are not PDFs, truncated, corrupt,
    encrypted with a password, or without a text layer.
    """
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    raw = path.read_bytes()
    if not raw.lstrip()[:5].startswith(b"%PDF"):
        raise UnreadableDocumentError(display, "not a PDF (the file does not start with %PDF)")
    if b"%%EOF" not in raw[-2048:]:
        raise UnreadableDocumentError(display, "truncated PDF (no end-of-file marker)")
    warnings: list[str] = []
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise UnreadableDocumentError(display, "encrypted PDF; it needs a password")
            except (FileNotDecryptedError, NotImplementedError) as exc:
                raise UnreadableDocumentError(display, f"encrypted PDF; it cannot be opened ({exc})") from exc
        raw_pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableDocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise UnreadableDocumentError(display, f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # pypdf raises many kinds on damaged files; none may stop the run
        log.debug("unexpected pypdf failure on %s", display, exc_info=True)
        raise UnreadableDocumentError(display, f"corrupt PDF ({type(exc).__name__}: {exc})") from exc

    if not raw_pages:
        raise UnreadableDocumentError(display, "PDF has no pages")
    if any(has_private_use(text) for text in raw_pages):
        glyphs = repair_private_use(reader)  # ligatures and alternates shown as U+E000–U+F8FF
        raw_pages = [apply_mapping(text, glyphs) for text in raw_pages]
    pages = [normalize(text).split("\n") for text in raw_pages]
    total_chars = sum(len("".join(lines).replace(" ", "")) for lines in pages)
    if total_chars < min_chars_per_page * len(pages):
        raise UnreadableDocumentError(display, "scanned, no text layer; OCR is not supported")

    running = find_running_lines(pages)
    blocks: list[Block] = []
    section: str | None = None
    for number, lines in enumerate(pages, start=1):
        cleaned = strip_running_lines(lines, running)
        page_blocks, section = lines_to_blocks(cleaned, number, section)
        blocks.extend(page_blocks)
        if not page_blocks:
            warnings.append(f"page {number} has no text")
    return ReadResult(blocks=blocks, pages=len(pages), warnings=warnings)
