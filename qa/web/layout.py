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

# Clicks inside the source panel and the case view reach Python through gr.HTML's trigger().
OPEN_SOURCE_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-open]');
  if (button) { trigger('click', {open: button.dataset.open}); }
});
const showQuotes = () => element.querySelectorAll('.bron-passage').forEach((passage) => {
  const mark = passage.querySelector('mark');
  if (mark) { passage.scrollTop = Math.max(0, mark.offsetTop - 24); }
});
watch('value', () => setTimeout(showQuotes, 50));
"""
OPEN_DOCUMENT_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-doc]');
  if (button) { trigger('click', {doc: button.dataset.doc, page: button.dataset.page || ''}); }
});
"""
SCROLL_TO_PASSAGE_JS = """
const show = () => {
  const hit = element.querySelector('.doc-hit');
  const view = element.querySelector('.doc-view');
  if (view) { view.scrollIntoView({block: 'start'}); }
  if (hit) { hit.scrollIntoView({block: 'center'}); }
};
watch('value', () => setTimeout(show, 50));
"""


@dataclass
class AdminControls:
    tab: gr.Tab
    upload_inputs: list[Any]
    existing_case: gr.Dropdown
    upload_button: gr.Button
    upload_status: gr.HTML
    reindex_button: gr.Button
    summary: gr.HTML
    remove_choice: gr.Dropdown
    remove_button: gr.Button
    remove_status: gr.HTML


def build_blocks(app: WebApp) -> gr.Blocks:
    # delete_cache: Gradio's copies of uploads and downloads older than a day go, checked hourly.
    with gr.Blocks(title="Vraagbaak Burgerparticipatie", analytics_enabled=False, delete_cache=(3600, 86400)) as demo:
        gr.Markdown("# Vraagbaak Burgerparticipatie", elem_id="kop")
        who = gr.Markdown(elem_id="wie")
        index_status = gr.HTML(app.status_html(), elem_id="index-status")
        answers = gr.State([])
        known_version = gr.State(None)  # the index version the filters and case lists were filled from
        # Watches the indexing while it runs; the app stops it once the page is up to date.
        index_timer = gr.Timer(1.0, active=True)

        with gr.Tabs():
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
                        with gr.Accordion("Filters", open=False, elem_id="filters") as filter_panel:
                            municipality = gr.Dropdown(
                                label="Gemeente", choices=[("Alle gemeenten", "")], value="", elem_id="filter-gemeente"
                            )
                            case = gr.Dropdown(
                                label="Casus", choices=[("Alle casussen", "")], value="", elem_id="filter-casus"
                            )
                            kind = gr.Dropdown(
                                label="Soort bron", choices=[("Alle soorten", "")], value="", elem_id="filter-soort"
                            )
                        with gr.Row():
                            download = gr.DownloadButton(
                                "Gesprek met bronnen downloaden (Markdown)",
                                interactive=False,
                                size="sm",
                                elem_id="download",
                            )
                            clear = gr.Button("Nieuw gesprek", size="sm")
                    with gr.Column(scale=2):
                        sources = gr.HTML(sources_panel([]), js_on_load=OPEN_SOURCE_JS, elem_id="bronnen")
                viewer = gr.HTML(VIEWER_PLACEHOLDER, js_on_load=SCROLL_TO_PASSAGE_JS, elem_id="document")

            with gr.Tab("Casussen", id="casussen"):
                gr.Markdown("De casussen van het onderzoek met hun succesfactoren en aandachtspunten.")
                case_table = gr.Dataframe(
                    headers=["Casus", "Gemeente", "Jaar", "Thema's", "Documenten"],
                    interactive=False,
                    wrap=True,
                    column_widths=["24%", "14%", "8%", "24%", "30%"],
                    elem_id="casus-tabel",
                )
                case_select = gr.Dropdown(label="Casus", choices=[], elem_id="casus-keuze")
                case_detail = gr.HTML(js_on_load=OPEN_DOCUMENT_JS, elem_id="casus-detail")
                with gr.Accordion("Casussen × overkoepelende factoren", open=False, elem_id="casus-matrix-paneel"):
                    case_matrix = gr.HTML(js_on_load=OPEN_DOCUMENT_JS, elem_id="casus-matrix")
                case_viewer = gr.HTML(
                    CASE_VIEWER_PLACEHOLDER, js_on_load=SCROLL_TO_PASSAGE_JS, elem_id="casus-document"
                )

            admin = _admin_tab(app)

        # ---------------------------------------------------------------- chat events
        chat_outputs = [chatbot, answers, sources, question, download, viewer]
        chat_inputs = [question, answers, case, municipality, kind]
        for trigger in (ask.click, question.submit):
            trigger(
                app.respond,
                chat_inputs,
                chat_outputs,
                api_visibility="private",
                concurrency_id="vragen",
                show_progress_on=[chatbot],
            )
        # Both "Nieuw gesprek" and the chat's own bin start over: the answers in the state go too.
        for start_over in (clear.click, chatbot.clear):
            start_over(app.clear, None, [chatbot, answers, sources, download, viewer], api_visibility="private")
        chatbot.like(app.like, [answers], None, api_visibility="private")
        chatbot.select(app.show_turn, [answers], [sources], api_visibility="private")
        sources.click(app.open_citation, [answers], [viewer], api_visibility="private")
        gr.api(app.ask_api, api_name="ask", concurrency_id="vragen")
        for chosen in (municipality, case, kind):
            chosen.change(
                app.filters_label, [municipality, case, kind], [filter_panel], api_visibility="private", queue=False
            )

        # ---------------------------------------------------------------- cases
        case_select.change(app.case_detail, [case_select], [case_detail], api_visibility="private")
        case_table.select(app.select_case_row, None, [case_select], api_visibility="private")
        case_detail.click(app.open_document, None, [case_viewer], api_visibility="private")
        case_matrix.click(app.open_document, None, [case_viewer], api_visibility="private")

        filters = [municipality, case, kind]
        case_views = [case_table, case_select, case_detail, case_matrix]
        on_load_outputs = [who, index_status, known_version, *filters, *case_views]
        if admin is None:
            demo.load(app.on_load, None, on_load_outputs, api_visibility="private")
        else:  # Beheer is shown or kept hidden before the user's name is written: the name says the page is ready
            admin_choices = [admin.existing_case, admin.remove_choice]
            demo.load(app.on_load_admin, None, [admin.tab, *admin_choices], api_visibility="private").then(
                app.on_load, None, on_load_outputs, api_visibility="private"
            )
        index_timer.tick(
            app.poll_index,
            [known_version],
            [index_status, known_version, index_timer, *filters, *case_views],
            api_visibility="private",
            show_progress="hidden",
            concurrency_id="index-status",
            concurrency_limit=None,
        )
        if admin is not None:
            serial: dict[str, Any] = {"concurrency_id": "beheer", "concurrency_limit": 1}
            admin.upload_button.click(
                app.upload,
                admin.upload_inputs,
                [admin.upload_status, *admin_choices, *admin.upload_inputs[2:]],
                api_name="upload_documents",
                **serial,
            )
            reindexed = [admin.summary, index_status, known_version, *filters, *case_views, *admin_choices]
            admin.reindex_button.click(
                app.reindex, None, reindexed, api_name="reindex", show_progress_on=[admin.summary], **serial
            )
            admin.remove_button.click(
                app.remove,
                [admin.remove_choice],
                [admin.remove_status, *admin_choices],
                api_name="remove_document",
                **serial,
            )
    return demo


