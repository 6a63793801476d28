"""What every benchmark shares: result records, the run context, embedder wrappers and corpus helpers."""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.index.embedding import indexed_text, sentence_texts
from qa.ingest.chunking import chunk_document
from qa.ingest.corpus import discover, read_source
from qa.settings import Settings

if TYPE_CHECKING:
    from qa.index.embedders import Embedder

log = logging.getLogger("benchmarks")

REPO = Path(__file__).resolve().parents[1]
DEKAMER = REPO.parent / "shared" / "eval" / "dekamer"
SAMPLE_CORPUS = REPO / "corpus"

Value = float | int | str | bool | None


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Figure:
    """One reported number with what it means; `estimate` marks figures that were not measured directly."""

    key: str
    value: Value
    unit: str
    meaning: str
    target: str | None = None
    met: bool | None = None
    estimate: bool = False

    def as_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "unit": self.unit,
            "meaning": self.meaning,
            "target": self.target,
            "met": self.met,
            "estimate": self.estimate,
        }


@dataclass(frozen=True)
class Table:
    """A matrix of figures for people (its cells are also in the section's figures for machines)."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    legend: list[str] = field(default_factory=list)


@dataclass
class Section:
    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, key: str, value: Value, unit: str, meaning: str, **extra: object) -> Figure:
        figure = Figure(key, _rounded(value), unit, meaning, **extra)  # type: ignore[arg-type]
        self.figures.append(figure)
        return figure

    def as_json(self) -> dict[str, object]:
        return {
            "title": self.title,
            "seconds": round(self.seconds, 1),
            "figures": {f.key: f.as_json() for f in self.figures},
            "notes": self.notes,
        }


def _rounded(value: Value) -> Value:
    if isinstance(value, float):
        return float(f"{value:.4g}") if abs(value) < 1000 else round(value, 1)
    return value


# ---------------------------------------------------------------- statistics and process facts


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def proc_status_kb(field_name: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in kB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(field_name)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as elapsed:` ... then `elapsed[0]` holds the seconds taken."""
    elapsed = [0.0]
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - started


# ---------------------------------------------------------------- embedder wrappers


class CountingEmbedder:
    """Passes calls to a real embedder and counts them, with the seconds spent inside it."""

    def __init__(self, inner: Embedder, keep_texts: bool = False) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self.dimension = inner.dimension
        self.passage_calls = 0
        self.passages = 0
        self.query_calls = 0
        self.seconds = 0.0
        self.texts: list[str] | None = [] if keep_texts else None

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.passage_calls += 1
        self.passages += len(texts)
        if self.texts is not None:
            self.texts.extend(texts)
        started = time.perf_counter()
        try:
            return self.inner.embed_passages(texts)
        finally:
            self.seconds += time.perf_counter() - started

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.query_calls += 1
        started = time.perf_counter()
        try:
            return self.inner.embed_queries(texts)
        finally:
            self.seconds += time.perf_counter() - started


class ZeroCostEmbedder:
    """Poses as a real embedder (same name, version and dimension, so the manifest matches) and
    returns one fixed unit vector for every text: what remains of a build is its non-encoder cost."""

    def __init__(self, like: Embedder) -> None:
        self.name = like.name
        self.version = like.version
        self.dimension = like.dimension
        self._row = np.zeros(like.dimension, dtype=np.float32)
        self._row[0] = 1.0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.tile(self._row, (len(texts), 1))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.tile(self._row, (len(texts), 1))


def embed_like_indexer(embedder: Embedder, texts: Sequence[str], batch_size: int, as_query: bool = False) -> np.ndarray:
    """embed_passages (or embed_queries) over the texts in the slices the indexer uses."""
    embed = embedder.embed_queries if as_query else embedder.embed_passages
    parts = [embed(texts[start : start + batch_size]) for start in range(0, len(texts), batch_size)]
    return np.vstack(parts) if parts else np.zeros((0, embedder.dimension), dtype=np.float32)


# ---------------------------------------------------------------- run context


