"""Section paths from headings: 'Casus 1: Buurtbudget Noorderpolder › Succesfactoren'.

A heading closes every open heading of the same or a deeper level; the document title (a
top-level heading) is left out of paths below it, since every passage already carries it.
"""

from __future__ import annotations

SEPARATOR = " › "


def leaf(section: str | None) -> str:
    """The last heading of a section path: 'Succesfactoren' in 'Casus 1: … › Succesfactoren'."""
    return (section or "").rsplit(SEPARATOR, 1)[-1]


def parent(section: str | None) -> str:
    """The path above the last heading ('' at the top level)."""
    return (section or "").rpartition(SEPARATOR)[0]


class SectionTracker:
    """Feed headings with their level (smaller = higher; for font sizes pass the negative size)."""

    def __init__(self) -> None:
        self._stack: list[tuple[float, str]] = []
        self._title_level: float | None = None

    def open(self, level: float, text: str) -> str:
        if self._title_level is None and not self._stack:
            self._title_level = level
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, text))
        return self.path

    def extend(self, text: str) -> str:
        """The current heading wraps onto another line: append to its text."""
        if self._stack:
            level, head = self._stack[-1]
            self._stack[-1] = (level, f"{head} {text}")
        return self.path

    @property
    def current(self) -> str | None:
        return self._stack[-1][1] if self._stack else None

    @property
    def path(self) -> str:
        parts = [text for level, text in self._stack]
        if len(parts) > 1 and self._stack[0][0] == self._title_level:
            parts = parts[1:]
        return SEPARATOR.join(parts)
