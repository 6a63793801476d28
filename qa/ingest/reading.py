"""Reading one file with the reader its extension names, within the limits of its kind and of any kind.

Called in the reading worker (`qa.ingest.readworker`), which `qa.ingest.corpus` sends every document to.
"""

from __future__ import annotations

from pathlib import Path

from qa.errors import LimitExceededError
from qa.ingest.readers import ReadResult
from qa.settings import Settings

#: The extensions the corpus reads, and the reader each one names.
SUPPORTED = {".pdf": "pdf", ".docx": "docx", ".md": "text", ".markdown": "text", ".txt": "text"}


def read_file(path: Path, display: str, settings: Settings) -> ReadResult:
    """Parse one file with the reader its extension names; raises UnreadableDocumentError, also for a
    document over the limits of its kind (pages, unpacked size) or of any kind (characters)."""
    reader = SUPPORTED[path.suffix.lower()]
    if reader == "pdf":
        from qa.ingest.readers.pdf import read_pdf

        result = read_pdf(path, display, settings.min_text_chars_per_page, settings.max_pdf_pages)
    elif reader == "docx":
        from qa.ingest.readers.archive import ZipLimits
        from qa.ingest.readers.docx import read_docx

        result = read_docx(path, display, ZipLimits.from_settings(settings))
    else:
        from qa.ingest.readers.plain import read_text

        result = read_text(path, display)
    characters = sum(len(block.text) for block in result.blocks)
    if characters > settings.max_document_chars:
        raise LimitExceededError(
            display,
            f"{characters:,} characters of text, more than the limit of {settings.max_document_chars:,} "
            "(QA_MAX_DOCUMENT_CHARS)",
            "QA_MAX_DOCUMENT_CHARS",
            characters,
            settings.max_document_chars,
        )
    return result
