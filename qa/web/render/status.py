"""Where indexing stands (the line above the chat), what a re-index did, and Beheer's notices."""

from __future__ import annotations

from qa.index.plan import IndexSummary
from qa.service import IndexStatus
from qa.web.render.labels import dutch_number, esc


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


def index_status_html(status: IndexStatus) -> str:
    """One line above the chat on where indexing stands; data-state is bezig, klaar or fout."""
    if status.running:
        done, total = dutch_number(status.done), dutch_number(status.total)
        if status.answering:
            if status.stage == "sentences":
                text = f"Eerste antwoorden zijn er; de zinnen worden nog ingebed: {done} van {total} teksten"
            else:
                text = "Eerste antwoorden zijn er; de index wordt aangevuld"
        elif status.stage == "quick":
            text = "Het onderzoek wordt geïndexeerd: een snelle eerste versie wordt gemaakt"
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
