"""The app as people meet it: Python Playwright driving Debian's Chromium against the real service.

Every request the page makes to anything but the app's own loopback address is blocked and
recorded, and each test fails if there was one: the app loads nothing from elsewhere.
Screenshots of each step go to test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from conftest import make_docx, make_pdf
from playwright.sync_api import expect
from web_fixtures import ADMIN, ARTIFACTS, READER, SCRIPT_CASE, SCRIPT_DOCUMENT, IndexingApp, RunningApp

from qa.web.feedback import FeedbackStore
from qa.web.handlers.indexing import REINDEX_LABELS

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANSWER_TIMEOUT = 120_000  # ms; the first question also warms the encoder

if not CHROMIUM.exists():  # pragma: no cover - .ci/run installs it
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield browser
        browser.close()


class Session:
    """One browser context on the app: records blocked requests, takes numbered screenshots."""

    def __init__(
        self, browser: object, app: RunningApp | IndexingApp, name: str, viewport: tuple[int, int] = (1400, 1000)
    ) -> None:
        self.app = app
        self.name = name
        self.outside: list[str] = []
        width, height = viewport
        phone = width < 600  # a phone's browser: the page's own viewport meta, touch
        self.context = browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": width, "height": height}, locale="nl-NL", is_mobile=phone, has_touch=phone
        )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.step = 0

    def _route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        local = urlparse(url).hostname in ("127.0.0.1", "localhost")
        if local or not url.startswith(("http:", "https:", "ws:", "wss:")):  # data:, blob:, the PDF viewer
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    def shot(self, label: str, full_page: bool = False) -> Path:
        self.step += 1
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{self.step:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def open_page(self) -> None:
        """The page as it first shows, whatever the state of the index."""
        self.page.goto(self.app.url + "/", wait_until="load")
        self.page.get_by_placeholder("Stel een vraag").wait_for(timeout=60_000)
        self.page.locator("#wie").get_by_text(re.compile("modus|Aangemeld")).wait_for(timeout=60_000)

    def open(self, login: tuple[str, str] | None = None) -> None:
        self.page.goto(self.app.url + "/", wait_until="load")
        if login is not None:
            self.page.locator('input[data-testid="textbox"]').fill(login[0])
            self.page.locator('input[type="password"]').fill(login[1])
            self.shot("aanmelden")
            self.page.locator("button").first.click()
        self.page.get_by_placeholder("Stel een vraag").wait_for(timeout=60_000)
        self.page.locator("#wie").get_by_text(re.compile("modus|Aangemeld")).wait_for(timeout=60_000)

    def ask(self, question: str) -> object:
        before = self.page.locator('#gesprek [data-testid="bot"]').count()
        box = self.page.get_by_placeholder("Stel een vraag")
        box.fill(question)
        box.press("Enter")
        answer = self.page.locator('#gesprek [data-testid="bot"]').nth(before)
        answer.wait_for(timeout=ANSWER_TIMEOUT)
        self.page.locator(f'#bronnen .bronnen[data-turn="{before}"]').wait_for(timeout=ANSWER_TIMEOUT)
        return answer

    def close(self) -> None:
        self.context.close()
        assert not self.outside, f"the page tried to reach other hosts: {self.outside}"
        assert not self.errors, f"script errors on the page: {self.errors}"


@pytest.fixture
def session(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    sessions: list[Session] = []

    def start(
        app: RunningApp | IndexingApp, name: str | None = None, viewport: tuple[int, int] = (1400, 1000)
    ) -> Session:
        opened = Session(browser, app, name or request.node.name.removeprefix("test_"), viewport)
        sessions.append(opened)
        return opened

    yield start
    for opened in sessions:
        opened.close()


def _check_marker_and_card(s: Session, answer: object, turn: int) -> None:
    marker = answer.locator("a.bron-marker").first  # type: ignore[attr-defined]
    marker.wait_for()
    href = marker.get_attribute("href")
    assert href and re.fullmatch(rf"#bron-{turn}-\d+", href)
    marker.click()
    card = s.page.locator(href)
    card.wait_for()
    s.page.wait_for_function(f"document.querySelector('{href}').classList.contains('uitgelicht')")
    assert card.locator("mark").count() >= 1  # the quoted sentence is highlighted
    assert card.locator(".bron-meta").inner_text().strip()


def test_ask_in_dutch_and_english(session: object, local_app: RunningApp) -> None:
    s = session(local_app)  # type: ignore[operator]
    s.open()
    s.shot("start")
    answer = s.ask("Wat werkte goed bij bewonersinitiatieven?")
    assert "[1]" in answer.inner_text()  # type: ignore[attr-defined]
    _check_marker_and_card(s, answer, 0)
    s.shot("antwoord-nl")
    # Thumbs up is stored with the question, the answer and its citations (no user in local mode).
    s.page.locator("#gesprek").get_by_role("button", name=re.compile("^(Vind ik leuk|Like)$")).last.click()
    thanks = s.page.locator(".toast-body", has_text="Dank voor je beoordeling.")
    expect(thanks).to_be_visible(timeout=30_000)  # said once stored
    expect(thanks.locator(".toast-title")).to_have_text(re.compile(r"^\s*Melding\s*$"))
    store = FeedbackStore(s.app.study.index / "feedback.sqlite")
    vote = next(v for v in store.votes() if v.question == "Wat werkte goed bij bewonersinitiatieven?")
    assert vote.vote == 1 and vote.user is None and vote.citations and "[1]" in vote.answer
    answer = s.ask("What worked for resident initiatives?")
    text = answer.inner_text()  # type: ignore[attr-defined]
    assert "[1]" in text
    _check_marker_and_card(s, answer, 1)
    s.shot("antwoord-en")
    # The conversation downloads as Markdown with its sources.
    with s.page.expect_download() as download:
        s.page.locator("#download").click()
    saved = Path(download.value.path())
    markdown = saved.read_text(encoding="utf-8")
    assert "## Question 2" in markdown and "What worked for resident initiatives?" in markdown
    assert "### Bronnen" in markdown and "### Sources" in markdown and "> " in markdown


def test_an_enumeration_lists_the_headings_each_cited(session: object, local_app: RunningApp) -> None:
    """The synthesis's six overarching success factors are headings: the answer lists them verbatim as
    a nested list, each with a marker whose card marks the heading in its passage."""
    s = session(local_app)  # type: ignore[operator]
    s.open()
    answer = s.ask("Wat zijn de overkoepelende succesfactoren?")
    items = answer.locator("li li")  # type: ignore[attr-defined]
    texts = [" ".join(items.nth(i).inner_text().split()) for i in range(items.count())]
    assert len(texts) == 6, texts
    assert texts[0].startswith("“1. Een transparant en navolgbaar participatieproces”")
    assert texts[5].startswith("“6. Ruimte voor experiment”")
    marker = items.nth(5).locator("a.bron-marker")
    href = marker.get_attribute("href")
    marker.click()
    s.page.wait_for_function(f"document.querySelector('{href}').classList.contains('uitgelicht')")
    assert s.page.locator(f"{href} mark").first.inner_text().strip() == "6. Ruimte voor experiment"
    s.shot("opsomming")


def test_open_a_pdf_source_at_its_page(session: object, local_app: RunningApp) -> None:
    s = session(local_app)  # type: ignore[operator]
    s.open()
    s.ask("Wat werkte goed bij bewonersinitiatieven?")
    buttons = s.page.locator("#bronnen button.bron-open", has_text=re.compile(r"op p\. \d+"))
    assert buttons.count() >= 1, "expected a PDF among the sources"
    button = buttons.first
    page_number = int(re.search(r"p\. (\d+)", button.inner_text()).group(1))  # type: ignore[union-attr]
    quote = button.locator("xpath=..").locator("mark").first.inner_text()
    button.click()
    frame = s.page.locator("#document iframe.pdf-frame")
    frame.wait_for(timeout=60_000)
    src = frame.get_attribute("src") or ""
    assert src.endswith(f"#page={page_number}")
    served = s.page.request.get(s.app.url + "/" + src.split("#")[0])
    assert served.status == 200 and served.headers["content-type"] == "application/pdf"
    document = unquote(src.split("file=", 1)[1].split("#")[0])
    relative = Path(document).resolve().relative_to(s.app.study.corpus.resolve()).as_posix()
    view = s.app.service.document_view(relative)
    page_text = " ".join(" ".join(b.text for b in view.blocks if b.page == page_number).split())
    assert " ".join(quote.split())[:60] in page_text  # the cited page holds the quote
    frame.scroll_into_view_if_needed()
    content = frame.element_handle().content_frame()
    assert content is not None
    content.wait_for_load_state("load")  # the PDF is in the frame before the screenshot
    s.shot("pdf-in-app")
    # The browser's own viewer at that page, as the link in the viewer opens it.
    viewer = s.context.new_page()
    viewer.goto(s.app.url + "/" + src, wait_until="load")
    path = ARTIFACTS / f"{s.name}-pdf-pagina-{page_number}.png"
    viewer.screenshot(path=str(path))
    viewer.close()
    # The text of the cited page is there too, quote marked.
    s.page.locator("#document details.pdf-tekst summary").click()
    assert s.page.locator("#document details.pdf-tekst mark").count() >= 1


def test_text_source_is_scrolled_to_the_highlighted_passage(session: object, local_app: RunningApp) -> None:
    s = session(local_app)  # type: ignore[operator]
    s.open()
    s.ask("Wat zeiden de bewoners over het initiatievenfonds in Wierdenhaven?")
    buttons = s.page.locator("#bronnen button.bron-open", has_text=re.compile(r"^Open het document$"))
    if buttons.count() == 0:
        pytest.fail("expected a DOCX or Markdown source among the cards")
    buttons.first.click()
    hit = s.page.locator("#document .doc-tekst .doc-hit")
    hit.wait_for(timeout=60_000)
    # the viewer scrolls the passage into view each time the document is shown: wait for that, not for time
    in_view = """() => {
        const hit = document.querySelector('#document .doc-tekst .doc-hit');
        const box = document.querySelector('#document .doc-tekst');
        if (!hit || !box) { return false; }
        const h = hit.getBoundingClientRect(), b = box.getBoundingClientRect();
        return b.top <= h.top && h.top <= b.bottom;
    }"""
    s.page.wait_for_function(in_view, timeout=30_000)
    assert hit.locator("mark").count() >= 1
    assert hit.is_visible()
    # the document may be drawn once more (Gradio sets the value again), which resets its scroll until the
    # viewer scrolls it back: the passage must be in view once the page has settled
    s.page.wait_for_function(in_view, timeout=30_000)
    s.shot("tekst-met-passage")


def test_script_in_a_document_is_shown_as_text(session: object, local_app: RunningApp) -> None:
    s = session(local_app)  # type: ignore[operator]
    s.open()
    s.page.get_by_role("tab", name="Casussen").click()
    s.page.locator("#casus-tabel").get_by_text("Klankbordgroep Havenkwartier").click()
    detail = s.page.locator(f'#casus-detail section[data-case="{SCRIPT_CASE}"]')
    detail.wait_for(timeout=30_000)
    s.shot("casus")
    detail.locator(f'button[data-doc="{SCRIPT_DOCUMENT}"]').click()
    view = s.page.locator("#casus-document .doc-tekst")
    view.wait_for(timeout=30_000)
    text = view.inner_text()
    assert "<script>window.__vraagbaak_pwned = 'script';</script>" in text
    assert "<img src=x onerror=\"window.__vraagbaak_pwned_img = 'img'\">" in text
    assert "javascript:window.__vraagbaak_pwned_link" in text
    assert s.page.locator("#casus-document .doc-view").get_by_text("Notulen met <script> en <img onerror>").count() == 1
    assert view.locator("script, img, a").count() == 0
    # two painted frames after the document is shown: an image would have been requested and failed by then
    s.page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    flags = s.page.evaluate(
        "[window.__vraagbaak_pwned, window.__vraagbaak_pwned_img, window.__vraagbaak_pwned_link].map(String)"
    )
    assert flags == ["undefined", "undefined", "undefined"]
    s.shot("script-als-tekst")
    # Cited in an answer, the passage is shown inert as well.
    s.page.get_by_role("tab", name="Vraag").click()
    s.ask("Wat besprak de klankbordgroep Havenkwartier over de vuurtorenwandeling?")
    cards = s.page.locator("#bronnen .bron-kaart", has_text="Havenkwartier")
    expect(cards.first).to_be_visible(timeout=60_000)  # the question names the case: its notes are cited
    assert cards.first.locator("script, img").count() == 0
    assert s.page.evaluate("String(window.__vraagbaak_pwned_img)") == "undefined"
    s.shot("script-in-bron")


def test_the_case_matrix_opens_to_its_passages(session: object, local_app: RunningApp) -> None:
    """Casussen: the cases against the synthesis's overarching factors; a count opens to the passages
    behind it, and each passage opens in its document."""
    s = session(local_app)  # type: ignore[operator]
    s.open()
    s.page.get_by_role("tab", name="Casussen").click()
    s.page.locator("#casus-matrix-paneel").get_by_text("Casussen × overkoepelende factoren").click()
    table = s.page.locator('#casus-matrix table.matrix[data-intent="positive"]')
    table.wait_for(timeout=60_000)
    assert table.locator("thead th").count() == 7  # "Casus" and the six factors
    assert table.locator("thead th").nth(2).inner_text().startswith("2. Budget")
    assert s.page.locator('#casus-matrix table.matrix[data-intent="negative"]').count() == 1
    count = table.locator("summary").first
    count.click()
    passages = table.locator("details[open] li")
    expect(passages.first).to_be_visible(timeout=30_000)
    assert passages.count() == int(count.inner_text())
    s.shot("matrix")
    passages.first.locator("button.doc-open").click()
    expect(s.page.locator("#casus-document .doc-view")).to_be_visible(timeout=60_000)


def test_reader_cannot_reach_beheer(session: object, auth_app: RunningApp) -> None:
    s = session(auth_app)  # type: ignore[operator]
    s.open(login=READER)
    assert "lezer" in s.page.locator("#wie").inner_text()
    assert s.page.get_by_role("tab", name="Vraag").is_visible()
    # the role check on load runs before the name is written (qa.web.layout), and the name is shown
    assert s.page.get_by_role("tab", name="Beheer").count() == 0
    assert s.page.get_by_role("button", name="Herindexeren").count() == 0
    s.shot("lezer-zonder-beheer")


def test_local_mode_shows_beheer_disabled(session: object, local_app: RunningApp) -> None:
    s = session(local_app)  # type: ignore[operator]
    s.open()
    s.page.get_by_role("tab", name="Beheer").click()
    notice = s.page.locator("#beheer-uit")
    notice.wait_for()
    assert "qa user add" in notice.inner_text()
    assert s.page.get_by_role("button", name="Herindexeren").count() == 0
    s.shot("beheer-uitgeschakeld")


# Records every value and text of the page's progress bars, and how many are drawn at once.
RECORD_PROGRESS_JS = """() => {
  window.__bar = {values: [], texts: [], drawn: 0};
  const record = () => {
    const bars = document.querySelectorAll('[role="progressbar"]');
    window.__bar.drawn = Math.max(window.__bar.drawn, bars.length);
    bars.forEach((bar) => {
      const value = parseFloat(bar.getAttribute('aria-valuenow'));
      if (!isNaN(value)) { window.__bar.values.push(value); }
      const text = bar.getAttribute('aria-valuetext');
      if (text) { window.__bar.texts.push(text); }
    });
  };
  new MutationObserver(record).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


def _three_files(folder: Path) -> list[Path]:
    folder.mkdir()
    pdf = make_pdf(
        folder / "documentanalyse jeugdraad.pdf",
        [
            ["Documentanalyse Jeugdraad Zilverhaven", "De jeugdraad van Zilverhaven bestaat uit twaalf jongeren."],
            [
                "De jeugdraad organiseerde in 2016 een zeepkistenrace om jongeren bij de wijk te betrekken.",
                "De zeepkistenrace trok driehonderd bezoekers en leverde veertig nieuwe ideeën op.",
            ],
        ],
    )
    docx = make_docx(
        folder / "interview-ambtenaar.docx",
        [
            ("heading", "Interview met de jongerenwerker"),
            ("para", "De jongerenwerker zei dat de zeepkistenrace goed werkte omdat jongeren zelf de regie hadden."),
        ],
    )
    md = folder / "interview-bewoner.md"
    md.write_text(
        "# Interview met een jongere\n\nDe zeepkistenrace was het leukste wat de jeugdraad deed.\n", encoding="utf-8"
    )
    return [pdf, docx, md]


def test_admin_uploads_a_case_reindexes_and_gets_it_cited(
    session: object, private_admin_app: RunningApp, tmp_path: Path
) -> None:
    s = session(private_admin_app)  # type: ignore[operator]
    s.open(login=ADMIN)
    tab = s.page.get_by_role("tab", name="Beheer")
    tab.wait_for(timeout=30_000)
    tab.click()
    s.page.locator("#upload-titel textarea, #upload-titel input").first.fill("Jeugdraad Zilverhaven")
    s.page.locator("#upload-gemeente textarea, #upload-gemeente input").first.fill("Zilverhaven")
    s.page.locator("#upload-jaar input").fill("2016")
    s.page.locator("#upload-themas textarea, #upload-themas input").first.fill("jeugd, inspraak")
    files = _three_files(tmp_path / "upload")
    for row, file in enumerate(files, start=1):
        s.page.locator(f'#upload-bestand-{row} input[type="file"]').set_input_files(str(file))
        s.page.locator(f"#upload-bestand-{row}").get_by_text(file.name[:12]).first.wait_for(timeout=30_000)
    s.shot("formulier", full_page=True)
    s.page.locator("#upload-knop").click()
    status = s.page.locator("#upload-status .melding.ok")
    status.wait_for(timeout=60_000)
    assert "3 bestand(en) toegevoegd aan casus ‘jeugdraad-zilverhaven’" in status.inner_text()
    case_toml = (s.app.study.corpus / "cases" / "jeugdraad-zilverhaven" / "case.toml").read_text()
    assert 'kind = "documentanalyse"' in case_toml and 'kind = "interview-bewoner"' in case_toml
    assert 'title = "Interview met een jongere"' in case_toml  # the Markdown's first heading
    # the form is emptied for the next case once its files are in
    expect(s.page.locator("#upload-titel textarea, #upload-titel input").first).to_have_value("")
    expect(s.page.locator("#upload-gemeente textarea, #upload-gemeente input").first).to_have_value("")
    for row, file in enumerate(files, start=1):
        expect(s.page.locator(f"#upload-bestand-{row}").get_by_text(file.name[:12])).to_have_count(0)
    s.shot("toegevoegd")
    # an existing case is chosen by its title; a refused upload replaces the success message
    s.page.locator("#upload-modus").get_by_text("Bestaande casus").click()
    s.page.locator("#upload-casus input").click()
    s.page.get_by_role("option", name="Jeugdraad Zilverhaven").click()
    expect(s.page.get_by_role("option", name="jeugdraad-zilverhaven")).to_have_count(0)
    fake = tmp_path / "nep.pdf"
    fake.write_bytes(b"<html>geen pdf</html>")
    s.page.locator('#upload-bestand-1 input[type="file"]').set_input_files(str(fake))
    s.page.locator("#upload-bestand-1").get_by_text("nep.pdf").first.wait_for(timeout=30_000)
    s.page.locator("#upload-knop").click()
    refused = s.page.locator("#upload-status .melding.fout")
    expect(refused).to_contain_text("nep.pdf", timeout=60_000)
    expect(s.page.locator("#upload-status .melding.ok")).to_have_count(0)
    s.shot("geweigerd")

    s.page.evaluate(RECORD_PROGRESS_JS)
    s.page.locator("#herindexeren").click()
    summary = s.page.locator("#index-samenvatting .index-samenvatting")
    summary.wait_for(timeout=600_000)
    assert "3 nieuw" in summary.inner_text()
    s.shot("herindexeerd", full_page=True)
    # one bar, drawn once, from 0 to 100 % and never back, labelled per stage in Dutch
    values, texts, drawn = s.page.evaluate("[window.__bar.values, window.__bar.texts, window.__bar.drawn]")
    assert values and values == sorted(values), values
    assert drawn == 1
    stages = tuple(REINDEX_LABELS.values())  # the embedding stage shows only for texts not cached yet
    assert texts and all(text.startswith(stages) and "steps" not in text for text in texts), texts
    # and the line above the chat says what is now indexed
    documents = private_admin_app.service.index_status().summary.documents  # type: ignore[union-attr]
    expect(s.page.locator("#index-status")).to_contain_text(f"Het onderzoek is geïndexeerd: {documents} documenten")

    s.page.get_by_role("tab", name="Vraag").click()
    answer = s.ask("Wat deed de jeugdraad in Zilverhaven met de zeepkistenrace?")
    assert "zeepkistenrace" in answer.inner_text().lower()  # type: ignore[attr-defined]
    card = s.page.locator("#bronnen .bron-kaart", has_text="Jeugdraad Zilverhaven").first
    card.wait_for(timeout=30_000)
    s.shot("nieuwe-casus-geciteerd")


def _answer_about_the_fund(s: Any) -> Any:
    """Ask the small study's fund question as the first of the page; the answer, once it cites the fund's case."""
    box = s.page.get_by_placeholder("Stel een vraag")
    box.fill("Wat betaalde het fonds voor de jeugdraad?")
    box.press("Enter")
    s.page.locator('#bronnen .bronnen[data-turn="0"]').wait_for(timeout=ANSWER_TIMEOUT)
    answer = s.page.locator('#gesprek [data-testid="bot"]').first
    expect(answer.locator("a.bron-marker").first).to_be_visible(timeout=ANSWER_TIMEOUT)
    expect(s.page.locator("#bronnen .bron-kaart").first).to_contain_text("Wierdenhaven")
    return answer


def test_the_app_serves_at_once_and_answers_once_indexed(session: object, app_indexing_on_start: IndexingApp) -> None:
    """Started without an index: the page is there at once and says the study is being indexed; a
    question gets one Dutch sentence (no error); once the index is switched in, the same page answers
    with sources and its filters list the cases, without a reload."""
    app = app_indexing_on_start
    s = session(app)  # type: ignore[operator]
    s.open_page()
    status = s.page.locator('#index-status .index-status[data-state="bezig"]')
    expect(status).to_contain_text("Het onderzoek wordt", timeout=30_000)
    assert app.embedder.embedding.wait(timeout=60)  # the build waits at its embedding stage
    expect(status).to_contain_text(re.compile(r"geïndexeerd: 0 van \d+ teksten"), timeout=30_000)
    s.shot("indexeren-bezig")
    box = s.page.get_by_placeholder("Stel een vraag")
    box.fill("Wat betaalde het fonds voor de jeugdraad?")
    box.press("Enter")
    note = s.page.locator('#gesprek [data-testid="bot"]').first
    expect(note).to_contain_text("Het onderzoek wordt nog geïndexeerd", timeout=60_000)
    s.shot("vraag-voor-index")
    for empty in ("", "   "):  # Enter on an empty box does nothing (checked below: no message, no "Fout")
        box.fill(empty)
        box.press("Enter")

    app.embedder.gate.set()
    done = s.page.locator('#index-status .index-status[data-state="klaar"]')
    expect(done).to_contain_text("Het onderzoek is geïndexeerd: 4 documenten", timeout=120_000)
    assert s.page.locator('#gesprek [data-testid="bot"]').count() == 1
    expect(s.page.get_by_text("Fout")).to_have_count(0)
    expect(s.page.get_by_text("not in the list of choices")).to_have_count(0)
    s.page.locator("#filters").get_by_text("Filters").click()
    s.page.locator("#filter-gemeente input").click()
    expect(s.page.get_by_role("option", name="Oudewater-Noord")).to_be_visible(timeout=30_000)
    s.page.keyboard.press("Escape")
    s.shot("geindexeerd")

    _answer_about_the_fund(s)
    expect(s.page.get_by_text("Fout")).to_have_count(0)
    s.shot("antwoord-na-indexeren")


def test_the_page_answers_from_the_quick_version_while_the_main_encoder_embeds(
    session: object, app_with_quick_version: IndexingApp
) -> None:
    """Started without an index, with the real guard encoder: the page opened before anything is indexed
    answers, with sources, from the quick version on the guard encoder while the main encoder is still
    held at its embedding stage, and says so; then the complete index is in. No reload."""
    app = app_with_quick_version
    s = session(app)  # type: ignore[operator]
    s.open_page()
    assert app.embedder.embedding.wait(timeout=120)  # the quick version is in; the main encoder waits
    status = s.page.locator('#index-status .index-status[data-state="bezig"]')
    expect(status).to_contain_text("Eerste antwoorden zijn er", timeout=30_000)
    s.shot("snelle-versie")
    answer = _answer_about_the_fund(s)
    expect(answer.locator("em").first).to_have_text(re.compile(r"^Voorlopig antwoord: het onderzoek wordt nog"))
    expect(s.page.get_by_text("Fout")).to_have_count(0)
    s.shot("antwoord-uit-snelle-versie")

    app.embedder.gate.set()
    done = s.page.locator('#index-status .index-status[data-state="klaar"]')
    expect(done).to_contain_text("Het onderzoek is geïndexeerd: 4 documenten", timeout=120_000)


def test_refusals_and_toasts_speak_the_language_of_the_question(session: object, local_app: RunningApp) -> None:
    """A refused question is answered in the chat, in Dutch for a Dutch question and in English for an
    English one, without Gradio's red badge on the chat (worded by the browser's locale, "Fout" on this
    Dutch browser whatever the question); the thanks for a vote is a toast titled in the question's
    language (no Gradio "Info" on a Dutch page)."""
    s = session(local_app)  # type: ignore[operator]
    s.open()
    box = s.page.get_by_placeholder("Stel een vraag")
    limit = s.app.service.settings.max_question_chars
    chat = s.page.locator("#gesprek")
    for question, note in [
        ("Wat werkte goed bij bewonersinitiatieven? ", "De vraag is te lang"),
        ("What worked for resident initiatives? ", "The question is too long"),
    ]:
        box.fill((question * limit)[: limit + 10])
        box.press("Enter")
        expect(chat.locator('[data-testid="bot"]').last).to_contain_text(note, timeout=30_000)
        expect(box).not_to_have_value("")  # left in the box to shorten and ask again
        expect(chat.locator(".error")).to_have_count(0)
        expect(s.page.locator(".toast-body")).to_have_count(0)
    s.shot("weigering-en")
    s.page.get_by_role("button", name="Nieuw gesprek").click()  # a note is no answer: the next answer replaces it
    expect(chat.locator('[data-testid="bot"]')).to_have_count(0)
    s.ask("What worked for resident initiatives?")
    s.page.locator("#gesprek").get_by_role("button", name=re.compile("^(Vind ik leuk|Like)$")).last.click()
    toasts = s.page.locator(".toast-body")
    thanks = toasts.filter(has_text="Thank you for your rating.")
    expect(thanks).to_be_visible(timeout=30_000)
    expect(thanks.locator(".toast-title")).to_have_text(re.compile(r"^\s*Notice\s*$"))
    expect(s.page.locator(".toast-title", has_text=re.compile(r"^\s*Info\s*$"))).to_have_count(0)
    s.shot("toast-en")


def test_one_source_card_lit_and_the_chat_label_over_no_message(session: object, local_app: RunningApp) -> None:
    s = session(local_app)  # type: ignore[operator]
    s.open()
    answer = s.ask("Wat werkte goed bij bewonersinitiatieven?")
    hrefs = list(
        dict.fromkeys(answer.locator("a.bron-marker").evaluate_all("(links) => links.map(l => l.getAttribute('href'))"))
    )  # type: ignore[attr-defined]
    assert len(hrefs) >= 2, hrefs
    for href in hrefs[:2]:
        answer.locator(f'a.bron-marker[href="{href}"]').first.click()  # type: ignore[attr-defined]
        s.page.wait_for_function(f"document.querySelector('{href}').classList.contains('uitgelicht')")
    expect(s.page.locator(".bron-kaart.uitgelicht")).to_have_count(1)
    expect(s.page.locator(f"{hrefs[1]}.uitgelicht")).to_have_count(1)
    # scrolled, the messages pass below the chat's label "Gesprek", never under it
    # both boxes read in one frame: the page may still be scrolling smoothly to the lit card
    label_bottom, log_top = s.page.locator("#gesprek .bubble-wrap").evaluate(
        """(log) => {
            log.scrollTop = 60;
            const label = [...log.closest('#gesprek').querySelectorAll('label')].find(l => l.textContent.includes('Gesprek'));
            return [label.getBoundingClientRect().bottom, log.getBoundingClientRect().top];
        }"""
    )
    assert label_bottom <= log_top + 0.5, (label_bottom, log_top)
    s.shot("een-bron-uitgelicht")


def test_filters_show_when_closed_and_the_case_table_reads_as_text(session: object, local_app: RunningApp) -> None:
    s = session(local_app)  # type: ignore[operator]
    s.open()
    panel = s.page.locator("#filters")
    panel.get_by_text("Filters").first.click()
    s.page.locator("#filter-gemeente input").click()
    s.page.get_by_role("option", name="Wierdenhaven").click()
    panel.get_by_text("Filters").first.click()  # closed again
    expect(s.page.locator("#filter-gemeente input")).to_be_hidden()
    expect(panel).to_contain_text("Filters: gemeente Wierdenhaven")
    s.shot("filter-in-label")
    s.page.get_by_role("tab", name="Casussen").click()
    cell = s.page.locator("#casus-tabel").get_by_text("Klankbordgroep Havenkwartier").first
    cell.wait_for(timeout=30_000)
    font = cell.evaluate("(element) => getComputedStyle(element).fontFamily")
    assert "mono" not in font.lower(), font


# The overlap check: the boxes a user reads or clicks (of a field, the part its text stands in), each
# clipped to the containers that scroll or clip it (one scrolled out of its container counts as not
# shown), compared pairwise; a pair where one holds the other (a card and its button, a label and its
# input) is no overlap. A dropdown's arrow counts: Gradio draws it over the end of the field's text.
READABLE = ", ".join(
    [
        "button",
        "input:not([type=hidden])",
        "textarea",
        "select",
        "label",
        "h1, h2, h3, h4, h5, h6",
        "a",
        "summary",
        "iframe",
        "progress",
        '[role="tab"]',
        '[role="progressbar"]',
        '[data-testid="bot"]',
        '[data-testid="user"]',
        ".bron-kaart",
        "svg.dropdown-arrow",
    ]
)
# Left out on purpose, being meant to lie over the page for a moment: a toast, the list of an open
# dropdown, Gradio's loading veil over a component while it waits.
OVERLAYS = ", ".join([".toast-wrap", "ul.options", ".wrap.default", ".eta-bar"])
FIND_OVERLAPS_JS = """([selector, overlays, tolerance]) => {
  const clipping = (style) => [style.overflowX, style.overflowY].some((o) => o !== 'visible');
  const shown = (element) => {
    if (element.closest(overlays)) { return null; }
    if (!element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) { return null; }
    const r = element.getBoundingClientRect();
    let box = {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(element.tagName)) {  // where its text can stand
      const s = getComputedStyle(element), px = (v) => parseFloat(v) || 0;
      box = {left: box.left + px(s.borderLeftWidth) + px(s.paddingLeft),
             top: box.top + px(s.borderTopWidth) + px(s.paddingTop),
             right: box.right - px(s.borderRightWidth) - px(s.paddingRight),
             bottom: box.bottom - px(s.borderBottomWidth) - px(s.paddingBottom)};
    }
    for (let up = element.parentElement; up && up !== document.documentElement; up = up.parentElement) {
      if (!clipping(getComputedStyle(up)) || up === document.body) { continue; }
      const c = up.getBoundingClientRect();
      box = {left: Math.max(box.left, c.left), top: Math.max(box.top, c.top),
             right: Math.min(box.right, c.right), bottom: Math.min(box.bottom, c.bottom)};
    }
    return box.right - box.left > 0 && box.bottom - box.top > 0 ? box : null;
  };
  const name = (element) => {
    const id = element.id ? '#' + element.id : '';
    const classes = [...element.classList].slice(0, 3).map((c) => '.' + c).join('');
    const text = (element.innerText || element.value || element.getAttribute('aria-label') || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 40);
    const block = element.parentElement && element.parentElement.closest('[id]');
    const within = block && block.id ? ` in #${block.id}` : '';
    return `<${element.tagName.toLowerCase()}${id}${classes}> "${text}"${within}`;
  };
  const items = [...document.querySelectorAll(selector)]
    .map((element) => [element, shown(element)]).filter(([, box]) => box);
  const found = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const [a, p] = items[i], [b, q] = items[j];
      if (a.contains(b) || b.contains(a)) { continue; }
      const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (x > tolerance && y > tolerance) {
        found.push(`${name(a)} and ${name(b)} overlap by ${Math.round(x)}×${Math.round(y)} px`);
      }
    }
  }
  return {checked: items.length, found};
}"""
VIEWPORTS = {"breed": (1400, 900), "telefoon": (390, 844)}


def _no_overlaps(s: Session, label: str) -> None:
    """A full-page screenshot of the state, then no two elements a user reads or clicks overlap."""
    path = s.shot(label, full_page=True)
    result = s.page.evaluate(FIND_OVERLAPS_JS, [READABLE, OVERLAYS, 2])
    assert result["checked"] >= 10, result  # the state's controls and texts were found to compare
    assert not result["found"], f"{label} ({path.name}):\n" + "\n".join(result["found"])


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_nothing_overlaps_in_the_chat_the_sources_and_beheer(
    session: object, auth_app: RunningApp, viewport: str
) -> None:
    """At 1400×900 and on a phone (390×844): an answer with its source cards, a source opened in the
    document viewer, and Beheer for an admin each show without one element over another."""
    s = session(auth_app, f"overlap-{viewport}", VIEWPORTS[viewport])  # type: ignore[operator]
    s.open(login=ADMIN)
    s.ask("Wat werkte goed bij bewonersinitiatieven?")
    expect(s.page.locator("#bronnen .bron-kaart").first).to_be_visible()
    _no_overlaps(s, "antwoord")
    s.page.locator("#bronnen button.bron-open").first.click()
    expect(s.page.locator("#document .doc-view")).to_be_visible(timeout=60_000)
    _no_overlaps(s, "bron-geopend")
    s.page.get_by_role("tab", name="Beheer").click()
    expect(s.page.locator("#herindexeren")).to_be_visible(timeout=30_000)
    _no_overlaps(s, "beheer")
