"""Group the findings of an answer across cases under the study's own overarching factors (pure).

The study names its overarching success factors in its synthesis ("Budget om initiatieven te
ondersteunen", ...), and discusses under each the cases' findings that bear on it. A quoted finding
joins the factor whose sentences are closest to it, when that factor is close enough and clearly
closer than the next; a finding that matches none stays under "other findings". The grouping is the
composer's own reading, and the answer says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.answer.factors import Factor
from qa.answer.scoring import Candidate
from qa.settings import AnswerSettings


@dataclass(frozen=True)
class FactorGroup:
    """The findings under one factor (None: under none), each quote with its case, in answer order."""

    factor: Factor | None
    quotes: tuple[Candidate, ...]


def factor_of(vector: np.ndarray, factors: Sequence[Factor], config: AnswerSettings) -> int | None:
    """The index of the factor a finding (its sentence vector) belongs to, or None: the best factor's
    closest sentence must reach `factor_floor` and beat the next factor's by `factor_margin`."""
    if not factors:
        return None
    closeness = np.array([float((factor.vectors @ vector).max()) for factor in factors])
    order = np.argsort(-closeness, kind="stable")
    best = float(closeness[order[0]])
    runner_up = float(closeness[order[1]]) if len(order) > 1 else -1.0
    if best < config.factor_floor or best - runner_up < config.factor_margin:
        return None
    return int(order[0])


def group_by_factor(
    groups: Sequence[Sequence[Candidate]],
    factors: Sequence[Factor],
    vector_of: Callable[[Candidate], np.ndarray | None],
    config: AnswerSettings,
) -> list[FactorGroup]:
    """The cases' quotes regrouped under the factors, in the study's order of its factors, then those
    that match none; the study's own quotes (group "") are left out, they stand above the factors."""
    under: dict[int | None, list[Candidate]] = {}
    for group in groups:
        for candidate in group:
            if not candidate.group:
                continue
            vector = vector_of(candidate)
            index = factor_of(vector, factors, config) if vector is not None else None
            under.setdefault(index, []).append(candidate)
    ordered = [FactorGroup(factors[i], tuple(under[i])) for i in range(len(factors)) if i in under]
    if None in under:
        ordered.append(FactorGroup(None, tuple(under[None])))
    return ordered
