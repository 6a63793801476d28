"""The product's words in one place: how questions ask, how the study files its findings, how its
documents are laid out and how answers are phrased, read from one data file per language
(`qa/data/vocabulary.nl.toml`, `...en.toml`) into one typed, compiled `Vocabulary`.

The data files hold the words (as regular-expression alternatives); this module puts the word
boundaries around them and compiles them, once per set of files. A question is read with the words of
every language at once (a Dutch question may use an English word), so each pattern joins the lists of
all files, in the order given.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from qa.errors import SettingsError

AnswerType = Literal["date", "money", "duration", "count", "reason"]
ANSWER_TYPES: tuple[AnswerType, ...] = ("date", "money", "duration", "count", "reason")  # first match wins

DATA = Path(__file__).resolve().parent / "data"
PACKAGED: tuple[Path, ...] = (DATA / "vocabulary.nl.toml", DATA / "vocabulary.en.toml")


@dataclass(frozen=True)
class Phrases:
    """How one language phrases the parts of an answer (format strings; see the data files)."""

    they_say: Mapping[str, str]  # per intent ("positive", "negative", "advice", "none")
    numbers: tuple[str, ...]  # number words from 0 on; none: digits
    study_and_case: str
    one_case: str
    one_case_said: str
    one_case_said_plainly: str
    study: str
    cases: str
    grouped: str
    other_findings: str
    not_discussed: str
    study_heading: str
    outline: str
    abstain: str
    abstain_near: str
    provisional: str  # before an answer from a quick version, served until the complete index is in

    def number(self, n: int) -> str:
        return self.numbers[n] if n < len(self.numbers) else str(n)


@dataclass(frozen=True)
class Vocabulary:
    """Every word list and word-based pattern of the product, compiled."""

    files: tuple[Path, ...]
    # what a question asks (matched on the folded question)
    positive: re.Pattern[str]
    negative: re.Pattern[str]
    advice: re.Pattern[str]
    resident: re.Pattern[str]  # asks what residents said
    official: re.Pattern[str]  # ... what officials said
    analysis: re.Pattern[str]  # ... what the document analysis found
    follow_up: re.Pattern[str]  # refers back to the conversation
    opens_follow_up: re.Pattern[str]  # "en ...", "and ..."
    other_cases: re.Pattern[str]
    listing: re.Pattern[str]
    about_research: re.Pattern[str]
    names_study: re.Pattern[str]
    across_cases: re.Pattern[str]
    answer_types: tuple[tuple[AnswerType, re.Pattern[str], re.Pattern[str]], ...]  # (type, asks, looks)
    counted: re.Pattern[str]  # a count question's words and what it counts after them ("hoeveel bewoners")
    # the study's headings (matched on a section's own heading)
    positive_section: re.Pattern[str]
    negative_section: re.Pattern[str]
    advice_section: re.Pattern[str]
    method_section: re.Pattern[str]
    sources_section: re.Pattern[str]
    # how the cases are named
    municipality: str  # "gemeente" in "gemeente Bergen op Zoom"
    name_particles: frozenset[str]  # "aan den" in "Alphen aan den Rijn"
    name_articles: tuple[str, ...]  # the "s" of "'s-Hertogenbosch"
    # the documents' layout and wording
    bullets: str  # the bullets of a list item ("•-–·"), the first the one the readers write
    list_markers: str  # every mark a reader takes for a bullet (also "▪◦*" in PDFs)
    interviewer: tuple[str, ...]  # the labels of an interviewer's prompt ("Interviewer", "Vraag")
    prompt: re.Pattern[str]  # "Interviewer: <question>", group 1 the question
    qa_label: re.Pattern[str]  # "Vraag 2" / "Antwoord 2", group 1 the label's word
    question_labels: frozenset[str]
    announces_list: re.Pattern[str]
    announces_reason: re.Pattern[str]
    refers_back: re.Pattern[str]
    abbreviations: frozenset[str]
    heading_styles: tuple[str, ...]  # word processors' paragraph styles of a heading (lower case)
    title_styles: tuple[str, ...]  # ... of a document's title
    notices: tuple[str, ...]  # lower case: a sentence holding one is never quoted
    # the answer's own words, per language
    phrases: Mapping[str, Phrases]
    messages: Mapping[str, Mapping[str, str]]  # per language: what the chat says apart from answers
    toast_titles: Mapping[str, Mapping[str, str]]  # per language: a notice's title by its level
    # per language: the words of its grammar that no other language shares (its "de", "wat", "bij";
    # "in" or "is" belongs to none): what tells a question's language
    function_words: Mapping[str, frozenset[str]]
    not_topic: frozenset[str]  # words that say nothing of what a question is about (either language)

    def is_notice(self, sentence: str) -> bool:
        """Whether a sentence holds a notice that is not a finding ("fictief voorbeeldmateriaal")."""
        lowered = sentence.lower()
        return any(notice in lowered for notice in self.notices)

    def filing(self, heading: str, intent: str | None) -> float:
        """How a section's own heading files what it holds: 1 under `intent`, -0.5 under the opposite,
        else 0."""
        on, opposite = {
            "positive": (self.positive_section, self.negative_section),
            "negative": (self.negative_section, self.positive_section),
            "advice": (self.advice_section, None),
        }.get(intent or "", (None, None))
        if on is not None and on.search(heading):
            return 1.0
        if opposite is not None and opposite.search(heading):
            return -0.5
        return 0.0


def _alternatives(words: Sequence[str]) -> str:
    return "|".join(words)


def _words(words: Sequence[str], flags: int = 0) -> re.Pattern[str]:
    """Any of `words`, each a whole word (or phrase)."""
    return re.compile(rf"\b({_alternatives(words)})\b", flags)


def _word_starts(words: Sequence[str]) -> re.Pattern[str]:
    """Any of `words` at the start of a word, in any case: a heading's "Succes" in "Succesfactoren"."""
    return re.compile(rf"\b({_alternatives(words)})", re.IGNORECASE)


