"""The `qa` command: its arguments and which command runs. Plain text for people, `--json` for
machines; errors become exit codes. The commands themselves are in `qa.commands`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from qa.errors import QaError
from qa.settings import Settings, load_settings

Subparsers = argparse._SubParsersAction  # argparse names no public type for add_subparsers' result

ENCODER_HELP = "e5-small | use-m3 | minilm | st:<model> (default: settings)"
INDEX_HELP = "index folder holding users.json (default: index, or QA_INDEX)"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", type=Path, help="study folder (default: corpus, or QA_CORPUS)")
    parser.add_argument("--index", type=Path, help="index folder (default: index, or QA_INDEX)")
    parser.add_argument("--json", action="store_true", help="print JSON for machines")


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--case", help="only this case (its folder name)")
    parser.add_argument("--municipality", help="only cases in this municipality")
    parser.add_argument("--kind", help="only this kind of document")


def _add_ingest(sub: Subparsers) -> None:
    ingest = sub.add_parser("ingest", help="read the corpus and report what was found and skipped")
    _common(ingest)
    ingest.add_argument("--strict", action="store_true", help="exit 1 when any file was skipped")


def _add_index(sub: Subparsers) -> None:
    index = sub.add_parser("index", help="build or update the index (only new and changed documents)")
    _common(index)
    index.add_argument("--rebuild", action="store_true", help="rebuild everything from scratch")
    index.add_argument(
        "--check",
        action="store_true",
        help="build nothing: report every index version (intact or why not, documents, chunks); "
        "exit 1 when the current one is broken",
    )
    index.add_argument("--encoder", help=ENCODER_HELP)


def _add_search(sub: Subparsers) -> None:
    search = sub.add_parser("search", help="search the index; without a question, read one per line from stdin")
    _common(search)
    search.add_argument("question", nargs="?", help="the question (omit to read questions from stdin)")
    search.add_argument("-k", type=int, default=5, help="number of hits (default 5)")
    _filters(search)
    search.add_argument("--year", type=int, help="only cases of this year")
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--encoder", help="encoder the index was built with (default: settings)")


def _add_ask(sub: Subparsers) -> None:
    ask = sub.add_parser("ask", help="answer a question with cited sources; without one, read questions from stdin")
    _common(ask)
    ask.add_argument("question", nargs="?", help="the question (omit to read one per line from stdin)")
    _filters(ask)
    ask.add_argument("--encoder", help="encoder the index was built with (default: settings)")


def _add_cases(sub: Subparsers) -> None:
    cases = sub.add_parser("cases", help="list the cases; with --matrix, the cases against the study's factors")
    _common(cases)
    cases.add_argument(
        "--matrix",
        action="store_true",
        help="cases x the study's overarching success factors, each cell the passages that support it "
        "(success factors, then points of attention)",
    )


def _add_user(sub: Subparsers) -> None:
    user = sub.add_parser("user", help="manage users of the web app")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    user_add = user_sub.add_parser("add", help="add a user (or set a new password and role); asks for the password")
    user_add.add_argument("name", help="user name")
    user_add.add_argument("--role", choices=["reader", "admin"], default="reader", help="reader (default) or admin")
    user_add.add_argument("--index", type=Path, help=INDEX_HELP)
    user_add.add_argument("--users-file", type=Path, help="users file (default: <index>/users.json)")
    user_passwd = user_sub.add_parser(
        "passwd", help="set a new password for a user (asks for it twice); the user's open sessions end"
    )
    user_passwd.add_argument("name", help="user name")
    user_remove = user_sub.add_parser("remove", help="remove a user; the user's open sessions end")
    user_remove.add_argument("name", help="user name")
    for command in (user_passwd, user_remove):
        command.add_argument("--index", type=Path, help=INDEX_HELP)
        command.add_argument("--users-file", type=Path, help="users file (default: <index>/users.json)")


def _add_eval(sub: Subparsers) -> None:
    evaluate = sub.add_parser("eval", help="measure retrieval on a question set (updates the index first)")
    _common(evaluate)
    evaluate.add_argument("--set", dest="question_set", type=Path, default=Path("eval/questions.jsonl"))
    evaluate.add_argument("--encoder", help=ENCODER_HELP)
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
    evaluate.add_argument(
        "--as-indexed",
        action="store_true",
        help="score the index version served now, without bringing the index up to date first "
        "(a quick version made by 'python -m benchmarks.quick_version')",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Vraagbaak Burgerparticipatie")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_add_ingest, _add_index, _add_search, _add_ask, _add_cases, _add_user, _add_eval):
        add(sub)
    return parser


def _command(settings: Settings, args: argparse.Namespace) -> Callable[[], int]:
    """The command the arguments name, its heavy imports left to the command's own module."""
    from qa.commands import cases, evaluation, indexing, questions, users

    commands: dict[str, Callable[[], int]] = {
        "ingest": lambda: indexing.run_ingest(settings, args.json, args.strict),
        "index": lambda: (
            indexing.run_index_check(settings, args.json)
            if args.check
            else indexing.run_index(settings, args.json, args.rebuild)
        ),
        "search": lambda: questions.run_search(settings, args),
        "eval": lambda: evaluation.run_eval(settings, args),
        "ask": lambda: questions.run_ask(settings, args),
        "user": lambda: users.run_user(settings, args),
        "cases": lambda: cases.run_cases(settings, args),
    }
    return commands[args.command]


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
        return _command(settings, args)()
    except QaError as exc:
        print(f"qa: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`qa ask ... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
