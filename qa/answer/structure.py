"""What a passage's structure says about quoting it: the parts of a section a question asks to
enumerate, the list a sentence ending in a colon announces, tables that text extraction ran
together into one "sentence", and the interviewer's question an interview answer replies to. Pure
functions over passages."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.ingest.readers.sections import leaf, parent
from qa.ingest.readers.tables import is_header_line
from qa.search.question import QuestionCues
from qa.search.retrieval import Hit
from qa.vocabulary import packaged

_FUNCTION_WORDS = frozenset().union(*packaged().function_words.values())
_PUNCTUATION = ",.;:()[]\"'“”‘’!?"
_SENTENCE_FUNCTION_WORDS = 0.3  # share of function words from which a run of capitals is a sentence


@dataclass(frozen=True)
class Outline:
    """The parts of a section a question asks to enumerate ("wat zijn de overkoepelende
    succesfactoren?"), each quoted by its heading from the passage it opens with."""

    section: str  # the section's path in its document
    group: str  # its case id, "" for the study
    parts: tuple[Hit, ...]

    @property
    def name(self) -> str:
        return leaf(self.section)


def find_outline(
    hits: Sequence[Hit],
    cues: QuestionCues,
    subsections: Callable[[str, str], list[Hit]],
    min_parts: int,
    scope: Sequence[str] = (),
) -> Outline | None:
    """For a question that asks for an enumeration: a section with at least `min_parts` subsections
    whose own passage is among the best five, or two of whose subsections are among the best eight.
    A question restricted to some cases only gets the outline of one of their own documents."""
    if not cues.listing:
        return None
    hits = [h for h in hits if not scope or h.case_id in scope]
    wanted: list[tuple[str, str, str]] = [(h.document, h.section, h.case_id or "") for h in hits[:5] if h.section]
    parents: dict[tuple[str, str], int] = {}
    for h in hits[:8]:
        above = parent(h.section)
        if above:
            parents[(h.document, above)] = parents.get((h.document, above), 0) + 1
    by_document = {h.document: h.case_id or "" for h in hits}
    wanted += [(doc, parent, by_document[doc]) for (doc, parent), n in parents.items() if n >= 2]
    for document, section, group in dict.fromkeys(wanted):
        parts = subsections(document, section)
        if len(parts) >= min_parts:
            return Outline(section, group, tuple(parts))
    return None


def heading_span(hit: Hit) -> tuple[int, int] | None:
    """Where the passage's own heading (the leaf of its section) stands in its text."""
    heading = leaf(hit.section).strip()
    at = hit.text.find(heading) if heading else -1
    return (at, at + len(heading)) if at >= 0 else None


_BULLETS = packaged().bullets
#: A sentence that announces what follows without a colon: "... doen we de volgende aanbevelingen."
_ANNOUNCES = packaged().announces_list


def list_items(text: str, end: int, limit: int = 8, longest: int = 400) -> list[tuple[int, int]]:
    """The items of a list that a quote announces: after a colon ("Daarbij hanteerden we deze criteria:"
    / "• Spreiding over ...: ..." / "• Actualiteit: ..."), or after a sentence that says what follows
    ("de volgende aanbevelingen.") when bullets follow. When the first item is bulleted, the list ends
    at the first line that neither has a bullet nor carries on the item before it."""
    head, rest = text[:end].rstrip(), text[end:].lstrip(" \t")
    if not rest.startswith("\n"):
        return []  # the sentence goes on after it on the same line
    if head.endswith(":"):
        return _lines(text, end, limit, longest)
    sentence_start = max(head.rfind(". "), head.rfind("\n")) + 1
    if head.endswith(".") and _ANNOUNCES.search(head[sentence_start:]) and rest.lstrip()[:1] in _BULLETS:
        return _lines(text, end, limit, longest, bulleted=True)
    return []


def finding_start(text: str, position: int) -> int | None:
    """Where the bulleted item holding `position` begins, after its bullet: a success factor or point
    of attention is stated as a list item whose first sentence names the finding ("• De wijkregisseur
    was het enige aanspreekpunt. Indieners hoefden ..."). None when the line has no bullet."""
    line = text.rfind("\n", 0, position) + 1
    start = line
    while start < position and text[start] in " \t":
        start += 1
    if start >= position or text[start] not in _BULLETS:
        return None
    start += 1
    while start < position and text[start] in " \t":
        start += 1
    return start


def ends_in_list(text: str) -> bool:
    """Whether a passage's last line is a bulleted item: its list may run on into the next passage."""
    lines = [line.strip() for line in text.rstrip().splitlines() if line.strip()]
    return bool(lines) and lines[-1][0] in _BULLETS


def list_continues(text: str, items: Sequence[tuple[int, int]]) -> bool:
    """Whether a bulleted list runs on past the end of its passage (its last item ends the text)."""
    if not items or items[-1][1] < len(text.rstrip()):
        return False
    line = text[text.rfind("\n", 0, items[0][0]) + 1 : items[0][0]].strip()
    return bool(line) and line[0] in _BULLETS


def continued_items(
    text: str, quoted: set[str], cut: bool = False, limit: int = 8, longest: int = 400
) -> list[tuple[int, int]]:
    """The rest of a bulleted list at the start of the next passage, without the items it repeats
    from the previous one (passages overlap by a sentence or two). A line before the first bullet is
    the tail of the previous passage's last item when that item was cut off mid-sentence (`cut`) or
    already holds it; it is not quoted."""
    lines = [m for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    if not lines:
        return []
    head = lines[0].group().strip()
    tail = cut or any(head in item for item in quoted)  # cut off before, or repeated by the overlap
    first = 1 if tail and head[:1] not in _BULLETS else 0
    if first >= len(lines) or lines[first].group().lstrip()[:1] not in _BULLETS:
        return []  # the passage does not go on with the list
    items = _lines(text, lines[first].start(), limit, longest, bulleted=True)
    return [(a, b) for a, b in items if text[a:b] not in quoted]


def _lines(text: str, start: int, limit: int, longest: int, bulleted: bool | None = None) -> list[tuple[int, int]]:
    items: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text[start:]):
        a, b = start + line.start(), start + line.end()
        while a < b and text[a] in " \t":
            a += 1
        if bulleted is None and a < b:
            bulleted = text[a] in _BULLETS  # the first item decides what kind of list this is
        if bulleted and a < b and text[a] not in _BULLETS:
            if text[a].islower():
                continue  # an item carried over a page break ("... zoals een" / "initiatievenmakelaar ...")
            break
        if is_header_line(text[a:b]):
            continue  # a table's header line ("Nr. | Aanbeveling | Besluit raad"): its rows are the items
        while a < b and text[a] in _BULLETS + " \t":
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a > longest or len(items) == limit:
            break
        if b > a:
            items.append((a, b))
    return items


def tabular(text: str, min_words: int = 25, share: float = 0.45) -> bool:
    """Whether text reads as table cells run together rather than a sentence: long, much of it
    capitalised words, numbers or amounts ("Nr. Casus Gemeente Jaar 1 Buurtbudget Noorderpolder 2015"),
    and few of the words a sentence is built with ("de", "van", "aan", "over"): a sentence full of
    names ("Vragen van de leden Van Weyenberg, Romke de Jong en Kat (allen D66) aan de Minister van
    Sociale Zaken ...") is still a sentence. Measured on the sample study: its tables score 0.44-0.90 on
    capitals, its sentences after a colon at most 0.35; on real reports and parliamentary answers,
    tables run together have at most 0.25 function words, sentences full of names from 0.30."""
    words = text.split()
    if len(words) < min_words:
        return False
    cells = sum(1 for w in words if w[0].isupper() or w[0].isdigit() or w[0] in "€%")
    built = sum(1 for w in words if w.strip(_PUNCTUATION).lower() in _FUNCTION_WORDS)
    return cells / len(words) >= share and built / len(words) < _SENTENCE_FUNCTION_WORDS


#: A line that is not prose: a table of contents' dot leaders ("Samenvatting ......... 3"), a form's blanks.
_LEADERS = re.compile(r"(?:\.\s?){4,}|…{2,}|_{4,}")
#: ... or a web address standing for a sentence ("https://open.minvws.nl/dossier/...").
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+")
#: ... or a heading-like line ending in a page number, without a sentence's closing mark ("2.1 Scope 7").
_PAGE_NUMBER_END = re.compile(r"\s\d{1,3}$")


def is_prose(text: str) -> bool:
    """Whether text reads as a sentence rather than as a line of a table of contents, a running header
    with its page number, a form field or a bare link: no dot leaders or blanks, not mostly a web
    address, and no page number at the end of a short line without a closing mark or a table row's
    labelled cells."""
    stripped = text.strip()
    if _LEADERS.search(stripped):
        return False
    if sum(len(m.group()) for m in _ADDRESS.finditer(stripped)) > len(stripped) / 2:
        return False  # mostly a web address: a link, not a finding
    # a table row read as a sentence ("Deelnemers: 48") ends in a number too, but labels its cells
    heading_like = len(stripped) < 100 and ":" not in stripped and ";" not in stripped
    return not (heading_like and _PAGE_NUMBER_END.search(stripped) and not stripped.endswith((".", "!", "?", ")")))


_PROMPT = packaged().prompt


def interviewer_prompt(text: str, position: int) -> str | None:
    """The interviewer's question last asked before `position` in an interview passage ("Wat zou u
    andere gemeenten aanraden?"): what the answer there replies to. None when the passage starts
    in the middle of an answer."""
    found = None
    for match in _PROMPT.finditer(text, 0, position):
        found = match.group(1).strip()
    return found
