"""The cache's schema, as migrations recorded in the database itself (sqlite-utils `Migrations`).

Rules: a migration is append-only once released; it never drops or rewrites `user_state`; paper
data may be rebuilt because a sync can always fetch it again, user state cannot. Every migration is
transactional (register it with `@migration`): the store applies all pending ones in the single
write transaction in which it found them pending, so two processes never migrate at once.
"""

import sqlite3
from collections.abc import Callable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("papertui")
# The names of the migrations this papertui knows, in order (sqlite-utils keeps its list private).
MIGRATION_NAMES: list[str] = []


def migration(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register a transactional migration under its function's name."""
    migrations()(fn)
    MIGRATION_NAMES.append(fn.__name__)
    return fn


@migration
def m001_initial(db: Database) -> None:
    _run_script(
        db,
        """
        -- Paper data: rewritten by every sync. `pk` is an INTEGER PRIMARY KEY so the rowid the
        -- FTS index points at survives VACUUM.
        CREATE TABLE papers (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',       -- JSON array of names
            organization TEXT,
            published_at TEXT,                        -- arXiv date
            submitted_at TEXT,                        -- when it reached Daily Papers
            day TEXT,                                 -- Daily Papers day (YYYY-MM-DD), first listed
            upvotes INTEGER NOT NULL DEFAULT 0,
            num_comments INTEGER NOT NULL DEFAULT 0,
            github_repo TEXT,
            github_stars INTEGER,
            project_page TEXT,
            ai_summary TEXT,
            ai_keywords TEXT NOT NULL DEFAULT '[]',   -- JSON array
            thumbnail TEXT,
            raw BLOB,                                 -- the item's JSON as received, zlib
            digest TEXT,                              -- hash of the above; unchanged rows are skipped
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX idx_papers_day ON papers(day, upvotes, id);
        CREATE INDEX idx_papers_upvotes ON papers(upvotes, day, id);
        CREATE INDEX idx_papers_title ON papers(title COLLATE NOCASE, id);
        CREATE INDEX idx_papers_published ON papers(published_at);

        -- A paper's place in a day's list (a paper can be listed again on a later day).
        CREATE TABLE day_papers (
            day TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            rank INTEGER,
            upvotes INTEGER,
            PRIMARY KEY (day, paper_id)
        );
        CREATE INDEX idx_day_papers_paper ON day_papers(paper_id);

        -- One row per synced day: the basis of "what is missing or stale".
        CREATE TABLE days (
            day TEXT PRIMARY KEY,
            fetched_at TEXT NOT NULL,
            count INTEGER NOT NULL,
            skipped INTEGER NOT NULL DEFAULT 0,
            complete INTEGER NOT NULL
        );

        -- The reader's own state. Written only by the user; no sync or migration deletes it, and
        -- it has no foreign key so it survives a paper being absent (e.g. import before sync).
        CREATE TABLE user_state (
            paper_id TEXT PRIMARY KEY,
            read INTEGER NOT NULL DEFAULT 0,
            read_at TEXT,
            bookmarked INTEGER NOT NULL DEFAULT 0,
            bookmarked_at TEXT,
            notes TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            updated_at TEXT NOT NULL
        );
        CREATE INDEX idx_user_state_read ON user_state(read);
        CREATE INDEX idx_user_state_bookmarked ON user_state(bookmarked);

        -- Full-text index over the paper columns (external content: no second copy of the text).
        -- unicode61 without stemming, because FTS5 stems prefix queries too ("fus*" would become
        -- "fu*"); search words are matched as prefixes instead, which also finds plurals.
        -- A 3-character prefix index keeps those queries fast at 100,000 papers; words of one or
        -- two characters match exactly (bench: '2 3 4' cost 30% of ingest speed for little gain).
        CREATE VIRTUAL TABLE papers_fts USING fts5(
            title, abstract, authors, ai_keywords, ai_summary, organization,
            content = 'papers', content_rowid = 'pk',
            tokenize = 'unicode61 remove_diacritics 2', prefix = '3', columnsize = 0
        );
        CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN
            INSERT INTO papers_fts (rowid, title, abstract, authors, ai_keywords, ai_summary, organization)
            VALUES (new.pk, new.title, new.abstract, new.authors, new.ai_keywords, new.ai_summary,
                    new.organization);
        END;
        CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN
            INSERT INTO papers_fts (papers_fts, rowid, title, abstract, authors, ai_keywords, ai_summary,
                                    organization)
            VALUES ('delete', old.pk, old.title, old.abstract, old.authors, old.ai_keywords,
                    old.ai_summary, old.organization);
        END;
        -- Only when searchable text changes: a re-sync that moves upvotes leaves the index alone.
        CREATE TRIGGER papers_au AFTER UPDATE OF title, abstract, authors, ai_keywords, ai_summary,
                                                organization ON papers BEGIN
            INSERT INTO papers_fts (papers_fts, rowid, title, abstract, authors, ai_keywords, ai_summary,
                                    organization)
            VALUES ('delete', old.pk, old.title, old.abstract, old.authors, old.ai_keywords,
                    old.ai_summary, old.organization);
            INSERT INTO papers_fts (rowid, title, abstract, authors, ai_keywords, ai_summary, organization)
            VALUES (new.pk, new.title, new.abstract, new.authors, new.ai_keywords, new.ai_summary,
                    new.organization);
        END;
        """,
    )


@migration
def m002_fts_column_sizes(db: Database) -> None:
    """Rebuild the full-text index with per-row column sizes (columnsize=1): bm25() ranks by
    relevance with them; without them FTS5 re-tokenizes every matching paper to rank it (bench
    at 100k: 976 -> 84 ms for the best 200 of 90,911 papers matching a common word). The index is
    derived from `papers`, so it is rebuilt from there; user state is not touched."""
    _run_script(
        db,
        """
        DROP TABLE papers_fts;
        CREATE VIRTUAL TABLE papers_fts USING fts5(
            title, abstract, authors, ai_keywords, ai_summary, organization,
            content = 'papers', content_rowid = 'pk',
            tokenize = 'unicode61 remove_diacritics 2', prefix = '3'
        );
        INSERT INTO papers_fts (papers_fts) VALUES ('rebuild');
        """,
    )


@migration
def m003_reader_session(db: Database) -> None:
    _run_script(
        db,
        """
        -- Where the reader was when it closed (view, search, sort, filters, paper), as JSON: it
        -- opens there next time. One row; the reader's own, so no sync ever touches it.
        CREATE TABLE reader_session (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            state TEXT NOT NULL,
            saved_at TEXT NOT NULL
        );
        """,
    )


@migration
def m004_full_texts(db: Database) -> None:
    _run_script(
        db,
        """
        -- Papers' full texts (Hugging Face's Markdown of the arXiv HTML version): cache data,
        -- fetched again at will, so never part of an export. `markdown` is the cleaned UTF-8
        -- text, zlib-compressed; `size` its length in bytes uncompressed; `fallback` 1 when the
        -- server had only the paper page's own text (no arXiv HTML version); `etag` what the
        -- server called that version (for a conditional refetch); `digest` the text's hash.
        -- No foreign key: a text may arrive for a paper that is not (yet) cached.
        CREATE TABLE full_texts (
            pk INTEGER PRIMARY KEY,
            paper_id TEXT NOT NULL UNIQUE,
            markdown BLOB NOT NULL,
            size INTEGER NOT NULL,
            fallback INTEGER NOT NULL DEFAULT 0,
            fetched_at TEXT NOT NULL,
            etag TEXT,
            digest TEXT NOT NULL
        );

        -- The words of the full texts, for `text:` searches: a contentless index (the text is
        -- stored once, compressed, above), kept apart from papers_fts so a plain-word search
        -- costs what it did. Rows are indexed and unindexed by the store (store/texts.py),
        -- which hands FTS5 the old text to remove; no column sizes (texts are not ranked).
        CREATE VIRTUAL TABLE full_texts_fts USING fts5(
            text, content = '', tokenize = 'unicode61 remove_diacritics 2', columnsize = 0
        );

        -- Where the reader was in each paper's full text (the index of the top visible block
        -- of the parsed document). The reader's own state: no sync or refetch touches it.
        CREATE TABLE reading_positions (
            paper_id TEXT PRIMARY KEY,
            block INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    )


def _run_script(db: Database, script: str) -> None:
    """Run statements one by one: `executescript` would COMMIT the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip(" \n-"):
        raise ValueError(f"incomplete SQL statement in migration: {statement[:80]!r}")
