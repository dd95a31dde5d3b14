"""The SQLite cache: paper data, day lists, sync records and the reader's own state.

Every public method turns sqlite3 errors into `StoreError` with a message a user can act on.
Writes run in `BEGIN IMMEDIATE` transactions so two processes on one cache queue behind the busy
timeout instead of failing with "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..errors import PapertuiError, StoreError
from ..models import (
    DayRecord,
    Fetched,
    ImportRecord,
    ListRow,
    Origin,
    RowMarks,
    StoredPaper,
    UpsertStats,
    UserState,
    latest_day_allowed,
)
from ..query import EVERYTHING, Query
from . import compact, paper_writes
from .bulk import ROWS_PER_STATEMENT, MultiRow, known_digests
from .dense import DenseWindows
from .errors import describe_sqlite_error, is_busy, wrap_errors
from .files import create_private, refuse_what_is_not_ours
from .history import HistoryMixin
from .library import LibraryStore
from .ranking import Ranker
from .rows import (
    RAW_COLUMNS,
    Prepared,
    in_chunks,
    load_raw,
    prepare_import,
    prepare_rows,
    read_user_state,
    row_tags,
    stored_paper,
    utc_now,
)
from .schema import MIGRATION_NAMES, QUICK_MIGRATIONS, migrations
from .search import SORTS, UNREAD_COUNT, Where, compile_query, ordered, unread_words
from .texts import FullTextStore

BUSY_TIMEOUT_MS = 30_000
# Bulk writes commit in batches so another process's write (a key press, `papertui mark`) waits
# about a second at most: a batch ends after this many rows or this many seconds, whichever is
# first, and the writer then pauses briefly so a waiting writer (whose busy handler polls every
# 100 ms at most) gets the lock before the next batch takes it.
BATCH_ROWS = 2_000
BATCH_BYTES = 32 * 1024 * 1024  # of text and raw JSON: what a batch may hold in memory
BATCH_SECONDS = 0.5
BATCH_PAUSE = 0.15
# 16 KB pages: a paper's row (~2 KB) leaves a quarter of a 4 KB page empty, a fifteenth of this
# (bench: 3,288 -> 2,176 bytes a paper for the papers table at 100k). New caches start with it;
# `papertui db optimize` moves an older cache to it.
PAGE_SIZE = 16384
UPGRADE_NOTICE = 20_000  # papers: an upgrade of a bigger cache says so (`Store.on_upgrade`)
CACHE_KIB = 32 * 1024  # page cache per connection: big indexes stay in memory at 100k papers
# Relevance windows of queries with words come from `ranking.py` rather than from ranking every
# match in SQL (`ordered`); the two give the same rows, and tests turn this off to compare them.
RANKED_WINDOWS = True
# First windows of words most papers hold come from `dense.py` when that is cheaper; tests turn
# this off to compare the two.
DENSE_WINDOWS = True


class Store(FullTextStore, LibraryStore, HistoryMixin):
    """One open cache file. Thread-safe: a lock serialises use of the one connection. Full texts
    and reading positions: `texts.FullTextStore`; tags, notes and saved searches:
    `library.LibraryStore`; what changed and what is covered (history, sync runs, coverage):
    `history.HistoryMixin`."""

    # Told the migrations about to run on a cache that holds papers (they can take a minute at
    # 100,000 papers): the command line says so on stderr before anything else is shown.
    on_upgrade: Callable[[list[str]], object] | None = None

    def __init__(self, path: Path | str):
        self.path = Path(path) if str(path) != ":memory:" else path
        self._lock = threading.RLock()
        try:
            if isinstance(self.path, Path):
                if self.path.is_dir():
                    raise StoreError(f"the cache path {self.path} is a directory, not a file")
                refuse_what_is_not_ours(self.path)  # read-only: never writes to such a file
                create_private(self.path)
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
        compact.register(self.conn)
        self._ranker = Ranker(self.conn)
        self._dense = DenseWindows(self.conn)
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._refuse_foreign_database()  # before anything writes to the file
            self._refuse_newer_schema()
            self.conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # a new file's; later, VACUUM's
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
                "it was left untouched: choose another cache path"
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
                ((mode,),) = self.conn.execute("PRAGMA journal_mode = WAL").fetchall()
                break
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
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
            with self._write():
                self._refuse_newer_schema()  # a newer papertui may have migrated meanwhile
                pending = self._pending_migrations()
                if pending:
                    slow = set(pending) - QUICK_MIGRATIONS
                    if Store.on_upgrade and slow and self._papers_about() > UPGRADE_NOTICE:
                        Store.on_upgrade(pending)
                    migrations.apply(self.db)  # each migration runs in a savepoint of this one
            if pending:  # a migration that rewrote the papers leaves a log the cache's size
                self._checkpoint_quietly()

    def _checkpoint_quietly(self) -> None:
        """Write the log back into the file and empty it, when no other connection is reading
        (otherwise SQLite does it later, as it goes)."""
        try:
            self.conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.OperationalError:
            pass

    def _papers_about(self) -> int:
        """About how many papers the cache holds, at once (their highest key): a migration
        of a small cache takes a moment, and says nothing."""
        try:
            return self.conn.execute("SELECT COALESCE(max(pk), 0) FROM papers").fetchone()[0]
        except sqlite3.OperationalError:  # a new file: no table yet
            return 0

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def interrupt(self) -> None:
        """Stop the statement this connection is running, from any thread (without the lock:
        that is what the statement holds). It fails with a StoreError saying it was
        interrupted; nothing else is affected, and a connection running nothing ignores this."""
        self.conn.interrupt()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all of it is stored, or none of it."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            self._ranker.writes += 1  # what the relevance windows keep may be out of date
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

    @wrap_errors
    def upsert(
        self,
        entries: Sequence[Fetched],
        *,
        day: str | None = None,
        record_day: bool = False,
        skipped: int = 0,
        origin: Origin = Origin.DAILY,
    ) -> UpsertStats:
        """Store items in one transaction; with `record_day`, they are that day's whole list.

        `day` is the Daily Papers day they were listed on (None: each item's own, if it says).
        User state is never touched.
        """
        rows = prepare_rows(entries, day=day, origin=origin)
        return self.write_rows(rows, day=day if record_day else None, skipped=skipped)

    @wrap_errors
    def write_rows(
        self, rows: list[dict], *, day: str | None = None, skipped: int = 0
    ) -> UpsertStats:
        """Write rows from `prepare_rows` in one transaction; with `day`, they are its whole list."""
        now = utc_now()
        with self._write() as conn:
            stats = self._classify(conn, rows)
            self._record_changes(conn, rows, now)
            paper_writes.upsert_papers(conn, rows)
            if day:
                self._clear_failure(conn, day)
                conn.execute("DELETE FROM day_papers WHERE day = ?", (day,))
                _DAY_ROWS.execute(
                    conn, [(day, r["id"], rank, r["upvotes"]) for rank, r in enumerate(rows, 1)]
                )
                conn.execute(
                    "INSERT OR REPLACE INTO days (day, fetched_at, count, skipped, complete) "
                    "VALUES (?, ?, ?, ?, 1)",
                    (day, now, len(rows), skipped),
                )
        return stats

    @staticmethod
    def _classify(conn: sqlite3.Connection, rows: Sequence[dict]) -> UpsertStats:
        """Count rows as new, updated or unchanged against the digests already stored."""
        known = known_digests(conn, [r["id"] for r in rows])
        stats = UpsertStats()
        for row in rows:
            if row["id"] not in known:
                stats.new += 1
            elif known[row["id"]] != row["digest"].hex():
                stats.updated += 1
            else:
                stats.unchanged += 1
        return stats

    @wrap_errors
    def paper(self, paper_id: str) -> StoredPaper | None:
        rows = self._rows(
            f"SELECT {_SELECT_FULL} FROM papers p LEFT JOIN user_state u ON u.paper_id = p.id "
            "WHERE p.id = ?",
            (paper_id,),
        )
        return stored_paper(rows[0]) if rows else None

    def raw(self, paper_id: str) -> dict | None:
        return self.raws([paper_id]).get(paper_id)

    @wrap_errors
    def raws(self, paper_ids: Sequence[str]) -> dict[str, dict]:
        with self._lock:
            rows = in_chunks(
                self.conn, f"SELECT {RAW_COLUMNS} FROM papers WHERE id IN ({{}})", list(paper_ids)
            )
            loaded = {row[1]: load_raw(row) for row in rows}
            return {paper_id: raw for paper_id, raw in loaded.items() if raw is not None}

    @wrap_errors
    def has_paper(self, paper_id: str) -> bool:
        return bool(self._rows("SELECT 1 AS x FROM papers WHERE id = ?", (paper_id,)))

    @wrap_errors
    def count(self, query: Query = EVERYTHING) -> int:
        where = compile_query(query)
        known = self._known(where)
        if known is not None:
            return known
        if where.match is not None:  # one full-text match: count in the index itself
            sql = "SELECT count(*) AS n FROM papers_fts WHERE papers_fts MATCH ?"
            return self._rows(sql, (where.match,))[0]["n"]
        if (words := unread_words(where)) is not None:
            return self._unread_matches(words)
        join = _JOIN_USER if where.uses_user else ""
        sql = f"SELECT count(*) AS n FROM papers p {join} WHERE {where.sql}"
        return self._rows(sql, where.params)[0]["n"]

    @wrap_errors
    def known_count(self, query: Query) -> int | None:
        """How many papers a query finds, when a complete relevance ranking kept for its words
        says so already (None: it has to be counted)."""
        return self._known(compile_query(query))

    def _known(self, where: Where) -> int | None:
        with self._lock:
            return self._ranker.count(where)

    @wrap_errors
    def list_rows(
        self, query: Query = EVERYTHING, sort: str = "upvotes", limit: int = 100, offset: int = 0
    ) -> list[ListRow]:
        since = self.rising_since()
        rows = self._window(compile_query(query), sort, _LIST_COLUMNS, limit, offset, since)
        marks = self.row_marks([r["id"] for r in rows], since)
        return [
            ListRow(
                r["id"],
                r["title"],
                r["day"],
                r["upvotes"],
                r["num_comments"],
                bool(r["read"]),
                bool(r["bookmarked"]),
                r["first_author"] if isinstance(r["first_author"], str) else "",
                r["n_authors"] or 0,
                r["organization"] or "",
                tuple(row_tags(r["tags"])),
                bool(r["noted"]),
                *_marks(marks.get(r["id"])),
            )
            for r in rows
        ]

    @wrap_errors
    def position(self, query: Query, sort: str, paper_id: str, limit: int = 5_000) -> int | None:
        """Where a paper sits in a list, if among its first `limit` papers: the ids alone, in
        the list's order (a million papers, every paper by upvotes: 2 ms where reading the
        5,000 rows the list draws took 155)."""
        rows = self._window(compile_query(query), sort, _ORDER_COLUMNS, limit, 0)
        return next((i for i, r in enumerate(rows) if r["id"] == paper_id), None)

    @wrap_errors
    def papers(
        self, query: Query = EVERYTHING, sort: str = "upvotes", limit: int | None = None
    ) -> list[StoredPaper]:
        rows = self._window(compile_query(query), sort, _SELECT_FULL, limit)
        return [stored_paper(r) for r in rows]

    def _window(
        self,
        where: Where,
        sort: str,
        columns: str,
        limit: int | None,
        offset: int = 0,
        since: str | None = None,
    ) -> list[dict[str, Any]]:
        """`columns` of a list's papers in its order from `offset` (`limit` None: all of them):
        a relevance ranking, the rising order or a dense window where one serves, else the
        plain statement."""
        sort, offset = _sort(sort), max(offset, 0)
        limit = None if limit is None else max(limit, 0)
        rows: list[dict[str, Any]] | None = None
        if limit is not None and _ranked(where, sort):
            rows = self._ranked_window(where, columns, limit, offset)
        elif sort == "rising":
            window = -1 if limit is None else limit
            rows = self._rising_window(where, columns, window, offset, since or self.rising_since())
        elif limit is not None:
            rows = self._dense_window(where, sort, columns, limit, offset)
        if rows is None:
            rows_of = ordered(where, sort)
            sql = (
                f"SELECT {columns} FROM {rows_of.source} {_JOIN_USER} WHERE {rows_of.where} "
                f"ORDER BY {rows_of.order} LIMIT ? OFFSET ?"
            )
            rows = self._rows(sql, (*rows_of.params, -1 if limit is None else limit, offset))
        return rows

    def _ranked_window(
        self, where: Where, columns: str, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """A window of a relevance list (`ranking.py`): the same rows as `ordered` gives, without
        ranking every match for every window (bench at 100k, a word in 90,911 papers: the
        first 200 in 85 ms instead of 300, the next windows in a few ms)."""

        def fetch(pks: list[int]) -> list[dict[str, Any]]:
            return self._rows_of(columns, pks)

        with self._lock:
            return self._ranker.window(where, offset, limit, fetch)

    def _dense_window(
        self, where: Where, sort: str, columns: str, limit: int, offset: int
    ) -> list[dict[str, Any]] | None:
        """A window of a search for words most papers hold, checked along the sort order
        (`dense.py`; 1M papers, `model` in 91% of them: the first 200 by upvotes in ~18 ms
        instead of ~235); None when the usual statement is cheaper."""
        if not DENSE_WINDOWS:
            return None
        with self._lock:
            pks = self._dense.window(where, sort, offset, limit)
            if pks is None:
                return None
            by_pk = {row["_pk"]: row for row in self._rows_of(columns, pks)}
        return [by_pk[pk] for pk in pks if pk in by_pk]

    def _rows_of(self, columns: str, pks: Sequence[int]) -> list[dict[str, Any]]:
        """`columns` (and `_pk`) of the papers with these row keys, in no particular order."""
        rows: list[dict[str, Any]] = []
        for start in range(0, len(pks), 500):
            chunk = list(pks[start : start + 500])
            rows += self._rows(
                f"SELECT {columns}, p.pk AS _pk FROM papers p {_JOIN_USER} "
                f"WHERE p.pk IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
        return rows

    def forget_rankings(self) -> None:
        """Drop the relevance rankings kept for later windows (benchmarks time a first search)."""
        with self._lock:
            self._ranker.clear()

    @wrap_errors
    def unread_count(self, query: Query = EVERYTHING) -> int:
        where = compile_query(query)
        if where.match is not None:  # no total needed: the unread matches alone
            return self._unread_matches(where.match)
        return self.counts(query)[1]

    @wrap_errors
    def counts(self, query: Query = EVERYTHING) -> tuple[int, int]:
        """(papers, unread papers) matching, in one statement: for words alone, from the
        index and the read papers' set; otherwise in one pass over the matches."""
        where = compile_query(query)
        if where.match is not None:  # from the index and the read papers; one statement, so
            # both counts are of the same moment whatever another connection commits
            row = self._rows(
                "SELECT (SELECT count(*) FROM papers_fts WHERE papers_fts MATCH ?) AS n, "
                f"({UNREAD_COUNT}) AS unread",
                (where.match, where.match),
            )[0]
            return row["n"], row["unread"]
        sql = (
            "SELECT count(*) AS n, COALESCE(sum(COALESCE(u.read, 0) = 0), 0) AS unread "
            f"FROM papers p {_JOIN_USER} WHERE {where.sql}"
        )
        row = self._rows(sql, where.params)[0]
        return row["n"], row["unread"]

    def _unread_matches(self, expression: str) -> int:
        """How many papers a full-text expression finds that are not read."""
        with self._lock:
            return self.conn.execute(UNREAD_COUNT, (expression,)).fetchone()[0]

    @wrap_errors
    def latest_day(self) -> str | None:
        """The newest day with papers, not counting impossible future days an old cache may hold
        (this papertui refuses them on the way in) unless there is nothing else."""
        sane = self._rows(
            "SELECT max(day) AS day FROM papers WHERE day <= ?",
            (latest_day_allowed().isoformat(),),
        )[0]["day"]
        return sane or self._rows("SELECT max(day) AS day FROM papers")[0]["day"]

    @wrap_errors
    def adjacent_day(self, day: str, direction: int) -> str | None:
        """The nearest day with papers before (-1) or after (+1) `day`: one index lookup."""
        if direction < 0:
            sql = "SELECT max(day) AS day FROM papers WHERE day < ?"
        else:
            sql = "SELECT min(day) AS day FROM papers WHERE day > ?"
        return self._rows(sql, (day,))[0]["day"]

    @wrap_errors
    def day_with_unread(self, day: str, direction: int) -> str | None:
        """The nearest day before (-1) or after (+1) `day` that still has unread papers."""
        agg, op = ("max", "<") if direction < 0 else ("min", ">")
        sql = (
            f"SELECT {agg}(p.day) AS day FROM papers p {_JOIN_USER} "
            f"WHERE p.day {op} ? AND COALESCE(u.read, 0) = 0"
        )
        return self._rows(sql, (day,))[0]["day"]

    @wrap_errors
    def ids(self, query: Query = EVERYTHING, limit: int = 1_000_000) -> list[str]:
        """The ids of the papers matching a query (for changes to a whole view)."""
        where = compile_query(query)
        sql = f"SELECT p.id FROM papers p {_JOIN_USER} WHERE {where.sql} LIMIT ?"
        return [r["id"] for r in self._rows(sql, (*where.params, limit))]

    @wrap_errors
    def ordered_pks(
        self, query: Query = EVERYTHING, sort: str = "upvotes", limit: int | None = None
    ) -> array[int]:
        """The row keys of every paper a query matches (or the first `limit`), in the list's
        order, for reading the papers themselves a batch at a time (`papers_by_pks`): 8 bytes a
        paper, so a million papers' order fits in 8 MB."""
        rows_of = ordered(compile_query(query), _sort(sort))
        sql = (
            f"SELECT p.pk FROM {rows_of.source} {_JOIN_USER} WHERE {rows_of.where} "
            f"ORDER BY {rows_of.order} LIMIT ?"
        )
        found = array("q")
        with self._lock:
            cursor = self.conn.execute(sql, (*rows_of.params, -1 if limit is None else limit))
            while batch := cursor.fetchmany(10_000):
                found.extend(pk for (pk,) in batch)
        return found

    @wrap_errors
    def papers_by_pks(self, pks: Sequence[int]) -> list[StoredPaper]:
        """The cached papers of these row keys, in the order asked (keys gone are left out)."""
        sql = f"SELECT {_SELECT_FULL}, p.pk AS _pk FROM papers p {_JOIN_USER} WHERE p.pk IN ({{}})"
        rows: dict[int, dict[str, Any]] = {}
        with self._lock:
            for start in range(0, len(pks), 500):
                chunk = list(pks[start : start + 500])
                cursor = self.conn.execute(sql.format(",".join("?" * len(chunk))), chunk)
                names = [d[0] for d in cursor.description]
                for values in cursor:
                    row = dict(zip(names, values, strict=True))
                    rows[row.pop("_pk")] = row
        return [stored_paper(rows[pk]) for pk in pks if pk in rows]

    @wrap_errors
    def states(self, paper_ids: Sequence[str]) -> dict[str, tuple[bool, bool]]:
        """(read, bookmarked) of each paper asked for that is cached."""
        with self._lock:
            rows = in_chunks(
                self.conn,
                "SELECT p.id, COALESCE(u.read, 0), COALESCE(u.bookmarked, 0) FROM papers p "
                f"{_JOIN_USER} WHERE p.id IN ({{}})",
                list(paper_ids),
            )
        return {paper_id: (bool(read), bool(mark)) for paper_id, read, mark in rows}

    @wrap_errors
    def reader_session(self) -> tuple[str, str] | None:
        """(state JSON, saved_at) of the reader's last session, if one was saved."""
        rows = self._rows("SELECT state, saved_at FROM reader_session WHERE id = 1")
        return (rows[0]["state"], rows[0]["saved_at"]) if rows else None

    @wrap_errors
    def save_reader_session(self, state: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO reader_session (id, state, saved_at) VALUES (1, ?, ?)",
                (state, utc_now()),
            )

    @wrap_errors
    def count_first_seen_after(self, stamp: str) -> int:
        """Papers that reached the cache after `stamp` (an ISO UTC time)."""
        sql = "SELECT count(*) AS n FROM papers WHERE first_seen_at > ?"
        return self._rows(sql, (stamp,))[0]["n"]

    @wrap_errors
    def day_records(self) -> dict[str, DayRecord]:
        rows = self._rows("SELECT day, fetched_at, count, skipped, complete FROM days")
        return {
            r["day"]: DayRecord(
                r["day"], r["fetched_at"], r["count"], r["skipped"], bool(r["complete"])
            )
            for r in rows
        }

    # ---- user state -------------------------------------------------------------------

    @wrap_errors
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
                        "UPDATE user_state SET read = ?, read_at = ?, read_updated_at = ?, "
                        "updated_at = ? WHERE paper_id = ? AND read IS NOT ?",
                        (int(read), now if read else None, now, now, paper_id, int(read)),
                    )
                if bookmarked is not None:
                    conn.execute(
                        "UPDATE user_state SET bookmarked = ?, bookmarked_at = ?, "
                        "bookmarked_updated_at = ?, updated_at = ? "
                        "WHERE paper_id = ? AND bookmarked IS NOT ?",
                        (
                            int(bookmarked),
                            now if bookmarked else None,
                            now,
                            now,
                            paper_id,
                            int(bookmarked),
                        ),
                    )
        return len(ids)

    @wrap_errors
    def user_states(self, paper_ids: Sequence[str] | None = None) -> dict[str, UserState]:
        """Your state of every paper that has one, or of these papers (those that have one)."""
        sql = (
            "SELECT paper_id, read, read_at, bookmarked, bookmarked_at, notes, tags, updated_at, "
            "read_updated_at, bookmarked_updated_at, notes_updated_at, tags_updated_at "
            "FROM user_state"
        )
        if paper_ids is None:
            rows = self._rows(sql)
        else:
            rows = []
            for start in range(0, len(paper_ids), 500):
                chunk = paper_ids[start : start + 500]
                rows += self._rows(f"{sql} WHERE paper_id IN ({','.join('?' * len(chunk))})", chunk)
        return {r.pop("paper_id"): read_user_state(r) for r in rows}

    @wrap_errors
    def import_records(
        self, records: Iterable[ImportRecord], *, on_batch: Callable[[int], None] | None = None
    ) -> UpsertStats:
        """Restore exported papers and user state (newer state wins); see `import_prepared`."""
        return self.import_prepared(prepare_import(records), on_batch=on_batch)

    @wrap_errors
    def import_prepared(
        self,
        chunks: Iterable[Prepared],
        *,
        on_batch: Callable[[int], None] | None = None,
        stats: UpsertStats | None = None,
    ) -> UpsertStats:
        """Write imported records as they come (from `prepare_import`, perhaps prepared in
        another thread), in batches of whole records.

        Each batch (at most BATCH_ROWS records or BATCH_BYTES of them, and about BATCH_SECONDS
        of writing) is one transaction holding its papers, their day rows and their user state,
        so a crash keeps whole records and another process's write never waits behind the whole
        import; between batches the writer pauses so a waiting writer gets in. A batch is
        gathered before its transaction begins, so a slow source (a pipe) never holds the cache.
        `on_batch(done)` is called after each batch is committed, with the records written so
        far; `stats` (returned) counts them as they are written. A source that fails with a
        PapertuiError (a file cut short) has the records it gave before written, then the error
        raised.
        """
        stats = UpsertStats() if stats is None else stats
        pending: list[dict] = []
        size = done = 0
        source = iter(chunks)
        exhausted = False
        failure: PapertuiError | None = None
        while True:
            while not exhausted and len(pending) < BATCH_ROWS and size < BATCH_BYTES:
                try:
                    chunk = next(source, None)
                except PapertuiError as exc:
                    chunk, failure = None, exc
                if chunk is None:
                    exhausted = True
                else:
                    pending.extend(chunk.rows)
                    size += chunk.size
            if not pending:
                if failure is not None:
                    raise failure
                return stats
            if done:
                time.sleep(BATCH_PAUSE)  # let a waiting writer in before the next batch
            written = self._import_batch(pending, stats)
            size = size * (len(pending) - written) // len(pending)
            del pending[:written]
            done += written
            if on_batch:
                on_batch(done)

    def _import_batch(self, pending: list[dict], stats: UpsertStats) -> int:
        """Write rows from the front of `pending` in one transaction until the batch is full
        or its time is up; how many were written."""
        deadline = time.monotonic() + BATCH_SECONDS
        end = min(len(pending), BATCH_ROWS)
        index = 0
        with self._write() as conn:
            batch_stats = UpsertStats()
            while index < end:
                if index and time.monotonic() > deadline:
                    break
                part = pending[index : min(index + ROWS_PER_STATEMENT, end)]
                batch_stats.add(self._classify(conn, part))
                self._import_rows(conn, part)
                index += len(part)
        stats.add(batch_stats)
        return index

    @staticmethod
    def _import_rows(conn: sqlite3.Connection, part: list[dict]) -> None:
        """Papers, the first time each was seen, their day rows and user state: a statement
        for each, whatever the number of records."""
        paper_writes.upsert_papers(conn, part)
        seen = [(row["id"], row["_first_seen"]) for row in part if row["_first_seen"]]
        if seen:
            _FIRST_SEEN.execute(conn, seen)
        days = [(row["_day"], row["id"], row["upvotes"]) for row in part if row["_day"]]
        if days:
            _IMPORT_DAY_ROWS.execute(conn, days)
        states = [row["_state"] for row in part if row["_state"]]
        if states:
            _IMPORT_STATES.execute(conn, states)


