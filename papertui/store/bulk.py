"""Writing many rows at once: one statement for hundreds of rows instead of one per row.

Measured on the import of 20,000 papers (BENCHMARKS.md, "Ingest"): a statement per row costs
~285 µs of CPU a paper, a statement for hundreds ~130 µs. Two reasons:
- SQLite opens a statement savepoint for each statement that writes through a trigger, and FTS5
  writes its pending index entries out at every savepoint: with a statement per row, every
  paper became its own little index segment, which FTS5 then keeps merging.
- Python's sqlite3 releases the GIL around every step of a statement. While another thread
  parses (an import's reader, a sync's fetchers), each release can cost the writer a switch
  interval (5 ms) to get the GIL back; one step per few hundred rows makes that moot.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

ROWS_PER_STATEMENT = 250  # ~35 ms of writing: a deadline between statements is kept closely
_NAMED = re.compile(r":([A-Za-z_]\w*)")
_VALUES = re.compile(r"\bVALUES\s*\(", re.IGNORECASE)


class MultiRow:
    """An INSERT written for one row, run for many rows per statement: its one `VALUES (...)`
    group is repeated, one copy per row. The group may name parameters (`:id`; rows are then
    mappings) or use `?` (rows are then sequences); nothing after the group may name one, as
    each row's values can only be reached through `excluded.` there."""

    def __init__(self, sql: str):
        match = _VALUES.search(sql)
        if match is None:
            raise ValueError("no VALUES group in the statement")
        end = _closing(sql, match.end() - 1)
        self.head = sql[: match.start()]
        group, self.tail = sql[match.end() - 1 : end + 1], sql[end + 1 :]
        if _NAMED.search(self.tail) or "?" in self.tail:
            raise ValueError("parameters after the VALUES group can't be repeated per row")
        self.names = _NAMED.findall(group)
        self.group = _NAMED.sub("?", group)
        self.width = group.count("?") if not self.names else len(self.names)
        self._texts: dict[int, str] = {}

    def execute(
        self, conn: sqlite3.Connection, rows: Sequence[Mapping[str, Any] | Sequence]
    ) -> None:
        """Run the statement for every row, in order (a later row of the same key sees the
        earlier one, as one statement a row would)."""
        per = max(1, min(ROWS_PER_STATEMENT, _variable_limit(conn) // max(self.width, 1)))
        for start in range(0, len(rows), per):
            part = rows[start : start + per]
            if self.names:
                params = [row[name] for row in part for name in self.names]
            else:
                params = [value for row in part for value in row]
            conn.execute(self._text(len(part)), params)

    def _text(self, count: int) -> str:
        text = self._texts.get(count)
        if text is None:
            text = f"{self.head}VALUES {', '.join([self.group] * count)}{self.tail}"
            self._texts[count] = text
        return text


def _closing(sql: str, start: int) -> int:
    """The index of the parenthesis closing the one at `start`."""
    depth = 0
    for index in range(start, len(sql)):
        if sql[index] == "(":
            depth += 1
        elif sql[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError("unbalanced parentheses in the VALUES group")


_LIMIT: list[int] = []


def _variable_limit(conn: sqlite3.Connection) -> int:
    """How many parameters one statement may have (999 in old SQLite, 32,766 since 3.32)."""
    if not _LIMIT:
        try:
            _LIMIT.append(conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        except (AttributeError, sqlite3.Error):  # pragma: no cover - Python < 3.11
            _LIMIT.append(999)
    return _LIMIT[0]


def known_digests(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, str | None]:
    """The stored digest of each of these papers that is cached, in one result row per 500 ids
    (a row per paper would release the GIL once per paper: see the module's note). Ids are
    arXiv ids and digests hex, so neither holds the separators."""
    known: dict[str, str | None] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        (joined,) = conn.execute(
            "SELECT group_concat(id || ' ' || COALESCE(lower(hex(digest)), ''), char(10)) FROM papers "
            f"WHERE id IN ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchone()
        for line in (joined or "").split("\n") if joined else ():
            paper_id, _, digest = line.partition(" ")
            known[paper_id] = digest or None
    return known
