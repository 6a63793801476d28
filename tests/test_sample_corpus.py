"""The shipped sample study, ingested whole: every case, document, kind and page where it belongs."""

from __future__ import annotations

import pytest
from conftest import REPO

from qa.ingest.chunking import chunk_documents
from qa.ingest.corpus import ingest
from qa.records import Document, DocumentKind, IngestReport
from qa.settings import Settings

CASES = {
    "buurtbudget-noorderpolder": "Wierdenhaven",
    "initiatievenfonds-wierdenhaven": "Wierdenhaven",
    "right-to-challenge-kerkakkers": "Veldmeer",
    "burgerpanel-brakelsteyn": "Brakelsteyn",
    "herinrichting-marktplein-hollevoort": "Hollevoort",
    "digitaal-platform-zandwijck": "Zandwijck",
    "buurthuis-de-klaproos": "Merelburg",
    "participatiebeleid-kroonsmeer": "Kroonsmeer",
}


@pytest.fixture(scope="module")
def report() -> IngestReport:
    return ingest(Settings(corpus=REPO / "corpus"))


def _page_of(document: Document, needle: str) -> int | None:
    return next((b.page for b in document.blocks if needle in b.text), None)


def test_every_case_and_document_is_found(report: IngestReport) -> None:
    assert not report.skipped and not report.warnings
    assert {c.case_id: c.municipality for c in report.cases} == CASES
    assert len(set(CASES.values())) == 7
    for slug in CASES:
        kinds = sorted(d.kind.value for d in report.documents if d.case and d.case.case_id == slug)
        assert kinds == ["documentanalyse", "interview-ambtenaar", "interview-bewoner"], slug
    study = sorted(d.path for d in report.documents if d.case is None)
    assert study == ["study/onderzoeksverantwoording.md", "study/synthese.pdf"]
    assert all(d.kind is DocumentKind.STUDIE for d in report.documents if d.case is None)
    assert len(report.documents) >= 25
    assert sum(d.words for d in report.documents) >= 20_000


def test_every_document_says_it_is_fictional(report: IngestReport) -> None:
    for document in report.documents:
        assert "fictief voorbeeldmateriaal" in document.text.lower(), document.path


def test_document_analysis_pages_checked_by_hand(report: IngestReport) -> None:
    # Page 3 of this PDF, rendered and read by eye: 'Het restant van € 6.800' at the top,
    # then 'Betrokkenen', 'Succesfactoren' and 'Aandachtspunten'.
    doc = next(d for d in report.documents if d.path == "cases/buurtbudget-noorderpolder/documentanalyse.pdf")
    assert doc.pages == 4
    assert doc.case is not None and doc.case.year == 2015 and "loting" in doc.case.themes
    assert doc.title == "Documentanalyse Buurtbudget Noorderpolder"
    assert _page_of(doc, "Het restant van € 6.800") == 3
    assert _page_of(doc, "De buurtjury door loting werd als eerlijk ervaren") == 3
    assert _page_of(doc, "Het handmatig tellen van de papieren stembiljetten duurde drie weken") == 3
    loting = next(b for b in doc.blocks if "De buurtjury door loting werd als eerlijk ervaren" in b.text)
    assert loting.section == "Succesfactoren"
    assert "Bureau Meerstem Onderzoek · Fictief voorbeeldmateriaal" not in doc.text  # running header
    assert "Pagina 3 van 4" not in doc.text


def test_pdfs_are_two_to_four_pages_and_interviews_have_tables(report: IngestReport) -> None:
    for document in report.documents:
        if document.kind is DocumentKind.DOCUMENTANALYSE:
            assert document.pages is not None and 2 <= document.pages <= 4, document.path
        if document.kind is DocumentKind.INTERVIEW_AMBTENAAR:
            assert document.path.endswith(".docx")
            assert any(" | " in b.text for b in document.blocks), document.path
            assert any(b.is_heading for b in document.blocks)


def test_chunks_keep_their_pages_and_never_cross_documents(report: IngestReport) -> None:
    chunks = chunk_documents(report.documents, Settings().chunk)
    texts = {d.path: d.text for d in report.documents}
    for chunk in chunks:
        assert chunk.text == texts[chunk.document][chunk.start : chunk.end]
        if chunk.document.endswith(".pdf"):
            assert chunk.page_start is not None and chunk.page_end is not None
            assert chunk.page_start <= chunk.page_end
        else:
            assert chunk.page_start is None


def test_every_table_of_the_sample_pdfs_is_read_as_rows(report: IngestReport) -> None:
    """The PDFs are made from Markdown sources (tools/sample_corpus/sources): each table there is a
    header block here, once per page it stands on, with its rows below."""
    sources = REPO / "tools" / "sample_corpus" / "sources"
    for document in report.documents:
        if not document.path.endswith(".pdf"):
            continue
        source = sources / document.path.replace(".pdf", ".md")
        lines = source.read_text(encoding="utf-8").splitlines()
        tables = sum(1 for i, line in enumerate(lines) if line.startswith("|") and not lines[i - 1].startswith("|"))
        headers = [b.text.split("\n")[0] for b in document.blocks if "\n" in b.text and " | " in b.text.split("\n")[0]]
        assert len(set(headers)) == tables, document.path
        for block in document.blocks:
            if block.text.split("\n")[0] in headers:
                assert all("; " in row or ": " in row for row in block.text.split("\n")[1:]), document.path