_JOIN_USER = "LEFT JOIN user_state u ON u.paper_id = p.id"
_SELECT_FULL = (
    "p.id, p.title, p.abstract, p.authors, p.organization, p.published_at, p.submitted_at, p.day, "
    "p.upvotes, p.num_comments, p.github_repo, p.github_stars, p.project_page, p.ai_summary, "
    "p.ai_keywords, p.thumbnail, p.updated_at AS fetched_at, p.first_seen_at, "
    "COALESCE(u.read, 0) AS read, COALESCE(u.bookmarked, 0) AS bookmarked, u.read_at, "
    "u.bookmarked_at, u.notes, COALESCE(u.tags, '[]') AS tags"
)
# Field by field, the newer change wins (a field the import has no time for never wins); in
# SET, `user_state.x` is the row before this update, whatever order the assignments are in.
_IMPORT_STATE_SQL = """
INSERT INTO user_state (paper_id, read, read_at, read_updated_at, bookmarked, bookmarked_at,
    bookmarked_updated_at, notes, notes_updated_at, tags, tags_updated_at, updated_at)
VALUES (:paper_id, :read, :read_at, :read_updated_at, :bookmarked, :bookmarked_at,
    :bookmarked_updated_at, :notes, :notes_updated_at, :tags, :tags_updated_at, :updated_at)
ON CONFLICT(paper_id) DO UPDATE SET
    read = CASE WHEN excluded.read_updated_at > COALESCE(user_state.read_updated_at, '')
        THEN excluded.read ELSE user_state.read END,
    read_at = CASE WHEN excluded.read_updated_at > COALESCE(user_state.read_updated_at, '')
        THEN excluded.read_at ELSE user_state.read_at END,
    read_updated_at = CASE WHEN excluded.read_updated_at > COALESCE(user_state.read_updated_at, '')
        THEN excluded.read_updated_at ELSE user_state.read_updated_at END,
    bookmarked = CASE WHEN excluded.bookmarked_updated_at
        > COALESCE(user_state.bookmarked_updated_at, '')
        THEN excluded.bookmarked ELSE user_state.bookmarked END,
    bookmarked_at = CASE WHEN excluded.bookmarked_updated_at
        > COALESCE(user_state.bookmarked_updated_at, '')
        THEN excluded.bookmarked_at ELSE user_state.bookmarked_at END,
    bookmarked_updated_at = CASE WHEN excluded.bookmarked_updated_at
        > COALESCE(user_state.bookmarked_updated_at, '')
        THEN excluded.bookmarked_updated_at ELSE user_state.bookmarked_updated_at END,
    notes = CASE WHEN excluded.notes_updated_at > COALESCE(user_state.notes_updated_at, '')
        THEN excluded.notes ELSE user_state.notes END,
    notes_updated_at = CASE WHEN excluded.notes_updated_at
        > COALESCE(user_state.notes_updated_at, '')
        THEN excluded.notes_updated_at ELSE user_state.notes_updated_at END,
    tags = CASE WHEN excluded.tags_updated_at > COALESCE(user_state.tags_updated_at, '')
        THEN excluded.tags ELSE user_state.tags END,
    tags_updated_at = CASE WHEN excluded.tags_updated_at > COALESCE(user_state.tags_updated_at, '')
        THEN excluded.tags_updated_at ELSE user_state.tags_updated_at END,
    updated_at = max(user_state.updated_at, excluded.updated_at)
WHERE excluded.read_updated_at > COALESCE(user_state.read_updated_at, '')
    OR excluded.bookmarked_updated_at > COALESCE(user_state.bookmarked_updated_at, '')
    OR excluded.notes_updated_at > COALESCE(user_state.notes_updated_at, '')
    OR excluded.tags_updated_at > COALESCE(user_state.tags_updated_at, '')
"""
# The statements above, hundreds of rows at a time (`bulk.MultiRow`). For rows that are not a
# flat /api/papers answer, `:flat` is 0 and `:num_comments` is never NULL.
_IMPORT_STATES = MultiRow(_IMPORT_STATE_SQL)
_DAY_ROWS = MultiRow(
    "INSERT OR REPLACE INTO day_papers (day, paper_id, rank, upvotes) VALUES (?, ?, ?, ?)"
)
_IMPORT_DAY_ROWS = MultiRow(
    "INSERT OR IGNORE INTO day_papers (day, paper_id, upvotes) VALUES (?, ?, ?)"
)
# An export says when each paper was first seen: the earlier of that and the cache's own wins.
_FIRST_SEEN = MultiRow(
    """
WITH seen (id, first_seen_at) AS (VALUES (?, ?)),
    earliest AS (SELECT id, min(first_seen_at) AS first_seen_at FROM seen GROUP BY id)
UPDATE papers SET first_seen_at = (SELECT e.first_seen_at FROM earliest e WHERE e.id = papers.id)
WHERE id IN (SELECT id FROM earliest)
    AND first_seen_at > (SELECT e.first_seen_at FROM earliest e WHERE e.id = papers.id)
"""
)


