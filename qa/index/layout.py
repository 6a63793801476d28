"""Where things live inside the index folder, and the atomic pointer to the current version.

index/CURRENT            name of the version being served (replaced atomically)
index/versions/<name>/   one complete, immutable version: meta.sqlite, dense.faiss, lexical/
index/.tmp-<name>/       a version being written (left behind only by a killed run)
index/.lock              held by the one `qa index` allowed to write

A version whose meta.sqlite is missing, empty or shorter than its own header says (a disk that
filled up, a copy cut short) is never opened: readers serve the newest intact version before it,
and the next `qa index` builds on that one.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from qa.errors import DiskFullError, IndexAccessError, IndexLockedError, is_disk_full

log = logging.getLogger(__name__)

KEEP_PREVIOUS = 1  # intact versions kept besides the current one, for readers still holding them
_SQLITE_MAGIC = b"SQLite format 3\x00"
_reported: set[tuple[Path, str]] = set()  # broken versions already logged, so a log line is not repeated per question


def version_problem(folder: Path) -> str | None:
    """Why the version in `folder` cannot be served, or None. Reads meta.sqlite's 100-byte header only:
    SQLite's own header states the page size and (for files SQLite wrote itself) the page count."""
    meta = folder / "meta.sqlite"
    try:
        size = meta.stat().st_size
        with meta.open("rb") as handle:
            header = handle.read(100)
    except FileNotFoundError:
        return "meta.sqlite is missing"
    if size == 0:
        return "meta.sqlite is empty"
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return f"meta.sqlite is cut short or not an SQLite database ({size:,} bytes)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65_536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    header_count_valid = header[24:28] == header[92:96]  # the change counter matches "version valid for"
    if header_count_valid and size < page_size * pages:
        return f"meta.sqlite is truncated ({size:,} of {page_size * pages:,} bytes)"
    try:
        with (folder / "dense.faiss").open("rb"):
            pass
    except FileNotFoundError:
        return "dense.faiss is missing"
    if not (folder / "lexical").is_dir():
        return "lexical/ is missing"
    return None


@dataclass(frozen=True)
class Serving:
    """The version readers use: the current one, or when that is broken the newest intact one before it."""

    folder: Path | None  # None: nothing to serve
    broken: str | None = None  # "<version>: <problem>" when the current version is not served


@dataclass(frozen=True)
class IndexLayout:
    root: Path

    @property
    def pointer(self) -> Path:
        return self.root / "CURRENT"

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    @property
    def lock_file(self) -> Path:
        return self.root / ".lock"

    def version_dir(self, name: str) -> Path:
        return self.versions / name

    def temp_dir(self, name: str) -> Path:
        return self.root / f".tmp-{name}"

    def current_name(self) -> str | None:
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name if name and self.version_dir(name).is_dir() else None

    def current_dir(self) -> Path | None:
        name = self.current_name()
        return self.version_dir(name) if name else None

    def pointed_name(self) -> str | None:
        """The name CURRENT holds, whether or not that version is there."""
        try:
            return self.pointer.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def serving(self) -> Serving:
        """The version to read: the current one if intact, else the newest intact one (logged once).
        Raises IndexAccessError when a file it must look at may not be read."""
        try:
            return self._serving()
        except PermissionError as exc:
            raise IndexAccessError(self.root, "read", exc) from exc

    def _serving(self) -> Serving:
        name = self.pointed_name()
        if name is None:
            return Serving(None)
        current = self.version_dir(name)
        problem = version_problem(current) if current.is_dir() else "its folder is missing"
        if problem is None:
            return Serving(current)
        broken = f"{name}: {problem}"
        versions = self.versions.iterdir() if self.versions.is_dir() else iter(())
        others = sorted((p for p in versions if p.name != name and p.is_dir()), key=version_order, reverse=True)
        fallback = next((p for p in others if p.is_dir() and version_problem(p) is None), None)
        if (self.root, name) not in _reported:
            _reported.add((self.root, name))
            if fallback is not None:
                log.warning(
                    "%s: index version %s; serving the previous version %s until the next 'qa index'",
                    self.root,
                    broken,
                    fallback.name,
                )
            else:
                log.warning("%s: index version %s, and no earlier version is intact", self.root, broken)
        return Serving(fallback, broken)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    for file in path.rglob("*"):
        if file.is_file():
            with file.open("rb") as handle:
                os.fsync(handle.fileno())
    for folder in [path, *(p for p in path.rglob("*") if p.is_dir())]:
        fsync_dir(folder)


