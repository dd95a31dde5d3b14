"""How a paper's row is written: the upsert, hundreds of rows to a statement, and a flat
/api/papers answer one at a time, keeping what it lacks (the item's own fields, the raw item as
it was received). `cache.Store` runs these inside its write transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .bulk import MultiRow
from .compact import join_raw, split_raw, stored_columns, texts_in_hand
from .rows import RAW_COLUMNS, load_raw

# A later fetch of a full item wins whole. Only a flat /api/papers/{id} answer (`Origin.PAPER`)
# lacks the item-level fields (comments, thumbnail, organization, the old-schema submission time):
# for it alone those are kept from the stored row. `day` keeps the first day a paper was listed.
UPSERT_SQL = """
INSERT INTO papers (id, title, abstract, authors, organization, published_at, submitted_at, day,
    upvotes, num_comments, github_repo, github_stars, project_page, ai_summary, ai_keywords,
    thumbnail, raw, digest, first_seen_at, updated_at, title_key)
VALUES (:id, :title, :abstract, :authors, :organization, :published_at, :submitted_at, :day,
    :upvotes, COALESCE(:num_comments, 0), :github_repo, :github_stars, :project_page, :ai_summary,
    :ai_keywords, :thumbnail, :raw, :digest, :now, :now, :title_key)
ON CONFLICT(id) DO UPDATE SET
    title = excluded.title, title_key = excluded.title_key, abstract = excluded.abstract,
    authors = excluded.authors,
    organization = CASE WHEN :flat
        THEN COALESCE(excluded.organization, papers.organization) ELSE excluded.organization END,
    published_at = excluded.published_at,
    submitted_at = CASE WHEN :flat
        THEN COALESCE(excluded.submitted_at, papers.submitted_at) ELSE excluded.submitted_at END,
    day = CASE WHEN papers.day IS NULL OR excluded.day < papers.day THEN excluded.day
               ELSE papers.day END,
    upvotes = excluded.upvotes,
    num_comments = COALESCE(:num_comments, papers.num_comments),
    github_repo = excluded.github_repo, github_stars = excluded.github_stars,
    project_page = excluded.project_page, ai_summary = excluded.ai_summary,
    ai_keywords = excluded.ai_keywords,
    thumbnail = CASE WHEN :flat
        THEN COALESCE(excluded.thumbnail, papers.thumbnail) ELSE excluded.thumbnail END,
    raw = CASE WHEN :flat AND papers.raw IS NOT NULL THEN papers.raw
               ELSE excluded.raw END,
    digest = excluded.digest, updated_at = excluded.updated_at
WHERE papers.digest IS NOT excluded.digest OR (excluded.day < papers.day)
    OR (papers.day IS NULL AND excluded.day IS NOT NULL)
"""
UPSERT_ROWS = MultiRow(
    UPSERT_SQL.replace("CASE WHEN :flat", "CASE WHEN 0").replace(
        "COALESCE(:num_comments, papers.num_comments)", "excluded.num_comments"
    )
)


def upsert_papers(conn: sqlite3.Connection, rows: Sequence[dict]) -> None:
    """Rows from `prepare_rows`, hundreds to a statement; a flat /api/papers answer (its own
    statement, which keeps stored fields it lacks) one by one (there is one at a time)."""
    with texts_in_hand(rows):
        _upsert(conn, rows)


def _upsert(conn: sqlite3.Connection, rows: Sequence[dict]) -> None:
    if not any(row["flat"] for row in rows):
        UPSERT_ROWS.execute(conn, rows)
        return
    for row in rows:
        kept = _raw_item(conn, row["id"]) if row["flat"] else None
        conn.execute(UPSERT_SQL, row)
        if kept is not None:
            _keep_raw_item(conn, row["id"], kept)


def _raw_item(conn: sqlite3.Connection, paper_id: str) -> dict | None:
    found = _raw_row(conn, paper_id)
    return load_raw(found) if found else None


def _keep_raw_item(conn: sqlite3.Connection, paper_id: str, item: dict) -> None:
    """A flat answer keeps the stored raw item (it lacks the item's own fields), but its texts
    and counts now fill the columns the raw item's were taken out against: store it again
    against those, so it still reads back exactly as it was received."""
    found = _raw_row(conn, paper_id)
    assert found is not None  # the row this write has just updated
    raw, *stored = found
    columns = stored_columns(*stored)
    if join_raw(raw, columns) != item:
        conn.execute("UPDATE papers SET raw = ? WHERE id = ?", (split_raw(item, columns), paper_id))


def _raw_row(conn: sqlite3.Connection, paper_id: str) -> tuple | None:
    return conn.execute(f"SELECT {RAW_COLUMNS} FROM papers WHERE id = ?", (paper_id,)).fetchone()
