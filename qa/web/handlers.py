"""What the web app does on each event: ask, open a source, vote, browse cases, manage the corpus.

Handlers call the `Vraagbaak` facade and the records only. Every admin handler checks the role of
the logged-in user on the server (gr.Request.username -> role), so calling an endpoint directly
through the API is refused just like the hidden tab. No exception reaches the user as a stack
trace: `guarded` turns it into a short Dutch message and logs the details.
"""

from __future__ import annotations

import contextlib
import functools
import html
import logging
import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr

from qa.errors import (
    DiskFullError,
    DocumentRefusedError,
    IndexAccessError,
    IndexLockedError,
    IndexMismatchError,
    IndexMissingError,
    QaError,
)
from qa.ingest.readers.archive import ZipLimits
from qa.ingest.readworker import ReadingWorker
from qa.records import CASE_DOCUMENT_KINDS, Answer
from qa.search.question import Language, detect_language
from qa.search.retrieval import Filters
from qa.service import CaseOverview, Vraagbaak
from qa.vocabulary import packaged
from qa.web import render, uploads
from qa.web.conversation import (
    InputLimits,
    InputRefused,
    check_question,
    conversation_markdown,
    filters_from_api,
    turns_from_answers,
    turns_from_api,
)
from qa.web.feedback import FeedbackStore, FeedbackUnwritableError
from qa.web.limits import RateLimiter, TrustedProxies
from qa.web.users import Role, UserStore

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

UPLOAD_ROWS = 5
KEEP_DOWNLOADS_SECONDS = 3600
DEFAULT_KINDS = ("documentanalyse", "interview-ambtenaar", "interview-bewoner", "overig", "overig")
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
_LANGUAGE: ContextVar[Language] = ContextVar("question_language", default="nl")
_FOR_SCRIPT: ContextVar[bool] = ContextVar("answers_a_script", default=False)  # the /ask API


def message(key: str, language: Language | None = None, **values: object) -> str:
    return MESSAGES[language or _LANGUAGE.get()][key].format(**values)


INDEX_FAILED = {
    IndexLockedError: "Een ander proces werkt de index al bij; de vraagbaak antwoordt intussen met de huidige index.",
    IndexAccessError: "Indexeren mislukt: de server heeft geen toegang tot de indexmap (zie het logboek).",
    DiskFullError: "Indexeren mislukt: de schijf van de indexmap is vol; maak ruimte vrij (zie het logboek).",
    IndexMismatchError: "Indexeren mislukt: de index past niet bij de instellingen (zie het logboek).",
}


def index_failure_message(failure: type[BaseException] | None) -> str:
    """Why the latest index update failed, in a Dutch sentence for the page (the details are logged)."""
    for kind, message in INDEX_FAILED.items():
        if failure is not None and issubclass(failure, kind):
            return message
    return "Indexeren mislukt; de details staan in het logboek van de server."


# Where each stage of a re-index sits on the one bar (from, to): the passages are embedded and a first
# version is written (answers from it), then the sentences are embedded and the complete version written.
# Embedding runs in passes (sentences as passages, then as questions): each pass takes half of what is left
# of its span. Without a first version, "embed" is every pass and the bar jumps to "index" after it.
REINDEX_SPANS = {
    "scan": (0.0, 0.02),
    "read": (0.02, 0.15),
    "embed": (0.15, 0.25),
    "first": (0.25, 0.27),
    "sentences": (0.27, 0.95),
    "index": (0.95, 1.0),
}
REINDEX_LABELS = {
    "scan": "Corpus doorlopen",
    "read": "Documenten lezen",
    "embed": "Teksten inbedden",
    "first": "Eerste versie schrijven",
    "sentences": "Zinnen inbedden",
    "index": "Index schrijven",
}
_PASSES = ("embed", "sentences")  # stages that run in passes, each counted anew


