"""Gather what an answer is composed from: every read of the index happens here (and in
`qa.answer.factors`, which it calls)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from qa.answer.abstention import Signals
from qa.answer.factors import Factor, read_factors
from qa.answer.reading import Resolved, resolve
from qa.answer.structure import Outline, ends_in_list, find_outline
from qa.answer.vocabulary import on_intent
from qa.index.lexical import tokenize
from qa.index.version import SentenceForm
from qa.records import Turn
from qa.search.question import QuestionCues, looks_like, topic_of
from qa.search.retrieval import Filters, Hit, IndexVersion, Ranking, Retriever, Sentence
from qa.search.retrieval import focus as focus_of
from qa.settings import AnswerSettings, Settings


@dataclass(frozen=True)
class CaseEvidence:
    """How close a case's own best passage comes to a question, ranked inside the case."""

    dense: float  # its cosine to the question
    lexical: float  # its BM25 score as a share of the best passage's in the whole search
    guard: float  # the guard encoder's cosine (-1: no guard)
    topic: float = -1.0  # the guard encoder's cosine to the question's topic alone (-1: no guard)


@dataclass(frozen=True)
class Gathered:
    """Everything an answer is composed from, read from one index version: the passages, their
    sentences and vectors, and what the abstention weighs. Nothing after gathering reads the index."""

    version: IndexVersion  # the one index version everything below comes from
    resolved: Resolved
    filters: Filters
    focus: str  # the query without the names of the cases it is restricted to
    query_vector: np.ndarray  # of the focus
    hits: list[Hit]
    signals: Signals  # all but `support`, which scoring adds
    weights: dict[str, float] = field(default_factory=dict)  # the focus's words, each with its weight in overlap
    ranks: dict[int, int] | None = None  # across cases: each passage's place inside its case
    across: bool = False  # answered case by case: every case considered is judged on its own
    considered: tuple[str, ...] = ()  # the cases considered, in the study's order (when `across`)
    evidence: dict[str, CaseEvidence] = field(default_factory=dict)  # per considered case, "" for the study
    sentences: dict[int, list[Sentence]] = field(default_factory=dict)  # of the hits, by chunk id
    factors: tuple[Factor, ...] = ()  # the study's overarching factors, for "what worked / went wrong" across cases
    outline: Outline | None = None  # the section whose parts the question asks to enumerate
    following: dict[int, Hit] = field(default_factory=dict)  # the passage after one whose list runs on
    total_cases: int = 0  # in the index version


def gather(
    retriever: Retriever, question: str, filters: Filters, history: Sequence[Turn], settings: Settings
) -> Gathered:
    """Read the question in its conversation, restrict it to what it names, and fetch the passages
    (per case, for a question answered across cases) with all else the answer needs."""
    config = settings.answer
    version = retriever.version()
    resolved = resolve(question, history, list(version.cases.values()), config.words)
    cues = resolved.cues
    filters = _restricted(filters, resolved)
    # Once retrieval is restricted to the cases a question names, their names match all of it alike:
    # passages are ranked and sentences scored by the rest of the question (the focus). How close the
    # study is to the question as asked still decides abstention.
    focus = focus_of(resolved.query, filters, version)
    vectors = _embed_question(retriever, version, resolved, focus)
    ranking, hits = _retrieved(retriever, version, resolved, filters, vectors, config)
    across = spans_cases(cues, filters)
    by_case = _ByCase({}, (), {})
    if across:
        by_case = _by_case(
            retriever, version, cues, filters, focus, vectors.query, ranking, vectors.guard, vectors.asked_guard
        )
        hits = _with_case_passages(version, ranking, hits, by_case)
    if hits and config.sentence_passages:
        hits = _with_closest_sentences(version, vectors.query, ranking, hits, config, cues)
    if filters.cases:  # a synthesis passage about another case that happens to name this one's municipality
        hits = [h for h in hits if h.case_id is None or h.case_id in filters.cases]
    hits = sorted(hits, key=lambda h: -h.score)
    signals = _signals(retriever, version, resolved, hits, vectors, config)
    factors = (
        read_factors(version, config.outline_parts, config.words)
        if across and cues.intent in ("positive", "negative")
        else ()
    )
    outline = find_outline(hits, cues, version.subsections, config.outline_parts, filters.cases)
    if across and outline is not None and outline.group:
        outline = None  # one case's list of parts does not answer a question put to every case
    return Gathered(
        version,
        resolved,
        filters,
        focus,
        vectors.query,
        hits,
        signals,
        _weights(version, focus, config),
        by_case.ranks if across else None,
        across,
        by_case.considered,
        by_case.evidence,
        version.sentences([h.chunk_id for h in hits]),
        factors,
        outline,
        _following(version, hits),
        len(version.cases),
    )


def _restricted(filters: Filters, resolved: Resolved) -> Filters:
    """The filters, restricted further to the scope and the kind of document the question names."""
    if filters.case is None and filters.municipality is None and resolved.scope:
        filters = replace(filters, scope=resolved.scope)
    if filters.kind is None and resolved.cues.kind is not None:
        filters = replace(filters, kind=resolved.cues.kind)
    return filters


