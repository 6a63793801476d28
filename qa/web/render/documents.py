"""A document opened at a passage: a PDF in the browser's viewer at its page, any other document as text;
the quote marked wherever it stands."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from qa.records import BLOCK_SEPARATOR, Block
from qa.service import DocumentView
from qa.web.render.labels import esc, kind_label

_WORD = re.compile(r"\S+")


def file_url(file: Path) -> str:
    """The URL Gradio serves a corpus file under (only the corpus folder is an allowed path)."""
    return "gradio_api/file=" + quote(str(file.resolve()))


def find_spans(text: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    """Where each quote stands in `text`, ignoring differences in whitespace; merged and sorted. A
    citation's quote of several parts ("first … second") is looked up part by part."""
    spans: list[tuple[int, int]] = []
    for quoted in (part for whole in quotes for part in whole.split(" … ")):
        words = _WORD.findall(quoted.strip())
        if not words:
            continue
        pattern = r"\s+".join(re.escape(word) for word in words)
        match = re.search(pattern, text)
        if match is None and len(words) > 3:  # a quote of several sentences: mark each one found
            for sentence in re.split(r"(?<=[.!?…])\s+", quoted.strip()):
                spans += find_spans(text, [sentence]) if sentence.strip() != quoted.strip() else []
            continue
        if match is not None:
            spans.append(match.span())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted(text: str, quotes: Iterable[str]) -> str:
    """`text` escaped, with each quote wrapped in <mark>."""
    out: list[str] = []
    cursor = 0
    for start, end in find_spans(text, quotes):
        out.append(esc(text[cursor:start]))
        out.append(f"<mark>{esc(text[start:end])}</mark>")
        cursor = end
    out.append(esc(text[cursor:]))
    return "".join(out)


def block_spans(blocks: Sequence[Block]) -> list[tuple[int, int]]:
    """Each block's offsets in the document text (blocks joined by BLOCK_SEPARATOR)."""
    spans = []
    position = 0
    for block in blocks:
        spans.append((position, position + len(block.text)))
        position += len(block.text) + len(BLOCK_SEPARATOR)
    return spans


def document_html(
    view: DocumentView,
    page: int | None = None,
    passage: tuple[int, int] | None = None,
    quote: str = "",
    passage_text: str = "",
) -> str:
    """A PDF at its page in the browser's viewer; any other document as text, the passage marked."""
    kind = esc(kind_label(view.kind))
    title = esc(view.title or view.path)
    head = f'<div class="doc-kop"><strong>{title}</strong> — {kind} <code>{esc(view.path)}</code></div>'
    if view.file.suffix.lower() == ".pdf":
        target = f"{file_url(view.file)}#page={page or 1}"
        where = f"pagina {page}" if page else "het begin"
        return (
            f'<div class="doc-view pdf">{head}'
            f'<iframe class="pdf-frame" src="{esc(target)}" title="{title}, {where}"></iframe>'
            f'<p><a class="pdf-link" href="{esc(target)}" target="_blank" rel="noopener noreferrer">'
            f"Open de PDF op {where} in een nieuw tabblad</a></p>"
            f"{_page_text(view, page, quote)}</div>"
        )
    hits = _passage_blocks(view.blocks, passage, passage_text or quote)
    marked = {i: highlighted(view.blocks[i].text, [quote]) for i in hits} if quote else {}
    # Scroll to the block holding the quote, else to where the passage starts.
    scroll_to = min((i for i, markup in marked.items() if "<mark>" in markup), default=min(hits, default=None))
    body: list[str] = []
    for index, block in enumerate(view.blocks):
        classes = []
        text = marked.get(index) or esc(block.text)
        if index in hits:
            classes.append("passage")
        if index == scroll_to:
            classes.append("doc-hit")
        tag = "h4" if block.is_heading else "p"
        body.append(f'<{tag} class="{" ".join(classes)}">{text}</{tag}>')
    return f'<div class="doc-view tekst">{head}<div class="doc-tekst">{"".join(body)}</div></div>'


def _page_text(view: DocumentView, page: int | None, quote: str) -> str:
    """The extracted text of the cited page, the quote marked: to check a citation at a glance."""
    blocks = [b for b in view.blocks if page is not None and b.page == page]
    if not blocks:
        return ""
    body = "".join(
        f"<{'h4' if b.is_heading else 'p'}>{highlighted(b.text, [quote]) if quote else esc(b.text)}"
        f"</{'h4' if b.is_heading else 'p'}>"
        for b in blocks
    )
    return (
        f'<details class="pdf-tekst"><summary>Tekst van pagina {page}, met het citaat gemarkeerd</summary>'
        f'<div class="doc-tekst">{body}</div></details>'
    )


def _passage_blocks(blocks: Sequence[Block], passage: tuple[int, int] | None, text: str) -> set[int]:
    """The blocks a passage covers: by its offsets, or else by finding its opening words."""
    spans = block_spans(blocks)
    if passage and passage[1] > passage[0]:
        hit = {i for i, (start, end) in enumerate(spans) if start < passage[1] and end > passage[0]}
        if hit:
            return hit
    words = _WORD.findall(text)
    for size in (12, 6, 3):
        probe = r"\s+".join(re.escape(w) for w in words[:size])
        if not probe:
            break
        for index, block in enumerate(blocks):
            match = re.search(probe, block.text)
            if match is not None:
                start = spans[index][0] + match.start()
                return {i for i, (s, e) in enumerate(spans) if e > start and s < start + len(text)}
    return set()
