"""Fixtures for the web app tests: one real index per session, apps on free loopback ports.

The index is built once per test session with the real default encoder from a subset of the
sample study (three cases and study/) plus one case whose Markdown document carries script, so
the browser tests can check it is shown inert. Embeddings come from the tests' shared embedding
cache (conftest.TEST_EMBEDDING_CACHE, keyed by encoder, version and text as `qa index` does).
Tests that change the corpus get a private copy of it and of the index (`private_admin_app`); the
rest share the session's apps.

`tiny_app` is a real app over a tiny corpus, indexed with the tests' fake encoder: it starts in a
second or two, for tests of what the server refuses before a question reaches the index.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_EMBEDDING_CACHE

from qa.index.plan import IndexSummary
from qa.service import Vraagbaak
from qa.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "corpus"
CASES = ("initiatievenfonds-wierdenhaven", "buurtbudget-noorderpolder", "digitaal-platform-zandwijck")
ARTIFACTS = REPO / "test-artifacts"

ADMIN = ("beheerder", "beheer-wachtwoord-1")
READER = ("lezer", "lees-wachtwoord-1")

SCRIPT_CASE = "veiligheidstest-scriptdocument"
SCRIPT_DOCUMENT = f"cases/{SCRIPT_CASE}/notulen-met-script.md"
SCRIPT_TEXT = """# Notulen van de klankbordgroep Havenkwartier

De klankbordgroep Havenkwartier besprak de vuurtorenwandeling met de bewoners.

<script>window.__vraagbaak_pwned = 'script';</script>

Een bewoner plakte deze afbeelding: <img src=x onerror="window.__vraagbaak_pwned_img = 'img'">

Meer informatie staat op [de site van de klankbordgroep](javascript:window.__vraagbaak_pwned_link='link').

De vuurtorenwandeling trok veertig deelnemers en wordt volgend jaar herhaald.
"""
SCRIPT_CASE_TOML = f"""title = "Klankbordgroep Havenkwartier"
municipality = "Zoutelande-Test"
year = 2016
themes = ["veiligheidstest"]

[[documents]]
file = "{SCRIPT_DOCUMENT.rsplit("/", 1)[1]}"
kind = "overig"
title = "Notulen met <script> en <img onerror>"
"""


@dataclass(frozen=True)
class Study:
    root: Path
    corpus: Path
    index: Path
    settings: Settings
    summary: IndexSummary | None = None


def free_port() -> int:
    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        return int(handle.getsockname()[1])


def make_corpus(target: Path) -> Path:
    (target / "cases").mkdir(parents=True)
    shutil.copytree(SAMPLE / "study", target / "study")
    for case in CASES:
        shutil.copytree(SAMPLE / "cases" / case, target / "cases" / case)
    script_case = target / "cases" / SCRIPT_CASE
    script_case.mkdir()
    (script_case / "case.toml").write_text(SCRIPT_CASE_TOML, encoding="utf-8")
    (target / SCRIPT_DOCUMENT).write_text(SCRIPT_TEXT, encoding="utf-8")
    return target


@pytest.fixture(scope="session")
def web_study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    root = tmp_path_factory.mktemp("web-study")
    corpus = make_corpus(root / "corpus")
    index = root / "index"
    settings = Settings(
        corpus=corpus,
        index=index,
        users_file=root / "geen-gebruikers.json",
        # every test of the session asks from 127.0.0.1: the limit per client has a test of its own
        questions_per_minute=0,
        indexing={"cache_file": TEST_EMBEDDING_CACHE},  # type: ignore[arg-type]
        index_on_start=False,  # built here, once; the apps of the session only read it
    )
    summary = Vraagbaak(settings).reindex()
    assert summary.documents >= 12, summary.skipped
    return Study(root, corpus, index, settings, summary)


@pytest.fixture(scope="session")
def web_service(web_study: Study) -> Vraagbaak:
    """The real service over the session index; its encoder is shared by every app in the session."""
    service = Vraagbaak(web_study.settings)
    service.cases()  # loads the encoder and the index once
    return service


def private_copy(study: Study, target: Path, users_file: Path | None = None) -> Study:
    shutil.copytree(study.corpus, target / "corpus")
    shutil.copytree(study.index, target / "index", ignore=shutil.ignore_patterns(".lock"))
    settings = study.settings.model_copy(
        update={"corpus": target / "corpus", "index": target / "index", "users_file": users_file}
    )
    return Study(target, target / "corpus", target / "index", settings)


@dataclass(frozen=True)
class RunningApp:
    url: str
    study: Study
    service: Vraagbaak


def _start(study: Study, service: Vraagbaak, users: dict[str, tuple[str, str]] | None) -> Iterator[RunningApp]:
    from qa.web.server import serve
    from qa.web.users import UserStore

    users_file = study.root / f"users-{free_port()}.json"
    for role, (name, password) in (users or {}).items():
        UserStore(users_file).add(name, role, password)
    settings = study.settings.model_copy(update={"port": free_port(), "users_file": users_file})
    demo, url = serve(settings, block=False, service=service)
    try:
        yield RunningApp(url.rstrip("/"), study, service)
    finally:
        demo.close()


SECRET = "GEHEIM-7f3a: dit mag de server nooit laten zien"


@dataclass(frozen=True)
class TinyApp:
    """A running app in local mode over a tiny corpus beside files it must never serve."""

    url: str
    port: int
    corpus: Path  # holds one document, cases/jeugdraad/verslag.md, and files that are no documents
    outside: Path  # a file beside the corpus
    demo: Any  # the gr.Blocks; demo.app is its FastAPI app
    service: Vraagbaak


def make_tiny_corpus(root: Path) -> tuple[Path, Path]:
    """cases/jeugdraad/verslag.md, the one document; beside it, each holding SECRET: a dotfile,
    case.toml, a document in the trash, the corpus's README, a link to a file outside."""
    corpus = root / "corpus"
    case = corpus / "cases" / "jeugdraad"
    case.mkdir(parents=True)
    (case / "verslag.md").write_text("# Verslag\n\nDe zeepkistenrace trok veel kinderen.\n", encoding="utf-8")
    (case / "case.toml").write_text(f'title = "Jeugdraad"\n# {SECRET}\n', encoding="utf-8")
    (case / ".verborgen.md").write_text(SECRET, encoding="utf-8")
    trash = corpus / "_prullenbak" / "20240101T000000000000" / "cases" / "jeugdraad"
    trash.mkdir(parents=True)
    (trash / "oud.md").write_text(SECRET, encoding="utf-8")
    (corpus / "README.md").write_text(SECRET, encoding="utf-8")
    outside = root / "geheim.md"
    outside.write_text(SECRET, encoding="utf-8")
    (case / "link.md").symlink_to(outside)
    return corpus, outside


