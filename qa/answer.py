"""The extractive answer composer: answers built only from the study's own sentences.

Every finding in an answer is a verbatim sentence (or clause) of a cited passage; the composer
writes only the lead and the headings. It picks sentences by dense similarity to the question
(sentence vectors stored at index time), lexical overlap, and the section they stand in (success
factors when the question asks what worked, points of attention when it asks what went wrong),
and abstains when nothing in the study is close enough.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from qa.lexical import tokenize
from qa.question import QuestionCues, looks_like, read_question
from qa.readers.sections import leaf
from qa.records import Answer, CaseInfo, Citation, Turn
from qa.retrieval import Filters, Hit, IndexVersion, Retriever, Sentence, mix_forms
from qa.retrieval import focus as focus_of
from qa.scope import named_cases, without_names
from qa.settings import AnswerSettings, Settings
from qa.structure import (
    Outline,
    continued_items,
    find_outline,
    heading_span,
    list_continues,
    list_items,
    tabular,
)

_SPEAKER = re.compile(r"^[A-ZÀ-Ý][\w .-]{1,40}:\s+")
_POSITIVE_SECTION = re.compile(r"succes|werkte goed|wat goed|goed ging|sterk|lessen|aanraden|wat werkte", re.I)
_NEGATIVE_SECTION = re.compile(r"aandacht|anders|lastig|mis|knelpunt|valkuil|moeilijk|kritiek|verbeter", re.I)
_ADVICE_SECTION = re.compile(r"aanbevel|advies aan|adviezen|tips|aanraden", re.I)
_REFERENCES = re.compile(r"^(bronnen|bronvermelding|literatuur|referenties|bibliografie|sources|references)\b", re.I)
# How the study itself was done (its method report, its introduction), as opposed to what it found;
# quoted for questions about the research, held back for questions about participation.
_METHOD = re.compile(
    r"verantwoording|methode|methodolog|onderzoeksopzet|aanpak van het onderzoek|inleiding|onderzoeksvragen|"
    r"beperkingen|selectie van de cases|geïnterviewden",
    re.I,
)
_DISCLAIMER = "fictief voorbeeldmateriaal"
_LONGEST_LIST = 20  # items of one announced list that are quoted
_MIN_QUOTE = 25  # characters: a shorter quote ("Drie dingen.") says nothing on its own
# A sentence that opens with one of these words leans on the sentence before it ("Daarvan werden er 63
# gehonoreerd."), and is quoted together with it.
_REFERS_BACK = re.compile(
    r"(daar\w*|dat|dit|die|deze|dus|toen|daarna|hij|zij|ze|zo|het|hun|hen|er|ook|toch|maar|en|want|wel|bovendien|"
    r"verder|vervolgens|uiteindelijk|tegelijk|wat|waardoor|waarna|waarop|hiervan|hierdoor|hierbij|hiermee)\b",
    re.I,
)
_NUMBERS_EN = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


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


@dataclass(frozen=True)
class Resolved:
    """The question as retrieval should see it, after reading the conversation."""

    query: str
    cues: QuestionCues
    scope: tuple[str, ...]
    inherited: bool


def resolve(question: str, history: Sequence[Turn], cases: Sequence[CaseInfo]) -> Resolved:
    """Follow-ups keep to the previous answer's cases; a question without a topic inherits one."""
    cues = read_question(question)
    named = named_cases(question, cases)
    if named:  # a case's name says nothing about what is asked of it ("Right to Challenge")
        unnamed = without_names(question, [c for c in cases if c.case_id in named])
        intent = read_question(unnamed).intent
        # what a case's people recommended, or what its panel advised, is in the case, not in the
        # study's recommendations for The Hague
        cues = replace(cues, intent=None if intent == "advice" else intent)
    previous_question = _topic_question(history, cases)
    previous_scope = next((t.scope for t in reversed(history) if t.role == "assistant" and t.scope), ())
    query, scope, inherited = question, named, False
    if previous_question and (len(cues.content_words) < 2 or cues.other_cases) and not named:
        topic = previous_question
        if cues.other_cases:  # "and in the other cases?": the topic without the case it was about
            topic = without_names(topic, [c for c in cases if c.case_id in previous_scope])
        query = f"{topic} {question}"
        inherited = True
    if not named and previous_scope:
        if cues.other_cases:
            scope = tuple(c.case_id for c in cases if c.case_id not in previous_scope)
        elif cues.follow_up:
            scope = previous_scope
    if inherited:
        previous = read_question(previous_question or "")
        cues = replace(cues, intent=cues.intent or previous.intent, content_words=previous.content_words)
    return Resolved(query=query, cues=cues, scope=scope, inherited=inherited)


