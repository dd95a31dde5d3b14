"""The SQLite cache: paper data, day lists, sync records and the reader's own state.

Only this module speaks SQL. Every public method turns sqlite3 errors into `StoreError` with a
message a user can act on. Writes run in `BEGIN IMMEDIATE` transactions so two processes on one
cache queue behind the busy timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .errors import StoreError
from .models import DailyItem, StoredPaper, latest_day_allowed, paper_columns
from .query import MATCH_ALL, Filter
from .schema import MIGRATION_NAMES, migrations

BUSY_TIMEOUT_MS = 30_000
# Bulk writes commit in batches so another process's write (a key press, `papertui mark`) waits
# about a second at most: a batch ends after this many rows or this many seconds, whichever is
# first, and the writer then pauses briefly so a waiting writer (whose busy handler polls every
# 100 ms at most) gets the lock before the next batch takes it.
BATCH_ROWS = 2_000
BATCH_SECONDS = 0.5
BATCH_PAUSE = 0.15
CACHE_KIB = 32 * 1024  # page cache per connection: big indexes stay in memory at 100k papers
# Each order runs exactly along (or exactly against) one index, so SQLite never sorts.
SORTS = {
    "upvotes": "p.upvotes DESC, p.day DESC, p.id DESC",
    "date": "p.day DESC, p.upvotes DESC, p.id DESC",
    "title": "p.title COLLATE NOCASE, p.id",
}
_JSON_COLUMNS = ("authors", "ai_keywords")
_PAPER_COLUMNS = (
    "id title abstract authors organization published_at submitted_at day upvotes num_comments "
    "github_repo github_stars project_page ai_summary ai_keywords thumbnail"
).split()


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ListRow:
    """What the list pane and `search` need: one narrow row, cheap to fetch in windows."""

    id: str
    title: str
    day: str | None
    upvotes: int
    num_comments: int
    read: bool
    bookmarked: bool


@dataclass(frozen=True)
class DayRecord:
    day: str
    fetched_at: str
    count: int
    skipped: int
    complete: bool


@dataclass
class UpsertStats:
    new: int = 0
    updated: int = 0
    unchanged: int = 0


def _wrap_errors(method):
    @functools.wraps(method)
    def wrapper(self: Store, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreError(describe_sqlite_error(exc, self.path)) from exc

    return wrapper


def describe_sqlite_error(exc: sqlite3.Error, path: Path | str) -> str:
    """A message a user can act on, chosen by SQLite's result code (its primary part)."""
    code = _primary_code(exc)
    text = str(exc)
    # Python's own error for bytes that are not UTF-8 in a text column carries no SQLite code (and
    # quotes the bytes): the one error recognised by its text.
    unreadable = code is None and text.startswith("Could not decode")
    if unreadable:
        text = "unreadable text in a row"
    text = text.splitlines()[0][:200] if text else type(exc).__name__
    if unreadable or code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return f"the cache at {path} is damaged or not a papertui database ({text})"
    if code == sqlite3.SQLITE_READONLY:
        return f"the cache at {path} is read-only: papertui cannot save changes there"
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return f"the cache at {path} is busy in another papertui process; try again"
    if code in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
        return f"cannot write the cache at {path}: {text}"
    if code == sqlite3.SQLITE_CANTOPEN:
        return f"cannot open the cache at {path}: check the path and its permissions"
    return f"cache error at {path}: {text}"


