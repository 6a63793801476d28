"""`qa eval`: retrieval and answers measured on the question sets, or the questions asked across cases."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qa.commands.progress import tqdm_progress
from qa.settings import Settings


def run_crosscase_eval(settings: Settings, args: argparse.Namespace) -> int:
    """The cross-case set, on the corpus as it is or, with --added, on a copy of corpus and index to
    which those cases are added and then indexed incrementally, as a maintainer adds cases."""
    import tempfile

    from qa.evaluation import evaluate_crosscase, format_crosscase_table, load_questions, workspace_with_cases
    from qa.service import Vraagbaak

    questions = load_questions(args.crosscase)
    service = Vraagbaak(settings)
    if not args.as_indexed:
        service.reindex(progress=tqdm_progress(sys.stderr.isatty()))
    payload: dict[str, Any] = {"set": str(args.crosscase), "added": str(args.added) if args.added else None}
    with tempfile.TemporaryDirectory(prefix="qa-crosscase-") as tmp:
        if args.added:
            moved, added = workspace_with_cases(settings, args.added, Path(tmp))
            service = Vraagbaak(moved, service.embedder)
            summary = service.reindex(progress=tqdm_progress(sys.stderr.isatty()))
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
    if not args.as_indexed:
        service.reindex(progress=tqdm_progress(sys.stderr.isatty()))
    results = evaluate(service.retriever, questions)
    encoder = service.retriever.encoder_for(service.retriever.version()).name  # a quick version's own
    tuned = {"retrieval": settings.retrieval.model_dump(), "answer": settings.answer.model_dump(mode="json")}
    payload: dict[str, Any] = {
        "set": str(args.question_set),
        "encoder": encoder,
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
    print(f"{args.question_set}: {len(questions)} questions, encoder {encoder}")
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
