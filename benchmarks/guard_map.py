"""Fit the map that puts the guard encoder's cosines on the main encoder's scale (`indexing.guard_as_main`).

A first index version on the guard encoder (a few seconds for the sample study, where the main encoder
takes minutes) is answered with the bars chosen on the main encoder's cosines: abstention, the case
decision, the margins between quotes. Both encoders embed every passage of the corpus, and two kinds of
question: the study's own section headings (what the study is about) and the everyday questions it
does not answer (`answer.background_questions`). What the abstention takes from the main encoder is the
relevance (the best passage's cosine plus `answer.peak_weight` times how far it stands out above the
median) and the support (about the best cosine); under a map cosine -> scale x cosine + shift the two
together become scale x (their sum on the guard encoder) + 2 x shift. Per kind of question, the mean of
that sum is taken for each encoder; the map is the straight line through the two pairs of means, so that
on both sides of the abstention bar the guard encoder's score lands, on average, where the main encoder's
does. No evaluation set is used.

    python -m benchmarks.guard_map [--json]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from qa.index.embedders import Embedder, load_embedder
from qa.index.embedding import indexed_text
from qa.ingest.chunking import chunk_document
from qa.ingest.corpus import discover, read_source
from qa.search.background import read_background
from qa.settings import Settings, load_settings


def passages_and_headings(settings: Settings) -> tuple[list[str], list[str]]:
    """Every passage of the corpus as the indexer embeds it, and the distinct section headings (their
    last part), as questions about the study; one reading of the corpus."""
    passages: list[str] = []
    found: set[str] = set()
    for source in discover(settings).files:
        document, _warnings = read_source(source, settings)
        for chunk in chunk_document(document, settings.chunk):
            passages.append(indexed_text(chunk, document.title, document.case))
            if chunk.section:
                found.add(chunk.section.split(" › ")[-1].strip())
    return passages, sorted(text for text in found if text)


def abstention_terms(questions: list[str], passages: np.ndarray, encoder: Embedder, peak_weight: float) -> np.ndarray:
    """Per question, relevance plus best cosine over the passages (`IndexVersion.relevance`)."""
    cosines = encoder.embed_queries(questions) @ passages.T
    best = cosines.max(axis=1)
    return best + peak_weight * (best - np.median(cosines, axis=1)) + best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    settings = load_settings()
    if not settings.indexing.guard_encoder or not settings.answer.background_questions:
        print("needs a guard encoder and background questions", file=sys.stderr)
        return 2
    main_encoder = load_embedder(settings.indexing.encoder, settings.indexing.batch_size)
    guard = load_embedder(settings.indexing.guard_encoder, settings.indexing.batch_size)
    texts, headings = passages_and_headings(settings)
    kinds = {
        "headings": headings,
        "background": [q.question for q in read_background(settings.answer.background_questions)],
    }
    main_passages, guard_passages = main_encoder.embed_passages(texts), guard.embed_passages(texts)
    means: dict[str, tuple[float, float]] = {}
    peak = settings.answer.peak_weight
    for kind, questions in kinds.items():
        on_main = abstention_terms(questions, main_passages, main_encoder, peak)
        on_guard = abstention_terms(questions, guard_passages, guard, peak)
        means[kind] = (float(on_guard.mean()), float(on_main.mean()))
    (g1, m1), (g2, m2) = means["headings"], means["background"]
    scale = (m1 - m2) / (g1 - g2)
    shift = (m1 - scale * g1) / 2
    result = {
        "passages": len(texts),
        "questions": {kind: len(questions) for kind, questions in kinds.items()},
        "relevance + best cosine, means (guard, main)": {
            kind: [round(g, 4), round(m, 4)] for kind, (g, m) in means.items()
        },
        "scale": round(scale, 3),
        "shift": round(shift, 3),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
        pair = f"{settings.indexing.encoder}/{settings.indexing.guard_encoder}"
        print(f"setting: QA_INDEXING__GUARD_AS_MAIN='{{\"{pair}\": [{scale:.3f}, {shift:.3f}]}}'")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
