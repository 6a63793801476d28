"""The conversation in the chat: questions and answers as Markdown, each [n] a link to its source card."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.records import Answer
from qa.web.render.labels import answer_label, esc
from qa.web.render.sources import card_id

_MARKER = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([\\`\[\]])")


def _markdown_text(text: str) -> str:
    """Document or user text for the Markdown chat: no raw HTML, no links it did not ask for."""
    return _MD_SPECIAL.sub(r"\\\1", esc(text))


def answer_markdown(answer: Answer, turn: int) -> str:
    """The answer for the chat: its Markdown kept, HTML escaped, each [n] a link to its source card."""
    known = {c.n for c in answer.citations}
    parts: list[str] = []
    cursor = 0
    for match in _MARKER.finditer(answer.text):
        n = int(match.group(1))
        if n not in known:
            continue
        parts.append(_markdown_text(answer.text[cursor : match.start()]))
        title = answer_label(answer.language, "source", n=n)
        parts.append(f'<a class="bron-marker" href="#{card_id(turn, n)}" title="{title}">[{n}]</a>')
        cursor = match.end()
    parts.append(_markdown_text(answer.text[cursor:]))
    return "".join(parts)


def question_markdown(question: str) -> str:
    return _markdown_text(question)


def chat_messages(answers: Sequence[Answer]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for turn, answer in enumerate(answers):
        messages.append({"role": "user", "content": question_markdown(answer.question)})
        messages.append({"role": "assistant", "content": answer_markdown(answer, turn)})
    return messages
