"""Users (scrypt hashes, roles), `qa user add`, feedback storage and the local-mode rules."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qa.cli import main as qa_main
from qa.errors import SettingsError
from qa.records import Answer, Citation
from qa.settings import Settings, load_settings
from qa.web.feedback import FeedbackStore
from qa.web.users import Role, UserError, UserStore, hash_password, verify_password


def test_password_hashes_are_salted_and_verified() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first != second  # a fresh salt each time
    assert first.startswith("scrypt$")
    assert verify_password("correct horse", first)
    assert not verify_password("wrong horse", first)
    assert not verify_password("correct horse", "plain$text")


def test_user_store_roles_and_file(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    assert not store.configured()
    assert store.add("anna", "admin", "geheim-wachtwoord") is False
    assert store.add("bob", Role.READER, "nog-een-wachtwoord") is False
    assert store.configured()
    assert store.role_of("anna") is Role.ADMIN
    assert store.role_of("bob") is Role.READER
    assert store.role_of("carol") is None and store.role_of(None) is None
    assert store.verify("anna", "geheim-wachtwoord")
    assert not store.verify("anna", "nog-een-wachtwoord")
    assert not store.verify("carol", "geheim-wachtwoord")
    text = store.path.read_text()
    assert "geheim-wachtwoord" not in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.add("bob", "admin", "ander-wachtwoord") is True  # replaced
    assert store.role_of("bob") is Role.ADMIN


@pytest.mark.parametrize(
    ("name", "role", "password"),
    [
        ("../x", "admin", "lang-genoeg"),
        ("anna", "root", "lang-genoeg"),
        ("anna", "admin", "kort"),
        ("", "reader", "x" * 9),
    ],
)
def test_user_store_refuses_bad_input(tmp_path: Path, name: str, role: str, password: str) -> None:
    with pytest.raises(UserError):
        UserStore(tmp_path / "users.json").add(name, role, password)


def test_cli_user_add_reads_password_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("een-lang-wachtwoord\n"))
    assert qa_main(["user", "add", "beheer", "--role", "admin", "--index", str(tmp_path)]) == 0
    assert "admin 'beheer'" in capsys.readouterr().out
    data = json.loads((tmp_path / "users.json").read_text())
    assert data["users"]["beheer"]["role"] == "admin"
    assert UserStore(tmp_path / "users.json").verify("beheer", "een-lang-wachtwoord")


def test_cli_user_add_rejects_a_short_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("kort\n"))
    assert qa_main(["user", "add", "lezer", "--index", str(tmp_path)]) == 2
    assert not (tmp_path / "users.json").exists()


def test_users_file_setting_defaults_to_the_index_folder(tmp_path: Path) -> None:
    assert Settings(index=tmp_path).users_path == tmp_path / "users.json"
    assert load_settings(index=tmp_path, users_file=tmp_path / "elders.json").users_path == tmp_path / "elders.json"


def _answer() -> Answer:
    citation = Citation(
        n=1,
        chunk_id=7,
        case_id="buurtbudget",
        case_title="Buurtbudget",
        municipality="Wierdenhaven",
        document="cases/buurtbudget/doc.pdf",
        kind="documentanalyse",
        title="Documentanalyse",
        page=2,
        section=None,
        text="Loting werkte goed.",
        quote="Loting werkte goed.",
    )
    return Answer("Wat werkte?", "Loting werkte goed. [1]", False, (citation,))


def test_feedback_is_stored_with_question_answer_citations_and_time(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    store.record(_answer(), up=True)
    store.record(_answer(), up=False, user="anna")
    votes = store.votes()
    assert [v.vote for v in votes] == [1, -1]
    assert votes[0].user is None and votes[1].user == "anna"
    assert votes[0].question == "Wat werkte?" and "[1]" in votes[0].answer
    assert votes[0].citations[0]["document"] == "cases/buurtbudget/doc.pdf"
    assert votes[0].time[:4].isdigit()


def test_local_mode_refuses_other_hosts_without_users(tmp_path: Path) -> None:
    from qa.web.server import build_app, is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10")
    settings = Settings(corpus=tmp_path / "corpus", index=tmp_path / "index", host="0.0.0.0")
    with pytest.raises(SettingsError, match="no users are configured"):
        build_app(settings)


@pytest.mark.slow
def test_app_py_exits_2_for_another_host_without_users(tmp_path: Path) -> None:
    import subprocess

    repo = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, str(repo / "app.py"), "--index", str(tmp_path), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "qa user add" in result.stderr
    assert "Traceback" not in result.stderr


def _cli_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return qa_main(["user", *args, "--index", str(tmp_path)])


def test_cli_user_passwd_sets_a_new_password_and_a_new_session_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("anna", "admin", "eerste-wachtwoord")
    before = store.users()["anna"]
    assert _cli_user(tmp_path, monkeypatch, "passwd", "anna", stdin="tweede-wachtwoord\n") == 0
    assert "anna" in capsys.readouterr().out
    after = store.users()["anna"]
    assert store.verify("anna", "tweede-wachtwoord") and not store.verify("anna", "eerste-wachtwoord")
    assert after.role is Role.ADMIN
    assert after.session and before.session and after.session != before.session
    assert _cli_user(tmp_path, monkeypatch, "passwd", "anna", stdin="kort\n") == 2
    assert _cli_user(tmp_path, monkeypatch, "passwd", "niemand", stdin="een-lang-wachtwoord\n") == 2
    assert "niemand" in capsys.readouterr().err


def test_cli_user_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("anna", "admin", "eerste-wachtwoord")
    store.add("bob", "reader", "tweede-wachtwoord")
    assert _cli_user(tmp_path, monkeypatch, "remove", "bob") == 0
    assert "removed" in capsys.readouterr().out
    assert set(store.users()) == {"anna"}
    assert _cli_user(tmp_path, monkeypatch, "remove", "bob") == 2
    assert "bob" in capsys.readouterr().err


@pytest.mark.slow  # several processes racing for one file
def test_concurrent_user_adds_all_land(tmp_path: Path) -> None:
    import subprocess

    names = [f"gebruiker{i}" for i in range(8)]
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "user", "add", name, "--index", str(tmp_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    for run in runs:
        _, err = run.communicate("een-lang-wachtwoord\n", timeout=120)
        assert run.returncode == 0, err
    assert sorted(UserStore(tmp_path / "users.json").users()) == names


# A child that adds users one after another once told to start, so that two of them write at once.
ADDER = """
import sys
from pathlib import Path

