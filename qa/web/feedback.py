"""Thumbs up or down on answers, kept in SQLite beside the index (``<index>/feedback.sqlite``).

A vote records the question, the answer text, its citations as JSON and the time; the user
name only when someone is logged in.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qa.errors import QaError, is_disk_full
from qa.records import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    user TEXT
)
"""


@dataclass(frozen=True)
class Vote:
    time: str
    question: str
    answer: str
    citations: list[dict[str, object]]
    vote: int  # 1 up, -1 down
    user: str | None


class FeedbackUnwritableError(QaError):
    """A vote could not be stored: the file or its folder may not be written, or its disk is full."""

    def __init__(self, path: Path, exc: BaseException) -> None:
        self.path = path
        self.disk_full = is_disk_full(exc)
        reason = f"{exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
        advice = "free space on its disk" if self.disk_full else "let the app write this file and its folder"
        super().__init__(f"{path}: the vote could not be stored ({reason}); {advice}")


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10)
        connection.execute(SCHEMA)
        return connection

    def record(self, answer: Answer, up: bool, user: str | None = None) -> None:
        """Store one vote; raises FeedbackUnwritableError (one line naming the file) when it cannot be written."""
        citations = json.dumps([c.as_json() for c in answer.citations], ensure_ascii=False)
        row = (datetime.now(UTC).isoformat(timespec="seconds"), answer.question, answer.text, citations)
        with self._lock:
            try:
                connection = self._connect()
                try:
                    with connection:
                        connection.execute(
                            "INSERT INTO feedback (time, question, answer, citations, vote, user) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (*row, 1 if up else -1, user or None),
                        )
                finally:
                    connection.close()
            except (OSError, sqlite3.OperationalError) as exc:  # a read-only file or folder, a full disk
                raise FeedbackUnwritableError(self.path, exc) from exc

    def votes(self) -> list[Vote]:
        if not self.path.is_file():
            return []
        with self._lock:
            connection = self._connect()
            try:
                rows = connection.execute(
                    "SELECT time, question, answer, citations, vote, user FROM feedback ORDER BY id"
                ).fetchall()
            finally:
                connection.close()
        return [Vote(t, q, a, json.loads(c), v, u) for t, q, a, c, v, u in rows]
