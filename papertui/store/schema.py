"""The cache's schema, as migrations recorded in the database itself (sqlite-utils `Migrations`).

Rules: a migration is append-only once released; it never drops or rewrites `user_state`; paper
data may be rebuilt because a sync can always fetch it again, user state cannot. Every migration is
transactional (register it with `@migration`): the store applies all pending ones in the single
write transaction in which it found them pending, so two processes never migrate at once.
"""

import json
import sqlite3
from collections.abc import Callable, Sequence

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from ..library import lenient_tags
from .compact import (
    RAW_COLUMNS,
    digest_of,
    join_raw,
    pack_residual,
    pack_text,
    residual_of,
    stored_columns,
    stored_thumbnail,
    title_key,
    unpack_text,
)

migrations = Migrations("papertui")
# The names of the migrations this papertui knows, in order (sqlite-utils keeps its list private).
MIGRATION_NAMES: list[str] = []
# Migrations that take under a second even at a million papers: an upgrade of those alone is
# not announced (`Store.on_upgrade`).
QUICK_MIGRATIONS = frozenset(
    {"m008_read_papers_by_id", "m009_full_text_misses", "m010_read_papers"}
)


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


@migration
def m005_library(db: Database) -> None:
    """Your own library: tags, notes and saved searches.

    `user_state` keeps notes (as written) and tags (a JSON array of names) as m001 made it; this
    adds when each field last changed (an import merges field by field: the newer change wins).
    Tags get an index derived from them by triggers, `paper_tags` (for `tag:`, counts, renames).
    Notes become a seventh column of the full-text index, read through the view `papers_text`,
    so plain words find them with no second lookup (relevance, counts and the fast first
    windows stay as they are) and `note:` is a column filter; the index is rebuilt once (as in
    m002), and the papers' triggers are made anew to carry the note along. A sync writes none
    of it; no row of `user_state` is dropped. Tags an older cache holds (only an import could
    put them there) are normalised to the rules of `papertui.library`. Depends on nothing after
    m003 (m004's full texts have their own index)."""
    _run_script(
        db,
        """
        ALTER TABLE user_state ADD COLUMN read_updated_at TEXT;
        ALTER TABLE user_state ADD COLUMN bookmarked_updated_at TEXT;
        ALTER TABLE user_state ADD COLUMN notes_updated_at TEXT;
        ALTER TABLE user_state ADD COLUMN tags_updated_at TEXT;
        UPDATE user_state SET notes = NULL
        WHERE trim(notes, ' ' || char(9, 10, 11, 12, 13)) = '';
        UPDATE user_state SET
            read_updated_at = updated_at,
            bookmarked_updated_at = updated_at,
            notes_updated_at = CASE WHEN notes IS NOT NULL THEN updated_at END,
            tags_updated_at = CASE WHEN tags IS NOT NULL AND tags != '[]' THEN updated_at END;
        """,
    )
    _normalise_old_tags(db)
    _run_script(db, _TAGS)
    _run_script(db, _NOTES_IN_THE_INDEX)
    _run_script(
        db,
        """
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


_TAG_VALUES = """json_each(CASE WHEN json_valid({0}) AND json_type({0}) = 'array'
                              THEN {0} ELSE '[]' END)"""
_TAGS = f"""
-- Which papers carry which tag: derived from user_state.tags (the truth) by triggers.
CREATE TABLE paper_tags (
    tag TEXT NOT NULL,
    paper_id TEXT NOT NULL,
    PRIMARY KEY (tag, paper_id)
) WITHOUT ROWID;
CREATE INDEX idx_paper_tags_paper ON paper_tags(paper_id);
CREATE TRIGGER user_state_tags_ai AFTER INSERT ON user_state BEGIN
    INSERT OR IGNORE INTO paper_tags (tag, paper_id)
    SELECT value, new.paper_id FROM {_TAG_VALUES.format("new.tags")}
    WHERE type = 'text' AND value != '';
END;
CREATE TRIGGER user_state_tags_au AFTER UPDATE OF tags ON user_state
WHEN old.tags IS NOT new.tags BEGIN
    DELETE FROM paper_tags WHERE paper_id = old.paper_id;
    INSERT OR IGNORE INTO paper_tags (tag, paper_id)
    SELECT value, new.paper_id FROM {_TAG_VALUES.format("new.tags")}
    WHERE type = 'text' AND value != '';
END;
CREATE TRIGGER user_state_tags_ad AFTER DELETE ON user_state BEGIN
    DELETE FROM paper_tags WHERE paper_id = old.paper_id;
END;
INSERT OR IGNORE INTO paper_tags (tag, paper_id)
SELECT j.value, u.paper_id FROM user_state u, {_TAG_VALUES.format("u.tags")} j
WHERE j.type = 'text' AND j.value != '';
"""

# The paper's text columns, and its note, as the index holds them (`{0}` is `new` or `old`).
_TEXT = "{0}.title, {0}.abstract, {0}.authors, {0}.ai_keywords, {0}.ai_summary, {0}.organization"
_NOTE_OF = "(SELECT notes FROM user_state WHERE paper_id = {0}.id)"
_COLUMNS = "title, abstract, authors, ai_keywords, ai_summary, organization, notes"


def _index_triggers(text: str, when_changed: str = "") -> str:
    """The triggers that keep `papers_fts` in step with the papers and their notes; `text` the
    paper's indexed columns as SQL (`{0}` is `new`, `old` or `p`), `when_changed` papers_au's
    WHEN clause (m007 on: only when the indexed text changed)."""
    return f"""
CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN
    INSERT INTO papers_fts (rowid, {_COLUMNS})
    VALUES (new.pk, {text.format("new")}, {_NOTE_OF.format("new")});
END;
CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, {_COLUMNS})
    VALUES ('delete', old.pk, {text.format("old")}, {_NOTE_OF.format("old")});