@dataclass(frozen=True)
class _QuestionVectors:
    """The question embedded: as asked and as its focus, by the encoder and by the guard encoder."""

    asked: np.ndarray  # the question as asked
    query: np.ndarray  # its focus
    asked_guard: np.ndarray | None  # the question as asked, by the guard (None: no guard)
    guard: np.ndarray | None  # its focus by the guard, for an English question (else rank() embeds if needed)


def _embed_question(retriever: Retriever, version: IndexVersion, resolved: Resolved, focus: str) -> _QuestionVectors:
    texts = [resolved.query] if focus == resolved.query else [resolved.query, focus]
    vectors = retriever.encoder_for(version).embed_queries(texts)
    english = resolved.cues.language == "en"
    # The guard ranks passages for English questions only; for others it just measures topicality.
    guard_texts = texts if english else texts[:1]
    guards = retriever.guard.embed_queries(guard_texts) if retriever.guard and retriever.guarded(version) else None
    return _QuestionVectors(
        vectors[0],
        vectors[-1],
        guards[0] if guards is not None else None,
        guards[-1] if guards is not None and english else None,
    )


def _retrieved(
    retriever: Retriever,
    version: IndexVersion,
    resolved: Resolved,
    filters: Filters,
    vectors: _QuestionVectors,
    config: AnswerSettings,
) -> tuple[Ranking, list[Hit]]:
    """The passages ranked, and the best taken. Depth and breadth: the best passages whatever their case
    (a question about one case needs several of its passages), then the best per case (a cross-case
    question needs several cases)."""
    ranking = retriever.rank(
        resolved.query,
        k=config.passages,
        filters=filters,
        query_vector=vectors.query,
        auto_scope=False,
        guard_vector=vectors.guard,
        version=version,
    )
    cues = resolved.cues
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
                ranking,
                config.intent_passages,
                per_case=config.intent_per_case,
                where=lambda section: on_intent(section, cues, config.words),
            )
            if h.chunk_id not in seen
        ]
    return ranking, hits


def _with_case_passages(version: IndexVersion, ranking: Ranking, hits: list[Hit], by_case: _ByCase) -> list[Hit]:
    """The hits, then each case's best passages not among them yet (scored as fused, else the lowest)."""
    seen = {h.chunk_id for h in hits}
    rows = version.chunk_rows([c for c in by_case.ranks if c not in seen])
    lowest = min((h.score for h in hits), default=0.0)
    return hits + [version.hit(rows[c], len(hits) + i, ranking.fused.get(c, lowest)) for i, c in enumerate(rows)]


def _with_closest_sentences(
    version: IndexVersion,
    query_vector: np.ndarray,
    ranking: Ranking,
    hits: list[Hit],
    config: AnswerSettings,
    cues: QuestionCues,
) -> list[Hit]:
    """A passage whose one sentence answers the question can rank low as a whole ("Panelleden
    ontvingen per bijgewoonde sessie een cadeaubon van € 50." in a passage about the sessions):
    the passages of the closest sentences join, after the retrieved ones, when those sentences
    are closer than every sentence retrieved."""
    hits = hits + _closest_passages(version, query_vector, ranking, hits, config, None)
    answer_type = cues.answer_type
    if answer_type is None:
        return hits
    # and a question of how many, how much, when or why is answered by a sentence of that form,
    # which many passages on the topic can push out ("Er wordt voldaan aan 47 van 56
    # succescriteria (83 %)." in a report with a passage per criterion): the closest sentences
    # of that form join, when closer than every sentence of that form retrieved
    form = SentenceForm(f"{answer_type} {config.words.files}", lambda text: looks_like(answer_type, text, config.words))
    return hits + _closest_passages(version, query_vector, ranking, hits, config, form)


def _signals(
    retriever: Retriever,
    version: IndexVersion,
    resolved: Resolved,
    hits: Sequence[Hit],
    vectors: _QuestionVectors,
    config: AnswerSettings,
) -> Signals:
    """What the abstention weighs, but `support` (which scoring adds)."""
    topicality = None
    if vectors.asked_guard is not None:
        topicality = version.topicality(vectors.asked_guard, [h.chunk_id for h in hits])
    return Signals(
        relevance=version.relevance(vectors.asked, config.peak_weight),
        topicality=topicality,
        unknown_words=any(not version.knows_word(t) for t in tokenize(resolved.query) if len(t) >= 4),
        elsewhere=_elsewhere(retriever, vectors.asked_guard, resolved.cues),
    )


def _weights(version: IndexVersion, focus: str, config: AnswerSettings) -> dict[str, float]:
    """The focus's terms as BM25 matches them (a compound's parts too), each with its weight in the word
    overlap (its idf, or 1)."""
    lexical = version.lexical
    return {term: lexical.idf(term) if config.lexical_idf else 1.0 for term in set(lexical.terms(focus))}


