"""The app serves at once and brings its index up to date behind it: the page says so in Dutch,
with the stage and the counts; a question asked before there is an index gets one Dutch sentence;
the first index is picked up by the open page (filters and case lists included)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import GatedEmbedder, HashEmbedder
from small_study import small_settings

from qa.index.plan import IndexSummary
from qa.service import IndexStatus, Vraagbaak
from qa.web.feedback import FeedbackStore
from qa.web.handlers import WebApp
from qa.web.render.labels import NO_INDEX_YET
from qa.web.render.status import index_status_html
from qa.web.users import UserStore

QUESTION = "Wat betaalde het fonds voor de jeugdraad?"


def _web_app(service: Vraagbaak, root: Path) -> WebApp:
    return WebApp(service, UserStore(root / "geen-gebruikers.json"), FeedbackStore(root / "feedback.sqlite"), root)


def _choices(update: dict[str, Any]) -> list[tuple[str, str]]:
    return [tuple(choice) for choice in update["choices"]]  # type: ignore[misc]


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (IndexStatus(running=True, stage="scan"), "Het onderzoek wordt nagelopen op nieuwe en gewijzigde documenten"),
        (IndexStatus(running=True, stage="quick", done=3, total=40), "Het onderzoek wordt geïndexeerd: een snelle eerste versie wordt gemaakt"),
        (IndexStatus(running=True, stage="read", done=3, total=40), "Het onderzoek wordt geïndexeerd: 3 van 40 documenten gelezen"),
        (IndexStatus(running=True, stage="embed", done=1200, total=4250), "Het onderzoek wordt geïndexeerd: 1.200 van 4.250 teksten"),
        (IndexStatus(running=True, stage="index", done=0, total=1), "Het onderzoek wordt geïndexeerd: de index wordt weggeschreven"),
        (IndexStatus(running=False, summary=IndexSummary(documents=4, chunks=12)), "Het onderzoek is geïndexeerd: 4 documenten, 12 passages"),
        (IndexStatus(running=False, error="Er loopt al een herindexering."), "Er loopt al een herindexering."),
    ],
)  # fmt: skip
def test_the_status_says_in_dutch_what_the_indexing_is_doing(status: IndexStatus, shown: str) -> None:
    html = index_status_html(status)
    assert shown in html
    state = "bezig" if status.running else "fout" if status.error else "klaar"
    assert f'data-state="{state}"' in html


def test_the_service_indexes_in_the_background_and_reports_progress(tmp_path: Path) -> None:
    settings = small_settings(tmp_path)
    embedder = GatedEmbedder()
    service = Vraagbaak(settings, embedder)
    assert not service.has_index()
    thread = service.start_indexing()
    assert embedder.embedding.wait(timeout=60)
    status = service.index_status()
    assert status.running and status.stage == "embed" and status.total > 0
    assert not service.has_index()
    embedder.gate.set()
    thread.join(timeout=60)
    assert not thread.is_alive()
    status = service.index_status()
    assert not status.running and status.error is None
    assert status.summary is not None and status.summary.documents == 4
    assert service.has_index() and service.serving_version() == status.summary.version


def test_a_question_before_the_first_index_gets_one_dutch_sentence(tmp_path: Path) -> None:
    settings = small_settings(tmp_path)
    embedder = GatedEmbedder()
    service = Vraagbaak(settings, embedder)
    app = _web_app(service, tmp_path)
    thread = service.start_indexing()
    try:
        municipality, case, kind = app.filter_choices()
        for update, label in ((municipality, "Alle gemeenten"), (case, "Alle casussen"), (kind, "Alle soorten")):
            assert _choices(update) == [(label, "")]  # the empty value stays a choice: no "not in the list"
        chat, answers, *_ = app.respond(QUESTION, [], "", "", "")
        assert answers == []
        assert chat[-2]["role"] == "user" and chat[-1]["role"] == "assistant"
        assert chat[-1]["content"] == NO_INDEX_YET
        assert "geïndexeerd" in NO_INDEX_YET
    finally:
        embedder.gate.set()
        thread.join(timeout=60)


def test_the_open_page_picks_up_the_first_index(tmp_path: Path) -> None:
    settings = small_settings(tmp_path)
    embedder = GatedEmbedder()
    service = Vraagbaak(settings, embedder)
    app = _web_app(service, tmp_path)
    thread = service.start_indexing()
    assert embedder.embedding.wait(timeout=60)
    status_html, known, timer, *unchanged = app.poll_index(None)
    assert 'data-state="bezig"' in status_html and known is None
    assert all(update == {"__type__": "update"} for update in unchanged)
    embedder.gate.set()
    thread.join(timeout=60)
    status_html, known, timer, municipality, case, *_ = app.poll_index(None)
    assert 'data-state="klaar"' in status_html and known == service.serving_version()
    assert ("Bergen op Zoom", "Bergen op Zoom") in _choices(municipality)
    assert ("Buurtbudget Noorderpolder (Bergen op Zoom)", "buurtbudget") in _choices(case)
    assert timer["active"] is False  # nothing left to watch
    _chat, answers, *_ = app.respond(QUESTION, [], "", "", "")
    assert len(answers) == 1 and answers[0].citations


@pytest.mark.parametrize("question", ["", "   ", "\n\t "])
def test_an_empty_question_does_nothing(tmp_path: Path, question: str) -> None:
    settings = small_settings(tmp_path)
    app = _web_app(Vraagbaak(settings, HashEmbedder()), tmp_path)
    outputs = app.respond(question, [], "", "", "")
    assert all(update == {"__type__": "update"} for update in outputs)


@pytest.mark.slow
def test_app_py_prints_its_own_lines_only(tmp_path: Path) -> None:
    """What `make run` shows: the app's address and its own log, no Gradio hints or request lines."""
    import os
    import socket
    import subprocess
    import sys
    import urllib.request

    repo = Path(__file__).resolve().parents[1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "QA_INDEX_ON_START": "false"}
    command = [sys.executable, str(repo / "app.py"), "--index", str(tmp_path / "index"), "--port", str(port)]
    app = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert app.stdout is not None
        lines: list[str] = []
        # the server is up once the app, after launching it, says what it serves (no index here yet)
        for line in app.stdout:
            lines.append(line)
            if "no index in" in line:
                break
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as page:
            assert page.status == 200
    finally:
        app.terminate()
        rest, _ = app.communicate(timeout=60)
    output = "".join(lines) + rest
    assert "Vraagbaak op http://" in output
    for chatter in ("share=True", "Running on local URL", "httpx", "HTTP Request"):
        assert chatter not in output, output
