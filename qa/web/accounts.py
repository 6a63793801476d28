"""Logins and sessions with users: attempts limited per client, failures logged, sessions ended.

`AccountGuard` sits in front of Gradio when the app has users:

- A failed login (``POST /login``) counts against `Settings.logins_per_minute` for its address and
  for the user name it tried; once either is at the limit, a login gets HTTP 429. A failed login is logged as a
  warning naming the user and the address, never the password.
- A successful login's session is remembered with the user's session stamp (`qa.web.users.User.session`).
  On every later request the stamp is compared with the users file: after `qa user passwd` or
  `qa user remove` it differs, and the request goes on without the session cookie, so Gradio
  asks to log in again.
"""

from __future__ import annotations

import logging
import os
import threading
from http.cookies import CookieError, SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.web.limits import RateLimiter, TrustedProxies
from qa.web.users import UserError, UserStore

log = logging.getLogger(__name__)

TOO_MANY_LOGINS = "Te veel aanmeldpogingen. Probeer het over een minuut opnieuw."
MAX_LOGIN_BODY = 16 * 1024
_TOKEN_COOKIE = "access-token"  # Gradio's session cookies: access-token-<id> and access-token-unsecure-<id>


class AccountGuard:
    """ASGI middleware for an app with users (see the module's docstring)."""

    def __init__(
        self, app: ASGIApp, users: UserStore, logins_per_minute: int, proxies: TrustedProxies | None = None
    ) -> None:
        self.app = app
        self.users = users
        self.logins = RateLimiter(logins_per_minute)
        self.proxies = proxies or TrustedProxies()
        self._sessions: dict[str, tuple[str, str | None]] = {}  # token -> (user, stamp); stamp None: ended
        self._lock = threading.Lock()
        self._stamps_key: tuple[int, int, int] | None = None
        self._stamps: dict[str, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and scope.get("path", "").rstrip("/").endswith("/login")
        ):
            await self._login(scope, receive, send)
            return
        await self.app(self._without_ended_sessions(scope), receive, send)

    # ------------------------------------------------------------------ logins
    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = _client(scope, self.proxies)
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_LOGIN_BODY:
                await _respond(send, 413, "Te groot.")
                return
        name = (await _form_field(scope, body, "username")).strip()[:64]
        keys = (f"address {client}", f"user {name}")
        if self.logins.blocked(*keys):  # only failed attempts count: signing in again is no attack
            log.warning("login refused for user %r from %s: too many attempts", name, client)
            await _respond(send, 429, TOO_MANY_LOGINS)
            return
        # the session is stamped with the password as it stands before the check: any later change ends it
        stamp = self._current_stamps().get(name)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    for token in _set_cookie_tokens(message.get("headers", [])):
                        with self._lock:
                            self._sessions[token] = (name, stamp)
                    log.info("user %r logged in from %s", name, client)
                else:
                    self.logins.count(*keys)
                    log.warning("failed login for user %r from %s", name, client)
            await send(message)

        await self.app(scope, replay, watch)

    # ------------------------------------------------------------------ sessions
    def _without_ended_sessions(self, scope: Scope) -> Scope:
        headers = scope.get("headers", [])
        cookie_header = next((value for key, value in headers if key == b"cookie"), None)
        if cookie_header is None or _TOKEN_COOKIE.encode() not in cookie_header:
            return scope
        cookies = _parse_cookies(cookie_header.decode("latin-1"))
        ended = [name for name, token in cookies.items() if name.startswith(_TOKEN_COOKIE) and self._ended(token)]
        if not ended:
            return scope
        kept = "; ".join(f"{name}={value}" for name, value in cookies.items() if name not in ended)
        new_headers = [(key, value) for key, value in headers if key != b"cookie"]
        if kept:
            new_headers.append((b"cookie", kept.encode("latin-1")))
        return {**scope, "headers": new_headers}

    def _ended(self, token: str) -> bool:
        with self._lock:
            session = self._sessions.get(token)
        if session is None:
            return False  # not a session this guard saw begin: Gradio judges it
        name, stamp = session
        if stamp is not None and self._current_stamps().get(name) == stamp:
            return False
        with self._lock:
            if self._sessions.get(token, (name, None))[1] is not None:
                log.info("ended a session of user %r: the password changed or the user was removed", name)
            self._sessions[token] = (name, None)
        return True

    def _current_stamps(self) -> dict[str, str]:
        """Session stamp per user, read again whenever the users file changed (a new file, by atomic replace)."""
        try:
            info = os.stat(self.users.path)
            key = (info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            key = None
        with self._lock:
            if key is not None and key == self._stamps_key:
                return self._stamps
        try:
            stamps = {user.name: user.session for user in self.users.users().values()}
        except UserError:
            log.warning("the users file cannot be read; every session is ended", exc_info=False)
            stamps = {}
        with self._lock:
            self._stamps_key, self._stamps = key, stamps
        return stamps


def _client(scope: Scope, proxies: TrustedProxies) -> str:
    """The client's address: the direct peer's, or behind a trusted proxy the one it forwarded for."""
    client = scope.get("client")
    forwarded = ",".join(
        value.decode("latin-1") for key, value in scope.get("headers", []) if key.lower() == b"x-forwarded-for"
    )
    return proxies.client(str(client[0]) if client else None, forwarded or None)


async def _form_field(scope: Scope, body: bytes, field: str) -> str:
    """One field of a login's form, as Gradio's login page sends it (multipart) or as a script does
    (URL-encoded)."""
    from starlette.requests import Request

    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(scope, once).form()
    except Exception:  # a malformed form is Gradio's to refuse; it names no user here
        log.debug("unreadable login form", exc_info=True)
        return ""
    value = form.get(field)
    return value if isinstance(value, str) else ""


def _parse_cookies(header: str) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            cookies[name] = value
    return cookies


def _set_cookie_tokens(headers: list[tuple[bytes, bytes]]) -> list[str]:
    tokens = []
    for key, value in headers:
        if key.lower() != b"set-cookie":
            continue
        try:
            cookie = SimpleCookie(value.decode("latin-1"))
        except CookieError:
            continue
        tokens += [morsel.value for name, morsel in cookie.items() if name.startswith(_TOKEN_COOKIE) and morsel.value]
    return tokens


async def _respond(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
