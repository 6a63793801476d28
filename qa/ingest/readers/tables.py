"""Tables as readable rows, for DOCX (cells given) and PDF (cells found from where text runs stand).

Text extraction runs a PDF table together into one line ("Nr. Aanbeveling Besluit raad 14 Verbod op
terrasverwarmers Niet overgenomen ..."), which no reader can quote or check. Here the text runs of a
page are grouped into the table's rows and columns by their positions: lines whose runs start at the
same x positions, two or more of them, with the lines that carry a cell on over several lines. A
table is then written as a DOCX table is: a header line "Nr. | Aanbeveling | Besluit raad" and a
line per row, "Nr.: 14; Aanbeveling: Verbod op terrasverwarmers; Besluit raad: Niet overgenomen".
Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.vocabulary import packaged

ALIGN = 2.0  # points: runs starting this close to one another start the same column
_BULLETS = set(packaged().list_markers)
_SPACE = re.compile(r"\s+")


#: A body row as `table_rows` writes it: "Header: value; Header: value".
TABLE_ROW = re.compile(r"^[^:;\n]{1,60}: [^;\n]+(?:; [^:;\n]{1,60}: [^;\n]+)+$")


def is_header_line(line: str) -> bool:
    """A table's header line as `table_rows` writes it: "Nr. | Aanbeveling | Besluit raad"."""
    return " | " in line and ": " not in line


def table_rows(rows: list[list[str]]) -> list[str]:
    """Render table rows as text: with a header row, body rows read 'Header: value; ...'."""
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        return []
    header, body = rows[0], rows[1:]
    if not body or len(set(header)) < len(header) or not all(header):
        return [" | ".join(cell for cell in row if cell) for row in rows]
    rendered = [" | ".join(header)]
    for row in body:
        pairs = [f"{name}: {value}" for name, value in zip(header, row, strict=False) if value]
        rendered.append("; ".join(pairs))
    return rendered


@dataclass(frozen=True)
class Run:
    """A piece of text on a PDF page: where it starts (x, baseline y, in points) and its font size."""

    x: float
    y: float
    size: float
    text: str


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]  # the header row first
    texts: tuple[str, ...]  # the text of every run in it, to find the table in the page's extracted text


def _lines(runs: Sequence[Run]) -> list[list[Run]]:
    """Runs grouped by baseline, top of the page first, each line left to right."""
    by_y: dict[float, list[Run]] = {}
    for run in runs:
        if run.text.strip():
            by_y.setdefault(round(run.y, 1), []).append(run)
    return [sorted(by_y[y], key=lambda r: r.x) for y in sorted(by_y, reverse=True)]


def _column(x: float, columns: Sequence[float]) -> int | None:
    return next((i for i, c in enumerate(columns) if abs(x - c) <= ALIGN), None)


def _cells(line: list[Run]) -> list[float]:
    """Where the line's cells start: its runs' x positions, when it is not a bulleted line."""
    if line[0].text.strip() in _BULLETS:
        return []
    starts: list[float] = []
    for run in line:
        if not starts or run.x - starts[-1] > ALIGN:
            starts.append(run.x)
    return starts


def find_tables(runs: Sequence[Run], min_rows: int = 3) -> list[Table]:
    """The tables of one page: at least `min_rows` lines (header included) whose two or more cells
    start at the same x positions as the first line's, and the lines between and after them that
    carry a cell on (all their runs start at one of those positions but the first, close below)."""
    lines = _lines(runs)
    tables: list[Table] = []
    i = 0
    while i < len(lines):
        columns = _cells(lines[i])
        if len(columns) < 2:
            i += 1
            continue
        member = [lines[i]]
        j = i + 1
        while j < len(lines):
            line, above = lines[j], member[-1]
            gap = above[0].y - line[0].y
            if gap > 2.5 * max(r.size for r in above):
                break
            if any(_column(run.x, columns) is None for run in line) or line[0].text.strip() in _BULLETS:
                break
            if len(_cells(line)) < 2 and _column(line[0].x, columns) == 0:
                break  # one run at the left edge: the text after the table, not a cell carried on
            member.append(line)
            j += 1
        anchors = [k for k, line in enumerate(member) if _column(line[0].x, columns) == 0 and len(_cells(line)) >= 2]
        if len(anchors) >= min_rows:
            tables.append(_table(member, columns, anchors))
            i = j
        else:
            i += 1
    return tables


def _table(member: list[list[Run]], columns: list[float], anchors: list[int]) -> Table:
    """Cells from the lines of a table: a line without a first cell carries on the row nearest to it
    (a cell that wraps over three lines stands centred on its row)."""
    rows: list[list[list[str]]] = [[[] for _ in columns] for _ in anchors]
    own_row = {k: row for row, k in enumerate(anchors)}
    for k, line in enumerate(member):
        y = line[0].y
        row = own_row.get(k)
        if row is None:
            row = min(range(len(anchors)), key=lambda a: (abs(member[anchors[a]][0].y - y), a))
        for run in line:
            column = _column(run.x, columns)
            if column is not None:
                rows[row][column].append(run.text.strip())
    cells = tuple(tuple(_SPACE.sub(" ", " ".join(parts)).strip() for parts in row) for row in rows)
    texts = tuple(run.text for line in member for run in line)
    return Table(rows=cells, texts=texts)


def _signature(text: str) -> str:
    return _SPACE.sub("", text)


def table_lines(lines: Sequence[str], table: Table) -> list[int]:
    """The indices of the page's extracted lines that hold the table's text: the longest run of
    consecutive lines each made up wholly of the table's run texts."""
    pieces = sorted({_signature(t) for t in table.texts if _signature(t)}, key=len, reverse=True)

    def made_of_pieces(line: str) -> bool:
        rest = _signature(line)
        if not rest:
            return False
        while rest:
            piece = next((p for p in pieces if rest.startswith(p)), None)
            if piece is None:
                return False
            rest = rest[len(piece) :]
        return True

    best: list[int] = []
    current: list[int] = []
    for index, line in enumerate(lines):
        if made_of_pieces(line):
            current.append(index)
            if len(current) > len(best):
                best = current[:]
        else:
            current = []
    total = sum(len(_signature(t)) for t in table.texts)
    covered = sum(len(_signature(lines[i])) for i in best)
    return best if total and covered >= 0.8 * total else []