@pytest.fixture(scope="module")
def tiny_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyApp]:
    from fakes import HashEmbedder

    from qa.web.server import serve

    root = tmp_path_factory.mktemp("tiny-app")
    corpus, outside = make_tiny_corpus(root)
    port = free_port()
    settings = Settings(
        corpus=corpus,
        index=root / "index",
        users_file=root / "geen-gebruikers.json",
        port=port,
        indexing={"guard_encoder": None},  # type: ignore[arg-type]
        index_on_start=False,
    )
    service = Vraagbaak(settings, embedder=HashEmbedder())
    assert service.reindex().documents == 1
    demo, url = serve(settings, block=False, service=service)
    try:
        yield TinyApp(url.rstrip("/"), port, corpus, outside, demo, service)
    finally:
        demo.close()


@pytest.fixture(scope="session")
def local_app(web_study: Study, web_service: Vraagbaak) -> Iterator[RunningApp]:
    """Local mode: no users, loopback, reading open."""
    yield from _start(web_study, web_service, None)


@pytest.fixture(scope="session")
def auth_app(web_study: Study, web_service: Vraagbaak) -> Iterator[RunningApp]:
    """With an admin and a reader; used read-only (admin actions are expected to be refused)."""
    yield from _start(web_study, web_service, {"admin": ADMIN, "reader": READER})


@pytest.fixture
def app_without_index(web_study: Study, web_service: Vraagbaak, tmp_path: Path) -> Iterator[RunningApp]:
    """Local mode over an index folder that holds no index yet."""
    study = Study(
        tmp_path,
        web_study.corpus,
        tmp_path / "index",
        web_study.settings.model_copy(update={"index": tmp_path / "index"}),
    )
    service = Vraagbaak(study.settings, embedder=web_service.embedder)
    yield from _start(study, service, None)


@pytest.fixture
def private_admin_app(web_study: Study, web_service: Vraagbaak, tmp_path: Path) -> Iterator[RunningApp]:
    """An app with users over a private copy of the corpus and index, for tests that change them."""
    study = private_copy(web_study, tmp_path)
    service = Vraagbaak(study.settings, embedder=web_service.embedder)
    yield from _start(study, service, {"admin": ADMIN, "reader": READER})


@dataclass(frozen=True)
class IndexingApp:
    """A running app in local mode, started without an index over a small study, indexing it in the
    background with the tests' fake encoder; the index build waits at its embedding stage until the
    test opens `embedder.gate`."""

    url: str
    service: Vraagbaak
    embedder: Any  # fakes.GatedEmbedder


@pytest.fixture
def app_indexing_on_start(tmp_path: Path) -> Iterator[IndexingApp]:
    yield from _indexing_on_start(tmp_path, guard_encoder=None)


@pytest.fixture
def app_with_quick_version(tmp_path: Path) -> Iterator[IndexingApp]:
    """As `app_indexing_on_start`, with the real guard encoder: a quick version on it is switched in
    before the build waits at the main encoder's embedding stage."""
    yield from _indexing_on_start(tmp_path, guard_encoder="use-m3")


def _indexing_on_start(tmp_path: Path, guard_encoder: str | None) -> Iterator[IndexingApp]:
    from fakes import GatedEmbedder
    from small_study import small_settings

    from qa.web.server import serve

    settings = small_settings(
        tmp_path, port=free_port(), index_on_start=True, indexing={"guard_encoder": guard_encoder}
    )
    embedder = GatedEmbedder()
    service = Vraagbaak(settings, embedder=embedder)
    demo, url = serve(settings, block=False, service=service)
    try:
        yield IndexingApp(url.rstrip("/"), service, embedder)
    finally:
        embedder.gate.set()
        demo.close()
