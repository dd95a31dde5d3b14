"""What the cache knows about itself and what changed: count history, links gained, sync runs,
day failures, the reader's "new since" mark, and the facts behind the coverage calendar and
`papertui status`. A part of `Store` (a mixin): the same connection, lock and error handling.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from ..models import DayFailure, DayRecord, RowMarks, SyncRun, UpsertStats
from ..text import clean
from . import rows as rows_module
from .errors import wrap_errors
from .rows import in_chunks
from .schema import MIGRATION_NAMES, migrations
from .search import IS_NEW_SQL, READ_PKS, SORTS, Where

SYNC_RUNS_KEPT = 1_000  # older runs are pruned when a new one starts

# A change of counts, recorded at most once per paper per UTC day: the counts after the day's
# changes; the counts before its first change stay from the first write of the day.
_HISTORY_SQL = """
INSERT INTO paper_history (paper_id, day, at, upvotes, num_comments, upvotes_before,
                           comments_before)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(paper_id, day) DO UPDATE SET
    at = excluded.at, upvotes = excluded.upvotes, num_comments = excluded.num_comments
"""
_LINKS_SQL = """
INSERT INTO links_gained (paper_id, code, page, gained_at) VALUES (?, ?, ?, ?)
ON CONFLICT(paper_id) DO UPDATE SET
    code = max(code, excluded.code), page = max(page, excluded.page), gained_at = excluded.gained_at
