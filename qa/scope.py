"""Which cases a question names ("wat zeiden bewoners in Wierdenhaven?"), so that retrieval can be
restricted to them without the user touching a filter. Pure functions over case metadata."""

from __future__ import annotations

import re
from collections.abc import Iterable

from qa.lexical import fold_text
from qa.records import CaseInfo

_WORD = re.compile(r"\w+")
_MIN_NAME = 5  # shorter capitalised title words ("De", "Mee") are too common to name a case


def case_names(case: CaseInfo) -> set[str]:
    """Folded names that identify a case: its municipality and the proper nouns in its title."""
    names = {fold_text(case.municipality)} if case.municipality else set()
    words = _WORD.findall(case.title)
    for word in words[1:]:  # the first word is capitalised anyway
        if word[:1].isupper() and len(word) >= _MIN_NAME:
            names.add(fold_text(word))
    return names


def named_cases(question: str, cases: Iterable[CaseInfo]) -> tuple[str, ...]:
    """Case ids whose municipality or title name appears in the question as a whole word."""
    words = set(_WORD.findall(fold_text(question)))
    return tuple(sorted(case.case_id for case in cases if case_names(case) & words))


def without_names(question: str, cases: Iterable[CaseInfo]) -> str:
    """The question with the names of the given cases taken out: once retrieval is restricted to
    those cases, their names match every passage alike and only drown the words that discriminate."""
    names: set[str] = set()
    for case in cases:
        names |= case_names(case)
    if not names:
        return question
    kept = _WORD.sub(lambda m: "" if fold_text(m.group(0)) in names else m.group(0), question)
    return re.sub(r"\s+([?.!,;:])", r"\1", " ".join(kept.split()))
