"""BM25 over chunk texts with Dutch stemming and Dutch + English stop words (bm25s + PyStemmer).

Pure apart from `save`/`load`, which write one folder of arrays plus a small JSON (bm25s' format).
"""

from __future__ import annotations

import logging
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.index.searcher import Query
from qa.textclean import fold_text

_TOKEN = re.compile(r"\w\w+|\d")

#: BM25's term-frequency saturation and length normalisation; recorded in the index manifest.
BM25_K1 = 1.2
BM25_B = 0.75


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

    return frozenset(fold_text(word) for word in (*STOPWORDS_DUTCH, *STOPWORDS_EN))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("dutch")


def tokenize(text: str) -> list[str]:
    stop = _stopwords()
    words = [word for word in _TOKEN.findall(fold_text(text)) if word not in stop]
    return list(_stemmer().stemWords(words))


class LexicalIndex:
    """BM25 scores for a fixed list of chunk ids (position i holds chunk `ids[i]`)."""

    def __init__(self, retriever: Any, ids: np.ndarray) -> None:
        self._retriever = retriever
        self.ids = ids
        self._df: np.ndarray | None = None  # passages holding each vocabulary entry, read on first use

    @classmethod
    def build(cls, texts: list[str], ids: np.ndarray) -> LexicalIndex:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets itself to DEBUG on import
        retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        tokens = [tokenize(text) or ["\u2205"] for text in texts]  # bm25s needs a token per document
        if texts:
            retriever.index(tokens, show_progress=False)
        return cls(retriever, np.asarray(ids, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    def knows(self, token: str) -> bool:
        """Whether a (stemmed) token occurs anywhere in the indexed texts."""
        return bool(len(self.ids)) and token in self._retriever.vocab_dict

    def idf(self, token: str) -> float:
        """How rare a (stemmed) token is among the indexed passages: log(1 + N / (1 + passages holding it))."""
        if not len(self.ids):
            return 0.0
        if self._df is None:  # the vocabulary's last entry is bm25s's empty token, without a column
            self._df = np.diff(np.asarray(self._retriever.scores["indptr"]))
        index = self._retriever.vocab_dict.get(token)
        held = int(self._df[index]) if index is not None and index < len(self._df) else 0
        return math.log(1 + len(self.ids) / (1 + held))

    def known_share(self, query: str) -> float:
        """Share of the query's words (stemmed, stop words out) that occur in the indexed texts."""
        tokens = tokenize(query)
        return sum(1 for token in tokens if self.knows(token)) / len(tokens) if tokens else 0.0

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed chunk for the query (zeros when nothing matches)."""
        if not len(self.ids):
            return np.zeros(0, dtype=np.float32)
        vocab = self._retriever.vocab_dict
        tokens = [token for token in tokenize(query) if token in vocab]
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def search(self, query: Query, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k chunk ids and scores with a positive score for the query's words (the `Searcher`
        protocol); `allowed` (chunk ids) restricts the search."""
        scores = self.scores(query.text)
        if allowed is not None:
            scores = np.where(np.isin(self.ids, allowed), scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if not len(positive):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, len(positive))
        top = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        top = top[np.argsort(-scores[top], kind="stable")]
        return self.ids[top], scores[top]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "ids.npy", self.ids)
        if len(self.ids):
            self._retriever.save(str(folder / "bm25"), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        ids = np.load(folder / "ids.npy")
        if not len(ids):
            return cls(bm25s.BM25(), ids)
        retriever = bm25s.BM25.load(str(folder / "bm25"), show_progress=False, verbosity=0)
        return cls(retriever, ids)
