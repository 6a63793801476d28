"""Recover real text for private-use characters that a PDF's ToUnicode CMaps produce.

Some PDF producers (cairo, as used by Firefox and many other programs, is a common one)
write a ToUnicode CMap that maps ligatures and alternate glyphs to Private Use Area
code points (U+E000–U+F8FF and the supplementary PUA planes): the producer looked the
glyph up in the font's own ``cmap`` and found only a PUA entry there. pypdf then extracts
"hee\\ue01et" for "heeft" and "\\ue035jn" for "fijn". NFKC cannot help, PUA has no
decomposition, so the text has to come from the embedded font program itself.

``repair_private_use(reader)`` returns a mapping from each such character to real text;
``apply_mapping(text, mapping)`` applies it. Only fonts whose ToUnicode CMap yields a PUA
character are examined (plus, when needed, the other embedded subsets of the same font,
see 4. and 5. below); every font is parsed at most once per call.

For each PUA-producing code the glyph it shows is located (simple TrueType: the font's
(3,0)/(1,0) ``cmap`` by code, else the encoding's glyph name through the (3,1) ``cmap``;
simple CFF: the encoding's glyph name; Type0 with Identity-H/V, where code = CID: for a
CIDFontType2 CID→GID through ``/CIDToGIDMap``, Identity by default, for CFF GID = CID or
the charset of a CID-keyed CFF), and the following evidence is tried, most trusted first:

1. The glyph's name, when the font really carries names (``post`` table format 1/2, a
   non-CID CFF charset, or the PDF font's ``/Encoding /Differences``), converted with the
   Adobe Glyph List rules: suffixes after "." are dropped ("f.alt" → "f"), "_" joins
   components ("f_f_i" → "ffi"), "uniXXXX"/"uXXXXX" are hex code points, and the
   alphabetic presentation forms U+FB00–U+FB4F are decomposed ("fi", "uniFB01" → "fi").
2. The font's own ``cmap``: a non-PUA code point that maps to the same glyph.
3. The font's ``GSUB``: a ligature substitution that produces the glyph (the text of
   its components, resolved recursively) or a single/alternate substitution from a
   glyph whose text is known.
4. An identical outline in any embedded subset of the same font (same /BaseFont
   without the "ABCDEF+" subset tag) where the glyph is reached by a code whose
   ToUnicode text is not PUA. Producers often split one font into a simple-font subset
   and a Type0 subset, and subsets without names (cairo writes TrueType subsets without
   ``post``) still share exact outlines. A glyph that only occurs as the first, unshifted
   component of a composite glyph with a known text inherits that text's first base
   letter (the "f" part of a composite "fl", the dotless i of an "i").
5. A side-by-side ligature: the glyph's advance width equals (within 2% of the em) the
   summed advances of 2–3 glyphs with known text from the same font's subsets, and its
   rasterised shape (nonzero winding, 32 cells per em) overlaps theirs placed one after
   the other by IoU ≥ 0.8, at least 0.05 better than any reading with different text.
   This resolves "fi" drawn as one merged outline.

Glyphs resolved in a pass become evidence for the next (the "fi" search uses an "f"
found by 4.). When different fonts disagree about one PUA character, the reading backed
by the most fonts wins. Every step is guarded: on a damaged font or PDF the function
returns what it found so far (possibly an empty mapping) and never raises. At most 1024
PUA codes per font are examined and the whole search stops after 10 seconds.

Limits: only characters are remapped, so a ToUnicode entry that is wrong but not PUA
(e.g. an "fl" ligature glyph mapped to plain "f", or a fallback font's "missing glyph"
box mapped to some symbol) is not corrected; Type0 fonts with encodings other than
Identity-H/V are skipped; fonts without an embedded TrueType/CFF program (Type1
``/FontFile``, Type3) only get evidence 1 from ``/Differences``.
"""

from __future__ import annotations

import logging
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from fontTools.pens.basePen import BasePen

log = logging.getLogger(__name__)

_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
_GRID = 32  # raster cells per em for the ligature comparison
_MIN_IOU = 0.8
_MIN_MARGIN = 0.05
_MAX_KNOWN = 400  # per family, bounds the ligature search
_MAX_CODES_PER_FONT = 1024  # PUA codes examined per font (a CMap may map whole ranges)
_TIME_BUDGET = 10.0  # seconds; past it the mapping found so far is returned

Outline = tuple[Any, ...]
Raster = dict[int, int]


def is_private_use(char: str) -> bool:
    return unicodedata.category(char) == "Co"


def has_private_use(text: str) -> bool:
    return any(is_private_use(char) for char in text)


