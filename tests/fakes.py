"""Deterministic stand-ins for the heavy parts, so unit tests need no model weights."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Bag of words hashed into 64 buckets: texts that share words are close, and every run agrees.

    Meets `qa.index.embedders.Embedder`. Queries and passages embed alike. A text without words gets
    bucket 0, so every row still has length 1.
    """

    name = "fake-hash"
    version = "1"
    dimension = 64

    def _row(self, text: str) -> np.ndarray:
        row = np.zeros(self.dimension, dtype=np.float32)
        words = _WORD.findall(text.lower())
        if not words:
            row[0] = 1.0
        for word in words:
            # blake2b, not hash(): Python salts str hashes per process
            digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
            row[int.from_bytes(digest, "little") % self.dimension] += 1.0
        return row / np.linalg.norm(row)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._row(text) for text in texts]).astype(np.float32)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)


class GatedEmbedder(HashEmbedder):
    """A HashEmbedder whose passages wait for `gate`: the test holds an index build at the embedding
    stage (`embedding` is set once it got there) and lets it finish when it has looked."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.embedding = threading.Event()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.embedding.set()
        if not self.gate.wait(timeout=120):
            raise TimeoutError("the test never opened the gate")
        return self._embed(texts)
