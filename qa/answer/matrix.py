"""The cross-case view for researchers: the cases against the study's overarching factors.

Each cell holds the passages of a case, filed by the study under success factors (or, in the second
matrix, under points of attention), that hold a finding grouped under that factor: the same grouping an
answer across cases uses (`qa.answer.grouping.factor_of`), so the matrix and the chat agree. The
factors are read from the synthesis in the index, never written down here.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.answer.factors import read_factors
from qa.answer.grouping import factor_of
from qa.answer.vocabulary import filing
from qa.records import CaseInfo
from qa.search.question import Intent
from qa.search.retrieval import IndexVersion
from qa.settings import AnswerSettings
from qa.vocabulary import packaged

_BULLETS = packaged().bullets + " \t"


@dataclass(frozen=True)
class MatrixPassage:
    """A passage supporting a cell, with the sentences of it grouped under the cell's factor."""

    chunk_id: int
    document: str
    page: int | None
    section: str | None
    quotes: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "document": self.document,
            "page": self.page,
            "section": self.section,
            "quotes": list(self.quotes),
        }


@dataclass(frozen=True)
class FactorMatrix:
    """Cases (rows) against the study's overarching factors (columns); `intent` says which of the
    cases' findings fill it: "positive" (success factors) or "negative" (points of attention)."""

    intent: Intent
    family: str  # the heading the factors stand under ("Overkoepelende succesfactoren"); "" without factors
    factors: tuple[str, ...]
    cases: tuple[CaseInfo, ...]
    cells: dict[tuple[str, int], tuple[MatrixPassage, ...]]

    def cell(self, case_id: str, factor: int) -> tuple[MatrixPassage, ...]:
        return self.cells.get((case_id, factor), ())

    def as_json(self) -> dict[str, object]:
        return {
            "intent": self.intent,
            "family": self.family,
            "factors": list(self.factors),
            "cases": [
                {
                    "case_id": case.case_id,
                    "case_title": case.title,
                    "municipality": case.municipality,
                    "cells": [
                        {
                            "count": len(self.cell(case.case_id, i)),
                            "passages": [p.as_json() for p in self.cell(case.case_id, i)],
                        }
                        for i in range(len(self.factors))
                    ],
                }
                for case in self.cases
            ],
        }


def factor_matrix(version: IndexVersion, config: AnswerSettings, intent: Intent) -> FactorMatrix:
    """The matrix of one index version (reads the passages filed under `intent`, then groups them)."""
    factors = read_factors(version, config.outline_parts, config.words)
    cases = tuple(sorted(version.cases.values(), key=lambda c: (c.municipality or "", c.title)))
    if not factors:
        return FactorMatrix(intent, "", (), cases, {})
    table = version.passages()
    filed = [
        int(chunk)
        for chunk, case, section in zip(table.ids.tolist(), table.cases, table.sections, strict=True)
        if case is not None and filing(section, intent, config.words) > 0
    ]
    case_of = dict(zip(table.ids.tolist(), table.cases, strict=True))
    rows = version.chunk_rows(filed)
    sentences = version.sentences(filed)
    cells: dict[tuple[str, int], list[MatrixPassage]] = {}
    for chunk in filed:
        if chunk not in rows:
            continue
        row = rows[chunk]
        matched: dict[int, list[str]] = {}
        for sentence in sentences.get(chunk, []):
            index = factor_of(sentence.vector, factors, config)
            if index is not None:
                matched.setdefault(index, []).append(row.text[sentence.start : sentence.end].lstrip(_BULLETS))
        for index, quotes in matched.items():
            passage = MatrixPassage(chunk, row.document, row.page_start, row.section, tuple(quotes))
            cells.setdefault((str(case_of[chunk]), index), []).append(passage)
    return FactorMatrix(
        intent,
        factors[0].family,
        tuple(f.name for f in factors),
        cases,
        {key: tuple(value) for key, value in cells.items()},
    )
