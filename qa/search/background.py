"""Background questions: what people ask a municipality that the study does not answer.

A question about citizen participation can share many words with one about a parking permit or the
swimming pool's opening hours ("Wat kost een parkeervergunning in het centrum?" finds the passage
on parking at the Hollevoort market square). How close a question is to the study does not tell
the two apart; how close it is to such everyday questions does. The packaged list (the setting
`answer.background_questions`, by default `qa/data/background.jsonl`: 219 questions, Dutch and
English, on municipal services, the social domain, politics and general knowledge, none about
participation) is embedded once with the guard encoder. `closeness` is a question's best cosine to
it, which the composer subtracts, weighted, before deciding to abstain (qa.answer.abstains).

The list was written without the evaluation sets in view; afterwards, the 21 questions that
paraphrase an off-topic evaluation question were taken out, so that the evaluation measures
questions the list does not already hold (see eval/README.md).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.errors import QaError
from qa.index.embedders import Embedder


@dataclass(frozen=True)
class BackgroundQuestion:
    question: str
    lang: str
    topic: str = ""


def read_background(path: Path) -> list[BackgroundQuestion]:
    """The questions of a JSON-lines file ({"question": ..., "lang": ..., "topic": ...})."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QaError(f"{path}: cannot read the background questions ({exc.strerror or exc})") from exc
    found: list[BackgroundQuestion] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            question = data["question"]
            if not isinstance(question, str) or not question.strip():
                raise TypeError("'question' must be a non-empty string")
            found.append(BackgroundQuestion(question.strip(), str(data.get("lang", "?")), str(data.get("topic", ""))))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise QaError(f"{path}, line {number}: not a background question ({exc})") from exc
    if not found:
        raise QaError(f"{path}: no background questions in it")
    return found


class Background:
    """The background questions' vectors from one encoder, embedded on first use (about 0.3 s for
    the packaged list with the guard encoder)."""

    def __init__(self, questions: Sequence[BackgroundQuestion], encoder: Embedder) -> None:
        self.questions = list(questions)
        self.encoder = encoder
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def vectors(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                self._vectors = self.encoder.embed_queries([q.question for q in self.questions])
            return self._vectors

    def closeness(self, vector: np.ndarray) -> float:
        """Best cosine between a question's vector (from the same encoder) and the background questions."""
        return float((self.vectors() @ vector).max())

    def nearest(self, vector: np.ndarray) -> BackgroundQuestion:
        return self.questions[int((self.vectors() @ vector).argmax())]
