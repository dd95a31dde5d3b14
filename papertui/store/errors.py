"""SQLite failures as messages a user can act on, chosen by SQLite's result code."""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from ..errors import ReadInterrupted, StoreError


def wrap_errors(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):  # self: a Store, whose `path` names the file
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            if _primary_code(exc) == sqlite3.SQLITE_INTERRUPT:
                raise ReadInterrupted("interrupted") from exc
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


def is_busy(exc: sqlite3.Error) -> bool:
    return _primary_code(exc) == sqlite3.SQLITE_BUSY
