"""The filters above the chat and the Casussen tab: the cases, one case's findings and documents, the matrix."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import gradio as gr

from qa.errors import QaError
from qa.records import CASE_DOCUMENT_KINDS
from qa.service import CaseOverview
from qa.web.handlers.base import Handlers
from qa.web.handlers.guard import guarded
from qa.web.render.cases import case_detail, case_rows, factor_matrix_html
from qa.web.render.documents import document_html
from qa.web.render.labels import kind_label

log = logging.getLogger(__name__)


def kind_choices(kinds: Sequence[str] | None = None) -> list[tuple[str, str]]:
    values = sorted(kinds if kinds is not None else CASE_DOCUMENT_KINDS)
    return [(kind_label(k), k) for k in values]


class CaseHandlers(Handlers):
    """The filters' choices and the case views, filled from the index served (empty while there is none)."""

    def filter_choices(self) -> tuple[Any, Any, Any]:
        try:
            cases = self.service.cases()
            kinds = sorted({d.kind for d in self.service.documents() if d.kind})
        except QaError:
            log.warning("no index to take the filter choices from", exc_info=True)
            # "All" stays a choice: the dropdowns' value "" must be one of them, or Gradio refuses the question
            return (
                gr.update(choices=[("Alle gemeenten", "")], value=""),
                gr.update(choices=[("Alle casussen", "")], value=""),
                gr.update(choices=[("Alle soorten", "")], value=""),
            )
        municipalities = sorted({c.municipality for c in cases if c.municipality})
        case_choices = [(f"{c.title} ({c.municipality})" if c.municipality else c.title, c.case_id) for c in cases]
        return (
            gr.update(choices=[("Alle gemeenten", ""), *[(m, m) for m in municipalities]]),
            gr.update(choices=[("Alle casussen", ""), *case_choices]),
            gr.update(choices=[("Alle soorten", ""), *kind_choices(kinds)]),
        )

    def filters_label(self, municipality: str | None, case: str | None, kind: str | None) -> Any:
        """The filter panel's label names the filters in force, so they show with the panel closed."""
        chosen = []
        if municipality:
            chosen.append(f"gemeente {municipality}")
        if case:
            titles = {}
            with contextlib.suppress(QaError):
                titles = {c.case_id: c.title for c in self.service.cases()}
            chosen.append(f"casus {titles.get(case, case)}")
        if kind:
            chosen.append(f"soort {kind_label(kind)}")
        return gr.Accordion(label=f"Filters: {', '.join(chosen)}" if chosen else "Filters")

    def _overviews(self) -> list[CaseOverview]:
        try:
            return self.service.case_overviews()
        except QaError:
            log.warning("no index for the case overview", exc_info=True)
            return []

    def case_views(self, selected: str | None = None) -> tuple[Any, Any, Any, Any]:
        overviews = self._overviews()
        choices = [(o.case.title, o.case.case_id) for o in overviews]
        ids = [o.case.case_id for o in overviews]
        chosen = selected if selected in ids else (ids[0] if ids else None)
        return (
            gr.update(value=case_rows(overviews)),
            gr.update(choices=choices, value=chosen),
            self._case_detail(overviews, chosen),
            self._matrix(),
        )

    def _matrix(self) -> str:
        try:
            matrices = [self.service.matrix("positive"), self.service.matrix("negative")]
            titles = {d.path: d.title or d.path for d in self.service.documents()}
        except QaError:
            log.warning("no index for the case matrix", exc_info=True)
            return "<p class='leeg'>Nog geen index.</p>"
        return factor_matrix_html(matrices, titles)

    def _case_detail(self, overviews: Sequence[CaseOverview], case_id: str | None) -> str:
        overview = next((o for o in overviews if o.case.case_id == case_id), None)
        if overview is None:
            return '<p class="leeg">Nog geen casussen in de index.</p>'
        titles = {d.path: d.title or d.path for o in overviews for d in o.documents}
        with contextlib.suppress(QaError):
            titles.update({d.path: d.title or d.path for d in self.service.documents() if d.case_id is None})
        return case_detail(overview, titles)

    @guarded
    def case_detail(self, case_id: str | None) -> str:
        return self._case_detail(self._overviews(), case_id)

    @guarded
    def select_case_row(self, evt: gr.SelectData) -> Any:
        index = evt.index[0] if isinstance(evt.index, list | tuple) else evt.index
        overviews = self._overviews()
        if not 0 <= int(index) < len(overviews):
            return gr.update()
        return gr.update(value=overviews[int(index)].case.case_id)

    @guarded
    def open_document(self, evt: gr.EventData) -> Any:
        data = getattr(evt, "_data", None) or {}
        path = str(data.get("doc", ""))
        if not path:
            return gr.update()
        page = str(data.get("page", ""))
        view = self.service.document_view(path)
        return document_html(view, int(page) if page.isdigit() else None)
