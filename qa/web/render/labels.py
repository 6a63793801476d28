"""The words around the records on the page, in Dutch and (for the chat) English, and the one escape
every piece of text goes through."""

from __future__ import annotations

import html

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

NO_INDEX_YET = ANSWER_LABELS["nl"]["no_index_yet"]


def esc(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def kind_label(kind: str | None, language: str = "nl") -> str:
    labels = ENGLISH_KIND_LABELS if language == "en" else KIND_LABELS
    return labels.get(kind or "", kind or "document")


def dutch_number(n: int) -> str:
    """4250 as "4.250"."""
    return f"{n:,}".replace(",", ".")