def _primary_code(exc: sqlite3.Error) -> int | None:
    """SQLite's primary result code (SQLITE_BUSY for SQLITE_BUSY_SNAPSHOT and so on); None for
    errors raised by Python's sqlite3 module itself."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _is_busy(exc: sqlite3.Error) -> bool:
    return _primary_code(exc) == sqlite3.SQLITE_BUSY


class Store:
    """One open cache file. Thread-safe: a lock serialises use of the one connection."""

    def __init__(self, path: Path | str):
        self.path = Path(path) if str(path) != ":memory:" else path
        self._lock = threading.RLock()
        try:
            if isinstance(self.path, Path):
                if self.path.is_dir():
                    raise StoreError(f"the cache path {self.path} is a directory, not a file")
                _create_private(self.path)
            self.conn = sqlite3.connect(
                str(self.path),
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        except OSError as exc:
            raise StoreError(f"cannot create the cache at {path}: {exc.strerror or exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(describe_sqlite_error(exc, self.path)) from exc
        self.db = Database(self.conn)
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._refuse_foreign_database()  # before anything writes to the file
            self._refuse_newer_schema()
            self._use_wal()
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self._migrate()
        except sqlite3.Error as exc:
            self.conn.close()
            raise StoreError(describe_sqlite_error(exc, self.path)) from exc
        except StoreError:
            self.conn.close()
            raise

    def _refuse_foreign_database(self) -> None:
        """Another program's SQLite file (a browser's history, a mail index) is left alone: papertui
        would otherwise add its tables and switch the file to WAL for good."""
        tables = [
            row[0]
            for row in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name"
            )
        ]
        if not tables:  # a new or empty file: it becomes a cache
            return
        ours = migrations.migrations_table in tables and bool(migrations.applied(self.db))
        if not ours:
            shown = ", ".join(tables[:3]) + (", …" if len(tables) > 3 else "")
            raise StoreError(
                f"{self.path} is not a papertui cache (it holds other tables: {shown}); "
                "it was left untouched: choose another --db path"
            )

    def _refuse_newer_schema(self) -> None:
        """A cache migrated by a newer papertui is left alone rather than misread or damaged."""
        unknown = [m.name for m in migrations.applied(self.db) if m.name not in MIGRATION_NAMES]
        if unknown:
            raise StoreError(
                f"the cache at {self.path} was written by a newer papertui (schema {unknown[-1]}); "
                "upgrade papertui to open it"
            )

    def _use_wal(self) -> None:
        """Switch the file to write-ahead logging. SQLite answers SQLITE_BUSY at once to this pragma
        while another process holds a lock (the busy timeout does not apply to it), which happens
        when several processes open a new cache together: retry for as long as the busy timeout."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.002
        while True:
            try:
                mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                break
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
        if mode.lower() not in ("wal", "memory"):
            raise StoreError(f"the cache at {self.path} cannot use write-ahead logging ({mode})")

    def _pending_migrations(self) -> list[str]:
        applied = {m.name for m in migrations.applied(self.db)}
        return [name for name in MIGRATION_NAMES if name not in applied]

    def _migrate(self) -> None:
        """Apply pending migrations, all in one write transaction that first checks again what is
        pending: of several processes opening a new cache at once, one migrates and the others,
        which waited for the write lock, find nothing left to do. An up-to-date cache is opened
        without taking the write lock."""
        with self._lock:
            if not self._pending_migrations():
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self._refuse_newer_schema()  # a newer papertui may have migrated meanwhile
                if self._pending_migrations():
                    migrations.apply(self.db)  # each migration runs in a savepoint of this one
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it is stored, or none of it."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence = ()) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self.conn.execute(sql, tuple(params))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # ---- paper data -------------------------------------------------------------------

    @_wrap_errors
    def upsert_items(
        self,
        items: Sequence[DailyItem],
        raws: Sequence[dict[str, Any]],
        *,
        day: str | None = None,
        record_day: bool = False,
        skipped: int = 0,
        source: str = "daily",
    ) -> UpsertStats:
        """Store items in one transaction; with `record_day`, they are that day's whole list.

        `day` is the Daily Papers day they were listed on (None: take each item's own, if any).
        User state is never touched.
        """
        rows = prepare_rows(items, raws, day=day, source=source)
        return self.write_rows(rows, day=day if record_day else None, skipped=skipped)

    @_wrap_errors
    def write_rows(
        self, rows: list[dict], *, day: str | None = None, skipped: int = 0
    ) -> UpsertStats:
        """Write rows from `prepare_rows` in one transaction; with `day`, they are its whole list."""
        now = utc_now()
        with self._write() as conn:
            stats = self._classify(conn, rows)
            conn.executemany(_UPSERT_SQL, rows)
            if day:
                conn.execute("DELETE FROM day_papers WHERE day = ?", (day,))
                conn.executemany(
                    "INSERT OR REPLACE INTO day_papers (day, paper_id, rank, upvotes) "
                    "VALUES (?, ?, ?, ?)",
                    [(day, r["id"], rank, r["upvotes"]) for rank, r in enumerate(rows, 1)],
                )
                conn.execute(
                    "INSERT OR REPLACE INTO days (day, fetched_at, count, skipped, complete) "
                    "VALUES (?, ?, ?, ?, 1)",
                    (day, now, len(rows), skipped),
                )
        return stats

    @staticmethod
    def _classify(conn: sqlite3.Connection, rows: list[dict]) -> UpsertStats:
        """Count rows as new, updated or unchanged against the digests already stored."""
        known = dict(
            _in_chunks(
                conn, "SELECT id, digest FROM papers WHERE id IN ({})", [r["id"] for r in rows]
            )
        )
        stats = UpsertStats()
        for row in rows:
            if row["id"] not in known:
                stats.new += 1
            elif known[row["id"]] != row["digest"]:
                stats.updated += 1
            else:
                stats.unchanged += 1
        return stats

    @_wrap_errors
    def paper(self, paper_id: str) -> StoredPaper | None:
        rows = self._rows(
            f"SELECT {_SELECT_FULL} FROM papers p LEFT JOIN user_state u ON u.paper_id = p.id "
            "WHERE p.id = ?",
            (paper_id,),
        )
        return _stored(rows[0]) if rows else None

    def raw(self, paper_id: str) -> dict | None:
        return self.raws([paper_id]).get(paper_id)

    @_wrap_errors
    def raws(self, paper_ids: Sequence[str]) -> dict[str, dict]:
        with self._lock:
            rows = _in_chunks(
                self.conn, "SELECT id, raw FROM papers WHERE id IN ({})", list(paper_ids)
            )
            return {paper_id: _load_raw(raw) for paper_id, raw in rows if raw}

    @_wrap_errors
    def has_paper(self, paper_id: str) -> bool:
        return bool(self._rows("SELECT 1 AS x FROM papers WHERE id = ?", (paper_id,)))

    @_wrap_errors
    def count(self, where: Filter = MATCH_ALL) -> int:
        if where.match is not None:  # one full-text match: count in the index itself
            sql = "SELECT count(*) AS n FROM papers_fts WHERE papers_fts MATCH ?"
            return self._rows(sql, (where.match,))[0]["n"]
        join = _JOIN_USER if "u." in where.where else ""
        sql = f"SELECT count(*) AS n FROM papers p {join} WHERE {where.where}"
        return self._rows(sql, where.params)[0]["n"]

    @_wrap_errors
    def list_rows(
        self, where: Filter = MATCH_ALL, sort: str = "upvotes", limit: int = 100, offset: int = 0
    ) -> list[ListRow]:
        sql = (
            "SELECT p.id, p.title, p.day, p.upvotes, p.num_comments, "
            "COALESCE(u.read, 0) AS read, COALESCE(u.bookmarked, 0) AS bookmarked "
            f"FROM papers p {_JOIN_USER} WHERE {where.where} ORDER BY {SORTS[sort]} "
            "LIMIT ? OFFSET ?"
        )
        rows = self._rows(sql, (*where.params, max(limit, 0), max(offset, 0)))
        return [
            ListRow(
                r["id"],
                r["title"],
                r["day"],
                r["upvotes"],
                r["num_comments"],
                bool(r["read"]),
                bool(r["bookmarked"]),
            )
            for r in rows
        ]

    @_wrap_errors
    def papers(
        self, where: Filter = MATCH_ALL, sort: str = "upvotes", limit: int | None = None
    ) -> list[StoredPaper]:
        sql = (
            f"SELECT {_SELECT_FULL} FROM papers p {_JOIN_USER} WHERE {where.where} "
            f"ORDER BY {SORTS[sort]} LIMIT ?"
        )
        rows = self._rows(sql, (*where.params, -1 if limit is None else limit))
        return [_stored(r) for r in rows]

    @_wrap_errors
    def unread_count(self, where: Filter = MATCH_ALL) -> int:
        return self.counts(where)[1]

    @_wrap_errors
    def counts(self, where: Filter = MATCH_ALL) -> tuple[int, int]:
        """(papers, unread papers) matching, in one pass over the matches."""
        sql = (
            "SELECT count(*) AS n, COALESCE(sum(COALESCE(u.read, 0) = 0), 0) AS unread "
            f"FROM papers p {_JOIN_USER} WHERE {where.where}"
        )
        row = self._rows(sql, where.params)[0]
        return row["n"], row["unread"]

    @_wrap_errors
    def latest_day(self) -> str | None:
        """The newest day with papers, not counting impossible future days an old cache may hold
        (this papertui refuses them on the way in) unless there is nothing else."""
        sane = self._rows(
            "SELECT max(day) AS day FROM papers WHERE day <= ?",
            (latest_day_allowed().isoformat(),),
        )[0]["day"]
        return sane or self._rows("SELECT max(day) AS day FROM papers")[0]["day"]

    @_wrap_errors
    def adjacent_day(self, day: str, direction: int) -> str | None:
        """The nearest day with papers before (-1) or after (+1) `day`: one index lookup."""
        if direction < 0:
            sql = "SELECT max(day) AS day FROM papers WHERE day < ?"
        else:
            sql = "SELECT min(day) AS day FROM papers WHERE day > ?"
        return self._rows(sql, (day,))[0]["day"]

    @_wrap_errors
    def day_records(self) -> dict[str, DayRecord]:
        rows = self._rows("SELECT day, fetched_at, count, skipped, complete FROM days")
        return {
            r["day"]: DayRecord(
                r["day"], r["fetched_at"], r["count"], r["skipped"], bool(r["complete"])
            )
            for r in rows
        }

    # ---- user state -------------------------------------------------------------------

    @_wrap_errors
    def set_state(
        self, paper_ids: Iterable[str], *, read: bool | None = None, bookmarked: bool | None = None
    ) -> int:
        """Set read and/or bookmarked on papers; committed before this returns."""
        ids = list(dict.fromkeys(paper_ids))
        now = utc_now()
        with self._write() as conn:
            for paper_id in ids:
                conn.execute(
                    "INSERT INTO user_state (paper_id, updated_at) VALUES (?, ?) "
                    "ON CONFLICT(paper_id) DO NOTHING",
                    (paper_id, now),
                )
                if read is not None:
                    conn.execute(
                        "UPDATE user_state SET read = ?, read_at = ?, updated_at = ? "
                        "WHERE paper_id = ? AND read IS NOT ?",
                        (int(read), now if read else None, now, paper_id, int(read)),
                    )
                if bookmarked is not None:
                    conn.execute(
                        "UPDATE user_state SET bookmarked = ?, bookmarked_at = ?, updated_at = ? "
                        "WHERE paper_id = ? AND bookmarked IS NOT ?",
                        (
                            int(bookmarked),
                            now if bookmarked else None,
                            now,
                            paper_id,
                            int(bookmarked),
                        ),
                    )
        return len(ids)

    @_wrap_errors
    def user_states(self) -> dict[str, dict[str, Any]]:
        rows = self._rows("SELECT * FROM user_state")
        return {r.pop("paper_id"): r for r in rows}

    @_wrap_errors
    def import_records(
        self,
        records: Sequence[dict[str, Any]],
        *,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> UpsertStats:
        """Restore exported papers and user state, in batches of whole records.

        Each record holds `item` (a validated DailyItem), `raw`, `day`, `first_seen_at`,
        `updated_at` and `user` (a dict of user_state columns, or None). Newer state wins.
        Each batch (at most BATCH_ROWS records or about BATCH_SECONDS of writing) is one
        transaction holding its papers, their day rows and their user state, so a crash keeps
        whole records and another process's write never waits behind the whole import.
        `on_batch(done, total)` is called after each batch is committed.
        """
        now = utc_now()
        rows = []
        for record in records:
            row = _row(record["item"], record["raw"], record["day"], "import", now)
            row["now"] = record.get("updated_at") or now
            rows.append(row)
        stats = UpsertStats()
        done = 0
        while done < len(rows):
            if done:
                time.sleep(BATCH_PAUSE)  # let a waiting writer in before the next batch
            done = self._import_batch(records, rows, done, stats)
            if on_batch:
                on_batch(done, len(rows))
        return stats

    def _import_batch(
        self, records: Sequence[dict[str, Any]], rows: list[dict], start: int, stats: UpsertStats
    ) -> int:
        """Write records from `start` in one transaction until the batch is full; the next index."""
        deadline = time.monotonic() + BATCH_SECONDS
        index = start
        with self._write() as conn:
            batch_stats = UpsertStats()
            while index < len(rows) and index - start < BATCH_ROWS:
                if index > start and time.monotonic() > deadline:
                    break
                chunk = range(index, min(index + 100, len(rows), start + BATCH_ROWS))
                counted = self._classify(conn, [rows[i] for i in chunk])
                for i in chunk:
                    self._import_one(conn, records[i], rows[i])
                batch_stats.new += counted.new
                batch_stats.updated += counted.updated
                batch_stats.unchanged += counted.unchanged
                index = chunk.stop
        stats.new += batch_stats.new
        stats.updated += batch_stats.updated
        stats.unchanged += batch_stats.unchanged
        return index

    @staticmethod
    def _import_one(conn: sqlite3.Connection, record: dict[str, Any], row: dict) -> None:
        conn.execute(_UPSERT_SQL, row)
        first_seen = record.get("first_seen_at")
        if first_seen:
            conn.execute(
                "UPDATE papers SET first_seen_at = min(first_seen_at, ?) WHERE id = ?",
                (first_seen, row["id"]),
            )
        if record["day"]:
            conn.execute(
                "INSERT OR IGNORE INTO day_papers (day, paper_id, upvotes) VALUES (?, ?, ?)",
                (record["day"], row["id"], row["upvotes"]),
            )
        user = record.get("user")
        if user:
            conn.execute(_IMPORT_STATE_SQL, {"paper_id": row["id"], **user})


_JOIN_USER = "LEFT JOIN user_state u ON u.paper_id = p.id"
_SELECT_FULL = (
    "p.id, p.title, p.abstract, p.authors, p.organization, p.published_at, p.submitted_at, p.day, "
    "p.upvotes, p.num_comments, p.github_repo, p.github_stars, p.project_page, p.ai_summary, "
    "p.ai_keywords, p.thumbnail, p.updated_at AS fetched_at, p.first_seen_at, "
    "COALESCE(u.read, 0) AS read, COALESCE(u.bookmarked, 0) AS bookmarked, u.read_at, "
    "u.bookmarked_at, u.notes, COALESCE(u.tags, '[]') AS tags"
)
# A later fetch of a full item wins whole. Only a flat /api/papers/{id} answer (source 'paper')
# lacks the item-level fields (comments, thumbnail, organization, the old-schema submission time):
# for it alone those are kept from the stored row. `day` keeps the first day a paper was listed.
_UPSERT_SQL = """
INSERT INTO papers (id, title, abstract, authors, organization, published_at, submitted_at, day,
    upvotes, num_comments, github_repo, github_stars, project_page, ai_summary, ai_keywords,
    thumbnail, raw, digest, first_seen_at, updated_at)
VALUES (:id, :title, :abstract, :authors, :organization, :published_at, :submitted_at, :day,
    :upvotes, COALESCE(:num_comments, 0), :github_repo, :github_stars, :project_page, :ai_summary,
    :ai_keywords, :thumbnail, :raw, :digest, :now, :now)
ON CONFLICT(id) DO UPDATE SET
    title = excluded.title, abstract = excluded.abstract, authors = excluded.authors,
    organization = CASE WHEN :source = 'paper'
        THEN COALESCE(excluded.organization, papers.organization) ELSE excluded.organization END,
    published_at = excluded.published_at,
    submitted_at = CASE WHEN :source = 'paper'
        THEN COALESCE(excluded.submitted_at, papers.submitted_at) ELSE excluded.submitted_at END,
    day = CASE WHEN papers.day IS NULL OR excluded.day < papers.day THEN excluded.day
               ELSE papers.day END,
    upvotes = excluded.upvotes,
    num_comments = COALESCE(:num_comments, papers.num_comments),
    github_repo = excluded.github_repo, github_stars = excluded.github_stars,
    project_page = excluded.project_page, ai_summary = excluded.ai_summary,
    ai_keywords = excluded.ai_keywords,
    thumbnail = CASE WHEN :source = 'paper'
        THEN COALESCE(excluded.thumbnail, papers.thumbnail) ELSE excluded.thumbnail END,
    raw = CASE WHEN :source = 'paper' AND papers.raw IS NOT NULL THEN papers.raw
               ELSE excluded.raw END,
    digest = excluded.digest, updated_at = excluded.updated_at
WHERE papers.digest IS NOT excluded.digest OR (excluded.day < papers.day)
    OR (papers.day IS NULL AND excluded.day IS NOT NULL)
"""
_IMPORT_STATE_SQL = """
INSERT INTO user_state (paper_id, read, read_at, bookmarked, bookmarked_at, notes, tags, updated_at)
VALUES (:paper_id, :read, :read_at, :bookmarked, :bookmarked_at, :notes, :tags, :updated_at)
ON CONFLICT(paper_id) DO UPDATE SET
    read = excluded.read, read_at = excluded.read_at, bookmarked = excluded.bookmarked,
    bookmarked_at = excluded.bookmarked_at, notes = excluded.notes, tags = excluded.tags,
    updated_at = excluded.updated_at
WHERE excluded.updated_at > user_state.updated_at
"""


def _row(item: DailyItem, raw: dict, day: str | None, source: str, now: str) -> dict:
    columns = paper_columns(item)
    if day is None:  # no day was asked for: the item's own submission day, if it says
        found = item.daily_day() if source == "daily" else item.submitted_day()
        day = found.isoformat() if found else None
    columns["day"] = day
    if source == "paper":
        columns["num_comments"] = item.numComments
    for name in _JSON_COLUMNS:
        columns[name] = json.dumps(columns[name], ensure_ascii=False)
    raw_text = json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    raw_blob = zlib.compress(raw_text.encode(), 1)
    digest_source = json.dumps([columns[c] for c in _PAPER_COLUMNS], ensure_ascii=False)
    columns.update(
        raw=raw_blob,
        digest=hashlib.sha1((digest_source + raw_text).encode()).hexdigest(),
        now=now,
        source=source,
    )
    return columns


def _create_private(path: Path) -> None:
    """Create the cache's missing folders (0700) and the file itself (0600) before SQLite does, so
    a new cache is readable by its owner only, like a mail or password store; SQLite gives the
    -wal and -shm files the mode of the database file. What already exists keeps its mode."""
    missing = []
    parent = path.parent
    while not parent.exists() and parent.parent != parent:
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def prepare_rows(
    items: Sequence[DailyItem],
    raws: Sequence[dict[str, Any]],
    *,
    day: str | None,
    source: str = "daily",
) -> list[dict]:
    """The columns to write for each item: pure CPU work (cleaning, JSON, zlib, hashing), kept out
    of the write transaction so sync can do it in the fetching threads, in parallel."""
    now = utc_now()
    return [_row(item, raw, day, source, now) for item, raw in zip(items, raws, strict=True)]


def _in_chunks(conn: sqlite3.Connection, sql: str, ids: list[str], size: int = 500) -> list[tuple]:
    """Run `sql` (with one `IN ({})`) over ids in chunks, under SQLite's parameter limit."""
    found: list[tuple] = []
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        found.extend(conn.execute(sql.format(",".join("?" * len(chunk))), chunk))
    return found


def _load_raw(value: bytes | str) -> dict:
    """Raw item JSON is stored zlib-compressed (a quarter of the size); text is read too."""
    if isinstance(value, bytes):
        value = zlib.decompress(value).decode()
    return json.loads(value)


def _stored(row: dict) -> StoredPaper:
    data = dict(row)
    for name in (*_JSON_COLUMNS, "tags"):
        try:
            value = json.loads(data.get(name) or "[]")
        except ValueError:
            value = []
        data[name] = [str(v) for v in value] if isinstance(value, list) else []
    data["read"] = bool(data["read"])
    data["bookmarked"] = bool(data["bookmarked"])
    return StoredPaper.model_validate(data)
