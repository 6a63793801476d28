"""PDF reader: pypdf text per page, running headers/footers removed, headings detected."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import LimitExceededError, UnreadableDocumentError
from qa.ingest.readers import ReadResult
from qa.ingest.readers.pdf_glyphs import apply_mapping, has_private_use, repair_private_use
from qa.ingest.readers.sections import SectionTracker
from qa.ingest.readers.signature import HEAD_BYTES, PDF_HEADER, starts_as_pdf
from qa.ingest.readers.tables import Run, find_tables, table_lines, table_rows
from qa.records import Block
from qa.textclean import find_running_lines, join_hyphenated, normalize, strip_running_lines
from qa.vocabulary import packaged

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)

_BULLET = re.compile(rf"^\s*(?:[{re.escape(packaged().list_markers)}]|\d{{1,2}}[.)])\s+")
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


HEADING_SCALE = 1.05  # a line set in a font this much larger than the body text is a heading


def _text_runs(page: Any) -> list[Run]:
    """Every text run on a page, in content order: where it starts, its effective font size, its text."""
    runs: list[Run] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, font_size: float) -> None:
        if text.strip():
            scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
            x, y = round(tm[4] * cm[0] + cm[4], 1), round(tm[5] * cm[3] + cm[5], 1)
            runs.append(Run(x, y, float(font_size) * scale, text))

    page.extract_text(visitor_text=visit)
    return runs


def heading_lines(pages_runs: list[list[Run]]) -> list[dict[str, float]]:
    """Per page, the normalised text (and font size) of lines set larger than the body text.

    Empty everywhere when the document uses one size throughout (then headings are guessed
    from the shape of the lines instead).
    """
    weight: dict[float, int] = {}
    for runs in pages_runs:
        for run in runs:
            weight[round(run.size, 1)] = weight.get(round(run.size, 1), 0) + len(run.text.strip())
    if not weight:
        return [{} for _ in pages_runs]
    body = max(weight, key=lambda size: weight[size])
    result: list[dict[str, float]] = []
    for runs in pages_runs:
        lines: dict[float, list[tuple[float, str]]] = {}
        for run in runs:
            lines.setdefault(run.y, []).append((run.size, run.text))
        large: dict[str, float] = {}
        for parts in lines.values():
            sizes = [size for size, text in parts if text.strip()]
            if min(sizes) >= body * HEADING_SCALE:
                large[normalize("".join(text for _, text in parts)).replace("\n", " ").strip()] = round(min(sizes), 1)
        result.append(large)
    return result


def lines_to_blocks(
    lines: list[str],
    page: int,
    section: str | None,
    headings: dict[str, float] | None = None,
    tracker: SectionTracker | None = None,
    tables: dict[int, list[str]] | None = None,
) -> tuple[list[Block], str | None]:
    """Group one page's cleaned lines into heading and paragraph blocks.

    `headings` are the lines the font marks as headings; without them, headings are guessed.
    `tables` maps the first of the lines that hold a table to its rows (one block), the others to [].
    """
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            text = join_hyphenated("\n".join(paragraph)).replace("\n", " ")
            blocks.append(Block(text=text, page=page, section=section))
            paragraph.clear()

    previous: str | None = None
    previous_size: float | None = None  # font size of the heading just emitted, if the last block is one
    for index, line in enumerate(lines):
        if tables and index in tables:
            flush()
            if tables[index]:
                blocks.append(Block(text="\n".join(tables[index]), page=page, section=section))
            previous_size, previous = None, None
            continue
        following = lines[index + 1] if index + 1 < len(lines) else None
        if headings is not None and line in headings and len(line) <= 120:
            flush()
            tracker = tracker or SectionTracker()
            if blocks and blocks[-1].is_heading and previous_size == headings[line]:
                section = tracker.extend(line)  # one heading wrapped over two lines
                text = f"{blocks[-1].text} {line}"
                blocks[-1] = Block(text=text, page=page, section=section or text, is_heading=True)
            else:
                section = tracker.open(-headings[line], line) or line
                blocks.append(Block(text=line, page=page, section=section, is_heading=True))
            previous_size, previous = headings[line], line
            continue
        previous_size = None
        if not line:
            flush()
        elif headings is None and looks_like_heading(line, previous, following):
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


def read_pdf(path: Path, display: str, min_chars_per_page: int = 20, max_pages: int | None = None) -> ReadResult:
    """Read a PDF into blocks with 1-based page numbers.

    Raises UnreadableDocumentError for files that are not PDFs, truncated, corrupt,
    encrypted with a password, without a text layer, or with more than `max_pages` pages (counted
    before any page is read).
    """
    _check_signature(path.read_bytes(), display)
    extracted = _extract(path, display, max_pages)
    raw_pages, page_runs = extracted.texts, extracted.runs
    if not raw_pages:
        raise UnreadableDocumentError(display, "PDF has no pages")
    if any(has_private_use(text) for text in raw_pages):
        glyphs = repair_private_use(extracted.reader)  # ligatures and alternates shown as U+E000–U+F8FF
        raw_pages = [apply_mapping(text, glyphs) for text in raw_pages]
        page_runs = [[replace(r, text=apply_mapping(r.text, glyphs)) for r in runs] for runs in page_runs]
    pages = [normalize(text).split("\n") for text in raw_pages]
    total_chars = sum(len("".join(lines).replace(" ", "")) for lines in pages)
    if total_chars < min_chars_per_page * len(pages):
        raise UnreadableDocumentError(display, "scanned, no text layer; OCR is not supported")
    blocks, warnings = _page_blocks(pages, page_runs, extracted.by_font)
    return ReadResult(blocks=join_across_pages(blocks), pages=len(pages), warnings=warnings)


def _check_signature(raw: bytes, display: str) -> None:
    """Raise UnreadableDocumentError unless the file starts as a PDF and has its end-of-file marker."""
    if not starts_as_pdf(raw[:HEAD_BYTES]):
        raise UnreadableDocumentError(display, f"not a PDF (the file does not start with {PDF_HEADER.decode()})")
    if b"%%EOF" not in raw[-2048:]:
        raise UnreadableDocumentError(display, "truncated PDF (no end-of-file marker)")


@dataclass(frozen=True)
class _Extracted:
    """What pypdf gives of a PDF: per page its text, its text runs and the lines its font marks as headings."""

    reader: PdfReader
    texts: list[str]
    runs: list[list[Run]]
    by_font: list[dict[str, float]]


def _extract(path: Path, display: str, max_pages: int | None) -> _Extracted:
    """Open the PDF and extract its pages; whatever pypdf raises on a damaged file names the file."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        _decrypt(reader, display)
        _check_pages(reader, display, max_pages)
        raw_pages = [page.extract_text() or "" for page in reader.pages]
        try:
            page_runs = [_text_runs(page) for page in reader.pages]
        except Exception:  # font sizes and positions are a refinement: without them headings are guessed
            log.debug("no text positions for %s", display, exc_info=True)
            page_runs = [[] for _ in raw_pages]
        return _Extracted(reader, raw_pages, page_runs, heading_lines(page_runs))
    except UnreadableDocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise UnreadableDocumentError(display, f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # pypdf raises many kinds on damaged files; none may stop the run
        log.debug("unexpected pypdf failure on %s", display, exc_info=True)
        raise UnreadableDocumentError(display, f"corrupt PDF ({type(exc).__name__}: {exc})") from exc


def _decrypt(reader: PdfReader, display: str) -> None:
    """An encrypted PDF is opened with the empty password, or refused."""
    from pypdf.errors import FileNotDecryptedError

    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise UnreadableDocumentError(display, "encrypted PDF; it needs a password")
        except (FileNotDecryptedError, NotImplementedError) as exc:
            raise UnreadableDocumentError(display, f"encrypted PDF; it cannot be opened ({exc})") from exc


def _check_pages(reader: PdfReader, display: str, max_pages: int | None) -> None:
    """Raise LimitExceededError when the PDF has more than `max_pages` pages (counted before any is read)."""
    if max_pages is not None and len(reader.pages) > max_pages:
        raise LimitExceededError(
            display,
            f"{len(reader.pages)} pages, more than the limit of {max_pages} (QA_MAX_PDF_PAGES)",
            "QA_MAX_PDF_PAGES",
            len(reader.pages),
            max_pages,
        )


def _page_blocks(
    pages: list[list[str]], page_runs: list[list[Run]], by_font: list[dict[str, float]]
) -> tuple[list[Block], list[str]]:
    """The blocks of every page, running headers and footers removed, and a warning per empty page."""
    running = find_running_lines(pages)
    use_font = any(by_font)
    tracker = SectionTracker()
    blocks: list[Block] = []
    warnings: list[str] = []
    section: str | None = None
    for number, lines in enumerate(pages, start=1):
        cleaned = strip_running_lines(lines, running)
        headings = by_font[number - 1] if use_font else None
        tables = _tables(cleaned, page_runs[number - 1])
        page_blocks, section = lines_to_blocks(cleaned, number, section, headings, tracker, tables)
        blocks.extend(page_blocks)
        if not page_blocks:
            warnings.append(f"page {number} has no text")
    return blocks, warnings


def _tables(lines: list[str], runs: list[Run]) -> dict[int, list[str]]:
    """The page's tables, found from where its text runs stand, keyed by the first extracted line
    that holds each (its other lines map to nothing): rows instead of text run together."""
    found: dict[int, list[str]] = {}
    normalized = [replace(run, text=normalize(run.text)) for run in runs]
    for table in find_tables(normalized):
        indices = table_lines(lines, table)
        if indices and not any(i in found for i in indices):
            found.update({index: [] for index in indices})
            found[indices[0]] = table_rows([list(row) for row in table.rows])
    return found


_ENDS_SENTENCE = (".", "!", "?", ":", ";", "…", '"', "”", ")")


def join_across_pages(blocks: list[Block]) -> list[Block]:
    """Mend paragraphs a page break cut in two ("• Reserveer … ondersteuning, zoals een" |
    "initiatievenmakelaar of een kwartiermaker. Maak …"): when a page ends mid-sentence and the next
    one goes on in lower case, the two are one paragraph, which remembers where the next page begins,
    so that every sentence keeps the page it starts on (pure)."""
    mended: list[Block] = []
    for block in blocks:
        previous = mended[-1] if mended else None
        if (
            previous is not None
            and not previous.is_heading
            and not block.is_heading
            and previous.page is not None
            and previous.next_page_at is None
            and "\n" not in previous.text + block.text  # a table's rows stay rows
            and block.page == previous.page + 1
            and previous.section == block.section
            and not previous.text.rstrip().endswith(_ENDS_SENTENCE)
            and block.text[:1].islower()
        ):
            joined = join_hyphenated(f"{previous.text.rstrip()}\n{block.text}").replace("\n", " ")
            mended[-1] = Block(
                text=joined,
                page=previous.page,
                section=previous.section,
                next_page_at=len(joined) - len(block.text),
            )
        else:
            mended.append(block)
    return mended
