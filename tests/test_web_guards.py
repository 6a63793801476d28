"""What a real app on loopback refuses: every route that can serve a file the request names goes
through the app's one file filter, local mode answers loopback host names only, and questions
and histories over their limits (or not valid Unicode) get a message before anything is searched.

Requests go out through http.client, which sends the path and the Host header exactly as written
(httpx would normalise '..' away before the server ever saw it).
"""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from gradio_client import Client
from starlette.routing import Mount
from web_fixtures import SECRET, TinyApp

REFUSAL = b"Niet toegestaan."

# Every GET or HEAD route with a parameter in its path (and every mounted sub-app) can serve
# something the request names. Each is judged here; a route Gradio adds fails the test until it is.
THROUGH_THE_FILTER = {  # a file (or URL) named after file= or file/: the app's file filter decides
    "/gradio_api/file={path_or_url:path}": "/gradio_api/file=",
    "/gradio_api/file/{path:path}": "/gradio_api/file/",
}
REFUSED_OUTRIGHT = {  # fetches a URL for gr.load; this app never does
    "/gradio_api/proxy={url_path:path}": "/gradio_api/proxy=",
}
GRADIO_OWN_FILES = {  # files shipped inside the gradio package, joined safely below its own folders
    "/static/{path:path}",
    "/assets/{path:path}",
    "/svelte/{path:path}",
    "/gradio_api/custom_component/{id}/{environment}/{type}/{file_name}",
}
NO_FILES = {  # the parameter names no file
    "/pwa_icon/{size}": "the favicon resized to {size} pixels (the app sets none: 404)",
    "/monitoring/{key}": "the monitoring dashboard's password (monitoring is off: 403)",
    "/gradio_api/heartbeat/{session_hash}": "a session's event stream",
    "/gradio_api/call/{api_name}/{event_id}": "the result stream of a call",
    "/gradio_api/call/v2/{api_name}/{event_id}": "the result stream of a call",
    "/gradio_api/stream/{session_hash}/{run}/{component_id}/playlist.m3u8": "media streams held in memory (none)",
    "/gradio_api/stream/{session_hash}/{run}/{component_id}/{segment_id}.{ext}": "media streams held in memory",
    "/gradio_api/stream/{session_hash}/{run}/{component_id}/playlist-file": "a media stream's combined file",
}


def routes_that_can_serve_files(app: object) -> set[str]:
    from fastapi.routing import iter_route_contexts

    found: set[str] = set()
    for route in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        path, methods = route.path or "", route.methods or set()
        if isinstance(route.original_route, Mount) or ({"GET", "HEAD"} & methods and "{" in path):
            found.add(path)
    return found


