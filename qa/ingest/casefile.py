"""case.toml: a case's title, municipality, year, themes and what each document is.

Problems are reported with the file and line and never stop the case's documents from
being ingested: a malformed file means the case falls back to its folder name.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from qa.errors import CaseFileError
from qa.records import CASE_DOCUMENT_KINDS, CaseInfo, DocumentKind, DocumentMeta

CASE_KEYS = frozenset({"title", "municipality", "year", "themes", "documents"})
DOCUMENT_KEYS = frozenset({"file", "kind", "title"})
_LINE_NO = re.compile(r"at line (\d+)")


@dataclass
class CaseFile:
    """The parsed content plus every problem found (as errors with line numbers)."""

    case: CaseInfo
    documents: dict[str, DocumentMeta] = field(default_factory=dict)
    problems: list[CaseFileError] = field(default_factory=list)
    malformed: bool = False


def _line_of(source: str, pattern: str, after: int = 0) -> int | None:
    regex = re.compile(pattern)
    for number, line in enumerate(source.splitlines(), start=1):
        if number > after and regex.search(line):
            return number
    return None


def _key_line(source: str, key: str, after: int = 0) -> int | None:
    return _line_of(source, rf"^\s*{re.escape(key)}\s*=", after)


def default_case(case_id: str) -> CaseInfo:
    return CaseInfo(case_id=case_id, title=case_id.replace("-", " ").replace("_", " ").strip().capitalize())


def parse_case_file(source: str, case_id: str, display: str) -> CaseFile:
    """Parse case.toml text. Pure: `display` is only used in messages."""
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        match = _LINE_NO.search(str(exc))
        line = int(match.group(1)) if match else None
        error = CaseFileError(display, line, f"malformed TOML ({exc})")
        return CaseFile(case=default_case(case_id), problems=[error], malformed=True)

    problems: list[CaseFileError] = []
    for key in sorted(set(data) - CASE_KEYS):
        problems.append(CaseFileError(display, _key_line(source, key), f"unknown key '{key}'"))

    info = _case_info(data, case_id, display, source, problems)
    documents = _documents(data.get("documents", []), display, source, problems)
    return CaseFile(case=info, documents=documents, problems=problems)


def _case_info(
    data: dict[str, Any], case_id: str, display: str, source: str, problems: list[CaseFileError]
) -> CaseInfo:
    def typed(key: str, kind: type | tuple[type, ...], label: str) -> Any:
        value = data.get(key)
        if value is not None and not isinstance(value, kind):
            problems.append(CaseFileError(display, _key_line(source, key), f"'{key}' must be {label}"))
            return None
        return value

    title = typed("title", str, "a string")
    municipality = typed("municipality", str, "a string")
    year = typed("year", int, "a whole number such as 2015")
    themes = typed("themes", list, "a list of strings") or []
    if not title:
        problems.append(CaseFileError(display, None, "no 'title'; the folder name is used"))
    return CaseInfo(
        case_id=case_id,
        title=title or default_case(case_id).title,
        municipality=municipality,
        year=year,
        themes=tuple(str(theme) for theme in themes),
    )


def _documents(entries: Any, display: str, source: str, problems: list[CaseFileError]) -> dict[str, DocumentMeta]:
    if not isinstance(entries, list):
        problems.append(
            CaseFileError(display, _key_line(source, "documents"), "'documents' must be [[documents]] tables")
        )
        return {}
    documents: dict[str, DocumentMeta] = {}
    cursor = 0
    for entry in entries:
        header = _line_of(source, r"^\s*\[\[\s*documents\s*\]\]", cursor)
        cursor = header or cursor
        if not isinstance(entry, dict):
            problems.append(CaseFileError(display, header, "a [[documents]] entry must be a table"))
            continue
        for key in sorted(set(entry) - DOCUMENT_KEYS):
            problems.append(
                CaseFileError(display, _key_line(source, key, cursor), f"unknown key '{key}' in [[documents]]")
            )
        file = entry.get("file")
        if not isinstance(file, str) or not file:
            problems.append(CaseFileError(display, header, "a [[documents]] entry has no 'file'"))
            continue
        kind_name = entry.get("kind", DocumentKind.OVERIG.value)
        if kind_name not in CASE_DOCUMENT_KINDS:
            allowed = " | ".join(sorted(CASE_DOCUMENT_KINDS))
            line = _key_line(source, "kind", cursor)
            problems.append(CaseFileError(display, line, f"unknown kind '{kind_name}' for {file} (use {allowed})"))
            kind_name = DocumentKind.OVERIG.value
        title = entry.get("title")
        documents[file] = DocumentMeta(
            file=file,
            kind=DocumentKind(kind_name),
            title=title if isinstance(title, str) and title else title_from_filename(file),
        )
    return documents


def title_from_filename(name: str) -> str:
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:]
