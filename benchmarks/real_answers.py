"""Answers on text nobody here wrote: real government documents and real parliamentary answers.

    python -m benchmarks.real_answers [--limit 300] [--workspace DIR] [--json] [--failures] [--forms title asked]
    python -m benchmarks.real_answers --eval-sets [--limit 300] [--workspace DIR]

One study is made of `../shared`: the four real PDFs of `realdocs/` as two cases (`rijksoverheid`: the
accessibility report, the parliamentary questions with their answers and a motion; `gemeenteraad`: a
council's decision list), and the answers to the first `--limit` questions of `eval/dekamer` under
their themes as cases (whole answers, as a user's files would be). It is indexed once (kept with
`--workspace`). Then:

- the real-document fact sets (`FACT_SETS`: the tuning set, and `eval/realdocs-facts.jsonl` and
  `eval/realdocs-fresh.jsonl`, written from a full reading of those documents and never tuned on): is
  the key fact in the answer, in a passage the answer cites (its sources), was the question wrongly declined;
- the dekamer questions, their title as the question and, separately, the last sentence of the full
  question that asks something: does the answer cite the document that answers it, does it quote
  from it first, was it wrongly declined; over all of them, and over those whose answering document
  says more than where the answer is (`SUBSTANTIVE_CHARS`: "sent to the member directly" or "see my
  answer to question 598" cannot be found from the question); and, as the bound on those citations,
  where a search without the cap of three passages per case puts that document (`SEARCH_DEPTHS`);
- over every answer: how many quotes are lines that are not prose (a table of contents' dot leaders
  or page numbers, a "Vraag 3" / "Antwoord 2" label): there must be none.

With `--eval-sets` it only writes the study and the dekamer questions in the evaluation format (both
forms, `dekamer-title-N.jsonl` and `dekamer-asked-N.jsonl`, each question with its document), so that
`qa eval --set` scores them on that study like any other set (document cited, quoted first, declined),
and prints the commands.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.dekamer import copy_answer
from qa.evaluation import Question, holds_fact
from qa.records import Answer
from qa.service import Vraagbaak
from qa.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REALDOCS = SHARED / "realdocs"
DEKAMER = SHARED / "eval" / "dekamer"
CASES = {
    "rijksoverheid": (
        "Rijksoverheid: onderzoek, Kamervragen en motie",
        "Den Haag (Rijk)",
        {
            "toegankelijkheidsonderzoek-2025.pdf": ("overig", "Toegankelijkheidsonderzoek open.minvws.nl 2025"),
            "kamervragen-ah-tk-20202021-3235.pdf": ("overig", "Kamervragen over de Tozo, met antwoorden"),
            "motie-kst-32545-143.pdf": ("overig", "Motie Kamerstuk 32545-143"),
        },
    ),
    "gemeenteraad": (
        "Besluitenlijst van de gemeenteraad",
        "Gemeenteraad",
        {"besluitenlijst-raadsvergadering-2015.pdf": ("overig", "Besluitenlijst raadsvergadering 29 juni 2015")},
    ),
}
#: The real-document fact sets: one to look into and tune on, two never tuned on (their misses are not listed).
FACT_SETS = {
    "facts, tuning": REPO / "eval" / "realdocs-tuning.jsonl",
    "facts, held out": REPO / "eval" / "realdocs-facts.jsonl",
    "facts, fresh": REPO / "eval" / "realdocs-fresh.jsonl",
}
#: An answering document shorter than this (its heading and department line aside) says little more than
#: where the answer is: sent to the member directly, or given to another question.
SUBSTANTIVE_CHARS = 500
#: A quote that is not prose: a table of contents' line (dot leaders, or ending in a page number after
#: a run of spaces), or a bare question/answer label.
NOT_PROSE = re.compile(r"(\.{4,}|…{2,}|\s{3,}\d+\s*$|^\s*(vraag|antwoord)\s+\d+\s*$)", re.IGNORECASE)


@dataclass(frozen=True)
class Kamervraag:
    title: str
    asked: str  # the last sentence of the full question that asks something
    document: str


def make_study(target: Path, limit: int) -> list[Kamervraag]:
    """Write the study (once) and return the dekamer questions it answers."""
    records = [json.loads(line) for line in (DEKAMER / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    records = records[:limit]
    if not (target / "cases").exists():
        for slug, (title, municipality, documents) in CASES.items():
            folder = target / "cases" / slug
            folder.mkdir(parents=True)
            lines = [f'title = "{title}"', f'municipality = "{municipality}"', ""]
            for name, (kind, doc_title) in documents.items():
                shutil.copy(REALDOCS / name, folder / name)
                lines += ["[[documents]]", f'file = "{name}"', f'kind = "{kind}"', f'title = "{doc_title}"', ""]
            (folder / "case.toml").write_text("\n".join(lines), encoding="utf-8")
        for record in records:
            copy_answer(target, record["file"])  # whole answers, as a user's files would be
    return [Kamervraag(r["question"], last_question(r["question_full"]), r["file"]) for r in records]


def last_question(text: str) -> str:
    """The last sentence of a full parliamentary question that ends in a question mark (else its title)."""
    sentences = [s.strip() for s in re.split(r"(?<=[?!.])\s+|\n+", text) if s.strip()]
    asked = [s for s in sentences if s.endswith("?")]
    return re.sub(r"^\d+\.\s*", "", asked[-1]) if asked else text.strip().splitlines()[0]


def fact_questions(path: Path) -> list[tuple[Question, str]]:
    """A real-document fact set, each question with the path of its document in the study."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        if data["source"] == "realdocs":
            slug = next(s for s, (_t, _m, docs) in CASES.items() if data["file"] in docs)
            document = f"cases/{slug}/{data['file']}"
        else:
            document = data["file"]
        question = Question(data["question"], (document,), data.get("page"), data["lang"], data["fact"])
        found.append((question, document))
    return found


