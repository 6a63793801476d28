"""The page: tabs Vraag, Casussen and Beheer, wired to the handlers in `qa.web.handlers`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from qa.web.handlers import WebApp
from qa.web.handlers.admin import DEFAULT_KINDS, UPLOAD_ROWS
from qa.web.handlers.cases import kind_choices
from qa.web.render.labels import CASE_VIEWER_PLACEHOLDER, VIEWER_PLACEHOLDER
from qa.web.render.sources import sources_panel
from qa.web.scripts import OPEN_DOCUMENT_JS, OPEN_SOURCE_JS, SCROLL_TO_PASSAGE_JS

EXAMPLES = [
    "Wat werkte goed bij bewonersinitiatieven?",
    "What worked for resident initiatives?",
    "Welke gemeenten werkten met loting?",
    "Wat waren aandachtspunten bij digitale participatie?",
]

LOCAL_MODE_ADMIN = (
    "Beheer is uitgeschakeld omdat er nog geen gebruikers zijn: maak een beheerder aan met "
    "`qa user add NAAM --role admin` en start de app opnieuw."
)


@dataclass
class ChatControls:
    """The Vraag tab: the conversation, the question box, the filters, and the sources beside them."""

    chatbot: gr.Chatbot
    question: gr.Textbox
    ask: gr.Button
    filter_panel: gr.Accordion
    municipality: gr.Dropdown
    case: gr.Dropdown
    kind: gr.Dropdown
    download: gr.DownloadButton
    clear: gr.Button
    sources: gr.HTML
    viewer: gr.HTML

    @property
    def filters(self) -> list[Any]:
        return [self.municipality, self.case, self.kind]


@dataclass
class CaseControls:
    """The Casussen tab: the table of cases, one case in detail, the matrix, and a document opened."""

    table: gr.Dataframe
    select: gr.Dropdown
    detail: gr.HTML
    matrix: gr.HTML
    viewer: gr.HTML

    @property
    def views(self) -> list[Any]:
        """What `WebApp.case_views` fills, in its order."""
        return [self.table, self.select, self.detail, self.matrix]


@dataclass
class UploadForm:
    """Beheer's form to add documents to a new or an existing case."""

    inputs: list[Any]  # mode, existing case, title, municipality, year, themes, then files, kinds, titles
    existing_case: gr.Dropdown
    button: gr.Button
    status: gr.HTML


@dataclass
class AdminControls:
    """The Beheer tab: the upload form, the re-index button and its summary, the removal of a document."""

    tab: gr.Tab
    upload: UploadForm
    reindex_button: gr.Button
    summary: gr.HTML
    remove_choice: gr.Dropdown
    remove_button: gr.Button
    remove_status: gr.HTML

    @property
    def choices(self) -> list[Any]:
        """What `WebApp.admin_choices` fills, in its order."""
        return [self.upload.existing_case, self.remove_choice]


@dataclass
class PageState:
    """What the page keeps beside its tabs: the answers so far, the index version it was filled
    from, the status line above the tabs and the timer that watches the indexing."""

    who: gr.Markdown
    index_status: gr.HTML
    answers: gr.State
    known_version: gr.State
    index_timer: gr.Timer


