"""The Vraag tab and the /ask API: a question answered, its sources shown and opened, a vote recorded."""

from __future__ import annotations

import contextlib
import html
import logging
import re
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import gradio as gr

from qa.errors import IndexMissingError
from qa.records import Answer
from qa.search.question import detect_language
from qa.search.retrieval import Filters
from qa.web.conversation import (
    InputLimits,
    InputRefused,
    check_question,
    conversation_markdown,
    filters_from_api,
    turns_from_answers,
    turns_from_api,
)
from qa.web.handlers.base import Handlers
from qa.web.handlers.guard import (
    FOR_SCRIPT,
    LANGUAGE,
    TOAST_TITLES,
    BadRequest,
    answer_language,
    guarded,
    log_failure,
    message,
    toast_text,
    user_message,
    username,
)
from qa.web.render.answers import chat_messages, question_markdown
from qa.web.render.documents import document_html
from qa.web.render.labels import VIEWER_PLACEHOLDER, answer_label
from qa.web.render.sources import sources_panel

log = logging.getLogger(__name__)

KEEP_DOWNLOADS_SECONDS = 3600


class ChatHandlers(Handlers):
    """A question in the chat or through /ask, counted per client, checked, answered with its sources."""

    def count_question(self, request: gr.Request | None) -> None:
        """Raise BadRequest when this client (its user name, else its address) asked too many questions."""
        client = username(request) if self.auth_enabled else None
        if client is None:
            host = getattr(getattr(request, "client", None), "host", None) if request is not None else None
            values = getattr(getattr(request, "headers", None), "getlist", None)  # Starlette's headers
            forwarded = ",".join(values("x-forwarded-for")) if values is not None else ""
            client = f"adres {self.proxies.client(host, forwarded or None)}"
        if not self.questions.allow(client):
            raise BadRequest(message("too_many_questions", limit=self.questions.limit))

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
        """Answer in the chat. What keeps a question from its answer (the question limit, a question too
        long, no index yet, a failure) is said in the chat too, in the question's language, the question
        left in the box to ask again: raised, it would also put Gradio's red badge on the chat, worded
        in the browser's language ("Fout" or "Error") whatever the question's."""
        answers = list(answers or [])
        question = (question or "").strip()
        if not question:  # Enter in an empty box: nothing to do, nothing to say
            return tuple(gr.update() for _ in range(6))
        limits = InputLimits.from_settings(self.service.settings)
        language = detect_language(question[: limits.question_chars])
        LANGUAGE.set(language)
        filters = Filters(case=case or None, municipality=municipality or None, kind=kind or None)
        try:
            self.count_question(request)
            try:
                check_question(question, limits)
            except InputRefused as exc:
                raise BadRequest(str(exc)) from exc
            answer = self.service.ask(question, filters, turns_from_answers(answers, limits))
        except IndexMissingError:
            # Not an answer and not a failure: the question before the first index.
            log.info("question before the first index: %r", question)
            running = self.service.index_status().running
            note = answer_label(language, "no_index_yet") if running else message("missing")
            return self._note_in_chat(answers, note, question)
        except Exception as exc:
            log_failure("respond", exc)
            return self._note_in_chat(answers, user_message(exc))
        answers.append(answer)
        return (
            chat_messages(answers),
            answers,
            sources_panel(answers),
            "",
            gr.update(value=self._conversation_file(answers), interactive=True),
            VIEWER_PLACEHOLDER,
        )

    @staticmethod
    def _note_in_chat(answers: Sequence[Answer], note: str, question: str | None = None) -> tuple[Any, ...]:
        """The conversation so far, then (the question and) a note where its answer would be; the answers
        and the question in the box stay as they were. A refused question is not repeated (it may be
        100,000 characters long or not valid text): it is still in the box."""
        asked = [{"role": "user", "content": question_markdown(question)}] if question is not None else []
        messages = [*chat_messages(answers), *asked, {"role": "assistant", "content": html.escape(note, quote=False)}]
        return messages, list(answers), gr.update(), gr.update(), gr.update(), gr.update()

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
        return [], [], sources_panel([]), gr.update(value=None, interactive=False), VIEWER_PLACEHOLDER

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
        FOR_SCRIPT.set(True)
        if not isinstance(question, str) or not question.strip():
            raise BadRequest(message("no_question"))
        limits = InputLimits.from_settings(self.service.settings)
        LANGUAGE.set(detect_language(question.strip()[: limits.question_chars]))
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
        return sources_panel(list(answers or []), int(index) // 2)

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
        LANGUAGE.set(answer_language(answers[turn]))
        view = self.service.document_view(citation.document)
        return document_html(view, citation.page, (citation.start, citation.end), citation.quote, citation.text)

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
            language = answer_language(answers[turn])
            self.feedback.record(answers[turn], up, user=username(request) if self.auth_enabled else None)
            gr.Info(toast_text(message("thanks", language), language), title=TOAST_TITLES[language]["info"])
