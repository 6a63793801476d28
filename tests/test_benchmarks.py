"""The benchmark runner end to end in its quick mode: it runs and reports every figure (no timing checks).
And the pure parts of the sentence-weight fit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import REPO

from benchmarks.real_answers import DEKAMER, FACT_SETS
from benchmarks.sentence_weights import PARTS, Asked, fit, scores, shipped, vector
from qa.answer import ScoreParts, weigh
from qa.settings import AnswerSettings


@pytest.mark.slow
@pytest.mark.encoder  # use-m3, in the benchmark's process
def test_quick_query_and_memory_benchmarks_report_their_figures() -> None:
    command = [sys.executable, "-m", "benchmarks.run", "--quick", "--json", "--encoder", "use-m3"]
    result = subprocess.run(
        [*command, "--only", "query", "memory"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)

    assert report["run"]["encoder"] == "use-m3" and report["run"]["quick"] is True
    assert set(report["benchmarks"]) == {"query", "memory"}
    for section in report["benchmarks"].values():
        for figure in section["figures"].values():
            assert {"value", "unit", "meaning", "target", "met", "estimate"} <= set(figure)
            assert figure["meaning"]

    query = report["benchmarks"]["query"]["figures"]
    assert query["lexical_build_matches_indexer"]["value"] is True
    for mode in ("exact", "hnsw"):
        for size in ("1k", "5k"):
            for name in ("p50_ms", "p95_ms", "retrieval_p95_ms", "dense_p50_ms", "lexical_p50_ms", "fetch_p50_ms"):
                assert query[f"{mode}.{size}.{name}"]["value"] > 0
            assert query[f"{mode}.{size}.hits_min"]["value"] >= 1
    assert 0 <= query["hnsw.5k.recall_at_10"]["value"] <= 1
    assert query["threshold.suggested_hnsw_above"]["estimate"] is True

    memory = report["benchmarks"]["memory"]["figures"]
    for mode in ("exact", "hnsw"):
        assert memory[f"{mode}.bytes_per_chunk"]["value"] > 0
        assert memory[f"{mode}.bytes_per_chunk"]["target"] is not None
        assert memory[f"{mode}.chunk_text_mb"]["value"] > 0


def test_the_shipped_weights_on_a_sentences_parts_give_its_score() -> None:
    config = AnswerSettings()
    for beside in (None, 0.7):
        parts = ScoreParts(0.81, 0.86, beside, 0.4, 1.0, True, True, 3)
        assert float(np.dot(vector(parts, config, pair=False), shipped(config))) == pytest.approx(weigh(parts, config))


def test_the_fit_weighs_the_part_that_tells_the_fact_sentence_apart() -> None:
    """Twenty questions whose fact sentence is no more similar to the question than the others, but
    shares its words: the shipped weights rank it first for few of them, the fitted ones for all."""
    rng = np.random.default_rng(7)
    asked = []
    for _ in range(20):
        n = 8
        parts = np.column_stack([rng.normal(0.8, 0.05, (n, 3)), np.zeros((n, len(PARTS) - 3))])
        parts[0, 3] = 0.1  # the fact sentence shares the question's words
        got = SimpleNamespace(found=[None] * n)
        rows = np.column_stack([np.arange(n), parts])
        asked.append(Asked(None, got, rows, np.arange(n) == 0))  # type: ignore[arg-type]
    first = [int(np.argmax(scores(a, shipped(AnswerSettings())))) == 0 for a in asked]
    assert sum(first) < len(first) / 2
    weights = fit(asked, shipped(AnswerSettings()))
    assert weights[3] > 0
    assert all(int(np.argmax(scores(a, weights))) == 0 for a in asked)


def test_an_answer_that_only_says_where_the_answer_is_is_not_of_substance(tmp_path: Path) -> None:
    from benchmarks.real_answers import SUBSTANTIVE_CHARS, substantive

    theme = tmp_path / "cases" / "overheid"
    theme.mkdir(parents=True)
    head = "# Antwoord op schriftelijke vraag 186724\n\nDepartement: Minister van Binnenlandse Zaken\n\n"
    referral = "Het antwoord op deze vraag is het geachte kamerlid rechtstreeks toegestuurd."
    (theme / "kort.md").write_text(head + referral + "\n", encoding="utf-8")
    answer = "De dienstreizen werden geboekt via het raamcontract. " * (SUBSTANTIVE_CHARS // 40)
    (theme / "lang.md").write_text(head + answer + "\n", encoding="utf-8")
    assert not substantive(tmp_path, "cases/overheid/kort.md")
    assert substantive(tmp_path, "cases/overheid/lang.md")


@pytest.mark.parametrize("path", FACT_SETS.values(), ids=FACT_SETS.keys())
def test_every_dekamer_fact_is_in_its_sentence_and_the_sentence_in_its_answer(path: Path) -> None:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    dekamer = [item for item in lines if item["source"] == "dekamer"]
    assert dekamer and {item["lang"] for item in lines} == {"nl", "en"}
    for item in dekamer:
        assert item["fact"] in item["sentence"], item["question"]
        answer = (DEKAMER / "corpus" / item["file"]).read_text(encoding="utf-8")
        assert " ".join(item["sentence"].split()) in " ".join(answer.split()), item["question"]  # as extracted