def _topic_question(history: Sequence[Turn], cases: Sequence[CaseInfo]) -> str | None:
    """The latest question of the user that carries a topic of its own: after "Wat werkte goed in
    Noorderpolder?" and "En wat zeiden de bewoners daar?", the first one."""
    asked = [t.content for t in reversed(history) if t.role == "user"]
    for text in asked:
        if len(read_question(text).content_words) >= 2 or named_cases(text, cases):
            return text
    return asked[0] if asked else None


def _section_bonus(section: str | None, cues: QuestionCues) -> float:
    heading = leaf(section)
    if cues.intent == "positive":
        return 1.0 if _POSITIVE_SECTION.search(heading) else -0.5 if _NEGATIVE_SECTION.search(heading) else 0.0
    if cues.intent == "negative":
        return 1.0 if _NEGATIVE_SECTION.search(heading) else -0.5 if _POSITIVE_SECTION.search(heading) else 0.0
    if cues.intent == "advice":
        return 1.0 if _ADVICE_SECTION.search(heading) else 0.0
    return 0.0


def _on_intent(cues: QuestionCues) -> Callable[[str | None], bool]:
    """Whether a passage's section files it under what the question asks for."""
    return lambda section: _section_bonus(section, cues) > 0


def _clause(text: str, start: int, end: int, interview: bool) -> tuple[int, int]:
    """Drop an interview's speaker label ('Wijkregisseur: ') and list bullets so the quote is the
    statement itself. Outside interviews a label is part of the finding ('Spreiding over vormen van
    participatie: elke case ...')."""
    sentence = text[start:end]
    label = _SPEAKER.match(sentence) if interview else None
    if label and not sentence.startswith(("Interviewer", "Vraag")):
        start += label.end()
    while start < end and text[start] in "•-–· ":
        start += 1
    colon = text.find(": ", start, end)
    if colon - start >= _MIN_QUOTE and tabular(text[colon + 2 : end], min_words=15, share=0.4):
        # A table that text extraction ran into the sentence announcing it ("... en nam 12
        # aanbevelingen over: Nr. Aanbeveling Besluit raad 1 ..."): quote the clause up to the colon.
        end = colon + 1
    return start, end


