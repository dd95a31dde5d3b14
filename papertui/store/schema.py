"""The cache's schema, as migrations recorded in the database itself (sqlite-utils `Migrations`).

Rules: a migration is append-only once released; it never drops or rewrites `user_state`; paper
data may be rebuilt because a sync can always fetch it again, user state cannot. Every migration is
transactional (register it with `@migration`): the store applies all pending ones in the single
write transaction in which it found them pending, so two processes never migrate at once.
"""

import json
import sqlite3
from collections.abc import Callable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from ..library import lenient_tags

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
def m005_library(db: Database) -> None:
    """Your own library: tags, notes and saved searches.

    `user_state` keeps notes (as written) and tags (a JSON array of names) as m001 made it; this
    adds when each field last changed (an import merges field by field: the newer change wins),
    and two indexes derived from it by triggers, like the papers' full-text index: `paper_tags`
    (for `tag:`, counts and renames) and `notes_fts` (for `note:` and plain words). A sync never
    writes to either; no row of `user_state` is dropped. Tags an older cache holds (only an
    import could put them there) are normalised to the rules of `papertui.library`.
    Independent of every migration after m003."""
    _run_script(
        db,
        """
        ALTER TABLE user_state ADD COLUMN read_updated_at TEXT;
        ALTER TABLE user_state ADD COLUMN bookmarked_updated_at TEXT;
        ALTER TABLE user_state ADD COLUMN notes_updated_at TEXT;
        ALTER TABLE user_state ADD COLUMN tags_updated_at TEXT;
        UPDATE user_state SET notes = NULL WHERE trim(notes, ' ' || char(9, 10, 11, 12, 13)) = '';
        UPDATE user_state SET
            read_updated_at = updated_at,
            bookmarked_updated_at = updated_at,
            notes_updated_at = CASE WHEN notes IS NOT NULL THEN updated_at END,
            tags_updated_at = CASE WHEN tags IS NOT NULL AND tags != '[]' THEN updated_at END;
        """,
    )
    _normalise_old_tags(db)
    _run_script(
        db,
        """
        -- Which papers carry which tag: derived from user_state.tags (the truth) by triggers.
        CREATE TABLE paper_tags (
            tag TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            PRIMARY KEY (tag, paper_id)
        ) WITHOUT ROWID;
        CREATE INDEX idx_paper_tags_paper ON paper_tags(paper_id);
        CREATE TRIGGER user_state_tags_ai AFTER INSERT ON user_state BEGIN
            INSERT OR IGNORE INTO paper_tags (tag, paper_id)
            SELECT value, new.paper_id FROM json_each(
                CASE WHEN json_valid(new.tags) AND json_type(new.tags) = 'array'
                     THEN new.tags ELSE '[]' END)
            WHERE type = 'text' AND value != '';
        END;
        CREATE TRIGGER user_state_tags_au AFTER UPDATE OF tags ON user_state
        WHEN old.tags IS NOT new.tags BEGIN
            DELETE FROM paper_tags WHERE paper_id = old.paper_id;
            INSERT OR IGNORE INTO paper_tags (tag, paper_id)
            SELECT value, new.paper_id FROM json_each(
                CASE WHEN json_valid(new.tags) AND json_type(new.tags) = 'array'
                     THEN new.tags ELSE '[]' END)
            WHERE type = 'text' AND value != '';
        END;
        CREATE TRIGGER user_state_tags_ad AFTER DELETE ON user_state BEGIN
            DELETE FROM paper_tags WHERE paper_id = old.paper_id;
        END;
        INSERT OR IGNORE INTO paper_tags (tag, paper_id)
        SELECT j.value, u.paper_id FROM user_state u, json_each(
            CASE WHEN json_valid(u.tags) AND json_type(u.tags) = 'array'
                 THEN u.tags ELSE '[]' END) j
        WHERE j.type = 'text' AND j.value != '';

        -- Full-text index of notes, its rowid the paper's `pk` (stable, like papers_fts'), so a
        -- search joins it as it joins papers_fts. It holds its own copy of the text: notes are
        -- few and small. A note on a paper not cached yet is indexed when the paper arrives.
        CREATE VIRTUAL TABLE notes_fts USING fts5(
            notes, tokenize = 'unicode61 remove_diacritics 2', prefix = '3'
        );
        CREATE TRIGGER user_state_notes_ai AFTER INSERT ON user_state
        WHEN new.notes IS NOT NULL BEGIN
            INSERT INTO notes_fts (rowid, notes)
            SELECT pk, new.notes FROM papers WHERE id = new.paper_id;
        END;
        CREATE TRIGGER user_state_notes_au AFTER UPDATE OF notes ON user_state
        WHEN old.notes IS NOT new.notes BEGIN
            DELETE FROM notes_fts WHERE rowid = (SELECT pk FROM papers WHERE id = old.paper_id);
            INSERT INTO notes_fts (rowid, notes)
            SELECT pk, new.notes FROM papers WHERE id = new.paper_id AND new.notes IS NOT NULL;
        END;
        CREATE TRIGGER user_state_notes_ad AFTER DELETE ON user_state BEGIN
            DELETE FROM notes_fts WHERE rowid = (SELECT pk FROM papers WHERE id = old.paper_id);
        END;
        CREATE TRIGGER papers_notes_ai AFTER INSERT ON papers BEGIN
            INSERT INTO notes_fts (rowid, notes)
            SELECT new.pk, notes FROM user_state WHERE paper_id = new.id AND notes IS NOT NULL;
        END;
        CREATE TRIGGER papers_notes_ad AFTER DELETE ON papers BEGIN
            DELETE FROM notes_fts WHERE rowid = old.pk;
        END;
        INSERT INTO notes_fts (rowid, notes)
        SELECT p.pk, u.notes FROM user_state u JOIN papers p ON p.id = u.paper_id
        WHERE u.notes IS NOT NULL;

        -- Searches saved under a name (`S` in the reader, `papertui saved`): the query text, the
        -- view and filters around it, and the sort orders. `key` is the case-folded name.
        CREATE TABLE saved_searches (
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            query TEXT NOT NULL DEFAULT '',
            view TEXT NOT NULL DEFAULT 'all',
            unread_only INTEGER NOT NULL DEFAULT 0,
            bookmarks_only INTEGER NOT NULL DEFAULT 0,
            sort TEXT NOT NULL DEFAULT 'upvotes',
            search_sort TEXT NOT NULL DEFAULT 'relevance',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    )


def _normalise_old_tags(db: Database) -> None:
    """Tags stored before tags had rules (by an import) follow them from now on."""
    rows = db.execute(
        "SELECT paper_id, tags FROM user_state WHERE tags IS NOT NULL AND tags != '[]'"
    ).fetchall()
    for paper_id, text in rows:
        try:
            value = json.loads(text)
        except ValueError:
            value = []
        tags = json.dumps(
            lenient_tags(value if isinstance(value, list) else []), ensure_ascii=False
        )
        if tags != text:
            db.execute("UPDATE user_state SET tags = ? WHERE paper_id = ?", (tags, paper_id))


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
