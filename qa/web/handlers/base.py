"""What every group of handlers shares: the service, the users file, the feedback store, and the role of
the user asking. Every admin handler checks that role on the server (gr.Request.username -> role), so
calling an endpoint directly through the API is refused just like the hidden tab."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import gradio as gr

from qa.service import Vraagbaak
from qa.web.feedback import FeedbackStore
from qa.web.handlers.guard import AccessDenied, message, username
from qa.web.limits import RateLimiter, TrustedProxies
from qa.web.users import Role, UserStore

log = logging.getLogger(__name__)


class Handlers:
    """The handlers' state, bound to one service, one users file and one feedback store."""

    def __init__(self, service: Vraagbaak, users: UserStore, feedback: FeedbackStore, workdir: Path | None = None):
        self.service = service
        self.users = users
        self.feedback = feedback
        self.auth_enabled = users.configured()
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="vraagbaak-"))
        self.questions = RateLimiter(service.settings.questions_per_minute)
        self.proxies = TrustedProxies.of(service.settings.trusted_proxies)

    def role(self, request: gr.Request | None) -> Role | None:
        return self.users.role_of(username(request)) if self.auth_enabled else None

    def require_admin(self, request: gr.Request | None) -> str:
        name = username(request)
        if self.role(request) is not Role.ADMIN:
            log.warning("admin action refused for user %r", name)
            raise AccessDenied(message("admin_only"))
        assert name is not None
        return name
