"""Looking after the cache file: `papertui db check` and `papertui db optimize`.

Both first make sure no other papertui process is writing (a sync, an import): they take the
write lock with a short wait and refuse clearly when they can't, rather than wait behind a long
import. Each step that changes the file is one transaction (FTS5 `optimize` of one index,
ANALYZE) or SQLite's own all-or-nothing VACUUM, and a `cancel` event (ctrl+c) interrupts the
step running, which is rolled back: the cache is as it was before that step.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CacheBusy, Interrupted, StoreError
from .cache import BUSY_TIMEOUT_MS, Store
from .errors import describe_sqlite_error, is_busy
from .schema import READ_NOW, rebuild_read_papers

BUSY_WAIT_S = 2.0  # how long to wait for another process's write to end before refusing
VACUUM_MARGIN = 1.1  # VACUUM's copies are about the size of the database; a little more
PROGRESS_STEPS = 20_000  # SQLite instructions between looks at the cancel event


@dataclass
class Step:
    """One step of a check or an optimization: what, how long, and what it found."""

    name: str
    seconds: float
    problems: list[str] = field(default_factory=list)
    done: str = "ok"  # how a step without problems ended


@dataclass
class Sizes:
    database: int  # bytes of the database file
    wal: int  # bytes of its write-ahead log
    free_pages: int  # pages the file holds that hold nothing

    @property
    def total(self) -> int:
        return self.database + self.wal


def fts_tables(store: Store) -> list[str]:
    """Every FTS5 index in the cache (this version's, and any a later one added)."""
    with store._lock:
        rows = store.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND sql LIKE 'CREATE VIRTUAL TABLE%' AND lower(sql) LIKE '%using fts5%' "
            "ORDER BY name"
        ).fetchall()
    return [name for (name,) in rows]


def sizes(store: Store) -> Sizes:
    path = Path(store.path)
    with store._lock:
        free = store.conn.execute("PRAGMA freelist_count").fetchone()[0]
    return Sizes(_file_size(path), _file_size(Path(f"{path}-wal")), free)


def check(
    store: Store,
    cancel: threading.Event | None = None,
    on_step: Callable[[Step], object] | None = None,
) -> list[Step]:
    """PRAGMA integrity_check of the whole file, then FTS5's integrity-check of every search
    index (for an index of a table's columns, also that it matches the table). Runs in one
    read transaction after making sure no other process is writing; never changes the file."""
    steps: list[Step] = []
    with _guarded(store, cancel) as conn:
        conn.execute("BEGIN")
        try:
            started = time.monotonic()
            rows = conn.execute("PRAGMA integrity_check(100)").fetchall()
            problems = [str(row[0]) for row in rows if row[0] != "ok"]
            _done(steps, on_step, Step("database pages and indexes", _since(started), problems))
            for table in fts_tables(store):
                _stop_if(cancel)
                started = time.monotonic()
                problems = _fts_problems(conn, table)
                _done(steps, on_step, Step(f"search index {table}", _since(started), problems))
            _stop_if(cancel)
            started = time.monotonic()
            problems = _read_papers_problems(conn)
            _done(steps, on_step, Step("the read papers' set", _since(started), problems))
        finally:
            conn.execute("ROLLBACK")
    return steps


def _read_papers_problems(conn: sqlite3.Connection) -> list[str]:
    """`read_papers` (what `is:unread` counts from, m010) against your read state itself."""
    missing, extra = conn.execute(
        f"SELECT (SELECT count(*) FROM ({READ_NOW} EXCEPT SELECT pk FROM read_papers)), "
        f"(SELECT count(*) FROM (SELECT pk FROM read_papers EXCEPT {READ_NOW}))"
    ).fetchone()
    if not missing and not extra:
        return []
    return [
        f"{missing:,} read papers missing from it and {extra:,} in it that are not read "
        "(`papertui db optimize` rebuilds it; your read state itself is intact)"
    ]


def optimize(
    store: Store,
    cancel: threading.Event | None = None,
    on_step: Callable[[Step], object] | None = None,
) -> tuple[Sizes, Sizes, list[Step]]:
    """Merge every FTS5 index into one segment (`optimize`), refresh the query planner's
    statistics (ANALYZE), then compact the file (VACUUM) when there is room for its copies;
    the sizes before and after. StoreError, before anything is changed, when the disk lacks
    the room VACUUM needs."""
    before = sizes(store)
    _check_room(store, before)
    steps: list[Step] = []
    with _guarded(store, cancel) as conn:
        for table in fts_tables(store):
            started = time.monotonic()
            with store._write():
                conn.execute(f"INSERT INTO [{table}] ([{table}]) VALUES ('optimize')")
                _stop_if(cancel)  # one statement SQLite can't stop half-way
            _done(steps, on_step, Step(f"merge search index {table}", _since(started), done="done"))
        _stop_if(cancel)
        started = time.monotonic()
        with store._write():
            rebuild_read_papers(conn)
        _done(steps, on_step, Step("rebuild the read papers' set", _since(started), done="done"))
        _stop_if(cancel)
        started = time.monotonic()
        with store._write():
            conn.execute("ANALYZE")
        step = Step("update the query planner's statistics (ANALYZE)", _since(started), done="done")
        _done(steps, on_step, step)
        _stop_if(cancel)
        started = time.monotonic()
        done = _vacuum(store, conn)
        conn.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
        _done(steps, on_step, Step("compact the file (VACUUM)", _since(started), done=done))
    return before, sizes(store), steps


