"""DOCX reader: paragraphs, headings (as sections) and tables (as readable rows), in document order."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from qa.errors import UnreadableDocumentError
from qa.ingest.readers import ReadResult
from qa.ingest.readers.archive import ZipLimits, check_zip
from qa.ingest.readers.sections import SectionTracker
from qa.ingest.readers.tables import table_rows
from qa.records import Block
from qa.textclean import normalize
from qa.vocabulary import packaged


def heading_level(paragraph: Any) -> int | None:
    """0 for a title, N for 'Heading N' (or Dutch 'Kop N'), None for body text."""
    style = ((paragraph.style.name if paragraph.style is not None else "") or "").lower()
    words = packaged()
    if not style.startswith(words.heading_styles):
        return None
    if style.startswith(words.title_styles):
        return 0
    digits = "".join(ch for ch in style if ch.isdigit())
    return int(digits) if digits else 1


def _cells(table: Any) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.rows:
        texts: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell repeats; read it once
                continue
            seen.add(id(cell._tc))
            texts.append(normalize(cell.text).replace("\n", " ").strip())
        rows.append(texts)
    return rows


def read_docx(path: Path, display: str, limits: ZipLimits) -> ReadResult:
    """Read a DOCX into blocks; headings start sections, each table becomes one block.

    Its ZIP directory is checked against `limits` first: a zip bomb is never unpacked."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    with path.open("rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            raise UnreadableDocumentError(display, "not a DOCX (the file is not a ZIP archive)")
    check_zip(path, display, limits)
    try:
        document = docx.Document(str(path))
        items = list(document.iter_inner_content())
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableDocumentError(display, f"broken DOCX ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # lxml and python-docx raise many kinds on damaged files
        raise UnreadableDocumentError(display, f"broken DOCX ({type(exc).__name__}: {exc})") from exc

    blocks: list[Block] = []
    section: str | None = None
    tracker = SectionTracker()
    for item in items:
        if isinstance(item, Paragraph):
            text = normalize(item.text).replace("\n", " ").strip()
            if not text:
                continue
            level = heading_level(item)
            if level is not None:
                section = tracker.open(level, text) or text
                blocks.append(Block(text=text, section=section, is_heading=True))
            else:
                blocks.append(Block(text=text, section=section))
        elif isinstance(item, Table):
            rows = table_rows(_cells(item))
            if rows:
                blocks.append(Block(text="\n".join(rows), section=section))
    return ReadResult(blocks=blocks)
