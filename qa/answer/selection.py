"""Select the quotes of an answer: which cases, and one to three sentences each (pure)."""

from __future__ import annotations

from qa.answer.scoring import Candidate
from qa.settings import AnswerSettings


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
