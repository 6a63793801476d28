from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REALDOCS

from qa.errors import UnreadableDocumentError
from qa.ingest.chunking import document_units, quotable_spans
from qa.ingest.readers.archive import ZipLimits
from qa.ingest.readers.docx import read_docx
from qa.ingest.readers.pdf import join_across_pages, read_pdf
from qa.ingest.readers.plain import markdown_blocks, read_text
from qa.ingest.readers.tables import table_rows
from qa.records import Block, Document, DocumentKind
from qa.settings import Settings
from qa.textclean import find_running_lines, is_page_number, join_hyphenated, normalize

ZIP_LIMITS = ZipLimits.from_settings(Settings())
HEADER = "Bureau Meerstem · Fictief voorbeeld · Documentanalyse"


def test_pdf_keeps_pages_and_drops_running_header_and_footer(pdf_factory) -> None:
    path = pdf_factory(
        "rapport.pdf",
        [
            ["Aanleiding", "De gemeente Wierdenhaven stelde in 2015 een buurtbudget in van 120.000 euro."],
            ["Succesfactoren", "De buurtjury werd door loting samengesteld uit 400 vrijwilligers."],
        ],
        header=HEADER,
    )
    result = read_pdf(path, "cases/x/rapport.pdf")
    assert result.pages == 2
    text = "\n".join(b.text for b in result.blocks)
    assert "Bureau Meerstem" not in text
    assert "Pagina" not in text
    by_page = {b.page for b in result.blocks if "loting" in b.text}
    assert by_page == {2}
    assert [b.text for b in result.blocks if b.is_heading] == ["Aanleiding", "Succesfactoren"]
    loting = next(b for b in result.blocks if "loting" in b.text)
    assert loting.section == "Succesfactoren"


def test_a_sentence_a_page_break_cuts_is_mended_on_the_page_it_starts(pdf_factory) -> None:
    path = pdf_factory(
        "aanbevelingen.pdf",
        [
            [
                "De gemeente Den Haag krijgt van de onderzoekers de volgende aanbevelingen mee. Ze volgen uit de",
                "acht cases en de zes overkoepelende succesfactoren, en uit de gesprekken met ambtenaren en",
                "bewoners in de zeven gemeenten die aan het onderzoek meededen.",
                "",
                "• Reserveer naast projectbudget ook geld voor ondersteuning, zoals een",
            ],
            ["initiatievenmakelaar of een kwartiermaker. Maak de verantwoording evenredig aan het bedrag."],
            ["Een nieuwe alinea begint met een hoofdletter, na een zin die op de vorige pagina af was."],
        ],
        header=HEADER,
    )
    blocks = read_pdf(path, "aanbevelingen.pdf").blocks
    item = next(b for b in blocks if b.text.startswith("• Reserveer"))
    mended = "• Reserveer naast projectbudget ook geld voor ondersteuning, zoals een initiatievenmakelaar of een kwartiermaker."
    assert item.text == f"{mended} Maak de verantwoording evenredig aan het bedrag."
    # every sentence keeps the page it starts on
    assert item.page_at(item.text.index("zoals een")) == 1
    assert item.page_at(item.text.index("initiatievenmakelaar")) == 2
    document = Document("a.pdf", DocumentKind.STUDIE, "A", None, "0", 0, 3, tuple(blocks))
    assert [u.page for u in document_units(document) if not u.is_heading][-4:] == [1, 1, 2, 3]
    assert blocks[-1].page == 3 and blocks[-1].text.startswith("Een nieuwe alinea")  # a finished sentence stays


def test_pdf_ligatures_and_hyphenation_are_repaired(pdf_factory) -> None:
    path = pdf_factory(
        "lig.pdf",
        [["Een ﬁnanciële bijdrage voor de partici-", "patie van bewoners was essentieel."]],
    )
    text = " ".join(b.text for b in read_pdf(path, "lig.pdf").blocks)
    assert "financiële" in text
    assert "participatie van bewoners" in text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Dit is helemaal geen PDF maar platte tekst.", "not a PDF"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", "truncated PDF"),
        (b"%PDF-1.4\n\x00\x01garbage garbage\nstartxref\n999999\n%%EOF\n", "corrupt PDF"),
    ],
)
def test_bad_pdfs_get_a_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    with pytest.raises(UnreadableDocumentError) as caught:
        read_pdf(path, "cases/x/bad.pdf")
    assert reason in caught.value.reason
    assert "cases/x/bad.pdf" in str(caught.value)


