"""Uploads into the corpus: checked extension, content and size, clean names, case.toml, the trash."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from conftest import make_docx, make_pdf

from qa.ingest.casefile import parse_case_file
from qa.ingest.corpus import discover
from qa.ingest.readers.archive import ZipLimits
from qa.settings import Settings
from qa.web.uploads import (
    CaseForm,
    Upload,
    UploadError,
    add_documents,
    case_choices,
    check_content,
    clean_filename,
    removable_documents,
    remove_document,
    slugify,
)

MB = 1024 * 1024
ZIP = ZipLimits.from_settings(Settings())


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/etc/cron.d/evil.md", "evil.md"),
        ("..\\..\\windows\\system.ini.txt", "system.ini.txt"),
        ("Interview bewoner (2015) — definitief.DOCX", "Interview-bewoner-2015-definitief.docx"),
        ("...verborgen.pdf", "verborgen.pdf"),
        ("café$rapport;rm -rf.pdf", "cafe-rapport-rm-rf.pdf"),
        ("...", "document"),
        ("..pdf", "document.pdf"),
    ],
)
def test_clean_filename(given: str, cleaned: str) -> None:
    assert clean_filename(given) == cleaned
    assert "/" not in cleaned and "\\" not in cleaned and not cleaned.startswith(".")


def test_slugify() -> None:
    assert slugify("Buurtbudget Noorderpolder!") == "buurtbudget-noorderpolder"
    assert slugify("Jeugdraad ’s-Hertogenbosch — 2016") == "jeugdraad-s-hertogenbosch-2016"
    assert slugify("../../") == ""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    source = tmp_path / "uploads"
    source.mkdir()
    return {
        "pdf": make_pdf(source / "analyse.pdf", [["De jeugdraad organiseerde een zeepkistenrace."]]),
        "docx": make_docx(source / "interview.docx", [("para", "De ambtenaar vertelde over de jeugdraad.")]),
        "md": _write(source / "bewoner.md", b"# Interview\n\nDe bewoner was tevreden.\n"),
        "cp1252": _write(source / "oud.txt", "Caf\xe9 en cr\xe8che".encode("cp1252")),
        "fake_pdf": _write(source / "nep.pdf", b"<html>no pdf</html>"),
        "zip_no_word": _zip(source / "leeg.docx"),
        "binary_txt": _write(source / "binair.txt", bytes(range(256)) * 4),
        "pdf_as_txt": _write(source / "pdf.txt", b"%PDF-1.4 binary"),
        "empty": _write(source / "leeg.md", b""),
        "exe": _write(source / "tool.exe", b"MZ\x90\x00"),
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("content.xml", "<x/>")
    return path


def test_content_must_match_the_extension(files: dict[str, Path]) -> None:
    check_content(files["pdf"], ".pdf", MB, "analyse.pdf", ZIP)
    check_content(files["docx"], ".docx", MB, "interview.docx", ZIP)
    check_content(files["md"], ".md", MB, "bewoner.md", ZIP)
    check_content(files["cp1252"], ".txt", MB, "oud.txt", ZIP)
    refused = [
        ("fake_pdf", ".pdf", "geen PDF"),
        ("zip_no_word", ".docx", "word/document.xml"),
        ("docx", ".pdf", "geen PDF"),
        ("pdf", ".docx", "geen Word"),
        ("binary_txt", ".txt", "geen tekstbestand"),
        ("pdf_as_txt", ".txt", "geen tekstbestand"),
        ("empty", ".md", "leeg"),
    ]
    for key, extension, reason in refused:
        with pytest.raises(UploadError, match=reason):
            check_content(files[key], extension, MB, key, ZIP)
    with pytest.raises(UploadError, match="te groot"):
        check_content(files["pdf"], ".pdf", 100, "analyse.pdf", ZIP)


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    (corpus / "cases" / "bestaand").mkdir(parents=True)
    (corpus / "cases" / "bestaand" / "case.toml").write_text(
        'title = "Bestaande casus"\nmunicipality = "Wierdenhaven"\nyear = 2014\n\n'
        '[[documents]]\nfile = "oud.md"\nkind = "documentanalyse"\ntitle = "Oude analyse"\n'
    )
    (corpus / "cases" / "bestaand" / "oud.md").write_text("# Oud\n\nTekst.\n")
    (corpus / "study").mkdir()
    return corpus


def test_new_case_is_written_with_case_toml(tmp_path: Path, files: dict[str, Path]) -> None:
    corpus = _corpus(tmp_path)
    uploads = [
        Upload("analyse.pdf", files["pdf"], "documentanalyse", "Documentanalyse jeugdraad"),
        Upload("../../interview.docx", files["docx"], "interview-ambtenaar"),
        Upload("bewoner.md", files["md"], "interview-bewoner", 'Bewoner "Zilverhaven"'),
    ]
    form = CaseForm("Jeugdraad Zilverhaven", "Zilverhaven", 2016, ("jeugd", "inspraak"))
    added = add_documents(corpus, uploads, 10 * MB, ZIP, new_case=form)
    assert added.case_id == "jeugdraad-zilverhaven"
    assert added.files == (
        "cases/jeugdraad-zilverhaven/analyse.pdf",
        "cases/jeugdraad-zilverhaven/interview.docx",
        "cases/jeugdraad-zilverhaven/bewoner.md",
    )
    case_file = corpus / "cases" / "jeugdraad-zilverhaven" / "case.toml"
    parsed = parse_case_file(case_file.read_text(), "jeugdraad-zilverhaven", "case.toml")
    assert parsed.problems == []
    assert parsed.case.title == "Jeugdraad Zilverhaven" and parsed.case.municipality == "Zilverhaven"
    assert parsed.case.year == 2016 and parsed.case.themes == ("jeugd", "inspraak")
    assert {name: meta.kind.value for name, meta in parsed.documents.items()} == {
        "analyse.pdf": "documentanalyse",
        "interview.docx": "interview-ambtenaar",
        "bewoner.md": "interview-bewoner",
    }
    assert parsed.documents["bewoner.md"].title == 'Bewoner "Zilverhaven"'
    # nothing outside the case folder, and the corpus reads it as one case of three documents
    assert not (tmp_path / "interview.docx").exists()
    found = discover(Settings(corpus=corpus, index=tmp_path / "index"))
    assert sorted(f.display for f in found.files if f.case and f.case.case_id == "jeugdraad-zilverhaven") == sorted(
        added.files
    )


def test_upload_into_an_existing_case_keeps_its_metadata(tmp_path: Path, files: dict[str, Path]) -> None:
    corpus = _corpus(tmp_path)
    added = add_documents(
        corpus, [Upload("Nieuw interview.md", files["md"], "interview-bewoner")], MB, ZIP, case_id="bestaand"
    )
    assert added.files == ("cases/bestaand/Nieuw-interview.md",)
    data = tomllib.loads((corpus / "cases" / "bestaand" / "case.toml").read_text())
    assert data["title"] == "Bestaande casus" and data["year"] == 2014
    assert [d["file"] for d in data["documents"]] == ["oud.md", "Nieuw-interview.md"]
    # the same name again replaces it, the earlier version goes to the trash
    again = add_documents(corpus, [Upload("oud.md", files["md"], "documentanalyse")], MB, ZIP, case_id="bestaand")
    assert len(again.replaced) == 1 and again.replaced[0].startswith("_prullenbak/")
    assert (corpus / again.replaced[0]).read_text() == "# Oud\n\nTekst.\n"


def test_uploads_are_all_or_nothing(tmp_path: Path, files: dict[str, Path]) -> None:
    corpus = _corpus(tmp_path)
    cases = [
        ([Upload("a.pdf", files["pdf"]), Upload("tool.exe", files["exe"])], "niet toegestaan"),
        ([Upload("a.pdf", files["pdf"]), Upload("b.pdf", files["fake_pdf"])], "geen PDF"),
        ([Upload("a.pdf", files["pdf"]), Upload("sub/a.pdf", files["pdf"])], "dubbele"),
        ([Upload("case.toml.md", files["md"], "geheim")], "onbekende soort"),
    ]
    for uploads, reason in cases:
        with pytest.raises(UploadError, match=reason):
            add_documents(corpus, uploads, MB, ZIP, new_case=CaseForm("Nieuwe casus"))
        assert not (corpus / "cases" / "nieuwe-casus").exists()
    with pytest.raises(UploadError, match="bestaat al"):
        add_documents(corpus, [Upload("a.pdf", files["pdf"])], MB, ZIP, new_case=CaseForm("Bestaand"))
    for case_id in ("../..", "_prullenbak", "onbekend"):
        with pytest.raises(UploadError, match="onbekende casus"):
            add_documents(corpus, [Upload("a.pdf", files["pdf"])], MB, ZIP, case_id=case_id)


def test_remove_moves_to_the_trash_which_ingestion_ignores(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    assert removable_documents(corpus) == ["cases/bestaand/oud.md"]
    moved = remove_document(corpus, "cases/bestaand/oud.md")
    assert moved.is_file() and moved.read_text() == "# Oud\n\nTekst.\n"
    assert moved.relative_to(corpus.resolve()).parts[0] == "_prullenbak"
    assert not (corpus / "cases" / "bestaand" / "oud.md").exists()
    data = tomllib.loads((corpus / "cases" / "bestaand" / "case.toml").read_text())
    assert data.get("documents", []) == []
    found = discover(Settings(corpus=corpus, index=tmp_path / "index"))
    assert found.files == [] and not any("_prullenbak" in s.path for s in found.skipped)
    assert removable_documents(corpus) == []
    for bad in ("../outside.md", "cases/bestaand/case.toml", str(moved), "cases/bestaand/oud.md"):
        with pytest.raises(UploadError):
            remove_document(corpus, bad)


def test_remove_refuses_a_link_and_leaves_what_it_points_at(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    target = corpus / "cases" / "bestaand" / "oud.md"
    (corpus / "cases" / "bestaand" / "koppeling.md").symlink_to(target)
    with pytest.raises(UploadError, match="koppeling"):
        remove_document(corpus, "cases/bestaand/koppeling.md")
    assert target.is_file() and (corpus / "cases" / "bestaand" / "koppeling.md").is_symlink()


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("programma.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40),  # an executable with a PDF header further on
        ("pagina.pdf", b"<html><!-- "),  # a web page that mentions one in a comment
    ],
)
def test_upload_refuses_what_ingest_refuses_a_pdf_header_in_the_middle(
    files: dict[str, Path], tmp_path: Path, name: str, prefix: bytes
) -> None:
    from qa.errors import UnreadableDocumentError
    from qa.ingest.readers.pdf import read_pdf

    disguised = _write(tmp_path / name, prefix + files["pdf"].read_bytes())
    with pytest.raises(UnreadableDocumentError, match="not a PDF"):
        read_pdf(disguised, name)
    with pytest.raises(
        UploadError, match=rf"^{re.escape(name)}: dit is geen PDF \(het bestand begint niet met %PDF-\)$"
    ):
        check_content(disguised, ".pdf", MB, name, ZIP)


def test_upload_and_ingest_accept_a_pdf_after_leading_whitespace(files: dict[str, Path], tmp_path: Path) -> None:
    from qa.ingest.readers.pdf import read_pdf

    padded = _write(tmp_path / "ruimte.pdf", b"\r\n  " + files["pdf"].read_bytes())
    check_content(padded, ".pdf", MB, "ruimte.pdf", ZIP)
    assert read_pdf(padded, "ruimte.pdf").blocks


def test_upload_refuses_a_real_pdf_over_the_page_limit_as_ingest_skips_it(tmp_path: Path) -> None:
    from conftest import REALDOCS

    from qa.ingest.corpus import ingest
    from qa.ingest.readworker import ReadingWorker

    real = REALDOCS / "kamervragen-ah-tk-20202021-3235.pdf"  # three pages
    corpus = _corpus(tmp_path)
    settings = Settings(corpus=corpus, max_pdf_pages=2)
    with ReadingWorker(settings) as reader, pytest.raises(UploadError) as refused:
        add_documents(corpus, [Upload("kamervragen.pdf", real)], MB, ZIP, case_id="bestaand", reader=reader)
    assert str(refused.value) == "kamervragen.pdf: heeft 3 pagina's; de grens is 2 (QA_MAX_PDF_PAGES)"
    assert not (corpus / "cases" / "bestaand" / "kamervragen.pdf").exists()
    # ingest skips the same file for the same limit; within it the upload is taken
    (corpus / "study" / "kamervragen.pdf").write_bytes(real.read_bytes())
    assert [(s.path, s.reason) for s in ingest(settings).skipped] == [
        ("study/kamervragen.pdf", "3 pages, more than the limit of 2 (QA_MAX_PDF_PAGES)")
    ]
    with ReadingWorker(Settings(corpus=corpus, max_pdf_pages=3)) as reader:
        added = add_documents(corpus, [Upload("kamervragen.pdf", real)], MB, ZIP, case_id="bestaand", reader=reader)
    assert added.files == ("cases/bestaand/kamervragen.pdf",)


def test_upload_refuses_a_document_over_the_character_limit(tmp_path: Path, files: dict[str, Path]) -> None:
    from qa.ingest.readworker import ReadingWorker

    corpus = _corpus(tmp_path)
    with ReadingWorker(Settings(corpus=corpus, max_document_chars=10)) as reader, pytest.raises(UploadError) as refused:
        add_documents(corpus, [Upload("interview.docx", files["docx"])], MB, ZIP, case_id="bestaand", reader=reader)
    assert str(refused.value) == "interview.docx: bevat 40 tekens tekst; de grens is 10 (QA_MAX_DOCUMENT_CHARS)"


def test_uploads_are_written_with_the_corpus_mode_and_markdown_titled_by_its_heading(
    tmp_path: Path, files: dict[str, Path]
) -> None:
    corpus = _corpus(tmp_path)
    for folder in (corpus, corpus / "cases", corpus / "cases" / "bestaand"):
        folder.chmod(0o755)
    uploads = [
        Upload("bewoner.md", files["md"], "interview-bewoner"),  # "# Interview" and no title given
        Upload("analyse.pdf", files["pdf"], "documentanalyse"),
    ]
    added = add_documents(corpus, uploads, MB, ZIP, case_id="bestaand")
    for written in [*added.files, "cases/bestaand/case.toml"]:
        assert (corpus / written).stat().st_mode & 0o777 == 0o644, written
    titles = {
        d["file"]: d.get("title") for d in tomllib.loads((corpus / "cases/bestaand/case.toml").read_text())["documents"]
    }
    assert titles["bewoner.md"] == "Interview"
    assert titles["analyse.pdf"] is None  # the corpus titles it by its file name, as before
    new = add_documents(
        corpus,
        [Upload("b.md", files["md"], "overig")],
        MB,
        ZIP,
        new_case=CaseForm("Jeugdraad Zilverhaven", None, None, ()),
    )
    assert (corpus / new.files[0]).stat().st_mode & 0o777 == 0o644


def test_existing_cases_are_offered_by_title(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    (corpus / "cases" / "zonder-toml").mkdir()
    (corpus / "cases" / "_prullenbak").mkdir()
    assert case_choices(corpus) == [("Bestaande casus", "bestaand"), ("Zonder toml", "zonder-toml")]