def not_prose(answer: Answer) -> list[str]:
    return [part for c in answer.citations for part in c.quote.split(" … ") if NOT_PROSE.search(part)]


def substantive(workspace_corpus: Path, document: str) -> bool:
    """Whether an answering document says more than where the answer is (`SUBSTANTIVE_CHARS`)."""
    lines = (workspace_corpus / document).read_text(encoding="utf-8").splitlines()
    body = "\n".join(line for line in lines if not line.startswith(("#", "Departement:"))).strip()
    return len(body) >= SUBSTANTIVE_CHARS


def first_document(answer: Answer) -> str | None:
    return answer.citations[0].document if answer.citations else None


def write_eval_sets(workspace: Path, limit: int, kamervragen: list[Kamervraag]) -> list[Path]:
    """The dekamer questions as evaluation sets (`qa.evaluation.load_questions`), one per form."""
    written = []
    for form in ("title", "asked"):
        path = workspace / f"dekamer-{form}-{limit}.jsonl"
        lines = [
            json.dumps(
                {
                    "question": item.title if form == "title" else item.asked,
                    "lang": "nl",
                    "document": item.document,
                    "cases": [Path(item.document).parent.name],
                },
                ensure_ascii=False,
            )
            for item in kamervragen
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written


#: The document-level recall of an uncapped search, at these depths: what bounds the answers' citations.
SEARCH_DEPTHS = (1, 10, 30)


def document_ranks(service: Vraagbaak, questions: list[str], documents: list[str], passages: int = 100) -> list[int]:
    """Each answering document's place among the documents of a search without the cap per case (ordered
    by their best passage among the first `passages`; 0: not among them)."""
    retriever = service.retriever
    places = []
    for question, document in zip(questions, documents, strict=True):
        found: list[str] = []
        for hit in retriever.hits(retriever.rank(question, passages), passages, per_case=0):
            if hit.document not in found:
                found.append(hit.document)
        places.append(found.index(document) + 1 if document in found else 0)
    return places


def score_facts(
    service: Vraagbaak, questions: list[tuple[Question, str]], quoted_not_prose: list[str]
) -> tuple[dict[str, dict[str, float]], list[dict[str, object]]]:
    """Per language: the share of answers holding the key fact, of answers citing a passage that holds
    it (shown with the answer's sources, one click away), and of questions wrongly declined; and the
    misses. Quotes that are not prose are added to `quoted_not_prose`."""
    rows: dict[str, list[tuple[bool, bool, bool]]] = {}
    missed: list[dict[str, object]] = []
    for question, document in questions:
        answer = service.ask(question.question)
        fact = holds_fact(question, answer.text) and not answer.abstained
        in_source = any(holds_fact(question, c.text) for c in answer.citations)
        rows.setdefault(question.lang, []).append((fact, in_source, answer.abstained))
        quoted_not_prose += not_prose(answer)
        if not fact:
            cited = sorted({c.document for c in answer.citations})
            missed.append(
                {
                    "question": question.question,
                    "fact": question.fact,
                    "document": document,
                    "abstained": answer.abstained,
                    "cited": cited,
                    "answer": answer.text[:400],
                }
            )
    scores = {
        lang: {
            "n": len(kept),
            "fact": sum(f for f, _c, _a in kept) / len(kept),
            "fact_in_cited_passage": sum(c for _f, c, _a in kept) / len(kept),
            "declined": sum(a for _f, _c, a in kept) / len(kept),
        }
        for lang, kept in sorted(rows.items())
    }
    return scores, missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=300, help="dekamer questions (their answers are indexed)")
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/vraagbaak-real-answers"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--eval-sets", action="store_true", help="only write the study and the questions for qa eval")
    parser.add_argument(
        "--forms", nargs="*", choices=("title", "asked"), default=["title", "asked"], help="dekamer question forms"
    )
    args = parser.parse_args(argv)
    kamervragen = make_study(args.workspace / f"corpus-{args.limit}", args.limit)
    if args.eval_sets:
        corpus, index = args.workspace / f"corpus-{args.limit}", args.workspace / f"index-{args.limit}"
        for path in write_eval_sets(args.workspace, args.limit, kamervragen):
            none = "--offtopic none --broad none --intent none"
            print(f"QA_CORPUS={corpus} QA_INDEX={index} qa eval --set {path} {none}")
        return 0
    base = Settings()
    settings = base.model_copy(
        update={"corpus": args.workspace / f"corpus-{args.limit}", "index": args.workspace / f"index-{args.limit}"}
    )
    service = Vraagbaak(settings)
    started = time.perf_counter()
    summary = service.reindex()
    report: dict[str, object] = {
        "documents": summary.documents,
        "chunks": summary.chunks,
        "skipped": [s.path for s in summary.skipped],
        "index_seconds": round(time.perf_counter() - started, 1),
    }
    quoted_not_prose: list[str] = []
    failures: list[dict[str, object]] = []
    for label, path in FACT_SETS.items():
        report[label], missed = score_facts(service, fact_questions(path), quoted_not_prose)
        if label == "facts, tuning":  # the other sets' misses are never listed: nothing is fitted on them
            failures += missed
    for form in args.forms:
        checks: list[tuple[bool, bool, bool]] = []
        for item in kamervragen:
            answer = service.ask(item.title if form == "title" else item.asked)
            documents = {c.document for c in answer.citations}
            checks.append((item.document in documents, first_document(answer) == item.document, answer.abstained))
            quoted_not_prose += not_prose(answer)
        corpus = args.workspace / f"corpus-{args.limit}"
        says_more = [substantive(corpus, item.document) for item in kamervragen]
        asked = [item.title if form == "title" else item.asked for item in kamervragen]
        places = document_ranks(service, asked, [item.document for item in kamervragen])
        for label, kept, ranks in (
            (f"dekamer {form}", checks, places),
            (
                f"dekamer {form}, answers of substance",
                [r for r, more in zip(checks, says_more, strict=True) if more],
                [p for p, more in zip(places, says_more, strict=True) if more],
            ),
        ):
            n = len(kept)
            report[label] = {
                "n": n,
                "cites_gold": sum(r[0] for r in kept) / n,
                "gold_first": sum(r[1] for r in kept) / n,
                "declined": sum(r[2] for r in kept) / n,
                **{f"search_R@{k}": sum(0 < p <= k for p in ranks) / n for k in SEARCH_DEPTHS},
            }
    report["quotes_not_prose"] = len(quoted_not_prose)
    report["examples_not_prose"] = quoted_not_prose[:10]
    if args.failures:
        report["failures"] = failures
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
