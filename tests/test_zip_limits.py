"""ZIP-based documents are measured by their ZIP directory before anything unpacks them: a zip bomb
is skipped at ingestion and refused at upload, with the limit it exceeds, and the rest is still read."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest
from conftest import make_docx

from qa.ingest.corpus import ingest
from qa.ingest.readers.archive import ZipLimits
from qa.settings import Settings
from qa.web.uploads import Upload, UploadError, add_documents, check_content

MB = 1024 * 1024
BOMB_MB = 300


def make_bomb(path: Path, unpacked_mb: int, template: Path) -> Path:
    """A valid DOCX whose word/document.xml unpacks to `unpacked_mb` MB, mostly one repeated byte.

    Written with zipfile's streaming writer one MB at a time, so neither the test nor the archive
    (about 0.3 MB for 300 MB) ever holds the unpacked text."""
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                bomb.writestr(info.filename, source.read(info))
        head, body, tail = source.read("word/document.xml").partition(b"<w:body>")
        with bomb.open("word/document.xml", "w") as out:
            out.write(head + body)
            block = b" " * MB
            for _ in range(unpacked_mb):
                out.write(block)
            out.write(tail)
    return path


def make_crowded(path: Path, members: int, template: Path) -> Path:
    """A valid DOCX with `members` extra (tiny) files in it."""
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as crowded:
        for info in source.infolist():
            crowded.writestr(info.filename, source.read(info))
        for n in range(members):
            crowded.writestr(f"extra/part{n}.xml", "<x/>")
    return path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docx-template")
    return make_docx(folder / "sjabloon.docx", [("para", "De jeugdraad organiseerde een zeepkistenrace.")])


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory, template: Path) -> Path:
    path = make_bomb(tmp_path_factory.mktemp("bomb") / "bom.docx", BOMB_MB, template)
    assert path.stat().st_size < 2 * MB  # small on disk ...
    with zipfile.ZipFile(path) as archive:  # ... and really 300 MB unpacked
        assert archive.getinfo("word/document.xml").file_size > BOMB_MB * MB
    return path


def _unpacked_mb(path: Path) -> float:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist()) / MB


def _corpus_with(tmp_path: Path, template: Path, bad: Path) -> Path:
    case = tmp_path / "corpus" / "cases" / "jeugdraad"
    case.mkdir(parents=True)
    (case / bad.name).write_bytes(bad.read_bytes())
    (case / "interview.docx").write_bytes(template.read_bytes())
    (case / "verslag.md").write_text("# Verslag\n\nDe zeepkistenrace trok veel kinderen.\n", encoding="utf-8")
    return tmp_path / "corpus"


def _peak_mb_while(action):  # type: ignore[no-untyped-def]
    """Run `action`; return its result and the peak of memory Python allocated meanwhile, in MB."""
    tracemalloc.start()
    try:
        result = action()
        peak = tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()
    return result, peak


def test_ingest_skips_a_zip_bomb_without_unpacking_it_and_reads_the_rest(
    tmp_path: Path, template: Path, bomb: Path
) -> None:
    corpus = _corpus_with(tmp_path, template, bomb)
    report, peak = _peak_mb_while(lambda: ingest(Settings(corpus=corpus)))
    reasons = {s.path: s.reason for s in report.skipped}
    reason = reasons["cases/jeugdraad/bom.docx"]
    assert reason == f"unpacks to {_unpacked_mb(bomb):.1f} MB; the limit is 100 MB (QA_MAX_UNPACKED_MB)"
    assert {d.path for d in report.documents} == {"cases/jeugdraad/interview.docx", "cases/jeugdraad/verslag.md"}
    assert peak < 30, f"{peak:.0f} MB allocated: the bomb was unpacked"


def test_upload_refuses_a_zip_bomb_without_unpacking_it(tmp_path: Path, template: Path, bomb: Path) -> None:
    corpus = _corpus_with(tmp_path, template, template)
    limits = ZipLimits.from_settings(Settings(corpus=corpus))

    def upload() -> UploadError:
        with pytest.raises(UploadError) as refused:
            add_documents(corpus, [Upload("bom.docx", bomb)], 50 * MB, limits, case_id="jeugdraad")
        return refused.value

    error, peak = _peak_mb_while(upload)
    unpacked = f"{_unpacked_mb(bomb):.1f}".replace(".", ",")
    assert str(error) == f"bom.docx: pakt uit tot {unpacked} MB; de grens is 100 MB (QA_MAX_UNPACKED_MB)"
    assert not (corpus / "cases" / "jeugdraad" / "bom.docx").exists()
    assert peak < 30, f"{peak:.0f} MB allocated: the bomb was unpacked"


def _refused_both_ways(tmp_path: Path, template: Path, bad: Path) -> tuple[str, str]:
    """The reason ingestion gives for skipping `bad` (the rest still read) and the upload's message."""
    corpus = _corpus_with(tmp_path, template, bad)
    settings = Settings(corpus=corpus)
    report = ingest(settings)
    assert {d.path for d in report.documents} == {"cases/jeugdraad/interview.docx", "cases/jeugdraad/verslag.md"}
    reason = {s.path: s.reason for s in report.skipped}[f"cases/jeugdraad/{bad.name}"]
    with pytest.raises(UploadError) as refused:
        check_content(bad, ".docx", 50 * MB, bad.name, ZipLimits.from_settings(settings))
    return reason, str(refused.value)


def test_a_docx_with_too_many_files_is_refused(tmp_path: Path, template: Path) -> None:
    crowded = make_crowded(tmp_path / "vol.docx", 2_000, template)
    with zipfile.ZipFile(crowded) as archive:
        members = len(archive.infolist())
    reason, message = _refused_both_ways(tmp_path, template, crowded)
    assert reason == f"holds {members:,} files; the limit is 2,000 (QA_MAX_ZIP_MEMBERS)"
    dutch = f"{members:,}".replace(",", ".")
    assert message == f"vol.docx: bevat {dutch} bestanden; de grens is 2.000 (QA_MAX_ZIP_MEMBERS)"


def test_a_docx_packed_too_tightly_is_refused(tmp_path: Path, template: Path) -> None:
    dense = make_bomb(tmp_path / "dicht.docx", 8, template)  # far below the size limit, but packed ~1000 to 1
    with zipfile.ZipFile(dense) as archive:
        info = archive.getinfo("word/document.xml")
        ratio = f"{info.file_size / info.compress_size:,.0f}"
    reason, message = _refused_both_ways(tmp_path, template, dense)
    assert reason == f"word/document.xml is packed {ratio} to 1; the limit is 100 (QA_MAX_ZIP_RATIO)"
    dutch = ratio.replace(",", ".")
    assert message == f"dicht.docx: word/document.xml is {dutch} op 1 ingepakt; de grens is 100 (QA_MAX_ZIP_RATIO)"


def test_zip_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_MAX_UNPACKED_MB", "5")
    monkeypatch.setenv("QA_MAX_ZIP_MEMBERS", "30")
    monkeypatch.setenv("QA_MAX_ZIP_RATIO", "40")
    limits = ZipLimits.from_settings(Settings())
    assert limits == ZipLimits(max_unpacked_bytes=5 * MB, max_members=30, max_ratio=40.0)
    for name in ("max_unpacked_mb", "max_zip_members", "max_zip_ratio"):
        assert Settings.model_fields[name].description
