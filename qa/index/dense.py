"""The dense side: FAISS inner product over L2-normalised vectors, addressed by chunk id.

Exact search (IndexFlatIP) below `hnsw_above` vectors, HNSW above it; both wrapped in an
IndexIDMap2 so vectors are found, removed and reconstructed by chunk id.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np

from qa.index.searcher import Query

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80


class DenseIndex:
    def __init__(self, index: Any, ef_search: int = 64) -> None:
        self._index = index
        self.ef_search = ef_search

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, dimension: int, hnsw_above: int) -> DenseIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dimension)
        inner: Any
        if len(vectors) > hnsw_above:
            inner = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        else:
            inner = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIDMap2(inner)
        if len(vectors):
            index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))
        return cls(index)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    @property
    def is_hnsw(self) -> bool:
        import faiss

        return isinstance(faiss.downcast_index(self._index.index), faiss.IndexHNSW)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these chunk ids (used to carry unchanged chunks into a new version)."""
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._index.reconstruct_batch(np.asarray(ids, dtype=np.int64)), dtype=np.float32)

    def search(self, query: Query, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k chunk ids and cosine scores for the query's vector (the `Searcher` protocol)."""
        if query.vector is None:
            raise ValueError("a dense search needs the query's vector")
        return self.nearest(query.vector, k, allowed)

    def nearest(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k chunk ids and cosine scores; `allowed` restricts the search to these chunk ids."""
        faiss: Any = importlib.import_module("faiss")  # its stubs lack the search parameter classes

        if not len(self) or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        params = None
        if allowed is not None:
            if not len(allowed):
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=max(self.ef_search, k))
                if self.is_hnsw
                else faiss.SearchParameters(sel=selector)
            )
        elif self.is_hnsw:
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        scores, ids = self._index.search(query, min(k, len(self)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        import faiss

        return cls(faiss.read_index(str(path)))
