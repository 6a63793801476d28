"""Incremental, crash-safe indexing on tiny real corpora, with a deterministic fake encoder."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, make_docx, make_pdf
from conftest import obeying_permissions as _obeying_permissions
from fakes import HashEmbedder

from qa.cli import main as qa_main
from qa.errors import IndexLockedError, IndexMismatchError, IndexMissingError
from qa.index.build import build_index
from qa.index.layout import IndexLayout, Serving, WriterLock
from qa.index.lexical import WORDS_FILE, LexicalIndex, compound_parts, tokenize
from qa.index.searcher import Query
from qa.search.retrieval import Filters, Retriever, diversify, reciprocal_rank_fusion
from qa.settings import ChunkSettings, Settings


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.passages = 0
        self.asked = 0  # the indexer embeds every sentence a second time, as a query
        self.texts: list[str] = []

    def embed_passages(self, texts):  # type: ignore[no-untyped-def]
        self.passages += len(texts)
        self.texts.extend(texts)
        return super().embed_passages(texts)

    def embed_queries(self, texts):  # type: ignore[no-untyped-def]
        self.asked += len(texts)
        return super().embed_queries(texts)

    @property
    def embedded(self) -> int:
        return self.passages + self.asked


def _case(root: Path, slug: str, municipality: str, topic: str) -> None:
    folder = root / "cases" / slug
    folder.mkdir(parents=True)
    (folder / "case.toml").write_text(
        f'title = "Casus {slug}"\nmunicipality = "{municipality}"\nyear = 2015\nthemes = ["{topic}"]\n\n'
        '[[documents]]\nfile = "analyse.pdf"\nkind = "documentanalyse"\ntitle = "Analyse"\n',
        encoding="utf-8",
    )
    make_pdf(
        folder / "analyse.pdf",
        [
            [f"Aanleiding {topic}", f"In {municipality} ging het over {topic}. " * 6],
            ["Resultaat", f"Het {topic} slaagde."],
        ],
        header=f"Fictief rapport {slug}",
    )
    make_docx(folder / "interview.docx", [("heading", "Wat werkte"), ("para", f"De aanpak rond {topic} werkte goed.")])


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    _case(root, "buurtbudget", "Wierdenhaven", "buurtbudget")
    _case(root, "burgerpanel", "Brakelsteyn", "loting")
    (root / "study").mkdir()
    (root / "study" / "synthese.md").write_text("# Synthese\n\nRuimte voor experiment was belangrijk.\n", "utf-8")
    return root


def _settings(corpus: Path, tmp_path: Path, **kw: object) -> Settings:
    """Settings for an index in `tmp_path`; without a quick version unless `indexing` asks for one."""
    indexing = {"guard_as_main": {}, **kw.pop("indexing", {})}  # type: ignore[dict-item]
    return Settings(corpus=corpus, index=tmp_path / "index", indexing=indexing, **kw)  # type: ignore[arg-type]


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_build_then_nothing_changed_embeds_nothing(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path)
    embedder = CountingEmbedder()
    first = build_index(settings, embedder)
    assert (first.added, first.changed, first.removed, first.unchanged) == (5, 0, 0, 0)
    assert first.documents == 5 and first.chunks >= 5
    assert embedder.embedded == first.embedded_chunks > first.chunks  # passages, their sentences, as queries too
    second = build_index(settings, embedder)
    assert (second.added, second.changed, second.removed, second.unchanged) == (0, 0, 0, 5)
    assert second.embedded_chunks == 0 and embedder.embedded == first.embedded_chunks
    assert second.version == first.version  # nothing rewritten, nothing switched
    assert second.chunks == first.chunks
    assert set(second.as_json()) == {
        "added",
        "changed",
        "removed",
        "unchanged",
        "skipped",
        "documents",
        "chunks",
        "seconds",
    }


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_change_add_remove_touch_only_those_documents(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path)
    embedder = CountingEmbedder()
    build_index(settings, embedder)
    retriever = Retriever(settings, embedder)
    before = {h.document: h.chunk_id for h in retriever.search("loting Brakelsteyn", k=10, mode="lexical")}

    (corpus / "study" / "synthese.md").write_text("# Synthese\n\nBudget voor initiatieven hielp.\n", "utf-8")
    (corpus / "cases" / "buurtbudget" / "interview.docx").unlink()
    (corpus / "study" / "nieuw.md").write_text("# Nieuw\n\nEen digitaal platform trok veel reacties.\n", "utf-8")
    embedder.passages, embedder.asked, embedder.texts = 0, 0, []
    summary = build_index(settings, embedder)
    assert (summary.added, summary.changed, summary.removed, summary.unchanged) == (1, 1, 1, 3)
    # only the changed and the new document were embedded: each one passage plus one sentence, and that
    # sentence once more as a query
    assert embedder.passages == 4 and embedder.asked == 2 and summary.embedded_chunks == 6
    assert all("Budget voor initiatieven" in t or "digitaal platform" in t for t in embedder.texts)

    after = {h.document: h.chunk_id for h in retriever.search("loting Brakelsteyn", k=10, mode="lexical")}
    assert after["cases/burgerpanel/analyse.pdf"] == before["cases/burgerpanel/analyse.pdf"]  # same ids kept
    assert retriever.search("digitaal platform", k=1, mode="lexical")[0].document == "study/nieuw.md"
    assert all(h.document != "cases/buurtbudget/interview.docx" for h in retriever.search("aanpak", k=10))


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_broken_replacement_keeps_the_indexed_version(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path)
    build_index(settings, HashEmbedder())
    (corpus / "cases" / "burgerpanel" / "analyse.pdf").write_bytes(b"%PDF-1.4 kapot")
    summary = build_index(settings, HashEmbedder())
    assert [(s.path, s.reason) for s in summary.skipped] == [
        ("cases/burgerpanel/analyse.pdf", "truncated PDF (no end-of-file marker)")
    ]
    assert summary.documents == 5
    hits = Retriever(settings, HashEmbedder()).search("loting Brakelsteyn", k=3, mode="lexical")
    assert hits[0].document == "cases/burgerpanel/analyse.pdf" and hits[0].page == 1


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_search_filters_and_hit_fields(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path)
    build_index(settings, HashEmbedder())
    retriever = Retriever(settings, HashEmbedder())
    hits = retriever.search("Wat werkte goed?", k=5, filters=Filters(municipality="brakelsteyn"))
    assert hits and {h.case_id for h in hits} == {"burgerpanel"}
    hits = retriever.search("buurtbudget", k=5, filters=Filters(kind="documentanalyse"))
    assert {h.kind for h in hits} == {"documentanalyse"}
    top = hits[0]
    assert top.case_title == "Casus buurtbudget" and top.municipality == "Wierdenhaven" and top.page in (1, 2)
    assert json.loads(json.dumps(top.as_json()))["document"] == "cases/buurtbudget/analyse.pdf"


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_other_settings_are_detected_and_rebuild_fixes_it(corpus: Path, tmp_path: Path) -> None:
    build_index(_settings(corpus, tmp_path), HashEmbedder())
    changed = _settings(corpus, tmp_path, chunk=ChunkSettings(size=500, overlap=50, min_size=100))
    with pytest.raises(IndexMismatchError, match=r"chunk_size: index has 900, settings want 500.*qa index --rebuild"):
        Retriever(changed, HashEmbedder()).search("budget")
    summary = build_index(changed, HashEmbedder())
    assert summary.rebuilt and summary.added == 5
    assert Retriever(changed, HashEmbedder()).search("budget")


def test_second_writer_fails_at_once(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path)
    with WriterLock(IndexLayout(settings.index)):
        started = time.perf_counter()
        with pytest.raises(IndexLockedError, match="another 'qa index'"):
            build_index(settings, HashEmbedder())
        assert time.perf_counter() - started < 5


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_reader_picks_up_a_new_version_on_next_query(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path)
    build_index(settings, HashEmbedder())
    retriever = Retriever(settings, HashEmbedder())
    assert not retriever.search("zeldzaamwoord", k=3, mode="lexical")
    (corpus / "study" / "extra.md").write_text("Een zeldzaamwoord staat hier.\n", "utf-8")
    build_index(settings, HashEmbedder())
    assert retriever.search("zeldzaamwoord", k=1, mode="lexical")[0].document == "study/extra.md"


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_a_version_removed_after_its_name_was_read_gives_way_to_the_one_served_now(
    corpus: Path, tmp_path: Path
) -> None:
    settings = _settings(corpus, tmp_path)
    build_index(settings, HashEmbedder())
    replaced = IndexLayout(settings.index).serving().folder
    assert replaced is not None
    (corpus / "study" / "extra.md").write_text("Een zeldzaamwoord staat hier.\n", "utf-8")
    build_index(settings, HashEmbedder())
    shutil.rmtree(replaced)  # as an update removes a first version once the complete one is in

    class ReadJustBeforeTheSwitch(IndexLayout):
        """The pointer as a reader read it an instant before the update switched and removed it."""

        read = 0

        def serving(self) -> Serving:
            ReadJustBeforeTheSwitch.read += 1
            return Serving(replaced) if ReadJustBeforeTheSwitch.read == 1 else super().serving()

    retriever = Retriever(settings, HashEmbedder())
    retriever.layout = ReadJustBeforeTheSwitch(settings.index)
    assert retriever.search("zeldzaamwoord", k=1, mode="lexical")[0].document == "study/extra.md"


KILLER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{tests!r}, {repo!r}]
    from pathlib import Path
    from fakes import HashEmbedder
    from qa.index.build import build_index
    from qa.settings import Settings

    class Told(HashEmbedder):
        def embed_passages(self, texts):
            print("embedding", flush=True)
            sys.stdin.readline()  # go on when the test says so: the test kills it while it waits here
            return super().embed_passages(texts)

    build_index(Settings(corpus=Path(sys.argv[1]), index=Path(sys.argv[2]), indexing={{"batch_size": 1}}), Told())
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_at_any_moment_leaves_the_previous_version_served(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path)
    build_index(settings, HashEmbedder())
    for n in range(10):
        (corpus / "study" / f"extra{n}.md").write_text(
            f"# Extra {n}\n\n" + "Nieuwe tekst over wijkbudget. " * 80, "utf-8"
        )
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(tests=str(REPO / "tests"), repo=str(REPO)), encoding="utf-8")
    layout = IndexLayout(settings.index)
    original = layout.current_name()
    for calls in (1, 3, 6, 10, 15):  # killed in the middle of its n-th call to the encoder
        process = subprocess.Popen(
            [sys.executable, str(script), str(corpus), str(settings.index)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdin is not None and process.stdout is not None
        for call in range(calls):
            assert process.stdout.readline() == "embedding\n"  # waits for the call
            if call + 1 < calls:
                process.stdin.write("\n")
                process.stdin.flush()
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        current = layout.current_name()
        assert current is not None
        retriever = Retriever(settings, HashEmbedder())
        hits = retriever.search("loting Brakelsteyn", k=3, mode="lexical")
        assert hits and hits[0].document == "cases/burgerpanel/analyse.pdf"
        version = retriever.version()
        assert len(version.dense) == version.reader.chunk_count()
    # the next run recovers without manual steps, finishes the job and reuses what was embedded
    summary = build_index(settings, HashEmbedder())
    assert summary.documents == 15
    fresh = build_index(_settings(corpus, tmp_path / "elsewhere"), HashEmbedder())
    assert summary.embedded_chunks < fresh.embedded_chunks  # the killed runs' batches were kept
    assert not list(settings.index.glob(".tmp-*"))
    assert layout.current_name() != original


def test_fusion_and_diversity_are_pure() -> None:
    fused = reciprocal_rank_fusion([(np.array([1, 2, 3]), 1.0), (np.array([3, 1]), 1.0)], k=60)
    assert max(fused, key=fused.__getitem__) == 1 and set(fused) == {1, 2, 3}
    assert fused[3] > fused[2]
    groups = {1: "a", 2: "a", 3: "a", 4: "b", 5: "c"}
    assert diversify([1, 2, 3, 4, 5], groups, per_group=1, k=3) == [1, 4, 5]
    assert diversify([1, 2, 3, 4], groups, per_group=2, k=4) == [1, 2, 4, 3]
    assert diversify([1, 2, 3], groups, per_group=0, k=2) == [1, 2]


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_rebuild_reuses_cached_embeddings(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path)
    embedder = CountingEmbedder()
    first = build_index(settings, embedder)
    rebuilt = build_index(settings, embedder, rebuild=True)
    assert rebuilt.rebuilt and rebuilt.added == 5
    assert rebuilt.embedded_chunks == 0 and embedder.embedded == first.embedded_chunks  # nothing embedded twice
    hits = Retriever(settings, embedder).search("loting Brakelsteyn", k=1)
    assert hits[0].document == "cases/burgerpanel/analyse.pdf"


class CountingGuard(CountingEmbedder):
    name = "fake-guard"


def test_guard_vectors_are_embedded_once_and_carried(corpus: Path, tmp_path: Path) -> None:
    import sqlite3

    settings = _settings(corpus, tmp_path)
    guard = CountingGuard()
    first = build_index(settings, HashEmbedder(), guard=guard)
    assert guard.passages == first.chunks  # one guard vector per passage, none per sentence

    def guard_rows() -> dict[int, bytes]:
        folder = IndexLayout(settings.index).current_dir()
        assert folder is not None
        with sqlite3.connect(folder / "meta.sqlite") as connection:
            return dict(connection.execute("SELECT chunk_id, vector FROM guard"))

    before = guard_rows()
    (corpus / "study" / "nieuw.md").write_text("# Nieuw\n\nEen digitaal platform trok veel reacties.\n", "utf-8")
    guard.passages, guard.texts = 0, []
    second = build_index(settings, HashEmbedder(), guard=guard)
    after = guard_rows()
    assert guard.passages == 1 and "digitaal platform" in guard.texts[0]  # only the new passage
    assert len(after) == second.chunks
    assert all(after[cid] == vector for cid, vector in before.items())  # carried unchanged, same ids

    # the composer reads them: a question near the new passage has a higher topicality than one far off
    retriever = Retriever(settings, HashEmbedder(), guard=guard)
    version = retriever.version()
    ids = list(after)
    near = version.topicality(guard.embed_queries(["digitaal platform reacties"])[0], ids)
    far = version.topicality(guard.embed_queries(["erwtensoep recept"])[0], ids)
    assert near > far


def test_switching_the_guard_encoder_off_is_a_settings_change(corpus: Path, tmp_path: Path) -> None:
    build_index(_settings(corpus, tmp_path), HashEmbedder(), guard=CountingGuard())
    off = _settings(corpus, tmp_path, indexing={"guard_encoder": None})
    with pytest.raises(IndexMismatchError, match="guard_encoder"):
        Retriever(off, HashEmbedder()).search("budget")
    assert build_index(off, HashEmbedder()).rebuilt


class QueryCountingGuard(CountingGuard):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_queries(self, texts):  # type: ignore[no-untyped-def]
        self.queries.extend(texts)
        return super().embed_queries(texts)


def test_guard_ranking_joins_the_fusion_for_english_questions_only(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path, retrieval={"guard_weight_en": 0.5, "guard_weight_nl": 0.0})
    guard = QueryCountingGuard()
    build_index(settings, HashEmbedder(), guard=guard)
    retriever = Retriever(settings, HashEmbedder(), guard=guard)
    retriever.search("Wat werkte goed bij het buurtbudget?", k=3)
    assert guard.queries == []
    english = retriever.search("What worked well for the neighbourhood budget?", k=3)
    assert guard.queries == ["What worked well for the neighbourhood budget?"]
    # the third ranking changes the fused scores: without it they are those of dense + BM25 alone
    plain = Retriever(_settings(corpus, tmp_path, retrieval={"guard_weight_en": 0.0}), HashEmbedder(), guard=guard)
    assert [h.score for h in plain.search("What worked well for the neighbourhood budget?", k=3)] != [
        h.score for h in english
    ]


@pytest.mark.encoder  # the guard encoder (indexing.guard_encoder)
def test_every_sentence_is_stored_in_both_forms(corpus: Path, tmp_path: Path) -> None:
    settings = _settings(corpus, tmp_path)
    embedder = HashEmbedder()
    build_index(settings, embedder)
    version = Retriever(settings, embedder).version()
    ids = version.reader.chunk_ids()
    rows = version.chunk_rows(ids)
    sentences = [(rows[cid][2][s.start : s.end], s) for cid, found in version.sentences(ids).items() for s in found]
    assert sentences
    for text, sentence in sentences:
        # as a question: the sentence alone, embedded as a query; as a passage: with its source in front
        assert np.allclose(sentence.as_question, embedder.embed_queries([text])[0])
        assert not np.allclose(sentence.vector, embedder.embed_passages([text])[0])


def test_a_compound_splits_into_parts_the_texts_use_on_their_own() -> None:
    counts = {"hulpverlening": 3, "zones": 2, "verkeer": 4, "overtredingen": 1, "buurt": 9, "budget": 5, "bon": 1}
    assert compound_parts("hulpverleningszones", counts) == ("hulpverlening", "zones")  # joined by an s
    assert compound_parts("verkeersovertredingen", counts) == ("verkeer", "overtredingen")
    assert compound_parts("buurtbudget", counts) == ("buurt", "budget")
    assert compound_parts("buurtbudget", {**counts, "buurtbudget": 40}) is None  # used far more as a whole
    assert compound_parts("cadeaubon", counts) is None  # "cadeau" is not a word of the texts, "bon" too short
    assert compound_parts("budget", counts) is None
    assert compound_parts("buurt" * 1000 + "budget", counts) is None  # a broken PDF's run of letters


def test_bm25_finds_a_passage_by_a_part_of_a_compound_after_a_reload(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    texts = [
        "De hulpverlening in de zones werd hervormd.",
        "Het buurtbudget ging naar een speeltuin.",
        "Het budget van de gemeente bleef gelijk, net als het budget voor wegen.",
        "Het verkeer in de buurt nam toe; de buurt klaagde.",
    ]
    built = LexicalIndex.build(texts, np.arange(4))
    built.save(tmp_path / "lexical")
    lexical = LexicalIndex.load(tmp_path / "lexical")
    # the question's compound meets the passage's words, and the passage's compound the question's word
    assert lexical.search(Query("hulpverleningszones", None), 1)[0].tolist() == [0]
    assert set(lexical.search(Query("budget", None), 4)[0].tolist()) == {1, 2}
    # and the compound itself still ranks its own passage first
    assert lexical.search(Query("buurtbudget", None), 4)[0].tolist()[0] == 1
    assert np.allclose(lexical.scores("buurtbudget"), built.scores("buurtbudget"))
    # a damaged word list: questions are matched on whole words, which the passages also hold
    (tmp_path / "lexical" / WORDS_FILE).write_text('{"buurt": 2, "bud', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        damaged = LexicalIndex.load(tmp_path / "lexical")
    assert WORDS_FILE in caplog.text and "whole words" in caplog.text
    assert damaged.search(Query("hulpverleningszones", None), 1)[0].tolist() == []
    assert damaged.search(Query("buurtbudget", None), 4)[0].tolist()[0] == 1


def test_rare_words_have_a_higher_idf() -> None:
    texts = ["loting en loting", "loting bij het panel", "een cadeaubon voor elke deelnemer"]
    lexical = LexicalIndex.build(texts, np.arange(3))
    (lot,), (bon,) = tokenize("loting"), tokenize("cadeaubon")  # idf takes the stemmed words tokenize gives
    assert lexical.idf(bon) == pytest.approx(np.log(1 + 3 / 2)) and lexical.idf(lot) == pytest.approx(np.log(2))
    assert lexical.idf("onbekend") == pytest.approx(np.log(1 + 3))  # a word no passage holds: rarest of all
    assert LexicalIndex.build([], np.arange(0)).idf(lot) == 0.0


def test_the_embedding_cache_is_pruned_of_unused_entries_only_when_large(tmp_path: Path) -> None:
    from qa.index.embedcache import EmbeddingCache

    path = tmp_path / "embeddings.sqlite"

    def kept() -> set[str]:
        with sqlite3.connect(path) as connection:
            return {sha for (sha,) in connection.execute("SELECT sha FROM embeddings")}

    old = EmbeddingCache(path, "e5-small", "1", 2)
    old.started -= 60  # a run a minute before this one
    old.put([f"old{i}" for i in range(30)], np.ones((30, 2), dtype=np.float32))
    old.close()
    run = EmbeddingCache(path, "e5-small", "1", 2)
    run.put(["new"], np.ones((1, 2), dtype=np.float32))
    run.prune(keep_at_least=1, floor=20)  # 31 entries: not more than twice the floor
    assert len(kept()) == 31
    run.prune(keep_at_least=1, floor=10)  # more than twice the floor: what this run did not use goes
    assert kept() == {"new"}
    run.close()


DAMAGE = {
    "empty": lambda data: b"",
    "truncated": lambda data: data[: len(data) // 2],
    "header only": lambda data: data[:100],
}


def _two_versions(corpus: Path, tmp_path: Path) -> tuple[Settings, IndexLayout, str, str]:
    """An index whose current version adds study/nieuw.md to the one before it; their names."""
    settings = _settings(corpus, tmp_path, indexing={"guard_encoder": None})
    build_index(settings, HashEmbedder())
    layout = IndexLayout(settings.index)
    previous = layout.current_name()
    (corpus / "study" / "nieuw.md").write_text("# Nieuw\n\nEen zeldzaamwoord staat hier.\n", "utf-8")
    build_index(settings, HashEmbedder())
    current = layout.current_name()
    assert previous is not None and current is not None and previous != current
    return settings, layout, previous, current


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_broken_current_version_is_never_opened_and_the_previous_one_serves(
    corpus: Path, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings, layout, previous, current = _two_versions(corpus, tmp_path)
    meta = layout.version_dir(current) / "meta.sqlite"
    meta.write_bytes(DAMAGE[damage](meta.read_bytes()))

    with caplog.at_level(logging.WARNING):
        retriever = Retriever(settings, HashEmbedder())
        hits = retriever.search("loting Brakelsteyn", k=1, mode="lexical")
        assert hits[0].document == "cases/burgerpanel/analyse.pdf"
        assert retriever.version().name == previous
        assert not retriever.search("zeldzaamwoord", k=1, mode="lexical")  # the broken version's document
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings  # once, not on every question
    assert current in warnings[0] and "meta.sqlite" in warnings[0] and previous in warnings[0]

    summary = build_index(settings, HashEmbedder(), rebuild=True)  # reads nothing of the broken version
    assert summary.rebuilt and summary.documents == 6
    assert layout.current_name() not in (previous, current)
    assert Retriever(settings, HashEmbedder()).search("zeldzaamwoord", k=1, mode="lexical")[0].document == (
        "study/nieuw.md"
    )


def test_an_update_over_a_broken_current_version_starts_from_the_intact_one(corpus: Path, tmp_path: Path) -> None:
    settings, layout, previous, current = _two_versions(corpus, tmp_path)
    (layout.version_dir(current) / "meta.sqlite").write_bytes(b"")
    summary = build_index(settings, HashEmbedder())
    assert (summary.added, summary.unchanged) == (1, 5)  # study/nieuw.md again, on top of the intact version
    assert layout.current_name() not in (previous, current)
    assert summary.version == layout.current_name()


def test_with_no_intact_version_left_the_reader_says_to_rebuild(corpus: Path, tmp_path: Path) -> None:
    settings, layout, previous, current = _two_versions(corpus, tmp_path)
    for name in (previous, current):
        (layout.version_dir(name) / "meta.sqlite").write_bytes(b"")
    with pytest.raises(IndexMissingError, match=rf"{current}: meta.sqlite is empty.*qa index --rebuild"):
        Retriever(settings, HashEmbedder()).search("loting")
    assert build_index(settings, HashEmbedder(), rebuild=True).documents == 6


def _child(tmp_path: Path, template: str, *args: Path) -> subprocess.CompletedProcess[str]:
    """Run a test script (`template`, with the test and repository folders filled in) as a child that
    file permissions stop."""
    script = tmp_path / "child.py"
    script.write_text(template.format(tests=str(REPO / "tests"), repo=str(REPO)), encoding="utf-8")
    return subprocess.run(
        [*_obeying_permissions(), sys.executable, str(script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


READER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{tests!r}, {repo!r}]
    from pathlib import Path
    from fakes import HashEmbedder
    from qa.errors import QaError
    from qa.search.retrieval import Retriever
    from qa.settings import Settings

    settings = Settings(corpus=Path(sys.argv[1]), index=Path(sys.argv[2]), indexing={{"guard_encoder": None}})
    try:
        Retriever(settings, HashEmbedder()).search("loting", k=1, mode="lexical")
    except QaError as exc:
        print(f"{{type(exc).__name__}}: {{exc}}")
    """
)


