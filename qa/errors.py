"""Domain errors. Every message names the file (or setting) and the reason."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

#: What the OS says when a disk, or the user's quota on it, is full.
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


class QaError(Exception):
    """Base class for all errors this package raises on purpose."""


class SettingsError(QaError):
    """A setting has a value the product cannot work with."""


class UnreadableDocumentError(QaError):
    """A document cannot be read; `reason` is a short, user-facing explanation."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class LimitExceededError(UnreadableDocumentError):
    """A document is over one of the reading limits: `setting` names it (its environment variable, e.g.
    QA_MAX_PDF_PAGES), `found` is what the document has or takes and `limit` what is allowed; the
    upload check says the same in Dutch."""

    def __init__(self, path: Path | str, reason: str, setting: str, found: float, limit: float) -> None:
        super().__init__(path, reason)
        self.setting = setting
        self.found = found
        self.limit = limit


class DocumentRefusedError(QaError):
    """A request names a path that is no document of the index (outside the corpus, a link, the trash).

    Such a request is refused, not a failure: it is logged as a warning, without a traceback."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class CaseFileError(QaError):
    """A case.toml is malformed or holds unknown keys or values."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class EmbedderUnavailableError(QaError):
    """The configured encoder is not installed; the message says which package or path provides it."""


class IndexMismatchError(QaError):
    """The index on disk was built with other settings or another encoder."""


class IndexLockedError(QaError):
    """Another `qa index` is already writing this index folder."""


class IndexMissingError(QaError):
    """No index has been built in the index folder yet."""


class IndexAccessError(QaError):
    """The index folder, or a file in it, may not be read (or written) by this user."""

    def __init__(self, folder: Path | str, action: str, exc: OSError) -> None:
        self.folder = str(folder)
        where = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc.strerror or exc)
        super().__init__(f"{self.folder}: no permission to {action} the index folder ({where})")


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the disk (or the user's quota) is full: the OS's errno, or SQLite's own words."""
    if isinstance(exc, OSError):
        return exc.errno in DISK_FULL_ERRNOS
    return isinstance(exc, sqlite3.OperationalError) and "database or disk is full" in str(exc)


class DiskFullError(QaError):
    """A folder's disk (or the user's quota on it) is full; nothing half-written is left behind."""

    def __init__(self, folder: Path | str, what: str, exc: BaseException) -> None:
        self.folder = str(folder)
        if isinstance(exc, OSError):
            where = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc.strerror or exc)
        else:
            where = str(exc)
        super().__init__(
            f"{self.folder}: no space left to write {what} ({where}); free space on its disk and try again"
        )