def candidates(
    hits: Sequence[Hit],
    sentences: dict[int, list[Sentence]],
    query_vector: np.ndarray,
    query_tokens: dict[str, float],
    cues: QuestionCues,
    config: AnswerSettings,
) -> list[Candidate]:
    """Every quotable sentence of the retrieved passages, scored against the question (`query_tokens`:
    its words, each with its weight in the word overlap)."""
    found: list[Candidate] = []
    for rank, hit in enumerate(hits):
        items = sentences.get(hit.chunk_id, [])
        passage = _passage_terms(hit, cues)
        interview = (hit.kind or "").startswith("interview")
        as_passage = [float(np.dot(query_vector, item.vector)) for item in items]  # also the abstention's support
        as_question = [float(np.dot(query_vector, item.as_question)) for item in items]
        own = [_own(p, q, config) for p, q in zip(as_passage, as_question, strict=True)]
        parts = [
            ScoreParts(
                as_passage=as_passage[index],
                as_question=as_question[index],
                beside=max((own[j] for j in (index - 1, index + 1) if 0 <= j < len(own)), default=None),
                overlap=_overlap(hit.text[item.start : item.end], query_tokens),
                section=passage.section,
                typed=bool(cues.answer_type and looks_like(cues.answer_type, hit.text[item.start : item.end])),
                held_back=passage.held_back,
                rank=rank,
            )
            for index, item in enumerate(items)
        ]
        for index, item in enumerate(items):
            start, end = item.start, item.end
            sentence = hit.text[start:end]
            if _DISCLAIMER in sentence.lower() or sentence.rstrip().endswith("?"):
                continue  # the fictional-material notice; interviewers' questions
            if sentence.startswith(("Interviewer:", "Vraag:")) or sentence.count("|") >= 2:
                continue  # interviewers' prompts; table rows ("Casus | Gemeente | ...") are not findings
            a, b = _clause(hit.text, start, end, interview=interview)
            if tabular(hit.text[a:b]):
                continue  # a table whose cells text extraction ran together
            similarity = as_passage[index]
            score = weigh(parts[index], config)
            follower = _follower(hit.text, end, index, items) if b == end else None
            short = b - a < _MIN_QUOTE  # too short to stand alone ("Drie dingen." without its speaker)
            if short and follower is None:
                continue
            if follower is not None:
                # The sentence after often holds the fact ("... 81 aanvragen binnen. Daarvan werden er
                # 63 gehonoreerd."): quote both, as one contiguous span, when that scores better and the
                # sentence after leans on this one; one that stands alone is quoted alone.
                f_start, f_end = follower
                pair = (parts[index], parts[index + 1])
                joined = _best(pair, config)
                leans = _REFERS_BACK.match(hit.text, f_start) is not None
                if (joined > score and leans) or short:
                    found.append(Candidate(hit, a, f_end, item.page, joined, similarity, 2, rank, pair))
                    continue
            found.append(Candidate(hit, a, b, item.page, score, similarity, 1, rank, (parts[index],)))
    return sorted(found, key=lambda c: -c.score)


@dataclass(frozen=True)
class _PassageTerms:
    """What a sentence's score owes to the passage it stands in, the same for all its sentences."""

    section: float  # how well the section matches the intent
    held_back: bool  # opening lines, a list of sources, or how the study was done


def _passage_terms(hit: Hit, cues: QuestionCues) -> _PassageTerms:
    # A document's opening lines (under its title) say who and what it is about, not what was found;
    # nor does a list of sources ("Jaarverslag Initiatievenfonds 2014, maart 2015." names a document);
    # nor, unless the question is about the research, how the study was done.
    opening = bool(hit.section and hit.title and hit.section.strip() == hit.title.strip())
    sources = bool(_REFERENCES.match(leaf(hit.section).strip()))
    method = hit.case_id is None and not cues.about_research and bool(_METHOD.search(f"{hit.title} {hit.section}"))
    return _PassageTerms(section=_section_bonus(hit.section, cues), held_back=opening or sources or method)


def _own(as_passage: float, as_question: float, config: AnswerSettings) -> float:
    """A sentence's own similarity, its two forms mixed as the settings say."""
    return mix_forms(as_passage, as_question, config.question_form_weight)


def weigh(parts: ScoreParts, config: AnswerSettings) -> float:
    """A sentence's score (pure). Its own similarity is mixed with the best of its neighbours': the
    sentence after the one that restates the question (or after the interviewer's question) is often
    the one that answers it. Then word overlap, section and kind of answer add; held-back passages
    and lower-ranked ones lose a little."""
    dense = _own(parts.as_passage, parts.as_question, config)
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


def _overlap(sentence: str, query_tokens: dict[str, float]) -> float:
    shared = _sentence_tokens(sentence) & query_tokens.keys()
    total = sum(query_tokens.values())
    return sum(query_tokens[t] for t in shared) / total if total else 0.0


@lru_cache(maxsize=65_536)
def _sentence_tokens(sentence: str) -> frozenset[str]:
    """A sentence's stemmed words; the same sentences come back question after question."""
    return frozenset(tokenize(sentence))


def _follower(text: str, end: int, index: int, sentences: list[Sentence]) -> tuple[int, int] | None:
    """The next quotable sentence when it follows directly in the same paragraph."""
    if index + 1 >= len(sentences):
        return None
    following = sentences[index + 1]
    if _DISCLAIMER in text[following.start : following.end].lower():
        return None
    between = text[end : following.start]
    if "\n" in between or between.strip() or len(text[following.start : following.end]) > 240:
        return None
    return following.start, following.end


