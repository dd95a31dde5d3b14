"""Full texts and reading positions in the cache (a part of `Store`, kept in its own module).

A full text is stored once, zlib-compressed, in `full_texts`; its words go to the contentless
index `full_texts_fts`, which keeps no copy of the text. FTS5 removes a row from a contentless
index only when handed the text that was indexed, so the one path that replaces a text here
reads the old one back first, all in the transaction that writes the new one. Should an old text
be unreadable (a damaged row), the index is rebuilt from every readable text instead.

Reading positions are the reader's own state: written only when the reader moves, never by a
fetch or a sync.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..fulltext import KEPT, NEW, UNCHANGED, UPDATED
from ..models import FullText
from .errors import wrap_errors
from .rows import in_chunks, utc_now

if TYPE_CHECKING:
    import threading
    from contextlib import AbstractContextManager
    from pathlib import Path

COMPRESSION = 6  # zlib level: texts are written once and read often; 6 is ~3.5x on a paper
MAX_BLOCK = 2**31 - 1


@dataclass(frozen=True)
class TextInfo:
    """What the cache knows of one full text, without reading the text."""

    paper_id: str
    size: int
    fallback: bool
    fetched_at: str
    etag: str | None


@dataclass(frozen=True)
class PreparedText:
    """A full text ready to write: the columns, computed outside the write transaction."""

    paper_id: str
    text: str
    blob: bytes
    size: int
    digest: str
    fallback: bool
    etag: str | None


def prepare_text(paper_id: str, text: str, *, fallback: bool, etag: str | None) -> PreparedText:
    """Compress and hash a text (pure CPU work, for the fetching threads)."""
    data = text.encode("utf-8")
    return PreparedText(
        paper_id,
        text,
        zlib.compress(data, COMPRESSION),
        len(data),
        hashlib.sha1(data).hexdigest(),
        fallback,
        etag,
    )


def _unpack(blob: Any) -> str | None:
    """A stored text, or None when the row cannot be read back (damaged)."""
    try:
        if isinstance(blob, bytes):
            return zlib.decompress(blob).decode("utf-8")
    except (zlib.error, UnicodeDecodeError):
        return None
    return None


def _stamp(value: str | None) -> datetime:
    try:
        stamp = datetime.fromisoformat(value or "")
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


class FullTextStore:
    """The full-text and reading-position methods of `Store`."""

    if TYPE_CHECKING:
        conn: sqlite3.Connection
        path: Path | str
        _lock: threading.RLock

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _rows(self, sql: str, params: Sequence = ()) -> list[dict[str, Any]]: ...

    # ---- full texts ------------------------------------------------------------------

    @wrap_errors
    def full_text(self, paper_id: str) -> FullText | None:
        """The cached full text of a paper; None when there is none (or it cannot be read)."""
        rows = self._rows(
            "SELECT markdown, size, fallback, fetched_at FROM full_texts WHERE paper_id = ?",
            (paper_id,),
        )
        if not rows:
            return None
        return self._full_text(paper_id, rows[0])

    @wrap_errors
    def full_texts(self, paper_ids: Sequence[str]) -> dict[str, FullText]:
        """The cached full texts of these papers (those that have one)."""
        with self._lock:
            rows = in_chunks(
                self.conn,
                "SELECT paper_id, markdown, size, fallback, fetched_at FROM full_texts "
                "WHERE paper_id IN ({})",
                list(paper_ids),
            )
        found = {}
        for paper_id, markdown, size, fallback, fetched_at in rows:
            text = self._full_text(
                paper_id,
                {
                    "markdown": markdown,
                    "size": size,
                    "fallback": fallback,
                    "fetched_at": fetched_at,
                },
            )
            if text is not None:
                found[paper_id] = text
        return found

    @staticmethod
    def _full_text(paper_id: str, row: dict[str, Any]) -> FullText | None:
        markdown = _unpack(row["markdown"])
        if markdown is None:
            return None
        return FullText(
            paper_id=paper_id,
            markdown=markdown,
            fetched_at=_stamp(row["fetched_at"]),
            size=row["size"],
            fallback=bool(row["fallback"]),
        )

    @wrap_errors
    def full_text_infos(self, paper_ids: Sequence[str]) -> dict[str, TextInfo]:
        with self._lock:
            rows = in_chunks(
                self.conn,
                "SELECT paper_id, size, fallback, fetched_at, etag FROM full_texts "
                "WHERE paper_id IN ({})",
                list(paper_ids),
            )
        return {r[0]: TextInfo(r[0], r[1], bool(r[2]), r[3], r[4]) for r in rows}

    @wrap_errors
    def put_full_text(self, prepared: PreparedText) -> str:
        """Store a text in one transaction, replacing the one cached: NEW, UPDATED, UNCHANGED
        (the same text again: only when it was fetched changes) or KEPT (a fallback never
        replaces a full text; nothing is written)."""
        now = utc_now()
        with self._write() as conn:
            conn.execute("DELETE FROM full_text_misses WHERE paper_id = ?", (prepared.paper_id,))
            old = conn.execute(
                "SELECT pk, markdown, fallback, digest FROM full_texts WHERE paper_id = ?",
                (prepared.paper_id,),
            ).fetchone()
            if old is None:
                cursor = conn.execute(
                    "INSERT INTO full_texts (paper_id, markdown, size, fallback, fetched_at, "
                    "etag, digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        prepared.paper_id,
                        prepared.blob,
                        prepared.size,
                        int(prepared.fallback),
                        now,
                        prepared.etag,
                        prepared.digest,
                    ),
                )
                conn.execute(
                    "INSERT INTO full_texts_fts (rowid, text) VALUES (?, ?)",
                    (cursor.lastrowid, prepared.text),
                )
                return NEW
            pk, blob, was_fallback, digest = old
            if prepared.fallback and not was_fallback:
                return KEPT
            if digest == prepared.digest:
                conn.execute(
                    "UPDATE full_texts SET fetched_at = ?, etag = ?, fallback = ? WHERE pk = ?",
                    (now, prepared.etag, int(prepared.fallback), pk),
                )
                return UNCHANGED
            old_text = _unpack(blob)
            if old_text is not None:
                conn.execute(
                    "INSERT INTO full_texts_fts (full_texts_fts, rowid, text) "
                    "VALUES ('delete', ?, ?)",
                    (pk, old_text),
                )
            conn.execute(
                "UPDATE full_texts SET markdown = ?, size = ?, fallback = ?, fetched_at = ?, "
                "etag = ?, digest = ? WHERE pk = ?",
                (
                    prepared.blob,
                    prepared.size,
                    int(prepared.fallback),
                    now,
                    prepared.etag,
                    prepared.digest,
                    pk,
                ),
            )
            if old_text is None:
                self._reindex_texts(conn)
            else:
                conn.execute(
                    "INSERT INTO full_texts_fts (rowid, text) VALUES (?, ?)", (pk, prepared.text)
                )
            return UPDATED

    @staticmethod
    def _reindex_texts(conn: sqlite3.Connection) -> None:
        """Rebuild the full-text index from every readable text (after a damaged row)."""
        conn.execute("INSERT INTO full_texts_fts (full_texts_fts) VALUES ('delete-all')")
        for pk, blob in conn.execute("SELECT pk, markdown FROM full_texts").fetchall():
            text = _unpack(blob)
            if text is not None:
                conn.execute("INSERT INTO full_texts_fts (rowid, text) VALUES (?, ?)", (pk, text))

    @wrap_errors
    def touch_full_text(self, paper_id: str) -> None:
        """The server says the cached text is still current (304): only when it was fetched."""
        with self._write() as conn:
            conn.execute(
                "UPDATE full_texts SET fetched_at = ? WHERE paper_id = ?", (utc_now(), paper_id)
            )

    @wrap_errors
    def bookmarked_without_text(self, stale_before: str) -> list[str]:
        """Bookmarked cached papers with no full text, or only a fallback fetched before
        `stale_before` (an ISO UTC time), less those Hugging Face said it has no page for
        since then (`note_not_indexed`): the most recently bookmarked first."""
        rows = self._rows(
            "SELECT u.paper_id AS id FROM user_state u JOIN papers p ON p.id = u.paper_id "
            "LEFT JOIN full_texts t ON t.paper_id = u.paper_id "
            "WHERE u.bookmarked = 1 AND (t.paper_id IS NULL OR (t.fallback = 1 "
            "AND t.fetched_at < ?)) AND NOT EXISTS (SELECT 1 FROM full_text_misses m "
            "WHERE m.paper_id = u.paper_id AND m.checked_at >= ?) "
            "ORDER BY u.bookmarked_at DESC, u.paper_id",
            (stale_before, stale_before),
        )
        return [r["id"] for r in rows]

    @wrap_errors
    def not_indexed_since(self, paper_id: str) -> str | None:
        """When Hugging Face last said it has no page for the paper (`note_not_indexed`); None
        when it never did, or a text was stored since."""
        rows = self._rows("SELECT checked_at FROM full_text_misses WHERE paper_id = ?", (paper_id,))
        return rows[0]["checked_at"] if rows else None

    @wrap_errors
    def note_not_indexed(self, paper_ids: Iterable[str]) -> None:
        """Hugging Face has no page for these papers now (a full text stored later clears it)."""
        now = utc_now()
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO full_text_misses (paper_id, checked_at) VALUES (?, ?)",
                [(paper_id, now) for paper_id in paper_ids],
            )

    @wrap_errors
    def full_text_totals(self) -> tuple[int, int, int]:
        """(texts, bytes of text, bytes stored compressed) of the whole cache."""
        row = self._rows(
            "SELECT count(*) AS n, COALESCE(sum(size), 0) AS size, "
            "COALESCE(sum(length(markdown)), 0) AS stored FROM full_texts"
        )[0]
        return row["n"], row["size"], row["stored"]

    # ---- reading positions -------------------------------------------------------------

    @wrap_errors
    def reading_position(self, paper_id: str) -> int | None:
        rows = self._rows("SELECT block FROM reading_positions WHERE paper_id = ?", (paper_id,))
        if not rows or not isinstance(rows[0]["block"], int):
            return None
        return rows[0]["block"]

    @wrap_errors
    def save_reading_position(self, paper_id: str, block: int) -> None:
        block = max(0, min(int(block), MAX_BLOCK))
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO reading_positions (paper_id, block, updated_at) "
                "VALUES (?, ?, ?)",
                (paper_id, block, utc_now()),
            )