from qa.web.users import UserStore

store = UserStore(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(sys.argv[3])):
    store.add(f"{sys.argv[2]}{i}", "reader", "een-lang-wachtwoord")
"""


@pytest.mark.slow  # several processes racing for one file
def test_two_processes_adding_users_at_the_same_time_lose_none(tmp_path: Path) -> None:
    path, count = tmp_path / "users.json", 40
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, str(path), prefix, str(count)],
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("anna", "bob")
    ]
    for run in runs:
        assert run.stdout is not None and run.stdout.readline() == "ready\n"
    for run in runs:  # both are loaded and waiting: they start adding together
        assert run.stdin is not None
        run.stdin.write("start\n")
        run.stdin.flush()
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    expected = {f"{prefix}{i}" for prefix in ("anna", "bob") for i in range(count)}
    assert set(UserStore(path).users()) == expected


def test_user_adds_from_many_threads_all_land(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store_path = tmp_path / "users.json"
    names = [f"lezer{i}" for i in range(12)]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(pool.map(lambda name: UserStore(store_path).add(name, "reader", "een-lang-wachtwoord"), names))
    assert sorted(UserStore(store_path).users()) == sorted(names)


@pytest.fixture
def app_with_users(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    yield from _app_with_users(tmp_path)


def _app_with_users(tmp_path: Path, **settings_given: object) -> Iterator[tuple[str, Path]]:
    """A real app with users over a tiny corpus, on a loopback port; its URL and users file."""
    from fakes import HashEmbedder
    from web_fixtures import free_port, make_tiny_corpus

    from qa.service import Vraagbaak
    from qa.web.server import serve

    corpus, _ = make_tiny_corpus(tmp_path)
    users_file = tmp_path / "users.json"
    store = UserStore(users_file)
    store.add("anna", "admin", "anna-wachtwoord")
    store.add("bob", "reader", "bob-wachtwoord")
    settings = Settings(
        corpus=corpus,
        index=tmp_path / "index",
        users_file=users_file,
        port=free_port(),
        indexing={"guard_encoder": None},  # type: ignore[arg-type]
        **settings_given,  # type: ignore[arg-type]
    )
    service = Vraagbaak(settings, embedder=HashEmbedder())
    service.reindex()
    demo, url = serve(settings, block=False, service=service)
    try:
        yield url.rstrip("/"), users_file
    finally:
        demo.close()


def _login(url: str, name: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30)
    response = client.post("/login", data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return client


def _user_cli(users_file: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", "user", *args, "--users-file", str(users_file)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_passwd_and_remove_end_the_sessions_of_that_user_in_a_running_app(app_with_users: tuple[str, Path]) -> None:
    url, users_file = app_with_users
    anna = _login(url, "anna", "anna-wachtwoord")
    bob = _login(url, "bob", "bob-wachtwoord")
    assert anna.get("/config").status_code == 200
    assert bob.get("/config").status_code == 200

    assert _user_cli(users_file, "passwd", "anna", stdin="nieuw-wachtwoord\n").returncode == 0
    assert anna.get("/config").status_code == 401
    assert bob.get("/config").status_code == 200
    assert httpx.post(f"{url}/login", data={"username": "anna", "password": "anna-wachtwoord"}).status_code == 400
    assert _login(url, "anna", "nieuw-wachtwoord").get("/config").status_code == 200

    assert _user_cli(users_file, "remove", "bob").returncode == 0
    assert bob.get("/config").status_code == 401


def test_failed_logins_are_logged_and_limited_per_client(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    running = _app_with_users(tmp_path, logins_per_minute=3)
    url, _ = next(running)
    try:
        for _ in range(4):  # signing in again and again is no attack: only failed attempts count
            again = httpx.post(f"{url}/login", data={"username": "anna", "password": "anna-wachtwoord"})
            assert again.status_code == 200
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                wrong = httpx.post(f"{url}/login", data={"username": "anna", "password": "fout-wachtwoord-x"})
                assert wrong.status_code == 400
            over = httpx.post(f"{url}/login", data={"username": "anna", "password": "anna-wachtwoord"})
        assert over.status_code == 429
        assert over.text == "Te veel aanmeldpogingen. Probeer het over een minuut opnieuw."
        failed = [r for r in caplog.records if r.name == "qa.web.accounts" and "login" in r.getMessage()]
        assert len(failed) == 4, [r.getMessage() for r in failed]
        for record in failed:
            assert record.levelno == logging.WARNING and record.exc_info is None
            assert "anna" in record.getMessage() and "127.0.0.1" in record.getMessage()
            assert "wachtwoord" not in record.getMessage()
        assert "Traceback" not in caplog.text
    finally:
        running.close()


def test_cli_user_add_on_a_terminal_asks_and_answers_in_one_language(tmp_path: Path) -> None:
    import os
    import pty
    import select

    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "user", "add", "anna", "--index", str(tmp_path)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        start_new_session=True,  # the terminal is the child's own: getpass asks on it
        cwd=Path(__file__).resolve().parents[1],
    )
    os.close(follower)
    seen = b""

    def until(text: bytes) -> None:
        nonlocal seen
        while text not in seen:
            readable, _w, _x = select.select([leader], [], [], 60)  # a child that asks otherwise says nothing more
            assert readable, seen
            chunk = os.read(leader, 1024)
            assert chunk, seen
            seen += chunk

    until(b"Password: ")
    os.write(leader, b"een-lang-wachtwoord\n")
    until(b"Password again: ")
    os.write(leader, b"een-lang-wachtwoord\n")
    until(b"added reader 'anna'")
    assert child.wait(timeout=60) == 0
    os.close(leader)
    assert b"Wachtwoord" not in seen and b"Nogmaals" not in seen
    assert UserStore(tmp_path / "users.json").verify("anna", "een-lang-wachtwoord")
