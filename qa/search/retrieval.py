"""Hybrid search over the current index version: dense (FAISS) + lexical (BM25), fused and diversified.

`Retriever` follows the index folder's CURRENT pointer: a version switched in by `qa index` is
picked up on the next query, and a version in use is never modified.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from qa.errors import IndexAccessError, IndexMismatchError, IndexMissingError
from qa.index.embedders import Rescaled
from qa.index.layout import IndexLayout
from qa.index.manifest import Manifest
from qa.index.searcher import Query, Searcher
from qa.index.version import Filters, Hit, IndexVersion, PassageTable, Sentence, Similarity, mix_forms
from qa.names import named_cases, without_names
from qa.records import CaseInfo
from qa.search.background import Background, read_background
from qa.search.question import detect_language
from qa.settings import RetrievalSettings, Settings

if TYPE_CHECKING:
    from qa.index.embedders import Embedder

# The records a search returns and is restricted by live with the index version; named here too.
__all__ = [
    "CaseRanking",
    "Filters",
    "Hit",
    "IndexVersion",
    "Mode",
    "PassageTable",
    "Ranking",
    "Retriever",
    "Sentence",
    "Similarity",
    "diversify",
    "focus",
    "mix_forms",
    "rank_within_cases",
    "reciprocal_rank_fusion",
]

Mode = Literal["hybrid", "dense", "lexical"]


def focus(query: str, filters: Filters, version: IndexVersion) -> str:
    """The query as ranking sees it: once it is restricted to some cases, their names match all of
    what is left alike, so they are taken out and the rest of the question decides."""
    scoped = [version.cases[c] for c in filters.cases if c in version.cases]
    return without_names(query, scoped)


def reciprocal_rank_fusion(rankings: list[tuple[np.ndarray, float]], k: int) -> dict[int, float]:
    """Sum of weight / (k + rank) over the rankings each id appears in (rank is 1-based)."""
    fused: dict[int, float] = {}
    for ids, weight in rankings:
        for rank, chunk_id in enumerate(ids.tolist(), start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (k + rank)
    return fused


def diversify(ordered: list[int], group_of: dict[int, str], per_group: int, k: int) -> list[int]:
    """Take ids in order, at most `per_group` per group, until k; fill up from the rest if short."""
    if per_group <= 0:
        return ordered[:k]
    taken: list[int] = []
    counts: dict[str, int] = {}
    overflow: list[int] = []
    for chunk_id in ordered:
        group = group_of.get(chunk_id, "")
        if counts.get(group, 0) < per_group:
            counts[group] = counts.get(group, 0) + 1
            taken.append(chunk_id)
            if len(taken) == k:
                return taken
        else:
            overflow.append(chunk_id)
    return taken + overflow[: k - len(taken)]


def rank_within_cases(
    cases: Sequence[str | None], rankings: Sequence[tuple[np.ndarray, float]], rrf_k: int, allowed: np.ndarray
) -> dict[str | None, list[int]]:
    """Each case's passages ranked among themselves (pure): positions into `cases`, best first, by
    reciprocal rank fusion of the rankings (scores aligned with `cases`, and each ranking's weight).
    A passage scoring 0 or less in a ranking gets nothing from it (BM25 without a shared word).
    Ranking inside each case, rather than taking a case's passages from the top of one global list,
    keeps a case with few passages on a theme from being crowded out by cases with many."""
    groups: dict[str | None, list[int]] = {}
    for position in np.flatnonzero(allowed).tolist():
        groups.setdefault(cases[position], []).append(position)
    ranked: dict[str | None, list[int]] = {}
    for case, positions in groups.items():
        members = np.array(positions, dtype=np.int64)
        fused = np.zeros(len(members))
        for scores, weight in rankings:
            if not weight:
                continue
            own = scores[members]
            order = np.argsort(-own, kind="stable")
            ranks = np.empty(len(members))
            ranks[order] = np.arange(1, len(members) + 1)
            fused += np.where(own > 0, weight / (rrf_k + ranks), 0.0)
        ranked[case] = [int(members[i]) for i in np.argsort(-fused, kind="stable")]
    return ranked


@dataclass(frozen=True)
class CaseRanking:
    """Each case's passages ranked inside the case (chunk ids, best first), and how close the case's
    best passage comes: its cosine to the question (main and guard encoder), and its BM25 score as a
    share of the best passage's in the whole search (0: no passage of the case shares a word with the
    question)."""

    ordered: dict[str | None, list[int]]
    dense: dict[str | None, float]
    lexical: dict[str | None, float]
    guard: dict[str | None, float]  # the guard encoder's best cosine (empty: no guard)


@dataclass(frozen=True)
class Ranking:
    """A fused ranking of chunk ids on one index version."""

    version: IndexVersion
    ordered: list[int]  # chunk ids, best first
    fused: dict[int, float]  # chunk id -> fused score
    single_case: bool  # the search was restricted to one case: no diversity cap
    allowed: np.ndarray | None = None  # the chunk ids the search was restricted to (None: all)


class Retriever:
    """Searches the current index version with one embedder; reloads when the version changes."""

    def __init__(self, settings: Settings, embedder: Embedder, guard: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.guard = guard  # the topic guard's encoder (indexing.guard_encoder), when the index has one
        scale_shift = settings.indexing.cosine_map()
        # what a quick version holds: the guard encoder's vectors on the main encoder's scale
        self.quick = Rescaled(guard, *scale_shift) if guard is not None and scale_shift else None
        path = settings.answer.background_questions
        # everyday questions the study does not answer, in the guard's space (for abstention)
        self.background = Background(read_background(path), guard) if guard is not None and path else None
        self.layout = IndexLayout(settings.index)
        self._version: IndexVersion | None = None
        self._lock = threading.Lock()

    def version(self) -> IndexVersion:
        loaded = self._version
        if loaded is not None and loaded.name == self.layout.pointed_name():
            return loaded  # the current version, already open: no need to look at the disk again
        folder = self._served_folder()
        try:
            return self._open(folder)
        except Exception:
            if folder.is_dir():
                raise
            # An update switched in a newer version and removed this one after the pointer was read (a
            # first version gives way to the complete one): open the one served now.
            return self._open(self._served_folder())

    def _served_folder(self) -> Path:
        serving = self.layout.serving()
        if serving.folder is None and serving.broken:
            raise IndexMissingError(
                f"{self.layout.root}: index version {serving.broken}, and no earlier version is intact; "
                "rebuild it with 'qa index --rebuild'"
            )
        if serving.folder is None:
            raise IndexMissingError(f"{self.layout.root}: no index yet; build it with 'qa index'")
        return serving.folder

    def _open(self, folder: Path) -> IndexVersion:
        with self._lock:
            if self._version is None or self._version.folder != folder:
                try:
                    loaded = IndexVersion(folder)
                except PermissionError as exc:
                    raise IndexAccessError(self.layout.root, "read", exc) from exc
                differences = loaded.manifest.differences(Manifest.wanted(self.settings, self.embedder))
                if differences and self.quick is not None:
                    # a quick version, served until the main encoder's version is in (`indexing.guard_as_main`)
                    quick = loaded.manifest.differences(Manifest.wanted(self.settings, self.quick))
                    differences = differences if quick else []
                if differences:
                    loaded.close()
                    raise IndexMismatchError(
                        f"{self.layout.root}: the index was built with other settings ("
                        + "; ".join(differences)
                        + "); run 'qa index --rebuild' to rebuild it"
                    )
                self._version = loaded  # the old one is left to the garbage collector: a query may hold it
            return self._version

    @property
    def cases(self) -> dict[str, CaseInfo]:
        return self.version().cases

    def encoder_for(self, version: IndexVersion) -> Embedder:
        """The encoder a version's vectors come from, to embed questions to it with: the main one, or
        for a quick version the guard encoder on the main one's scale."""
        if self.quick is not None and version.manifest.encoder == self.quick.name:
            return self.quick
        return self.embedder

    def guarded(self, version: IndexVersion) -> bool:
        """Whether the guard encoder can be used: loaded here, and its vectors are in the index."""
        return self.guard is not None and bool(version.manifest.guard_encoder)

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        query_vector: np.ndarray | None = None,
        auto_scope: bool = True,
    ) -> list[Hit]:
        """Top-k hits. With `auto_scope`, a question that names a case or municipality (and has no
        explicit case or municipality filter) is searched within those cases and the study."""
        return self.hits(self.rank(query, k, filters, mode, query_vector, auto_scope), k)

    def rank(
        self,
        query: str,
        k: int = 5,
        filters: Filters | None = None,
        mode: Mode = "hybrid",
        query_vector: np.ndarray | None = None,
        auto_scope: bool = True,
        guard_vector: np.ndarray | None = None,
        version: IndexVersion | None = None,
    ) -> Ranking:
        """The fused ranking behind `search`, to take hits from more than once (`hits`). Pass `version`
        to stay on one index version across calls (a re-index may switch it in between)."""
        version = version or self.version()
        filters = filters or Filters()
        if auto_scope and filters.case is None and filters.municipality is None and not filters.scope:
            named = named_cases(query, version.cases.values())
            if named:
                filters = replace(filters, scope=named)
        config = self.settings.retrieval
        allowed = version.allowed_ids(filters)
        language = detect_language(query)
        query = focus(query, filters, version)
        n = max(config.candidates, k)
        vector: np.ndarray | None = None
        if mode in ("hybrid", "dense"):
            vector = query_vector if query_vector is not None else self.encoder_for(version).embed_queries([query])[0]
        searchers: list[tuple[Searcher, float]] = []
        if mode in ("hybrid", "dense"):
            searchers.append((version.dense, config.dense_weight))
        if mode in ("hybrid", "lexical"):
            coverage = version.lexical.known_share(query) ** config.lexical_coverage_power
            searchers.append((version.lexical, config.lexical_weight * coverage))
        rankings: list[tuple[np.ndarray, float]] = []
        dense_scores: dict[int, float] = {}
        for searcher, weight in searchers:
            ids, scores = searcher.search(Query(query, vector), n, allowed)
            rankings.append((ids, weight))
            if searcher is version.dense:  # ties in the fusion go to the closer passage
                dense_scores = dict(zip(ids.tolist(), scores.tolist(), strict=True))
        guard_weight = config.guard_weight_en if language == "en" else config.guard_weight_nl
        if mode == "hybrid" and guard_weight > 0 and self.guard is not None and self.guarded(version):
            # A third ranking of the candidates by the guard encoder, whose vectors align languages
            # better: measured to help English questions over the Dutch study (see RetrievalSettings).
            if guard_vector is None:
                guard_vector = self.guard.embed_queries([query])[0]
            pool = np.unique(np.concatenate([ids for ids, _weight in rankings]))
            cosines = version.guard_scores(guard_vector, pool.tolist())
            by_guard = np.array(sorted(cosines, key=lambda i: (-cosines[i], i)), dtype=np.int64)
            rankings.append((by_guard, guard_weight))
        fused = reciprocal_rank_fusion(rankings, config.rrf_k)
        ordered = sorted(fused, key=lambda i: (-fused[i], -dense_scores.get(i, 0.0), i))
        if vector is not None and config.sentence_weight > 0 and ordered:
            fused = self._rerank(version, ordered[: config.rerank_depth], fused, vector, config)
            ordered = sorted(fused, key=lambda i: (-fused[i], i))
        # Diversity across cases only makes sense when the search spans several cases.
        return Ranking(version, ordered, fused, filters.single_case, allowed)

    def rank_cases(
        self,
        version: IndexVersion,
        query: str,
        query_vector: np.ndarray,
        allowed: np.ndarray | None,
        guard_vector: np.ndarray | None = None,
        asked_guard: np.ndarray | None = None,
    ) -> CaseRanking:
        """Per case (None: the study as a whole), the chunk ids of its passages ranked inside the case:
        dense and BM25 (and for English questions the guard encoder) fused as `rank` fuses them; and how
        close each case's best passage comes, by each ranking."""
        table = version.passages()
        if not len(table.ids):
            return CaseRanking({}, {}, {}, {})
        config = self.settings.retrieval
        inside = np.ones(len(table.ids), dtype=bool) if allowed is None else np.isin(table.ids, allowed)
        lexical = version.lexical.scores(query)
        by_id = dict(zip(version.lexical.ids.tolist(), lexical.tolist(), strict=True))
        lexical_scores = np.array([by_id.get(i, 0.0) for i in table.ids.tolist()])
        coverage = version.lexical.known_share(query) ** config.lexical_coverage_power
        # dense cosines can be negative; shifted so that every passage has a rank in the dense ranking
        rankings = [
            (table.vectors @ query_vector + 2.0, config.dense_weight),
            (lexical_scores, config.lexical_weight * coverage),
        ]
        guard_weight = config.guard_weight_en if detect_language(query) == "en" else config.guard_weight_nl
        if guard_vector is not None and table.guard is not None and guard_weight > 0:
            rankings.append((table.guard @ guard_vector + 2.0, guard_weight))
        ranked = rank_within_cases(table.cases, rankings, config.rrf_k, inside)
        dense = rankings[0][0] - 2.0
        top_lexical = float(lexical_scores[inside].max()) if inside.any() else 0.0
        guard = table.guard @ asked_guard if asked_guard is not None and table.guard is not None else None
        return CaseRanking(
            ordered={case: [int(table.ids[p]) for p in positions] for case, positions in ranked.items()},
            dense={case: float(dense[positions].max()) for case, positions in ranked.items()},
            # weighed by the share of the question's words the study uses, as in the fusion: an English
            # question's few accidental matches say little
            lexical={
                case: coverage * float(lexical_scores[positions].max()) / top_lexical if top_lexical > 0 else 0.0
                for case, positions in ranked.items()
            },
            guard={case: float(guard[positions].max()) for case, positions in ranked.items()}
            if guard is not None
            else {},
        )

    def hits(
        self, ranking: Ranking, k: int, per_case: int | None = None, where: Callable[[str | None], bool] | None = None
    ) -> list[Hit]:
        """The top k of a ranking, at most `per_case` per case (default: the setting; 0: no cap);
        with `where`, only passages whose section it accepts."""
        cap = self.settings.retrieval.per_case if per_case is None else per_case
        return self._hits(ranking.version, ranking.ordered, ranking.fused, k, 0 if ranking.single_case else cap, where)

    @staticmethod
    def _rerank(
        version: IndexVersion,
        top: list[int],
        fused: dict[int, float],
        vector: np.ndarray,
        config: RetrievalSettings,
    ) -> dict[int, float]:
        """Fuse the first ranking with one by each passage's best-matching sentence (stored vectors)."""
        sentences = version.sentences(top)
        best = {
            cid: max((float(np.dot(vector, s.vector)) for s in sentences.get(cid, [])), default=-1.0) for cid in top
        }
        by_sentence = np.array(sorted(top, key=lambda cid: -best[cid]), dtype=np.int64)
        reranked = reciprocal_rank_fusion(
            [(np.array(top, dtype=np.int64), 1.0), (by_sentence, config.sentence_weight)], config.rrf_k
        )
        floor = min(reranked.values(), default=0.0)
        return {cid: reranked.get(cid, floor * fused[cid] / max(fused.values())) for cid in fused}

    def _hits(
        self,
        version: IndexVersion,
        ordered: list[int],
        fused: dict[int, float],
        k: int,
        per_case: int,
        where: Callable[[str | None], bool] | None = None,
    ) -> list[Hit]:
        pool = ordered if where is not None else ordered[: max(k * 4, self.settings.retrieval.candidates)]
        rows = version.chunk_rows(pool)
        if where is not None:
            rows = {cid: row for cid, row in rows.items() if where(row.section)}
        group = {cid: (row.case_id or row.document) for cid, row in rows.items()}
        chosen = diversify([cid for cid in pool if cid in rows], group, per_case, k)
        return [version.hit(rows[cid], rank, fused[cid]) for rank, cid in enumerate(chosen, start=1)]
