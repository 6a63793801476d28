"""`qa index` says how it gets on: one plain line per stage (counts, time, rate) on stderr when that
is not a terminal (a log file, CI, `make` output), a tqdm bar per stage when it is."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

from conftest import REPO
from small_study import write_small_study

# `qa index` as the command line runs it, with the tests' fake encoder instead of the model.
QA_WITH_FAKE_ENCODER = textwrap.dedent(
    """
    import sys
    sys.path[:0] = [{tests!r}, {repo!r}]
    from fakes import HashEmbedder
    import qa.index.embedders
    qa.index.embedders.load_embedder = lambda spec, batch_size=32: HashEmbedder()
    from qa.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def _command(tmp_path: Path) -> list[str]:
    corpus = write_small_study(tmp_path / "corpus")
    script = tmp_path / "qa_fake.py"
    script.write_text(QA_WITH_FAKE_ENCODER.format(tests=str(REPO / "tests"), repo=str(REPO)), encoding="utf-8")
    return [sys.executable, str(script), "index", "--corpus", str(corpus), "--index", str(tmp_path / "index")]


def test_piped_progress_is_one_line_per_stage_with_counts_and_a_rate(tmp_path: Path) -> None:
    done = subprocess.run(
        _command(tmp_path), capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    # a quick version on the guard encoder (nothing is served yet), then the passages, the first version
    # from them, their sentences, the complete version
    stages = ["quick", "read", "embed", "first", "sentences", "index"]
    assert [line.split(":")[0] for line in lines] == stages, done.stderr
    assert re.fullmatch(r"quick: a version on the guard encoder answers questions, made in \d+\.\d s", lines.pop(0))
    rate = r"\(\d[\d,]*(\.\d)?/s\)"
    assert re.fullmatch(rf"read: 4 of 4 documents in \d+\.\d s {rate}", lines[0]), lines[0]
    assert re.fullmatch(rf"embed: (\d+) of \1 texts in \d+\.\d s {rate}", lines[1]), lines[1]
    assert re.fullmatch(r"first: written in \d+\.\d s", lines[2]), lines[2]
    assert re.fullmatch(rf"sentences: (\d+) of \1 texts in \d+\.\d s {rate}", lines[3]), lines[3]
    assert re.fullmatch(r"index: written in \d+\.\d s", lines[4]), lines[4]
    assert "\r" not in done.stderr  # no bar redrawn over itself in a log
    assert done.stdout.startswith("4 documents")


def test_progress_on_a_terminal_is_a_bar(tmp_path: Path) -> None:
    command = _command(tmp_path)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal has a width
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=follower, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal's other end closed: the process is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait(timeout=300) == 0, shown
    text = shown.decode("utf-8", "replace")
    assert "\r" in text and re.search(r"lezen: +100%\|", text), text
    assert "read: 4 of 4 documents" not in text
