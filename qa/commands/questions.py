"""`qa search` and `qa ask`: a question (or one per line of stdin) against the index."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from qa.settings import Settings


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


def _print_hits(query: str, hits: list[Any]) -> None:
    print(f"? {query}")
    for hit in hits:
        where = f"{hit.case_title} ({hit.municipality})" if hit.case_id else "Studie"
        page = f", p. {hit.page}" if hit.page else ""
        print(f"{hit.rank}. [{hit.score:.4f}] {where} — {hit.title}{page}")
        snippet = " ".join(hit.text.split())
        print(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}")


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
