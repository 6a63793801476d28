"""Private-use characters from ToUnicode CMaps mapped back to real text through the fonts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from qa.ingest.readers.pdf import read_pdf
from qa.ingest.readers.pdf_glyphs import (
    apply_mapping,
    glyph_name_to_text,
    has_private_use,
    parse_to_unicode,
    repair_private_use,
)

REAL_PDF = Path(__file__).resolve().parents[1].parent / "shared" / "realdocs" / "toegankelijkheidsonderzoek-2025.pdf"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("f", "f"),
        ("fi", "fi"),
        ("fl", "fl"),
        ("f_t", "ft"),
        ("f_f_i", "ffi"),
        ("f.alt", "f"),
        ("f.ss01", "f"),
        ("f_i.liga", "fi"),
        ("uniFB01", "fi"),
        ("uni0066", "f"),
        ("uni00660069", "fi"),
        ("u1F600", "😀"),
        ("eacute", "é"),
        ("T_h", "Th"),
        ("glyph00012", None),
        ("cid00012", None),
        (".notdef", None),
        ("", None),
        ("uniE01E", None),  # still private use: no meaning
        ("f_glyph00012", None),  # a component without meaning spoils the whole name
    ],
)
def test_glyph_name_to_text(name: str, text: str | None) -> None:
    assert glyph_name_to_text(name) == text


def test_apply_mapping() -> None:
    assert apply_mapping("hee\ue01et \ue035jn", {"\ue01e": "f", "\ue035": "fi"}) == "heeft fijn"
    assert apply_mapping("onveranderd", {}) == "onveranderd"


def test_parse_to_unicode_bfchar_and_bfrange() -> None:
    cmap = b"""2 beginbfchar
