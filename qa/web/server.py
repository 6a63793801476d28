"""Starting the web app: local mode or logins, the queue, what may be served, and nothing fetched.

- Without users the app runs in local mode: loopback only, reading open, Beheer disabled.
  Binding to any other address without users is refused (`SettingsError`), and a request whose
  Host header is not a loopback name is refused too (no DNS rebinding).
- Every route that serves a file the request names passes one filter (`LocalFilesOnly`): of the
  corpus only documents, besides them only files Gradio made; never a URL (Gradio's fetch-a-URL
  feature of ``/gradio_api/file=`` and its proxy are switched off), so the server makes no
  outbound connections.
- With users, logins are limited per address and user name, failed ones logged, and the sessions
  of a user whose password changed or who was removed end (`AccountGuard`).
- The page loads nothing from elsewhere: system fonts, no CDN, and a Content-Security-Policy that
  keeps the browser on this origin.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
import re
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.errors import SettingsError
from qa.ingest.corpus import is_document_path
from qa.search.question import language_detector
from qa.service import Vraagbaak
from qa.settings import Settings
from qa.web.accounts import AccountGuard
from qa.web.feedback import FeedbackStore
from qa.web.handlers import WebApp
from qa.web.handlers.guard import TOAST_TITLES
from qa.web.layout import build_blocks
from qa.web.users import UserStore

log = logging.getLogger(__name__)

SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",  # Gradio's page and its HTML templates need both
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self' blob: data:",  # the browser's PDF viewer
        "object-src 'self' blob: data:",
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)
_PROTOCOL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.IGNORECASE)
_FILE_ROUTE = re.compile(r"/file[=/]")  # /gradio_api/file=<path>, /gradio_api/file/<path>, and any older form
_PROXY_ROUTE = re.compile(r"/proxy=")
NOT_LOCAL = "Alleen bereikbaar op deze computer (127.0.0.1 of localhost)."

CSS = """
#kop h1 { margin-bottom: 0; }
#wie { font-size: 0.9em; opacity: 0.85; }
.bronnen h3 { margin: 0 0 0.5em; font-size: 1.05em; }
.bronnen.leeg, .doc-leeg, .leeg { opacity: 0.7; font-style: italic; }
.bron-kaart { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6em 0.8em;
  margin-bottom: 0.7em; background: var(--background-fill-secondary); scroll-margin: 80px; }
.bron-kaart.uitgelicht { outline: 3px solid var(--color-accent); transition: outline 0.3s; }
.bron-n { font-weight: 700; color: var(--color-accent); }
.bron-meta { font-size: 0.88em; opacity: 0.85; }
.bron-passage { margin: 0.5em 0; padding-left: 0.7em; border-left: 3px solid var(--border-color-accent);
  font-size: 0.92em; white-space: pre-wrap; max-height: 16em; overflow: auto; position: relative; }
