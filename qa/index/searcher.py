"""The two sides of the hybrid search behind one small protocol: a query in, the best chunk ids out.

`DenseIndex` (FAISS over the passages' vectors) reads the query's vector, `LexicalIndex` (BM25) its
words; the search fuses what each returns (`qa.search.retrieval`) without knowing which is which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Query:
    """A question as the searchers read it: its text, and its vector for the dense side."""

    text: str
    vector: np.ndarray | None = None


class Searcher(Protocol):
    def search(self, query: Query, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The top `k` chunk ids with their scores, best first; `allowed` (chunk ids) restricts the search."""
        ...
