"""Tiny real documents, made fresh for each test: PDFs by fpdf2, DOCX by python-docx; and retrieved
passages for the composer's pure stages."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from qa.search.retrieval import Hit

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REALDOCS = SHARED / "realdocs"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def make_pdf(path: Path, pages: Sequence[Sequence[str]], header: str | None = None, footer: bool = True) -> Path:
    """A born-digital PDF: each page a list of lines, with an optional running header and
    a 'Pagina N van M' footer, like a real report."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    if FONT.exists():
        pdf.add_font("DejaVu", "", str(FONT))
        family = "DejaVu"
    else:  # core font: Latin-1 only, enough for most tests
        family = "Helvetica"
    pdf.set_auto_page_break(False)
    for number, lines in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font(family, size=9)
        if header:
            pdf.set_xy(15, 10)
            pdf.cell(0, 5, header)
        pdf.set_font(family, size=11)
        pdf.set_xy(15, 25)
        for line in lines:
            pdf.set_x(15)
            pdf.multi_cell(180, 6, line)
            pdf.ln(2)
        if footer:
            pdf.set_font(family, size=9)
            pdf.set_xy(15, 280)
            pdf.cell(0, 5, f"Pagina {number} van {len(pages)}")
    pdf.output(str(path))
    return path


def make_hit(case: str | None, text: str = "Een zin.", chunk: int = 1, **fields: object) -> Hit:
    """A retrieved passage of a case (None: the study as a whole); `fields` set any other of its fields."""
    hit = Hit(
        rank=1,
        score=0.0,
        chunk_id=chunk,
        document=f"cases/{case}/a.md" if case else "study/s.md",
        kind=None,
        title="Titel",
        case_id=case,
        case_title=case,
        municipality=None,
        year=None,
        page=None,
        page_end=None,
        section=None,
        text=text,
        start=0,
        end=len(text),
    )
    return replace(hit, **fields)  # type: ignore[arg-type]


def make_docx(path: Path, parts: Sequence[tuple[str, object]]) -> Path:
    """parts: ("heading", text) | ("para", text) | ("table", [[cells], ...])."""
    import docx

    document = docx.Document()
    for kind, value in parts:
        if kind == "heading":
            document.add_heading(str(value), level=1)
        elif kind == "para":
            document.add_paragraph(str(value))
        elif kind == "table":
            rows = list(value)  # type: ignore[call-overload]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
    document.save(str(path))
    return path


def obeying_permissions() -> list[str]:
    """The command prefix for a child process that file permissions stop: root bypasses them, so as root
    the child runs without the two capabilities that do (util-linux setpriv)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps=-all"]


@pytest.fixture
def pdf_factory(tmp_path: Path) -> Callable[..., Path]:
    def build(name: str, pages: Sequence[Sequence[str]], **kwargs: object) -> Path:
        return make_pdf(tmp_path / name, pages, **kwargs)  # type: ignore[arg-type]

    return build


@pytest.fixture
def docx_factory(tmp_path: Path) -> Callable[..., Path]:
    def build(name: str, parts: Sequence[tuple[str, object]]) -> Path:
        return make_docx(tmp_path / name, parts)

    return build


# One real index of the sample study per test session, with the default (real) encoder.
# Its embeddings are cached across sessions by content hash, so a second run on the same
# machine embeds nothing; a fresh machine pays the full price once (several minutes on 2 cores).
TEST_EMBEDDING_CACHE = Path.home() / ".cache" / "vraagbaak-tests" / "embeddings.sqlite"


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from qa.settings import Settings

    index = tmp_path_factory.mktemp("sample-index")
    return Settings(corpus=REPO / "corpus", index=index, indexing={"cache_file": TEST_EMBEDDING_CACHE})


@pytest.fixture(scope="session")
def sample_service(sample_settings):  # type: ignore[no-untyped-def]
    """A Vraagbaak over the sample study with a freshly built index (real encoder)."""
    from qa.service import Vraagbaak

    service = Vraagbaak(sample_settings)
    summary = service.reindex()
    assert summary.documents >= 25 and not summary.skipped
    return service


#: Fixtures that build or open an index with the real encoders: every test using one (directly or
#: through another fixture) is marked `encoder`, and left out of `make test-fast`.
REAL_ENCODER_FIXTURES = frozenset({"sample_service", "web_study", "web_service", "app_with_quick_version"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_ENCODER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.encoder)


# The web app's session fixtures (one real index of the sample study, apps on loopback ports).
from web_fixtures import (  # noqa: E402, F401
    app_indexing_on_start,
    app_with_quick_version,
    app_without_index,
    auth_app,
    local_app,
    private_admin_app,
    tiny_app,
    web_service,
    web_study,
)