def _admin_tab(app: WebApp) -> AdminControls | None:
    if not app.auth_enabled:
        with gr.Tab("Beheer", id="beheer", elem_id="beheer-tab"):
            gr.Markdown(LOCAL_MODE_ADMIN, elem_id="beheer-uit")
        return None

    with gr.Tab("Beheer", id="beheer", visible=False, elem_id="beheer-tab") as tab:
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
        files, kinds, titles = [], [], []
        for row in range(UPLOAD_ROWS):
            with gr.Row(equal_height=True):
                files.append(
                    gr.File(
                        label=f"Bestand {row + 1}",
                        type="filepath",
                        file_types=[".pdf", ".docx", ".md", ".txt"],
                        height=90,
                        elem_id=f"upload-bestand-{row + 1}",
                    )
                )
                kinds.append(
                    gr.Dropdown(
                        kind_choices(), value=DEFAULT_KINDS[row], label="Soort", elem_id=f"upload-soort-{row + 1}"
                    )
                )
                titles.append(
                    gr.Textbox(label="Titel van het document (optioneel)", elem_id=f"upload-doctitel-{row + 1}")
                )
        upload_button = gr.Button("Toevoegen", variant="primary", elem_id="upload-knop")
        upload_status = gr.HTML(elem_id="upload-status")

        gr.Markdown("### Herindexeren")
        gr.Markdown(
            "Leest nieuwe en gewijzigde documenten in. De vraagbaak blijft intussen antwoorden met de vorige index."
        )
        reindex_button = gr.Button("Herindexeren", elem_id="herindexeren")
        summary = gr.HTML(elem_id="index-samenvatting")

        gr.Markdown("### Document verwijderen")
        gr.Markdown(
            "Het document gaat naar de prullenbak in de corpusmap (`_prullenbak`); "
            "de volgende herindexering laat het weg."
        )
        # Custom values: the handler checks the role first, then whether the path is a document.
        remove_choice = gr.Dropdown(label="Document", choices=[], allow_custom_value=True, elem_id="verwijder-keuze")
        remove_button = gr.Button("Naar de prullenbak", variant="stop", elem_id="verwijder-knop")
        remove_status = gr.HTML(elem_id="verwijder-status")

    return AdminControls(
        tab=tab,
        upload_inputs=[mode, existing, title, municipality, year, themes, *files, *kinds, *titles],
        existing_case=existing,
        upload_button=upload_button,
        upload_status=upload_status,
        reindex_button=reindex_button,
        summary=summary,
        remove_choice=remove_choice,
        remove_button=remove_button,
        remove_status=remove_status,
    )