def glyph_name_to_text(name: str) -> str | None:
    """Text for a glyph name by the Adobe Glyph List rules, or None if it has no meaning.

    "f_t" → "ft", "fi" → "fi", "f_f_i" → "ffi", "f.alt" → "f", "uniFB01" → "fi",
    "uni0066" → "f"; "glyph00012", "cid00012", ".notdef" and PUA results → None.
    """
    from fontTools.agl import toUnicode

    base = name.split(".", 1)[0]
    if not base:
        return None
    parts: list[str] = []
    for component in base.split("_"):
        text = toUnicode(component) if component else ""
        if not text:
            return None
        parts.append(text)
    text = "".join(parts)
    text = "".join(unicodedata.normalize("NFKC", char) if 0xFB00 <= ord(char) <= 0xFB4F else char for char in text)
    if not text or any(is_private_use(c) or unicodedata.category(c) in ("Cc", "Cs", "Cn") for c in text):
        return None
    return text


def apply_mapping(text: str, mapping: dict[str, str]) -> str:
    """Replace each mapped character in text by its recovered text."""
    if not mapping or not text:
        return text
    table = {ord(key): value for key, value in mapping.items() if len(key) == 1}
    return text.translate(table)


def repair_private_use(reader: Any) -> dict[str, str]:
    """Map each private-use character produced by the document's ToUnicode CMaps to real text.

    reader is a pypdf PdfReader or an iterable of its pages. Never raises.
    """
    try:
        pages = reader.pages if hasattr(reader, "pages") else reader
        return _Repair(pages).run()
    except Exception:  # a damaged PDF or font must never stop reading
        log.debug("private-use repair failed", exc_info=True)
        return {}


# ---------------------------------------------------------------------------------------
# PDF side: fonts, ToUnicode, code → glyph


