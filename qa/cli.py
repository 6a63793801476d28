"""The `qa` command. Plain text for people, `--json` for machines; errors become exit codes."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from qa.errors import QaError
from qa.records import IngestReport
from qa.settings import Settings, load_settings

if TYPE_CHECKING:
    from qa.answer.matrix import FactorMatrix


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
    index.add_argument(
        "--check",
        action="store_true",
        help="build nothing: report every index version (intact or why not, documents, chunks); "
        "exit 1 when the current one is broken",
    )
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

    ask = sub.add_parser("ask", help="answer a question with cited sources; without one, read questions from stdin")
    _common(ask)
    ask.add_argument("question", nargs="?", help="the question (omit to read one per line from stdin)")
    ask.add_argument("--case", help="only this case (its folder name)")
    ask.add_argument("--municipality", help="only cases in this municipality")
    ask.add_argument("--kind", help="only this kind of document")
    ask.add_argument("--encoder", help="encoder the index was built with (default: settings)")

    cases = sub.add_parser("cases", help="list the cases; with --matrix, the cases against the study's factors")
    _common(cases)
    cases.add_argument(
        "--matrix",
        action="store_true",
        help="cases x the study's overarching success factors, each cell the passages that support it "
        "(success factors, then points of attention)",
    )

    user = sub.add_parser("user", help="manage users of the web app")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    user_add = user_sub.add_parser("add", help="add a user (or set a new password and role); asks for the password")
    user_add.add_argument("name", help="user name")
    user_add.add_argument("--role", choices=["reader", "admin"], default="reader", help="reader (default) or admin")
    user_add.add_argument("--index", type=Path, help="index folder holding users.json (default: index, or QA_INDEX)")
    user_add.add_argument("--users-file", type=Path, help="users file (default: <index>/users.json)")
    user_passwd = user_sub.add_parser(
        "passwd", help="set a new password for a user (asks for it twice); the user's open sessions end"
    )
    user_passwd.add_argument("name", help="user name")
    user_remove = user_sub.add_parser("remove", help="remove a user; the user's open sessions end")
    user_remove.add_argument("name", help="user name")
    for command in (user_passwd, user_remove):
        command.add_argument("--index", type=Path, help="index folder holding users.json (default: index, or QA_INDEX)")
        command.add_argument("--users-file", type=Path, help="users file (default: <index>/users.json)")

    evaluate = sub.add_parser("eval", help="measure retrieval on a question set (updates the index first)")
    _common(evaluate)
    evaluate.add_argument("--set", dest="question_set", type=Path, default=Path("eval/questions.jsonl"))
    evaluate.add_argument("--encoder", help="e5-small | use-m3 | minilm | st:<model> (default: settings)")
    evaluate.add_argument("--offtopic", type=Path, default=Path("eval/offtopic.jsonl"), help="questions to abstain on")
    evaluate.add_argument(
        "--broad", type=Path, default=Path("eval/broad.jsonl"), help="in-scope questions without a key fact"
    )
    evaluate.add_argument(
        "--intent",
        type=Path,
        default=Path("eval/intent.jsonl"),
        help="'what worked' / 'what went wrong' questions, scored on the sections they quote",
    )
    evaluate.add_argument("--retrieval-only", action="store_true", help="skip the answer evaluation")
    evaluate.add_argument(
        "--crosscase",
        type=Path,
        help="only this set of questions asked across cases (eval/crosscase.jsonl): case recall, precision, "
        "every case cited, and the same cases in both languages",
    )
    evaluate.add_argument(
        "--added",
        type=Path,
        help="with --crosscase: case folders added to a copy of the corpus after the first index, then "
        "re-indexed incrementally before asking",
    )
    evaluate.add_argument("--failures", action="store_true", help="list the questions that failed a check")
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


def run_cases(settings: Settings, args: argparse.Namespace) -> int:
    from qa.service import Vraagbaak

    service = Vraagbaak(settings)
    if not args.matrix:
        cases = service.cases()
        if args.json:
            print(
                json.dumps(
                    [
                        {
                            "case_id": c.case_id,
                            "title": c.title,
                            "municipality": c.municipality,
                            "year": c.year,
                            "themes": list(c.themes),
                        }
                        for c in cases
                    ],
                    ensure_ascii=False,
                )
            )
        for case in [] if args.json else cases:
            print(f"{case.case_id}\t{case.title}\t{case.municipality or ''}\t{case.year or ''}")
        return 0
    matrices = [service.matrix("positive"), service.matrix("negative")]
    if args.json:
        print(json.dumps([m.as_json() for m in matrices], ensure_ascii=False))
        return 0
    for matrix in matrices:
        print(format_matrix(matrix))
        print()
    return 0


def format_matrix(matrix: FactorMatrix) -> str:
    """The matrix as plain text: a row per case, a column per factor (numbered as in the study), each
    cell the number of passages that support it."""
    what = "succesfactoren" if matrix.intent == "positive" else "aandachtspunten"
    if not matrix.factors:
        return f"{what}: the study has no section of overarching factors in the index"
    lines = [f"Cases x {matrix.family.lower()} ({what} of each case that support the factor, in passages):"]
    lines += [f"  F{i + 1} = {name}" for i, name in enumerate(matrix.factors)]
    width = max(len(c.title) for c in matrix.cases) if matrix.cases else 10
    lines.append(f"{'':<{width}} " + " ".join(f"{f'F{i + 1}':>4}" for i in range(len(matrix.factors))))
    for case in matrix.cases:
        cells = " ".join(f"{len(matrix.cell(case.case_id, i)) or '.':>4}" for i in range(len(matrix.factors)))
        lines.append(f"{case.title:<{width}} {cells}")
    return "\n".join(lines)


def run_ask(settings: Settings, args: argparse.Namespace) -> int:
    from qa.search.retrieval import Filters
    from qa.service import Vraagbaak

    service = Vraagbaak(settings)
    filters = Filters(case=args.case, municipality=args.municipality, kind=args.kind)
    from_stdin = not args.question
    questions = (line.strip() for line in sys.stdin) if from_stdin else iter([args.question])
    for question in questions:
        if not question:
            continue
        answer = service.ask(question, filters)
        if args.json or from_stdin:
            print(json.dumps(answer.as_json(), ensure_ascii=False), flush=True)
        else:
            print(answer.text)
            if answer.citations:
                print()
                for c in answer.citations:
                    where = f"{c.case_title} ({c.municipality})" if c.case_id else "Studie"
                    page = f", p. {c.page}" if c.page else ""
                    print(f"[{c.n}] {where} — {c.title} [{c.kind}]{page}: {c.document}")
    return 0


def run_crosscase_eval(settings: Settings, args: argparse.Namespace) -> int:
    """The cross-case set, on the corpus as it is or, with --added, on a copy of corpus and index to
    which those cases are added and then indexed incrementally, as a maintainer adds cases."""
    import tempfile

    from qa.evaluation import evaluate_crosscase, format_crosscase_table, load_questions, workspace_with_cases
    from qa.service import Vraagbaak

    questions = load_questions(args.crosscase)
    service = Vraagbaak(settings)
    service.reindex(progress=_tqdm_progress(sys.stderr.isatty()))
    payload: dict[str, Any] = {"set": str(args.crosscase), "added": str(args.added) if args.added else None}
    with tempfile.TemporaryDirectory(prefix="qa-crosscase-") as tmp:
        if args.added:
            moved, added = workspace_with_cases(settings, args.added, Path(tmp))
            service = Vraagbaak(moved, service.embedder)
            summary = service.reindex(progress=_tqdm_progress(sys.stderr.isatty()))
            payload["reindex"] = summary.as_json()
            payload["added_cases"] = added
        results, failures = evaluate_crosscase(lambda q: service.ask(q), questions)
    payload["crosscase"] = {lang: s.as_json() for lang, s in results.items()}
    payload["failures"] = failures
    payload["settings"] = {"answer": settings.answer.model_dump(mode="json")}
    if args.json:
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    print(f"{args.crosscase}: {len(questions)} questions asked across cases")
    if args.added:
        print(f"added after the first index and re-indexed incrementally: {', '.join(payload['added_cases'])}")
    print(format_crosscase_table(results))
    if args.failures:
        for failure in failures:
            print(json.dumps(failure, ensure_ascii=False))
    return 0


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    if args.crosscase:
        return run_crosscase_eval(settings, args)
    from qa.evaluation import (
        evaluate,
        evaluate_answers,
        evaluate_intent,
        format_answer_table,
        format_intent_table,
        format_table,
        load_questions,
    )
    from qa.service import Vraagbaak

    questions = load_questions(args.question_set)
    service = Vraagbaak(settings)
    service.reindex(progress=_tqdm_progress(sys.stderr.isatty()))
    results = evaluate(service.retriever, questions)
    tuned = {"retrieval": settings.retrieval.model_dump(), "answer": settings.answer.model_dump(mode="json")}
    payload: dict[str, Any] = {
        "set": str(args.question_set),
        "encoder": service.embedder.name,
        "settings": tuned,
        "retrieval": {
            relevance: {mode: {lang: s.as_json() for lang, s in by.items()} for mode, by in modes.items()}
            for relevance, modes in results.items()
        },
    }
    answers = intents = None
    failures: list[dict[str, object]] = []
    if not args.retrieval_only:
        offtopic = load_questions(args.offtopic) if args.offtopic.is_file() else []
        broad = load_questions(args.broad) if args.broad.is_file() else []
        answers, failures = evaluate_answers(lambda q: service.ask(q), questions, offtopic, broad)
        payload["answers"] = {lang: s.as_json() for lang, s in answers.items()}
        intent_questions = load_questions(args.intent) if args.intent.is_file() else []
        intents, intent_failures = evaluate_intent(lambda q: service.ask(q), intent_questions)
        payload["intent"] = {lang: s.as_json() for lang, s in intents.items()}
        failures += intent_failures
        payload["failures"] = failures
    if args.json:
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    print(f"{args.question_set}: {len(questions)} questions, encoder {service.embedder.name}")
    print(format_table(results))
    if answers is not None and intents is not None:
        print(f"\nanswers ({args.offtopic} off-topic, {args.broad} broad in-scope):")
        print(format_answer_table(answers))
        print(f"\nwhat worked / what went wrong ({args.intent}): share of quoted passages under the study's own")
        print("headings for success factors or points of attention, and the named case cited:")
        print(format_intent_table(intents))
        if args.failures and failures:
            print()
            for failure in failures:
                print(json.dumps(failure, ensure_ascii=False))
    print("\nsettings: " + json.dumps(tuned))
    return 0


def _tqdm_progress(enabled: bool) -> Callable[[str, int, int], None] | None:
    """A tqdm bar per stage on a terminal (see `StageLines` for a log)."""
    if not enabled:
        return None
    from tqdm import tqdm

    bars: dict[str, Any] = {}
    labels = {"read": "lezen", "embed": "embedden", "first": "eerste versie", "sentences": "zinnen", "index": "index"}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=labels.get(stage, stage), leave=False)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


class StageLines:
    """Progress for a log: one line per stage on `stream` once it is over, with its counts, time and
    rate ("embed: 4,250 of 4,250 texts in 212.4 s (20.0/s)"). A stage reported in more than one run
    (passages, then sentences as questions) is one line with the counts added up."""

    UNITS: ClassVar[dict[str, str]] = {"read": "documents", "embed": "texts", "sentences": "texts"}

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.perf_counter) -> None:
        self.stream = stream
        self.clock = clock
        self.stage: str | None = None
        self.started = clock()
        self.finished_runs = (0, 0)  # done and total of the stage's earlier runs
        self.last = (0, 0)  # done and total of its current run

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.finish()  # a stage starts where the one before ended: the first one at the start
            self.stage = stage
        elif done < self.last[0]:  # the same stage again: a new run
            self.finished_runs = (self.finished_runs[0] + self.last[0], self.finished_runs[1] + self.last[1])
        self.last = (done, total)

    def finish(self) -> None:
        """Write the line of the stage in progress, if any."""
        if self.stage is None:
            return
        seconds = self.clock() - self.started
        done, total = self.finished_runs[0] + self.last[0], self.finished_runs[1] + self.last[1]
        if self.stage in self.UNITS:
            rate = f"{done / seconds:,.1f}/s" if seconds > 0 else "-"
            line = f"{self.stage}: {done:,} of {total:,} {self.UNITS[self.stage]} in {seconds:.1f} s ({rate})"
        else:
            line = f"{self.stage}: written in {seconds:.1f} s"
        print(line, file=self.stream, flush=True)
        self.stage, self.finished_runs, self.last = None, (0, 0), (0, 0)
        self.started = self.clock()


def run_index(settings: Settings, as_json: bool, rebuild: bool) -> int:
    from qa.index.build import build_index
    from qa.index.embedders import load_embedder

    embedder = load_embedder(settings.indexing.encoder, settings.indexing.batch_size)
    lines = None if as_json or sys.stderr.isatty() else StageLines(sys.stderr)
    progress = lines or _tqdm_progress(not as_json and sys.stderr.isatty())
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
            print(f"{label}: intact, {version.documents} documents, {version.chunks} chunks{first}")
        else:
            print(f"{label}: broken: {version.problem}")
    if problem is None:
        print("The current version is intact.")
        return 0
    print(f"The current version cannot be served: {problem}; run 'qa index' (or 'qa index --rebuild').")
    return 1


def _print_hits(query: str, hits: list[Any]) -> None:
    print(f"? {query}")
    for hit in hits:
        where = f"{hit.case_title} ({hit.municipality})" if hit.case_id else "Studie"
        page = f", p. {hit.page}" if hit.page else ""
        print(f"{hit.rank}. [{hit.score:.4f}] {where} — {hit.title}{page}")
        snippet = " ".join(hit.text.split())
        print(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}")


def read_password(prompt: str = "Password: ") -> str:
    """From the terminal without echo (asked twice), or the first line of stdin when piped; asked in
    the command line's language, as it answers."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass(prompt)
    if getpass.getpass("Password again: ") != first:
        raise QaError("the passwords differ")
    return first


