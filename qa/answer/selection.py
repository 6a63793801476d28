"""Select the quotes of an answer: which cases, and one to three sentences each (pure)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from qa.answer.gathering import CaseEvidence
from qa.answer.scoring import Candidate
from qa.records import CaseInfo, CaseVerdict
from qa.search.question import QuestionCues, counts_named
from qa.settings import AnswerSettings


def decision_features(
    found: Sequence[Candidate], considered: Sequence[str], evidence: Mapping[str, CaseEvidence]
) -> dict[str, tuple[float, float, float, float, float]]:
    """What the decision on each case rests on (pure): how far its best sentence's score falls below the
    best case's, how far its best passage's cosine falls below the best case's, its best passage's BM25
    score as a share of the best (weighed by the share of the question's words the study uses), how
    far its best passage's guard-encoder cosine falls below the best case's, and the same for the
    question's topic alone (`qa.search.question.topic_of`). All relative to the best
    of the cases and of the study as a whole (`evidence[""]`), so that one bar serves questions that the
    study answers closely and loosely, in either language, and questions that only one case or only
    the study as a whole answers leave the other cases behind."""
    best: dict[str, float] = {}
    for candidate in found:
        if candidate.score > best.get(candidate.group, -1.0):
            best[candidate.group] = candidate.score
    # the best of the cases and of the study as a whole ("" : its synthesis and method report): a question
    # the study answers as a whole ("Welke aanbevelingen doet het onderzoek?") leaves every case far behind
    reference = ["", *considered]
    top = max((best.get(c, -1.0) for c in reference), default=-1.0)
    missing = CaseEvidence(-1.0, 0.0, -1.0, -1.0)
    top_dense = max((evidence.get(c, missing).dense for c in reference), default=-1.0)
    top_guard = max((evidence.get(c, missing).guard for c in reference), default=-1.0)
    top_topic = max((evidence.get(c, missing).topic for c in reference), default=-1.0)
    return {
        case: (
            best.get(case, -1.0) - top,
            evidence.get(case, missing).dense - top_dense,
            evidence.get(case, missing).lexical,
            evidence.get(case, missing).guard - top_guard,
            evidence.get(case, missing).topic - top_topic,
        )
        for case in considered
    }


def judge_cases(
    found: Sequence[Candidate],
    considered: Sequence[CaseInfo],
    evidence: Mapping[str, CaseEvidence],
    config: AnswerSettings,
    spans: bool = True,
) -> list[CaseVerdict]:
    """Each considered case judged on its own (pure): its features weighed by `case_weights` must clear
    a bar: `case_bar_spanning` when the question's words ask about the cases together (`spans`), else
    `case_bar`, which one case or the study alone answers more often (all chosen by `python -m
    benchmarks.case_decision`). Every case's sentences were
    gathered from its own best passages, ranked inside the case, so each is judged on what it says best.
    The case holding the study's closest sentence always speaks to the question, whatever its passages'
    other evidence: a question on a topic one document treats ("Het IGO.") is answered from that
    document, not from a case the encoders find nearer as a whole."""
    features = decision_features(found, [c.case_id for c in considered], evidence)
    bar = config.case_bar_spanning if spans else config.case_bar
    closest = max(found, key=lambda c: c.score).group if found else ""
    verdicts = []
    for case in considered:
        margin = sum(w * f for w, f in zip(config.case_weights, features[case.case_id], strict=True))
        quotable = any(c.group == case.case_id for c in found)
        relevant = quotable and (margin >= bar or case.case_id == closest)
        verdicts.append(CaseVerdict(case.case_id, case.title, case.municipality, relevant, margin))
    return verdicts


def select(
    found: list[Candidate],
    config: AnswerSettings,
    single_case: bool,
    max_cases: int | None = None,
    relevant: Collection[str] | None = None,
    filed_first: bool = False,
) -> list[list[Candidate]]:
    """Groups (study first, then cases by their best sentence) of one to three quotes each. With
    `relevant` (a question asked across cases), the cases judged to speak to it, each however far
    below the best case its best sentence scores; else the cases within `group_margin` of the best.
    With `filed_first`, a case's findings filed under the asked-for heading go before, and instead of,
    its sentences picked by similarity."""
    if not found:
        return []
    best = max(c.score for c in found)
    if filed_first:
        # "what worked / went wrong" across cases: a case is answered from what the study files under
        # that heading (its success factors, points of attention) when it has any; else by similarity
        filed_groups = {c.group for c in found if _filed(c)}
        found = sorted(
            (c for c in found if _filed(c) or c.group not in filed_groups), key=lambda c: (-_filed(c), -c.score)
        )
    groups: dict[str, list[Candidate]] = {}
    used_chunks: set[int] = set()
    for candidate in found:
        if relevant is not None:
            if candidate.group and candidate.group not in relevant:
                continue
            if not candidate.group and candidate.score < best - config.group_margin:
                continue  # the study as a whole: only where it is as close as the best
        elif candidate.score < best - config.group_margin:
            continue
        group = groups.setdefault(candidate.group, [])
        if candidate.hit.chunk_id in used_chunks and not single_case:
            continue
        if group and candidate.score < group[0].score - config.quote_margin:
            continue
        if _take(candidate, group, groups, config.sentences_per_case):
            used_chunks.add(candidate.hit.chunk_id)

    ranked = _best_ranks(found)

    def standing(group: list[Candidate]) -> float:
        # a case's best sentence, and how well retrieval ranked its best passage (quoted or not)
        return group[0].score + config.case_rank_weight / (1 + ranked[group[0].group])

    ordered = sorted((g for g in groups.values() if g), key=lambda g: (g[0].group != "", -standing(g)))
    study = [g for g in ordered if g[0].group == ""]
    cases = [g for g in ordered if g[0].group != ""][: max_cases or config.max_cases]
    return study[:1] + cases


def _best_ranks(found: Sequence[Candidate]) -> dict[str, int]:
    """Each case's best passage's place among the retrieved ones (of all its candidates)."""
    ranks: dict[str, int] = {}
    for candidate in found:
        ranks[candidate.group] = min(ranks.get(candidate.group, candidate.passage_rank), candidate.passage_rank)
    return ranks


def _take(candidate: Candidate, group: list[Candidate], groups: dict[str, list[Candidate]], sentences: int) -> bool:
    """Add a candidate to its case's quotes (`group`), within the case's `sentences`, and say whether it
    was taken. One that shares words with a quote already taken (from this passage, or the same words
    from an overlapping one: passages share sentences at their edges) is left out, unless it is that
    quote and the sentence beside it, quoted together: then it takes the quote's place."""
    budget = sentences - sum(c.sentences for c in group)
    taken = [c for g in groups.values() for c in g if _overlaps(c, candidate)]
    if not taken:
        if candidate.sentences > budget:
            return False
        group.append(candidate)
        return True
    inner = taken[0]
    if len(taken) > 1 or not _widens(candidate, inner) or candidate.sentences - inner.sentences > budget:
        return False
    place = next((i for i, c in enumerate(group) if c is inner), None)  # among this case's quotes
    if place is None:
        return False
    group[place] = replace(candidate, score=max(candidate.score, inner.score))
    return True


def _overlaps(taken: Candidate, candidate: Candidate) -> bool:
    """Whether two quotes share words: overlapping spans of one passage, or one's words inside the other's."""
    if taken.hit.chunk_id == candidate.hit.chunk_id and taken.start < candidate.end and candidate.start < taken.end:
        return True
    return candidate.quote in taken.quote or taken.quote in candidate.quote


def _widens(wide: Candidate, narrow: Candidate) -> bool:
    """Whether a quote holds another's words and more (a sentence and the one beside it)."""
    return narrow.quote in wide.quote and len(wide.quote) > len(narrow.quote)


def select_typed(
    found: list[Candidate], cues: QuestionCues, config: AnswerSettings, single_case: bool, max_cases: int | None
) -> list[list[Candidate]]:
    """`select` for a question that asks for a kind of answer (a date, an amount, a count, a reason)
    (pure): the cases that answer it, in their order, as `select` finds them; within each, the quotes
    that hold that kind of answer taken first (`typed_first`), as long as the document of the case's
    best quote keeps a quote, and each case read from that document on."""
    groups = select(found, config, single_case, max_cases)
    ordered = typed_first(found, cues, config)
    if not groups or all(a is b for a, b in zip(ordered, found, strict=True)):
        return groups
    kept = [g[0].group for g in groups]
    regrouped = {g[0].group: g for g in select([c for c in ordered if c.group in kept], config, single_case, None)}
    answered = []
    for case, group in zip(kept, groups, strict=True):
        typed = regrouped.get(case, group)
        # the document that answers the case best stays in its answer: another document's date or
        # number does not push it out
        document = group[0].hit.document
        leading = any(c.hit.document == document for c in typed)
        answered.append(sorted(typed, key=lambda c: (c.hit.document != document, -c.score)) if leading else group)
    return answered


def typed_first(found: Sequence[Candidate], cues: QuestionCues, config: AnswerSettings) -> list[Candidate]:
    """The quotes that hold the kind of answer a question asks for before those that do not, among
    those within `group_margin` of the best (pure): "Sinds wanneer ...?" is answered by the sentence
    that gives a date, not by the one that only shares its topic. For a count of a named thing
    ("Hoeveel bewoners ...?"), a number beside that thing first. Without such a quote, the order is
    unchanged."""
    if not found:
        return []
    best = max(c.score for c in found)
    close = [c for c in found if c.score >= best - config.group_margin]
    typed = [c for c in close if counts_named(cues, c.quote, config.words)] or [
        c for c in close if any(p.typed for p in c.parts)
    ]
    return [*typed, *(c for c in found if not any(c is t for t in typed))]


def _filed(candidate: Candidate) -> int:
    """Whether the study files the quote under the heading the question asks for: 2 in its own analysis
    of a case (a document analysis, the synthesis), 1 in an interview, 0 not."""
    if not candidate.parts or candidate.parts[0].section <= 0:
        return 0
    return 1 if (candidate.hit.kind or "").startswith("interview") else 2
