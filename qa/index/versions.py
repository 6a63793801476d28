"""The state of every index version, for `qa index --check`: intact or why not, which one is current,
how many documents and chunks it holds.

A version is judged as readers judge it (`qa.index.layout.version_problem`: meta.sqlite's header,
dense.faiss and lexical/ present), then opened read-only: SQLite's quick check, the documents and
chunks it holds, and a dense index with one vector per chunk. Nothing is written.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.errors import IndexAccessError
from qa.index import store
from qa.index.dense import DenseIndex
from qa.index.layout import IndexLayout, version_order, version_problem


@dataclass(frozen=True)
class VersionState:
    """One folder under index/versions/."""

    name: str
    current: bool
    problem: str | None  # None: intact
    documents: int | None = None  # indexed (or stale but still served) documents; None when unreadable
    chunks: int | None = None
    complete: bool = True  # False: a first version from the passages alone; the next `qa index` completes it
    stand_in_for: str | None = None  # a quick version on the guard encoder: the main encoder it stands in for

    @property
    def intact(self) -> bool:
        return self.problem is None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        return {
            "name": self.name,
            "current": self.current,
            "intact": self.intact,
            **{key: data[key] for key in ("problem", "documents", "chunks", "complete", "stand_in_for")},
        }


@dataclass(frozen=True)
class IndexCheck:
    """Every version of one index folder, oldest first, and the name CURRENT points at."""

    root: Path
    current: str | None
    versions: tuple[VersionState, ...]

    @property
    def current_problem(self) -> str | None:
        """Why the index cannot serve its current version, or None when it can."""
        if self.current is None:
            return "no index (no CURRENT pointer); build one with 'qa index'"
        state = next((v for v in self.versions if v.name == self.current), None)
        if state is None:
            return f"the current version {self.current} is missing"
        return state.problem

    def as_json(self) -> dict[str, object]:
        return {
            "index": str(self.root),
            "current": self.current,
            "ok": self.current_problem is None,
            "problem": self.current_problem,
            "versions": [v.as_json() for v in self.versions],
        }


def check_version(folder: Path, current: bool) -> VersionState:
    problem = version_problem(folder)
    if problem is not None:
        return VersionState(folder.name, current, problem)
    try:
        reader = store.IndexReader(folder / "meta.sqlite")
        try:
            verdict = reader.quick_check()
            if verdict != "ok":
                return VersionState(folder.name, current, f"meta.sqlite is damaged ({verdict})")
            rows = reader.documents()
            chunks = reader.chunk_count()
            manifest = reader.manifest()
        finally:
            reader.close()
    except PermissionError as exc:
        raise IndexAccessError(folder, "read", exc) from exc
    except sqlite3.Error as exc:
        return VersionState(folder.name, current, f"meta.sqlite cannot be read ({exc})")
    documents = sum(1 for row in rows if row.status in (store.INDEXED, store.STALE))
    try:
        vectors = len(DenseIndex.load(folder / "dense.faiss"))
    except PermissionError as exc:
        raise IndexAccessError(folder, "read", exc) from exc
    except Exception as exc:  # faiss raises RuntimeError on a damaged file, and little else is promised
        return VersionState(folder.name, current, f"dense.faiss cannot be read ({type(exc).__name__}: {exc})")
    if vectors != chunks:
        problem = f"dense.faiss holds {vectors} vectors for {chunks} chunks"
        return VersionState(folder.name, current, problem, documents, int(chunks))
    return VersionState(folder.name, current, None, documents, int(chunks), manifest.complete, manifest.stand_in_for)


def check_index(root: Path) -> IndexCheck:
    """The state of every version in the index folder `root`."""
    layout = IndexLayout(root)
    current = layout.pointed_name()
    try:
        found = [p for p in layout.versions.iterdir() if p.is_dir()] if layout.versions.is_dir() else []
        # oldest first (qa.index.layout.version_order)
        folders = sorted(found, key=version_order)
    except PermissionError as exc:
        raise IndexAccessError(root, "read", exc) from exc
    return IndexCheck(root, current, tuple(check_version(folder, folder.name == current) for folder in folders))
