"""The `qa` command. Plain text for people, `--json` for machines; errors become exit codes."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.errors import QaError
from qa.records import IngestReport
from qa.settings import Settings, load_settings


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, help="study folder (default: corpus, or QA_CORPUS)")
    parser.add_argument("--index", type=Path, help="index folder (default: index, or QA_INDEX)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Vraagbaak Burgerparticipatie")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="read the corpus and report what was found and skipped")
    _common(ingest)
    ingest.add_argument("--strict", action="store_true", help="exit 1 when any file was skipped")

    index = sub.add_parser("index", help="build or update the index (only new and changed documents)")
    _common(index)
    index.add_argument("--rebuild", action="store_true", help="rebuild everything from scratch")
    index.add_argument("--encoder", help="e5-small | use-m3 | minilm | st:<model> (default: settings)")

    search = sub.add_parser("search", help="search the index; without a question, read one per line from stdin")
    _common(search)
    search.add_argument("question", nargs="?", help="the question (omit to read questions from stdin)")
    search.add_argument("-k", type=int, default=5, help="number of hits (default 5)")
    search.add_argument("--case", help="only this case (its folder name)")
    search.add_argument("--municipality", help="only cases in this municipality")
    search.add_argument("--kind", help="only this kind of document")
    search.add_argument("--year", type=int, help="only cases of this year")
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--encoder", help="encoder the index was built with (default: settings)")
    return parser


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
    from qa.chunking import chunk_documents
    from qa.corpus import ingest

    started = time.perf_counter()
    report = ingest(settings)
    chunks = chunk_documents(report.documents, settings.chunk)
    seconds = time.perf_counter() - started
    if as_json:
        print(json.dumps(ingest_summary(report, len(chunks)), ensure_ascii=False))
    else:
        _print_ingest(report, len(chunks), seconds)
    return 1 if strict and report.skipped else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings(corpus=args.corpus, index=args.index)
        if args.command == "ingest":
            return run_ingest(settings, args.json, args.strict)
    except QaError as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
