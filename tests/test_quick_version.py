"""When no index version can be served yet, a quick one on the guard encoder is switched in first (seconds,
where the main encoder takes minutes), its cosines put on the main encoder's scale; the main encoder's
version replaces it, also when the update that made it was stopped."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, TEST_EMBEDDING_CACHE
from small_study import write_small_study

from qa.cli import main as qa_main
from qa.errors import SettingsError
from qa.evaluation import citation_problems
from qa.index.build import build_quick_version
from qa.index.embedders import Rescaled, load_embedder
from qa.index.layout import IndexLayout
from qa.index.store import IndexReader
from qa.records import Answer
from qa.service import IndexStatus, Vraagbaak
from qa.settings import IndexSettings, Settings


class Stop(Exception):
    """Stops an update where the test says."""


def _encoder_of_current(settings: Settings) -> tuple[str, str | None]:
    folder = IndexLayout(settings.index).current_dir()
    assert folder is not None
    reader = IndexReader(folder / "meta.sqlite")
    try:
        return folder.name, reader.manifest().encoder
    finally:
        reader.close()


def test_a_quick_version_needs_a_cosine_map_for_the_two_encoders() -> None:
    assert IndexSettings().cosine_map() == IndexSettings().guard_as_main["e5-small/use-m3"]
    assert IndexSettings(encoder="minilm").cosine_map() is None  # fitted for e5-small and use-m3 only
    assert IndexSettings(guard_encoder=None).cosine_map() is None
    assert IndexSettings(guard_as_main={}).cosine_map() is None


@pytest.mark.encoder  # the real encoders
def test_a_dot_product_of_rescaled_vectors_is_the_cosine_mapped() -> None:
    guard = load_embedder("use-m3")
    quick = Rescaled(guard, 0.5, 0.6)
    texts = ["Het buurtbudget gaf bewoners zeggenschap.", "Bewoners beslisten zelf over het geld."]
    plain, lifted = guard.embed_passages(texts), quick.embed_passages(texts)
    asked = quick.embed_queries(["Wie besliste over het buurtbudget?"])[0]
    assert lifted.shape == (2, guard.dimension + 1) and lifted.dtype == np.float32
    cosines = plain @ guard.embed_queries(["Wie besliste over het buurtbudget?"])[0]
    assert np.allclose(lifted @ asked, 0.5 * cosines + 0.6, atol=1e-5)
    assert quick.name == "use-m3*0.5+0.6" and quick.version == guard.version


@pytest.mark.encoder
def test_the_quick_version_answers_first_and_gives_way_to_the_main_encoders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "embeddings.sqlite"
    shutil.copyfile(TEST_EMBEDDING_CACHE, cache)  # the main encoder's vectors of the sample study
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    settings = Settings(corpus=corpus, index=tmp_path / "index", indexing={"cache_file": cache})  # type: ignore[arg-type]
    scale, shift = settings.indexing.cosine_map() or (0, 0)
    service = Vraagbaak(settings)
    seen: dict[str, object] = {}

    def stop_after_the_quick_version(stage: str, done: int, total: int) -> None:
        if stage != "quick" and "quick" in seen:
            seen["current"] = _encoder_of_current(settings)
            seen["status"] = service.index_status()
            seen["answer"] = service.ask("Wat werkte goed bij bewonersinitiatieven?")
            raise Stop
        seen[stage] = True

    with pytest.raises(Stop):
        service.reindex(progress=stop_after_the_quick_version)
    name, encoder = seen["current"]  # type: ignore[misc]
    assert encoder == f"use-m3*{scale:g}+{shift:g}"
    status = seen["status"]
    assert isinstance(status, IndexStatus) and status.running and status.answering
    answer = seen["answer"]
    assert isinstance(answer, Answer) and not answer.abstained and len({c.case_id for c in answer.citations}) >= 3
    assert citation_problems(answer) == []
    assert answer.provisional and answer.text.startswith("*Voorlopig antwoord: het onderzoek wordt nog geïndexeerd.")
    assert answer.as_json()["provisional"] is True
    # the update was stopped: the quick version is served, and answers on its own
    assert _encoder_of_current(settings) == (name, encoder)
    assert qa_main(["index", "--check", "--index", str(settings.index)]) == 0
    checked = capsys.readouterr().out
    assert "(a quick version on the guard encoder, until the next 'qa index' builds e5-small's)" in checked
    fact = service.ask("Hoeveel inwoners namen de uitnodiging voor het burgerpanel aan?")
    assert not fact.abstained and citation_problems(fact) == []
    assert "burgerpanel-brakelsteyn" in {c.case_id for c in fact.citations}
    declined = service.ask("Hoe laat gaat het zwembad op zondag open?")
    assert declined.abstained and declined.provisional
    english = service.ask("What worked for resident initiatives?")
    assert english.provisional and english.text.startswith("*Provisional answer: the study is still being indexed.")

    # the next update builds the main encoder's version whole: not a rebuild, no second quick version
    summary = service.reindex()
    assert not summary.rebuilt and summary.quick_version is None and summary.added == summary.documents
    assert _encoder_of_current(settings) == (summary.version, "e5-small")
    complete = service.ask("Wat werkte goed bij bewonersinitiatieven?")
    assert not complete.abstained and not complete.provisional and "Voorlopig" not in complete.text

    # a version is served from now on: an update adds to it, without a quick version
    (corpus / "study" / "nieuw.md").write_text("# Nieuw\n\nEen digitaal platform trok veel reacties.\n", "utf-8")
    added = service.reindex()
    assert added.added == 1 and added.quick_version is None and not added.rebuilt


@pytest.mark.encoder
def test_a_complete_build_switches_in_the_quick_version_then_removes_it(tmp_path: Path) -> None:
    cache = tmp_path / "embeddings.sqlite"
    shutil.copyfile(TEST_EMBEDDING_CACHE, cache)
    settings = Settings(corpus=REPO / "corpus", index=tmp_path / "index", indexing={"cache_file": cache})  # type: ignore[arg-type]
    served: list[tuple[str, str | None]] = []

    def watch(stage: str, done: int, total: int) -> None:
        if stage != "quick" and not served:
            served.append(_encoder_of_current(settings))

    summary = Vraagbaak(settings).reindex(progress=watch)
    assert summary.quick_version == served[0][0] and served[0][1] != "e5-small"
    assert summary.quick_seconds is not None and 0 < summary.quick_seconds < summary.seconds
    assert _encoder_of_current(settings) == (summary.version, "e5-small")
    assert not IndexLayout(settings.index).version_dir(summary.quick_version).exists()


@pytest.mark.encoder
def test_a_quick_version_alone_is_built_for_measuring_it(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_small_study(corpus)
    settings = Settings(corpus=corpus, index=tmp_path / "index", indexing={"cache_file": tmp_path / "cache.sqlite"})  # type: ignore[arg-type]
    summary = build_quick_version(settings)
    assert summary.quick_version == summary.version and summary.documents == 4 and summary.chunks > 0
    assert _encoder_of_current(settings) == (
        summary.version,
        "use-m3*{:g}+{:g}".format(*settings.indexing.cosine_map()),
    )
    with pytest.raises(SettingsError, match="no cosine map"):
        build_quick_version(settings.model_copy(update={"indexing": IndexSettings(guard_as_main={})}))