def select(
    found: list[Candidate], config: AnswerSettings, single_case: bool, max_cases: int | None = None
) -> list[list[Candidate]]:
    """Groups (study first, then cases by their best sentence) of one to three quotes each."""
    if not found:
        return []
    best = found[0].score
    groups: dict[str, list[Candidate]] = {}
    used_chunks: set[int] = set()
    for candidate in found:
        if candidate.score < best - config.group_margin:
            break
        group = groups.setdefault(candidate.group, [])
        if candidate.hit.chunk_id in used_chunks and not single_case:
            continue
        over_budget = sum(c.sentences for c in group) + candidate.sentences > config.sentences_per_case
        if over_budget or (group and candidate.score < group[0].score - config.quote_margin):
            continue
        if any(
            c.hit.chunk_id == candidate.hit.chunk_id and c.start < candidate.end and candidate.start < c.end
            for c in group
        ):
            continue  # overlaps a quote already taken from this passage
        if any(candidate.quote in c.quote or c.quote in candidate.quote for g in groups.values() for c in g):
            continue  # the same words from an overlapping passage (passages share sentences at their edges)
        group.append(candidate)
        used_chunks.add(candidate.hit.chunk_id)

    def standing(group: list[Candidate]) -> float:
        # a case's best sentence, and how well retrieval ranked its best passage
        return group[0].score + config.case_rank_weight / (1 + min(c.passage_rank for c in group))

    ordered = sorted((g for g in groups.values() if g), key=lambda g: (g[0].group != "", -standing(g)))
    study = [g for g in ordered if g[0].group == ""]
    cases = [g for g in ordered if g[0].group != ""][: max_cases or config.max_cases]
    return study[:1] + cases


#: What the quoted cases do, per language and intent: "In 4 van de 8 casussen noemen betrokkenen ...".
_THEY_SAY = {
    "en": {
        "positive": "mention what worked",
        "negative": "mention points of attention",
        "advice": "give advice",
        None: "have passages on this question",
    },
    "nl": {
        "positive": "noemen betrokkenen wat goed werkte",
        "negative": "noemen betrokkenen aandachtspunten",
        "advice": "geven betrokkenen adviezen",
        None: "gaan passages op deze vraag in",
    },
}


def _lead(cues: QuestionCues, groups: list[list[Candidate]], total_cases: int) -> str:
    case_groups = [g for g in groups if g[0].group]
    k = len(case_groups)
    english = cues.language == "en"
    what = _THEY_SAY["en" if english else "nl"][cues.intent]
    if k == 1 and len(groups) > 1:  # the study's own finding first, then one case
        hit = case_groups[0][0].hit
        case = f"{hit.case_title} ({hit.municipality})"
        if english:
            return f"The study as a whole and the case {case} address this (quoted in Dutch):"
        return f"Het onderzoek als geheel en de casus {case} gaan hierop in:"
    if k == 1:
        hit = case_groups[0][0].hit
        if english:
            said = f"those involved {what}" if cues.intent else "the sources say"
            return f"In the case {hit.case_title} ({hit.municipality}) {said} (quoted in Dutch):"
        return f"In de casus {hit.case_title} ({hit.municipality}) {what if cues.intent else 'staat hierover'}:"
    if k == 0:
        return (
            "The study as a whole addresses this (quoted in Dutch):"
            if english
            else "Het onderzoek als geheel gaat hierop in:"
        )
    if english:
        count = _NUMBERS_EN[k] if k < len(_NUMBERS_EN) else str(k)
        total = _NUMBERS_EN[total_cases] if total_cases < len(_NUMBERS_EN) else str(total_cases)
        return f"{count.capitalize()} of the {total} cases {what} (quoted in Dutch):"
    return f"In {k} van de {total_cases} casussen {what}:"


@dataclass(frozen=True)
class Signals:
    """How strongly the study answers to a question, for deciding to abstain."""

    relevance: float  # main encoder: best passage cosine + peak_weight * (best - median cosine)
    topicality: float | None  # guard encoder: best cosine over the retrieved passages (None: no guard)
    unknown_words: bool  # the question uses a word (4+ letters) that the study never does
    support: float = 0.0  # main encoder: the best cosine of a quotable sentence of those passages
    elsewhere: float | None = None  # guard encoder: best cosine to the background questions (None: no list)