class _Lists:
    """The lists of every file, joined per key in file order."""

    def __init__(self, tables: Sequence[Mapping[str, object]], files: Sequence[Path]) -> None:
        self.tables, self.files = tables, files

    def get(self, *keys: str) -> list[str]:
        joined: list[str] = []
        for table, file in zip(self.tables, self.files, strict=True):
            value: object = table
            for key in keys:
                value = value.get(key, []) if isinstance(value, Mapping) else []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SettingsError(f"{file}: {'.'.join(keys)} must be a list of strings")
            joined.extend(value)
        return joined


def _answer_types(w: _Lists) -> tuple[tuple[AnswerType, re.Pattern[str], re.Pattern[str]], ...]:
    months = _alternatives(w.get("answer_looks", "months"))
    numbers = _alternatives(w.get("answer_looks", "number_words"))
    few = _alternatives(w.get("answer_looks", "few"))
    units = _alternatives(w.get("answer_looks", "time_units"))
    asks = {kind: _alternatives(w.get("answer_types", kind, "asks")) for kind in ANSWER_TYPES}
    opens = _alternatives(w.get("answer_types", "date", "opens"))
    size = _alternatives(w.get("answer_types", "money", "size"))
    funds = _alternatives(w.get("answer_types", "money", "funds"))
    return (
        (
            "date",
            re.compile(rf"^({opens})\b|\b({asks['date']})\b"),
            re.compile(rf"\b\d{{1,2}} ({months})\b|\b({months}) \d{{4}}\b|\b(19|20)\d\d\b", re.IGNORECASE),
        ),
        (
            "money",
            re.compile(rf"\b({asks['money']})\b|\b({size})\b.*\b({funds})\b"),
            re.compile(rf"€|\b({_alternatives(w.get('answer_looks', 'money'))})\b", re.IGNORECASE),
        ),
        (
            "duration",
            re.compile(rf"\b({asks['duration']})\b"),
            re.compile(rf"\b(\d+|{numbers}|{few})\s+({units})\b", re.IGNORECASE),
        ),
        ("count", re.compile(rf"\b({asks['count']})\b"), re.compile(rf"\d|%|\b({numbers})\b", re.IGNORECASE)),
        ("reason", re.compile(rf"\b({asks['reason']})\b"), _words(w.get("answer_types", "reason", "looks"), re.I)),
    )


