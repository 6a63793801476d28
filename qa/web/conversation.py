"""The conversation as the service needs it (Turn records) and as users take it away (Markdown),
and the limits a question and its history must keep before anything is searched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from qa.records import Answer, Turn
from qa.search.question import Language, detect_language
from qa.search.retrieval import Filters
from qa.web.render.labels import answer_label, kind_label

if TYPE_CHECKING:
    from qa.settings import Settings

REFUSALS: dict[Language, dict[str, str]] = {
    "nl": {
        "question_length": "De vraag is te lang ({found} tekens; hoogstens {limit}). Maak hem korter.",
        "question_unicode": "De vraag bevat ongeldige tekens (geen geldige Unicode).",
        "history_turns": "De geschiedenis (history) is te lang ({found} berichten; hoogstens {limit}).",
        "history_chars": "De geschiedenis (history) is te lang ({found} tekens; hoogstens {limit}).",
        "history_unicode": "De geschiedenis (history) bevat ongeldige tekens (geen geldige Unicode).",
    },
    "en": {
        "question_length": "The question is too long ({found} characters; at most {limit}). Please shorten it.",
        "question_unicode": "The question contains invalid characters (not valid Unicode).",
        "history_turns": "The history is too long ({found} messages; at most {limit}).",
        "history_chars": "The history is too long ({found} characters; at most {limit}).",
        "history_unicode": "The history contains invalid characters (not valid Unicode).",
    },
}


@dataclass(frozen=True)
class InputLimits:
    """How long a question and its history may be (settings max_question_chars, max_history_*)."""

    question_chars: int
    history_turns: int
    history_chars: int

    @classmethod
    def from_settings(cls, settings: Settings) -> InputLimits:
        return cls(settings.max_question_chars, settings.max_history_turns, settings.max_history_chars)


class InputRefused(ValueError):
    """A question or history over its limits or not valid Unicode; the message is in the question's language."""


def valid_unicode(text: str) -> bool:
    """False for text holding a lone surrogate (JSON can carry one; no file, page or database can)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _number(value: int, language: Language) -> str:
    return f"{value:,}".replace(",", ".") if language == "nl" else f"{value:,}"


def _refuse(language: Language, key: str, found: int = 0, limit: int = 0) -> InputRefused:
    message = REFUSALS[language][key]
    return InputRefused(message.format(found=_number(found, language), limit=_number(limit, language)))


def check_question(question: str, limits: InputLimits) -> Language:
    """The question's language, or InputRefused (in that language) if it is too long or not valid Unicode.
    Costs a glance at the question's start, however long it is."""
    language = detect_language(question[: limits.question_chars])
    if not valid_unicode(question):
        raise _refuse(language, "question_unicode")
    if len(question) > limits.question_chars:
        raise _refuse(language, "question_length", len(question), limits.question_chars)
    return language


def check_history(turns: Sequence[Turn], limits: InputLimits, language: Language) -> None:
    """InputRefused if the history holds too many messages or characters, or text that is not valid Unicode."""
    if len(turns) > limits.history_turns:
        raise _refuse(language, "history_turns", len(turns), limits.history_turns)
    chars = sum(len(turn.content) for turn in turns)
    if chars > limits.history_chars:
        raise _refuse(language, "history_chars", chars, limits.history_chars)
    if not all(valid_unicode(turn.content) and all(valid_unicode(c) for c in turn.scope) for turn in turns):
        raise _refuse(language, "history_unicode")


def cited_cases(answer: Answer) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for citation in answer.citations:
        if citation.case_id:
            seen.setdefault(citation.case_id, None)
    return tuple(seen)


def turns_from_answers(answers: Sequence[Answer], limits: InputLimits) -> list[Turn]:
    """The chat's earlier answers as turns: the latest ones that fit within the history limits."""
    turns: list[Turn] = []
    chars = 0
    for answer in reversed(answers):
        pair = [Turn("assistant", answer.text, scope=cited_cases(answer)), Turn("user", answer.question)]
        chars += len(answer.question) + len(answer.text)
        if len(turns) + 2 > limits.history_turns or chars > limits.history_chars:
            break
        turns.extend(pair)
    return turns[::-1]


def turns_from_api(history: Sequence[object] | None, limits: InputLimits, language: Language = "nl") -> list[Turn]:
    """History as scripts send it: [{"role": "user"|"assistant", "content": str, "citations"?: [...]}].
    Raises ValueError for a malformed item and InputRefused for one over the limits."""
    items = list(history or [])
    if len(items) > limits.history_turns:  # before reading any of them
        raise _refuse(language, "history_turns", len(items), limits.history_turns)
    turns: list[Turn] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise ValueError("elk item van history is een object met 'role' en 'content'")
        role, content = item.get("role"), item.get("content")
        if role not in ("user", "assistant") or not isinstance(content, str):
            raise ValueError("history: 'role' is 'user' of 'assistant' en 'content' is tekst")
        citations = item.get("citations") or []
        scope: tuple[str, ...] = ()
        if role == "assistant" and isinstance(citations, list):
            scope = tuple(
                dict.fromkeys(str(c["case_id"]) for c in citations if isinstance(c, Mapping) and c.get("case_id"))
            )
        turns.append(Turn(role, content, scope=scope))
    check_history(turns, limits, language)
    return turns


def filters_from_api(filters: Mapping[str, object] | None) -> Filters:
    if not filters:
        return Filters()
    unknown = set(filters) - {"case", "municipality", "kind"}
    if unknown:
        raise ValueError(f"onbekende filters: {', '.join(sorted(unknown))} (gebruik case, municipality, kind)")

    def text(key: str) -> str | None:
        value = filters.get(key)
        if value and not valid_unicode(str(value)):
            raise ValueError("filters bevatten ongeldige tekens (geen geldige Unicode)")
        return str(value) if value else None

    return Filters(case=text("case"), municipality=text("municipality"), kind=text("kind"))


def conversation_markdown(answers: Sequence[Answer], when: datetime | None = None) -> str:
    """The whole conversation with each answer's sources, for download."""
    stamp = (when or datetime.now()).strftime("%d-%m-%Y %H:%M")
    lines = [f"# Gesprek met de Vraagbaak Burgerparticipatie ({stamp})", ""]
    for number, answer in enumerate(answers, start=1):
        language = answer.language
        asked, answered = answer_label(language, "question", n=number), answer_label(language, "answer")
        lines += [f"## {asked}", "", answer.question, "", f"### {answered}", "", answer.text, ""]
        if answer.citations:
            lines += [f"### {answer_label(language, 'sources')}", ""]
        for c in answer.citations:
            where = f"{c.case_title} ({c.municipality})" if c.case_id else answer_label(language, "study")
            page = f", p. {c.page}" if c.page else ""
            kind = kind_label(c.kind, language)
            lines.append(f"[{c.n}] {where} — {c.title or c.document}, {kind}{page} (`{c.document}`)")
            lines.append("")
            lines += [f"> {line}" if line else ">" for line in c.text.splitlines()]
            if c.quote:
                lines += ["", f"{answer_label(language, 'quoted')}: “{c.quote}”"]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