def abstains(signals: Signals, language: str, config: AnswerSettings) -> tuple[bool, float, float]:
    """Whether to abstain, with the score and the bar it was held against (pure).

    With a guard encoder the score is relevance + guard_weight * topicality + support_weight * support
    - background_weight * elsewhere against a bar per language (for Dutch, another one when the question
    uses a word the study never does; an English question always does). Without background questions
    the score lacks its last term and faces bars chosen for that. Without a guard, relevance alone
    against bars chosen the same way. `python -m benchmarks.abstention` chooses the bars."""
    if signals.topicality is not None:
        score = signals.relevance + config.guard_weight * signals.topicality + config.support_weight * signals.support
        if signals.elsewhere is not None and config.background_weight > 0:
            score -= config.background_weight * signals.elsewhere
            if language == "en":
                bar = config.guarded_bar_en
            else:
                bar = config.guarded_bar_nl_unknown if signals.unknown_words else config.guarded_bar_nl
        else:
            bar = config.guarded_bar_en_alone if language == "en" else config.guarded_bar_nl_alone
    else:
        score = signals.relevance
        if not signals.unknown_words:
            bar = config.abstain_below
        else:
            bar = config.abstain_unknown_en if language == "en" else config.abstain_unknown_nl
    return score < bar, score, bar


def _abstain(question: str, cues: QuestionCues, near: Sequence[Hit]) -> Answer:
    topics: list[str] = []
    for hit in near:
        label = f"{hit.case_title} ({hit.municipality})" if hit.case_id else None
        if label and label not in topics:
            topics.append(label)
    if cues.language == "en":
        text = "The study does not address this question: I found no passages that answer it."
        if topics:
            text += " Closest topics the study does cover: " + "; ".join(topics[:3]) + "."
    else:
        text = "Het onderzoek gaat niet over deze vraag: ik vond geen passages die haar beantwoorden."
        if topics:
            text += " Wel dichtbij liggen: " + "; ".join(topics[:3]) + "."
    return Answer(question=question, text=text, abstained=True, language=cues.language, suggestions=tuple(topics[:3]))


@dataclass(frozen=True)
class Retrieved:
    """The passages an answer is composed from, and what it took to find them."""

    version: IndexVersion  # the one index version everything below comes from
    resolved: Resolved
    filters: Filters
    focus: str  # the query without the names of the cases it is restricted to
    query_vector: np.ndarray  # of the focus
    hits: list[Hit]
    found: list[Candidate]  # their quotable sentences, best first
    signals: Signals


