"""The HTML the app shows: document text escaped, markers linked to cards, quotes marked; the
conversation as Turns and as Markdown; and which files the server agrees to serve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.records import Answer, Block, Citation
from qa.service import DocumentView, IndexStatus
from qa.web.conversation import (
    InputLimits,
    conversation_markdown,
    filters_from_api,
    turns_from_answers,
    turns_from_api,
)
from qa.web.handlers.indexing import ReindexProgress
from qa.web.render.answers import answer_markdown, question_markdown
from qa.web.render.documents import document_html, highlighted
from qa.web.render.sources import source_card, sources_panel
from qa.web.render.status import index_status_html
from qa.web.server import LocalFilesOnly

HOSTILE = (
    'Voor <script>window.__pwned = 1</script> en <img src=x onerror="window.__pwned2 = 1"> '
    'en [klik hier](javascript:window.__pwned3=1) en <a href="javascript:alert(1)">link</a>.'
)


def citation(
    n: int = 1, text: str = "Eerste zin. De loting werkte goed in de wijk. Slot.", **extra: object
) -> Citation:
    values: dict[str, object] = {
        "n": n,
        "chunk_id": n,
        "case_id": "buurtbudget",
        "case_title": "Buurtbudget Noorderpolder",
        "municipality": "Wierdenhaven",
        "document": "cases/buurtbudget/documentanalyse.pdf",
        "kind": "interview-bewoner",
        "title": "Interview met een bewoner",
        "page": 3,
        "section": None,
        "text": text,
        "quote": "De loting werkte goed in de wijk.",
    }
    values.update(extra)
    return Citation(**values)  # type: ignore[arg-type]


def test_markers_link_to_their_cards_and_unknown_markers_stay_text() -> None:
    answer = Answer(
        "Wat werkte?",
        "**Buurtbudget (Wierdenhaven)**: De loting werkte goed in de wijk. [1] Zie ook [7].",
        False,
        (citation(),),
    )
    markdown = answer_markdown(answer, turn=2)
    assert '<a class="bron-marker" href="#bron-2-1" title="Bron 1">[1]</a>' in markdown
    assert "**Buurtbudget (Wierdenhaven)**" in markdown  # the answer's own Markdown is kept
    assert "\\[7\\]" in markdown  # not a link, and not a Markdown link either
    card = source_card(citation(), turn=2)
    assert 'id="bron-2-1"' in card
    assert "<mark>De loting werkte goed in de wijk.</mark>" in card
    assert "Wierdenhaven" in card and "Interview met een bewoner" in card and "p. 3" in card
    assert "interview met een bewoner" in card  # the kind in Dutch words
    assert 'data-open="2:1"' in card


def test_hostile_document_text_is_escaped_everywhere() -> None:
    hostile = citation(text=HOSTILE, quote="<script>window.__pwned = 1</script>", title="<b>titel</b>")
    answer = Answer("<img src=x onerror=alert(1)>?", HOSTILE + " [1]", False, (hostile,))
    outputs = [
        answer_markdown(answer, 0),
        question_markdown(answer.question),
        source_card(hostile, 0),
        sources_panel([answer]),
    ]
    view = DocumentView("cases/x/doc.md", Path("/nonexistent/doc.md"), "overig", "<i>doc</i>", None, (Block(HOSTILE),))
    outputs.append(document_html(view, passage=(0, 20), quote="<script>window.__pwned = 1</script>"))
    for html in outputs:
        assert "<script" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
        assert not re.search(r"<a [^>]*javascript:", html)
    for markdown in outputs[:2]:  # rendered as Markdown by the chat: no link can form either
        assert not re.search(r"(?<!\\)\]\(javascript:", markdown)
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in outputs[2]
    assert "<mark>&lt;script&gt;window.__pwned = 1&lt;/script&gt;</mark>" in outputs[4]


def test_quote_is_found_across_whitespace_and_sentences() -> None:
    text = "Eerste zin.\nDe loting   werkte\ngoed in de wijk. Tussenzin. En het budget bleef binnen de grens."
    assert highlighted(text, ["De loting werkte goed in de wijk."]).count("<mark>") == 1
    both = highlighted(text, ["De loting werkte goed in de wijk. En het budget bleef binnen de grens."])
    assert both.count("<mark>") == 2
    assert "<mark>" not in highlighted(text, ["Iets anders."])
    # a citation quoting two places of its passage, or a list item without a full stop
    parts = highlighted(text, ["Eerste … Tussenzin."])
    assert parts.count("<mark>") == 2 and "<mark>Eerste</mark>" in parts and "<mark>Tussenzin.</mark>" in parts


def test_document_view_marks_the_passage_blocks() -> None:
    blocks = (
        Block("Kop", is_heading=True),
        Block("Eerste alinea zonder belang."),
        Block("De loting werkte goed in de wijk. Nog een zin."),
        Block("Laatste alinea."),
    )
    start = len("Kop\n\nEerste alinea zonder belang.\n\n")
    end = start + len(blocks[2].text)
    view = DocumentView(
        "cases/b/interview.docx", Path("/x/interview.docx"), "interview-bewoner", "Interview", None, blocks
    )
    html = document_html(view, passage=(start, end), quote="De loting werkte goed in de wijk.")
    assert html.count("doc-hit") == 1
    assert '<p class="passage doc-hit"><mark>De loting werkte goed in de wijk.</mark> Nog een zin.</p>' in html
    assert "<h4" in html
    # without offsets the passage text finds its block
    fallback = document_html(view, passage=(0, 0), quote="", passage_text="Laatste alinea.")
    assert '<p class="passage doc-hit">Laatste alinea.</p>' in fallback
    # a passage over several blocks, quote in a later one: that block is the one scrolled to
    passage_text = "Eerste alinea zonder belang.\n\nDe loting werkte goed in de wijk. Nog een zin."
    spread = document_html(view, quote="De loting werkte goed in de wijk.", passage_text=passage_text)
    assert '<p class="passage">Eerste alinea zonder belang.</p>' in spread
    assert '<p class="passage doc-hit"><mark>De loting werkte goed in de wijk.</mark> Nog een zin.</p>' in spread


def test_pdf_view_opens_the_page() -> None:
    view = DocumentView(
        "cases/b/documentanalyse.pdf", Path("/corpus/cases/b/documentanalyse.pdf"), "documentanalyse", "Analyse", 4, ()
    )
    html = document_html(view, page=3)
    assert 'src="gradio_api/file=/corpus/cases/b/documentanalyse.pdf#page=3"' in html
    assert "pagina 3" in html


LIMITS = InputLimits(question_chars=2000, history_turns=40, history_chars=200_000)


def test_turns_carry_the_cited_cases() -> None:
    first = Answer("Wat werkte in Wierdenhaven?", "Loting [1]", False, (citation(),))
    turns = turns_from_answers([first], LIMITS)
    assert [t.role for t in turns] == ["user", "assistant"]
    assert turns[1].scope == ("buurtbudget",) and turns[0].scope == ()
    api = turns_from_api(
        [
            {"role": "user", "content": "Vraag"},
            {"role": "assistant", "content": "A [1]", "citations": [{"case_id": "x"}]},
        ],
        LIMITS,
    )
    assert api[1].scope == ("x",)
    for bad in ([{"role": "system", "content": "x"}], ["tekst"], [{"role": "user", "content": 3}]):
        with pytest.raises(ValueError):
            turns_from_api(bad, LIMITS)
    assert filters_from_api({"municipality": "Wierdenhaven", "kind": ""}).municipality == "Wierdenhaven"
    with pytest.raises(ValueError):
        filters_from_api({"jaar": 2015})


def test_the_chat_passes_on_its_latest_answers_within_the_history_limits() -> None:
    answers = [Answer(f"Vraag {n}?", "Antwoord " + "x" * 90, False) for n in range(30)]
    turns = turns_from_answers(answers, LIMITS)
    assert len(turns) == 40 and turns[0].content == "Vraag 10?" and turns[-1].content.startswith("Antwoord")
    by_chars = turns_from_answers(answers, InputLimits(2000, 40, history_chars=500))
    assert [t.content for t in by_chars if t.role == "user"] == ["Vraag 26?", "Vraag 27?", "Vraag 28?", "Vraag 29?"]
    assert turns_from_answers(answers, InputLimits(2000, 0, 200_000)) == []


def test_conversation_markdown_has_questions_answers_and_sources() -> None:
    answers = [
        Answer("Wat werkte?", "De loting werkte goed in de wijk. [1]", False, (citation(),)),
        Answer("Parkeren?", "Daar zegt het onderzoek niets over.", True),
    ]
    text = conversation_markdown(answers)
    assert "## Vraag 1" in text and "## Vraag 2" in text
    assert (
        "[1] Buurtbudget Noorderpolder (Wierdenhaven) — Interview met een bewoner, interview met een bewoner, p. 3"
        in text
    )
    assert "> Eerste zin. De loting werkte goed in de wijk. Slot." in text
    assert "Geciteerd: “De loting werkte goed in de wijk.”" in text


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("/gradio_api/file=https://example.org/x.pdf", True),
        ("/gradio_api/file=http%3A//169.254.169.254/latest", True),
        ("/gradio_api/file=//example.org/x.pdf", True),
        ("/gradio_api/file={corpus}/cases/a/doc.pdf", False),
        ("/gradio_api/file={corpus}/cases/a/notes.html", True),
        ("/gradio_api/file={corpus}/cases/a/case.toml", True),
        ("/gradio_api/file={corpus}/_prullenbak/1/cases/a/doc.pdf", True),
        ("/gradio_api/file={corpus}/cases/../../etc/passwd", True),
        ("/gradio_api/file={corpus}/README.md", True),
        ("/gradio_api/file/{corpus}/cases/a/doc.pdf", False),
        ("/gradio_api/file/{corpus}/cases/a/.doc.pdf", True),
        ("/gradio_api/file/http://example.org/x.pdf", True),
        ("/gradio_api/proxy=https://example.org/", True),
        ("/gradio_api/info", False),
    ],
)
def test_file_route_serves_local_documents_only(tmp_path: Path, path: str, refused: bool) -> None:
    guard = LocalFilesOnly(app=None, corpus=tmp_path)  # type: ignore[arg-type]
    assert guard.refused(path.format(corpus=tmp_path.resolve())) is refused


def test_the_sources_of_an_english_answer_are_labelled_in_english() -> None:
    study = citation(2, case_id=None, case_title=None, municipality=None, kind="studie", page=None)
    english = Answer("What worked?", "The lottery worked. [1] [2]", False, (citation(), study), language="en")
    dutch = Answer("Wat werkte?", "De loting werkte. [1]", False, (citation(),), language="nl")
    panel = sources_panel([english])
    assert "<h3>Sources</h3>" in panel and "Bronnen" not in panel
    assert "interview with a resident" in panel and "The study as a whole" in panel
    assert "Open the document at p. 3" in panel and "Open the document</button>" in panel
    assert 'title="Source 1"' in answer_markdown(english, 0)
    assert "<h3>Bronnen bij antwoord 2</h3>" in sources_panel([english, dutch])
    assert "Open het document op p. 3" in sources_panel([english, dutch])
    declined = Answer("What about the weather?", "The study does not say.", True, language="en")
    assert "No sources: the study does not answer this question." in sources_panel([declined])
    markdown = conversation_markdown([dutch, english])
    assert "## Vraag 1" in markdown and "### Bronnen" in markdown
    assert "## Question 2" in markdown and "### Sources" in markdown and "Quoted: “De loting" in markdown


def test_the_reindex_bar_only_rises_over_passes_and_stages() -> None:
    bar = ReindexProgress()
    reports = [("read", done, 4) for done in range(5)]
    reports += [("embed", done, 2300) for done in range(0, 2301, 100)]
    reports += [("embed", done, 2000) for done in range(0, 2001, 100)]  # a second pass, counted anew
    reports += [("index", 0, 1), ("index", 1, 1)]
    seen = [bar.update(*report) for report in reports]
    fractions = [fraction for fraction, _label in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(set(fractions)) > len(reports) // 2  # it moves within each pass as well
    assert seen[10][1] == "Teksten inbedden: 500 van 2.300"
    assert all("steps" not in label for _fraction, label in seen)


def test_the_status_line_says_answers_are_there_while_the_sentences_are_embedded() -> None:
    first = IndexStatus(running=True, stage="first", done=0, total=1)
    assert "een eerste versie wordt weggeschreven" in index_status_html(first)
    embedding = IndexStatus(running=True, stage="sentences", done=1200, total=3960, answering=True)
    line = index_status_html(embedding)
    assert "Eerste antwoorden zijn er; de zinnen worden nog ingebed: 1.200 van 3.960 teksten" in line
    assert 'data-state="bezig"' in line
    writing = IndexStatus(running=True, stage="index", done=0, total=1, answering=True)
    assert "Eerste antwoorden zijn er; de index wordt aangevuld" in index_status_html(writing)


def test_the_reindex_bar_rises_over_the_quick_version_the_first_version_and_the_sentences() -> None:
    bar = ReindexProgress()
    # a quick version on the guard encoder: its own reading and embedding, all reported as one stage
    reports = [("quick", done, 4) for done in range(5)] + [("quick", done, 4250) for done in range(0, 4251, 250)]
    reports += [("quick", 1, 1), ("scan", 0, 1), ("scan", 1, 1)]
    reports += [("read", done, 4) for done in range(5)]
    reports += [("embed", done, 290) for done in range(0, 291, 10)]
    reports += [("first", 0, 1), ("first", 1, 1)]
    reports += [("sentences", done, 1980) for done in range(0, 1981, 100)]
    reports += [("sentences", done, 1980) for done in range(0, 1981, 100)]  # as questions, counted anew
    reports += [("index", 0, 1), ("index", 1, 1)]
    seen = [bar.update(*report) for report in reports]
    fractions = [fraction for fraction, _label in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    after_first = fractions[len([r for r in reports if r[0] in ("quick", "scan", "read", "embed", "first")]) - 1]
    assert after_first < 0.3  # most of the bar is the sentences
    assert 0 < fractions[len([r for r in reports if r[0] == "quick"]) - 1] <= 0.05
    assert seen[0][1].startswith("Snelle eerste versie maken")
    assert "Zinnen inbedden: 1.000 van 1.980" in {label for _fraction, label in seen}