END;
-- Only when searchable text changes: a re-sync that moves upvotes leaves the index alone.
CREATE TRIGGER papers_au AFTER UPDATE OF title, abstract, authors, ai_keywords, ai_summary,
                                        organization ON papers
{when_changed} BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, {_COLUMNS})
    VALUES ('delete', old.pk, {text.format("old")}, {_NOTE_OF.format("old")});
    INSERT INTO papers_fts (rowid, {_COLUMNS})
    VALUES (new.pk, {text.format("new")}, {_NOTE_OF.format("new")});
END;
-- A note written, changed or removed: the paper's row of the index is taken out with the note
-- it had and put back with the new one (a note on a paper not cached yet goes in with it).
CREATE TRIGGER user_state_notes_ai AFTER INSERT ON user_state WHEN new.notes IS NOT NULL BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, {_COLUMNS})
    SELECT 'delete', p.pk, {text.format("p")}, NULL FROM papers p WHERE p.id = new.paper_id;
    INSERT INTO papers_fts (rowid, {_COLUMNS})
    SELECT p.pk, {text.format("p")}, new.notes FROM papers p WHERE p.id = new.paper_id;
END;
CREATE TRIGGER user_state_notes_au AFTER UPDATE OF notes ON user_state
WHEN old.notes IS NOT new.notes BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, {_COLUMNS})
    SELECT 'delete', p.pk, {text.format("p")}, old.notes FROM papers p WHERE p.id = old.paper_id;
    INSERT INTO papers_fts (rowid, {_COLUMNS})
    SELECT p.pk, {text.format("p")}, new.notes FROM papers p WHERE p.id = new.paper_id;
END;
CREATE TRIGGER user_state_notes_ad AFTER DELETE ON user_state WHEN old.notes IS NOT NULL BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, {_COLUMNS})
    SELECT 'delete', p.pk, {text.format("p")}, old.notes FROM papers p WHERE p.id = old.paper_id;
    INSERT INTO papers_fts (rowid, {_COLUMNS})
    SELECT p.pk, {text.format("p")}, NULL FROM papers p WHERE p.id = old.paper_id;
END;
"""


_NOTES_IN_THE_INDEX = f"""
DROP TRIGGER papers_ai;
DROP TRIGGER papers_ad;
DROP TRIGGER papers_au;
DROP TABLE papers_fts;
-- What the index is built from: each paper's text and your note on it. External content: the
-- index keeps no second copy of either; every change reaches it through the triggers below,
-- which hand it the old values to take out and the new ones to put in.
CREATE VIEW papers_text AS
    SELECT p.pk, p.title, p.abstract, p.authors, p.ai_keywords, p.ai_summary, p.organization,
           u.notes
    FROM papers p LEFT JOIN user_state u ON u.paper_id = p.id;
