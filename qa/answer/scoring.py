"""Score the quotable sentences of the gathered passages against the question (pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields

import numpy as np

from qa.answer.gathering import Gathered
from qa.answer.structure import (
    finding_start,
    is_prose,
    tabular,
)
from qa.answer.vocabulary import section_bonus
from qa.index.lexical import Terms
from qa.ingest.readers.sections import leaf
from qa.search.question import QuestionCues, holds_answer
from qa.search.retrieval import Hit, Sentence, mix_forms
from qa.settings import AnswerSettings
from qa.vocabulary import Vocabulary, packaged

_SPEAKER = re.compile(r"^[A-ZÀ-Ý][\w .-]{1,40}:\s+")
_LONGEST_FINDING = 420  # characters: a finding quoted from its name on, at most
_MIN_QUOTE = 25  # characters: a shorter quote ("Drie dingen.") says nothing on its own
#: A sentence's terms as the word overlap counts them.
SentenceTerms = Callable[[str], frozenset[str]]
#: Without an index's word counts: a text's stemmed words, no compound split (remembered per sentence).
_WHOLE_WORDS = Terms({}).set_of


@dataclass(frozen=True)
class ScoreParts:
    """What a sentence's score is made of before `weigh` applies the settings' weights. Each candidate
    keeps its parts, so that the weights can be refitted on the evaluation sets
    (`python -m benchmarks.sentence_weights`)."""

    as_passage: float  # the question's cosine to the sentence embedded as a passage
    as_question: float  # ... and to the sentence embedded as a query
    beside: float | None  # the best of its neighbours' own similarity (None: alone in its passage)
    overlap: float  # the share of the question's words (idf-weighted) that the sentence has
    section: float  # how its section matches the question's intent: 1, 0 or -0.5
    typed: bool  # holds the kind of answer asked for: a date, an amount, a duration, ...
    held_back: bool  # opening lines, a list of sources, or the study's method (for a question not about it)
    rank: int  # its passage's place among the retrieved ones (0: best)


@dataclass(frozen=True)
class Candidate:
    hit: Hit
    start: int  # offsets of the quote in the passage
    end: int
    page: int | None
    score: float
    similarity: float
    sentences: int = 1  # a sentence, or two quoted together
    passage_rank: int = 0  # the passage's place among the retrieved ones (0: best)
    parts: tuple[ScoreParts, ...] = ()  # of each sentence quoted; the score is the best one's, weighed

    @property
    def quote(self) -> str:
        return self.hit.text[self.start : self.end]

    @property
    def group(self) -> str:
        return self.hit.case_id or ""


def clause(text: str, start: int, end: int, interview: bool, words: Vocabulary | None = None) -> tuple[int, int]:
    """Drop an interview's speaker label ('Wijkregisseur: ') and list bullets so the quote is the
    statement itself. Outside interviews a label is part of the finding ('Spreiding over vormen van
    participatie: elke case ...')."""
    words = words or packaged()
    sentence = text[start:end]
    label = _SPEAKER.match(sentence) if interview else None
    if label and not sentence.startswith(words.interviewer):
        start += label.end()
    numbered = words.qa_label.match(text, start, end)
    if numbered:  # "Antwoord 2 Bij de invoering ...": the answer, without its label
        start = numbered.end()
    while start < end and text[start] in words.bullets + " ":
        start += 1
    colon = text.find(": ", start, end)
    announced = text[start:colon].split()[-1:]  # a form's field is labelled by a name ("Onderzoeker: ...")
    if (
        colon - start >= _MIN_QUOTE
        and announced
        and not announced[0][:1].isupper()
        and tabular(text[colon + 2 : end], min_words=15, share=0.4)
    ):
        # A table that text extraction ran into the sentence announcing it ("... en nam 12
        # aanbevelingen over: Nr. Aanbeveling Besluit raad 1 ..."): quote the clause up to the colon.
        # A form's fields ("Onderzoeker: L. de Vries Opdrachtgever: Ministerie van ...") are not
        # announced by a sentence: the colon after a label does not end a clause.
        end = colon + 1
    return start, end


def candidates(
    hits: Sequence[Hit],
    sentences: dict[int, list[Sentence]],
    query_vector: np.ndarray,
    query_tokens: dict[str, float],
    cues: QuestionCues,
    config: AnswerSettings,
    ranks: Mapping[int, int] | None = None,
    terms: SentenceTerms = _WHOLE_WORDS,
) -> list[Candidate]:
    """Every quotable sentence of the retrieved passages, scored against the question (`query_tokens`:
    its terms, each with its weight in the word overlap; `terms`: a sentence's terms, by default its
    stemmed words). A passage's rank is its place among the retrieved ones, or where `ranks` gives one
    (its place inside its case), that place."""
    found: list[Candidate] = []
    for place, hit in enumerate(hits):
        rank = ranks.get(hit.chunk_id, place) if ranks is not None else place
        items = sentences.get(hit.chunk_id, [])
        passage = _passage_terms(hit, cues, config.words)
        scored = _score_parts(hit, items, rank, passage, query_vector, query_tokens, terms, cues, config)
        found += _passage_candidates(hit, items, scored, passage, config)
    return sorted(found, key=lambda c: -c.score)


def _passage_candidates(
    hit: Hit,
    items: list[Sentence],
    parts: list[ScoreParts],
    passage: _PassageTerms,
    config: AnswerSettings,
) -> list[Candidate]:
    """The quotable sentences of one passage (`items`: its sentences; `parts`: what their scores are made of)."""
    words = config.words
    prompts = tuple(f"{label}:" for label in words.interviewer)  # an interviewer's question, not a finding
    interview = (hit.kind or "").startswith("interview")
    labels = [(m.start(), m.group(1)) for m in words.qa_label.finditer(hit.text)]
    found: list[Candidate] = []
    for index, item in enumerate(items):
        sentence = hit.text[item.start : item.end]
        if words.is_notice(sentence) or sentence.rstrip().endswith("?"):
            continue  # the fictional-material notice; interviewers' questions
        if sentence.startswith(prompts) or sentence.count("|") >= 2:
            continue  # interviewers' prompts; table rows ("Casus | Gemeente | ...") are not findings
        if _asked(labels, item.start, words):
            continue  # in a question-and-answer document, the question is context, not a finding
        candidate = _candidate(hit, items, index, parts, passage, interview, config)
        if candidate is not None:
            found.append(candidate)
    return found


def _score_parts(
    hit: Hit,
    items: list[Sentence],
    rank: int,
    passage: _PassageTerms,
    query_vector: np.ndarray,
    query_tokens: dict[str, float],
    terms: SentenceTerms,
    cues: QuestionCues,
    config: AnswerSettings,
) -> list[ScoreParts]:
    """What each sentence's score is made of; its `as_passage` is also the abstention's support."""
    words = config.words
    as_passage = [float(np.dot(query_vector, item.vector)) for item in items]
    as_question = [float(np.dot(query_vector, item.as_question)) for item in items]
    own = [own_similarity(p, q, config) for p, q in zip(as_passage, as_question, strict=True)]
    return [
        ScoreParts(
            as_passage=as_passage[index],
            as_question=as_question[index],
            beside=max((own[j] for j in (index - 1, index + 1) if 0 <= j < len(own)), default=None),
            overlap=word_overlap(hit.text[item.start : item.end], query_tokens, terms),
            section=passage.section,
            typed=holds_answer(cues, hit.text[item.start : item.end], words),
            held_back=passage.held_back,
            rank=rank,
        )
        for index, item in enumerate(items)
    ]


def _candidate(
    hit: Hit,
    items: list[Sentence],
    index: int,
    parts: list[ScoreParts],
    passage: _PassageTerms,
    interview: bool,
    config: AnswerSettings,
) -> Candidate | None:
    """The quote a sentence of a finding gives (None: none that stands on its own): its clause, with the
    sentence after when that one leans on it, or from the name of the finding it opens on."""
    words = config.words
    item = items[index]
    start, end, rank = item.start, item.end, parts[index].rank
    a, b = clause(hit.text, start, end, interview, words)
    if tabular(hit.text[a:b]) or not is_prose(hit.text[a:b]):
        return None  # a table run together, a table of contents' line, a header with its page number
    similarity = parts[index].as_passage
    score = weigh(parts[index], config)
    announces = words.announces_reason.search(hit.text[a:b]) is not None
    follower = _follower(hit.text, end, index, items, words, 400 if announces else 240) if b == end else None
    short = b - a < _MIN_QUOTE  # too short to stand alone ("Drie dingen." without its speaker)
    if short and follower is None:
        return None
    if follower is not None:
        # The sentence after often holds the fact ("... 81 aanvragen binnen. Daarvan werden er
        # 63 gehonoreerd."): quote both, as one contiguous span, when that scores better and the
        # sentence after leans on this one; one that stands alone is quoted alone.
        f_start, f_end = follower
        pair = (parts[index], parts[index + 1])
        joined = _best(pair, config)
        leans = words.refers_back.match(hit.text, f_start) is not None
        # ... and a sentence that announces a reason ("... is toegelicht waarom ...") brings the
        # sentence that gives it
        if (joined > score and leans) or short or announces:
            return Candidate(hit, a, f_end, item.page, joined, similarity, 2, rank, pair)
    named = finding_start(hit.text, a) if passage.section > 0 else None
    if named is not None and named < a and b - named <= _LONGEST_FINDING:
        # A finding filed under the asked-for section is quoted from its name on ("Snelheid.
        # Bewoners hebben energie ..."), not from the sentence that happens to match best.
        page = _page_at(items, named, item.page)
        return Candidate(hit, named, b, page, score, similarity, 2, rank, (parts[index],))
    return Candidate(hit, a, b, item.page, score, similarity, 1, rank, (parts[index],))


@dataclass(frozen=True)
class Retrieved(Gathered):
    """What gathering found, with its quotable sentences scored against the question."""

    found: list[Candidate] = field(default_factory=list)  # best first


def score(gathered: Gathered, config: AnswerSettings) -> Retrieved:
    """Score every quotable sentence of the gathered passages (pure); the best one's similarity is the
    abstention's `support`."""
    cues = gathered.resolved.cues
    found = candidates(
        gathered.hits,
        gathered.sentences,
        gathered.query_vector,
        gathered.weights,
        cues,
        config,
        gathered.ranks,
        gathered.version.lexical.term_set,
    )
    signals = replace(gathered.signals, support=max((c.similarity for c in found), default=0.0))
    fields = {f.name: getattr(gathered, f.name) for f in dataclass_fields(Gathered)}
    return Retrieved(**{**fields, "signals": signals}, found=found)


@dataclass(frozen=True)
class _PassageTerms:
    """What a sentence's score owes to the passage it stands in, the same for all its sentences."""

    section: float  # how well the section matches the intent
    held_back: bool  # opening lines, a list of sources, or how the study was done


def _passage_terms(hit: Hit, cues: QuestionCues, words: Vocabulary) -> _PassageTerms:
    # A document's opening lines (under its title) say who and what it is about, not what was found;
    # nor does a list of sources ("Jaarverslag Initiatievenfonds 2014, maart 2015." names a document);
    # nor, unless the question is about the research, how the study was done.
    opening = bool(hit.section and hit.title and hit.section.strip() == hit.title.strip())
    sources = bool(words.sources_section.match(leaf(hit.section).strip()))
    about_method = bool(words.method_section.search(f"{hit.title} {hit.section}"))
    method = hit.case_id is None and not cues.about_research and about_method
    return _PassageTerms(section=section_bonus(hit.section, cues, words), held_back=opening or sources or method)


def own_similarity(as_passage: float, as_question: float, config: AnswerSettings) -> float:
    """A sentence's own similarity, its two forms mixed as the settings say."""
    return mix_forms(as_passage, as_question, config.question_form_weight)


def weigh(parts: ScoreParts, config: AnswerSettings) -> float:
    """A sentence's score (pure). Its own similarity is mixed with the best of its neighbours': the
    sentence after the one that restates the question (or after the interviewer's question) is often
    the one that answers it. Then word overlap, section and kind of answer add; held-back passages
    and lower-ranked ones lose a little."""
    dense = own_similarity(parts.as_passage, parts.as_question, config)
    if parts.beside is not None and config.neighbour_weight:
        dense = (1 - config.neighbour_weight) * dense + config.neighbour_weight * parts.beside
    typed = config.answer_type_bonus if parts.typed else 0.0
    penalty = config.intro_penalty if parts.held_back else 0.0
    section = config.section_weight * parts.section
    return dense + config.lexical_weight * parts.overlap + section + typed - penalty - config.rank_penalty * parts.rank


def _best(parts: Sequence[ScoreParts], config: AnswerSettings) -> float:
    """The score of a quote: its best sentence's, and the pair bonus for two sentences quoted together."""
    best = max(weigh(p, config) for p in parts)
    return best + config.pair_bonus if len(parts) > 1 else best


def rescore(candidate: Candidate, config: AnswerSettings) -> float:
    """A candidate's score under other weights (pure): what `candidates` gives it under `config`."""
    return _best(candidate.parts, config)


def word_overlap(sentence: str, query_tokens: dict[str, float], terms: SentenceTerms = _WHOLE_WORDS) -> float:
    """The share of the question's terms (`query_tokens`, each with its weight) that the sentence has
    (`terms`: a sentence's terms, by default its stemmed words)."""
    shared = terms(sentence) & query_tokens.keys()
    total = sum(query_tokens.values())
    return sum(query_tokens[t] for t in shared) / total if total else 0.0


def _page_at(sentences: Sequence[Sentence], offset: int, default: int | None) -> int | None:
    """The page of the sentence holding `offset` (a quote starts on its first sentence's page)."""
    return next((s.page for s in sentences if s.start <= offset < s.end), default)


def _asked(labels: Sequence[tuple[int, str]], position: int, words: Vocabulary) -> bool:
    """Whether `position` stands in the question of a question-and-answer document: the last label
    before it is "Vraag n" (`labels`: where each label starts, and its word)."""
    last = next((word for at, word in reversed(labels) if at <= position), None)
    return last in words.question_labels


def _follower(
    text: str, end: int, index: int, sentences: list[Sentence], words: Vocabulary, longest: int = 240
) -> tuple[int, int] | None:
    """The next quotable sentence (at most `longest` characters) when it follows directly in the same
    paragraph."""
    if index + 1 >= len(sentences):
        return None
    following = sentences[index + 1]
    if words.is_notice(text[following.start : following.end]):
        return None
    between = text[end : following.start]
    if "\n" in between or between.strip() or len(text[following.start : following.end]) > longest:
        return None
    return following.start, following.end