def test_truncated_real_pdf(pdf_factory, tmp_path: Path) -> None:
    whole = pdf_factory("heel.pdf", [["Een volledige pagina tekst over participatie."]]).read_bytes()
    cut = tmp_path / "half.pdf"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnreadableDocumentError, match="truncated"):
        read_pdf(cut, "half.pdf")


def _encrypt(source: Path, target: Path, password: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=password, owner_password="eigenaar", algorithm="RC4-128")
    with target.open("wb") as handle:
        writer.write(handle)
    return target


def test_encrypted_pdf_with_password_is_refused(pdf_factory, tmp_path: Path) -> None:
    plain = pdf_factory("open.pdf", [["Vertrouwelijke tekst over het wijkbudget."]])
    locked = _encrypt(plain, tmp_path / "locked.pdf", "geheim")
    with pytest.raises(UnreadableDocumentError, match="encrypted PDF"):
        read_pdf(locked, "locked.pdf")


def test_encrypted_pdf_with_empty_password_opens(pdf_factory, tmp_path: Path) -> None:
    plain = pdf_factory("open.pdf", [["Tekst die iedereen mag lezen over het wijkbudget."]])
    locked = _encrypt(plain, tmp_path / "owner-only.pdf", "")
    text = " ".join(b.text for b in read_pdf(locked, "owner-only.pdf").blocks)
    assert "wijkbudget" in text


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")  # a 'scan': shapes, no text
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    with pytest.raises(UnreadableDocumentError, match="no text layer; OCR is not supported"):
        read_pdf(path, "scan.pdf")