def test_an_index_folder_qa_index_may_not_write_is_one_line_naming_it(corpus: Path, tmp_path: Path) -> None:
    locked = tmp_path / "alleen-lezen"
    locked.mkdir()
    locked.chmod(0o555)
    index = locked / "index"
    try:
        done = subprocess.run(
            [
                *_obeying_permissions(),
                sys.executable,
                "-m",
                "qa.cli",
                "index",
                "--corpus",
                str(corpus),
                "--index",
                str(index),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
            timeout=300,
        )
    finally:
        locked.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"qa: {index}: no permission to write the index folder (Permission denied")


@pytest.mark.parametrize("what", ["CURRENT", "meta.sqlite", "dense.faiss"])
def test_an_index_file_readers_may_not_read_is_one_line_naming_the_folder(
    corpus: Path, tmp_path: Path, what: str
) -> None:
    settings = _settings(corpus, tmp_path, indexing={"guard_encoder": None})
    build_index(settings, HashEmbedder())
    layout = IndexLayout(settings.index)
    folder = layout.current_dir()
    assert folder is not None
    unreadable = layout.pointer if what == "CURRENT" else folder / what
    unreadable.chmod(0o000)
    try:
        done = _child(tmp_path, READER, corpus, settings.index)
    finally:
        unreadable.chmod(0o644)
    assert done.stderr == "" and done.stdout.count("\n") == 1, done.stderr
    assert done.stdout.startswith(
        f"IndexAccessError: {settings.index}: no permission to read the index folder (Permission denied: {unreadable}"
    ), done.stdout