<0001> <e01e>
<0002> <00660069>
endbfchar
2 beginbfrange
<0010> <0012> <0061>
<0020> <0021> [<0041> <d83dde00>]
endbfrange"""
    assert parse_to_unicode(cmap) == {
        1: "\ue01e",
        2: "fi",
        0x10: "a",
        0x11: "b",
        0x12: "c",
        0x20: "A",
        0x21: "😀",
    }


def test_repair_never_raises_on_junk() -> None:
    assert repair_private_use(object()) == {}
    assert repair_private_use([None, 42, {"/Resources": "kapot"}]) == {}


# --- synthetic fonts: evidence from glyph names, the font's cmap, and GSUB ----------


def _font(*, keep_names: bool, pua_in_cmap: bool, ligature_feature: bool, side_by_side: bool = False) -> bytes:
    """A tiny TrueType font with glyphs f, i and an f_i ligature: of its own shape, or (side_by_side)
    drawn as f and i one after the other with a joined crossbar, as wide as both."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def box(*rects: tuple[int, int, int, int]) -> object:
        pen = TTGlyphPen(None)
        for x0, y0, x1, y1 in rects:
            pen.moveTo((x0, y0))
            pen.lineTo((x0, y1))
            pen.lineTo((x1, y1))
            pen.lineTo((x1, y0))
            pen.closePath()
        return pen.glyph()

    order = [".notdef", "f", "i", "f_i"]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(order)
    cmap = {0x66: "f", 0x69: "i"}
    if pua_in_cmap:
        cmap[0xE000] = "f_i"
    builder.setupCharacterMap(cmap)
    shapes = {
        ".notdef": [(0, 0, 500, 700)],
        "f": [(50, 0, 150, 700), (0, 400, 300, 480)],
        "i": [(50, 0, 150, 500), (50, 600, 150, 700)],
        "f_i": [(50, 0, 150, 700), (0, 400, 400, 480), (350, 0, 450, 500), (350, 600, 450, 700)]
        if side_by_side
        else [(50, 0, 150, 700), (0, 400, 450, 480), (350, 0, 450, 500)],
    }
    builder.setupGlyf({name: box(*rects) for name, rects in shapes.items()})
    widths = {".notdef": 600, "f": 300, "i": 200, "f_i": 500} if side_by_side else dict.fromkeys(order, 600)
    left = {name: min(rect[0] for rect in rects) for name, rects in shapes.items()}
    builder.setupHorizontalMetrics({name: (width, left[name]) for name, width in widths.items()})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Proef", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost(keepGlyphNames=keep_names)
    if ligature_feature:
        builder.addOpenTypeFeatures("feature liga { sub f i by f_i; } liga;")
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def _pdf_with_type0_font(path: Path, font_program: bytes) -> Path:
    """A one-page PDF showing CIDs 1,3,2 (f, f_i, i) whose ToUnicode maps CID 3 to U+E000."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)

    def stream(data: bytes, **entries: object) -> object:
        obj = DecodedStreamObject()
        obj.set_data(data)
        for key, value in entries.items():
            obj[NameObject("/" + key)] = value
        return writer._add_object(obj)

    font_file = stream(font_program, Length1=NumberObject(len(font_program)))
    to_unicode = stream(
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"1 begincodespacerange <0000> <ffff> endcodespacerange\n"
        b"3 beginbfchar <0001> <0066> <0002> <0069> <0003> <e000> endbfchar\n"
        b"endcmap end end\n"
    )
    descriptor = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/FontDescriptor"),
                NameObject("/FontName"): NameObject("/ABCDEF+Proef-Regular"),
                NameObject("/Flags"): NumberObject(32),
                NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in (0, -200, 1000, 800)]),
                NameObject("/ItalicAngle"): NumberObject(0),
                NameObject("/Ascent"): NumberObject(800),
                NameObject("/Descent"): NumberObject(-200),
                NameObject("/CapHeight"): NumberObject(700),
                NameObject("/StemV"): NumberObject(80),
                NameObject("/FontFile2"): font_file,
            }
        )
    )
    descendant = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/CIDFontType2"),
                NameObject("/BaseFont"): NameObject("/ABCDEF+Proef-Regular"),
                NameObject("/CIDSystemInfo"): DictionaryObject(
                    {
                        NameObject("/Registry"): TextStringObject("Adobe"),
                        NameObject("/Ordering"): TextStringObject("Identity"),
                        NameObject("/Supplement"): NumberObject(0),
                    }
                ),
                NameObject("/FontDescriptor"): descriptor,
                NameObject("/DW"): NumberObject(600),
            }
        )
    )
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type0"),
                NameObject("/BaseFont"): NameObject("/ABCDEF+Proef-Regular"),
                NameObject("/Encoding"): NameObject("/Identity-H"),
                NameObject("/DescendantFonts"): ArrayObject([descendant]),
                NameObject("/ToUnicode"): to_unicode,
            }
        )
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    page[NameObject("/Contents")] = stream(b"BT /F1 24 Tf 20 100 Td <000100030002> Tj ET")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


@pytest.mark.parametrize(
    ("keep_names", "pua_in_cmap", "ligature_feature", "side_by_side", "expected"),
    [
        (True, True, False, False, "fi"),  # post table names: "f_i"
        (False, False, True, False, "fi"),  # no names: GSUB ligature f + i → f_i
        (False, False, False, True, "fi"),  # no names, no GSUB: looks like f and i side by side
        (False, True, False, False, None),  # only a PUA cmap entry, a shape of its own: left alone
    ],
)
def test_synthetic_font_evidence(
    tmp_path: Path,
    keep_names: bool,
    pua_in_cmap: bool,
    ligature_feature: bool,
    side_by_side: bool,
    expected: str | None,
) -> None:
    from pypdf import PdfReader

    program = _font(
        keep_names=keep_names,
        pua_in_cmap=pua_in_cmap,
        ligature_feature=ligature_feature,
        side_by_side=side_by_side,
    )
    reader = PdfReader(_pdf_with_type0_font(tmp_path / "proef.pdf", program))
    raw = reader.pages[0].extract_text()
    assert "\ue000" in raw
    mapping = repair_private_use(reader)
    if expected is None:
        assert mapping == {}
    else:
        assert mapping == {"\ue000": expected}
        assert apply_mapping(raw, mapping).replace(" ", "") == "ffii"
        assert repair_private_use(reader.pages) == mapping  # the pages alone work too


# --- the real document --------------------------------------------------------------


@pytest.mark.slow  # the whole real report, page by page
@pytest.mark.skipif(not REAL_PDF.exists(), reason=f"real document not available at {REAL_PDF}")
def test_real_pdf_private_use_repaired() -> None:
    from pypdf import PdfReader

    reader = PdfReader(REAL_PDF)
    raw = "\n".join(page.extract_text() for page in reader.pages)
    assert has_private_use(raw), "the document no longer shows the problem this test is about"
    mapping = repair_private_use(reader)
    assert mapping.get("\ue01e") == "f"
    assert not any(has_private_use(value) for value in mapping.values())

    result = read_pdf(REAL_PDF, REAL_PDF.name)
    text = "\n".join(block.text for block in result.blocks)
    assert "heeft" in text
    assert "Afbeeldingen" in text and "vooraf" in text and "fijn" in text
    assert not has_private_use(text)
