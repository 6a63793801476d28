"""The source cards beside the chat: per citation where it comes from and the passage, the quote marked."""

from __future__ import annotations

from collections.abc import Sequence

from qa.records import Answer, Citation
from qa.web.render.documents import highlighted
from qa.web.render.labels import answer_label, esc, kind_label


def card_id(turn: int, n: int) -> str:
    return f"bron-{turn}-{n}"


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
