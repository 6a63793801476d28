"""Turning what goes wrong in a handler into a short message for the user, in the language of the
question being handled (Dutch outside the chat), with the details in the log. No exception reaches the
user as a stack trace."""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

import gradio as gr

from qa.errors import (
    DiskFullError,
    DocumentRefusedError,
    IndexAccessError,
    IndexLockedError,
    IndexMismatchError,
    IndexMissingError,
)
from qa.records import Answer
from qa.search.question import Language
from qa.vocabulary import packaged
from qa.web import uploads
from qa.web.feedback import FeedbackUnwritableError

# One logger for every handler's failures, whichever group of handlers it is in.
log = logging.getLogger(__package__)

F = TypeVar("F", bound=Callable[..., Any])

# Every message a user of the chat may see, in Dutch and in English: the chat answers an English
# question in English, toasts included. Beheer and the page around the chat are Dutch.
MESSAGES: Mapping[str, Mapping[str, str]] = packaged().messages  # qa/data/vocabulary.*.toml [messages]
# Gradio's page titles a toast by its level in English ("Error", "Info"); the page's script
# (qa.web.server.HEAD) writes these instead, in the language of the toast's text (its lang attribute).
TOAST_TITLES: Mapping[str, Mapping[str, str]] = packaged().toast_titles
KNOWN = {
    IndexMissingError: "missing",
    IndexMismatchError: "mismatch",
    IndexLockedError: "locked",
    IndexAccessError: "access",
    DiskFullError: "disk_full",
    FeedbackUnwritableError: "feedback",
}
# The language of the question being handled, for the messages of `guarded`; Dutch outside the chat.
LANGUAGE: ContextVar[Language] = ContextVar("question_language", default="nl")
FOR_SCRIPT: ContextVar[bool] = ContextVar("answers_a_script", default=False)  # the /ask API


def message(key: str, language: Language | None = None, **values: object) -> str:
    return MESSAGES[language or LANGUAGE.get()][key].format(**values)


class AccessDenied(Exception):
    """An action the current user's role does not allow."""


class BadRequest(Exception):
    """Input that cannot be used; the message (Dutch) says why."""


def user_message(exc: BaseException) -> str:
    for kind, key in KNOWN.items():
        if isinstance(exc, kind):
            return message(key)
    if isinstance(exc, uploads.UploadError | AccessDenied | BadRequest):
        return str(exc)
    if isinstance(exc, DocumentRefusedError):
        return message("not_a_document")
    return message("generic")


def toast_text(text: str, language: Language) -> str:
    """A toast's text, escaped; English text marked as such for the page's script that titles it (the
    page is Dutch). Messages to scripts through the API stay plain text."""
    escaped = html.escape(text, quote=False)
    return f'<span lang="en">{escaped}</span>' if language == "en" and not FOR_SCRIPT.get() else escaped


def error_toast(text: str) -> gr.Error:
    """A red toast, its title and text in the language of the question being handled."""
    language = LANGUAGE.get()
    return gr.Error(toast_text(text, language), title=TOAST_TITLES[language]["error"], print_exception=False)


def log_failure(handler: str, exc: BaseException) -> None:
    """Log why a handler did not do what was asked: a refusal in one line without a traceback, the
    server's folders in one line naming the file or folder, anything else with its traceback."""
    if isinstance(exc, AccessDenied | BadRequest | uploads.UploadError | DocumentRefusedError):
        log.warning("%s refused: %s", handler, exc)  # a path outside the corpus is one too
    elif isinstance(exc, FeedbackUnwritableError | DiskFullError | IndexAccessError):
        log.error("%s failed: %s", handler, exc)
    else:
        log.error("%s failed", handler, exc_info=exc)


def guarded(fn: F) -> F:
    """Turn any failure into a gr.Error with a short message (Dutch, or English for an English
    question: a handler sets `LANGUAGE` once it knows); log the details."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token, script = LANGUAGE.set("nl"), FOR_SCRIPT.set(False)
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            log_failure(fn.__name__, exc)
            raise error_toast(user_message(exc)) from None
        finally:
            LANGUAGE.reset(token)
            FOR_SCRIPT.reset(script)

    return wrapper  # type: ignore[return-value]


def answer_language(answer: Answer) -> Language:
    return "en" if answer.language == "en" else "nl"


def username(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) if request is not None else None
