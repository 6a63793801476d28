"""Where things live inside the index folder, and the atomic pointer to the current version.

index/CURRENT            name of the version being served (replaced atomically)
index/versions/<name>/   one complete, immutable version: meta.sqlite, dense.faiss, lexical/
index/.tmp-<name>/       a version being written (left behind only by a killed run)
index/.lock              held by the one `qa index` allowed to write
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from qa.errors import IndexLockedError

KEEP_PREVIOUS = 1  # versions kept besides the current one, for readers still holding them


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
    with staged.open("w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staged, layout.pointer)
    fsync_dir(layout.root)
    return final


def recover(layout: IndexLayout) -> list[str]:
    """Remove what killed runs left behind and versions nobody can be reading any more."""
    removed: list[str] = []
    for leftover in layout.root.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
        removed.append(leftover.name)
    (layout.root / "CURRENT.tmp").unlink(missing_ok=True)
    if layout.versions.is_dir():
        current = layout.current_name()
        others = sorted((p for p in layout.versions.iterdir() if p.name != current), key=lambda p: p.name)
        for old in others[: max(0, len(others) - KEEP_PREVIOUS)]:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old.name)
    return removed


class WriterLock:
    """An exclusive, non-blocking lock on the index folder; the OS drops it if the holder dies."""

    def __init__(self, layout: IndexLayout) -> None:
        self.layout = layout
        self._handle: IO[str] | None = None

    def __enter__(self) -> WriterLock:
        self.layout.root.mkdir(parents=True, exist_ok=True)
        handle = self.layout.lock_file.open("a+", encoding="utf-8")
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
