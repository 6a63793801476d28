"""A full disk (ENOSPC) while writing the index, the embedding cache, an upload or a vote, and a feedback
file the app may not write: one line naming the folder (or file) and what to do, nothing half-written
left behind, and the version served untouched.

The full disk is real: a child process runs in its own user and mount namespaces (util-linux
`unshare`) with a small tmpfs mounted over a folder of the test, so writing past its size fails with
ENOSPC as on a full disk, for root too."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, obeying_permissions
from fakes import HashEmbedder

from qa.index.build import build_index
from qa.settings import Settings

PRELUDE = textwrap.dedent(
    f"""
    import json, shutil, sys
    sys.path[:0] = [{str(REPO / "tests")!r}, {str(REPO)!r}]
    from pathlib import Path
    """
)

pytestmark = pytest.mark.slow  # a filesystem of its own per test (unshare and tmpfs)


def _on_small_disk(tmp_path: Path, kilobytes: int, script: str, *args: object) -> subprocess.CompletedProcess[str]:
    """Run `script` (after PRELUDE) as a child that sees a tmpfs of `kilobytes` KB at its first argument."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "--map-root-user", "--mount", "true"]).returncode:
        pytest.skip("no user and mount namespaces here (unshare): a small disk cannot be mounted")
    disk = tmp_path / "schijf"
    disk.mkdir()
    child = tmp_path / "child.py"
    child.write_text(PRELUDE + textwrap.dedent(script), encoding="utf-8")
    mount = 'mount -t tmpfs -o size="$1"k tmpfs "$2" && shift 2 && exec "$@"'
    command = ["unshare", "--map-root-user", "--mount", "sh", "-c", mount, "sh", str(kilobytes), str(disk)]
    return subprocess.run(
        [*command, sys.executable, str(child), str(disk), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _kilobytes(folder: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in [folder, *folder.rglob("*")]) // 1024


INDEXER = """
    from fakes import HashEmbedder
    from qa.errors import QaError
    from qa.index.build import build_index
    from qa.index.layout import IndexLayout, version_problem
    from qa.settings import Settings

    index = Path(sys.argv[1]) / "index"
    shutil.copytree(sys.argv[3], index)
    cache = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    settings = Settings(corpus=Path(sys.argv[2]), index=index, indexing={"guard_encoder": None, "cache_file": cache})
    layout = IndexLayout(index)
    before = layout.current_name()
    try:
        build_index(settings, HashEmbedder())
        print("built")
    except QaError as exc:
        print(f"{type(exc).__name__}: {exc}")
    current = layout.current_dir()
    print(json.dumps({
        "before": before,
        "current": layout.current_name(),
        "problem": version_problem(current) if current else "none",
        "names": sorted(p.name for p in index.iterdir()),
        "versions": sorted(p.name for p in layout.versions.iterdir()),
    }))
"""


@pytest.mark.parametrize("cache", ["on the full disk", "elsewhere"])
def test_a_full_disk_while_indexing_is_one_line_and_the_served_version_is_untouched(tmp_path: Path, cache: str) -> None:
    """The embedding cache (in the index folder) fills the disk first; with the cache elsewhere, the new
    version does, half-way through writing it."""
    corpus = tmp_path / "corpus"
    (corpus / "study").mkdir(parents=True)
    (corpus / "study" / "synthese.md").write_text("# Synthese\n\nRuimte voor experiment was belangrijk.\n", "utf-8")
    built = tmp_path / "index"
    build_index(Settings(corpus=corpus, index=built, indexing={"guard_encoder": None}), HashEmbedder())
    paragraphs = (f"In wijk {n} kozen {n + 3} bewoners samen een plan voor het plein." for n in range(4000))
    (corpus / "study" / "verslag.md").write_text("# Verslag\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")

    elsewhere = [tmp_path / "cache.sqlite"] if cache == "elsewhere" else []
    if elsewhere:
        shutil.copyfile(built / "embeddings.sqlite", elsewhere[0])

    done = _on_small_disk(tmp_path, _kilobytes(built) + 96, INDEXER, corpus, built, *elsewhere)

    assert done.returncode == 0 and done.stderr == "", done.stderr
    message, state = done.stdout.splitlines()
    index = tmp_path / "schijf" / "index"
    assert message.startswith(f"DiskFullError: {index}: no space left to write the index (")
    assert message.endswith("); free space on its disk and try again")
    facts = json.loads(state)
    assert facts["current"] == facts["before"] and facts["problem"] is None
    assert facts["versions"] == [facts["before"]]  # no half-written version, in versions/ or as .tmp-*
    assert not [name for name in facts["names"] if name.startswith(".tmp-") or name == "CURRENT.tmp"]


UPLOADER = """
    from qa.ingest.readers.archive import ZipLimits
    from qa.settings import Settings
    from qa.web.uploads import CaseForm, Upload, UploadError, add_documents

    corpus = Path(sys.argv[1]) / "corpus"
    (corpus / "cases").mkdir(parents=True)
    big = Path(sys.argv[2])
    uploads = [Upload("a.md", big), Upload("b.md", big)]
    try:
        add_documents(corpus, uploads, 10 << 20, ZipLimits.from_settings(Settings()), new_case=CaseForm("Plein"))
        print("added")
    except UploadError as exc:
        print(f"UploadError: {exc}")
    print(json.dumps(sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*"))))
"""


def test_a_full_disk_while_uploading_leaves_nothing_behind(tmp_path: Path) -> None:
    big = tmp_path / "verslag.md"
    big.write_text("# Verslag\n\n" + "Het plein werd samen met bewoners ontworpen.\n" * 4000, "utf-8")  # 180 KB

    done = _on_small_disk(tmp_path, 256, UPLOADER, big)  # room for one copy, not for two

    assert done.returncode == 0 and done.stderr == "", done.stderr
    message, names = done.stdout.splitlines()
    folder = tmp_path / "schijf" / "corpus" / "cases" / "plein"
    assert message == (
        f"UploadError: {folder}: de schijf is vol; er is niets opgeslagen. Maak ruimte vrij en probeer het opnieuw."
    )
    assert json.loads(names) == ["cases"]  # not the first file, not the case folder, no .upload-* file


VOTER = """
    from qa.web.feedback import FeedbackStore, FeedbackUnwritableError
    from qa.records import Answer

    folder = Path(sys.argv[1])
    store = FeedbackStore(folder / "feedback.sqlite")
    store.record(Answer(question="Eerste vraag?", text="Eerste antwoord.", abstained=False), up=True)
    filler = open(folder / "vulling", "wb", buffering=0)  # the disk fills up
    try:
        while True:
            filler.write(b"x" * 4096)
    except OSError as full:
        assert full.errno == 28, full
    filler.close()
    try:
        store.record(Answer(question="Tweede vraag?", text="Tweede antwoord. " * 2000, abstained=False), up=False)
        print("stored")
    except FeedbackUnwritableError as exc:
        print(f"{exc.disk_full} {exc}")
    print(len(store.votes()))
"""


def test_a_full_disk_while_voting_is_one_line_naming_the_file_and_keeps_the_earlier_votes(tmp_path: Path) -> None:
    done = _on_small_disk(tmp_path, 128, VOTER)

    assert done.returncode == 0 and done.stderr == "", done.stderr
    feedback = tmp_path / "schijf" / "feedback.sqlite"
    assert done.stdout.splitlines() == [
        f"True {feedback}: the vote could not be stored (database or disk is full); free space on its disk",
        "1",
    ]


READ_ONLY_VOTE = """
    import logging
    import gradio as gr
    from fakes import HashEmbedder
    from qa.web.feedback import FeedbackStore
    from qa.records import Answer
    from qa.service import Vraagbaak
    from qa.settings import Settings
    from qa.web.users import UserStore
    from qa.web.handlers import WebApp

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    folder = Path(sys.argv[1])
    service = Vraagbaak(Settings(corpus=folder / "corpus", index=folder / "index"), HashEmbedder())
    web = WebApp(service, UserStore(folder / "users.json"), FeedbackStore(folder / "feedback.sqlite"), folder)
    answer = Answer(question="Wat werkte goed?", text="De loting werkte goed.", abstained=False)
    try:
        web.like([answer], gr.LikeData(None, {"index": [1, 0], "value": "", "liked": True}), None)
        print("stored")
    except gr.Error as exc:
        print(exc.message)
"""


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_feedback_file_gives_a_dutch_message_and_one_log_line(tmp_path: Path, read_only: str) -> None:
    from qa.records import Answer
    from qa.web.feedback import FeedbackStore

    folder = tmp_path / "app"
    folder.mkdir()
    feedback = folder / "feedback.sqlite"
    FeedbackStore(feedback).record(Answer(question="Eerdere vraag?", text="Eerder antwoord.", abstained=False), up=True)
    locked = feedback if read_only == "file" else folder
    locked.chmod(0o444 if read_only == "file" else 0o555)
    script = tmp_path / "child.py"
    script.write_text(PRELUDE + textwrap.dedent(READ_ONLY_VOTE), encoding="utf-8")
    try:
        done = subprocess.run(
            [*obeying_permissions(), sys.executable, str(script), str(folder)],
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        locked.chmod(0o644 if read_only == "file" else 0o755)

    assert done.stdout.splitlines() == [
        "Je beoordeling kon niet worden bewaard: de server kan het feedbackbestand niet schrijven "
        "(zie het logboek van de server)."
    ], done.stderr
    logged = [line for line in done.stderr.splitlines() if line.startswith(("ERROR", "WARNING", "Traceback"))]
    assert logged == [
        f"ERROR qa.web.handlers like failed: {feedback}: the vote could not be stored "
        "(attempt to write a readonly database); "
        "let the app write this file and its folder"
    ], done.stderr
