"""`qa ingest`, `qa index` and `qa index --check`: read the corpus, build the index, report its versions."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from qa.commands.progress import StageLines, tqdm_progress
from qa.records import IngestReport
from qa.settings import Settings


def ingest_summary(report: IngestReport, chunks: int) -> dict[str, Any]:
    return {
        "documents": len(report.documents),
        "chunks": chunks,
        "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
        "warnings": [{"path": w.path, "message": w.message} for w in report.warnings],
    }


def _print_ingest(report: IngestReport, chunks: int, seconds: float) -> None:
    pages = sum(d.pages or 0 for d in report.documents)
    words = sum(d.words for d in report.documents)
    in_cases = sum(1 for d in report.documents if d.case is not None)
    print(
        f"{len(report.documents)} documents ({in_cases} in {len(report.cases)} cases, "
        f"{len(report.documents) - in_cases} study-wide): {pages} PDF pages, {words} words, "
        f"{chunks} chunks in {seconds:.1f} s"
    )
    for case in report.cases:
        docs = [d for d in report.documents if d.case is not None and d.case.case_id == case.case_id]
        where = f"{case.municipality}, {case.year}" if case.municipality else "no metadata"
        print(f"  {case.case_id}: {case.title} ({where}), {len(docs)} documents")
    if report.skipped:
        print(f"Skipped {len(report.skipped)}:")
        for skipped in report.skipped:
            print(f"  {skipped.path}: {skipped.reason}")
    if report.warnings:
        print(f"Warnings {len(report.warnings)}:")
        for warning in report.warnings:
            print(f"  {warning.path}: {warning.message}")


def run_ingest(settings: Settings, as_json: bool, strict: bool) -> int:
    from qa.ingest.chunking import chunk_documents
    from qa.ingest.corpus import ingest

    started = time.perf_counter()
    report = ingest(settings)
    chunks = chunk_documents(report.documents, settings.chunk)
    seconds = time.perf_counter() - started
    if as_json:
        print(json.dumps(ingest_summary(report, len(chunks)), ensure_ascii=False))
    else:
        _print_ingest(report, len(chunks), seconds)
    return 1 if strict and report.skipped else 0


def run_index(settings: Settings, as_json: bool, rebuild: bool) -> int:
    from qa.index.build import build_index
    from qa.index.embedders import load_embedder

    embedder = load_embedder(settings.indexing.encoder, settings.indexing.batch_size)
    lines = None if as_json or sys.stderr.isatty() else StageLines(sys.stderr)
    progress = lines or tqdm_progress(not as_json and sys.stderr.isatty())
    summary = build_index(settings, embedder, rebuild=rebuild, progress=progress)
    if lines is not None:
        lines.finish()
    if as_json:
        print(json.dumps(summary.as_json(), ensure_ascii=False))
        return 0
    if summary.rebuilt:
        print(f"Full rebuild: {summary.reason}")
    print(
        f"{summary.documents} documents, {summary.chunks} chunks ({summary.added} added, {summary.changed} changed, "
        f"{summary.removed} removed, {summary.unchanged} unchanged; {summary.embedded_chunks} texts embedded "
        f"with {embedder.name}) in {summary.seconds:.1f} s"
    )
    if summary.quick_version is not None and summary.quick_seconds is not None:
        print(
            f"  questions were answered from a quick version on the guard encoder after {summary.quick_seconds:.1f} s"
        )
    for skipped in summary.skipped:
        print(f"  skipped {skipped.path}: {skipped.reason}")
    return 0


def run_index_check(settings: Settings, as_json: bool) -> int:
    from qa.index.versions import check_index

    report = check_index(settings.index)
    problem = report.current_problem
    if as_json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
        return 0 if problem is None else 1
    print(f"Index {report.root}:")
    for version in report.versions:
        label = f"{version.name} (current)" if version.current else version.name
        if version.intact:
            first = "" if version.complete else " (a first version: passages only, completed by the next 'qa index')"
            if version.stand_in_for:
                quick = (
                    f"a quick version on the guard encoder, until the next 'qa index' builds {version.stand_in_for}'s"
                )
                first = f" ({quick})"
            print(f"{label}: intact, {version.documents} documents, {version.chunks} chunks{first}")
        else:
            print(f"{label}: broken: {version.problem}")
    if problem is None:
        print("The current version is intact.")
        return 0
    print(f"The current version cannot be served: {problem}; run 'qa index' (or 'qa index --rebuild').")
    return 1
