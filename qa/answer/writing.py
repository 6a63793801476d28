"""Write the answer: lead, headings, quotes with their markers, and the citations they resolve to (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from qa.answer.abstention import abstains
from qa.answer.grouping import FactorGroup, group_by_factor
from qa.answer.scoring import Candidate, Retrieved
from qa.answer.selection import judge_cases, select, select_typed
from qa.answer.structure import (
    Outline,
    continued_items,
    heading_span,
    list_continues,
    list_items,
)
from qa.records import Answer, Citation
from qa.search.question import QuestionCues
from qa.search.retrieval import Hit
from qa.settings import Settings
from qa.vocabulary import Phrases, packaged

_LONGEST_LIST = 20  # items of one announced list that are quoted


def _vector_of(got: Retrieved) -> Callable[[Candidate], np.ndarray | None]:
    """A quote's vector: the mean of its sentences' (as passages), from what gathering read."""

    def vector(candidate: Candidate) -> np.ndarray | None:
        inside = [
            s.vector
            for s in got.sentences.get(candidate.hit.chunk_id, [])
            if s.start < candidate.end and candidate.start < s.end
        ]
        if not inside:
            return None
        mean = np.mean(inside, axis=0)
        return mean / (np.linalg.norm(mean) or 1.0)

    return vector


def lead_line(
    cues: QuestionCues, groups: list[list[Candidate]], total_cases: int, phrases: Phrases | None = None
) -> str:
    phrases = phrases or packaged().phrases[cues.language]
    case_groups = [g for g in groups if g[0].group]
    k = len(case_groups)
    what = phrases.they_say[cues.intent or "none"]
    if k == 1 and len(groups) > 1:  # the study's own finding first, then one case
        hit = case_groups[0][0].hit
        return phrases.study_and_case.format(case=f"{hit.case_title} ({hit.municipality})")
    if k == 1:
        hit = case_groups[0][0].hit
        said = phrases.one_case_said.format(what=what) if cues.intent else phrases.one_case_said_plainly
        return phrases.one_case.format(case=f"{hit.case_title} ({hit.municipality})", said=said)
    if k == 0:
        return phrases.study
    return phrases.cases.format(count=phrases.number(k).capitalize(), total=phrases.number(total_cases), what=what)


def _abstain(question: str, cues: QuestionCues, near: Sequence[Hit], phrases: Phrases) -> Answer:
    topics: list[str] = []
    for hit in near:
        label = f"{hit.case_title} ({hit.municipality})" if hit.case_id else None
        if label and label not in topics:
            topics.append(label)
    text = phrases.abstain
    if topics:
        text += phrases.abstain_near.format(topics="; ".join(topics[:3]))
    return Answer(question=question, text=text, abstained=True, language=cues.language, suggestions=tuple(topics[:3]))


def compose(question: str, got: Retrieved, settings: Settings) -> Answer:
    """The answer to a question from what `retrieve` found for it: quotes, or an abstention; from a quick
    index version (on the guard encoder, until the complete one is in) marked as provisional."""
    answer = _compose(question, got, settings)
    if got.version.manifest.stand_in_for is None:
        return answer
    note = settings.answer.words.phrases[answer.language].provisional
    return replace(answer, text=f"{note}\n\n{answer.text}", provisional=True)


def _compose(question: str, got: Retrieved, settings: Settings) -> Answer:
    config = settings.answer
    filters, hits, cues, found = got.filters, got.hits, got.resolved.cues, got.found
    phrases = config.words.phrases[cues.language]
    abstain, score, bar = abstains(got.signals, cues.language, config)
    if not found or abstain:
        return _abstain(question, cues, hits if score >= bar - config.suggest_within else [], phrases)

    considered = [got.version.cases[c] for c in got.considered if c in got.version.cases]
    if got.across:  # every case judged on its own; answered from each that speaks to the question
        verdicts = judge_cases(found, considered, got.evidence, config, cues.spans_cases)
        relevant = {v.case_id for v in verdicts if v.relevant}
        # what the study files under the asked-for heading first, unless the settings ignore sections
        filed_first = cues.intent is not None and config.section_weight > 0
        # where one case alone speaks to it, that case is answered as a question about it is: a passage
        # may give more than one quote (its fact is often the sentence after the closest one)
        groups = select(found, config, len(relevant) == 1, None, relevant, filed_first=filed_first)
        if not groups and verdicts:
            # the study speaks to the question (it was not declined), so its closest case answers it
            # even where no case clears the bar on its own
            closest = max(verdicts, key=lambda v: (any(c.group == v.case_id for c in found), v.score))
            verdicts = [replace(v, relevant=v is closest) for v in verdicts]
            groups = select(found, config, True, None, {closest.case_id}, filed_first=filed_first)
    else:  # one case's fact ("Hoeveel panelleden waren jonger dan 25?"), or a question about one case
        verdicts = []
        cases = None if filters.single_case else config.factoid_cases
        if cues.answer_type is not None:
            groups = select_typed(found, cues, config, filters.single_case, cases)
        else:
            groups = select(found, config, filters.single_case, cases)
    outline = got.outline
    if outline is not None:  # the question asks for that section's parts: the rest of the study is beside it
        groups = [g for g in groups if g[0].group == outline.group]
    in_order = [reading_order(group) for group in groups]
    by_factor = group_by_factor(in_order, got.factors, _vector_of(got), config) if got.factors else []

    writer = _Writer(phrases, got.following)
    lead = lead_line(cues, groups, len(considered) if got.across else got.total_cases, phrases)
    if any(g.factor is not None for g in by_factor):
        lead = lead.rstrip(":") + ". " + phrases.grouped.format(family=got.factors[0].family.lower())
        body = writer.by_factor(in_order, by_factor)
    else:
        body = writer.by_case(in_order, outline)
    lines = [lead, "", *body]
    scope = tuple(dict.fromkeys(c.case_id for c in writer.citations if c.case_id))
    verdicts = [replace(v, relevant=v.case_id in scope) for v in verdicts]
    silent = [v for v in verdicts if not v.relevant]
    # the cases that do not speak to it, for a question put to the cases together or answered by several
    if got.across and scope and silent and outline is None and (cues.spans_cases or len(scope) > 1):
        names = ", ".join(f"{v.case_title} ({v.municipality})" if v.municipality else v.case_title for v in silent)
        lines.append(f"{phrases.not_discussed}: {names}.")
    return Answer(
        question=question,
        text="\n".join(lines).strip(),
        abstained=False,
        citations=tuple(writer.citations),
        language=cues.language,
        scope=scope,
        cases=tuple(verdicts),
    )


def reading_order(group: Sequence[Candidate]) -> list[Candidate]:
    """A case's quotes as they are read (pure): its documents in the order of their best quote (the
    group comes best first), and each document's quotes in the order of its text. A case of many
    documents is answered first from the one that answers best, not from the one filed first."""
    place: dict[str, int] = {}
    for candidate in group:
        place.setdefault(candidate.hit.document, len(place))
    return sorted(group, key=lambda c: (place[c.hit.document], c.hit.chunk_id, c.start))


class _Writer:
    """Writes an answer's lines and numbers its citations by first use (pure: what it needs of the
    index was read while gathering)."""

    def __init__(self, phrases: Phrases, following: dict[int, Hit]) -> None:
        self.phrases = phrases
        self.following = following  # the passage after one whose list runs on
        self.citations: list[Citation] = []
        self._numbers: dict[int, int] = {}

    def cite(self, candidate: Candidate) -> int:
        """The passage's citation number; a second quote from the same passage joins its citation."""
        n = self._numbers.get(candidate.hit.chunk_id)
        if n is None:
            n = self._numbers[candidate.hit.chunk_id] = len(self.citations) + 1
            self.citations.append(_citation(n, candidate))
        else:
            cited = self.citations[n - 1]
            self.citations[n - 1] = replace(cited, quote=f"{cited.quote} … {candidate.quote}")
        return n

    def heading(self, hit: Hit) -> str:
        if hit.case_id:
            return f"**{hit.case_title}** ({hit.municipality})"
        return f"**{self.phrases.study_heading}**"

    def quote_lines(self, candidate: Candidate, label: str = "") -> list[str]:
        """A quote, and the list it announces (also where that runs on into the next passages)."""
        lines = [f"- {label}“{candidate.quote}” [{self.cite(candidate)}]"]
        items = list_items(candidate.hit.text, candidate.end)  # the list the quote announces
        for a, b in items:
            item = replace(candidate, start=a, end=b)
            lines.append(f"  - “{item.quote}” [{self.cite(item)}]")
        quoted = {candidate.hit.text[a:b] for a, b in items}
        passage, more = candidate.hit, items
        while len(quoted) < _LONGEST_LIST and list_continues(passage.text, more):
            following = self.following.get(passage.chunk_id)  # ... where it runs on into the next passage
            if following is None:
                break
            last = passage.text[more[-1][0] : more[-1][1]] if more else ""
            more = continued_items(following.text, quoted, cut=not last.endswith((".", "!", "?", ";", ":")))
            for a, b in more:
                item = Candidate(following, a, b, following.page, 0.0, 0.0)
                lines.append(f"  - “{item.quote}” [{self.cite(item)}]")
                quoted.add(item.quote)
            passage = following
        return lines

    def outline_lines(self, outline: Outline) -> list[str]:
        """The headings of the parts of a section the question asks to enumerate, each quoted."""
        lines = [f"- {self.phrases.outline.format(name=outline.name)}"]
        for part in outline.parts:
            span = heading_span(part)
            if span is not None:
                quoted = Candidate(part, span[0], span[1], part.page, 0.0, 0.0)
                lines.append(f"  - “{quoted.quote}” [{self.cite(quoted)}]")
        return lines

    def by_case(self, groups: list[list[Candidate]], outline: Outline | None) -> list[str]:
        """A heading per case (the study first) with its quotes; an outline under its own case."""
        lines: list[str] = []
        placed = outline is None
        if outline is not None and outline.group == "" and not any(g[0].group == "" for g in groups):
            lines += [self.heading(outline.parts[0]), *self.outline_lines(outline), ""]
            placed = True
        for group in groups:
            lines.append(self.heading(group[0].hit))
            for candidate in group:
                lines += self.quote_lines(candidate)
            if outline is not None and not placed and outline.group == group[0].group:
                lines += self.outline_lines(outline)
                placed = True
            lines.append("")
        if outline is not None and not placed:
            lines += [self.heading(outline.parts[0]), *self.outline_lines(outline), ""]
        return lines

    def by_factor(self, groups: list[list[Candidate]], by_factor: list[FactorGroup]) -> list[str]:
        """The study's own quotes first, then the cases' findings under the study's overarching factors
        (each factor's heading quoted), the rest under "other findings"."""
        lines: list[str] = []
        for group in groups:
            if not group[0].group:
                lines += [self.heading(group[0].hit), *(line for c in group for line in self.quote_lines(c)), ""]
        for grouped in by_factor:
            if grouped.factor is None:
                lines.append(f"**{self.phrases.other_findings}**")
            else:
                opening = grouped.factor.opening
                span = heading_span(opening)
                if span is None:
                    lines.append(f"**{grouped.factor.name}**")
                else:
                    quoted = Candidate(opening, span[0], span[1], opening.page, 0.0, 0.0)
                    lines.append(f"**“{quoted.quote}”** [{self.cite(quoted)}]")
            by_case: dict[str, list[Candidate]] = {}
            for candidate in grouped.quotes:
                by_case.setdefault(candidate.group, []).append(candidate)
            for quotes in by_case.values():
                if len(quotes) == 1:
                    lines += self.quote_lines(quotes[0], f"{self.heading(quotes[0].hit)}: ")
                else:  # one line per case, its quotes under it
                    lines.append(f"- {self.heading(quotes[0].hit)}:")
                    lines += ["  " + line for c in quotes for line in self.quote_lines(c)]
            lines.append("")
        return lines


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