class ReindexProgress:
    """One bar from 0 to 1 over a whole re-index, from the indexer's (stage, done, total) reports: it
    only ever rises, also when a stage starts a second pass with a count of its own; the label says
    the stage in Dutch with its counts."""

    def __init__(self) -> None:
        self.fraction = 0.0
        self._pass_from, self._pass_to = REINDEX_SPANS["scan"]
        self._stage = "scan"
        self._done = 0

    def update(self, stage: str, done: int, total: int) -> tuple[float, str]:
        start, end = REINDEX_SPANS.get(stage, (self.fraction, self.fraction))
        if stage != self._stage:
            self._pass_from, self._pass_to = max(start, self.fraction), end
            if stage in _PASSES:
                self._pass_to = self._pass_from + (end - self._pass_from) / 2
        elif stage in _PASSES and done < self._done:  # a new pass of the same stage
            self._pass_from = max(self._pass_to, self.fraction)
            self._pass_to = self._pass_from + (end - self._pass_from) / 2
        self._stage, self._done = stage, done
        share = done / total if total > 0 else 1.0
        self.fraction = max(self.fraction, min(1.0, self._pass_from + (self._pass_to - self._pass_from) * share))
        label = REINDEX_LABELS.get(stage, stage)
        if total > 1:
            label = f"{label}: {render.dutch_number(done)} van {render.dutch_number(total)}"
        return self.fraction, label


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
    return f'<span lang="en">{escaped}</span>' if language == "en" and not _FOR_SCRIPT.get() else escaped


def error_toast(text: str) -> gr.Error:
    """A red toast, its title and text in the language of the question being handled."""
    language = _LANGUAGE.get()
    return gr.Error(toast_text(text, language), title=TOAST_TITLES[language]["error"], print_exception=False)


