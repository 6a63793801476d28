"""Pure text clean-up shared by the readers (Unicode, whitespace, hyphenation, running headers), and the
folding that lets search match words with or without accents."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\ufeff"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:(?:pagina|page|blz\.?|p\.)\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?"
    r"(?:\s*(?:van|of|/)\s*\d{1,4})?\s*$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
# A word broken at the line end: letter, hyphen, newline, lower-case letter.
_HYPHENATED = re.compile(r"(\w)-\n([a-zà-ÿ])")


def normalize(text: str) -> str:
    """NFKC (so ligatures like 'ﬁ' become 'fi'), drop invisible characters, tidy spaces per line."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines)


def join_hyphenated(text: str) -> str:
    """Join words hyphenated across line ends ('partici-\\npatie' -> 'participatie')."""
    return _HYPHENATED.sub(r"\1\2", text)


def is_page_number(line: str) -> bool:
    return bool(_PAGE_NUMBER.match(line))


def _shape(line: str) -> str:
    """A line with its numbers blanked, so 'Pagina 2 van 5' and 'Pagina 3 van 5' match."""
    return _DIGITS.sub("#", line.strip().lower())


def find_running_lines(pages: Sequence[Sequence[str]], edge: int = 3) -> set[str]:
    """Shapes of lines that repeat at the top or bottom of most pages (running headers/footers).

    A line counts when its shape appears within `edge` lines of the top or bottom on at least
    half of the pages, and on at least two pages.
    """
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = {_shape(line) for line in [*lines[:edge], *lines[-edge:]] if line.strip()}
        counts.update(edges)
    needed = max(2, (len(pages) + 1) // 2)
    return {shape for shape, n in counts.items() if n >= needed and shape.strip("# ")}


def strip_running_lines(lines: Sequence[str], running: set[str], edge: int = 3) -> list[str]:
    """Drop running headers/footers and bare page numbers from the edges of one page."""
    kept = list(lines)
    top = [i for i in range(min(edge, len(kept)))]
    bottom = [i for i in range(max(0, len(kept) - edge), len(kept))]
    drop = {i for i in {*top, *bottom} if _shape(kept[i]) in running or is_page_number(kept[i]) or not kept[i].strip()}
    return [line for i, line in enumerate(kept) if i not in drop]


def fold_text(text: str) -> str:
    """Lower case without accents, so 'coöperatie' and 'cooperatie' meet."""
    lowered = text.lower()
    if lowered.isascii():  # most text: nothing to strip (the per-character loop dominated index builds)
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