CREATE VIRTUAL TABLE papers_fts USING fts5(
    {_COLUMNS},
    content = 'papers_text', content_rowid = 'pk',
    tokenize = 'unicode61 remove_diacritics 2', prefix = '3'
);
INSERT INTO papers_fts (papers_fts) VALUES ('rebuild');
{_index_triggers(_TEXT)}
"""


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


@migration
def m006_history(db: Database) -> None:
    _run_script(
        db,
        """
        -- What changed. A paper's upvote and comment counts, one row per paper per UTC day on
        -- which a sync saw them change: the counts after that day's changes, and before its
        -- first one (so a paper needs no row until it changes). "rising" reads it.
        CREATE TABLE paper_history (
            paper_id TEXT NOT NULL,
            day TEXT NOT NULL,                        -- UTC day the change was seen
            at TEXT NOT NULL,                         -- when the day's last change was seen
            upvotes INTEGER NOT NULL,
            num_comments INTEGER NOT NULL,
            upvotes_before INTEGER NOT NULL,
            comments_before INTEGER NOT NULL,
            PRIMARY KEY (paper_id, day)
        ) WITHOUT ROWID;
        CREATE INDEX idx_paper_history_at ON paper_history(at, paper_id);

        -- A GitHub repo or project page a cached paper gained in a later sync: the row stays
        -- until the reader opens the paper (the list marks it meanwhile).
        CREATE TABLE links_gained (
            paper_id TEXT PRIMARY KEY,
            code INTEGER NOT NULL DEFAULT 0,
            page INTEGER NOT NULL DEFAULT 0,
            gained_at TEXT NOT NULL
        );

        -- One row per sync: written when it starts (no result yet) and when it ends, so a sync
        -- that was killed shows as one that never finished. `papertui status` and "rising".
        CREATE TABLE sync_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            what TEXT NOT NULL,
            days INTEGER NOT NULL DEFAULT 0,
            stored INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            result TEXT
        );

        -- The last failure of a day that has not been stored since (the calendar shows why).
        CREATE TABLE day_failures (
            day TEXT PRIMARY KEY,
            failed_at TEXT NOT NULL,
            error TEXT NOT NULL
        );

        -- `is:new` reads papers by when they reached the cache (without it, a scan that walks
        -- past every row's raw JSON: 0.5 s at 100k papers).
        CREATE INDEX idx_papers_first_seen ON papers(first_seen_at);

        -- When the reader was opened, and what `is:new` counts from (the end of the session
        -- before). One row; the reader's own.
        CREATE TABLE reader_marks (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            opened_at TEXT NOT NULL,
            new_since TEXT
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


# m007: each text kept once (issue 15). The longer texts compressed in their columns, read by the
# index through `unpack_text` (a SQL function every connection of the store registers); the
# index without its 3-character prefix index (40% of its size and of its writing time, for
# searches of a 3-letter word ~10-50% slower); papers_au only when the indexed text changed.
_PACKED = (
    "{0}.title, unpack_text({0}.abstract), {0}.authors, unpack_text({0}.ai_keywords), "
    "unpack_text({0}.ai_summary), {0}.organization"
)
_TEXT_CHANGED = " OR ".join(
    f"old.{c} IS NOT new.{c}"
    for c in ("title", "abstract", "authors", "ai_keywords", "ai_summary", "organization")
)
# The index and what keeps it, dropped while the rows are rewritten (each rewrite would
# otherwise be taken out of the index and put back) and made again after.
_INDEX_DROPPED = """
DROP TRIGGER papers_ai;
DROP TRIGGER papers_ad;
DROP TRIGGER papers_au;
DROP TRIGGER user_state_notes_ai;
DROP TRIGGER user_state_notes_au;
DROP TRIGGER user_state_notes_ad;
DROP TABLE papers_fts;
DROP VIEW papers_text;
"""
_INDEX_OF_PACKED_TEXTS = f"""
CREATE VIEW papers_text AS
    SELECT p.pk, p.title, unpack_text(p.abstract) AS abstract, p.authors,
           unpack_text(p.ai_keywords) AS ai_keywords,
           unpack_text(p.ai_summary) AS ai_summary, p.organization, u.notes
    FROM papers p LEFT JOIN user_state u ON u.paper_id = p.id;
CREATE VIRTUAL TABLE papers_fts USING fts5(
    {_COLUMNS},
    content = 'papers_text', content_rowid = 'pk',
    tokenize = 'unicode61 remove_diacritics 2'
);
{_index_triggers(_PACKED, f"WHEN {_TEXT_CHANGED}")}
"""


# A table's primary key can't be changed in place: the rows go to a temporary table and back.
_DAY_PAPERS_WITHOUT_ROWID = """
CREATE TEMP TABLE day_papers_kept AS SELECT day, paper_id, rank, upvotes FROM day_papers;
DROP TABLE day_papers;
CREATE TABLE day_papers (
    day TEXT NOT NULL,
    paper_id TEXT NOT NULL,
    rank INTEGER,
    upvotes INTEGER,
    PRIMARY KEY (day, paper_id)
) WITHOUT ROWID;
INSERT INTO day_papers (day, paper_id, rank, upvotes)
    SELECT day, paper_id, rank, upvotes FROM temp.day_papers_kept;
DROP TABLE temp.day_papers_kept;
CREATE INDEX idx_day_papers_paper ON day_papers(paper_id);
"""


@migration
def m007_text_kept_once(db: Database) -> None:
    """Every paper's row rewritten as the store now writes it (`compact`): the texts packed,
    the raw item without them, the digest in 8 bytes, the title's sort key in place of an index
    of whole titles; a day's papers kept in their primary key alone (WITHOUT ROWID); then the
    index rebuilt without its prefix index. Paper data only; user state is read (notes, for
    the index), never written."""
    _run_script(db, _INDEX_DROPPED)
    _run_script(db, _DAY_PAPERS_WITHOUT_ROWID)
    db.execute("DROP INDEX idx_papers_title")
    db.execute("ALTER TABLE papers ADD COLUMN title_key INTEGER")
    compact_papers(db.conn)
    db.execute("CREATE INDEX idx_papers_title_key ON papers(title_key)")
    _run_script(db, _INDEX_OF_PACKED_TEXTS)
    db.execute("INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')")


def compact_papers(conn: sqlite3.Connection, batch: int = 2000) -> None:
    """Rewrite the papers' rows a batch at a time, by primary key (what a row holds in memory is
    one batch)."""
    last = -1
    while True:
        rows = conn.execute(
            "SELECT pk, raw, digest, organization, published_at, submitted_at, day, "
            f"{RAW_COLUMNS} FROM papers WHERE pk > ? ORDER BY pk LIMIT ?",
            (last, batch),
        ).fetchall()
        if not rows:
            return
        last = rows[-1][0]
        conn.executemany(
            "UPDATE papers SET abstract = ?, ai_summary = ?, ai_keywords = ?, thumbnail = ?, "
            "raw = ?, digest = ?, title_key = ? WHERE pk = ?",
            [compact_row(row[1], row[3:7], row[7:]) + (row[0],) for row in rows],
        )


def compact_row(raw, more: Sequence, stored: Sequence) -> tuple:
    """One stored row's values as `rows.prepare_row` writes them now, its digest included (so
    the same item synced again is still "unchanged"); `more` its organization, published and
    submitted times and day, `stored` its `RAW_COLUMNS`. A raw item that can't be read is
    left as it was, with no digest: the paper's next sync writes it whole."""
    columns = stored_columns(*stored)
    keywords = unpack_text(stored[4])  # the text as it was, even when it isn't a list
    item = join_raw(raw, columns) if raw else None
    digest = None
    if item is not None:
        residual = residual_of(item, columns)
        organization, published_at, submitted_at, day = more
        prepared = {
            **columns,
            "authors": stored[5],
            "ai_keywords": keywords,
            "organization": organization,
            "published_at": published_at,
            "submitted_at": submitted_at,
            "day": day,
        }
        raw, digest = pack_residual(residual), digest_of(prepared, residual)
    return (
        pack_text(columns["abstract"]),
        pack_text(columns["ai_summary"]),
        pack_text(keywords),
        stored_thumbnail(columns["id"], columns["thumbnail"]),
        raw,
        digest,
        title_key(columns["title"]),
    )


@migration
def m008_read_papers_by_id(db: Database) -> None:
    """The read papers' ids in their index (`user_state(read, paper_id)` in place of `(read)`):
    counting or listing the read papers that are cached walks the ids in order and meets each
    paper's id in `papers` in order too, instead of looking 200,000 of them up at random (a
    million papers: 500 ms -> 64 ms for `status`'s unread total, and `is:unread` searches).
    An index of user state, not user state: no row is written."""
    db.execute("CREATE INDEX IF NOT EXISTS idx_user_state_read_id ON user_state(read, paper_id)")
    db.execute("DROP INDEX IF EXISTS idx_user_state_read")  # a cache may have lost it


@migration
def m009_full_text_misses(db: Database) -> None:
    """When Hugging Face last said it has no page for a paper (not indexed): the full texts
    fetched after a sync skip those bookmarked papers for a while instead of asking again on
    every sync. Cache data, like `full_texts`: dropping a row only costs a request."""
    db.execute(
        "CREATE TABLE full_text_misses (paper_id TEXT PRIMARY KEY, checked_at TEXT NOT NULL) "
        "WITHOUT ROWID"
    )


# The cached papers that are read, by their key in `papers`: what `user_state` and `papers` say
# together, kept in step by triggers in the same transactions. Derived, like an index: it is
# rebuilt from them by this migration and by `papertui db optimize`, and `db check` compares.
# (User state is never written here; `papers` rows keep their key for good: upserts update in
# place, and nothing replaces or deletes one, but a deleted paper leaves the set all the same.)
READ_NOW = "SELECT p.pk FROM user_state u JOIN papers p ON p.id = u.paper_id WHERE u.read != 0"


def rebuild_read_papers(conn: sqlite3.Connection) -> None:
    """`read_papers` made again from the read state (`db optimize`), in the caller's write."""
    conn.execute("DELETE FROM read_papers")
    conn.execute(f"INSERT INTO read_papers (pk) {READ_NOW}")


_READ_PAPERS = f"""
CREATE TABLE read_papers (pk INTEGER PRIMARY KEY);
INSERT INTO read_papers (pk) {READ_NOW};
CREATE TRIGGER read_papers_state_ai AFTER INSERT ON user_state WHEN NEW.read != 0 BEGIN
    INSERT OR IGNORE INTO read_papers (pk) SELECT pk FROM papers WHERE id = NEW.paper_id;
END;
CREATE TRIGGER read_papers_state_au AFTER UPDATE OF read, paper_id ON user_state
WHEN OLD.read IS NOT NEW.read OR OLD.paper_id IS NOT NEW.paper_id BEGIN
    DELETE FROM read_papers WHERE pk = (SELECT pk FROM papers WHERE id = OLD.paper_id);
    INSERT OR IGNORE INTO read_papers (pk)
        SELECT pk FROM papers WHERE id = NEW.paper_id AND NEW.read != 0;
END;
CREATE TRIGGER read_papers_state_ad AFTER DELETE ON user_state BEGIN
    DELETE FROM read_papers WHERE pk = (SELECT pk FROM papers WHERE id = OLD.paper_id);
END;
CREATE TRIGGER read_papers_paper_ai AFTER INSERT ON papers BEGIN
    INSERT OR IGNORE INTO read_papers (pk) SELECT NEW.pk
        WHERE EXISTS (SELECT 1 FROM user_state WHERE paper_id = NEW.id AND read != 0);
END;
CREATE TRIGGER read_papers_paper_ad AFTER DELETE ON papers BEGIN
    DELETE FROM read_papers WHERE pk = OLD.pk;
END;
"""


@migration
def m010_read_papers(db: Database) -> None:
    """The read papers that are cached, by key (`read_papers`, kept by triggers): `is:unread`
    with words counts its matches less this set, which SQLite probes in place instead of
    gathering 200,000 read ids into a set of keys for every count (a million papers:
    `is:unread diffusion` 180 -> 66 ms; the unread count of `model` 400 -> 225 ms). Derived
    from user state, which is read, never written."""
    _run_script(db, _READ_PAPERS)
