"""Ingestion over a tiny real corpus with one of every bad input: nothing stops the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_docx, make_pdf

from qa.cli import main
from qa.ingest.corpus import ingest
from qa.records import DocumentKind
from qa.settings import Settings


def _write_case_toml(folder: Path, body: str) -> None:
    (folder / "case.toml").write_text(body, encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    good = root / "cases" / "buurtbudget"
    good.mkdir(parents=True)
    _write_case_toml(
        good,
        'title = "Buurtbudget Noorderpolder"\nmunicipality = "Wierdenhaven"\nyear = 2015\n'
        'themes = ["wijkbudget"]\n\n[[documents]]\nfile = "analyse.pdf"\nkind = "documentanalyse"\n'
        'title = "Documentanalyse"\n\n[[documents]]\nfile = "ambtenaar.docx"\nkind = "interview-ambtenaar"\n'
        'title = "Interview wijkregisseur"\n',
    )
    make_pdf(
        good / "analyse.pdf",
        [["Aanleiding", "Het buurtbudget was € 120.000."], ["Resultaten", "1.870 stemmers."]],
        header="Fictief rapport",
    )
    make_docx(
        good / "ambtenaar.docx",
        [("heading", "Rol"), ("para", "Ik was wijkregisseur."), ("table", [["Jaar", "Budget"], ["2015", "€ 120.000"]])],
    )
    (good / "bewoner.md").write_text("# Interview\n\nDe jury werkte goed.\n", encoding="utf-8")
    (good / "notities.txt").write_bytes("Notitie over het café en € 50.".encode("cp1252"))
    # bad files, each with its own reason
    (good / "leeg.pdf").write_bytes(b"")
    (good / "nep.pdf").write_text("dit is tekst", encoding="utf-8")
    (good / "nep.docx").write_text("dit is tekst", encoding="utf-8")
    (good / "kapot.docx").write_bytes(b"PK\x03\x04 niet echt")
    (good / "afgebroken.pdf").write_bytes((good / "analyse.pdf").read_bytes()[:600])
    (good / "begroting.xlsx").write_bytes(b"PK\x03\x04")
    (good / "groot.md").write_text("x " * 700_000, encoding="utf-8")

    broken = root / "cases" / "kapotte-metadata"
    broken.mkdir()
    _write_case_toml(broken, 'title = "Zonder einde\n')
    (broken / "verslag.md").write_text("# Verslag\n\nBewoners waren tevreden.\n", encoding="utf-8")

    bare = root / "cases" / "zonder-toml"
    bare.mkdir()
    (bare / "verslag.md").write_text("Tekst zonder metadata.\n", encoding="utf-8")

    study = root / "study"
    study.mkdir()
    (study / "synthese.md").write_text("# Synthese\n\n## Overkoepelend\n\nRuimte voor experiment.\n", encoding="utf-8")
    (root / "README.md").write_text("Over deze map.\n", encoding="utf-8")
    return root


def test_every_bad_file_is_skipped_with_its_reason(corpus: Path) -> None:
    report = ingest(Settings(corpus=corpus, max_file_mb=1))
    reasons = {s.path: s.reason for s in report.skipped}
    case = "cases/buurtbudget/"
    assert reasons[case + "leeg.pdf"] == "empty file"
    assert reasons[case + "nep.pdf"].startswith("not a PDF")
    assert reasons[case + "nep.docx"].startswith("not a DOCX")
    assert reasons[case + "kapot.docx"].startswith("broken DOCX")
    assert reasons[case + "afgebroken.pdf"].startswith("truncated PDF")
    assert reasons[case + "begroting.xlsx"].startswith("ignored: unsupported file type '.xlsx'")
    assert reasons[case + "groot.md"].startswith("too large (1.3 MB; the limit is 1 MB)")
    assert len(report.skipped) == 7

    paths = {d.path: d for d in report.documents}
    assert set(paths) == {
        case + "analyse.pdf",
        case + "ambtenaar.docx",
        case + "bewoner.md",
        case + "notities.txt",
        "cases/kapotte-metadata/verslag.md",
        "cases/zonder-toml/verslag.md",
        "study/synthese.md",
    }
    analyse = paths[case + "analyse.pdf"]
    assert analyse.kind is DocumentKind.DOCUMENTANALYSE and analyse.pages == 2
    assert analyse.case is not None and analyse.case.municipality == "Wierdenhaven"
    assert paths[case + "bewoner.md"].kind is DocumentKind.OVERIG
    assert paths[case + "bewoner.md"].title == "Bewoner"
    assert paths["study/synthese.md"].kind is DocumentKind.STUDIE and paths["study/synthese.md"].case is None
    assert paths["cases/zonder-toml/verslag.md"].case.title == "Zonder toml"  # type: ignore[union-attr]

    warnings = {(w.path, w.message) for w in report.warnings}
    assert any(p == case + "notities.txt" and "cp1252" in m for p, m in warnings)
    assert any(p == "cases/zonder-toml" and "no case.toml" in m for p, m in warnings)
    assert any(p == "cases/kapotte-metadata/case.toml" and m.startswith("line 1: malformed TOML") for p, m in warnings)
    assert any(p == "cases/kapotte-metadata/case.toml" and "metadata missing" in m for p, m in warnings)


def test_cli_json_and_strict_exit_status(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "--corpus", str(corpus), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["documents"] == 8 and out["chunks"] >= 8  # groot.md fits the default limit
    assert {"path": "cases/buurtbudget/leeg.pdf", "reason": "empty file"} in out["skipped"]
    assert all(set(w) == {"path", "message"} for w in out["warnings"])
    assert main(["ingest", "--corpus", str(corpus), "--strict"]) == 1
    text = capsys.readouterr().out
    assert "cases/buurtbudget/nep.pdf: not a PDF" in text


def test_settings_from_environment(
    corpus: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QA_CORPUS", str(corpus))
    monkeypatch.setenv("QA_MAX_FILE_MB", "0.0001")
    assert main(["ingest", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any(s["reason"].startswith("too large") for s in out["skipped"] if s["path"].endswith("analyse.pdf"))


def test_bad_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QA_CHUNK__OVERLAP", "5000")
    monkeypatch.setenv("QA_CHUNK__SIZE", "1000")
    assert main(["ingest", "--json"]) == 2
    assert "overlap" in capsys.readouterr().err


def test_symbolic_links_are_skipped_and_named(corpus: Path, tmp_path: Path) -> None:
    outside = tmp_path / "buiten"
    (outside / "map").mkdir(parents=True)
    (outside / "geheim.md").write_text("# Geheim\n\nDit staat buiten het corpus.\n", encoding="utf-8")
    (outside / "map" / "los.md").write_text("# Los\n\nOok dit staat buiten het corpus.\n", encoding="utf-8")
    (outside / "case.toml").write_text('title = "Geleende titel"\n', encoding="utf-8")
    case = corpus / "cases" / "buurtbudget"
    (case / "geheim.md").symlink_to(outside / "geheim.md")
    (case / "map").symlink_to(outside / "map", target_is_directory=True)
    (corpus / "study" / "kopie.md").symlink_to(corpus / "study" / "synthese.md")  # inside, but a link all the same
    (corpus / "cases" / "gelinkt").symlink_to(outside / "map", target_is_directory=True)
    (corpus / "cases" / "zonder-toml" / "case.toml").symlink_to(outside / "case.toml")

    report = ingest(Settings(corpus=corpus))

    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons["cases/buurtbudget/geheim.md"] == "ignored: a symbolic link (links are not followed)"
    assert reasons["study/kopie.md"] == "ignored: a symbolic link (links are not followed)"
    assert reasons["cases/buurtbudget/map"] == "ignored: a symbolic link to a folder (links are not followed)"
    assert reasons["cases/gelinkt"] == "ignored: a symbolic link to a folder (links are not followed)"
    warnings = {(w.path, w.message) for w in report.warnings}
    assert ("cases/zonder-toml/case.toml", "ignored: a symbolic link (links are not followed)") in warnings
    assert {c.case_id: c.title for c in report.cases}["zonder-toml"] == "Zonder toml"
    assert "gelinkt" not in {c.case_id for c in report.cases}
    texts = " ".join(b.text for d in report.documents for b in d.blocks)
    assert "Dit staat buiten" not in texts and "Ook dit staat buiten" not in texts
    assert "cases/buurtbudget/bewoner.md" in {d.path for d in report.documents}  # the rest is still read
    assert [d.path for d in report.documents if d.path.startswith("study/")] == ["study/synthese.md"]


def test_the_corpus_folder_itself_may_be_a_link(corpus: Path, tmp_path: Path) -> None:
    link = tmp_path / "corpus-link"
    link.symlink_to(corpus, target_is_directory=True)
    direct = ingest(Settings(corpus=corpus))
    linked = ingest(Settings(corpus=link))
    assert [d.path for d in linked.documents] == [d.path for d in direct.documents]
    assert len(linked.documents) == 8


def test_a_document_resolving_outside_the_corpus_is_skipped(corpus: Path, tmp_path: Path) -> None:
    """The walk never follows links; this checks the last guard behind it: every file it keeps lies
    inside the corpus once resolved. A case folder reached through a link in the corpus's parent
    path is fine (the corpus is resolved first); a file whose own path leaves the corpus is not."""
    from qa.ingest.corpus import discover, inside_corpus

    found = discover(Settings(corpus=corpus))
    assert found.files and all(inside_corpus(corpus, f.path) for f in found.files)
    outside = tmp_path / "buiten.md"
    outside.write_text("buiten", encoding="utf-8")
    assert not inside_corpus(corpus, corpus / "study" / ".." / ".." / "buiten.md")
    (corpus / "study" / "link.md").symlink_to(outside)
    assert not inside_corpus(corpus, corpus / "study" / "link.md")


def test_documents_over_the_page_or_character_limit_are_skipped(corpus: Path) -> None:
    """The PDF's pages are counted before any is read; every kind of document is held to a number of
    characters. The rest is read as before."""
    report = ingest(Settings(corpus=corpus, max_pdf_pages=1, max_document_chars=60))
    reasons = {s.path: s.reason for s in report.skipped}
    case = "cases/buurtbudget/"
    assert reasons[case + "analyse.pdf"] == "2 pages, more than the limit of 1 (QA_MAX_PDF_PAGES)"
    assert reasons[case + "ambtenaar.docx"].endswith("more than the limit of 60 (QA_MAX_DOCUMENT_CHARS)")
    read = {d.path for d in report.documents}
    assert case + "bewoner.md" in read and "study/synthese.md" in read
    within = ingest(Settings(corpus=corpus, max_pdf_pages=2))
    assert case + "analyse.pdf" in {d.path for d in within.documents}