@dataclass
class Context:
    """What the runner hands every benchmark: settings from the environment, the chosen encoder,
    the size mode and a temporary folder that is removed after the run."""

    settings: Settings
    encoder_spec: str
    quick: bool
    workdir: Path
    dekamer: Path = DEKAMER
    sample_corpus: Path = SAMPLE_CORPUS
    cache: dict[str, object] = field(default_factory=dict)
    _embedders: dict[str, Embedder] = field(default_factory=dict)

    def embedder(self, spec: str | None = None) -> Embedder:
        """The loaded encoder (loaded once per run; load time is excluded from every figure)."""
        from qa.index.embedders import load_embedder

        spec = spec or self.encoder_spec
        if spec not in self._embedders:
            with stopwatch() as elapsed:
                embedder = load_embedder(spec, batch_size=self.settings.indexing.batch_size)
                embedder.embed_passages(["opwarmen"])  # first call pays for lazy initialisation
                embedder.embed_queries(["opwarmen"])
            log.info("loaded encoder %s (%s, dim %d) in %.1f s", spec, embedder.version, embedder.dimension, elapsed[0])
            self._embedders[spec] = embedder
        return self._embedders[spec]

    def guard(self) -> Embedder | None:
        """The topic guard's encoder (indexing.guard_encoder), loaded once; None when switched off."""
        spec = self.settings.indexing.guard_encoder
        return self.embedder(spec) if spec else None

    def folder(self, name: str) -> Path:
        path = self.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def settings_for(self, corpus: Path, index: Path) -> Settings:
        # The embedding cache always lives in the (temporary) index folder: a cache configured
        # elsewhere would make builds faster than they are and receive stand-in vectors.
        indexing = self.settings.indexing.model_copy(update={"cache_file": None})
        return self.settings.model_copy(update={"corpus": corpus, "index": index, "indexing": indexing})

    @property
    def dekamer_corpus(self) -> Path:
        return self.dekamer / "corpus"


# ---------------------------------------------------------------- corpus helpers


@dataclass(frozen=True)
class ChunkTexts:
    """What build_index embeds for one chunk on a fresh index (see qa.index.build)."""

    passages: list[str]  # its indexed text, then its sentences' texts (when sentence vectors are on)
    questions: list[str]  # its sentences again, embedded as queries


def chunk_texts(settings: Settings) -> list[ChunkTexts]:
    """Per chunk of the corpus, in the indexer's order: the texts build_index embeds for it."""
    with_sentences = settings.indexing.sentence_vectors
    found: list[ChunkTexts] = []
    for source in discover(settings).files:
        document, _warnings = read_source(source, settings)
        for chunk in chunk_document(document, settings.chunk):
            sentences = sentence_texts(chunk, document) if with_sentences else []
            found.append(
                ChunkTexts(
                    [indexed_text(chunk, document.title, document.case), *(s.as_passage for s in sentences)],
                    [s.as_question for s in sentences],
                )
            )
    return found


def in_indexer_order(per_chunk: Sequence[ChunkTexts]) -> list[str]:
    """The flat list build_index sends to embed_passages: all chunk texts first, then all sentence texts."""
    return [c.passages[0] for c in per_chunk] + [text for c in per_chunk for text in c.passages[1:]]


def questions_in_order(per_chunk: Sequence[ChunkTexts]) -> list[str]:
    """The flat list build_index sends to embed_queries: every sentence again, as a query."""
    return [text for c in per_chunk for text in c.questions]


def copy_first_documents(settings: Settings, source_corpus: Path, target: Path, min_chunks: int) -> tuple[int, int]:
    """Copy the first documents of a corpus (discovery order) until they hold `min_chunks` chunks,
    with their case.toml; returns (documents, chunks) copied."""
    source_settings = settings.model_copy(update={"corpus": source_corpus})
    documents = chunks = 0
    for source in discover(source_settings).files:
        if chunks >= min_chunks:
            break
        document, _warnings = read_source(source, source_settings)
        destination = target / source.display
        destination.parent.mkdir(parents=True, exist_ok=True)
        case_file = source.path.parent / "case.toml"
        if source.case is not None and case_file.is_file() and not (destination.parent / "case.toml").exists():
            shutil.copyfile(case_file, destination.parent / "case.toml")
        shutil.copyfile(source.path, destination)
        documents += 1
        chunks += len(chunk_document(document, settings.chunk))
    return documents, chunks


def read_queries(dekamer: Path, count: int) -> list[str]:
    """`count` different short questions spread evenly over the dekamer question set."""
    questions: list[str] = []
    with (dekamer / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                question = str(json.loads(line)["question"]).strip()
                if question and question not in questions:
                    questions.append(question)
    step = max(1, len(questions) // count)
    return questions[::step][:count]
