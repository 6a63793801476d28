"""Hybrid search over the current index version: dense (FAISS) + lexical (BM25), fused and diversified.

`Retriever` follows the index folder's CURRENT pointer: a version switched in by `qa index` is
picked up on the next query, and a version in use is never modified.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar, cast

import numpy as np

from qa.background import Background, read_background
from qa.dense import DenseIndex
from qa.errors import IndexAccessError, IndexMismatchError, IndexMissingError
from qa.layout import IndexLayout
from qa.lexical import LexicalIndex, fold_text
from qa.manifest import Manifest
from qa.question import detect_language
from qa.readers.sections import SEPARATOR as SECTION_SEPARATOR
from qa.records import CaseInfo
from qa.scope import case_names, named_cases, without_names
from qa.settings import RetrievalSettings, Settings
from qa.store import ChunkRow, DocumentRow, IndexReader, StudyPassage

if TYPE_CHECKING:
    from qa.embedders import Embedder

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class Filters:
    case: str | None = None
    municipality: str | None = None
    kind: str | None = None
    year: int | None = None
    scope: tuple[str, ...] = ()  # cases named in the question; study-wide documents stay in

    @property
    def active(self) -> bool:
        return bool(self.scope) or any(v is not None for v in (self.case, self.municipality, self.kind, self.year))

    @property
    def cases(self) -> tuple[str, ...]:
        """The cases a search is restricted to: the chosen one, else those the question names."""
        return (self.case,) if self.case else self.scope

    @property
    def single_case(self) -> bool:
        return len(self.cases) == 1


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    chunk_id: int
    document: str
    kind: str | None
    title: str | None
    case_id: str | None
    case_title: str | None
    municipality: str | None
    year: int | None
    page: int | None
    page_end: int | None
    section: str | None
    text: str
    start: int = 0  # the passage's offsets in the document text
    end: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "case_id": self.case_id,
            "case_title": self.case_title,
            "municipality": self.municipality,
            "document": self.document,
            "kind": self.kind,
            "title": self.title,
            "page": self.page,
            "section": self.section,
            "text": self.text,
        }


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


Similarity = TypeVar("Similarity", float, np.ndarray)
T = TypeVar("T")


def mix_forms(as_passage: Similarity, as_question: Similarity, question_form_weight: float) -> Similarity:
    """A sentence's similarity to a question (pure): the cosine to the sentence embedded as a passage,
    mixed with the cosine to it embedded as a query, which is closer in form to the question."""
    if not question_form_weight:
        return as_passage
    return (1 - question_form_weight) * as_passage + question_form_weight * as_question


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
class PassageTable:
    """Every passage of an index version, for ranking inside each case: its id, the case it is about
    (a synthesis section about a case counts as that case), its section, its vectors."""

    ids: np.ndarray
    cases: tuple[str | None, ...]
    sections: tuple[str | None, ...]
    vectors: np.ndarray  # main encoder, rows aligned with ids
    guard: np.ndarray | None  # guard encoder (None: the index has none)


@dataclass(frozen=True)
class Sentence:
    start: int  # offsets into the chunk text
    end: int
    page: int | None
    vector: np.ndarray  # embedded as a passage
    as_question: np.ndarray  # embedded as a query: compared with a question, form for form


class IndexVersion:
    """One loaded, immutable index version."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = folder.name
        self.reader = IndexReader(folder / "meta.sqlite")
        self.manifest = self.reader.manifest()
        self.dense = DenseIndex.load(folder / "dense.faiss")
        self.lexical = LexicalIndex.load(folder / "lexical")
        self.cases = {case.case_id: case for case in self.reader.cases()}
        # longest first, so that a title containing another one wins
        self._titles = sorted(((fold_text(c.title), c) for c in self.cases.values()), key=lambda t: -len(t[0]))
        self._lock = threading.Lock()  # guards the values read once (the reader guards its own reads)
        self._sample_vectors: np.ndarray | None = None
        self._sentence_vectors: tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]] | None = None
        self._passages: PassageTable | None = None
        self._memo: dict[str, object] = {}
        self._memo_lock = threading.RLock()

    def allowed_ids(self, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        ids = self.reader.chunk_ids_where(
            filters.case,
            filters.municipality,
            filters.kind,
            filters.year,
            filters.scope,
            self.scope_names(filters.scope),
        )
        return np.array(sorted(ids), dtype=np.int64)

    def scope_names(self, scope: tuple[str, ...]) -> tuple[str, ...]:
        """The names (municipality, proper nouns of the title) of the scoped cases."""
        return tuple(sorted({name for c in scope if c in self.cases for name in case_names(self.cases[c])}))

    def chunk_rows(self, ids: list[int]) -> dict[int, ChunkRow]:
        return self.reader.chunk_rows(ids)

    def hit(self, row: ChunkRow, rank: int = 0, score: float = 0.0) -> Hit:
        """A passage as a hit, from its `chunk_rows` row."""
        case = self.cases.get(row.case_id) if row.case_id else self.case_of_section(row.section)
        return Hit(
            rank=rank,
            score=score,
            chunk_id=row.id,
            document=row.document,
            kind=row.kind,
            title=row.title,
            case_id=case.case_id if case else row.case_id,
            case_title=case.title if case else None,
            municipality=case.municipality if case else None,
            year=case.year if case else None,
            page=row.page_start,
            page_end=row.page_end,
            section=row.section,
            text=row.text,
            start=row.start,
            end=row.end,
        )

    def documents(self) -> list[DocumentRow]:
        """Every document of the version (indexed, skipped or stale), by path."""
        return self.reader.documents()

    def study_sections(self) -> list[ChunkRow]:
        """The passages with a section of the documents about the study as a whole, in document order."""
        return self.reader.study_chunk_rows()

    def case_of_section(self, section: str | None) -> CaseInfo | None:
        """The case a study-wide passage is about, when its section names it: the synthesis's
        "Casus 7: Buurthuis De Klaproos in bewonersbeheer (Merelburg) › Succesfactoren" is De Klaproos."""
        if not section:
            return None
        folded = fold_text(section)
        return next((case for title, case in self._titles if title in folded), None)

    def next_passage(self, hit: Hit) -> Hit | None:
        """The passage after `hit` in its document, when it is still in the same section."""
        after = self.reader.next_chunk_id(hit.chunk_id)
        found = self.chunk_rows([after]) if after is not None else {}
        following = self.hit(found[after]) if after is not None and after in found else None
        return following if following is not None and following.section == hit.section else None

    def subsections(self, document: str, section: str) -> list[Hit]:
        """The passage that opens each direct subsection of `section` in `document`, in document
        order: under "Overkoepelende succesfactoren", the ones starting "1. Een transparant ...",
        "2. Budget ...", and so on."""
        prefix = f"{section}{SECTION_SEPARATOR}"
        rows = self.reader.sections_under(document, section)
        first: dict[str, int] = {}
        for cid, path in rows:
            if path and path.startswith(prefix) and SECTION_SEPARATOR not in path[len(prefix) :]:
                first.setdefault(path, cid)
        found = self.chunk_rows(list(first.values()))
        return [self.hit(found[cid]) for cid in first.values() if cid in found]

    def study_passages(self) -> list[StudyPassage]:
        """(document, section, chunk id) of every passage of the documents about the study as a whole,
        in document order."""
        return self.reader.study_passages()

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """A value derived from this version, built once (the version never changes)."""
        with self._memo_lock:
            if key not in self._memo:
                self._memo[key] = build()
            return cast(T, self._memo[key])

    def relevance(self, vector: np.ndarray, peak_weight: float) -> float:
        """How strongly the index answers to a query vector: best cosine plus how far it stands out
        above the median cosine (over a fixed sample of at most 2,000 passages)."""
        sample = self._sample()
        if not len(sample):
            return 0.0
        sims = sample @ vector
        top = max(float(sims.max()), float(self.dense.search(vector, 1)[1][0]) if len(self.dense) else 0.0)
        return top + peak_weight * (top - float(np.median(sims)))

    def guard_scores(self, vector: np.ndarray, chunk_ids: list[int]) -> dict[int, float]:
        """Cosine between a guard-encoder query vector and these chunks' guard vectors (those that have one)."""
        blobs = self.reader.guard(chunk_ids)
        if not blobs:
            return {}
        matrix = np.vstack([np.frombuffer(b, dtype=np.float32) for b in blobs.values()])
        return dict(zip(blobs, (matrix @ vector).tolist(), strict=True))

    def topicality(self, vector: np.ndarray, chunk_ids: list[int]) -> float:
        """Best guard cosine over these chunks (0 without guard vectors): is the question on topic?"""
        return max(self.guard_scores(vector, chunk_ids).values(), default=0.0)

    def knows_word(self, token: str) -> bool:
        return self.lexical.knows(token)

    def _sample(self) -> np.ndarray:
        if self._sample_vectors is None:
            ids = self.reader.chunk_ids()
            step = max(1, len(ids) // 2000)
            self._sample_vectors = self.dense.vectors(np.array(ids[::step][:2000], dtype=np.int64))
        return self._sample_vectors

    def sentences(self, chunk_ids: list[int]) -> dict[int, list[Sentence]]:
        """Per chunk: its quotable sentences (offsets into the chunk text), pages and vectors."""
        rows = self.reader.sentences(chunk_ids)
        found: dict[int, list[Sentence]] = {}
        for row in rows:
            vector = np.frombuffer(row.vector, dtype=np.float32)
            as_question = np.frombuffer(row.as_question, dtype=np.float32)
            found.setdefault(row.chunk_id, []).append(Sentence(row.start, row.end, row.page, vector, as_question))
        return found

    def closest_sentences(
        self,
        vector: np.ndarray,
        question_form_weight: float,
        allowed: np.ndarray | None,
        k: int,
        retrieved: set[int],
        kind: Callable[[str], bool] | None = None,
    ) -> list[int]:
        """At most `k` chunks, best first, among the allowed ones (None: all) and not `retrieved`, that
        hold a sentence closer to a query vector than every sentence of the retrieved chunks: the one
        sentence that answers a question can stand in a passage that ranks low as a whole. With `kind`,
        only sentences it accepts count, on both sides (a question of how many is answered by a sentence
        with a number: the closest such sentences, closer than every such sentence retrieved). A
        sentence's closeness mixes its two forms as the composer does. The vectors of all sentences are
        read once per version (for the sample study, 1,980 sentences: 6 MB)."""
        ids, as_passage, as_question, texts = self._sentences_matrix()
        if not len(ids) or k < 1:
            return []
        sims = mix_forms(as_passage @ vector, as_question @ vector, question_form_weight)
        if kind is not None:
            sims = np.where(np.fromiter((kind(t) for t in texts), dtype=bool, count=len(texts)), sims, -np.inf)
        inside = np.isin(ids, np.fromiter(retrieved, dtype=np.int64, count=len(retrieved)))
        bar = float(sims[inside].max()) if inside.any() else -np.inf
        if allowed is not None:
            sims = np.where(np.isin(ids, allowed), sims, -np.inf)
        found: list[int] = []
        for index in np.argsort(-sims, kind="stable"):
            if len(found) >= k or sims[index] <= bar:
                break
            chunk = int(ids[index])
            if chunk not in retrieved and chunk not in found:
                found.append(chunk)
        return found

    def _sentences_matrix(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[str, ...]]:
        with self._lock:
            if self._sentence_vectors is None:
                rows = self.reader.sentence_vectors()
                empty = np.zeros((0, self.dense.dimension), dtype=np.float32)
                ids = np.array([row.chunk_id for row in rows], dtype=np.int64)
                as_passage = np.vstack([np.frombuffer(row.vector, dtype=np.float32) for row in rows]) if rows else empty
                as_question = (
                    np.vstack([np.frombuffer(row.as_question, dtype=np.float32) for row in rows]) if rows else empty
                )
                self._sentence_vectors = (ids, as_passage, as_question, tuple(row.text for row in rows))
            return self._sentence_vectors

    def passages(self) -> PassageTable:
        """Every passage's case, section and vectors, read once per version."""
        with self._lock:
            if self._passages is None:
                rows = self.reader.passage_rows()
                ids = np.array([row.chunk_id for row in rows], dtype=np.int64)
                cases = tuple(
                    row.case_id or (found.case_id if (found := self.case_of_section(row.section)) else None)
                    for row in rows
                )
                blobs = self.reader.guard(ids.tolist())
                guard = None
                if blobs:
                    width = len(np.frombuffer(next(iter(blobs.values())), dtype=np.float32))
                    empty = np.zeros(width, dtype=np.float32)
                    guard = np.vstack(
                        [np.frombuffer(blobs[i], dtype=np.float32) if i in blobs else empty for i in ids.tolist()]
                    )
                vectors = self.dense.vectors(ids) if len(ids) else np.zeros((0, self.dense.dimension), np.float32)
                self._passages = PassageTable(ids, cases, tuple(row.section for row in rows), vectors, guard)
            return self._passages

    def close(self) -> None:
        self.reader.close()


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
        serving = self.layout.serving()
        folder = serving.folder
        if folder is None and serving.broken:
            raise IndexMissingError(
                f"{self.layout.root}: index version {serving.broken}, and no earlier version is intact; "
                "rebuild it with 'qa index --rebuild'"
            )
        if folder is None:
            raise IndexMissingError(f"{self.layout.root}: no index yet; build it with 'qa index'")
        with self._lock:
            if self._version is None or self._version.folder != folder:
                try:
                    loaded = IndexVersion(folder)
                except PermissionError as exc:
                    raise IndexAccessError(self.layout.root, "read", exc) from exc
                differences = loaded.manifest.differences(Manifest.wanted(self.settings, self.embedder))
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
        rankings: list[tuple[np.ndarray, float]] = []
        dense_scores: dict[int, float] = {}
        vector: np.ndarray | None = None
        if mode in ("hybrid", "dense"):
            vector = query_vector if query_vector is not None else self.embedder.embed_queries([query])[0]
            ids, scores = version.dense.search(vector, n, allowed)
            rankings.append((ids, config.dense_weight))
            dense_scores = dict(zip(ids.tolist(), scores.tolist(), strict=True))
        if mode in ("hybrid", "lexical"):
            mask = None if allowed is None else np.isin(version.lexical.ids, allowed)
            ids, _scores = version.lexical.search(query, n, mask)
            coverage = version.lexical.known_share(query) ** config.lexical_coverage_power
            rankings.append((ids, config.lexical_weight * coverage))
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