.bron-kaart mark, .doc-view mark { background: #fde68a; color: inherit; padding: 0 1px; }
.bron-open, .doc-open { cursor: pointer; border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: 0.15em 0.6em; background: var(--button-secondary-background-fill); font-size: 0.88em; }
a.bron-marker { font-weight: 600; text-decoration: none; }
.doc-kop { margin-bottom: 0.5em; }
.pdf-frame { width: 100%; height: 640px; border: 1px solid var(--border-color-primary); border-radius: 6px; }
.doc-tekst { max-height: 560px; overflow: auto; border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: 0.5em 1em; white-space: pre-wrap; }
.pdf-tekst { margin-top: 0.5em; }
.doc-tekst .passage { background: #fef9c3; outline: 2px solid #facc15; border-radius: 4px; }
.index-status { font-size: 0.9em; }
.index-status[data-state="bezig"] { padding: 0.4em 0.8em; border-radius: 6px; background: #fef9c3; }
.index-status[data-state="fout"] { padding: 0.4em 0.8em; border-radius: 6px; color: #991b1b; background: #fee2e2; }
.melding.ok { color: #166534; } .melding.fout { color: #991b1b; }
.casus h4 { margin-bottom: 0.2em; }
.matrix { border-collapse: collapse; font-size: 0.9em; margin-bottom: 1em; }
.matrix th, .matrix td { border: 1px solid var(--border-color-primary); padding: 0.3em 0.5em; vertical-align: top; }
.matrix thead th { font-weight: 600; text-align: left; }
.matrix td { text-align: center; }
.matrix td details[open] { text-align: left; min-width: 18em; }
.matrix summary { cursor: pointer; font-weight: 700; color: var(--color-accent); }
.matrix-leeg { opacity: 0.5; }
/* the chat's label takes its own line: scrolled messages pass below it, not under it */
#gesprek .wrapper { display: flex; flex-direction: column; }
#gesprek .wrapper > label { position: static; flex: none; align-self: flex-start; }
#gesprek .bubble-wrap { flex: 1 1 auto; min-height: 0; }
/* a dropdown's text stops before its arrow (Gradio lays the arrow over the end of the field) */
.secondary-wrap > input[role="combobox"] { padding-right: 28px; text-overflow: ellipsis; }
/* Beheer's file fields: the label above the drop zone, not over it, and the zone's text inside it */
[id^="upload-bestand-"] > label[data-testid="block-label"] { position: static; }
[id^="upload-bestand-"] [data-testid="upload-text"] { min-height: 0; padding-top: 0; }
/* the case table in the page's own font (Gradio sets its cells in the monospace one) */
#casus-tabel, #casus-tabel * { font-family: FONTS; }
""".replace("FONTS", ", ".join(f'"{font}"' if " " in font else font for font in SYSTEM_FONTS))

# Markers [n] in an answer jump to their card; a card of an earlier answer appears after the
# chat's select event has switched the panel to that answer.
HEAD = """
<script>
document.addEventListener('click', function (event) {
  var link = event.target.closest ? event.target.closest('a.bron-marker, a[href*="#bron-"]') : null;
  if (!link) { return; }
  event.preventDefault();
  var id = (link.getAttribute('href') || '').split('#')[1];
  var tries = 0;
  (function show() {
    var card = document.getElementById(id);
    if (card) {
      card.scrollIntoView({behavior: 'smooth', block: 'center'});
      // one card lit at a time: the one the marker points at
      document.querySelectorAll('.bron-kaart.uitgelicht').forEach(function (lit) {
        lit.classList.remove('uitgelicht');
      });
      void card.offsetWidth; card.classList.add('uitgelicht');
    } else if (tries++ < 30) { setTimeout(show, 100); }
  })();
}, true);
// Toasts: Gradio titles them by level in English; the title follows the language of the text instead.
var TOAST_TITLES = TOAST_TITLES_JSON;
new MutationObserver(function () {
  document.querySelectorAll('.toast-body').forEach(function (body) {
    var title = body.querySelector('.toast-title');
    if (!title) { return; }
    var marked = body.querySelector('[lang]');
    var titles = TOAST_TITLES[marked && marked.getAttribute('lang') === 'en' ? 'en' : 'nl'];
    var level = Object.keys(titles).find(function (name) { return title.classList.contains(name); });
    if (level && title.textContent.trim() !== titles[level]) { title.textContent = titles[level]; }
  });
}).observe(document.documentElement, {childList: true, subtree: true});
</script>
""".replace("TOAST_TITLES_JSON", json.dumps(TOAST_TITLES, ensure_ascii=False))


class LocalFilesOnly:
    """ASGI middleware, the app's one file filter; every response carries the CSP and nosniff headers.

    Every request that names a file to serve (``/file=<path>`` or ``/file/<path>``, under any prefix)
    is answered only for a document of the corpus (as the corpus walk defines one, reached without a
    link) or a file Gradio made itself in `served` (uploads, the conversation download); never for
    a URL, the trash, a dotfile, case.toml or anything else. Gradio's URL proxy is refused outright.
    """

    def __init__(self, app: ASGIApp, corpus: Path, served: Sequence[Path] = (), csp: str = CSP) -> None:
        self.app = app
        self.corpus = corpus.resolve()
        self.corpus_names = {self.corpus, Path(os.path.abspath(corpus))}  # as resolved and as configured
        self.served = [(folder.resolve(), Path(os.path.abspath(folder))) for folder in served]
        self.csp = csp

    def refused(self, path: str) -> bool:
        """Whether a request for `path` (the URL's path, percent-decoded once, as routing sees it) is refused."""
        if _PROXY_ROUTE.search(path):
            return True
        named = _FILE_ROUTE.search(path)
        return named is not None and not self.allows(path[named.end() :])

    def allows(self, target: str) -> bool:
        """Whether the file `target` (as Gradio will open it: relative to the working folder) may be served."""
        if not target.strip() or _PROTOCOL.match(target.strip()) or "\x00" in target:
            return False
        try:
            asked = Path(os.path.abspath(target))  # what Gradio opens, links not yet followed
            real = asked.resolve()
        except (OSError, ValueError, RuntimeError):
            return False
        if real.is_relative_to(self.corpus):
            relative = real.relative_to(self.corpus)
            return is_document_path(relative) and any(
                asked.is_relative_to(name) and asked.relative_to(name) == relative for name in self.corpus_names
            )
        return any(
            real.is_relative_to(resolved) and (asked.is_relative_to(given) or asked.is_relative_to(resolved))
            for resolved, given in self.served
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.refused(scope.get("path", "")):
            log.warning("refused file request %s", scope.get("path"))
            await _refuse(send, 403, "Niet toegestaan.")
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if self.csp and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.csp.encode()))
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class LoopbackHostOnly:
    """ASGI middleware for local mode: only requests addressed to a loopback name are answered.

    The server listens on loopback only, but a web page elsewhere can point a name of its own at
    127.0.0.1 (DNS rebinding) and read the answers in the visitor's browser; such a request carries
    that foreign name in its Host header and gets 400."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            host = next((value for name, value in scope.get("headers", []) if name.lower() == b"host"), b"")
            if not is_loopback_host_header(host.decode("latin-1")):
                log.warning("refused a request for host %r in local mode", host)
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    await _refuse(send, 400, NOT_LOCAL)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def is_loopback_host_header(value: str) -> bool:
    """'127.0.0.1', 'localhost', '[::1]', each with or without a port; nothing else."""
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not re.fullmatch(r":\d{1,5}", rest)):
            return False
        return is_loopback(name) and ":" in name  # brackets hold an IPv6 address only
    name, _, port = value.partition(":")
    if port and not port.isdigit():
        return False
    return bool(name) and is_loopback(name)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_app(settings: Settings, service: Vraagbaak | None = None) -> tuple[gr.Blocks, WebApp]:
    users = UserStore(settings.users_path)
    if not users.configured() and not is_loopback(settings.host):
        raise SettingsError(
            f"refusing to listen on {settings.host}: no users are configured ({settings.users_path}). "
            "Without users the app only runs on 127.0.0.1; add one with 'qa user add NAME --role admin'."
        )
    service = service or Vraagbaak(settings)
    app = WebApp(service, users, FeedbackStore(settings.index / "feedback.sqlite"))
    demo = build_blocks(app)
    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=256)
    return demo, app


def _threaded_auth(users: UserStore) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio awaits a coroutine auth in its event loop: scrypt (~0.1 s) runs in a thread, so a
    burst of logins never stalls the other requests."""

    async def check(username: str, password: str) -> bool:
        return await asyncio.to_thread(users.verify, username, password)

    return check


def launch_options(settings: Settings, app: WebApp) -> dict[str, Any]:
    from gradio.utils import get_upload_folder

    corpus = settings.corpus.resolve()
    middleware = (  # the first is the outermost
        [
            Middleware(
                AccountGuard,
                users=app.users,
                logins_per_minute=settings.logins_per_minute,
                proxies=app.proxies,
            )
        ]
        if app.auth_enabled
        else [Middleware(LoopbackHostOnly)]
    )
    middleware.append(Middleware(LocalFilesOnly, corpus=corpus, served=[Path(get_upload_folder())]))
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "auth": _threaded_auth(app.users) if app.auth_enabled else None,
        "auth_message": "Meld je aan met je gebruikersnaam en wachtwoord.",
        "allowed_paths": [str(corpus)],
        "max_file_size": settings.max_file_bytes,
        "show_error": False,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "run_history": False,  # would record calls, and fetch them from Hugging Face buckets
        "footer_links": ["api", "settings"],
        "theme": gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS),
        "css": CSS,
        "head": HEAD,
        "app_kwargs": {"middleware": middleware},
    }


def _warm_up(service: Vraagbaak, settings: Settings) -> None:
    """Load the encoder and the index now, not on the first question."""
    try:
        if service.has_index():
            service.cases()
        else:
            log.warning("no index in %s yet: build it with 'qa index' or from Beheer", settings.index)
    except Exception:
        log.warning("the index could not be loaded; questions will fail until it is rebuilt", exc_info=True)


def serve(settings: Settings, block: bool = True, service: Vraagbaak | None = None) -> tuple[gr.Blocks, str]:
    """Start the app; with block=False return at once (tests), with the local URL. The page is served
    first; what loads behind it (lingua's models, the encoders, the index update) starts once the server
    listens, so as not to share the interpreter with the server's start."""
    demo, app = build_app(settings, service)
    mode = "met aanmelden" if app.auth_enabled else "lokale modus (geen gebruikers)"
    log.info("Vraagbaak op http://%s:%s, %s", settings.host, settings.port, mode)
    # uvicorn believes X-Forwarded-For from loopback peers unless told otherwise; the app decides whom
    # to believe itself (Settings.trusted_proxies), from the direct peer's address.
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    # quiet: the address is logged above, and Gradio's hint about public links is not for this app
    _, url, _ = demo.launch(prevent_thread_lock=True, quiet=True, **launch_options(settings, app))
    # lingua's models load behind the page too (about 1.5 s), not on the first question
    threading.Thread(target=language_detector, name="language-detector", daemon=True).start()
    if settings.index_on_start:  # the encoders load and the index is updated behind the page
        app.service.start_indexing()
    else:
        _warm_up(app.service, settings)
    if block:
        demo.block_thread()
    return demo, str(url)
