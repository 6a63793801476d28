"""The index boundary without building an index: the update plan and the manifest are pure."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fakes import HashEmbedder

from qa.index import store
from qa.index.lexical import BM25_B, BM25_K1, PART_CHARS
from qa.index.manifest import Manifest
from qa.index.plan import plan_update
from qa.index.store import DocumentRow
from qa.ingest.corpus import Discovery, SourceFile
from qa.records import CaseInfo, DocumentKind, Skipped
from qa.settings import Settings

CASE = CaseInfo("buurtbudget", "Casus buurtbudget", "Wierdenhaven", 2015)


def _source(display: str, sha: str) -> SourceFile:
    return SourceFile(Path("/corpus") / display, display, DocumentKind.DOCUMENTANALYSE, "Analyse", CASE, 100, sha)


def _row(display: str, sha: str, status: str = store.INDEXED, pages: int | None = 3) -> DocumentRow:
    return DocumentRow(display, sha, 100, CASE.case_id, DocumentKind.DOCUMENTANALYSE, "Analyse", pages, status)


def test_a_first_build_reads_every_document() -> None:
    found = Discovery(files=[_source("cases/a.pdf", "1"), _source("cases/b.pdf", "2")])
    plan = plan_update(found, {})
    assert [s.display for s in plan.to_read] == ["cases/a.pdf", "cases/b.pdf"]
    assert plan.unchanged == () and plan.stale == () and plan.rows == () and plan.removed == 0


def test_the_plan_carries_unchanged_documents_reads_changed_ones_and_counts_removed_ones() -> None:
    found = Discovery(
        files=[_source("cases/same.pdf", "1"), _source("cases/changed.pdf", "new"), _source("cases/stale.pdf", "5")],
        skipped=[Skipped("cases/broken.pdf", "unreadable"), Skipped("cases/never.pdf", "empty")],
    )
    previous = {
        "cases/same.pdf": _row("cases/same.pdf", "1", pages=7),
        "cases/changed.pdf": _row("cases/changed.pdf", "old"),
        "cases/stale.pdf": _row("cases/stale.pdf", "5", status=store.STALE),  # read again: it may read now
        "cases/broken.pdf": _row("cases/broken.pdf", "4"),
        "cases/gone.pdf": _row("cases/gone.pdf", "3"),
        "cases/gone-skipped.pdf": _row("cases/gone-skipped.pdf", "6", status=store.SKIPPED),
    }
    plan = plan_update(found, previous)
    assert plan.unchanged == ("cases/same.pdf",)
    assert [s.display for s in plan.to_read] == ["cases/changed.pdf", "cases/stale.pdf"]
    assert plan.stale == ("cases/broken.pdf",)
    assert plan.removed == 1  # gone.pdf; a document that was skipped before was never served
    rows = {row.path: row for row in plan.rows}
    assert rows["cases/same.pdf"] == _row("cases/same.pdf", "1", pages=7)
    assert rows["cases/broken.pdf"].status == store.STALE
    assert rows["cases/broken.pdf"].reason == "unreadable; the previously indexed version is still used"
    assert rows["cases/never.pdf"] == DocumentRow(
        "cases/never.pdf", None, None, None, None, None, None, store.SKIPPED, "empty"
    )
    assert set(rows) == {"cases/same.pdf", "cases/broken.pdf", "cases/never.pdf"}


def test_the_manifest_holds_the_bm25_parameters_and_names_each_difference(tmp_path: Path) -> None:
    wanted = Manifest.wanted(Settings(corpus=tmp_path, index=tmp_path / "index"), HashEmbedder())
    assert (wanted.bm25_k1, wanted.bm25_b) == (BM25_K1, BM25_B)
    assert Manifest.from_stored(wanted.as_stored()) == wanted
    other = replace(wanted, bm25_k1=1.5, chunk_size=400, next_id=99, built_at="gisteren")
    assert other.differences(wanted) == [
        f"chunk_size: index has 400, settings want {wanted.chunk_size!r}",
        f"bm25_k1: index has 1.5, settings want {BM25_K1!r}",
    ]


def test_a_manifest_from_before_the_bm25_parameters_were_recorded_matches_them(tmp_path: Path) -> None:
    wanted = Manifest.wanted(Settings(corpus=tmp_path, index=tmp_path / "index"), HashEmbedder())
    stored = {k: v for k, v in wanted.as_stored().items() if not k.startswith("bm25_")}
    stored["no_longer_known"] = '"x"'
    # built with the default k1 and b, but on whole words: rebuilt so that compounds meet their parts
    assert Manifest.from_stored(stored).differences(wanted) == [
        f"bm25_parts: index has 0, settings want {PART_CHARS!r}"
    ]
    assert Manifest.from_stored({}).differences(wanted)[0].startswith("schema_version: index has None")
