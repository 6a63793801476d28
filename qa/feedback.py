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
        citations = json.dumps([c.as_json() for c in answer.citations], ensure_ascii=False)
        row = (datetime.now(UTC).isoformat(timespec="seconds"), answer.question, answer.text, citations)
        with self._lock:
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
