"""Real Dutch government documents from ../shared/realdocs (never copied into the repository)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REALDOCS

from qa.ingest.corpus import ingest
from qa.records import IngestReport
from qa.settings import Settings

pytestmark = [
    pytest.mark.skipif(not REALDOCS.is_dir(), reason=f"{REALDOCS} not found (shared/ beside the repo)"),
    pytest.mark.slow,  # every real document, read whole
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> IngestReport:
    root = tmp_path_factory.mktemp("real") / "corpus"
    study = root / "study"
    study.mkdir(parents=True)
    for source in REALDOCS.iterdir():
        if source.suffix in {".pdf", ".docx"}:
            shutil.copy(source, study / source.name)  # copied: the corpus walk follows no links
    return ingest(Settings(corpus=root))


def _doc(report: IngestReport, name: str):  # type: ignore[no-untyped-def]
    return next(d for d in report.documents if d.path == f"study/{name}")


def test_born_digital_pdfs_have_the_right_page_counts(report: IngestReport) -> None:
    pages = {d.path.removeprefix("study/"): d.pages for d in report.documents}
    assert pages["besluitenlijst-raadsvergadering-2015.pdf"] == 4
    assert pages["kamervragen-ah-tk-20202021-3235.pdf"] == 3
    assert pages["motie-kst-32545-143.pdf"] == 1
    assert pages["toegankelijkheidsonderzoek-2025.pdf"] == 39


def test_corrupt_and_scanned_are_reported_with_their_reason(report: IngestReport) -> None:
    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons["study/scan-zonder-tekstlaag-blg-1007826.pdf"] == "scanned, no text layer; OCR is not supported"
    corrupt = reasons["study/corrupt-IAmWrongPDF.pdf"]
    assert corrupt.startswith(("not a PDF", "corrupt PDF"))
    assert len(reasons) == 2


def test_ocr_layer_and_docx_are_ingested(report: IngestReport) -> None:
    ocr = _doc(report, "woo-ocr-173757.pdf")
    assert ocr.pages == 1 and ocr.words > 100
    assert "5.1.2e" in ocr.text
    assert _doc(report, "woo-filetype-16101.docx").words > 0


def test_cff_fonts_extract_readable_text(report: IngestReport) -> None:
    motie = _doc(report, "motie-kst-32545-143.pdf")
    assert "Kamer" in motie.text and "verzoekt de regering" in motie.text


def test_pages_keep_their_numbers(report: IngestReport) -> None:
    kamervragen = _doc(report, "kamervragen-ah-tk-20202021-3235.pdf")
    pages = sorted({b.page for b in kamervragen.blocks if b.page})
    assert pages == [1, 2, 3]
    assert Path(REALDOCS / "SOURCES.md").is_file()
