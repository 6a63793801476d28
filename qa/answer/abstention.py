"""Whether the study speaks to a question at all (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from qa.settings import AnswerSettings


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
