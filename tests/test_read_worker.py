"""Documents are read in a worker process with a memory and a time limit: a real document over a limit,
or one whose reader dies, is skipped with a reason naming the limit, and the rest is still read and
indexed, with nothing already indexed lost."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
from conftest import REALDOCS
from fakes import HashEmbedder

from qa.errors import UnreadableDocumentError
from qa.index.build import build_index
from qa.ingest.corpus import ingest
from qa.ingest.readers import ReadResult
from qa.ingest.readworker import ReadingWorker
from qa.settings import Settings

SLOW_PDF = REALDOCS / "toegankelijkheidsonderzoek-2025.pdf"  # 380 blocks, about 5 s to read here
HUNGRY_PDF = REALDOCS / "woo-ocr-173757.pdf"  # about 30 MB of memory to read


def _corpus(root: Path, *extra: Path) -> Path:
    study = root / "corpus" / "study"
    study.mkdir(parents=True)
    (study / "aanpak.md").write_text(
        "# Aanpak\n\nDe gemeente werkte met een burgerpanel van dertig inwoners.\n", "utf-8"
    )
    (study / "besluit.md").write_text("# Besluit\n\nDe raad besloot het wijkbudget te verdubbelen.\n", "utf-8")
    for path in extra:
        shutil.copyfile(path, study / path.name)
    return root / "corpus"


@pytest.mark.slow  # waits out a real limit of the reading worker
def test_a_real_document_over_the_time_limit_is_skipped_and_nothing_indexed_is_lost(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    settings = Settings(corpus=corpus, index=tmp_path / "index", indexing={"guard_encoder": None}, max_read_seconds=1.0)
    assert build_index(settings, HashEmbedder()).documents == 2
    shutil.copyfile(SLOW_PDF, corpus / "study" / SLOW_PDF.name)
    (corpus / "study" / "verslag.md").write_text("# Verslag\n\nHet panel kwam vijf keer bijeen.\n", "utf-8")

    started = time.perf_counter()
    summary = build_index(settings, HashEmbedder())

    assert time.perf_counter() - started < 30
    assert [(s.path, s.reason) for s in summary.skipped] == [
        (f"study/{SLOW_PDF.name}", "reading it took longer than the limit of 1 s (QA_MAX_READ_SECONDS)")
    ]
    assert summary.added == 1 and summary.unchanged == 2 and summary.documents == 3


@pytest.mark.slow  # waits out a real limit of the reading worker
def test_a_real_document_over_the_memory_limit_is_skipped_and_the_rest_is_read(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, HUNGRY_PDF)

    report = ingest(Settings(corpus=corpus, max_read_memory_mb=8))

    assert [(s.path, s.reason) for s in report.skipped] == [
        (f"study/{HUNGRY_PDF.name}", "reading it needed more memory than the limit of 8 MB (QA_MAX_READ_MEMORY_MB)")
    ]
    assert sorted(d.path for d in report.documents) == ["study/aanpak.md", "study/besluit.md"]
    within = ingest(Settings(corpus=corpus))  # the default limit reads it
    assert not within.skipped and len(within.documents) == 3


def test_a_reader_that_dies_while_reading_skips_that_document_only(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    study = corpus / "study"
    # a named pipe as the document: the worker's open of it returns exactly when ours does, so the
    # kill below lands while the worker is reading it
    os.mkfifo(study / "bezig.pdf")
    with ReadingWorker(Settings(corpus=corpus)) as worker:
        worker.start()
        pid = worker.pid
        assert pid is not None
        outcome: list[ReadResult | UnreadableDocumentError] = []

        def read() -> None:
            try:
                outcome.append(worker.read(study / "bezig.pdf", "study/bezig.pdf"))
            except UnreadableDocumentError as exc:
                outcome.append(exc)

        reading = threading.Thread(target=read)
        reading.start()
        writers: list[int] = []  # our end of the pipe, open once the worker has opened its end
        opening = threading.Thread(
            target=lambda: writers.append(os.open(study / "bezig.pdf", os.O_WRONLY)), daemon=True
        )
        opening.start()
        opening.join(timeout=60)
        assert writers, "the worker never opened the document"
        os.kill(pid, signal.SIGKILL)  # as a reader that crashes the interpreter would
        reading.join(timeout=60)
        os.close(writers[0])

        assert len(outcome) == 1 and isinstance(outcome[0], UnreadableDocumentError)
        assert outcome[0].reason.startswith("its reader stopped while reading it (killed by SIGKILL)")
        assert worker.read(study / "aanpak.md", "study/aanpak.md").blocks  # a fresh worker reads the next one
        assert worker.pid not in (None, pid)