def retrieve(
    retriever: Retriever, question: str, filters: Filters, history: Sequence[Turn], settings: Settings
) -> Retrieved:
    """Read the question in its conversation, restrict it to what it names, and fetch the passages."""
    config = settings.answer
    version = retriever.version()
    cases = list(version.cases.values())
    resolved = resolve(question, history, cases)
    cues = resolved.cues
    if filters.case is None and filters.municipality is None and resolved.scope:
        filters = replace(filters, scope=resolved.scope)
    if filters.kind is None and cues.kind is not None:
        filters = replace(filters, kind=cues.kind)
    # Once retrieval is restricted to the cases a question names, their names match all of it alike:
    # passages are ranked and sentences scored by the rest of the question (the focus). How close the
    # study is to the question as asked still decides abstention.
    focus = focus_of(resolved.query, filters, version)
    texts = [resolved.query] if focus == resolved.query else [resolved.query, focus]
    vectors = retriever.embedder.embed_queries(texts)
    asked_vector, query_vector = vectors[0], vectors[-1]
    # The guard ranks passages for English questions only; for others it just measures topicality.
    guard_texts = texts if cues.language == "en" else texts[:1]
    guards = retriever.guard.embed_queries(guard_texts) if retriever.guard and retriever.guarded(version) else None
    asked_guard = guards[0] if guards is not None else None
    guard_vector = guards[-1] if guards is not None and cues.language == "en" else None  # else rank() embeds if needed
    ranking = retriever.rank(
        resolved.query,
        k=config.passages,
        filters=filters,
        query_vector=query_vector,
        auto_scope=False,
        guard_vector=guard_vector,
        version=version,
    )
    # Depth and breadth: the best passages whatever their case (a question about one case needs
    # several of its passages), then the best per case (a cross-case question needs several cases).
    deep = retriever.hits(ranking, config.passages, per_case=0)
    broad = retriever.hits(ranking, config.passages, per_case=config.broad_per_case)
    seen = {h.chunk_id for h in deep}
    hits = deep + [h for h in broad if h.chunk_id not in seen]
    if cues.intent is not None:
        # "What worked?" is answered first of all by what the study files under success factors
        # ("what went wrong?" under points of attention): the best such passages join, per case.
        seen = {h.chunk_id for h in hits}
        hits += [
            h
            for h in retriever.hits(
                ranking, config.intent_passages, per_case=config.intent_per_case, where=_on_intent(cues)
            )
            if h.chunk_id not in seen
        ]
    if hits and config.sentence_passages:
        # A passage whose one sentence answers the question can rank low as a whole ("Panelleden
        # ontvingen per bijgewoonde sessie een cadeaubon van € 50." in a passage about the sessions):
        # the passages of the closest sentences join, after the retrieved ones, when those sentences
        # are closer than every sentence retrieved.
        closest = version.closest_sentences(
            query_vector,
            config.question_form_weight,
            ranking.allowed,
            config.sentence_passages,
            {h.chunk_id for h in hits},
        )
        rows = version.chunk_rows(closest)
        lowest = min(h.score for h in hits)
        hits += [version.hit(rows[c], len(hits) + i, lowest) for i, c in enumerate(closest) if c in rows]
    if filters.cases:  # a synthesis passage about another case that happens to name this one's municipality
        hits = [h for h in hits if h.case_id is None or h.case_id in filters.cases]
    hits = sorted(hits, key=lambda h: -h.score)
    topicality = None
    if asked_guard is not None:
        topicality = version.topicality(asked_guard, [h.chunk_id for h in hits])
    sentences = version.sentences([h.chunk_id for h in hits])
    words = set(tokenize(focus))
    weights = {word: version.lexical.idf(word) if config.lexical_idf else 1.0 for word in words}
    found = candidates(hits, sentences, query_vector, weights, cues, config)
    signals = Signals(
        relevance=version.relevance(asked_vector, config.peak_weight),
        topicality=topicality,
        unknown_words=any(not version.knows_word(t) for t in tokenize(resolved.query) if len(t) >= 4),
        support=max((c.similarity for c in found), default=0.0),
        elsewhere=_elsewhere(retriever, asked_guard, cues),
    )
    return Retrieved(version, resolved, filters, focus, query_vector, hits, found, signals)


def _elsewhere(retriever: Retriever, guard_vector: np.ndarray | None, cues: QuestionCues) -> float | None:
    """How close the question is to the background questions (None: there are none, or no guard)."""
    if retriever.background is None or guard_vector is None:
        return None
    if cues.names_study:  # put to the study or its cases, however everyday its words
        return 0.0
    return retriever.background.closeness(guard_vector)


def compose_answer(
    retriever: Retriever,
    question: str,
    filters: Filters,
    history: Sequence[Turn],
    settings: Settings,
) -> Answer:
    return compose(question, retrieve(retriever, question, filters, history, settings), settings)