INDEXER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{tests!r}, {repo!r}]
    from pathlib import Path
    from fakes import HashEmbedder
    from qa.index.build import build_index
    from qa.settings import Settings

    settings = Settings(corpus=Path(sys.argv[1]), index=Path(sys.argv[2]), indexing={{"guard_encoder": None}})
    summary = build_index(settings, HashEmbedder())
    print(summary.documents, [(s.path, s.reason) for s in summary.skipped])
    """
)


def test_corpus_files_that_may_not_be_read_are_skipped_with_their_reason(corpus: Path, tmp_path: Path) -> None:
    (corpus / "study" / "bijlagen").mkdir()
    (corpus / "study" / "bijlagen" / "bijlage.md").write_text("# Bijlage\n\nTekst.\n", "utf-8")
    unreadable = [
        corpus / "study" / "synthese.md",
        corpus / "study" / "bijlagen",
        corpus / "cases" / "burgerpanel" / "case.toml",
    ]
    modes = [path.stat().st_mode for path in unreadable]
    for path in unreadable:
        path.chmod(0o000)
    try:
        done = _child(tmp_path, INDEXER, corpus, tmp_path / "index")
    finally:
        for path, mode in zip(unreadable, modes, strict=True):
            path.chmod(mode)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "4 [('study/bijlagen', 'unreadable folder (Permission denied)'), "
        "('study/synthese.md', 'unreadable (Permission denied)')]\n"
    )


def _check(settings: Settings, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = qa_main(["index", "--check", "--corpus", str(settings.corpus), "--index", str(settings.index), *extra])
    return code, capsys.readouterr().out


def test_index_check_reports_every_version(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings, _layout, previous, current = _two_versions(corpus, tmp_path)
    code, out = _check(settings, capsys)
    assert code == 0, out
    lines = out.splitlines()
    assert f"{current} (current): intact, 6 documents, 8 chunks" in lines
    assert f"{previous}: intact, 5 documents, 7 chunks" in lines

    code, out = _check(settings, capsys, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["current"] == current
    assert report["versions"] == [
        {
            "name": previous,
            "current": False,
            "intact": True,
            "problem": None,
            "documents": 5,
            "chunks": 7,
            "complete": True,
            "stand_in_for": None,
        },
        {
            "name": current,
            "current": True,
            "intact": True,
            "problem": None,
            "documents": 6,
            "chunks": 8,
            "complete": True,
            "stand_in_for": None,
        },
    ]


def test_index_check_fails_when_the_current_version_is_broken(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, layout, previous, current = _two_versions(corpus, tmp_path)
    meta = layout.version_dir(current) / "meta.sqlite"
    meta.write_bytes(meta.read_bytes()[:100])
    code, out = _check(settings, capsys)
    assert code == 1, out
    assert f"{current} (current): broken: meta.sqlite is truncated" in out
    assert f"{previous}: intact, 5 documents, 7 chunks" in out


def test_index_check_passes_with_only_an_older_version_broken(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, layout, previous, _current = _two_versions(corpus, tmp_path)
    (layout.version_dir(previous) / "dense.faiss").unlink()
    code, out = _check(settings, capsys)
    assert code == 0, out
    assert f"{previous}: broken: dense.faiss is missing" in out


def test_index_check_without_an_index_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = _settings(tmp_path / "corpus", tmp_path)
    code, out = _check(settings, capsys)
    assert code == 1
    assert "no index" in out


WRITER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{tests!r}, {repo!r}]
    from pathlib import Path
    from fakes import HashEmbedder
    from qa.errors import QaError
    from qa.index.build import build_index
    from qa.settings import Settings

    settings = Settings(corpus=Path(sys.argv[1]), index=Path(sys.argv[2]), indexing={{"guard_encoder": None}})
    try:
        build_index(settings, HashEmbedder())
    except QaError as exc:
        print(f"{{type(exc).__name__}}: {{exc}}")
    """
)


