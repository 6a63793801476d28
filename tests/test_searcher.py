"""Dense and lexical search behind one protocol: the same query, the same restriction by chunk ids."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.dense import DenseIndex
from qa.index.lexical import LexicalIndex
from qa.index.searcher import Query, Searcher

TEXTS = [
    "De buurtjury werd door loting gekozen uit vierhonderd vrijwilligers.",
    "Het initiatievenfonds betaalde geveltuinen langs de Lindelaan.",
    "De loting was gestratificeerd op leeftijd, geslacht en wijk.",
    "De coöperatie onderhoudt het groen in Kerkakkers.",
]
IDS = np.array([10, 20, 30, 40], dtype=np.int64)


def _searchers() -> dict[str, Searcher]:
    # one-hot vectors: passage i is closest to the query vector that points at it
    vectors = np.eye(len(TEXTS), dtype=np.float32)
    return {
        "dense": DenseIndex.build(vectors, IDS, dimension=len(TEXTS), hnsw_above=1000),
        "lexical": LexicalIndex.build(TEXTS, IDS),
    }


def _query() -> Query:
    vector = np.array([0.9, 0.0, 0.436, 0.0], dtype=np.float32)  # passages 10, then 30
    return Query("Hoe werkte de loting?", vector / np.linalg.norm(vector))


@pytest.mark.parametrize("side", ["dense", "lexical"])
def test_each_side_returns_chunk_ids_best_first(side: str) -> None:
    ids, scores = _searchers()[side].search(_query(), k=4)
    assert set(ids.tolist()[:2]) == {10, 30}  # the two passages on the lottery, by vector and by word
    assert list(scores) == sorted(scores, reverse=True)


@pytest.mark.parametrize("side", ["dense", "lexical"])
def test_allowed_chunk_ids_restrict_each_side_alike(side: str) -> None:
    ids, _scores = _searchers()[side].search(_query(), k=4, allowed=np.array([30, 40], dtype=np.int64))
    assert 10 not in ids.tolist()
    assert ids.tolist()[0] == 30


def test_a_dense_search_without_the_querys_vector_is_refused() -> None:
    with pytest.raises(ValueError, match="vector"):
        _searchers()["dense"].search(Query("loting"), k=2)