def request(app: TinyApp, path: str, host: str | None = None, method: str = "GET") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
    try:
        connection.request(method, path, headers={"Host": host if host is not None else f"127.0.0.1:{app.port}"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_every_route_that_can_serve_a_file_is_judged(tiny_app: TinyApp) -> None:
    found = routes_that_can_serve_files(tiny_app.demo.app)
    judged = set(THROUGH_THE_FILTER) | set(REFUSED_OUTRIGHT) | GRADIO_OWN_FILES | set(NO_FILES)
    assert found - judged == set(), "routes that may serve a file the request names: judge each in this test"
    assert judged - found == set(), "judged routes the app no longer has: drop them from this test"


def _forbidden_targets(app: TinyApp) -> list[str]:
    corpus = app.corpus.resolve()
    case = corpus / "cases" / "jeugdraad"
    return [
        str(app.outside),
        f"{case}/../../../{app.outside.name}",
        f"{case}/%2e%2e/%2e%2e/%2e%2e/{app.outside.name}",
        os.path.relpath(app.outside, Path.cwd()),
        str(case / "link.md"),  # a link inside the corpus to the file outside
        str(case / ".verborgen.md"),
        str(case / "case.toml"),
        str(corpus / "_prullenbak" / "20240101T000000000000" / "cases" / "jeugdraad" / "oud.md"),
        f"{case}/../../_prullenbak/20240101T000000000000/cases/jeugdraad/oud.md",
        str(corpus / "README.md"),
        "/etc/passwd",
        "http://example.org/verslag.md",
        "https://example.org/",
        "HTTP://example.org/",
        f"http://127.0.0.1:{app.port}/",
        "//example.org/verslag.md",
        "file:///etc/passwd",
        "\\\\server\\share\\verslag.md",
    ]


def _url_path(prefix: str, target: str) -> str:
    return prefix + quote(target, safe="/:%")


@pytest.mark.parametrize("route", sorted(THROUGH_THE_FILTER))
def test_file_routes_serve_the_corpus_documents_and_nothing_else(tiny_app: TinyApp, route: str) -> None:
    prefix = THROUGH_THE_FILTER[route]
    document = tiny_app.corpus.resolve() / "cases" / "jeugdraad" / "verslag.md"
    status, body = request(tiny_app, _url_path(prefix, str(document)))
    assert status == 200 and b"zeepkistenrace" in body
    for target in _forbidden_targets(tiny_app):
        for method in ("GET", "HEAD"):
            status, body = request(tiny_app, _url_path(prefix, target), method=method)
            assert status == 403, (method, target, status)
            assert body == (REFUSAL if method == "GET" else b""), (method, target)


def test_files_gradio_made_are_still_served(tiny_app: TinyApp) -> None:
    """The conversation download is a file Gradio copies into its upload folder."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()) / f"vraagbaak-test-{tiny_app.port}"
    folder.mkdir(parents=True, exist_ok=True)
    made = folder / "gesprek.md"
    made.write_text("# Gesprek\n", encoding="utf-8")
    try:
        status, body = request(tiny_app, _url_path("/gradio_api/file=", str(made)))
        assert status == 200 and body == b"# Gesprek\n"
    finally:
        made.unlink()
        folder.rmdir()


def test_the_url_proxy_is_refused(tiny_app: TinyApp) -> None:
    for target in ("http://example.org/", "https://huggingface.co/spaces/x", f"http://127.0.0.1:{tiny_app.port}/"):
        assert request(tiny_app, _url_path("/gradio_api/proxy=", target)) == (403, REFUSAL)


@pytest.mark.parametrize("route", sorted(GRADIO_OWN_FILES))
def test_gradio_own_file_routes_do_not_climb_out(tiny_app: TinyApp, route: str) -> None:
    secret = str(tiny_app.outside.resolve()).lstrip("/")
    climbs = ["../" * 12 + secret, "%2e%2e/" * 12 + secret, "..%2f" * 12 + secret, "/" + secret]
    parameters = [part.split("}")[0] for part in route.split("{")[1:]]
    for climb in climbs:
        for name in parameters:
            path = route
            for other in parameters:
                value = climb if other == name else "x"
                path = path.replace("{" + other + "}", value).replace("{" + other + ":path}", value)
            status, body = request(tiny_app, path)
            assert SECRET.encode() not in body, (path, status)


def test_local_mode_answers_loopback_host_names_only(tiny_app: TinyApp) -> None:
    port = tiny_app.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost", f"LOCALHOST:{port}"):
        status, body = request(tiny_app, "/", host=host)
        assert status == 200 and b"<html" in body.lower(), host
    for host in (
        f"evil.example:{port}",
        "evil.example",
        f"127.0.0.1.evil.example:{port}",
        f"localhost.evil.example:{port}",
        f"0.0.0.0:{port}",
        f"192.168.1.10:{port}",
        f"[::1].evil.example:{port}",
        "",
    ):
        for path in ("/", "/config", "/gradio_api/info"):
            status, body = request(tiny_app, path, host=host)
            assert status == 400, (host, path, status)
            assert body == b"Alleen bereikbaar op deze computer (127.0.0.1 of localhost).", (host, path)


def _client(app: TinyApp) -> Client:
    return Client(app.url, verbose=False, download_files=False)


def test_the_api_refuses_a_very_long_question_before_searching(tiny_app: TinyApp) -> None:
    client = _client(tiny_app)
    dutch = "Wat werkte goed bij de zeepkistenrace? " + "x" * 100_000
    with pytest.raises(Exception, match=r"De vraag is te lang \(100\.039 tekens; hoogstens 2\.000\)") as caught:
        client.predict(dutch, api_name="/ask")
    assert "Traceback" not in str(caught.value)
    english = "What worked well for the children? " + "x" * 100_000
    with pytest.raises(Exception, match=r"The question is too long \(100,035 characters; at most 2,000\)"):
        client.predict(english, api_name="/ask")
    answered = client.predict("Wat werkte goed bij de zeepkistenrace?", api_name="/ask")
    assert answered["question"] == "Wat werkte goed bij de zeepkistenrace?"


def test_the_api_refuses_a_history_over_its_limits(tiny_app: TinyApp) -> None:
    client = _client(tiny_app)
    question = "Wat werkte goed bij de zeepkistenrace?"
    turns = [{"role": "user", "content": "Vraag"}, {"role": "assistant", "content": "Antwoord"}] * 21
    with pytest.raises(Exception, match=r"De geschiedenis \(history\) is te lang \(42 berichten; hoogstens 40\)"):
        client.predict(question, turns, api_name="/ask")
    long = [{"role": "user", "content": "Vraag"}, {"role": "assistant", "content": "a" * 250_000}]
    with pytest.raises(
        Exception, match=r"De geschiedenis \(history\) is te lang \(250\.005 tekens; hoogstens 200\.000\)"
    ):
        client.predict(question, long, api_name="/ask")
    answered = client.predict(question, turns[:40], api_name="/ask")
    assert answered["question"] == question


def ask_over_http(app: TinyApp, *data: object) -> tuple[str, Any]:
    """Call /ask over plain HTTP with the JSON written in ASCII, so that a lone surrogate travels as
    the escape \\ud800 (Python's HTTP clients refuse to encode one); returns the event and its data."""
    body = json.dumps({"data": list(data)}, ensure_ascii=True)
    started = httpx.post(
        f"{app.url}/gradio_api/call/ask", content=body, headers={"content-type": "application/json"}, timeout=30
    )
    assert started.status_code == 200, started.text
    stream = httpx.get(f"{app.url}/gradio_api/call/ask/{started.json()['event_id']}", timeout=60)
    for event in stream.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in event.splitlines() if ": " in line)
        if fields.get("event") in ("complete", "error"):
            return fields["event"], json.loads(fields["data"])
    raise AssertionError(f"no result in {stream.text!r}")


def refusal(app: TinyApp, *data: object) -> str:
    event, result = ask_over_http(app, *data)
    assert event == "error", result
    return str(result["error"])


def test_invalid_unicode_gets_a_message_not_a_trace(tiny_app: TinyApp) -> None:
    assert refusal(tiny_app, "Wat werkte \ud800 goed?", None, None) == (
        "De vraag bevat ongeldige tekens (geen geldige Unicode)."
    )
    assert refusal(tiny_app, "What worked \ud800 well for the children?", None, None) == (
        "The question contains invalid characters (not valid Unicode)."
    )
    assert refusal(tiny_app, "Wat werkte goed?", [{"role": "user", "content": "Vraag \udfff"}], None) == (
        "De geschiedenis (history) bevat ongeldige tekens (geen geldige Unicode)."
    )
    assert refusal(tiny_app, "Wat werkte goed?", None, {"case": "jeugd\ud800raad"}) == (
        "Ongeldige invoer: filters bevatten ongeldige tekens (geen geldige Unicode)"
    )
    event, result = ask_over_http(tiny_app, "Wat werkte goed bij de zeepkistenrace?", None, None)
    assert event == "complete" and result[0]["question"] == "Wat werkte goed bij de zeepkistenrace?"


def test_the_chat_refuses_a_very_long_question_before_searching(tiny_app: TinyApp, tmp_path: Path) -> None:
    """Said in the chat in the question's language, not raised: a raised refusal would also put Gradio's
    red badge on the chat, worded in the browser's language ("Fout" or "Error")."""
    import gradio as gr

    from qa.web.feedback import FeedbackStore
    from qa.web.handlers import WebApp
    from qa.web.users import UserStore

    web = WebApp(tiny_app.service, UserStore(tmp_path / "users.json"), FeedbackStore(tmp_path / "f.sqlite"), tmp_path)
    earlier = web.respond("Wat werkte goed bij de zeepkistenrace?", [], None, None, None)
    for question, note in [
        ("x" * 100_000, "De vraag is te lang (100.000 tekens; hoogstens 2.000)"),
        ("Wat \ud800?", "De vraag bevat ongeldige tekens"),
        ("What worked? " * 1_000, "The question is too long (12,999 characters; at most 2,000)"),
    ]:
        messages, answers, *others = web.respond(question, earlier[1], None, None, None)
        assert messages[:-1] == earlier[0] and answers == earlier[1]  # the question is not repeated nor kept
        assert messages[-1]["role"] == "assistant" and messages[-1]["content"].startswith(note)
        assert all(other == gr.update() for other in others)  # sources, the box, download and viewer as they were


def _web_app(app: TinyApp, folder: Path) -> Any:
    from qa.web.feedback import FeedbackStore
    from qa.web.handlers import WebApp
    from qa.web.users import UserStore

    return WebApp(app.service, UserStore(folder / "users.json"), FeedbackStore(folder / "f.sqlite"), folder)


@pytest.mark.parametrize(
    "path",
    [
        "../geheim.md",
        "cases/jeugdraad/../../../geheim.md",
        "/etc/passwd",
        "cases/jeugdraad/link.md",
        "_prullenbak/20240101T000000000000/cases/jeugdraad/oud.md",
    ],
)
def test_a_refused_document_path_is_a_warning_without_a_trace(
    tiny_app: TinyApp, tmp_path: Path, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    import logging

    import gradio as gr

    web = _web_app(tiny_app, tmp_path)
    event = gr.EventData(None, {"doc": path})
    with caplog.at_level(logging.INFO), pytest.raises(gr.Error, match="Dit document hoort niet bij de index"):
        web.open_document(event)
    records = [r for r in caplog.records if r.name.startswith("qa.")]
    assert [r.levelno for r in records] == [logging.WARNING]
    assert records[0].exc_info is None and path in records[0].getMessage()


def test_questions_over_the_rate_limit_get_a_dutch_message(tmp_path: Path) -> None:
    from fakes import HashEmbedder
    from web_fixtures import free_port, make_tiny_corpus

    from qa.service import Vraagbaak
    from qa.settings import Settings
    from qa.web.server import serve

    corpus, _ = make_tiny_corpus(tmp_path)
    settings = Settings(
        corpus=corpus,
        index=tmp_path / "index",
        users_file=tmp_path / "geen-gebruikers.json",
        port=free_port(),
        questions_per_minute=2,
        indexing={"guard_encoder": None},  # type: ignore[arg-type]
    )
    service = Vraagbaak(settings, embedder=HashEmbedder())
    service.reindex()
    demo, url = serve(settings, block=False, service=service)
    try:
        client = Client(url, verbose=False, download_files=False)
        question = "Wat werkte goed bij de zeepkistenrace?"
        for _ in range(2):
            assert client.predict(question, api_name="/ask")["question"] == question
        with pytest.raises(Exception, match=r"Te veel vragen: hoogstens 2 per minuut") as caught:
            client.predict(question, api_name="/ask")
        assert "Traceback" not in str(caught.value)
        web = _web_app(TinyApp(url, 0, corpus, corpus, demo, service), tmp_path)  # the chat, same limit per client
        import gradio as gr

        request = gr.Request(username=None, client=type("C", (), {"host": "127.0.0.9"})())
        for _ in range(2):
            web.respond(question, [], None, None, None, request)
        messages, answers, *_ = web.respond(question, [], None, None, None, request)
        assert messages == [
            {
                "role": "assistant",
                "content": "Te veel vragen: hoogstens 2 per minuut. Wacht even en probeer het opnieuw.",
            }
        ]
        assert answers == []
        english, _answers, *_ = web.respond("What worked well for the soapbox race?", [], None, None, None, request)
        assert english[-1]["content"].startswith("Too many questions: at most 2 a minute.")
    finally:
        demo.close()


def test_x_forwarded_for_counts_only_behind_a_trusted_proxy() -> None:
    from qa.web.limits import TrustedProxies

    nobody = TrustedProxies.of([])
    proxy = TrustedProxies.of(["10.0.0.2", "fd00::/8"])
    assert nobody.client("10.0.0.2", "203.0.113.5") == "10.0.0.2"  # no proxy trusted: the peer, always
    assert proxy.client("198.51.100.7", "203.0.113.5") == "198.51.100.7"  # a client that writes the header itself
    assert proxy.client("10.0.0.2", "203.0.113.5") == "203.0.113.5"
    assert proxy.client("10.0.0.2", "6.6.6.6, 203.0.113.5") == "203.0.113.5"  # what the client wrote stands left
    assert proxy.client("10.0.0.2", "203.0.113.5, fd00::1") == "203.0.113.5"  # past a second trusted proxy
    assert proxy.client("10.0.0.2", None) == "10.0.0.2" and proxy.client(None, "203.0.113.5") == "unknown"


def _asked_as(url: str, address: str, question: str) -> str:
    """Ask over HTTP as a proxy forwarding for `address`: 'answered', or the refusal."""
    client = Client(url, verbose=False, download_files=False, headers={"X-Forwarded-For": address})
    try:
        return "answered" if client.predict(question, api_name="/ask")["question"] == question else "other"
    except Exception as exc:
        return "refused" if "Te veel vragen: hoogstens 1 per minuut" in str(exc) else str(exc)


@pytest.mark.parametrize(
    ("trusted", "outcomes"),
    [
        ([], ["answered", "refused", "refused"]),  # the header is the client's own word: one peer, one limit
        (["127.0.0.1"], ["answered", "answered", "refused"]),  # a trusted proxy (this test) forwards for two
    ],
)
def test_the_question_limit_keys_on_the_forwarded_address_only_behind_a_trusted_proxy(
    tmp_path: Path, trusted: list[str], outcomes: list[str]
) -> None:
    from fakes import HashEmbedder
    from web_fixtures import free_port, make_tiny_corpus

    from qa.service import Vraagbaak
    from qa.settings import Settings
    from qa.web.server import serve

    corpus, _ = make_tiny_corpus(tmp_path)
    settings = Settings(
        corpus=corpus,
        index=tmp_path / "index",
        users_file=tmp_path / "geen-gebruikers.json",
        port=free_port(),
        questions_per_minute=1,
        trusted_proxies=trusted,
        indexing={"guard_encoder": None},  # type: ignore[arg-type]
    )
    service = Vraagbaak(settings, embedder=HashEmbedder())
    service.reindex()
    demo, url = serve(settings, block=False, service=service)
    question = "Wat werkte goed bij de zeepkistenrace?"
    try:
        asked = [_asked_as(url, address, question) for address in ("203.0.113.5", "203.0.113.6", "203.0.113.5")]
    finally:
        demo.close()
    assert asked == outcomes
