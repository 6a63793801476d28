"""The benchmark runner end to end in its quick mode: it runs and reports every figure (no timing checks)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO


@pytest.mark.slow
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