def test_docx_headings_paragraphs_and_table_in_order(docx_factory) -> None:
    path = docx_factory(
        "interview.docx",
        [
            ("heading", "Verloop"),
            ("para", "De stemming liep van 1 tot 21 maart."),
            ("table", [["Ronde", "Stemmen"], ["Online", "1.240"], ["Papier", "630"]]),
            ("heading", "Wat werkte goed"),
            ("para", "De wijkregisseur was het vaste aanspreekpunt."),
        ],
    )
    blocks = read_docx(path, "interview.docx", ZIP_LIMITS).blocks
    assert blocks[0].text == "Verloop"
    table = blocks[2]
    assert table.text.splitlines() == [
        "Ronde | Stemmen",
        "Ronde: Online; Stemmen: 1.240",
        "Ronde: Papier; Stemmen: 630",
    ]
    assert table.section == "Verloop"
    assert blocks[-1].section == "Wat werkte goed"
    assert all(b.page is None for b in blocks)


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"geen zip", "not a DOCX"), (b"PK\x03\x04 kapotte zip", "broken DOCX")],
)
def test_bad_docx(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "kapot.docx"
    path.write_bytes(content)
    with pytest.raises(UnreadableDocumentError, match=reason):
        read_docx(path, "kapot.docx", ZIP_LIMITS)


def test_markdown_sections_lists_and_tables() -> None:
    blocks = markdown_blocks(
        "# Interview\n\nIntro tekst.\n\n## Wat ging goed\n\n- Snelle besluiten\n- Lage drempel\n\n"
        "| Jaar | Aanvragen |\n|---|---|\n| 2014 | 81 |\n\n**Bewoner:** Het was druk.\n"
    )
    texts = [b.text for b in blocks]
    assert texts[:2] == ["Interview", "Intro tekst."]
    assert "• Snelle besluiten" in texts and "• Lage drempel" in texts  # list items keep a bullet
    assert "2014 | 81" in texts
    assert "Bewoner: Het was druk." in texts
    assert next(b for b in blocks if b.text == "• Lage drempel").section == "Wat ging goed"


def test_legacy_encoding_falls_back_to_cp1252_with_warning(tmp_path: Path) -> None:
    path = tmp_path / "oud.txt"
    path.write_bytes("Café De Klaproos kreeg € 45.000 subsidie.".encode("cp1252"))
    result = read_text(path, "cases/x/oud.txt")
    assert "€ 45.000" in result.blocks[0].text
    assert result.warnings and "cases/x/oud.txt" in result.warnings[0] and "cp1252" in result.warnings[0]


def test_text_helpers() -> None:
    assert normalize("ﬁjn  en\u00adschoon\u00a0hier") == "fijn enschoon hier"
    assert join_hyphenated("bewoners-\nparticipatie en Noord-\nHolland") == "bewonersparticipatie en Noord-\nHolland"
    assert is_page_number("Pagina 3 van 12") and is_page_number("- 4 -") and is_page_number("17")
    assert not is_page_number("2015 was een goed jaar")
    pages = [["Kop rapport", "tekst een", "Pagina 1 van 2"], ["Kop rapport", "tekst twee", "Pagina 2 van 2"]]
    assert find_running_lines(pages) == {"kop rapport", "pagina # van #"}


def test_table_rows_without_header() -> None:
    assert table_rows([["Wie", ""], ["x", "y"]]) == ["Wie", "x | y"]
    assert table_rows([["", ""], ["x", "y"]]) == ["x | y"]


def test_a_pdf_table_is_read_as_rows(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(
        180, 6, "De jaarlijkse kosten van het platform zijn als volgt begroot, volgens de begroting van 2015:"
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=(60, 40, 80)) as table:
        for cells in [
            ("Post", "Kosten per jaar", "Toelichting"),
            ("Licentie platform", "EUR 28.000", "Contract met de leverancier tot en met 2017"),
            ("Moderatie", "EUR 15.000", "Een moderator, 16 uur per week"),
            ("Totaal", "EUR 43.000", ""),
        ]:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.set_font("Helvetica", size=11)
    pdf.ln(4)
    pdf.multi_cell(180, 6, "De moderator reageert binnen twee werkdagen op elke bijdrage aan het platform.")
    path = tmp_path / "kosten.pdf"
    pdf.output(str(path))
    blocks = [b.text for b in read_pdf(path, "kosten.pdf").blocks]
    table = next(b for b in blocks if b.startswith("Post | "))
    assert table.split("\n") == [
        "Post | Kosten per jaar | Toelichting",
        "Post: Licentie platform; Kosten per jaar: EUR 28.000; Toelichting: Contract met de leverancier tot en met 2017",
        "Post: Moderatie; Kosten per jaar: EUR 15.000; Toelichting: Een moderator, 16 uur per week",
        "Post: Totaal; Kosten per jaar: EUR 43.000",
    ]
    assert blocks[-1].startswith("De moderator reageert")  # the text after the table is not part of it
    assert quotable_spans(table) and all(table[a:b].startswith("Post: ") for a, b in quotable_spans(table))


def test_a_line_of_names_in_a_real_pdf_is_not_a_table() -> None:
    """Kamervragen: "Vragen van de leden Van Weyenberg, Romke de Jong en Kat (allen D66)" sets names
    apart on two lines; two lines are not a table."""
    path = REALDOCS / "kamervragen-ah-tk-20202021-3235.pdf"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    text = "\n".join(b.text for b in read_pdf(path, path.name).blocks)
    assert "Vragen van de leden |" not in text and "Van Weyenberg" in text


def test_page_break_mending_keeps_table_rows_and_finished_sentences() -> None:
    table = Block(text="Post | Bedrag\nPost: Huur; Bedrag: € 900", page=1, section="Kosten")
    after = Block(text="en verder niets.", page=2, section="Kosten")
    assert join_across_pages([table, after]) == [table, after]
    cut = Block(text="Het fonds gaf geld aan de", page=1, section="Kosten")
    assert [b.text for b in join_across_pages([cut, after])] == ["Het fonds gaf geld aan de en verder niets."]
    heading = Block(text="Kosten", page=2, section="Kosten", is_heading=True)
    assert join_across_pages([cut, heading, after]) == [cut, heading, after]
