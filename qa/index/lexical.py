"""BM25 over chunk texts with Dutch stemming, Dutch + English stop words (bm25s + PyStemmer), and
Dutch compounds split into the parts the texts use on their own ("hulpverleningszones" also counts as
"hulpverlening" and "zones"), in the passages and in the question alike.

Pure apart from `save`/`load`, which write one folder of arrays plus a small JSON (bm25s' format).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from qa.index.searcher import Query
from qa.textclean import fold_text

_TOKEN = re.compile(r"\w\w+|\d")
#: How often the indexed texts use each word (folded, unstemmed): where compounds are split.
WORDS_FILE = "words.json"

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
    """The text's words stemmed, stop words out (what word overlap and idf are measured on)."""
    return list(_stemmer().stemWords(words_of(text)))


def words_of(text: str) -> list[str]:
    """The text's words as BM25 sees them before stemming: folded, stop words out."""
    stop = _stopwords()
    return [word for word in _TOKEN.findall(fold_text(text)) if word not in stop]


#: A part of a compound is at least this long ("buurt" in "buurtbudget", "zones").
PART_CHARS = 4
#: Longer "words" (a run of letters from a broken PDF) are not split: splitting costs the square of a length.
_LONGEST = 40
#: How many words' parts are remembered (the texts' own words, and the questions').
_REMEMBERED = 500_000
#: How many texts' term sets are remembered (the sentences the answers score, as in `functools.lru_cache`).
_REMEMBERED_TEXTS = 65_536
#: What Dutch puts between a compound's parts ("hulpverlening-s-zones", "bewoner-s-avond").
_LINKS = ("", "s", "en", "e")


def compound_parts(word: str, counts: dict[str, int]) -> tuple[str, str] | None:
    """A Dutch compound's two parts, each a word the texts use on their own (`counts`: how often), or
    None. Of the ways to split it, the one whose parts are most used (geometric mean), and only when
    that beats how often the compound itself is used: "hulpverleningszones" -> "hulpverlening",
    "zones"; "verkeersovertredingen" -> "verkeer", "overtredingen"."""
    if not 2 * PART_CHARS <= len(word) <= _LONGEST or not word.isalpha():
        return None
    best, best_use = None, float(counts.get(word, 0))
    for cut in range(PART_CHARS, len(word) - PART_CHARS + 1):
        tail = word[cut:]
        tail_use = counts.get(tail, 0)
        if not tail_use:
            continue
        for link in _LINKS:
            head = word[: cut - len(link)] if link else word[:cut]
            if len(head) < PART_CHARS or (link and not word[:cut].endswith(link)):
                continue
            use = math.sqrt(counts.get(head, 0) * tail_use)
            if use > best_use:
                best, best_use = (head, tail), use
    return best


def word_counts(texts: list[str]) -> dict[str, int]:
    """How often the texts use each word that can be a compound's part or a compound (letters only,
    `PART_CHARS` or more): what `compound_parts` weighs, and all that an index version keeps of it."""
    counts = Counter(word for text in texts for word in words_of(text))
    return {word: n for word, n in counts.items() if len(word) >= PART_CHARS and word.isalpha()}


class Terms:
    """BM25's terms for texts: their words stemmed (as `tokenize`), each compound followed by its parts
    (`compound_parts`, on how often the indexed texts use each word)."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._parts: dict[str, tuple[str, ...]] = {}
        self._sets: dict[str, frozenset[str]] = {}

    def __call__(self, text: str) -> list[str]:
        found: list[str] = []
        for word in words_of(text):
            found.append(word)
            found += self.parts(word)
        return list(_stemmer().stemWords(found))

    def set_of(self, text: str) -> frozenset[str]:
        """The text's terms as a set, remembered: the same sentences come back question after question."""
        return _remembered(self._sets, text, _REMEMBERED_TEXTS, lambda t: frozenset(self(t)))

    def parts(self, word: str) -> tuple[str, ...]:
        """A word's parts as BM25 counts them (none: not a compound), remembered."""
        return _remembered(self._parts, word, _REMEMBERED, self._split)

    def _split(self, word: str) -> tuple[str, ...]:
        split = compound_parts(word, self.counts)
        stop = _stopwords()
        return tuple(part for part in split if part not in stop) if split else ()


_Remembered = TypeVar("_Remembered")


def _remembered(cache: dict[str, _Remembered], key: str, limit: int, make: Callable[[str], _Remembered]) -> _Remembered:
    """`make(key)`, kept in `cache`, which starts over once it holds `limit` entries: questions bring new
    words and sentences without end."""
    known = cache.get(key)
    if known is None:
        known = make(key)
        if len(cache) >= limit:
            cache.clear()
        cache[key] = known
    return known


class LexicalIndex:
    """BM25 scores for a fixed list of chunk ids (position i holds chunk `ids[i]`)."""

    def __init__(self, retriever: Any, ids: np.ndarray, counts: dict[str, int] | None = None) -> None:
        self._retriever = retriever
        self.ids = ids
        self._terms = Terms(counts or {})
        self._df: np.ndarray | None = None  # passages holding each vocabulary entry, read on first use

    @classmethod
    def build(cls, texts: list[str], ids: np.ndarray) -> LexicalIndex:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets itself to DEBUG on import
        retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        counts = word_counts(texts)
        terms = Terms(counts)
        tokens = [terms(text) or ["\u2205"] for text in texts]  # bm25s needs a token per document
        if texts:
            retriever.index(tokens, show_progress=False)
        return cls(retriever, np.asarray(ids, dtype=np.int64), counts)

    def __len__(self) -> int:
        return len(self.ids)

    def terms(self, text: str) -> list[str]:
        """The text's terms as this index matches them: its words stemmed, each compound followed by its parts."""
        return self._terms(text)

    def term_set(self, text: str) -> frozenset[str]:
        """The same terms as a set (remembered for the texts met most recently)."""
        return self._terms.set_of(text)

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
        tokens = [token for token in self._terms(query) if token in vocab]
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
        (folder / WORDS_FILE).write_text(json.dumps(self._terms.counts, ensure_ascii=False), encoding="utf-8")
        if len(self.ids):
            self._retriever.save(str(folder / "bm25"), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        ids = np.load(folder / "ids.npy")
        counts = _read_counts(folder / WORDS_FILE)
        if not len(ids):
            return cls(bm25s.BM25(), ids, counts)
        retriever = bm25s.BM25.load(str(folder / "bm25"), show_progress=False, verbosity=0)
        return cls(retriever, ids, counts)


def _read_counts(path: Path) -> dict[str, int]:
    """The word counts saved with an index version. Without them (a damaged file) questions are matched
    on whole words, which the passages hold too: the version still answers, and the log names the file."""
    if not path.exists():
        return {}
    try:
        counts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        logging.getLogger(__name__).warning("%s: unreadable (%s); questions are matched on whole words", path, exc)
        return {}
    if not isinstance(counts, dict):
        logging.getLogger(__name__).warning("%s: not a table of word counts; questions are matched on whole words", path)
        return {}
    return counts
