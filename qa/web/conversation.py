"""The conversation as the service needs it (Turn records) and as users take it away (Markdown)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from qa.records import Answer, Turn
from qa.retrieval import Filters
from qa.web.render import kind_label

MAX_TURNS = 20  # earlier turns than this do not steer a follow-up


def cited_cases(answer: Answer) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for citation in answer.citations:
        if citation.case_id:
            seen.setdefault(citation.case_id, None)
    return tuple(seen)


def turns_from_answers(answers: Sequence[Answer]) -> list[Turn]:
    turns: list[Turn] = []
    for answer in answers[-MAX_TURNS:]:
        turns.append(Turn("user", answer.question))
        turns.append(Turn("assistant", answer.text, scope=cited_cases(answer)))
    return turns


def turns_from_api(history: Sequence[object] | None) -> list[Turn]:
    """History as scripts send it: [{"role": "user"|"assistant", "content": str, "citations"?: [...]}]."""
    turns: list[Turn] = []
    for item in list(history or [])[-2 * MAX_TURNS :]:
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
    return turns


def filters_from_api(filters: Mapping[str, object] | None) -> Filters:
    if not filters:
        return Filters()
    unknown = set(filters) - {"case", "municipality", "kind"}
    if unknown:
        raise ValueError(f"onbekende filters: {', '.join(sorted(unknown))} (gebruik case, municipality, kind)")

    def text(key: str) -> str | None:
        value = filters.get(key)
        return str(value) if value else None

    return Filters(case=text("case"), municipality=text("municipality"), kind=text("kind"))


def conversation_markdown(answers: Sequence[Answer], when: datetime | None = None) -> str:
    """The whole conversation with each answer's sources, for download."""
    stamp = (when or datetime.now()).strftime("%d-%m-%Y %H:%M")
    lines = [f"# Gesprek met de Vraagbaak Burgerparticipatie ({stamp})", ""]
    for number, answer in enumerate(answers, start=1):
        lines += [f"## Vraag {number}", "", answer.question, "", "### Antwoord", "", answer.text, ""]
        if answer.citations:
            lines += ["### Bronnen", ""]
        for c in answer.citations:
            where = f"{c.case_title} ({c.municipality})" if c.case_id else "Het onderzoek als geheel"
            page = f", p. {c.page}" if c.page else ""
            lines.append(f"[{c.n}] {where} — {c.title or c.document}, {kind_label(c.kind)}{page} (`{c.document}`)")
            lines.append("")
            lines += [f"> {line}" if line else ">" for line in c.text.splitlines()]
            if c.quote:
                lines += ["", f"Geciteerd: “{c.quote}”"]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