"""
# Upvotes each paper gained since a time: its count now less the count before the first change
# recorded after that time (papers with no such change gained nothing). Parameters: the time,
# twice.
GAINS_SQL = """
SELECT h.paper_id AS paper_id, p.upvotes - h.upvotes_before AS gain
FROM paper_history h JOIN papers p ON p.id = h.paper_id
WHERE h.at > ? AND NOT EXISTS (
    SELECT 1 FROM paper_history e WHERE e.paper_id = h.paper_id AND e.at > ? AND e.day < h.day
)
"""
_JOIN_USER = "LEFT JOIN user_state u ON u.paper_id = p.id"


def _has_text(column: str) -> str:
    return f"({column} IS NOT NULL AND {column} != '')"


class HistoryMixin:
    """Mixed into `Store`, which provides these."""

    path: Any
    conn: sqlite3.Connection
    db: Database
    _lock: threading.RLock
    _rows: Callable[..., list[dict[str, Any]]]
    _write: Callable[[], AbstractContextManager[sqlite3.Connection]]

    # ---- written by sync, inside a day's write transaction ----------------------------------

    @staticmethod
    def _record_changes(conn: sqlite3.Connection, rows: Sequence[dict], now: str) -> None:
        """Before `rows` are written: the count changes and links gained they bring, against
        what is stored (new papers bring neither)."""
        known = {
            r[0]: r[1:]
            for r in in_chunks(
                conn,
                "SELECT id, upvotes, num_comments, github_repo, project_page FROM papers "
                "WHERE id IN ({})",
                [r["id"] for r in rows],
            )
        }
        history, links = [], []
        for row in rows:
            old = known.get(row["id"])
            if old is None:
                continue
            upvotes, comments, repo, page = old
            new_upvotes = row["upvotes"]
            # a flat /api/papers answer has no comment count: the stored one stays
            new_comments = comments if row.get("num_comments") is None else row["num_comments"]
            if (new_upvotes, new_comments) != (upvotes, comments):
                history.append(
                    (row["id"], now[:10], now, new_upvotes, new_comments, upvotes, comments)
                )
            code = not repo and bool(row.get("github_repo"))
            site = not page and bool(row.get("project_page"))
            if code or site:
                links.append((row["id"], int(code), int(site), now))
        if history:
            conn.executemany(_HISTORY_SQL, history)
        if links:
            conn.executemany(_LINKS_SQL, links)

    # ---- what changed -------------------------------------------------------------------

    @wrap_errors
    def rising_since(self, now: str | None = None) -> str:
        """Where "rising" counts from: 24 hours ago, or the start of the sync before the last
        one when that is longer ago (so a sync after a week away shows the week's gains)."""
        now = now or rows_module.utc_now()
        day_ago = (datetime.fromisoformat(now) - timedelta(hours=24)).isoformat(timespec="seconds")
        runs = self._rows(
            "SELECT started_at FROM sync_runs WHERE stored > 0 AND finished_at IS NOT NULL "
            "ORDER BY started_at DESC LIMIT 2"
        )
        if len(runs) == 2:
            return min(day_ago, runs[1]["started_at"])
        return day_ago

    @wrap_errors
    def row_marks(self, paper_ids: Sequence[str], since: str | None = None) -> dict[str, RowMarks]:
        """The list's marks for these papers: upvotes gained since `since` (default
        `rising_since()`), new since the reader's mark, links gained and not yet seen."""
        if not paper_ids:
            return {}
        since = since or self.rising_since()
        code, page = _has_text("p.github_repo"), _has_text("p.project_page")
        sql = (
            "SELECT p.id, "
            "COALESCE((SELECT p.upvotes - h.upvotes_before FROM paper_history h "
            "          WHERE h.paper_id = p.id AND h.at > ? ORDER BY h.day LIMIT 1), 0), "
            f"{IS_NEW_SQL}, "
            f"COALESCE((SELECT (l.code AND {code}) OR (l.page AND {page}) FROM links_gained l "
            "          WHERE l.paper_id = p.id), 0) "
            "FROM papers p WHERE p.id IN ({})"
        )
        found: dict[str, RowMarks] = {}
        with self._lock:
            for start in range(0, len(paper_ids), 500):
                chunk = list(paper_ids[start : start + 500])
                placeholders = ",".join("?" * len(chunk))
                for paper_id, gained, new, links in self.conn.execute(
                    sql.replace("{}", placeholders), (since, *chunk)
                ):
                    found[paper_id] = RowMarks(max(int(gained or 0), 0), bool(new), bool(links))
        return found

    def _rising_window(
        self, where: Where, columns: str, limit: int, offset: int, since: str
    ) -> list[dict[str, Any]]:
        """A window of the rising order without sorting every paper: the papers that gained
        since `since` (few: those whose counts changed lately), by their gain, then the rest in
        the most upvoted order, which runs along its index (at 100k papers: ms, not 0.4 s).
        `limit` -1: every row."""
        gainers = [
            r["id"]
            for r in self._rows(
                f"SELECT p.id AS id FROM ({GAINS_SQL}) g JOIN papers p ON p.id = g.paper_id "
                f"{_JOIN_USER} WHERE g.gain > 0 AND ({where.sql}) "
                f"ORDER BY g.gain DESC, {SORTS['upvotes']}",
                (since, since, *where.params),
            )
        ]
        head = gainers[offset:] if limit < 0 else gainers[offset : offset + limit]
        rows: list[dict[str, Any]] = []
        if head:
            found: dict[str, dict[str, Any]] = {}
            for start in range(0, len(head), 500):
                chunk = head[start : start + 500]
                for row in self._rows(
                    f"SELECT {columns} FROM papers p {_JOIN_USER} "
                    f"WHERE p.id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                ):
                    found[row["id"]] = row
            rows = [found[i] for i in head if i in found]
        rest = -1 if limit < 0 else limit - len(head)
        if rest:
            rows += self._rows(
                f"SELECT {columns} FROM papers p {_JOIN_USER} WHERE ({where.sql}) "
                f"AND p.id NOT IN (SELECT paper_id FROM ({GAINS_SQL}) WHERE gain > 0) "
                f"ORDER BY {SORTS['upvotes']} LIMIT ? OFFSET ?",
                (*where.params, since, since, rest, max(0, offset - len(gainers))),
            )
        return rows

    @wrap_errors
    def history(self, paper_id: str) -> list[dict[str, Any]]:
        """A paper's recorded count changes, oldest first."""
        return self._rows(
            "SELECT day, at, upvotes, num_comments, upvotes_before, comments_before "
            "FROM paper_history WHERE paper_id = ? ORDER BY day",
            (paper_id,),
        )

    @wrap_errors
    def history_size(self) -> tuple[int, int]:
        """(rows, papers with a row) in the count history."""
        row = self._rows(
            "SELECT count(*) AS n, count(DISTINCT paper_id) AS papers FROM paper_history"
        )[0]
        return row["n"], row["papers"]

    @wrap_errors
    def links_gained(self, paper_id: str) -> tuple[bool, bool]:
        """(a GitHub repo, a project page) the paper gained and the reader has not shown yet."""
        rows = self._rows("SELECT code, page FROM links_gained WHERE paper_id = ?", (paper_id,))
        return (bool(rows[0]["code"]), bool(rows[0]["page"])) if rows else (False, False)

    @wrap_errors
    def mark_links_seen(self, paper_ids: Sequence[str]) -> None:
        with self._write() as conn:
            in_chunks(conn, "DELETE FROM links_gained WHERE paper_id IN ({})", list(paper_ids))

    # ---- the reader's "new since" -------------------------------------------------------

    @wrap_errors
    def begin_reading(self, now: str | None = None) -> int:
        """The reader opens: `is:new` now counts from the end of its last session (when the
        session was saved on quitting, or when it was opened if it never quit). Returns how
        many papers are new."""
        now = now or rows_module.utc_now()
        with self._write() as conn:
            saved = conn.execute("SELECT saved_at FROM reader_session WHERE id = 1").fetchone()
            opened = conn.execute("SELECT opened_at FROM reader_marks WHERE id = 1").fetchone()
            marks = [m[0] for m in (saved, opened) if m and m[0]]
            conn.execute(
                "INSERT OR REPLACE INTO reader_marks (id, opened_at, new_since) VALUES (1, ?, ?)",
                (now, max(marks) if marks else None),
            )
            return conn.execute(f"SELECT count(*) FROM papers p WHERE {IS_NEW_SQL}").fetchone()[0]

    # ---- sync runs and failures ---------------------------------------------------------

    @wrap_errors
    def start_sync_run(self, what: str, days: int, now: str | None = None) -> int:
        now = now or rows_module.utc_now()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO sync_runs (started_at, what, days) VALUES (?, ?, ?)", (now, what, days)
            )
            run_id = int(cursor.lastrowid or 0)
            conn.execute("DELETE FROM sync_runs WHERE id <= ?", (run_id - SYNC_RUNS_KEPT,))
        return run_id

    @wrap_errors
    def finish_sync_run(
        self,
        run_id: int,
        *,
        stored: int,
        failed: int,
        stats: UpsertStats,
        requests: int,
        result: str,
        now: str | None = None,
    ) -> None:
        now = now or rows_module.utc_now()
        with self._write() as conn:
            conn.execute(
                "UPDATE sync_runs SET finished_at = ?, stored = ?, failed = ?, new = ?, "
                "updated = ?, requests = ?, result = ? WHERE id = ?",
                (now, stored, failed, stats.new, stats.updated, requests, result, run_id),
            )

    @wrap_errors
    def sync_runs(self, limit: int = 1) -> list[SyncRun]:
        """The latest sync runs, newest first."""
        rows = self._rows(
            "SELECT id, started_at, finished_at, what, days, stored, failed, new, updated, "
            "requests, result FROM sync_runs ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [SyncRun(**r) for r in rows]

    @wrap_errors
    def record_failure(self, day: str, error: str, now: str | None = None) -> None:
        now = now or rows_module.utc_now()
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO day_failures (day, failed_at, error) VALUES (?, ?, ?)",
                (day, now, clean(error)[:500]),  # a server's words: no controls, no escapes
            )

    @staticmethod
    def _clear_failure(conn: sqlite3.Connection, day: str) -> None:
        conn.execute("DELETE FROM day_failures WHERE day = ?", (day,))

    # ---- coverage -----------------------------------------------------------------------

    @wrap_errors
    def coverage_facts(
        self, first: str, last: str, counts: bool = True
    ) -> tuple[dict[str, DayRecord], dict[str, DayFailure], dict[str, tuple[int, int]]]:
        """For the days from `first` to `last`: their sync records, their failures, and
        (papers, unread papers) listed on each, by day. Without `counts`, only the days with no
        record are counted, papers alone: their state is all `status` and the archive strip
        need, and it depends on whether the cache has papers of them (counting every day
        reads the day index whole: 70 ms at a million papers; its unread papers every row,
        1.8 s)."""
        span = (first, last)
        records = {
            r["day"]: DayRecord(
                r["day"], r["fetched_at"], r["count"], r["skipped"], bool(r["complete"])
            )
            for r in self._rows(
                "SELECT day, fetched_at, count, skipped, complete FROM days "
                "WHERE day BETWEEN ? AND ?",
                span,
            )
        }
        failures = {
            r["day"]: DayFailure(r["day"], r["failed_at"], r["error"])
            for r in self._rows(
                "SELECT day, failed_at, error FROM day_failures WHERE day BETWEEN ? AND ?", span
            )
        }
        days = None if counts else _days_between(first, last)
        with self._lock:
            if counts:
                found = self.conn.execute(
                    "SELECT p.day, count(*), COALESCE(sum(COALESCE(u.read, 0) = 0), 0) "
                    "FROM papers p LEFT JOIN user_state u ON u.paper_id = p.id "
                    "WHERE p.day BETWEEN ? AND ? GROUP BY p.day",
                    span,
                ).fetchall()
            elif days is None:  # bounds that are not days: count every day between
                found = self.conn.execute(
                    "SELECT day, count(*), 0 FROM papers WHERE day BETWEEN ? AND ? GROUP BY day",
                    span,
                ).fetchall()
            else:
                found = in_chunks(
                    self.conn,
                    "SELECT day, count(*), 0 FROM papers WHERE day IN ({}) GROUP BY day",
                    [d for d in days if d not in records],
                )
        return records, failures, {r[0]: (r[1], r[2]) for r in found}

    @wrap_errors
    def day_span(self) -> tuple[str | None, str | None]:
        """The first and last day the cache has a record or papers for."""
        row = self._rows(
            "SELECT min(d) AS first, max(d) AS last FROM ("
            "SELECT min(day) AS d FROM days UNION ALL SELECT max(day) FROM days "
            "UNION ALL SELECT min(day) FROM papers UNION ALL SELECT max(day) FROM papers)"
        )[0]
        return row["first"], row["last"]

    # ---- status -------------------------------------------------------------------------

    @wrap_errors
    def totals(self) -> dict[str, int | None]:
        """Counts for `papertui status`. Tables another part of papertui adds later (full
        texts) are counted only when this cache has them; None otherwise."""
        row = self._rows(
            "SELECT (SELECT count(*) FROM papers) AS papers, "
            # every paper but those read (as `is:unread` has it): a fifth as many to look up
            f"(SELECT count(*) FROM papers) - (SELECT count(*) FROM ({READ_PKS})) AS unread, "
            "(SELECT count(*) FROM user_state WHERE bookmarked = 1) AS bookmarked, "
            # papers with a tag: from the tags' own index (as `has:tag` finds them)
            "(SELECT count(DISTINCT paper_id) FROM paper_tags) AS tagged, "
            "(SELECT count(*) FROM user_state WHERE notes IS NOT NULL AND notes != '') AS noted, "
            "(SELECT count(*) FROM paper_history) AS history_rows"
        )[0]
        totals: dict[str, int | None] = dict(row)
        totals["full_texts"] = self._count_if_table("full_texts")
        return totals

    def _count_if_table(self, table: str) -> int | None:
        """Rows of a table that a later migration may add; None when this cache lacks it."""
        if not self._table_exists(table):
            return None
        return self._rows(f'SELECT count(*) AS n FROM "{table}"')[0]["n"]

    def _table_exists(self, table: str) -> bool:
        return bool(
            self._rows(
                "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            )
        )

    @wrap_errors
    def schema_version(self) -> list[str]:
        """The names of the migrations applied to this cache, in the schema's order (the last is
        its version)."""
        with self._lock:
            applied = [m.name for m in migrations.applied(self.db)]
        order = {name: index for index, name in enumerate(MIGRATION_NAMES)}
        return sorted(applied, key=lambda name: order.get(name, len(order)))


def _days_between(first: str, last: str) -> list[str] | None:
    """The days from `first` to `last` (YYYY-MM-DD), both included; None when either isn't one."""
    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        return None
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