def build_blocks(app: WebApp) -> gr.Blocks:
    # delete_cache: Gradio's copies of uploads and downloads older than a day go, checked hourly.
    with gr.Blocks(title="Vraagbaak Burgerparticipatie", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        gr.Markdown("# Vraagbaak Burgerparticipatie", elem_id="kop")
        page = PageState(
            who=gr.Markdown(elem_id="wie"),
            index_status=gr.HTML(app.status_html(), elem_id="index-status"),
            answers=gr.State([]),
            known_version=gr.State(None),  # the index version the filters and case lists were filled from
            # Watches the indexing while it runs; the app stops it once the page is up to date.
            index_timer=gr.Timer(1.0, active=True),
        )
        with gr.Tabs():
            chat = _chat_tab()
            cases = _cases_tab()
            admin = _admin_tab(app)
        _wire_chat(app, chat, page)
        _wire_cases(app, cases)
        _wire_page(app, demo, page, chat, cases, admin)
        if admin is not None:
            _wire_admin(app, admin, page, chat, cases)
    return demo


def _chat_tab() -> ChatControls:
    with gr.Tab("Vraag", id="vraag"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Gesprek",
                    height=560,
                    elem_id="gesprek",
                    feedback_options=("Like", "Dislike"),
                    placeholder="Stel een vraag over het onderzoek naar burgerparticipatie.",
                    buttons=["copy"],
                )
                with gr.Row():
                    question = gr.Textbox(
                        show_label=False,
                        placeholder="Stel een vraag… (Nederlands of Engels)",
                        scale=5,
                        elem_id="vraag-invoer",
                        autofocus=True,
                    )
                    ask = gr.Button("Vraag", variant="primary", scale=1, elem_id="vraag-knop")
                gr.Examples(EXAMPLES, inputs=question, label="Voorbeeldvragen")
                filter_panel, municipality, case, kind = _filters_panel()
                with gr.Row():
                    download = gr.DownloadButton(
                        "Gesprek met bronnen downloaden (Markdown)", interactive=False, size="sm", elem_id="download"
                    )
                    clear = gr.Button("Nieuw gesprek", size="sm")
            with gr.Column(scale=2):
                sources = gr.HTML(sources_panel([]), js_on_load=OPEN_SOURCE_JS, elem_id="bronnen")
        viewer = gr.HTML(VIEWER_PLACEHOLDER, js_on_load=SCROLL_TO_PASSAGE_JS, elem_id="document")
    return ChatControls(
        chatbot, question, ask, filter_panel, municipality, case, kind, download, clear, sources, viewer
    )


def _filters_panel() -> tuple[gr.Accordion, gr.Dropdown, gr.Dropdown, gr.Dropdown]:
    """The filters under the question box, closed; each starts with only "all" as a choice."""
    with gr.Accordion("Filters", open=False, elem_id="filters") as panel:
        municipality = gr.Dropdown(
            label="Gemeente", choices=[("Alle gemeenten", "")], value="", elem_id="filter-gemeente"
        )
        case = gr.Dropdown(label="Casus", choices=[("Alle casussen", "")], value="", elem_id="filter-casus")
        kind = gr.Dropdown(label="Soort bron", choices=[("Alle soorten", "")], value="", elem_id="filter-soort")
    return panel, municipality, case, kind


def _cases_tab() -> CaseControls:
    with gr.Tab("Casussen", id="casussen"):
        gr.Markdown("De casussen van het onderzoek met hun succesfactoren en aandachtspunten.")
        table = gr.Dataframe(
            headers=["Casus", "Gemeente", "Jaar", "Thema's", "Documenten"],
            interactive=False,
            wrap=True,
            column_widths=["24%", "14%", "8%", "24%", "30%"],
            elem_id="casus-tabel",
        )
        select = gr.Dropdown(label="Casus", choices=[], elem_id="casus-keuze")
        detail = gr.HTML(js_on_load=OPEN_DOCUMENT_JS, elem_id="casus-detail")
        with gr.Accordion("Casussen × overkoepelende factoren", open=False, elem_id="casus-matrix-paneel"):
            matrix = gr.HTML(js_on_load=OPEN_DOCUMENT_JS, elem_id="casus-matrix")
        viewer = gr.HTML(CASE_VIEWER_PLACEHOLDER, js_on_load=SCROLL_TO_PASSAGE_JS, elem_id="casus-document")
    return CaseControls(table, select, detail, matrix, viewer)


def _admin_tab(app: WebApp) -> AdminControls | None:
    if not app.auth_enabled:
        with gr.Tab("Beheer", id="beheer", elem_id="beheer-tab"):
            gr.Markdown(LOCAL_MODE_ADMIN, elem_id="beheer-uit")
        return None

    with gr.Tab("Beheer", id="beheer", visible=False, elem_id="beheer-tab") as tab:
        upload = _upload_panel()
        reindex_button, summary = _reindex_panel()
        remove_choice, remove_button, remove_status = _remove_panel()
    return AdminControls(
        tab=tab,
        upload=upload,
        reindex_button=reindex_button,
        summary=summary,
        remove_choice=remove_choice,
        remove_button=remove_button,
        remove_status=remove_status,
    )


def _upload_panel() -> UploadForm:
    gr.Markdown("### Documenten toevoegen")
    mode = gr.Radio(
        [("Nieuwe casus", "nieuw"), ("Bestaande casus", "bestaand")],
        value="nieuw",
        label="Waarheen?",
        elem_id="upload-modus",
    )
    existing = gr.Dropdown(
        label="Bestaande casus", choices=[], visible=False, allow_custom_value=True, elem_id="upload-casus"
    )
    with gr.Group(visible=True) as new_case:
        with gr.Row():
            title = gr.Textbox(label="Titel van de casus", elem_id="upload-titel")
            municipality = gr.Textbox(label="Gemeente", elem_id="upload-gemeente")
            year = gr.Number(label="Jaar", precision=0, elem_id="upload-jaar")
        themes = gr.Textbox(label="Thema's (gescheiden door komma's)", elem_id="upload-themas")
    mode.change(
        lambda m: (gr.update(visible=m == "bestaand"), gr.update(visible=m == "nieuw")),
        [mode],
        [existing, new_case],
        api_visibility="private",
    )
    files, kinds, titles = _upload_rows()
    button = gr.Button("Toevoegen", variant="primary", elem_id="upload-knop")
    status = gr.HTML(elem_id="upload-status")
    inputs = [mode, existing, title, municipality, year, themes, *files, *kinds, *titles]
    return UploadForm(inputs=inputs, existing_case=existing, button=button, status=status)


def _upload_rows() -> tuple[list[gr.File], list[gr.Dropdown], list[gr.Textbox]]:
    """A row per file to upload: the file, its kind and its (optional) title."""
    files, kinds, titles = [], [], []
    for row in range(UPLOAD_ROWS):
        with gr.Row(equal_height=True):
            files.append(
                gr.File(
                    label=f"Bestand {row + 1}",
                    type="filepath",
                    file_types=[".pdf", ".docx", ".md", ".txt"],
                    height=110,
                    elem_id=f"upload-bestand-{row + 1}",
                )
            )
            # wide enough for the longest kind; on a phone the kind and the title each take a line
            kinds.append(
                gr.Dropdown(
                    kind_choices(),
                    value=DEFAULT_KINDS[row],
                    label="Soort",
                    min_width=240,
                    elem_id=f"upload-soort-{row + 1}",
                )
            )
            titles.append(
                gr.Textbox(
                    label="Titel van het document (optioneel)", min_width=240, elem_id=f"upload-doctitel-{row + 1}"
                )
            )
    return files, kinds, titles


def _reindex_panel() -> tuple[gr.Button, gr.HTML]:
    gr.Markdown("### Herindexeren")
    gr.Markdown(
        "Leest nieuwe en gewijzigde documenten in. De vraagbaak blijft intussen antwoorden met de vorige index."
    )
    return gr.Button("Herindexeren", elem_id="herindexeren"), gr.HTML(elem_id="index-samenvatting")


def _remove_panel() -> tuple[gr.Dropdown, gr.Button, gr.HTML]:
    gr.Markdown("### Document verwijderen")
    gr.Markdown(
        "Het document gaat naar de prullenbak in de corpusmap (`_prullenbak`); de volgende herindexering laat het weg."
    )
    # Custom values: the handler checks the role first, then whether the path is a document.
    choice = gr.Dropdown(label="Document", choices=[], allow_custom_value=True, elem_id="verwijder-keuze")
    button = gr.Button("Naar de prullenbak", variant="stop", elem_id="verwijder-knop")
    return choice, button, gr.HTML(elem_id="verwijder-status")


def _wire_chat(app: WebApp, chat: ChatControls, page: PageState) -> None:
    outputs = [chat.chatbot, page.answers, chat.sources, chat.question, chat.download, chat.viewer]
    inputs = [chat.question, page.answers, chat.case, chat.municipality, chat.kind]
    for trigger in (chat.ask.click, chat.question.submit):
        trigger(
            app.respond,
            inputs,
            outputs,
            api_visibility="private",
            concurrency_id="vragen",
            show_progress_on=[chat.chatbot],
        )
    # Both "Nieuw gesprek" and the chat's own bin start over: the answers in the state go too.
    started_over = [chat.chatbot, page.answers, chat.sources, chat.download, chat.viewer]
    for start_over in (chat.clear.click, chat.chatbot.clear):
        start_over(app.clear, None, started_over, api_visibility="private")
    chat.chatbot.like(app.like, [page.answers], None, api_visibility="private")
    chat.chatbot.select(app.show_turn, [page.answers], [chat.sources], api_visibility="private")
    chat.sources.click(app.open_citation, [page.answers], [chat.viewer], api_visibility="private")
    gr.api(app.ask_api, api_name="ask", concurrency_id="vragen")
    for chosen in chat.filters:
        chosen.change(app.filters_label, chat.filters, [chat.filter_panel], api_visibility="private", queue=False)


def _wire_cases(app: WebApp, cases: CaseControls) -> None:
    cases.select.change(app.case_detail, [cases.select], [cases.detail], api_visibility="private")
    cases.table.select(app.select_case_row, None, [cases.select], api_visibility="private")
    cases.detail.click(app.open_document, None, [cases.viewer], api_visibility="private")
    cases.matrix.click(app.open_document, None, [cases.viewer], api_visibility="private")


def _wire_page(
    app: WebApp,
    demo: gr.Blocks,
    page: PageState,
    chat: ChatControls,
    cases: CaseControls,
    admin: AdminControls | None,
) -> None:
    """The page filled on load, and kept in step with the index by the timer."""
    on_load_outputs = [page.who, page.index_status, page.known_version, *chat.filters, *cases.views]
    if admin is None:
        demo.load(app.on_load, None, on_load_outputs, api_visibility="private")
    else:  # Beheer is shown or kept hidden before the user's name is written: the name says the page is ready
        demo.load(app.on_load_admin, None, [admin.tab, *admin.choices], api_visibility="private").then(
            app.on_load, None, on_load_outputs, api_visibility="private"
        )
    page.index_timer.tick(
        app.poll_index,
        [page.known_version],
        [page.index_status, page.known_version, page.index_timer, *chat.filters, *cases.views],
        api_visibility="private",
        show_progress="hidden",
        concurrency_id="index-status",
        concurrency_limit=None,
    )


def _wire_admin(app: WebApp, admin: AdminControls, page: PageState, chat: ChatControls, cases: CaseControls) -> None:
    serial: dict[str, Any] = {"concurrency_id": "beheer", "concurrency_limit": 1}
    form = admin.upload
    form.button.click(
        app.upload,
        form.inputs,
        [form.status, *admin.choices, *form.inputs[2:]],  # the form's fields after its mode and case
        api_name="upload_documents",
        **serial,
    )
    reindexed = [admin.summary, page.index_status, page.known_version, *chat.filters, *cases.views, *admin.choices]
    admin.reindex_button.click(
        app.reindex, None, reindexed, api_name="reindex", show_progress_on=[admin.summary], **serial
    )
    admin.remove_button.click(
        app.remove,
        [admin.remove_choice],
        [admin.remove_status, *admin.choices],
        api_name="remove_document",
        **serial,
    )
