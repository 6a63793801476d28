"""The study's overarching factors, read from its own text once per index version: what "what worked /
went wrong" across cases is grouped by."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.ingest.readers.sections import SEPARATOR as SECTION_SEPARATOR
from qa.ingest.readers.sections import leaf, parent
from qa.search.retrieval import Hit, IndexVersion
from qa.vocabulary import Vocabulary


@dataclass(frozen=True)
class Factor:
    """One of the study's overarching factors, read from its own text: a part of a section of a
    study-wide document that is filed under success factors and has at least `outline_parts` parts
    ("Overkoepelende succesfactoren" › "2. Budget om initiatieven te ondersteunen")."""

    name: str  # its heading
    family: str  # the heading of the section it is part of ("Overkoepelende succesfactoren")
    opening: Hit  # the passage it opens with, where its heading is quoted from
    vectors: np.ndarray  # its sentences, embedded as passages (rows)


def read_factors(version: IndexVersion, min_parts: int, words: Vocabulary) -> tuple[Factor, ...]:
    """The study's overarching factors (none when it has no such section), read once per version."""
    return version.memo(f"factors/{min_parts}/{words.files}", lambda: _read_factors(version, min_parts, words))


def _read_factors(version: IndexVersion, min_parts: int, words: Vocabulary) -> tuple[Factor, ...]:
    rows = version.study_passages()
    parts: dict[tuple[str, str], list[str]] = {}
    for document, section, _cid in rows:
        above = parent(section)
        if above and section not in parts.setdefault((document, above), []):
            parts[(document, above)].append(section or "")
    for (document, above), children in parts.items():
        if (
            len(children) < min_parts
            or not words.positive_section.search(leaf(above))
            or version.case_of_section(above)
        ):
            continue
        factors = []
        for child in children:
            ids = [
                cid
                for doc, section, cid in rows
                if doc == document and section and (section == child or section.startswith(child + SECTION_SEPARATOR))
            ]
            opening = version.chunk_rows(ids[:1])
            sentences = version.sentences(ids)
            vectors = [s.vector for cid in ids for s in sentences.get(cid, [])]
            if opening and vectors:
                factors.append(Factor(leaf(child), leaf(above), version.hit(opening[ids[0]]), np.vstack(vectors)))
        return tuple(factors)
    return ()
