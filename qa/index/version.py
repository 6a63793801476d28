"""An index version as the query path reads it: its passages, sentences and vectors, held in memory
once per version, and the records a search returns (`Hit`, `Sentence`) and is restricted by (`Filters`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

import numpy as np

from qa.index.dense import DenseIndex
from qa.index.lexical import LexicalIndex
from qa.index.store import ChunkRow, DocumentRow, IndexReader, StudyPassage
from qa.ingest.readers.sections import SEPARATOR as SECTION_SEPARATOR
from qa.names import case_names
from qa.records import CaseInfo
from qa.textclean import fold_text

if TYPE_CHECKING:
    pass


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


Similarity = TypeVar("Similarity", float, np.ndarray)


T = TypeVar("T")


def mix_forms(as_passage: Similarity, as_question: Similarity, question_form_weight: float) -> Similarity:
    """A sentence's similarity to a question (pure): the cosine to the sentence embedded as a passage,
    mixed with the cosine to it embedded as a query, which is closer in form to the question."""
    if not question_form_weight:
        return as_passage
    return (1 - question_form_weight) * as_passage + question_form_weight * as_question


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
class SentenceForm:
    """A form a sentence can have ("holds a number"), named so that which sentences of a version have
    it is worked out once per version."""

    name: str  # the same name must mean the same test
    accepts: Callable[[str], bool]


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
        top = max(float(sims.max()), float(self.dense.nearest(vector, 1)[1][0]) if len(self.dense) else 0.0)
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
        # A first version has no sentence vectors yet: a sentence stands for its passage, by the
        # passage's vector (in both forms); what tells its sentences apart is then their words.
        waiting = sorted({row.chunk_id for row in rows if not row.vector})
        passages = (
            dict(zip(waiting, self.dense.vectors(np.array(waiting, dtype=np.int64)), strict=True)) if waiting else {}
        )
        found: dict[int, list[Sentence]] = {}
        for row in rows:
            if row.vector:
                vector = np.frombuffer(row.vector, dtype=np.float32)
                as_question = np.frombuffer(row.as_question, dtype=np.float32)
            else:
                vector = as_question = passages[row.chunk_id]
            found.setdefault(row.chunk_id, []).append(Sentence(row.start, row.end, row.page, vector, as_question))
        return found

    def closest_sentences(
        self,
        vector: np.ndarray,
        question_form_weight: float,
        allowed: np.ndarray | None,
        k: int,
        retrieved: set[int],
        form: SentenceForm | None = None,
    ) -> list[int]:
        """At most `k` chunks, best first, among the allowed ones (None: all) and not `retrieved`, that
        hold a sentence closer to a query vector than every sentence of the retrieved chunks: the one
        sentence that answers a question can stand in a passage that ranks low as a whole. With `form`,
        only sentences of that form count, on both sides (a question of how many is answered by a sentence
        with a number: the closest such sentences, closer than every such sentence retrieved). A
        sentence's closeness mixes its two forms as the composer does. The vectors of all sentences are
        read once per version (for the sample study, 1,980 sentences: 6 MB); sentences not embedded yet (a
        first version) are left out."""
        ids, as_passage, as_question, texts = self._sentences_matrix()
        if not len(ids) or k < 1:
            return []
        sims = mix_forms(as_passage @ vector, as_question @ vector, question_form_weight)
        if form is not None:
            accepted = self.memo(
                f"sentence form/{form.name}",
                lambda: np.fromiter((form.accepts(t) for t in texts), dtype=bool, count=len(texts)),
            )
            sims = np.where(accepted, sims, -np.inf)
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
                rows = [row for row in self.reader.sentence_vectors() if row.vector]  # a first version has none
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