def run_user(settings: Settings, args: argparse.Namespace) -> int:
    from qa.web.users import UserStore

    store = UserStore(settings.users_path)
    if args.user_command == "passwd":
        store.set_password(args.name, read_password())
        print(f"new password for '{args.name}' in {store.path}; their open sessions end")
        return 0
    if args.user_command == "remove":
        store.remove(args.name)
        print(f"removed '{args.name}' from {store.path}; their open sessions end")
        return 0
    existed = store.add(args.name, args.role, read_password())
    verb = "updated" if existed else "added"
    print(f"{verb} {args.role} '{args.name}' in {store.path}")
    return 0


def run_search(settings: Settings, args: argparse.Namespace) -> int:
    from qa.search.retrieval import Filters
    from qa.service import Vraagbaak

    retriever = Vraagbaak(settings).retriever  # with the guard encoder, as `qa ask` and the app search
    filters = Filters(case=args.case, municipality=args.municipality, kind=args.kind, year=args.year)
    questions = [args.question] if args.question else (line.strip() for line in sys.stdin)
    for question in questions:
        if not question:
            continue
        hits = retriever.search(question, k=args.k, filters=filters, mode=args.mode)
        if args.json:
            print(json.dumps({"query": question, "hits": [h.as_json() for h in hits]}, ensure_ascii=False), flush=True)
        else:
            _print_hits(question, hits)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = load_settings(
            corpus=getattr(args, "corpus", None), index=args.index, users_file=getattr(args, "users_file", None)
        )
        encoder = getattr(args, "encoder", None)
        if encoder:
            settings = settings.model_copy(
                update={"indexing": settings.indexing.model_copy(update={"encoder": encoder})}
            )
        commands = {
            "ingest": lambda: run_ingest(settings, args.json, args.strict),
            "index": lambda: (
                run_index_check(settings, args.json) if args.check else run_index(settings, args.json, args.rebuild)
            ),
            "search": lambda: run_search(settings, args),
            "eval": lambda: run_eval(settings, args),
            "ask": lambda: run_ask(settings, args),
            "user": lambda: run_user(settings, args),
            "cases": lambda: run_cases(settings, args),
        }
        return commands[args.command]()
    except QaError as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`qa ask ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