# What the reader's list draws of each paper.
_LIST_COLUMNS = (
    "p.id, p.title, p.day, p.upvotes, p.num_comments, "
    "COALESCE(u.read, 0) AS read, COALESCE(u.bookmarked, 0) AS bookmarked, "
    "p.organization, "
    "CASE WHEN json_valid(p.authors) THEN json_extract(p.authors, '$[0]') END AS first_author, "
    "CASE WHEN json_valid(p.authors) THEN json_array_length(p.authors) ELSE 0 END AS n_authors, "
    "u.tags AS tags, u.notes IS NOT NULL AS noted"
)
# A paper's place in a list: its id, and what relevance breaks ties by (`ranking.py`).
_ORDER_COLUMNS = "p.id, p.day, p.upvotes"


def _ranked(where: Where, sort: str) -> bool:
    """Whether a list comes from `ranking.py`: by relevance, with words to rank by."""
    return _sort(sort) == "relevance" and where.rank is not None and RANKED_WINDOWS


def _marks(marks: RowMarks | None) -> tuple[int, bool, bool]:
    marks = marks or RowMarks()
    return marks.gained, marks.new, marks.links_new


def _sort(sort: str) -> str:
    if sort not in SORTS:
        raise StoreError(f"unknown sort order {sort!r}: use {', '.join(SORTS)}")
    return sort
