"""Load on the web app: N concurrent users asking M questions each while a re-index runs.

Everything happens on loopback against the real app (`app.py` in a subprocess, with logins),
through the public API only (gradio_client `/ask` for readers, `/reindex` for an admin). The
sample study and its index are copied to a temporary folder first, and a copy of one case under
a new title is added, so the re-index has real work to do (reading, embedding, writing a new
version) while the questions run. Passes when no question fails; reports p50 and p95 latency. With
`--long N`, N more clients send 100,000-character questions among them, which must be refused at
once without slowing the others.

    python -m benchmarks.load [--users 20] [--questions 10] [--long 4] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import REPO, SAMPLE_CORPUS

QUESTIONS = [
    "Wat werkte goed bij bewonersinitiatieven?",
    "What worked for resident initiatives?",
    "Welke gemeenten werkten met loting?",
    "Wat waren aandachtspunten bij digitale participatie?",
    "Hoe werd het buurtbudget in Noorderpolder verdeeld?",
    "What went wrong with the redesign of the market square?",
    "Welke rol speelde de gemeenteraad bij het burgerpanel?",
    "How did the municipality support the community centre?",
    "Wat zeiden bewoners over het initiatievenfonds?",
    "Welke lessen trekt het onderzoek over communicatie met bewoners?",
]
ADMIN = ("belasting-beheer", "beheer-wachtwoord-load")
READER = ("belasting-lezer", "lees-wachtwoord-load")


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    during_reindex: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def prepare(workdir: Path, source_index: Path) -> tuple[Path, Path]:
    """A copy of the sample study and its index, plus one case copied under a new title."""
    corpus, index = workdir / "corpus", workdir / "index"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    if (source_index / "CURRENT").is_file():
        skip = shutil.ignore_patterns(".lock", ".tmp-*", "users.json", "feedback*")
        shutil.copytree(source_index, index, ignore=skip)
    extra = corpus / "cases" / "buurtbudget-noorderpolder-herhaling"
    shutil.copytree(corpus / "cases" / "buurtbudget-noorderpolder", extra)
    toml = extra / "case.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'title = "Buurtbudget Noorderpolder"', 'title = "Buurtbudget Noorderpolder, tweede ronde"'
        ),
        encoding="utf-8",
    )
    return corpus, index


def build_first_index(corpus: Path, index: Path) -> float:
    """The index without the extra case (the app must start with one); returns seconds taken."""
    extra = corpus / "cases" / "buurtbudget-noorderpolder-herhaling"
    parked = corpus / "_geparkeerd"
    shutil.move(str(extra), str(parked))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "qa.cli", "index", "--corpus", str(corpus), "--index", str(index)],
        check=True,
        cwd=REPO,
    )
    shutil.move(str(parked), str(extra))
    return time.perf_counter() - started


def free_port() -> int:
    import socket

    with socket.socket() as handle:
        handle.bind(("127.0.0.1", 0))
        return int(handle.getsockname()[1])


def start_app(corpus: Path, index: Path, users_file: Path, port: int, log_file: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "QA_USERS_FILE": str(users_file),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "QA_QUESTIONS_PER_MINUTE": "0",  # every simulated user shares one name: capacity, not the limiter
    }
    command = [sys.executable, str(REPO / "app.py"), "--corpus", str(corpus), "--index", str(index)]
    command += ["--port", str(port)]
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the app stopped (exit {process.returncode}); see {log_file}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"the app did not start within 300 s; see {log_file}")


def user(url: str, number: int, questions: int, outcome: Outcome, reindexing: threading.Event) -> None:
    from gradio_client import Client

    try:
        client = Client(url, auth=READER, verbose=False, download_files=False)
    except Exception as exc:
        with outcome.lock:
            outcome.errors.extend([f"user {number}: could not connect ({exc})"] * questions)
        return
    for turn in range(questions):
        question = QUESTIONS[(number + turn) % len(QUESTIONS)]
        busy = reindexing.is_set()
        started = time.perf_counter()
        try:
            result = client.predict(question, api_name="/ask")
            if not isinstance(result, dict) or "answer" not in result:
                raise ValueError(f"unexpected result {result!r:.200}")
            if not result["abstained"] and not result["citations"]:
                raise ValueError("an answer without citations")
        except Exception as exc:
            with outcome.lock:
                outcome.errors.append(f"user {number}, question {turn + 1} ({question}): {exc}")
            continue
        elapsed = time.perf_counter() - started
        with outcome.lock:
            outcome.latencies.append(elapsed)
            outcome.during_reindex += int(busy or reindexing.is_set())


def long_asker(url: str, count: int, refused: list[str], stop: threading.Event) -> None:
    """A client that sends 100,000-character questions among the others: each must be refused at once."""
    from gradio_client import Client

    client = Client(url, auth=READER, verbose=False, download_files=False)
    for _ in range(count):
        if stop.is_set():
            return
        try:
            client.predict("Wat werkte goed? " + "x" * 100_000, api_name="/ask")
            refused.append("answered")
        except Exception as exc:  # the limit's message, as a Gradio error
            refused.append("refused" if "te lang" in str(exc) or "too long" in str(exc) else str(exc)[:200])


def reindex(url: str, reindexing: threading.Event, result: dict[str, Any]) -> None:
    from gradio_client import Client

    client = Client(url, auth=ADMIN, verbose=False, download_files=False)
    reindexing.set()
    started = time.perf_counter()
    try:
        summary, *_ = client.predict(api_name="/reindex")
        result["summary"] = summary
    except Exception as exc:
        result["error"] = str(exc)
    finally:
        result["seconds"] = time.perf_counter() - started
        reindexing.clear()


def run(users: int, questions: int, source_index: Path, keep: bool, long: int = 0) -> dict[str, Any]:
    from qa.web.users import UserStore

    workdir = Path(tempfile.mkdtemp(prefix="vraagbaak-load-"))
    try:
        corpus, index = prepare(workdir, source_index)
        first_index = None if (index / "CURRENT").is_file() else build_first_index(corpus, index)
        users_file = workdir / "users.json"
        UserStore(users_file).add(ADMIN[0], "admin", ADMIN[1])
        UserStore(users_file).add(READER[0], "reader", READER[1])
        port = free_port()
        process = start_app(corpus, index, users_file, port, workdir / "app.log")
        url = f"http://127.0.0.1:{port}/"
        try:
            outcome, reindexing = Outcome(), threading.Event()
            index_result: dict[str, Any] = {}
            indexer = threading.Thread(target=reindex, args=(url, reindexing, index_result))
            indexer.start()
            while not reindexing.is_set():
                time.sleep(0.05)
            started = time.perf_counter()
            threads = [
                threading.Thread(target=user, args=(url, n, questions, outcome, reindexing)) for n in range(users)
            ]
            long_results: list[str] = []
            done = threading.Event()
            threads += [
                threading.Thread(target=long_asker, args=(url, questions, long_results, done)) for _ in range(long)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            done.set()
            indexer.join()
        finally:
            process.terminate()
            process.wait(timeout=60)
        latencies = outcome.latencies
        return {
            "users": users,
            "long_clients": long,
            "long_questions": dict(Counter(long_results)),
            "questions_per_user": questions,
            "asked": users * questions,
            "answered": len(latencies),
            "errors": len(outcome.errors),
            "error_examples": outcome.errors[:5],
            "answered_during_reindex": outcome.during_reindex,
            "p50_s": round(percentile(latencies, 0.50), 3),
            "p95_s": round(percentile(latencies, 0.95), 3),
            "max_s": round(max(latencies), 3) if latencies else None,
            "mean_s": round(statistics.fmean(latencies), 3) if latencies else None,
            "throughput_per_s": round(len(latencies) / wall, 2) if wall else None,
            "wall_s": round(wall, 1),
            "reindex_s": round(index_result.get("seconds", float("nan")), 1),
            "reindex_error": index_result.get("error"),
            "reindex_summary_ok": "Index bijgewerkt" in str(index_result.get("summary", "")),
            "first_index_s": round(first_index, 1) if first_index is not None else None,
            "cpus": os.cpu_count(),
            "workdir": str(workdir) if keep else None,
        }
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--questions", type=int, default=10, help="questions per user (default 10)")
    parser.add_argument("--index", type=Path, default=REPO / "index", help="index of the sample study to start from")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (with app.log)")
    parser.add_argument(
        "--long", type=int, default=0, help="clients sending 100,000-character questions among the others"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    result = run(args.users, args.questions, args.index, args.keep, args.long)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(
            f"{result['users']} users x {result['questions_per_user']} questions: {result['answered']} answered, "
            f"{result['errors']} errors; {result['answered_during_reindex']} answered while the re-index ran "
            f"({result['reindex_s']} s, summary ok: {result['reindex_summary_ok']})"
        )
        print(
            f"latency p50 {result['p50_s']} s, p95 {result['p95_s']} s, max {result['max_s']} s; "
            f"{result['throughput_per_s']} questions/s over {result['wall_s']} s on {result['cpus']} CPUs"
        )
        for example in result["error_examples"]:
            print(f"  error: {example}")
        if result["reindex_error"]:
            print(f"  re-index error: {result['reindex_error']}")
    return 0 if result["errors"] == 0 and not result["reindex_error"] else 1


if __name__ == "__main__":
    sys.exit(main())
