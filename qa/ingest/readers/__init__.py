"""Readers turn one file into text blocks. Each raises UnreadableDocumentError with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.records import Block


@dataclass
class ReadResult:
    blocks: list[Block]
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)