def guarded(fn: F) -> F:
    """Turn any failure into a gr.Error with a short message (Dutch, or English for an English
    question: a handler sets `_LANGUAGE` once it knows); log the details."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token, script = _LANGUAGE.set("nl"), _FOR_SCRIPT.set(False)
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (AccessDenied, BadRequest, uploads.UploadError, DocumentRefusedError) as exc:
            # A refusal, not a failure (a path outside the corpus is one): no traceback.
            log.warning("%s refused: %s", fn.__name__, exc)
            raise error_toast(user_message(exc)) from None
        except (FeedbackUnwritableError, DiskFullError, IndexAccessError) as exc:
            # The server's folders, not the code: the one line names the file or folder and what to do.
            log.error("%s failed: %s", fn.__name__, exc)
            raise error_toast(user_message(exc)) from None
        except Exception as exc:
            log.exception("%s failed", fn.__name__)
            raise error_toast(user_message(exc)) from None
        finally:
            _LANGUAGE.reset(token)
            _FOR_SCRIPT.reset(script)

    return wrapper  # type: ignore[return-value]


def _answer_language(answer: Answer) -> Language:
    return "en" if answer.language == "en" else "nl"


def _username(request: gr.Request | None) -> str | None:
    return getattr(request, "username", None) if request is not None else None


def kind_choices(kinds: Sequence[str] | None = None) -> list[tuple[str, str]]:
    values = sorted(kinds if kinds is not None else CASE_DOCUMENT_KINDS)
    return [(render.kind_label(k), k) for k in values]


class WebApp:
    """The handlers, bound to one service, one users file and one feedback store."""

    def __init__(self, service: Vraagbaak, users: UserStore, feedback: FeedbackStore, workdir: Path | None = None):
        self.service = service
        self.users = users
        self.feedback = feedback
        self.auth_enabled = users.configured()
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="vraagbaak-"))
        self.questions = RateLimiter(service.settings.questions_per_minute)
        self.proxies = TrustedProxies.of(service.settings.trusted_proxies)

    def count_question(self, request: gr.Request | None) -> None:
        """Raise BadRequest when this client (its user name, else its address) asked too many questions."""
        client = _username(request) if self.auth_enabled else None
        if client is None:
            host = getattr(getattr(request, "client", None), "host", None) if request is not None else None
            values = getattr(getattr(request, "headers", None), "getlist", None)  # Starlette's headers
            forwarded = ",".join(values("x-forwarded-for")) if values is not None else ""
            client = f"adres {self.proxies.client(host, forwarded or None)}"
        if not self.questions.allow(client):
            raise BadRequest(message("too_many_questions", limit=self.questions.limit))

    # ------------------------------------------------------------------ roles
    def role(self, request: gr.Request | None) -> Role | None:
        return self.users.role_of(_username(request)) if self.auth_enabled else None

    def require_admin(self, request: gr.Request | None) -> str:
        name = _username(request)
        if self.role(request) is not Role.ADMIN:
            log.warning("admin action refused for user %r", name)
            raise AccessDenied(message("admin_only"))
        assert name is not None
        return name

    # ------------------------------------------------------------------ chat
    @guarded
    def respond(
        self,
        question: str,
        answers: list[Answer] | None,
        case: str | None,
        municipality: str | None,
        kind: str | None,
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:
        answers = list(answers or [])
        question = (question or "").strip()
        if not question:  # Enter in an empty box: nothing to do, nothing to say
            return tuple(gr.update() for _ in range(6))
        limits = InputLimits.from_settings(self.service.settings)
        language = detect_language(question[: limits.question_chars])
        _LANGUAGE.set(language)
        self.count_question(request)
        try:
            check_question(question, limits)
        except InputRefused as exc:
            raise BadRequest(str(exc)) from exc
        filters = Filters(case=case or None, municipality=municipality or None, kind=kind or None)
        try:
            answer = self.service.ask(question, filters, turns_from_answers(answers, limits))
        except IndexMissingError:
            # Not an answer and not a failure: said in the chat, the question left in the box to ask again.
            log.info("question before the first index: %r", question)
            running = self.service.index_status().running
            note = render.answer_label(language, "no_index_yet") if running else message("missing")
            messages = [
                *render.chat_messages(answers),
                {"role": "user", "content": render.question_markdown(question)},
                {"role": "assistant", "content": html.escape(note, quote=False)},
            ]
            return messages, answers, gr.update(), gr.update(), gr.update(), gr.update()
        answers.append(answer)
        return (
            render.chat_messages(answers),
            answers,
            render.sources_panel(answers),
            "",
            gr.update(value=self._conversation_file(answers), interactive=True),
            render.VIEWER_PLACEHOLDER,
        )

    def _conversation_file(self, answers: Sequence[Answer]) -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = self.workdir / f"gesprek-{stamp}.md"
        path.write_text(conversation_markdown(answers), encoding="utf-8")
        cutoff = time.time() - KEEP_DOWNLOADS_SECONDS  # Gradio serves its own copy; ours is only the source
        for old in self.workdir.glob("gesprek-*.md"):
            with contextlib.suppress(OSError):
                if old.stat().st_mtime < cutoff:
                    old.unlink()
        return str(path)

    def clear(self) -> tuple[Any, ...]:
        return [], [], render.sources_panel([]), gr.update(value=None, interactive=False), render.VIEWER_PLACEHOLDER

    @guarded
    def ask_api(
        self,
        question: str,
        history: list[dict[str, Any]] | None = None,
        filters: dict[str, Any] | None = None,
        request: gr.Request | None = None,
    ) -> dict[str, Any]:
        """Answer a question with cited sources. history: [{"role": "user"|"assistant", "content": "..."}];
        filters: {"case": ..., "municipality": ..., "kind": ...}. Returns the answer and its citations."""
        _FOR_SCRIPT.set(True)
        if not isinstance(question, str) or not question.strip():
            raise BadRequest(message("no_question"))
        limits = InputLimits.from_settings(self.service.settings)
        _LANGUAGE.set(detect_language(question.strip()[: limits.question_chars]))
        self.count_question(request)
        try:
            language = check_question(question.strip(), limits)
            turns = turns_from_api(history, limits, language)
            chosen = filters_from_api(filters)
        except InputRefused as exc:
            raise BadRequest(str(exc)) from exc
        except ValueError as exc:
            raise BadRequest(message("bad_input", reason=exc)) from exc
        try:
            return self.service.ask(question.strip(), chosen, turns).as_json()
        except IndexMissingError:
            if self.service.index_status().running:
                raise BadRequest(message("indexing")) from None
            raise

    @guarded
    def show_turn(self, answers: list[Answer] | None, evt: gr.SelectData) -> str:
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        return render.sources_panel(list(answers or []), int(index) // 2)

    @guarded
    def open_citation(self, answers: list[Answer] | None, evt: gr.EventData) -> Any:
        data = getattr(evt, "_data", None) or {}
        match = re.fullmatch(r"(\d+):(\d+)", str(data.get("open", "")))
        if match is None:
            return gr.update()
        turn, n = int(match.group(1)), int(match.group(2))
        answers = list(answers or [])
        if turn >= len(answers):
            return gr.update()
        citation = next((c for c in answers[turn].citations if c.n == n), None)
        if citation is None:
            return gr.update()
        _LANGUAGE.set(_answer_language(answers[turn]))
        view = self.service.document_view(citation.document)
        return render.document_html(view, citation.page, (citation.start, citation.end), citation.quote, citation.text)

    @guarded
    def like(self, answers: list[Answer] | None, evt: gr.LikeData, request: gr.Request) -> None:
        index = evt.index if isinstance(evt.index, int) else evt.index[0]
        answers = list(answers or [])
        turn = int(index) // 2
        if evt.liked in (True, "Like"):
            up = True
        elif evt.liked in (False, "Dislike"):
            up = False
        else:
            return
        if 0 <= turn < len(answers):
            language = _answer_language(answers[turn])
            self.feedback.record(answers[turn], up, user=_username(request) if self.auth_enabled else None)
            gr.Info(toast_text(message("thanks", language), language), title=TOAST_TITLES[language]["info"])

    # ------------------------------------------------------------------ filters and cases
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
            chosen.append(f"soort {render.kind_label(kind)}")
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
            gr.update(value=render.case_rows(overviews)),
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
        return render.factor_matrix_html(matrices, titles)

    def _case_detail(self, overviews: Sequence[CaseOverview], case_id: str | None) -> str:
        overview = next((o for o in overviews if o.case.case_id == case_id), None)
        if overview is None:
            return '<p class="leeg">Nog geen casussen in de index.</p>'
        titles = {d.path: d.title or d.path for o in overviews for d in o.documents}
        with contextlib.suppress(QaError):
            titles.update({d.path: d.title or d.path for d in self.service.documents() if d.case_id is None})
        return render.case_detail(overview, titles)

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
        return render.document_html(view, int(page) if page.isdigit() else None)

    # ------------------------------------------------------------------ indexing
    def _serving_version(self) -> str | None:
        try:
            return self.service.serving_version()
        except QaError:
            log.warning("cannot tell which index version is served", exc_info=True)
            return None

    def status_html(self) -> str:
        status = self.service.index_status()
        if status.error is not None:
            status = replace(status, error=index_failure_message(status.failure))
        return render.index_status_html(status)

    def poll_index(self, known: str | None) -> tuple[Any, ...]:
        """Every tick of the page's timer: the indexing status, and once another index version is
        served than the page was filled from, its filters and case lists anew. `known` is that version.
        Returns the status, the version now known, the timer (stopped when nothing is left to watch),
        the three filters and the four case views."""
        version = self._serving_version()
        running = self.service.index_status().running
        if version == known:
            fresh: tuple[Any, ...] = tuple(gr.update() for _ in range(7))
        else:
            fresh = (*self.filter_choices(), *self.case_views())
        return (self.status_html(), version, gr.update(active=running), *fresh)

    # ------------------------------------------------------------------ page load
    @guarded
    def on_load(self, request: gr.Request) -> tuple[Any, ...]:
        name = _username(request)
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

    # ------------------------------------------------------------------ admin
    def admin_choices(self) -> tuple[Any, Any]:
        corpus = self.service.settings.corpus
        return (
            gr.update(choices=uploads.case_choices(corpus)),
            gr.update(choices=uploads.removable_documents(corpus), value=None),
        )

    @guarded
    def upload(
        self,
        request: gr.Request,
        mode: str,
        existing_case: str | None,
        title: str,
        municipality: str,
        year: float | None,
        themes: str,
        *rows: Any,
    ) -> tuple[Any, ...]:
        """rows: UPLOAD_ROWS file paths, then as many kinds, then as many document titles. Returns the
        status, the two admin choices, and the form: emptied once the files are in, kept as it was
        when they were refused (the status then says why, in place of an earlier success)."""
        self.require_admin(request)
        try:
            notice = self._add_uploads(request, mode, existing_case, title, municipality, year, themes, *rows)
        except (BadRequest, uploads.UploadError) as exc:
            log.warning("upload refused: %s", exc)
            return (render.notice_html(str(exc), ok=False), *self.admin_choices(), *self._form(keep=True))
        except Exception:
            log.exception("upload failed")
            return (render.notice_html(message("generic"), ok=False), *self.admin_choices(), *self._form(keep=True))
        return (render.notice_html(notice), *self.admin_choices(), *self._form(keep=False))

    @staticmethod
    def _form(keep: bool) -> tuple[Any, ...]:
        """The upload form's fields (title, municipality, year, themes, then per row its file, kind and
        document title): unchanged, or emptied for the next case."""
        fields = 4 + 3 * UPLOAD_ROWS
        if keep:
            return tuple(gr.update() for _ in range(fields))
        return (
            "",
            "",
            None,
            "",
            *(None for _ in range(UPLOAD_ROWS)),
            *DEFAULT_KINDS[:UPLOAD_ROWS],
            *("" for _ in range(UPLOAD_ROWS)),
        )

    def _add_uploads(
        self,
        request: gr.Request,
        mode: str,
        existing_case: str | None,
        title: str,
        municipality: str,
        year: float | None,
        themes: str,
        *rows: Any,
    ) -> str:
        admin = self.require_admin(request)
        files, kinds, titles = rows[:UPLOAD_ROWS], rows[UPLOAD_ROWS : 2 * UPLOAD_ROWS], rows[2 * UPLOAD_ROWS :]
        chosen = []
        for file, kind, doc_title in zip(files, kinds, titles, strict=False):
            if not file:
                continue
            path = Path(str(file))
            chosen.append(uploads.Upload(path.name, path, kind or "overig", (doc_title or "").strip() or None))
        settings = self.service.settings
        zip_limits = ZipLimits.from_settings(settings)
        if mode == "nieuw":
            form = uploads.CaseForm(
                title=title or "",
                municipality=(municipality or "").strip() or None,
                year=int(year) if year else None,
                themes=tuple(t.strip() for t in (themes or "").split(",") if t.strip()),
            )
            with ReadingWorker(settings) as reader:  # each file read as ingestion will, within its limits
                added = uploads.add_documents(
                    settings.corpus, chosen, settings.max_file_bytes, zip_limits, new_case=form, reader=reader
                )
        else:
            if not existing_case:
                raise BadRequest("Kies een bestaande casus.")
            with ReadingWorker(settings) as reader:
                added = uploads.add_documents(
                    settings.corpus, chosen, settings.max_file_bytes, zip_limits, case_id=existing_case, reader=reader
                )
        log.info("%s uploaded %s into %s", admin, ", ".join(added.files), added.case_id)
        replaced = f" Eerdere versies staan in de prullenbak: {', '.join(added.replaced)}." if added.replaced else ""
        return (
            f"{len(added.files)} bestand(en) toegevoegd aan casus ‘{added.case_id}’: {', '.join(added.files)}."
            f"{replaced} Klik op ‘Herindexeren’ om ze doorzoekbaar te maken."
        )

    @guarded
    def reindex(self, request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        admin = self.require_admin(request)
        bar = ReindexProgress()

        def report(stage: str, done: int, total: int) -> None:
            fraction, label = bar.update(stage, done, total)
            progress(fraction, desc=label)

        progress(0.0, desc=REINDEX_LABELS["scan"])
        log.info("%s started a re-index", admin)
        summary = self.service.reindex(progress=report)
        return (
            render.index_summary_html(summary),
            self.status_html(),
            self._serving_version(),
            *self.filter_choices(),
            *self.case_views(),
            *self.admin_choices(),
        )

    @guarded
    def remove(self, document: str | None, request: gr.Request) -> tuple[Any, ...]:
        admin = self.require_admin(request)
        if not document:
            raise BadRequest("Kies een document om te verwijderen.")
        moved = uploads.remove_document(self.service.settings.corpus, document)
        log.info("%s moved %s to %s", admin, document, moved)
        where = moved.relative_to(self.service.settings.corpus.resolve()).as_posix()
        message = f"{document} is verplaatst naar {where}. De volgende herindexering laat het weg."
        return (render.notice_html(message), *self.admin_choices())
