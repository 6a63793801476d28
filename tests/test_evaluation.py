"""Question sets: reading them, and what counts as the key fact being in an answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import QaError
from qa.evaluation import holds_fact, load_questions


def test_a_fact_counts_in_any_way_the_study_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    record = {"question": "How many were younger than 25?", "lang": "en", "document": "cases/a/b.md"}
    path.write_text(json.dumps({**record, "fact": "drie van de 48", "fact_also": ["3 van de 48"]}) + "\n")
    (question,) = load_questions(path)
    assert question.fact_also == ("3 van de 48",)
    assert holds_fact(question, "Jongeren onder de 25: 3 van de 48 deelnemers.")
    assert holds_fact(question, "Het werden er Drie van de 48.")
    assert not holds_fact(question, "Het werden er 3 van de 40.")
    path.write_text(json.dumps(record) + "\n")
    assert not holds_fact(load_questions(path)[0], "anything")  # no fact: nothing holds it


def test_a_bad_line_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text('{"question": "ok?", "document": "x"}\n{"lang": "nl"}\n')
    with pytest.raises(QaError, match=r"questions\.jsonl, line 2: not a question record"):
        load_questions(path)
