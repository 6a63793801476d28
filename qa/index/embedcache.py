"""Embeddings by content hash, kept across index versions: no text is embedded twice.

A killed `qa index` loses none of the work it finished (every batch is committed), and a
rebuild, an encoder switched back, or a moved document costs no encoder calls for texts
already seen. Lives beside the versions in the index folder; only the lock holder writes it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    encoder TEXT NOT NULL, version TEXT NOT NULL, sha TEXT NOT NULL, vector BLOB NOT NULL, used REAL NOT NULL,
    PRIMARY KEY (encoder, version, sha)
);
"""


#: Entries (about 1.6 KB each at 384 dimensions) a cache may hold, twice over, before it is pruned.
PRUNE_FLOOR = 20_000


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    def __init__(self, path: Path, encoder: str, version: str, dimension: int) -> None:
        self.connection = sqlite3.connect(path)
        self.connection.executescript(SCHEMA)
        self.encoder, self.version, self.dimension = encoder, version, dimension
        self.started = time.time()

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.connection.execute(
                f"SELECT sha, vector FROM embeddings WHERE encoder = ? AND version = ? AND sha IN ({marks})",
                [self.encoder, self.version, *part],
            )
            for sha, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self.dimension,):
                    found[sha] = vector
        if found:
            with self.connection:
                self.connection.executemany(
                    "UPDATE embeddings SET used = ? WHERE encoder = ? AND version = ? AND sha = ?",
                    [(self.started, self.encoder, self.version, sha) for sha in found],
                )
        return found

    def put(self, keys: list[str], vectors: np.ndarray) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?, ?)",
                [
                    (self.encoder, self.version, key, np.asarray(vector, dtype=np.float32).tobytes(), self.started)
                    for key, vector in zip(keys, vectors, strict=True)
                ],
            )

    def prune(self, keep_at_least: int, floor: int = PRUNE_FLOOR) -> None:
        """Drop entries this run did not use once the cache holds more than twice what is indexed, and
        more than twice `floor`: a cache that several indexes share (two studies, or a study and a part
        of it) keeps what each needs."""
        (count,) = self.connection.execute("SELECT count(*) FROM embeddings").fetchone()
        if count > 2 * max(keep_at_least, floor):
            with self.connection:
                self.connection.execute("DELETE FROM embeddings WHERE used < ?", (self.started,))

    def close(self) -> None:
        self.connection.close()