def _resolve(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _object_key(ref: Any, obj: Any) -> tuple[int, int]:
    idnum = getattr(ref, "idnum", None)
    if idnum is not None:
        return (int(idnum), int(getattr(ref, "generation", 0)))
    return (-1, id(obj))


def _iter_fonts(pages: Iterable[Any]) -> Iterator[tuple[tuple[int, int], Any]]:
    """Every font dictionary reachable from the pages, through Form XObjects too, once."""
    seen_fonts: set[tuple[int, int]] = set()
    seen_resources: set[tuple[int, int]] = set()
    for page in pages:
        try:
            stack = [page.get("/Resources")]
        except Exception:
            log.debug("page without readable resources", exc_info=True)
            continue
        while stack:
            ref = stack.pop()
            try:
                resources = _resolve(ref)
                if resources is None or not hasattr(resources, "get"):
                    continue
                key = _object_key(ref, resources)
                if key in seen_resources:
                    continue
                seen_resources.add(key)
                fonts = _resolve(resources.get("/Font"))
                if fonts is not None:
                    for font_ref in fonts.values():
                        font = _resolve(font_ref)
                        font_key = _object_key(font_ref, font)
                        if font_key not in seen_fonts and hasattr(font, "get"):
                            seen_fonts.add(font_key)
                            yield font_key, font
                xobjects = _resolve(resources.get("/XObject"))
                if xobjects is not None:
                    for xobject_ref in xobjects.values():
                        xobject = _resolve(xobject_ref)
                        if hasattr(xobject, "get") and xobject.get("/Subtype") == "/Form":
                            stack.append(xobject.get("/Resources"))
            except Exception:
                log.debug("unreadable resources", exc_info=True)


def _hex_to_text(raw: bytes) -> str:
    data = bytes.fromhex(re.sub(rb"\s", b"", raw).decode("ascii"))
    if len(data) % 2:
        data = b"\x00" + data
    return data.decode("utf-16-be", errors="replace")


def _hex_to_int(raw: bytes) -> int:
    cleaned = re.sub(rb"\s", b"", raw)
    return int(cleaned, 16) if cleaned else 0


def parse_to_unicode(data: bytes) -> dict[int, str]:
    """code → text from a ToUnicode CMap stream (bfchar and bfrange sections)."""
    mapping: dict[int, str] = {}
    for section in re.finditer(rb"beginbfchar(.*?)endbfchar", data, re.S):
        hexes = _HEX.findall(section.group(1))
        for source, target in zip(hexes[0::2], hexes[1::2], strict=False):
            mapping[_hex_to_int(source)] = _hex_to_text(target)
    for section in re.finditer(rb"beginbfrange(.*?)endbfrange", data, re.S):
        body = section.group(1)
        for entry in re.finditer(rb"<([^<>]*)>\s*<([^<>]*)>\s*(<[^<>]*>|\[[^\]]*\])", body):
            low, high = _hex_to_int(entry.group(1)), _hex_to_int(entry.group(2))
            if high < low or high - low > 0xFFFF:
                continue
            target = entry.group(3)
            if target.startswith(b"["):
                for offset, item in enumerate(_HEX.findall(target)):
                    if low + offset <= high:
                        mapping[low + offset] = _hex_to_text(item)
            else:
                start = _hex_to_text(target[1:-1])
                if not start:
                    continue
                for offset in range(high - low + 1):
                    last = chr(min(ord(start[-1]) + offset, 0x10FFFF))
                    mapping[low + offset] = start[:-1] + last
    return mapping


def _differences(font: Any) -> dict[int, str]:
    encoding = _resolve(font.get("/Encoding"))
    names: dict[int, str] = {}
    if encoding is None or not hasattr(encoding, "get"):
        return names
    code = 0
    for item in _resolve(encoding.get("/Differences")) or []:
        item = _resolve(item)
        if isinstance(item, int):
            code = item
        else:
            names[code] = str(item).lstrip("/")
            code += 1
    return names


def _base_encoding_name(font: Any, code: int) -> str | None:
    """Glyph name for a simple font's code from /Differences or its base encoding."""
    name = _differences(font).get(code)
    if name:
        return name
    encoding = _resolve(font.get("/Encoding"))
    base = encoding.get("/BaseEncoding") if hasattr(encoding, "get") else encoding
    base_name = str(base or "/StandardEncoding").lstrip("/")
    if not 0 <= code <= 255:
        return None
    if base_name == "WinAnsiEncoding":
        from fontTools.agl import UV2AGL

        char = bytes([code]).decode("cp1252", errors="ignore")
        return (UV2AGL.get(ord(char)) or f"uni{ord(char):04X}") if char else None
    if base_name == "MacRomanEncoding":
        from fontTools.encodings.MacRoman import MacRoman

        name = MacRoman[code]
    else:
        from fontTools.encodings.StandardEncoding import StandardEncoding

        name = StandardEncoding[code]
    return name if name and name != ".notdef" else None


# ---------------------------------------------------------------------------------------
# Font program side: names, cmap, GSUB, outlines


class _Program:
    """An embedded TrueType/OpenType/CFF font program, read with fontTools."""

    def __init__(self, data: bytes, kind: str) -> None:
        self.tt: Any = None
        self.cff_top: Any = None
        self.glyph_order: list[str] = []
        self.real_names = False
        self.cid_keyed = False
        self.upm = 1000
        self._outlines: dict[int, Outline | None] = {}
        self._polygons: dict[int, list[list[tuple[float, float]]]] = {}
        self._rasters: dict[int, Raster] = {}
        self._reverse_cmap: dict[int, list[int]] | None = None
        self._gsub: tuple[dict[int, list[int]], dict[int, int]] | None = None
        if kind == "cff":
            from fontTools.cffLib import CFFFontSet

            font_set = CFFFontSet()
            font_set.decompile(BytesIO(data), None)
            self.cff_top = font_set[font_set.fontNames[0]]
            self.glyph_order = list(self.cff_top.charset)
            self.cid_keyed = hasattr(self.cff_top, "ROS")
            self.real_names = not self.cid_keyed
            matrix = getattr(self.cff_top, "FontMatrix", None)
            if matrix and matrix[0]:
                self.upm = round(1 / matrix[0])
        else:
            from fontTools.ttLib import TTFont

            self.tt = TTFont(BytesIO(data), lazy=True, fontNumber=0)
            self.glyph_order = self.tt.getGlyphOrder()
            self.upm = int(self.tt["head"].unitsPerEm) if "head" in self.tt else 1000
            if "post" in self.tt:
                self.real_names = self.tt["post"].formatType in (1.0, 2.0)
            if "CFF " in self.tt:
                self.cff_top = self.tt["CFF "].cff.topDictIndex[0]
                self.cid_keyed = hasattr(self.cff_top, "ROS")
                self.real_names = not self.cid_keyed
        self._glyph_set: Any = None

    # --- glyph identity

    def name(self, gid: int) -> str | None:
        return self.glyph_order[gid] if 0 <= gid < len(self.glyph_order) else None

    def gid_for_name(self, name: str) -> int | None:
        if self.tt is not None:
            try:
                return int(self.tt.getGlyphID(name))
            except Exception:
                return None
        try:
            return self.glyph_order.index(name)
        except ValueError:
            return None

    def gid_for_cid(self, cid: int, cid_to_gid: bytes | None) -> int:
        if cid_to_gid is not None:
            if 2 * cid + 1 < len(cid_to_gid):
                return int.from_bytes(cid_to_gid[2 * cid : 2 * cid + 2], "big")
            return 0
        if self.cid_keyed:
            gid = self.gid_for_name(f"cid{cid:05d}")
            return gid if gid is not None else 0
        return cid

    def cmap_tables(self) -> list[Any]:
        if self.tt is None or "cmap" not in self.tt:
            return []
        return list(self.tt["cmap"].tables)

    def unicodes_for(self, gid: int) -> list[int]:
        if self._reverse_cmap is None:
            reverse: dict[int, list[int]] = {}
            for table in self.cmap_tables():
                if table.isUnicode():
                    for codepoint, glyph in table.cmap.items():
                        target = self.gid_for_name(glyph)
                        if target is not None:
                            reverse.setdefault(target, []).append(codepoint)
            self._reverse_cmap = reverse
        return sorted(set(self._reverse_cmap.get(gid, [])))

    def advance(self, gid: int) -> int:
        name = self.name(gid)
        if name is None:
            return 0
        if self.tt is not None and "hmtx" in self.tt:
            return int(self.tt["hmtx"][name][0])
        charstring = self.glyph_set()[name]
        if getattr(charstring, "width", None) is None:
            charstring.draw(_FlattenPen(self.glyph_set()))  # running the charstring sets its width
        return int(getattr(charstring, "width", 0) or 0)

    def glyph_set(self) -> Any:
        if self._glyph_set is None:
            if self.tt is not None:
                self._glyph_set = self.tt.getGlyphSet()
            else:
                self._glyph_set = self.cff_top.CharStrings
        return self._glyph_set

    def components(self, gid: int) -> list[tuple[int, int, int, bool]]:
        """(component gid, x, y, transformed) of a TrueType composite glyph, else []."""
        name = self.name(gid)
        if name is None or self.tt is None or "glyf" not in self.tt:
            return []
        glyph = self.tt["glyf"][name]
        if not glyph.isComposite():
            return []
        result = []
        for component in glyph.components:
            target = self.gid_for_name(component.glyphName)
            if target is None:
                return []
            transformed = hasattr(component, "transform") or not hasattr(component, "x")
            x, y = int(getattr(component, "x", 0)), int(getattr(component, "y", 0))
            result.append((target, x, y, transformed))
        return result

    # --- outlines

    def outline(self, gid: int) -> Outline | None:
        """The decomposed outline, rounded, as a hashable value (None for an empty glyph)."""
        if gid in self._outlines:
            return self._outlines[gid]
        from fontTools.pens.recordingPen import DecomposingRecordingPen

        result: Outline | None = None
        name = self.name(gid)
        if name is not None:
            glyph_set = self.glyph_set()
            pen = DecomposingRecordingPen(glyph_set)
            glyph_set[name].draw(pen)
            if pen.value:
                result = (
                    self.upm,
                    tuple(
                        (op, tuple((round(x), round(y)) for x, y in args if args is not None)) for op, args in pen.value
                    ),
                )
        self._outlines[gid] = result
        return result

    def polygons(self, gid: int) -> list[list[tuple[float, float]]]:
        if gid not in self._polygons:
            polygons: list[list[tuple[float, float]]] = []
            name = self.name(gid)
            if name is not None:
                glyph_set = self.glyph_set()
                pen = _FlattenPen(glyph_set)
                glyph_set[name].draw(pen)
                polygons = pen.polygons
            self._polygons[gid] = polygons
        return self._polygons[gid]

    def raster(self, gid: int) -> Raster:
        if gid not in self._rasters:
            self._rasters[gid] = _rasterize(((polygon, 0.0) for polygon in self.polygons(gid)), self.upm)
        return self._rasters[gid]

    # --- GSUB

    def gsub_sources(self) -> tuple[dict[int, list[int]], dict[int, int]]:
        """(ligature gid → component gids, substituted gid → source gid) from GSUB."""
        if self._gsub is None:
            self._gsub = ({}, {})
            self._gsub = self._read_gsub()
        return self._gsub

    def _read_gsub(self) -> tuple[dict[int, list[int]], dict[int, int]]:
        ligatures: dict[int, list[int]] = {}
        singles: dict[int, int] = {}
        if self.tt is None or "GSUB" not in self.tt:
            return ligatures, singles
        table = self.tt["GSUB"].table
        if not table.LookupList:
            return ligatures, singles
        for lookup in table.LookupList.Lookup:
            for subtable in lookup.SubTable:
                while getattr(subtable, "ExtSubTable", None) is not None:
                    subtable = subtable.ExtSubTable
                kind = getattr(subtable, "LookupType", None)
                if kind == 4:
                    for first, entries in subtable.ligatures.items():
                        for entry in entries:
                            target = self.gid_for_name(entry.LigGlyph)
                            parts = [self.gid_for_name(n) for n in [first, *entry.Component]]
                            if target is not None and None not in parts and target not in ligatures:
                                ligatures[target] = [p for p in parts if p is not None]
                elif kind == 1:
                    for source, target_name in subtable.mapping.items():
                        self._add_single(singles, source, target_name)
                elif kind == 3:
                    for source, targets in subtable.alternates.items():
                        for target_name in targets:
                            self._add_single(singles, source, target_name)
        return ligatures, singles

    def _add_single(self, singles: dict[int, int], source: str, target_name: str) -> None:
        target = self.gid_for_name(target_name)
        source_gid = self.gid_for_name(source)
        if target is not None and source_gid is not None and target != source_gid:
            singles.setdefault(target, source_gid)


class _FlattenPen(BasePen):
    """Collects glyph contours as polygons; curves are approximated by a few segments."""

    def __init__(self, glyph_set: Any) -> None:
        super().__init__(glyph_set)
        self.polygons: list[list[tuple[float, float]]] = []
        self.current: list[tuple[float, float]] = []

    def _moveTo(self, point: tuple[float, float]) -> None:
        self.current = [point]

    def _lineTo(self, point: tuple[float, float]) -> None:
        self.current.append(point)

    def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:
        x0, y0 = self.current[-1] if self.current else (0.0, 0.0)
        for t in (0.25, 0.5, 0.75, 1.0):
            m = 1 - t
            self.current.append(
                (
                    m**3 * x0 + 3 * m * m * t * p1[0] + 3 * m * t * t * p2[0] + t**3 * p3[0],
                    m**3 * y0 + 3 * m * m * t * p1[1] + 3 * m * t * t * p2[1] + t**3 * p3[1],
                )
            )

    def _qCurveToOne(self, p1: Any, p2: Any) -> None:
        x0, y0 = self.current[-1] if self.current else (0.0, 0.0)
        for t in (0.25, 0.5, 0.75, 1.0):
            m = 1 - t
            self.current.append(
                (
                    m * m * x0 + 2 * m * t * p1[0] + t * t * p2[0],
                    m * m * y0 + 2 * m * t * p1[1] + t * t * p2[1],
                )
            )

    def _closePath(self) -> None:
        if len(self.current) > 2:
            self.polygons.append(self.current)
        self.current = []

    def _endPath(self) -> None:
        self._closePath()


def _rasterize(polygons: Iterable[tuple[list[tuple[float, float]], float]], upm: int) -> Raster:
    """Nonzero-winding coverage of (polygon, x shift) pairs: row → bitmask of cell columns."""
    cell = upm / _GRID
    bias = 4 * _GRID  # keeps column indexes (and so bit positions) non-negative
    edges: list[tuple[float, float, float, float, int]] = []
    for polygon, shift in polygons:
        for index, (x0, y0) in enumerate(polygon):
            x1, y1 = polygon[(index + 1) % len(polygon)]
            if y0 != y1:
                direction = 1 if y1 > y0 else -1
                edges.append((x0 + shift, y0, x1 + shift, y1, direction))
    if not edges:
        return {}
    low = math.floor(min(min(e[1], e[3]) for e in edges) / cell)
    high = math.ceil(max(max(e[1], e[3]) for e in edges) / cell)
    if high - low > 8 * _GRID:  # a glyph taller than 8 em is damage, not a ligature
        return {}
    raster: Raster = {}
    for row in range(low, high):
        yc = (row + 0.5) * cell
        crossings = []
        for x0, y0, x1, y1, direction in edges:
            if min(y0, y1) <= yc < max(y0, y1):
                crossings.append((x0 + (yc - y0) * (x1 - x0) / (y1 - y0), direction))
        if not crossings:
            continue
        crossings.sort()
        mask = 0
        winding = 0
        for index, (x, direction) in enumerate(crossings[:-1]):
            winding += direction
            if winding:
                first = math.ceil(x / cell - 0.5) + bias
                last = math.ceil(crossings[index + 1][0] / cell - 0.5) + bias
                if last > first >= 0:
                    mask |= ((1 << (last - first)) - 1) << first
        if mask:
            raster[row] = mask
    return raster


def _ink(raster: Raster) -> int:
    return sum(mask.bit_count() for mask in raster.values())


def _overlap(a: Raster, b: Raster) -> int:
    return sum((mask & b.get(row, 0)).bit_count() for row, mask in a.items())


def _iou(a: Raster, b: Raster) -> float:
    both = _overlap(a, b)
    union = _ink(a) + _ink(b) - both
    return both / union if union else 0.0


# ---------------------------------------------------------------------------------------
# The repair


@dataclass
class _FontInfo:
    key: tuple[int, int]
    font: Any
    family: str
    simple: bool
    to_unicode: dict[int, str]
    program: _Program | None = None
    cid_to_gid: bytes | None = None
    loaded: bool = False
    texts: dict[int, str] = field(default_factory=dict)  # gid → text known from this font
    names: dict[int, str] | None = None  # /Encoding /Differences of a simple font


def _family(font: Any) -> str:
    name = str(font.get("/BaseFont") or "").lstrip("/")
    return _SUBSET_TAG.sub("", name)


def _descriptor_and_descendant(font: Any) -> tuple[Any, Any]:
    descendant = None
    if "/DescendantFonts" in font:
        descendants = _resolve(font["/DescendantFonts"])
        if descendants:
            descendant = _resolve(descendants[0])
    holder = descendant if descendant is not None else font
    return _resolve(holder.get("/FontDescriptor")), descendant


class _Repair:
    def __init__(self, pages: Iterable[Any]) -> None:
        self.fonts: list[_FontInfo] = []
        for key, font in _iter_fonts(pages):
            try:
                to_unicode_stream = _resolve(font.get("/ToUnicode"))
                to_unicode: dict[int, str] = {}
                if to_unicode_stream is not None and hasattr(to_unicode_stream, "get_data"):
                    to_unicode = parse_to_unicode(to_unicode_stream.get_data())
                simple = font.get("/Subtype") != "/Type0"
                family = _family(font) or f"font {key}"
                self.fonts.append(_FontInfo(key, font, family, simple, to_unicode))
            except Exception:
                log.debug("skipping unreadable font %s", key, exc_info=True)

    # --- loading

    def load(self, info: _FontInfo) -> _Program | None:
        if info.loaded:
            return info.program
        info.loaded = True
        try:
            descriptor, descendant = _descriptor_and_descendant(info.font)
            if descriptor is None:
                return None
            for key, kind in (("/FontFile2", "tt"), ("/FontFile3", None)):
                stream = _resolve(descriptor.get(key))
                if stream is None:
                    continue
                if kind is None:
                    subtype = str(stream.get("/Subtype") or "")
                    kind = "tt" if subtype == "/OpenType" else "cff"
                info.program = _Program(stream.get_data(), kind)
                break
            if descendant is not None:
                mapping = _resolve(descendant.get("/CIDToGIDMap"))
                if mapping is not None and hasattr(mapping, "get_data"):
                    info.cid_to_gid = mapping.get_data()
        except Exception:
            log.debug("cannot read the font program of %s", info.family, exc_info=True)
            info.program = None
        return info.program

    def gid(self, info: _FontInfo, code: int) -> int | None:
        program = info.program
        if program is None:
            return None
        if not info.simple:
            if str(info.font.get("/Encoding")) not in ("/Identity-H", "/Identity-V"):
                return None  # code → CID would need the encoding CMap
            return program.gid_for_cid(code, info.cid_to_gid)
        if program.tt is None:  # bare CFF: by glyph name
            name = _base_encoding_name(info.font, code)
            return program.gid_for_name(name) if name else None
        tables = program.cmap_tables()
        for platform, encoding in ((3, 0), (1, 0)):
            for table in tables:
                if table.platformID == platform and table.platEncID == encoding:
                    for candidate in (code, 0xF000 + code, 0xF100 + code, 0xF200 + code):
                        if candidate in table.cmap:
                            return program.gid_for_name(table.cmap[candidate])
        name = _base_encoding_name(info.font, code)
        if name:
            text = glyph_name_to_text(name)
            for table in tables:
                if table.isUnicode() and text and len(text) == 1 and ord(text) in table.cmap:
                    return program.gid_for_name(table.cmap[ord(text)])
            if program.real_names:
                return program.gid_for_name(name)
        for table in tables:  # a symbolic font that keys its (3,1) cmap by code
            if table.isUnicode() and code in table.cmap:
                return program.gid_for_name(table.cmap[code])
        return None

    # --- evidence 1–3: inside one font

    def intrinsic_text(self, info: _FontInfo, code: int, gid: int | None) -> str | None:
        if info.simple:
            if info.names is None:
                info.names = _differences(info.font)
            name = info.names.get(code)
            text = glyph_name_to_text(name) if name else None
            if text:
                return text
        program = info.program
        if program is None or gid is None:
            return None
        return self.glyph_text(program, gid, depth=0)

    def glyph_text(self, program: _Program, gid: int, depth: int) -> str | None:
        if depth > 4:
            return None
        if program.real_names:
            name = program.name(gid)
            text = glyph_name_to_text(name) if name else None
            if text:
                return text
        for codepoint in program.unicodes_for(gid):
            char = chr(codepoint)
            if not is_private_use(char) and unicodedata.category(char) not in ("Cc", "Cs"):
                return char
        ligatures, singles = program.gsub_sources()
        if gid in ligatures:
            parts = [self.glyph_text(program, part, depth + 1) for part in ligatures[gid]]
            if all(parts):
                return "".join(p for p in parts if p)
        if gid in singles:
            return self.glyph_text(program, singles[gid], depth + 1)
        return None

    # --- evidence 4–5: the family's other subsets

    def family_known(self, family: str) -> dict[Outline, tuple[str, _FontInfo, int]]:
        """outline → (text, font, gid) for glyphs of this family whose text is known."""
        known: dict[Outline, tuple[str, _FontInfo, int]] = {}
        inherited: dict[Outline, tuple[str, _FontInfo, int]] = {}
        for info in self.fonts:
            if info.family != family:
                continue
            try:
                program = self.load(info)
                if program is None:
                    continue
                for code, text in info.to_unicode.items():
                    if not text or has_private_use(text) or text.isspace():
                        continue
                    gid = self.gid(info, code)
                    if gid:
                        info.texts.setdefault(gid, text)
                for gid, text in list(info.texts.items()):
                    outline = program.outline(gid)
                    if outline is not None:
                        known.setdefault(outline, (text, info, gid))
                    self.inherit_base(program, gid, text, inherited, info)
            except Exception:
                log.debug("cannot index %s", info.family, exc_info=True)
        for outline, entry in inherited.items():
            known.setdefault(outline, entry)
        return known

    @staticmethod
    def inherit_base(
        program: _Program,
        gid: int,
        text: str,
        inherited: dict[Outline, tuple[str, _FontInfo, int]],
        info: _FontInfo,
    ) -> None:
        """The unshifted first component of a composite with known text carries its first letter."""
        components = program.components(gid)
        if not components:
            return
        first, x, y, transformed = components[0]
        letter = unicodedata.normalize("NFD", text)[:1]
        if x or y or transformed or not letter.isalpha():
            return
        outline = program.outline(first)
        if outline is not None:
            inherited.setdefault(outline, (letter, info, first))

    def ligature_text(
        self, program: _Program, gid: int, known: dict[Outline, tuple[str, _FontInfo, int]]
    ) -> str | None:
        """Text of a glyph that looks like 2–3 known glyphs set side by side."""
        upm = program.upm
        advance = program.advance(gid)
        target = program.raster(gid)
        target_ink = _ink(target)
        if advance <= 0 or not target_ink:
            return None
        candidates: list[tuple[str, _Program, int, int, Raster]] = []
        for outline, (text, info, known_gid) in list(known.items())[:_MAX_KNOWN]:
            other = info.program
            if other is None or outline[0] != upm or not text.strip():
                continue
            width = other.advance(known_gid)
            if 0 < width < advance:
                raster = other.raster(known_gid)
                if raster:
                    candidates.append((text, other, known_gid, width, raster))
        tolerance = max(2, upm // 50)
        cell = upm / _GRID
        scores: dict[str, float] = {}
        budget = [2000]  # shape comparisons per glyph
        widened = {row: mask | mask << 1 | mask >> 1 for row, mask in target.items()}  # forgives rounding

        def extend(prefix: list[tuple[str, _Program, int, int]], used: int, depth: int) -> None:
            for text, other, known_gid, width, raster in candidates:
                start = used
                if used + width > advance + tolerance or budget[0] <= 0:
                    continue
                placed = {row: mask << round(start / cell) for row, mask in raster.items()}
                if _overlap(placed, widened) < 0.8 * _ink(placed):  # must lie mostly inside the glyph
                    continue
                budget[0] -= 1
                sequence = [*prefix, (text, other, known_gid, start)]
                total = start + width
                if depth > 0 and abs(total - advance) <= tolerance:
                    shapes = [(polygon, float(x)) for _, o, g, x in sequence for polygon in o.polygons(g)]
                    score = _iou(_rasterize(shapes, upm), target)
                    reading = "".join(t for t, _, _, _ in sequence)
                    scores[reading] = max(score, scores.get(reading, 0.0))
                if depth < 2 and total < advance - tolerance:
                    extend(sequence, total, depth + 1)

        extend([], 0, 0)
        if not scores:
            return None
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        best, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        log.debug("ligature readings for glyph %s: %s", gid, [(t, round(v, 3)) for t, v in ranked[:3]])
        if score >= _MIN_IOU and score - runner_up >= _MIN_MARGIN:
            return best
        return None

    # --- driver

    def run(self) -> dict[str, str]:
        """Each private-use character's text: first what its own font says of its glyph, then what the
        same glyph (or the glyphs it is drawn from) reads as in the family's other fonts; where fonts
        disagree, the text most of them give."""
        deadline = time.monotonic() + _TIME_BUDGET
        pending = self.pending()
        if not pending:
            return {}
        votes: dict[str, Counter[str]] = {}
        unresolved = self.read_intrinsic(pending, deadline, votes)
        for _ in range(3):  # later passes may use glyphs resolved by earlier ones
            if not unresolved:
                break
            unresolved, progress = self.match_in_family(unresolved, deadline, votes)
            if not progress:
                break
        return _most_voted(votes)

    def pending(self) -> list[tuple[_FontInfo, int, str]]:
        """(font, code, private-use character) of every code whose text has one, at most
        `_MAX_CODES_PER_FONT` codes per font."""
        pending: list[tuple[_FontInfo, int, str]] = []
        for info in self.fonts:
            count = 0
            for code, text in sorted(info.to_unicode.items()):
                chars = [char for char in text if is_private_use(char)]
                if chars and count < _MAX_CODES_PER_FONT:
                    count += 1
                    pending.extend((info, code, char) for char in chars)
        return pending

    def read_intrinsic(
        self, pending: list[tuple[_FontInfo, int, str]], deadline: float, votes: dict[str, Counter[str]]
    ) -> list[tuple[_FontInfo, int, str, int]]:
        """Evidence 1–3: vote the text each code's own font gives its glyph; returns the codes left
        unread that have a glyph, with it."""
        unresolved: list[tuple[_FontInfo, int, str, int]] = []
        for info, code, char in pending:
            if time.monotonic() > deadline:
                break
            try:
                self.load(info)
                gid = self.gid(info, code)
                found = self.intrinsic_text(info, code, gid)
                if found:
                    _vote(votes, char, found)
                elif gid:
                    unresolved.append((info, code, char, gid))
            except Exception:
                log.debug("cannot inspect code %s of %s", code, info.family, exc_info=True)
        return unresolved

    def match_in_family(
        self, unresolved: list[tuple[_FontInfo, int, str, int]], deadline: float, votes: dict[str, Counter[str]]
    ) -> tuple[list[tuple[_FontInfo, int, str, int]], bool]:
        """Evidence 4–5, one pass: vote the text of the family's glyph with the same outline, or of the
        known glyphs it is drawn from; returns the codes still unread and whether any was read."""
        progress = False
        still: list[tuple[_FontInfo, int, str, int]] = []
        known_by_family: dict[str, dict[Outline, tuple[str, _FontInfo, int]]] = {}
        for info, code, char, gid in unresolved:
            if time.monotonic() > deadline:
                log.debug("private-use repair stopped at its time budget")
                break
            try:
                program = info.program
                if program is None:
                    continue
                if info.family not in known_by_family:
                    known_by_family[info.family] = self.family_known(info.family)
                known = known_by_family[info.family]
                outline = program.outline(gid)
                entry = known.get(outline) if outline is not None else None
                found = entry[0] if entry else self.ligature_text(program, gid, known)
                if found:
                    _vote(votes, char, found)
                    info.texts[gid] = found
                    progress = True
                else:
                    still.append((info, code, char, gid))
            except Exception:
                log.debug("cannot match glyph %s of %s", gid, info.family, exc_info=True)
        return still, progress


def _vote(votes: dict[str, Counter[str]], char: str, text: str) -> None:
    votes.setdefault(char, Counter())[text] += 1


def _most_voted(votes: dict[str, Counter[str]]) -> dict[str, str]:
    """Each character's text: the one most fonts gave it."""
    mapping: dict[str, str] = {}
    for char, counter in votes.items():
        text, _ = counter.most_common(1)[0]
        if len(counter) > 1:
            log.debug("fonts disagree about U+%04X: %s; using %r", ord(char), dict(counter), text)
        mapping[char] = text
    return mapping
