"""Which cases a question names ("wat zeiden bewoners in Wierdenhaven?"), so that retrieval can be
restricted to them without the user touching a filter. Pure functions over case metadata.

A name is matched as a whole phrase, written as users write it: in any case, with or without
diacritics ("Súdwest-Fryslân", "sudwest fryslan"), with hyphens, spaces or neither between its
words ("Oudewater-Noord", "oudewater noord", "Bergen-op-Zoom"), with or without "gemeente" before
it and a leading "'s-" ("'s-Hertogenbosch", "Hertogenbosch"). Part of a name names nothing:
"Bergen" is not "Bergen op Zoom", and "Noord" is not "Oudewater-Noord".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from qa.records import CaseInfo
from qa.textclean import fold_text
from qa.vocabulary import packaged

_WORD = re.compile(r"\w+")
_MIN_NAME = 5  # shorter capitalised title words ("De", "Mee") are too common to name a case
_GENERIC = packaged().municipality  # "gemeente Bergen op Zoom" is Bergen op Zoom
_ARTICLES = packaged().name_articles  # the old genitive of 's-Hertogenbosch, 's-Gravenhage, 't Zandt: often left out
_APOSTROPHES = "'’‘`´"
# the small words inside Dutch place names: "Alphen aan den Rijn", "Bergen op Zoom", "Wijk bij Duurstede"
NAME_PARTICLES = packaged().name_particles


def _folded_words(text: str) -> list[str]:
    return _WORD.findall(fold_text(text))


def case_names(case: CaseInfo) -> set[str]:
    """Folded names that identify a case: its municipality, and the proper nouns in its title (a
    capitalised word, a hyphenated one whole, and runs of them joined by particles such as "aan den"
    or "op"); the title's first word is capitalised anyway, and its common words say what is asked."""
    names = {fold_text(case.municipality)} if case.municipality else set()
    for phrase in _proper_nouns(case.title.split()[1:]):
        names.add(fold_text(phrase))
    return names


def _proper_nouns(tokens: Sequence[str]) -> list[str]:
    found: list[str] = []
    run: list[str] = []
    particles: list[str] = []

    def close() -> None:
        if len(run) > 1:
            found.append(" ".join(run))
        run.clear()
        particles.clear()

    for raw in tokens:
        token = raw.strip('.,;:!?()"“”')
        if token[:1].isupper() or token[:2] in ("'s", "’s"):
            if len(_WORD.findall(token)) > 1 or len(token) >= _MIN_NAME:  # "Súdwest-Fryslân" whole, never "Noord"
                found.append(token)
            run.extend([*particles, token])
            particles.clear()
        elif run and token.lower() in NAME_PARTICLES:
            particles.append(token)
        else:
            close()
    close()
    return found


def name_forms(case: CaseInfo) -> set[str]:
    """The case's names as they are compared: folded, with nothing between the words (a question's
    words are joined the same way, so hyphens and spaces do not matter), each variant once."""
    forms: set[str] = set()
    for name in case_names(case):
        words = _folded_words(name)
        if words[:1] == [_GENERIC] and len(words) > 1:
            words = words[1:]
        if len(words) > 1 and words[0] in _ARTICLES:
            forms.add("".join(words[1:]))
        if words:
            forms.add("".join(words))
    return forms


def _name_spans(question: str, forms: set[str]) -> list[tuple[int, int, str]]:
    """Where in the question (character offsets) one of the forms stands as whole words, and which;
    the longest wins, so "Bergen op Zoom" is not also "Zoom"."""
    tokens = [(m.start(), m.end(), fold_text(m.group(0))) for m in _WORD.finditer(question)]
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(tokens):
        best = _longest_at(tokens, i, forms)
        if best is None:
            i += 1
            continue
        spans.append((tokens[i][0], tokens[best][1], "".join(t[2] for t in tokens[i : best + 1])))
        i = best + 1
    return spans


def _longest_at(tokens: Sequence[tuple[int, int, str]], i: int, forms: set[str]) -> int | None:
    """The last token of the longest run from token i whose words, joined, are one of the forms."""
    longest = max((len(f) for f in forms), default=0)
    joined = ""
    found = None
    for j in range(i, len(tokens)):
        joined += tokens[j][2]
        if len(joined) > longest:
            break
        if joined in forms:
            found = j
    return found


def named_cases(question: str, cases: Iterable[CaseInfo]) -> tuple[str, ...]:
    """Case ids whose municipality or title (or a proper noun in it) the question names as whole words."""
    owners: dict[str, set[str]] = {}
    for case in cases:
        for form in name_forms(case):
            owners.setdefault(form, set()).add(case.case_id)
    named = {case_id for _start, _end, form in _name_spans(question, set(owners)) for case_id in owners[form]}
    return tuple(sorted(named))


def without_names(question: str, cases: Iterable[CaseInfo]) -> str:
    """The question with the names of the given cases taken out: once retrieval is restricted to
    those cases, their names match every passage alike and only drown the words that discriminate.
    A "gemeente" before a name and the apostrophe of "'s-" go with it."""
    forms: set[str] = set()
    for case in cases:
        forms |= name_forms(case)
    spans = _name_spans(question, forms) if forms else []
    if not spans:
        return question
    kept: list[str] = []
    cursor = 0
    for start, end, _form in spans:
        before = question[cursor:start].rstrip(_APOSTROPHES)
        generic = re.search(rf"\b{_GENERIC}\s*$", before, re.IGNORECASE)
        kept.append(before[: generic.start()] if generic else before)
        cursor = end
    kept.append(question[cursor:])
    return re.sub(r"\s+([?.!,;:])", r"\1", " ".join("".join(kept).split()))
