from __future__ import annotations

from itertools import pairwise

from qa.ingest.chunking import chunk_document, split_sentences
from qa.records import Block, Document, DocumentKind
from qa.settings import ChunkSettings


def _doc(blocks: list[Block]) -> Document:
    return Document(
        path="cases/x/doc.pdf",
        kind=DocumentKind.DOCUMENTANALYSE,
        title="Doc",
        case=None,
        sha256="0",
        size=1,
        pages=2,
        blocks=tuple(blocks),
    )


def test_split_sentences_respects_abbreviations_and_amounts() -> None:
    text = "Er kwamen o.a. bewoners en dhr. Jansen. Het budget was € 5.000. Daarna volgde 2016! Klaar"
    parts = [text[a:b] for a, b in split_sentences(text)]
    assert parts == [
        "Er kwamen o.a. bewoners en dhr. Jansen.",
        "Het budget was € 5.000.",
        "Daarna volgde 2016!",
        "Klaar",
    ]


def test_split_sentences_where_the_space_after_a_full_stop_was_lost() -> None:
    # real parliamentary answers lose the space between sentences; domains and abbreviations stay whole
    text = "Dat is van reactieve aard.Zonder meer is dit zo.Zie www.Rijksoverheid.nl of bijv.De Haan."
    parts = [text[a:b] for a, b in split_sentences(text)]
    assert parts == [
        "Dat is van reactieve aard.",
        "Zonder meer is dit zo.",
        "Zie www.Rijksoverheid.nl of bijv.De Haan.",
    ]


def _sentences(prefix: str, n: int) -> str:
    return " ".join(f"{prefix} zin nummer {i} gaat over participatie van bewoners in de wijk." for i in range(n))


def test_chunks_are_exact_slices_with_pages_sections_and_overlap() -> None:
    doc = _doc(
        [
            Block("Aanleiding", page=1, section="Aanleiding", is_heading=True),
            Block(_sentences("Eerste", 12), page=1, section="Aanleiding"),
            Block(_sentences("Tweede", 12), page=2, section="Aanleiding"),
            Block("Succesfactoren", page=2, section="Succesfactoren", is_heading=True),
            Block("De buurtjury werkte goed.", page=2, section="Succesfactoren"),
        ]
    )
    settings = ChunkSettings(size=400, overlap=120, min_size=150)
    chunks = chunk_document(doc, settings)
    text = doc.text
    for chunk in chunks:
        assert chunk.text == text[chunk.start : chunk.end]
        assert len(chunk.text) <= settings.size or chunk.text.count(". ") == 0
    # a heading starts a new chunk; the last chunk is the whole short section
    assert chunks[-1].text == "Succesfactoren\n\nDe buurtjury werkte goed."
    assert chunks[-1].section == "Succesfactoren" and chunks[-1].page_start == 2
    # consecutive chunks within a section overlap, but never across a heading
    same_section = [(a, b) for a, b in pairwise(chunks) if a.section == b.section]
    assert same_section and all(b.start < a.end <= b.start + settings.overlap + 80 for a, b in same_section)
    assert chunks[-2].end <= chunks[-1].start
    # a chunk spanning the page break records both pages
    assert any(c.page_start == 1 and c.page_end == 2 for c in chunks)
    # everything is covered
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_chunking_is_deterministic_and_never_crosses_documents() -> None:
    doc = _doc([Block(_sentences("Zin", 30), page=1)])
    first = chunk_document(doc, ChunkSettings())
    assert first == chunk_document(doc, ChunkSettings())
    assert {c.document for c in first} == {"cases/x/doc.pdf"}
    assert [c.ordinal for c in first] == list(range(len(first)))


def test_zero_overlap_gives_disjoint_chunks() -> None:
    doc = _doc([Block(_sentences("Zin", 30))])
    chunks = chunk_document(doc, ChunkSettings(size=300, overlap=0, min_size=100))
    assert all(a.end < b.start for a, b in pairwise(chunks))