def compose(question: str, got: Retrieved, settings: Settings) -> Answer:
    """The answer to a question from what `retrieve` found for it: quotes, or an abstention."""
    config = settings.answer
    filters, hits, cues, version, found = got.filters, got.hits, got.resolved.cues, got.version, got.found
    abstain, score, bar = abstains(got.signals, cues.language, config)
    if not found or abstain:
        return _abstain(question, cues, hits if score >= bar - config.suggest_within else [])

    # a fact is one case's ("Hoeveel panelleden waren jonger dan 25?"), unless the question spans
    # cases ("Hoeveel gemeenten werkten met loting?")
    factoid = cues.answer_type is not None and not cues.other_cases and not cues.across_cases
    groups = select(found, config, filters.single_case, config.factoid_cases if factoid else None)
    outline = find_outline(hits, cues, version.subsections, config.outline_parts, filters.cases)
    if outline is not None:  # the question asks for that section's parts: the rest of the study is beside it
        groups = [g for g in groups if g[0].group == outline.group]
    citations: list[Citation] = []
    numbers: dict[int, int] = {}

    def cite(candidate: Candidate) -> int:
        """The passage's citation number (numbered by first use); a second quote from the same
        passage is added to its citation."""
        n = numbers.get(candidate.hit.chunk_id)
        if n is None:
            n = numbers[candidate.hit.chunk_id] = len(citations) + 1
            citations.append(_citation(n, candidate))
        else:
            citations[n - 1] = replace(citations[n - 1], quote=f"{citations[n - 1].quote} … {candidate.quote}")
        return n

    def heading(hit: Hit) -> str:
        if hit.case_id:
            return f"**{hit.case_title}** ({hit.municipality})"
        return "**Het onderzoek als geheel**" if cues.language == "nl" else "**The study as a whole**"

    def outline_lines(outline: Outline) -> list[str]:
        lines = [
            f"- Onder het kopje “{outline.name}” staan:"
            if cues.language == "nl"
            else f"- Under the heading “{outline.name}”:"
        ]
        for part in outline.parts:
            span = heading_span(part)
            if span is not None:
                quoted = Candidate(part, span[0], span[1], part.page, 0.0, 0.0)
                lines.append(f"  - “{quoted.quote}” [{cite(quoted)}]")
        return lines

    lines = [_lead(cues, groups, len(version.cases)), ""]
    placed = outline is None
    if outline is not None and outline.group == "" and not any(g[0].group == "" for g in groups):
        lines += [heading(outline.parts[0]), *outline_lines(outline), ""]
        placed = True
    for group in groups:
        lines.append(heading(group[0].hit))
        for candidate in sorted(group, key=lambda c: (c.hit.chunk_id, c.start)):
            n = cite(candidate)
            lines.append(f"- “{candidate.quote}” [{n}]")
            items = list_items(candidate.hit.text, candidate.end)  # the list the quote announces
            for a, b in items:
                item = replace(candidate, start=a, end=b)
                lines.append(f"  - “{item.quote}” [{cite(item)}]")
            quoted = {candidate.hit.text[a:b] for a, b in items}
            passage, more = candidate.hit, items
            while len(quoted) < _LONGEST_LIST and list_continues(passage.text, more):
                following = version.next_passage(passage)  # ... where it runs on into the next passage
                if following is None:
                    break
                last = passage.text[more[-1][0] : more[-1][1]] if more else ""
                more = continued_items(following.text, quoted, cut=not last.endswith((".", "!", "?", ";", ":")))
                for a, b in more:
                    item = Candidate(following, a, b, following.page, 0.0, 0.0)
                    lines.append(f"  - “{item.quote}” [{cite(item)}]")
                    quoted.add(item.quote)
                passage = following
        if outline is not None and not placed and outline.group == group[0].group:
            lines += outline_lines(outline)
            placed = True
        lines.append("")
    if outline is not None and not placed:
        lines += [heading(outline.parts[0]), *outline_lines(outline), ""]
    scope = tuple(dict.fromkeys(c.case_id for c in citations if c.case_id))
    return Answer(
        question=question,
        text="\n".join(lines).strip(),
        abstained=False,
        citations=tuple(citations),
        language=cues.language,
        scope=scope,
    )


def _citation(n: int, candidate: Candidate) -> Citation:
    hit = candidate.hit
    return Citation(
        n=n,
        chunk_id=hit.chunk_id,
        case_id=hit.case_id,
        case_title=hit.case_title,
        municipality=hit.municipality,
        document=hit.document,
        kind=hit.kind,
        title=hit.title,
        page=candidate.page if candidate.page is not None else hit.page,
        section=hit.section,
        text=hit.text,
        quote=candidate.quote,
        start=hit.start,
        end=hit.end,
    )
