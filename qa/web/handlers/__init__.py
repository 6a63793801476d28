"""What the web app does on each event: ask, open a source, vote, browse cases, manage the corpus.

Handlers call the `Vraagbaak` facade and the records only. One module per part of the page: `chat`
(the Vraag tab and the /ask API), `cases` (the filters and the Casussen tab), `indexing` (the status
line and the page kept in step with the index), `admin` (Beheer); `base` holds what they share and
who may do what, and `guard` turns any failure into a short Dutch (or English) message.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from qa.web.handlers.admin import AdminHandlers
from qa.web.handlers.chat import ChatHandlers
from qa.web.handlers.guard import guarded, username
from qa.web.users import Role


class WebApp(ChatHandlers, AdminHandlers):
    """Every handler of the page, bound to one service, one users file and one feedback store."""

    @guarded
    def on_load(self, request: gr.Request) -> tuple[Any, ...]:
        name = username(request)
        role = self.role(request)
        if not self.auth_enabled:
            who = "Lokale modus: alleen op deze computer bereikbaar, lezen zonder aanmelden."
        else:
            label = "beheerder" if role is Role.ADMIN else "lezer"
            who = f"Aangemeld als **{name}** ({label}) · [Afmelden](/logout)"
        version = self._serving_version()
        return (who, self.status_html(), version, *self.filter_choices(), *self.case_views())

    @guarded
    def on_load_admin(self, request: gr.Request) -> tuple[Any, ...]:
        """Show Beheer to admins only (the handlers check the role again on every action)."""
        if self.role(request) is not Role.ADMIN:
            return gr.update(visible=False), gr.update(), gr.update()
        return gr.update(visible=True), *self.admin_choices()