def _counted(w: _Lists) -> re.Pattern[str]:
    """A count question's words and the word after them, what it counts ("hoeveel bewoners")."""
    return re.compile(rf"\b({_alternatives(w.get('answer_types', 'count', 'counts'))})\s+(\w[\w']*)")


def _read_tables(files: tuple[Path, ...]) -> list[dict[str, object]]:
    """Each data file's table; a file that cannot be read or is not TOML is named with the reason."""
    tables: list[dict[str, object]] = []
    for file in files:
        try:
            tables.append(tomllib.loads(file.read_text(encoding="utf-8")))
        except OSError as exc:
            raise SettingsError(f"{file}: the vocabulary cannot be read ({exc.strerror or exc})") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{file}: the vocabulary is not valid TOML ({exc})") from exc
    return tables


def _messages(
    tables: Sequence[Mapping[str, object]], files: tuple[Path, ...], languages: Sequence[str]
) -> dict[str, dict[str, str]]:
    """Per language, what the chat says apart from answers: the same texts in every language."""
    messages = {lang: _texts(t, f, "messages") for lang, t, f in zip(languages, tables, files, strict=True)}
    if len({frozenset(texts) for texts in messages.values()}) > 1:
        raise SettingsError(f"{', '.join(map(str, files))}: [messages] does not hold the same texts in every language")
    return messages


def _listing(w: _Lists) -> re.Pattern[str]:
    """A question that asks for a list: it opens with a listing word, or holds an ordinal."""
    return re.compile(
        rf"^\s*({_alternatives(w.get('question', 'listing_openings'))})\b|"
        rf"\b({_alternatives(w.get('question', 'ordinals'))})\b"
    )


def _announces_reason(w: _Lists) -> re.Pattern[str]:
    """A sentence that announces a reason ("... is toegelicht waarom ...")."""
    return re.compile("|".join(rf"\b{reason}\b" for reason in w.get("document", "announces_reason")), re.IGNORECASE)


