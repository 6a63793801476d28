"""The Casussen tab: the table of cases, a case with its findings and documents, and the matrix of cases
against the study's overarching factors."""

from __future__ import annotations

from collections.abc import Sequence

from qa.answer.matrix import FactorMatrix
from qa.service import CaseFinding, CaseOverview, DocumentInfo
from qa.web.render.labels import SHORT_KIND_LABELS, STATUS_LABELS, esc, kind_label


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
