"""A first index version from the passages alone is switched in as soon as they are embedded, so that
questions are answered while their sentences are embedded; the complete version follows it, the same as a
single build writes, and an update stopped in between is completed by the next one."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, TEST_EMBEDDING_CACHE
from fakes import HashEmbedder
from small_study import write_small_study

from qa.cli import main as qa_main
from qa.evaluation import citation_problems
from qa.index.build import build_index
from qa.index.dense import DenseIndex
from qa.index.layout import IndexLayout
from qa.index.store import IndexReader
from qa.records import Answer
from qa.service import IndexStatus, Vraagbaak
from qa.settings import Settings


class Stop(Exception):
    """Stops an update where the test says."""


def _current(settings: Settings) -> tuple[str, IndexReader]:
    folder = IndexLayout(settings.index).current_dir()
    assert folder is not None
    return folder.name, IndexReader(folder / "meta.sqlite")


def _contents(settings: Settings) -> tuple[object, ...]:
    """Everything a version holds but when and where it was built."""
    _name, reader = _current(settings)
    try:
        ids = reader.chunk_ids()
        folder = IndexLayout(settings.index).current_dir()
        assert folder is not None
        vectors = DenseIndex.load(folder / "dense.faiss").vectors(np.array(ids, dtype=np.int64))
        manifest = replace(reader.manifest(), built_at=None, corpus=None)
        return (
            manifest,
            reader.documents(),
            reader.cases(),
            reader.chunk_rows(ids),
            reader.sentences(ids),
            reader.guard(ids),
            vectors.tobytes(),
        )
    finally:
        reader.close()


@pytest.mark.encoder  # the real encoders, the sample study's vectors from the tests' embedding cache
def test_the_first_version_answers_with_citations_before_the_complete_one_exists(tmp_path: Path) -> None:
    # the tests' cache less some sentences as questions: those are embedded after the first version
    cache = tmp_path / "embeddings.sqlite"
    shutil.copyfile(TEST_EMBEDDING_CACHE, cache)
    with sqlite3.connect(cache) as connection:
        connection.execute(
            "DELETE FROM embeddings WHERE rowid IN (SELECT rowid FROM embeddings WHERE encoder LIKE '%/query' LIMIT 40)"
        )
    connection.close()
    # without a quick version before it (tests/test_quick_version.py)
    settings = Settings(
        corpus=REPO / "corpus", index=tmp_path / "index", indexing={"cache_file": cache, "guard_as_main": {}}
    )  # type: ignore[arg-type]
    service = Vraagbaak(settings)
    seen: dict[str, object] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "first" and done == total and "first" not in seen:
            name, reader = _current(settings)
            seen["first"], seen["manifest"] = name, reader.manifest()
            seen["guarded"] = len(reader.guard(reader.chunk_ids()))  # the guard's vectors come with the passages
            reader.close()
            seen["answer"] = service.ask("Wat werkte goed bij bewonersinitiatieven?")
        if stage == "index" and "status" not in seen:  # the complete version being written
            seen["status"] = service.index_status()

    summary = service.reindex(progress=progress)
    manifest = seen["manifest"]
    assert not manifest.complete and manifest.sentences_from == 1  # type: ignore[attr-defined]
    assert seen["guarded"] == 290
    answer = seen["answer"]
    assert isinstance(answer, Answer) and not answer.abstained and answer.citations
    assert citation_problems(answer) == []
    assert "initiatievenfonds-wierdenhaven" in {c.case_id for c in answer.citations}
    status = seen["status"]
    assert isinstance(status, IndexStatus) and status.running and status.answering
    # then the complete version, switched in after it; the first one is gone
    assert summary.first_version == seen["first"] and summary.version != seen["first"]
    name, reader = _current(settings)
    assert name == summary.version and reader.manifest().complete
    assert len(reader.sentences(reader.chunk_ids())) > 1000 and reader.guard(reader.chunk_ids())
    reader.close()
    assert not IndexLayout(settings.index).version_dir(summary.first_version).exists()
    complete = service.ask("Wat werkte goed bij bewonersinitiatieven?")
    assert not complete.abstained and citation_problems(complete) == []


def _small(tmp_path: Path, folder: str, **indexing: object) -> Settings:
    """The small study, indexed into `folder` with an embedding cache of its own."""
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        write_small_study(corpus)
    return Settings(
        corpus=corpus,
        index=tmp_path / folder,
        indexing={"guard_encoder": None, "cache_file": tmp_path / f"{folder}.sqlite", **indexing},  # type: ignore[arg-type]
    )


def test_the_complete_version_is_what_a_single_build_writes(tmp_path: Path) -> None:
    single = _small(tmp_path, "single", passages_first=False)
    assert build_index(single, HashEmbedder()).first_version is None
    first = _small(tmp_path, "first")
    summary = build_index(first, HashEmbedder())
    assert summary.first_version is not None
    assert _contents(first) == _contents(single)


def test_an_update_stopped_after_the_first_version_is_completed_by_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _small(tmp_path, "index")

    def stop_at_sentences(stage: str, done: int, total: int) -> None:
        if stage == "sentences":
            raise Stop

    with pytest.raises(Stop):
        build_index(settings, HashEmbedder(), progress=stop_at_sentences)
    _name, reader = _current(settings)
    assert reader.manifest().sentences_from == 1
    assert all(not row.vector for row in reader.sentences(reader.chunk_ids()))
    reader.close()
    assert qa_main(["index", "--check", "--index", str(settings.index)]) == 0
    assert "a first version: passages only" in capsys.readouterr().out
    summary = build_index(settings, HashEmbedder())  # reads its documents again, the passages from the cache
    assert summary.first_version is not None and summary.added == 4
    single = _small(tmp_path, "single", passages_first=False)
    build_index(single, HashEmbedder())
    assert _contents(settings) == _contents(single)
    assert build_index(settings, HashEmbedder()).version == summary.version  # and then nothing is left to do


def test_no_first_version_when_every_sentence_is_cached(tmp_path: Path) -> None:
    settings = _small(tmp_path, "index")
    assert build_index(settings, HashEmbedder()).first_version is not None
    again = settings.model_copy(update={"index": tmp_path / "again"})  # the same cache: nothing to embed
    summary = build_index(again, HashEmbedder())
    assert summary.first_version is None and summary.embedded_chunks == 0