def _speakers(w: _Lists) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Who a question asks about: residents or officials, by what they said or "according to" them."""
    say = _alternatives(w.get("question", "say"))
    residents = _alternatives(w.get("question", "residents"))
    officials = _alternatives(w.get("question", "officials"))
    bodies = _alternatives([*w.get("question", "officials"), *w.get("question", "official_bodies")])
    according = _alternatives(w.get("question", "according_to"))
    article = "|".join(f"{a} " for a in w.get("question", "articles"))
    resident = re.compile(
        rf"\b({residents})\b.*\b({say})\b|\b({say})\b.*\b({article})?({residents})\b|"
        rf"\b({according}) ({article})?({residents})\b"
    )
    official = re.compile(
        rf"\b({officials})\b.*\b({say})\b|\b({say})\b.*\b({article})?({officials})\b|"
        rf"\b({according}) ({article})?({bodies})\b"
    )
    return resident, official


def _phrases(table: Mapping[str, object], file: Path) -> Phrases:
    raw = table.get("phrases")
    if not isinstance(raw, Mapping):
        raise SettingsError(f"{file}: a [phrases] table is missing")
    try:
        return Phrases(
            they_say=dict(raw["they_say"]),
            numbers=tuple(raw.get("numbers", ())),
            **{name: str(raw[name]) for name in Phrases.__dataclass_fields__ if name not in ("they_say", "numbers")},
        )
    except KeyError as exc:
        raise SettingsError(f"{file}: phrases.{exc.args[0]} is missing") from exc


def _texts(table: Mapping[str, object], file: Path, name: str) -> dict[str, str]:
    raw = table.get(name)
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) for v in raw.values()):
        raise SettingsError(f"{file}: a [{name}] table of texts is missing")
    return {str(k): v for k, v in raw.items()}


def _function_words(
    tables: Sequence[Mapping[str, object]], files: tuple[Path, ...], languages: Sequence[str]
) -> dict[str, frozenset[str]]:
    """Each language's grammar words, less those of another language's grammar: "in" or "is" tells neither."""
    grammar = {
        lang: frozenset(word.lower() for word in _Lists([t], [f]).get("question", "function_words"))
        for lang, t, f in zip(languages, tables, files, strict=True)
    }
    return {
        lang: words.difference(*(o for other, o in grammar.items() if other != lang)) for lang, words in grammar.items()
    }


@lru_cache(maxsize=8)
def load_vocabulary(files: tuple[Path, ...] = PACKAGED) -> Vocabulary:
    """The vocabulary of these data files (one per language), compiled once per set of files."""
    tables = _read_tables(files)
    languages = [str(t.get("language", f.stem)) for t, f in zip(tables, files, strict=True)]
    messages = _messages(tables, files, languages)
    w = _Lists(tables, files)
    resident, official = _speakers(w)
    cases = [*w.get("question", "cases")]
    interviewer = tuple(w.get("document", "interviewer"))
    question_labels = w.get("document", "question_labels")
    labels = _alternatives([*question_labels, *w.get("document", "answer_labels")])
    try:
        return Vocabulary(
            files=files,
            positive=_words(w.get("question", "positive")),
            negative=_words(w.get("question", "negative")),
            advice=_words(w.get("question", "advice")),
            resident=resident,
            official=official,
            analysis=_words(w.get("question", "analysis")),
            follow_up=_words(w.get("question", "follow_up")),
            opens_follow_up=re.compile(rf"^\s*({_alternatives(w.get('question', 'opens_follow_up'))})\b"),
            other_cases=_words(w.get("question", "other_cases")),
            listing=_listing(w),
            about_research=_words(w.get("question", "about_research")),
            names_study=_words([*w.get("question", "names_study"), *cases]),
            across_cases=_words([*cases, *w.get("question", "projects")]),
            answer_types=_answer_types(w),
            counted=_counted(w),
            positive_section=_word_starts(w.get("sections", "positive")),
            negative_section=_word_starts(w.get("sections", "negative")),
            advice_section=_word_starts(w.get("sections", "advice")),
            method_section=_word_starts(w.get("sections", "method")),
            sources_section=re.compile(rf"^({_alternatives(w.get('sections', 'sources'))})\b", re.IGNORECASE),
            municipality=next(iter(w.get("names", "municipality")), ""),
            name_particles=frozenset(w.get("names", "particles")),
            name_articles=tuple(w.get("names", "articles")),
            bullets="".join(w.get("document", "bullets")),
            list_markers="".join([*w.get("document", "bullets"), *w.get("document", "more_bullets")]),
            interviewer=interviewer,
            prompt=re.compile(rf"^(?:{_alternatives(interviewer)}):[ \t]*(.+)$", re.MULTILINE),
            qa_label=re.compile(rf"(?:^|(?<=[\s.?!:;]))({labels})\s+\d+[a-z]?\b[.:]?\s*"),
            question_labels=frozenset(question_labels),
            announces_list=_words(w.get("document", "announces_list"), re.IGNORECASE),
            announces_reason=_announces_reason(w),
            refers_back=_words(w.get("document", "refers_back"), re.IGNORECASE),
            abbreviations=frozenset(w.get("document", "abbreviations")),
            heading_styles=tuple(s.lower() for s in w.get("document", "heading_styles")),
            title_styles=tuple(s.lower() for s in w.get("document", "title_styles")),
            notices=tuple(n.lower() for n in w.get("document", "notices")),
            phrases={lang: _phrases(t, f) for lang, t, f in zip(languages, tables, files, strict=True)},
            messages=messages,
            toast_titles={
                lang: _texts(t, f, "toast_titles") for lang, t, f in zip(languages, tables, files, strict=True)
            },
            function_words=_function_words(tables, files, languages),
            not_topic=frozenset(w.get("question", "not_topic")),
        )
    except re.error as exc:
        raise SettingsError(f"{', '.join(map(str, files))}: a pattern of the vocabulary is not valid ({exc})") from exc


def packaged() -> Vocabulary:
    """The vocabulary the product ships with (Dutch and English)."""
    return load_vocabulary(PACKAGED)
