"""The cache file itself, before SQLite opens it for writing: refuse what is not papertui's
(a device, a pipe, another program's database: looked at read-only, left untouched) and create
a new cache private to its owner."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from ..errors import StoreError
from .schema import migrations


def refuse_what_is_not_ours(path: Path) -> None:
    """Look at an existing file through a read-only connection before papertui opens it for
    writing: a device or pipe, or another program's SQLite file, is refused untouched. (A
    read-write connection, even one that only reads, folds another program's write-ahead log
    into its database when it closes.)"""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(
            f"{path} is not a regular file (a device, pipe or socket); choose another cache path"
        )
    if info.st_size == 0:
        return
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return  # unreadable: the read-write open says why, in the usual words
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name"
            )
        ]
        marked = (
            conn.execute("PRAGMA application_id").fetchone()[0]
            or conn.execute("PRAGMA user_version").fetchone()[0]
        )
        ours = migrations.migrations_table in tables and bool(
            conn.execute(f"SELECT 1 FROM [{migrations.migrations_table}] LIMIT 1").fetchone()
        )
    except sqlite3.Error:
        return  # not a database, or damaged: the read-write open reports it without writing
    finally:
        conn.close()
    if tables and not ours:
        shown = ", ".join(tables[:3]) + (", …" if len(tables) > 3 else "")
        raise StoreError(
            f"{path} is not a papertui cache (it holds other tables: {shown}); "
            "it was left untouched: choose another cache path"
        )
    if not tables and marked:
        raise StoreError(
            f"{path} is another program's SQLite file (it carries an application id or a "
            "version); it was left untouched: choose another cache path"
        )


def create_private(path: Path) -> None:
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