def publish(layout: IndexLayout, temp: Path, name: str) -> Path:
    """Move a finished version into place and point CURRENT at it; each step is atomic."""
    fsync_tree(temp)
    layout.versions.mkdir(parents=True, exist_ok=True)
    final = layout.version_dir(name)
    os.replace(temp, final)
    fsync_dir(layout.versions)
    staged = layout.root / "CURRENT.tmp"
    try:
        with staged.open("w", encoding="utf-8") as handle:
            handle.write(name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staged, layout.pointer)
    except BaseException:  # a full disk: CURRENT still names the version served, and the new one goes
        staged.unlink(missing_ok=True)
        shutil.rmtree(final, ignore_errors=True)
        raise
    fsync_dir(layout.root)
    return final


def version_order(folder: Path) -> tuple[str, int, str]:
    """How versions sort, oldest first: by the time in their name (to the second), then by when their
    folder was last written (two versions made in the same second), then by name."""
    return folder.name.split("-")[0], folder.stat().st_mtime_ns, folder.name


def recover(layout: IndexLayout) -> list[str]:
    """Remove what killed runs left behind and versions nobody can be reading any more."""
    removed: list[str] = []
    for leftover in layout.root.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
        removed.append(leftover.name)
    (layout.root / "CURRENT.tmp").unlink(missing_ok=True)
    if layout.versions.is_dir():
        current = layout.pointed_name()
        others = sorted((p for p in layout.versions.iterdir() if p.name != current and p.is_dir()), key=version_order)
        intact = [p for p in others if version_problem(p) is None]
        kept = set(intact[len(intact) - KEEP_PREVIOUS :]) if KEEP_PREVIOUS else set()
        for old in others:
            if old not in kept:  # older intact versions, and every broken one
                shutil.rmtree(old, ignore_errors=True)
                removed.append(old.name)
    return removed


class WriterLock:
    """An exclusive, non-blocking lock on the index folder; the OS drops it if the holder dies."""

    def __init__(self, layout: IndexLayout) -> None:
        self.layout = layout
        self._handle: IO[str] | None = None

    def __enter__(self) -> WriterLock:
        try:
            self.layout.root.mkdir(parents=True, exist_ok=True)
            handle = self.layout.lock_file.open("a+", encoding="utf-8")
        except PermissionError as exc:
            raise IndexAccessError(self.layout.root, "write", exc) from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise IndexLockedError(
                f"{self.layout.root}: another 'qa index' ({holder}) is updating this index; "
                "wait for it to finish and try again"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def index_write_error(layout: IndexLayout, exc: OSError | sqlite3.OperationalError) -> BaseException:
    """A full disk or a permission refused in the index folder as one line naming it; anything else as it is."""
    if is_disk_full(exc):
        return DiskFullError(layout.root, "the index", exc)
    if isinstance(exc, PermissionError):
        if exc.filename is None or not Path(exc.filename).resolve().is_relative_to(layout.root.resolve()):
            return exc
        return IndexAccessError(layout.root, "write", exc)
    # SQLite says so without a file name: the embedding cache or a version's database may not be written
    if isinstance(exc, sqlite3.OperationalError) and any(
        words in str(exc) for words in ("readonly database", "unable to open database")
    ):
        return IndexAccessError(layout.root, "write", PermissionError(errno.EACCES, str(exc)))
    return exc
