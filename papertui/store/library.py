"""Your own library in the cache: notes, tags and saved searches (the SQL; rules live in
`papertui.library`).

Notes and tags are fields of `user_state`, each with the time it last changed; `paper_tags` and
`notes_fts` are indexes derived from them by triggers (migration m005), so every write here is
one small transaction on `user_state`, committed before the method returns. A tag change reads
the paper's tags and writes them back inside that transaction, so two processes tagging one
paper at once both get their tags in.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from ..models import SavedSearch, TagCount
from .errors import wrap_errors
from .rows import utc_now

_NEW_STATE = (
    "INSERT INTO user_state (paper_id, updated_at) VALUES (?, ?) ON CONFLICT(paper_id) DO NOTHING"
)
_SAVED_COLUMNS = (
    "name, query, view, unread_only, bookmarks_only, sort, search_sort, created_at, updated_at"
)


def _tags(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _dump(tags: Iterable[str]) -> str:
    return json.dumps(sorted(set(tags)), ensure_ascii=False)


class LibraryStore:
    """The library's part of `Store` (a mixin: `Store` provides the connection and transactions)."""

    conn: sqlite3.Connection
    _lock: threading.RLock

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:  # pragma: no cover - Store's
        raise NotImplementedError

    def _rows(self, sql: str, params: Sequence = ()) -> list[dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError

    # ---- notes --------------------------------------------------------------------------

    @wrap_errors
    def note(self, paper_id: str) -> str | None:
        rows = self._rows("SELECT notes FROM user_state WHERE paper_id = ?", (paper_id,))
        return rows[0]["notes"] if rows else None

    @wrap_errors
    def set_note(self, paper_id: str, note: str | None) -> bool:
        """Set (None, or nothing but whitespace: clear) the note on a paper, exactly as given;
        whether it changed. (The service checks it first: `library.check_note`.)"""
        if note is not None and not note.strip():
            note = None
        now = utc_now()
        with self._write() as conn:
            conn.execute(_NEW_STATE, (paper_id, now))
            changed = conn.execute(
                "UPDATE user_state SET notes = ?, notes_updated_at = ?, updated_at = ? "
                "WHERE paper_id = ? AND notes IS NOT ?",
                (note, now, now, paper_id, note),
            ).rowcount
        return bool(changed)

    # ---- tags ---------------------------------------------------------------------------

    @wrap_errors
    def tags_of(self, paper_ids: Sequence[str]) -> dict[str, list[str]]:
        with self._lock:
            found: dict[str, str] = {}
            ids = list(dict.fromkeys(paper_ids))
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                found.update(
                    self.conn.execute(
                        "SELECT paper_id, tags FROM user_state "
                        f"WHERE paper_id IN ({','.join('?' * len(chunk))})",
                        chunk,
                    ).fetchall()
                )
        return {paper_id: _tags(found.get(paper_id)) for paper_id in ids}

    @wrap_errors
    def change_tags(
        self,
        paper_ids: Sequence[str],
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        replace: Iterable[str] | None = None,
    ) -> dict[str, list[str]]:
        """Add and remove tags on papers (or `replace` their whole list), in one transaction;
        each paper's tags afterwards. Names must already be normalised."""
        adding, removing = set(add), set(remove)
        wanted = None if replace is None else sorted(set(replace))
        now = utc_now()
        result: dict[str, list[str]] = {}
        with self._write() as conn:
            for paper_id in dict.fromkeys(paper_ids):
                row = conn.execute(
                    "SELECT tags FROM user_state WHERE paper_id = ?", (paper_id,)
                ).fetchone()
                before = _tags(row[0]) if row else []
                after = wanted if wanted is not None else sorted((set(before) | adding) - removing)
                result[paper_id] = after
                if after == sorted(set(before)) and row is not None and row[0] == _dump(after):
                    continue
                conn.execute(_NEW_STATE, (paper_id, now))
                conn.execute(
                    "UPDATE user_state SET tags = ?, tags_updated_at = ?, updated_at = ? "
                    "WHERE paper_id = ? AND tags IS NOT ?",
                    (_dump(after), now, now, paper_id, _dump(after)),
                )
        return result

    @wrap_errors
    def tag_counts(self) -> list[TagCount]:
        """Every tag on a cached paper: how many papers, how many unread; by name."""
        rows = self._rows(
            "SELECT t.tag, count(*) AS papers, "
            "COALESCE(sum(COALESCE(u.read, 0) = 0), 0) AS unread "
            "FROM paper_tags t JOIN papers p ON p.id = t.paper_id "
            "LEFT JOIN user_state u ON u.paper_id = t.paper_id "
            "GROUP BY t.tag ORDER BY t.tag"
        )
        return [TagCount(r["tag"], r["papers"], r["unread"]) for r in rows]

    @wrap_errors
    def tag_names(self) -> list[str]:
        """Every tag in use (on cached papers or not), by name: for completion."""
        return [r["tag"] for r in self._rows("SELECT DISTINCT tag FROM paper_tags ORDER BY tag")]

    @wrap_errors
    def rename_tag(self, old: str, new: str | None) -> int:
        """Rename a tag on every paper (merging into `new` where a paper has both), or remove it
        (`new` None), in one transaction; how many papers changed."""
        now = utc_now()
        with self._write() as conn:
            rows = conn.execute(
                "SELECT u.paper_id, u.tags FROM paper_tags t "
                "JOIN user_state u ON u.paper_id = t.paper_id WHERE t.tag = ?",
                (old,),
            ).fetchall()
            for paper_id, text in rows:
                tags = set(_tags(text)) - {old}
                if new is not None:
                    tags.add(new)
                conn.execute(
                    "UPDATE user_state SET tags = ?, tags_updated_at = ?, updated_at = ? "
                    "WHERE paper_id = ?",
                    (_dump(tags), now, now, paper_id),
                )
        return len(rows)

    # ---- saved searches -----------------------------------------------------------------

    @wrap_errors
    def saved_searches(self) -> list[SavedSearch]:
        rows = self._rows(f"SELECT {_SAVED_COLUMNS} FROM saved_searches ORDER BY key")
        return [_saved(r) for r in rows]

    @wrap_errors
    def saved_search(self, name: str) -> SavedSearch | None:
        rows = self._rows(
            f"SELECT {_SAVED_COLUMNS} FROM saved_searches WHERE key = ?", (name.casefold(),)
        )
        return _saved(rows[0]) if rows else None

    @wrap_errors
    def save_search(self, saved: SavedSearch) -> bool:
        """Store a saved search (replacing one of the same name); whether it replaced one."""
        now = utc_now()
        with self._write() as conn:
            replaced = conn.execute(
                "SELECT 1 FROM saved_searches WHERE key = ?", (saved.key,)
            ).fetchone()
            conn.execute(
                f"INSERT OR REPLACE INTO saved_searches (key, {_SAVED_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "COALESCE((SELECT created_at FROM saved_searches WHERE key = ?), ?), ?)",
                (*_saved_values(saved)[:8], saved.key, now, now),
            )
        return replaced is not None

    @wrap_errors
    def delete_saved_search(self, name: str) -> bool:
        with self._write() as conn:
            gone = conn.execute(
                "DELETE FROM saved_searches WHERE key = ?", (name.casefold(),)
            ).rowcount
        return bool(gone)

    @wrap_errors
    def merge_saved_searches(self, items: Sequence[SavedSearch]) -> int:
        """Saved searches from an import: each replaces the one of its name when it changed
        later (or there is none); how many were taken."""
        now = utc_now()
        taken = 0
        with self._write() as conn:
            for saved in items:
                stamp = saved.updated_at or now
                taken += conn.execute(
                    f"INSERT INTO saved_searches (key, {_SAVED_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET name = excluded.name, "
                    "query = excluded.query, view = excluded.view, "
                    "unread_only = excluded.unread_only, bookmarks_only = excluded.bookmarks_only, "
                    "sort = excluded.sort, search_sort = excluded.search_sort, "
                    "updated_at = excluded.updated_at "
                    "WHERE excluded.updated_at > saved_searches.updated_at",
                    (*_saved_values(saved), saved.created_at or stamp, stamp),
                ).rowcount
        return taken


def _saved_values(saved: SavedSearch) -> tuple:
    return (
        saved.key,
        saved.name,
        saved.query,
        saved.view,
        int(saved.unread_only),
        int(saved.bookmarks_only),
        saved.sort,
        saved.search_sort,
    )


def _saved(row: dict[str, Any]) -> SavedSearch:
    return SavedSearch.model_validate(
        {
            **row,
            "unread_only": bool(row["unread_only"]),
            "bookmarks_only": bool(row["bookmarks_only"]),
        }
    )