def test_an_embedding_cache_qa_index_may_not_write_is_one_line_naming_the_folder(corpus: Path, tmp_path: Path) -> None:
    """SQLite names no file when it may not write: the message still names the index folder."""
    settings = _settings(corpus, tmp_path, indexing={"guard_encoder": None})
    build_index(settings, HashEmbedder())
    (corpus / "study" / "nieuw.md").write_text("# Nieuw\n\nEen nieuw document over loting.\n", "utf-8")
    cache = settings.index / "embeddings.sqlite"
    cache.chmod(0o444)
    try:
        done = _child(tmp_path, WRITER, corpus, settings.index)
    finally:
        cache.chmod(0o644)
    assert "Traceback" not in done.stderr and done.stdout.count("\n") == 1, done.stderr
    assert done.stdout.startswith(
        f"IndexAccessError: {settings.index}: no permission to write the index folder (attempt to write a readonly"
    ), done.stdout


def test_the_fallback_is_the_newest_intact_version_also_within_one_second(corpus: Path, tmp_path: Path) -> None:
    """Version names carry the second they were made and a random part: two made in the same second
    are told apart by when their folders were written, not by the random part."""
    settings = _settings(corpus, tmp_path, indexing={"guard_encoder": None})
    build_index(settings, HashEmbedder())
    layout = IndexLayout(settings.index)
    built = layout.current_dir()
    assert built is not None
    stamp = "20260101T120000"
    older, newer, broken = (layout.versions / f"{stamp}-{tail}" for tail in ("ffffffff", "00000000", "99999999"))
    for folder in (older, newer, broken):
        shutil.copytree(built, folder)
    os.utime(older, ns=(1_000_000_000, 1_000_000_000))
    os.utime(newer, ns=(2_000_000_000, 2_000_000_000))
    (broken / "meta.sqlite").write_bytes(b"")
    shutil.rmtree(built)
    layout.pointer.write_text(broken.name, encoding="utf-8")
    assert layout.serving().folder == newer