# ---- helpers ---------------------------------------------------------------------------------


def _vacuum(store: Store, conn: sqlite3.Connection) -> str:
    """VACUUM; a cache made before 16 KB pages (`PAGE_SIZE`) moves to them on the way, which
    takes leaving write-ahead logging for the VACUUM (SQLite can't change the page size of a
    WAL file): when another connection has the cache open that can't be done, and the file
    is compacted with its pages as they are."""
    from .cache import PAGE_SIZE

    ((page,),) = conn.execute("PRAGMA page_size").fetchall()
    if page >= PAGE_SIZE:
        conn.execute("VACUUM")
        return "done"
    try:
        ((mode,),) = conn.execute("PRAGMA journal_mode = DELETE").fetchall()
    except sqlite3.OperationalError:
        mode = "wal"
    if mode.lower() == "wal":  # another connection: pages stay as they are
        conn.execute("VACUUM")
        return f"done; pages stay {page // 1024} KB while another papertui has the cache open"
    try:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute("VACUUM")
    finally:
        store._use_wal()
    return f"done, in {PAGE_SIZE // 1024} KB pages (were {page // 1024} KB)"


@contextmanager
def _guarded(store: Store, cancel: threading.Event | None) -> Iterator[sqlite3.Connection]:
    """The store's connection, its lock held, for a check or an optimization: CacheBusy at
    once when another process is writing, and whenever one holds the write lock for more than
    BUSY_WAIT_S when a step needs it; `cancel` interrupts any statement SQLite steps through
    (`Interrupted`, the step rolled back); other SQLite errors as messages."""
    with store._lock:
        conn = store.conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_WAIT_S * 1000)}")
        if cancel is not None:
            conn.set_progress_handler(cancel.is_set, PROGRESS_STEPS)
        try:
            conn.execute("BEGIN IMMEDIATE")  # is anyone writing? (let go at once)
            conn.execute("ROLLBACK")
            yield conn
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT:
                raise Interrupted("interrupted") from None
            if is_busy(exc):
                raise _busy(store) from None
            raise StoreError(describe_sqlite_error(exc, store.path)) from exc
        finally:
            conn.set_progress_handler(None, 0)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _busy(store: Store) -> CacheBusy:
    return CacheBusy(
        f"the cache at {store.path} is busy: another papertui process is writing to it (a sync "
        "or an import?); run this again when it is done"
    )


def _fts_problems(conn: sqlite3.Connection, table: str) -> list[str]:
    """What FTS5's integrity-check finds wrong with one index (rank 1: an index of a table's
    columns is also compared with the table)."""
    try:
        conn.execute(f"INSERT INTO [{table}] ([{table}], rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF == sqlite3.SQLITE_CORRUPT:
            return [f"damaged: it does not match what it indexes ({str(exc)[:120]})"]
        raise
    return []


def _check_room(store: Store, before: Sizes) -> None:
    """VACUUM writes a copy of the database in SQLite's temporary folder, then copies it back
    through the write-ahead log beside the database: about the database's size free in each
    (twice that when both are on one disk). Refused before any step when it isn't there."""
    need = int(before.database * VACUUM_MARGIN)
    folders = [
        ("the temporary folder", _sqlite_temp_dir()),
        ("the cache's folder", Path(store.path).parent),
    ]
    wanted: dict[int, int] = {}
    for _, folder in folders:
        device = os.stat(folder).st_dev
        wanted[device] = wanted.get(device, 0) + need
    for label, folder in folders:
        device = os.stat(folder).st_dev
        free = shutil.disk_usage(folder).free
        if free < wanted[device]:
            raise StoreError(
                f"not enough free disk space to compact the cache: it needs about "
                f"{_mb(wanted[device])} free in {label} ({folder}), which has {_mb(free)}; "
                "nothing was changed. Free some space, or point TMPDIR at a folder with room"
            )


def _sqlite_temp_dir() -> Path:
    """The folder SQLite writes its temporary files in on Unix (its own order of choice)."""
    for candidate in (
        os.environ.get("SQLITE_TMPDIR"),
        os.environ.get("TMPDIR"),
        "/var/tmp",
        "/usr/tmp",
        "/tmp",
    ):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return Path(candidate)
    return Path(".")


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mb(count: int) -> str:
    return f"{count / 1e6:,.1f} MB"


def _stop_if(cancel: threading.Event | None) -> None:
    """Between steps, and after a step SQLite can't interrupt: ctrl+c ends the command."""
    if cancel is not None and cancel.is_set():
        raise Interrupted("interrupted")


def _since(started: float) -> float:
    return time.monotonic() - started


def _done(steps: list[Step], on_step: Callable[[Step], object] | None, step: Step) -> None:
    steps.append(step)
    if on_step:
        on_step(step)