def _closest_passages(
    version: IndexVersion,
    query_vector: np.ndarray,
    ranking: Ranking,
    hits: Sequence[Hit],
    config: AnswerSettings,
    form: SentenceForm | None,
) -> list[Hit]:
    """The passages of the sentences closest to the question (of that form), after the
    retrieved ones (`IndexVersion.closest_sentences`)."""
    closest = version.closest_sentences(
        query_vector,
        config.question_form_weight,
        ranking.allowed,
        config.sentence_passages,
        {h.chunk_id for h in hits},
        form,
    )
    rows = version.chunk_rows(closest)
    lowest = min(h.score for h in hits)
    return [version.hit(rows[c], len(hits) + i, lowest) for i, c in enumerate(closest) if c in rows]


@dataclass(frozen=True)
class _ByCase:
    """What gathering case by case found: each case's best passages (chunk id -> its place inside its
    case), the cases considered and the evidence on each."""

    ranks: dict[int, int]
    considered: tuple[str, ...]
    evidence: dict[str, CaseEvidence]


def _by_case(
    retriever: Retriever,
    version: IndexVersion,
    cues: QuestionCues,
    filters: Filters,
    focus: str,
    query_vector: np.ndarray,
    ranking: Ranking,
    guard_vector: np.ndarray | None,
    asked_guard: np.ndarray | None,
) -> _ByCase:
    """Case by case: each case's passages ranked inside the case, and its best ones (and, for "what
    worked / went wrong", its best filed under that heading) taken, so that a case with few passages on
    a theme is judged on them, not crowded out by cases with many."""
    config = retriever.settings.answer
    allowed_cases = set(filters.cases) if filters.cases else None
    considered = tuple(c for c in version.cases if allowed_cases is None or c in allowed_cases)
    per_case = retriever.rank_cases(version, focus, query_vector, ranking.allowed, guard_vector, asked_guard)
    topic = _topic_closeness(retriever, version, focus)
    evidence = {
        case or "": CaseEvidence(
            per_case.dense.get(case, -1.0),
            per_case.lexical.get(case, 0.0),
            per_case.guard.get(case, -1.0),
            topic.get(case, -1.0),
        )
        for case in (*considered, None)
    }
    table = version.passages()
    sections = dict(zip(table.ids.tolist(), table.sections, strict=True))
    ranks: dict[int, int] = {}
    for case in considered:
        ids = per_case.ordered.get(case, [])
        take = ids[: config.case_passages]
        if cues.intent is not None:
            filed = [i for i in ids if on_intent(sections.get(i), cues, config.words) and i not in take]
            take += filed[: config.case_intent_passages]
        ranks.update({chunk_id: rank for rank, chunk_id in enumerate(ids) if chunk_id in take})
    return _ByCase(ranks, considered, evidence)


def _topic_closeness(retriever: Retriever, version: IndexVersion, focus: str) -> dict[str | None, float]:
    """Per case (None: the study), the guard encoder's best cosine between its passages and the
    question's topic (`qa.search.question.topic_of`): the words that ask what worked are the same for every
    case, the topic is what tells them apart, and the guard encoder aligns English with Dutch. Empty
    without a guard."""
    table = version.passages()
    if retriever.guard is None or not retriever.guarded(version) or table.guard is None:
        return {}
    cosines = table.guard @ retriever.guard.embed_queries([topic_of(focus, retriever.settings.answer.words)])[0]
    best: dict[str | None, float] = {}
    for case, cosine in zip(table.cases, cosines.tolist(), strict=True):
        best[case] = max(best.get(case, -1.0), cosine)
    return best


def _following(version: IndexVersion, hits: Sequence[Hit], depth: int = 3) -> dict[int, Hit]:
    """For each passage that ends in a bulleted list, the passage after it in the same section (and
    after that one, up to `depth`): where a quoted list runs on."""
    found: dict[int, Hit] = {}
    frontier = [h for h in hits if ends_in_list(h.text)]
    for _ in range(depth):
        reached = []
        for hit in frontier:
            following = version.next_passage(hit) if hit.chunk_id not in found else None
            if following is not None:
                found[hit.chunk_id] = following
                if ends_in_list(following.text):
                    reached.append(following)
        frontier = reached
    return found


def spans_cases(cues: QuestionCues, filters: Filters) -> bool:
    """Whether a question is answered case by case: it is not restricted to one case, and it does not
    ask for one case's fact ("Hoeveel panelleden waren jonger dan 25?") unless it spans cases ("Hoeveel
    gemeenten werkten met loting?")."""
    factoid = cues.answer_type is not None and not cues.other_cases and not cues.across_cases
    return not filters.single_case and not factoid


def _elsewhere(retriever: Retriever, guard_vector: np.ndarray | None, cues: QuestionCues) -> float | None:
    """How close the question is to the background questions (None: there are none, or no guard)."""
    if retriever.background is None or guard_vector is None:
        return None
    if cues.names_study:  # put to the study or its cases, however everyday its words
        return 0.0
    return retriever.background.closeness(guard_vector)
