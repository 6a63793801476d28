"""HTML and Markdown for the web app, built from the service's records. Pure: no Gradio, no I/O.

Everything that comes from a document (passages, quotes, titles, file names) and everything a
user typed is escaped with `html.escape` before it is put into markup: text from documents is
shown as text, never run as HTML or script.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from qa.answer.matrix import FactorMatrix
from qa.index.build import IndexSummary
from qa.records import BLOCK_SEPARATOR, Answer, Block, Citation
from qa.service import CaseFinding, CaseOverview, DocumentInfo, DocumentView, IndexStatus

KIND_LABELS = {
    "documentanalyse": "documentanalyse",
    "interview-ambtenaar": "interview met een ambtenaar",
    "interview-bewoner": "interview met een bewoner",
    "overig": "overig document",
    "studie": "onderzoeksrapport",
}
ENGLISH_KIND_LABELS = {
    "documentanalyse": "document analysis",
    "interview-ambtenaar": "interview with an official",
    "interview-bewoner": "interview with a resident",
    "overig": "other document",
    "studie": "research report",
}

# What the chat says around an answer, in the answer's language (the rest of the page is Dutch).
ANSWER_LABELS = {
    "nl": {
        "sources": "Bronnen",
        "sources_of": "Bronnen bij antwoord {n}",
        "source": "Bron {n}",
        "study": "Het onderzoek als geheel",
        "open": "Open het document",
        "open_page": "Open het document op p. {page}",
        "quoted": "Geciteerd",
        "question": "Vraag {n}",
        "answer": "Antwoord",
        "none": "Geen bronnen.",
        "none_abstained": "Geen bronnen: het onderzoek geeft op deze vraag geen antwoord.",
        "no_index_yet": (
            "Het onderzoek wordt nog geïndexeerd; zodra dat klaar is (zie de melding boven het gesprek) "
            "kun je je vraag hier opnieuw stellen."
        ),
    },
    "en": {
        "sources": "Sources",
        "sources_of": "Sources of answer {n}",
        "source": "Source {n}",
        "study": "The study as a whole",
        "open": "Open the document",
        "open_page": "Open the document at p. {page}",
        "quoted": "Quoted",
        "question": "Question {n}",
        "answer": "Answer",
        "none": "No sources.",
        "none_abstained": "No sources: the study does not answer this question.",
        "no_index_yet": (
            "The study is still being indexed; once that is done (see the notice above the conversation) "
            "you can ask your question here again."
        ),
    },
}


def answer_label(language: str, key: str, **values: object) -> str:
    labels = ANSWER_LABELS["en" if language == "en" else "nl"]
    return labels[key].format(**values)


VIEWER_PLACEHOLDER = '<div class="doc-leeg">Kies ‘Open het document’ bij een bron om het hier te zien.</div>'

CASE_VIEWER_PLACEHOLDER = '<div class="doc-leeg">Kies ‘openen’ bij een document of ‘bron’ bij een bevinding.</div>'

SHORT_KIND_LABELS = {
    "documentanalyse": "documentanalyse",
    "interview-ambtenaar": "interview ambtenaar",
    "interview-bewoner": "interview bewoner",
    "overig": "overig",
}

STATUS_LABELS = {"indexed": "geïndexeerd", "skipped": "overgeslagen", "stale": "verouderd"}

_MARKER = re.compile(r"\[(\d+)\]")
_WORD = re.compile(r"\S+")
_MD_SPECIAL = re.compile(r"([\\`\[\]])")


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def kind_label(kind: str | None, language: str = "nl") -> str:
    labels = ENGLISH_KIND_LABELS if language == "en" else KIND_LABELS
    return labels.get(kind or "", kind or "document")


def card_id(turn: int, n: int) -> str:
    return f"bron-{turn}-{n}"


def file_url(file: Path) -> str:
    """The URL Gradio serves a corpus file under (only the corpus folder is an allowed path)."""
    return "gradio_api/file=" + quote(str(file.resolve()))


# ---------------------------------------------------------------------------- highlighting
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


# ---------------------------------------------------------------------------- chat
def _markdown_text(text: str) -> str:
    """Document or user text for the Markdown chat: no raw HTML, no links it did not ask for."""
    return _MD_SPECIAL.sub(r"\\\1", esc(text))


def answer_markdown(answer: Answer, turn: int) -> str:
    """The answer for the chat: its Markdown kept, HTML escaped, each [n] a link to its source card."""
    known = {c.n for c in answer.citations}
    parts: list[str] = []
    cursor = 0
    for match in _MARKER.finditer(answer.text):
        n = int(match.group(1))
        if n not in known:
            continue
        parts.append(_markdown_text(answer.text[cursor : match.start()]))
        title = answer_label(answer.language, "source", n=n)
        parts.append(f'<a class="bron-marker" href="#{card_id(turn, n)}" title="{title}">[{n}]</a>')
        cursor = match.end()
    parts.append(_markdown_text(answer.text[cursor:]))
    return "".join(parts)


def question_markdown(question: str) -> str:
    return _markdown_text(question)


def chat_messages(answers: Sequence[Answer]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for turn, answer in enumerate(answers):
        messages.append({"role": "user", "content": question_markdown(answer.question)})
        messages.append({"role": "assistant", "content": answer_markdown(answer, turn)})
    return messages


# ---------------------------------------------------------------------------- source cards
def _where(citation: Citation, language: str) -> str:
    if citation.case_id:
        municipality = f" · {esc(citation.municipality)}" if citation.municipality else ""
        return f"<strong>{esc(citation.case_title or citation.case_id)}</strong>{municipality}"
    return f"<strong>{answer_label(language, 'study')}</strong>"


def source_card(citation: Citation, turn: int, language: str = "nl") -> str:
    page = f" · p. {citation.page}" if citation.page else ""
    title = esc(citation.title or citation.document)
    opens = answer_label(language, "open_page", page=citation.page) if citation.page else answer_label(language, "open")
    return (
        f'<article class="bron-kaart" id="{card_id(turn, citation.n)}">'
        f'<header><span class="bron-n">[{citation.n}]</span> {_where(citation, language)}</header>'
        f'<div class="bron-meta">{title} — {esc(kind_label(citation.kind, language))}{page}</div>'
        f'<blockquote class="bron-passage">{highlighted(citation.text, [citation.quote])}</blockquote>'
        f'<button type="button" class="bron-open" data-open="{turn}:{citation.n}">{esc(opens)}</button>'
        "</article>"
    )


def sources_panel(answers: Sequence[Answer], turn: int | None = None) -> str:
    """The cards of one answer (default: the last)."""
    if not answers:
        return '<div class="bronnen leeg">De bronnen van een antwoord verschijnen hier.</div>'
    turn = len(answers) - 1 if turn is None or not 0 <= turn < len(answers) else turn
    answer = answers[turn]
    language = answer.language
    if not answer.citations:
        note = answer_label(language, "none_abstained" if answer.abstained else "none")
        return f'<div class="bronnen leeg">{note}</div>'
    cards = "".join(source_card(c, turn, language) for c in answer.citations)
    several = len(answers) > 1
    heading = answer_label(language, "sources_of", n=turn + 1) if several else answer_label(language, "sources")
    return f'<div class="bronnen" data-turn="{turn}"><h3>{heading}</h3>{cards}</div>'


# ---------------------------------------------------------------------------- document view
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


# ---------------------------------------------------------------------------- cases
def _finding(finding: CaseFinding, titles: dict[str, str]) -> str:
    page = f", p. {finding.page}" if finding.page else ""
    source = esc(titles.get(finding.document, finding.document))
    return (
        f"<li>{esc(finding.text)} <span class='bron-meta'>({source}{page})</span> "
        f'<button type="button" class="doc-open" data-doc="{esc(finding.document)}" '
        f'data-page="{finding.page or ""}">bron</button></li>'
    )


def _document_item(document: DocumentInfo) -> str:
    status = STATUS_LABELS.get(document.status, document.status)
    reason = f" — {esc(document.reason)}" if document.reason else ""
    pages = f", {document.pages} p." if document.pages else ""
    opener = (
        f'<button type="button" class="doc-open" data-doc="{esc(document.path)}">openen</button>'
        if document.status != "skipped"
        else ""
    )
    return (
        f"<li>{esc(document.title or document.path)} <span class='bron-meta'>({esc(kind_label(document.kind))}"
        f"{pages}; {status}{reason})</span> {opener}</li>"
    )


def case_detail(overview: CaseOverview, study_titles: dict[str, str]) -> str:
    case = overview.case
    facts = [esc(case.municipality) if case.municipality else "", str(case.year) if case.year else ""]
    themes = ", ".join(esc(t) for t in case.themes)
    summary = " · ".join(f for f in facts if f) + (f" · thema's: {themes}" if themes else "")

    def findings(items: Sequence[CaseFinding], empty: str) -> str:
        if not items:
            return f"<p class='leeg'>{empty}</p>"
        return "<ul>" + "".join(_finding(f, study_titles) for f in items) + "</ul>"

    return (
        f'<section class="casus" data-case="{esc(case.case_id)}"><h3>{esc(case.title)}</h3><p>{summary}</p>'
        "<h4>Succesfactoren</h4>"
        + findings(overview.success_factors, "Het onderzoek noemt voor deze casus geen succesfactoren.")
        + "<h4>Aandachtspunten</h4>"
        + findings(overview.points_of_attention, "Het onderzoek noemt voor deze casus geen aandachtspunten.")
        + "<h4>Documenten</h4><ul>"
        + "".join(_document_item(d) for d in overview.documents)
        + "</ul></section>"
    )


def factor_matrix_html(matrices: Sequence[FactorMatrix], titles: dict[str, str]) -> str:
    """The cases against the study's overarching factors: a table per matrix, each cell the number of
    passages that support it, opening to those passages (each openable in its document)."""
    if not matrices or not matrices[0].factors:
        return "<p class='leeg'>De synthese in de index heeft geen overkoepelende factoren.</p>"
    parts = [
        "<p class='matrix-uitleg'>Per casus de passages waarin het onderzoek een succesfactor of aandachtspunt "
        "van die casus noemt dat bij een overkoepelende factor hoort. De indeling is van de Vraagbaak zelf; klik "
        "op een getal voor de passages.</p>"
    ]
    for matrix in matrices:
        what = "Succesfactoren" if matrix.intent == "positive" else "Aandachtspunten"
        head = "".join(f"<th scope='col'>{esc(name)}</th>" for name in matrix.factors)
        rows = []
        for case in matrix.cases:
            cells = []
            for index in range(len(matrix.factors)):
                passages = matrix.cell(case.case_id, index)
                if not passages:
                    cells.append("<td class='matrix-leeg'>·</td>")
                    continue
                items = "".join(
                    f"<li>{' … '.join('“' + esc(q) + '”' for q in p.quotes)} <span class='bron-meta'>"
                    f"({esc(titles.get(p.document, p.document))}{f', p. {p.page}' if p.page else ''})</span> "
                    f'<button type="button" class="doc-open" data-doc="{esc(p.document)}" '
                    f'data-page="{p.page or ""}">bron</button></li>'
                    for p in passages
                )
                cells.append(f"<td><details><summary>{len(passages)}</summary><ul>{items}</ul></details></td>")
            municipality = f" <span class='bron-meta'>({esc(case.municipality)})</span>" if case.municipality else ""
            rows.append(f"<tr><th scope='row'>{esc(case.title)}{municipality}</th>{''.join(cells)}</tr>")
        parts.append(
            f"<h4>{what} × {esc(matrix.family.lower())}</h4>"
            f'<table class="matrix" data-intent="{matrix.intent}"><thead><tr><th>Casus</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    return "".join(parts)


def case_rows(overviews: Sequence[CaseOverview]) -> list[list[str]]:
    rows = []
    for overview in overviews:
        case = overview.case
        documents = ", ".join(SHORT_KIND_LABELS.get(d.kind or "", d.kind or "?") for d in overview.documents)
        rows.append(
            [
                case.title,
                case.municipality or "",
                str(case.year or ""),
                ", ".join(case.themes),
                f"{len(overview.documents)}: {documents}" if documents else "0",
            ]
        )
    return rows


# ---------------------------------------------------------------------------- admin
def index_summary_html(summary: IndexSummary) -> str:
    rebuilt = f"<p>Volledig opnieuw opgebouwd: {esc(summary.reason)}</p>" if summary.rebuilt else ""
    skipped = (
        "<h4>Overgeslagen bestanden</h4><ul>"
        + "".join(f"<li><code>{esc(s.path)}</code>: {esc(s.reason)}</li>" for s in summary.skipped)
        + "</ul>"
        if summary.skipped
        else "<p>Geen bestanden overgeslagen.</p>"
    )
    return (
        '<div class="index-samenvatting"><h3>Index bijgewerkt</h3>'
        f"<p>{summary.documents} documenten, {summary.chunks} passages: {summary.added} nieuw, "
        f"{summary.changed} gewijzigd, {summary.removed} verwijderd, {summary.unchanged} ongewijzigd; "
        f"{summary.embedded_chunks} teksten (passages en hun zinnen) ingebed in {summary.seconds:.1f} s.</p>"
        f"{rebuilt}{skipped}</div>"
    )


NO_INDEX_YET = ANSWER_LABELS["nl"]["no_index_yet"]


def dutch_number(n: int) -> str:
    """4250 as "4.250"."""
    return f"{n:,}".replace(",", ".")


def index_status_html(status: IndexStatus) -> str:
    """One line above the chat on where indexing stands; data-state is bezig, klaar or fout."""
    if status.running:
        done, total = dutch_number(status.done), dutch_number(status.total)
        if status.answering:
            if status.stage == "sentences":
                text = f"Eerste antwoorden zijn er; de zinnen worden nog ingebed: {done} van {total} teksten"
            else:
                text = "Eerste antwoorden zijn er; de index wordt aangevuld"
        elif status.stage == "first":
            text = "Het onderzoek wordt geïndexeerd: een eerste versie wordt weggeschreven"
        elif status.stage == "read":
            text = f"Het onderzoek wordt geïndexeerd: {done} van {total} documenten gelezen"
        elif status.stage == "embed":
            text = f"Het onderzoek wordt geïndexeerd: {done} van {total} teksten"
        elif status.stage == "index":
            text = "Het onderzoek wordt geïndexeerd: de index wordt weggeschreven"
        else:
            text = "Het onderzoek wordt nagelopen op nieuwe en gewijzigde documenten"
        return f'<div class="index-status" data-state="bezig">{esc(text)}…</div>'
    if status.error:
        return f'<div class="index-status" data-state="fout">{esc(status.error)}</div>'
    if status.summary is not None:
        summary = status.summary
        text = (
            f"Het onderzoek is geïndexeerd: {dutch_number(summary.documents)} documenten, "
            f"{dutch_number(summary.chunks)} passages."
        )
        return f'<div class="index-status" data-state="klaar">{esc(text)}</div>'
    return '<div class="index-status" data-state="klaar"></div>'


def notice_html(message: str, ok: bool = True) -> str:
    return f'<div class="melding {"ok" if ok else "fout"}">{esc(message)}</div>'
