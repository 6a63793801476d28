"""What a file must start with to be read as its type; ingestion and the upload check share it.

A PDF starts with ``%PDF-`` (after at most some whitespace, which pypdf skips too). A header
further on does not make a PDF: an executable or a web page can carry one in its first kilobyte.
"""

from __future__ import annotations

PDF_HEADER = b"%PDF-"
HEAD_BYTES = 1024  # how much of a file the checks look at


def starts_as_pdf(head: bytes) -> bool:
    """Whether `head` (the file's first bytes, at least `HEAD_BYTES` of them when the file has that many)
    begins with the PDF header, leading whitespace aside."""
    return head.lstrip().startswith(PDF_HEADER)
