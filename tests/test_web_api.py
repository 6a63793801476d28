"""The app as scripts meet it: gradio_client against the app on a loopback port, real service."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from gradio_client import Client
from web_fixtures import ADMIN, READER, SCRIPT_DOCUMENT, RunningApp

pytestmark = pytest.mark.slow

DUTCH = "Wat werkte goed bij bewonersinitiatieven?"
ENGLISH = "What worked for resident initiatives?"


def _client(app: RunningApp, auth: tuple[str, str] | None = None) -> Client:
    return Client(app.url, auth=auth, verbose=False, download_files=False)


def _check_citations(app: RunningApp, result: dict) -> None:
    assert set(result) >= {"question", "answer", "abstained", "citations"}
    assert not result["abstained"], result
    citations = result["citations"]
    assert citations
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])}
    assert markers == {c["n"] for c in citations}  # every marker resolves, every source is used
    corpus = app.study.corpus.resolve()
    for c in citations:
        assert set(c) == {
            "n",
            "case_id",
            "case_title",
            "municipality",
            "document",
            "kind",
            "title",
            "page",
            "text",
            "quote",
        }
        file = (corpus / c["document"]).resolve()
        assert file.is_file() and corpus in file.parents
        assert c["quote"] and " ".join(c["quote"].split()) in " ".join(c["text"].split())
        view = app.service.document_view(c["document"])
        document_text = " ".join(" ".join(b.text for b in view.blocks).split())
        assert " ".join(c["quote"].split()) in document_text
        if c["document"].endswith(".pdf"):
            assert isinstance(c["page"], int) and 1 <= c["page"] <= (view.pages or 0)
        if c["case_id"]:
            assert c["case_title"] and c["municipality"]


def test_ask_in_dutch_returns_cited_sources(local_app: RunningApp) -> None:
    result = _client(local_app).predict(DUTCH, api_name="/ask")
    assert result["question"] == DUTCH
    _check_citations(local_app, result)


def test_ask_in_english_returns_cited_sources(local_app: RunningApp) -> None:
    result = _client(local_app).predict(ENGLISH, api_name="/ask")
    _check_citations(local_app, result)


def test_ask_with_history_and_filters(local_app: RunningApp) -> None:
    client = _client(local_app)
    first = client.predict(DUTCH, api_name="/ask")
    history = [
        {"role": "user", "content": DUTCH},
        {"role": "assistant", "content": first["answer"], "citations": first["citations"]},
    ]
    follow_up = client.predict(
        "En wat zeiden de bewoners daarover?",
        history,
        {"municipality": "Wierdenhaven"},
        api_name="/ask",
    )
    _check_citations(local_app, follow_up)
    assert {c["municipality"] for c in follow_up["citations"] if c["case_id"]} <= {"Wierdenhaven"}


def test_bad_input_gets_a_short_dutch_message(local_app: RunningApp) -> None:
    with pytest.raises(Exception, match="Ongeldige invoer") as caught:
        _client(local_app).predict(DUTCH, None, {"jaar": 2015}, api_name="/ask")
    assert "Traceback" not in str(caught.value)


def test_an_english_question_is_refused_in_plain_english(local_app: RunningApp) -> None:
    limit = local_app.service.settings.max_question_chars
    with pytest.raises(Exception, match=r"The question is too long \(\d[\d,]* characters; at most") as caught:
        _client(local_app).predict((ENGLISH + " ") * (limit // len(ENGLISH) + 1), api_name="/ask")
    assert "<span" not in str(caught.value)


def test_local_mode_has_no_admin_endpoints(local_app: RunningApp) -> None:
    client = _client(local_app)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert "/ask" in endpoints
    assert not {"/reindex", "/upload_documents", "/remove_document"} & set(endpoints)
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain ValueError here
        client.predict(api_name="/reindex")


def test_login_is_required_when_users_exist(auth_app: RunningApp) -> None:
    with pytest.raises(Exception):  # noqa: B017 - gradio_client cannot even read the config
        _client(auth_app).predict(DUTCH, api_name="/ask")
    result = _client(auth_app, READER).predict(DUTCH, api_name="/ask")
    _check_citations(auth_app, result)


def test_admin_actions_are_refused_for_readers(auth_app: RunningApp) -> None:
    client = _client(auth_app, READER)
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/reindex", "/upload_documents", "/remove_document"} <= set(endpoints)
    target = auth_app.study.corpus / SCRIPT_DOCUMENT
    with pytest.raises(Exception, match="Alleen beheerders"):
        client.predict(api_name="/reindex")
    with pytest.raises(Exception, match="Alleen beheerders"):
        client.predict(SCRIPT_DOCUMENT, api_name="/remove_document")
    assert target.is_file()
    upload = [None] * 5 + ["overig"] * 5 + [""] * 5
    with pytest.raises(Exception, match="Alleen beheerders"):
        client.predict("nieuw", None, "Ongewenst", "X", 2020, "", *upload, api_name="/upload_documents")
    assert not (auth_app.study.corpus / "cases" / "ongewenst").exists()


def test_admin_removes_and_reindexes_through_the_api(private_admin_app: RunningApp) -> None:
    app = private_admin_app
    client = _client(app, ADMIN)
    status, *_ = client.predict(SCRIPT_DOCUMENT, api_name="/remove_document")
    assert "prullenbak" in status
    assert not (app.study.corpus / SCRIPT_DOCUMENT).exists()
    assert list((app.study.corpus / "_prullenbak").rglob("notulen-met-script.md"))
    summary, *_ = client.predict(api_name="/reindex")
    assert "Index bijgewerkt" in summary and "1 verwijderd" in summary
    assert SCRIPT_DOCUMENT not in {d.path for d in app.service.documents()}


def test_only_corpus_documents_are_served(local_app: RunningApp) -> None:
    corpus = local_app.study.corpus.resolve()

    def get(target: str) -> httpx.Response:
        return httpx.get(f"{local_app.url}/gradio_api/file={quote(target)}", timeout=30)

    pdf = get(str(corpus / "study" / "synthese.pdf"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    for refused in (
        "https://example.org/",
        "http://169.254.169.254/latest/meta-data",
        "/etc/passwd",
        str(corpus / "cases" / "buurtbudget-noorderpolder" / "case.toml"),
        str(corpus.parent / "index" / "CURRENT"),
    ):
        assert get(refused).status_code == 403, refused
    page = httpx.get(local_app.url + "/", timeout=30)
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_errors_are_a_short_dutch_message_without_a_trace(app_without_index: RunningApp) -> None:
    with pytest.raises(Exception, match="Er is nog geen index") as caught:
        _client(app_without_index).predict(DUTCH, api_name="/ask")
    assert "Traceback" not in str(caught.value) and "File " not in str(caught.value)
