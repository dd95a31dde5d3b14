import sqlite3

import pytest
from conftest import day_08, latest_by_day, old_schema

from papertui.errors import StoreError
from papertui.models import parse_items
from papertui.query import parse_query
from papertui.store import Store
from papertui.store.schema import MIGRATION_NAMES, migrations


def put_day(store, day, items, **kw):
    parsed = parse_items(items)
    return store.upsert(parsed.entries, day=day, record_day=True, **kw)


def test_schema_uses_wal_and_records_migrations(store, db_path):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = [m.name for m in migrations.applied(store.db)]
    assert applied == MIGRATION_NAMES and applied[0] == "m001_initial"
    tables = set(store.db.table_names())
    assert {"papers", "day_papers", "days", "user_state", "papers_fts"} <= tables


def test_migrations_are_idempotent(db_path):
    Store(db_path).close()
    with Store(db_path) as again:
        rows = again.conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
        assert rows == len(MIGRATION_NAMES) and migrations.pending(again.db) == []


def test_indexes_cover_sorts_and_filters(store):
    for sort, index in [("upvotes", "idx_papers_upvotes"), ("title", "idx_papers_title")]:
        from papertui.store import SORTS

        plan = " ".join(
            str(r)
            for r in store.conn.execute(
                f"EXPLAIN QUERY PLAN SELECT id FROM papers p ORDER BY {SORTS[sort]} LIMIT 10"
            )
        )
        assert index in plan, plan
    plan = " ".join(
        str(r)
        for r in store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM papers p WHERE p.day = '2026-05-08' ORDER BY p.upvotes DESC"
        )
    )
    assert "idx_papers_day" in plan


def test_upsert_is_idempotent_and_counts(store):
    first = put_day(store, "2026-05-08", day_08())
    assert (first.new, first.updated) == (37, 0)
    again = put_day(store, "2026-05-08", day_08())
    assert (again.new, again.updated, again.unchanged) == (0, 0, 37)
    assert store.count() == 37
    record = store.day_records()["2026-05-08"]
    assert record.count == 37 and record.complete


def test_refresh_updates_upvotes_and_comments(store):
    items = day_08()
    put_day(store, "2026-05-08", items)
    items[0]["paper"]["upvotes"] = 999
    items[0]["numComments"] = 42
    items[0]["paper"]["githubStars"] = 7
    stats = put_day(store, "2026-05-08", items)
    assert stats.updated == 1
    paper = store.paper(items[0]["paper"]["id"])
    assert (paper.upvotes, paper.num_comments, paper.github_stars) == (999, 42, 7)


def test_user_state_survives_resync(store):
    put_day(store, "2026-05-08", day_08())
    pid = day_08()[0]["paper"]["id"]
    store.set_state([pid], read=True, bookmarked=True)
    put_day(store, "2026-05-08", day_08())
    items = day_08()
    items[0]["paper"]["upvotes"] += 1
    put_day(store, "2026-05-08", items)
    paper = store.paper(pid)
    assert paper.read and paper.bookmarked and paper.read_at and paper.bookmarked_at


def test_user_state_toggles(store):
    put_day(store, "2026-05-08", day_08())
    pid = day_08()[1]["paper"]["id"]
    store.set_state([pid], read=True)
    store.set_state([pid], read=False)
    paper = store.paper(pid)
    assert not paper.read and paper.read_at is None
    assert store.unread_count() == 37


def test_fts_finds_title_abstract_authors_keywords_org(store):
    put_day(store, "2026-05-08", day_08())
    assert store.count(parse_query("Semantic Similarity")) >= 1
    assert store.count(parse_query("author:zhuofeng")) == 1
    assert store.count(parse_query("org:TIGER-Lab")) >= 1
    assert store.count(parse_query('"direct corpus interaction"')) >= 1


def test_day_membership_and_old_schema(store):
    put_day(store, "2024-10-25", old_schema())
    assert store.count(parse_query("date:2024-10-25")) == 29
    rows = store.conn.execute("SELECT count(*) FROM day_papers WHERE day='2024-10-25'").fetchone()
    assert rows[0] == 29


def test_paper_keeps_its_first_day_when_relisted(store):
    by_day = latest_by_day()
    put_day(store, "2026-05-15", by_day["2026-05-15"])
    first = by_day["2026-05-15"][0]
    put_day(store, "2026-05-18", [first])
    assert store.paper(first["paper"]["id"]).day == "2026-05-15"
    days = {
        r[0]
        for r in store.conn.execute(
            "SELECT day FROM day_papers WHERE paper_id = ?", (first["paper"]["id"],)
        )
    }
    assert days == {"2026-05-15", "2026-05-18"}


def test_raw_json_is_kept(store):
    put_day(store, "2026-05-08", day_08())
    raw = store.raw(day_08()[0]["paper"]["id"])
    assert raw == day_08()[0]


def test_failed_write_leaves_day_untouched(store, monkeypatch):
    put_day(store, "2026-05-08", day_08())
    items = day_08()
    items[0]["paper"]["upvotes"] = 5000
    parsed = parse_items(items)
    import papertui.store.cache as store_mod

    # The papers are written, then the day's rows fail: the whole day is rolled back.
    failing = store_mod.MultiRow("INSERT INTO nowhere (a, b, c, d) VALUES (?, ?, ?, ?)")
    monkeypatch.setattr(store_mod, "_DAY_ROWS", failing)
    with pytest.raises(StoreError):
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)
    assert store.paper(items[0]["paper"]["id"]).upvotes != 5000
    assert store.count() == 37


def test_not_a_database_is_a_clear_error(tmp_path):
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a papertui database"):
        Store(bad)
    assert bad.read_bytes() == b"this is not sqlite" * 100


def test_directory_path_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="directory"):
        Store(tmp_path)


def test_list_rows_window(store):
    put_day(store, "2026-05-08", day_08())
    everything = store.list_rows(limit=100)
    window = store.list_rows(limit=5, offset=10)
    assert [r.id for r in window] == [r.id for r in everything[10:15]]
    assert [r.upvotes for r in everything] == sorted((r.upvotes for r in everything), reverse=True)
    titles = [r.title.lower() for r in store.list_rows(sort="title", limit=100)]
    assert titles == sorted(titles)


def test_concurrent_writer_waits_instead_of_failing(db_path):
    with Store(db_path) as a, Store(db_path) as b:
        a.conn.execute("BEGIN IMMEDIATE")
        import threading

        done = []
        t = threading.Thread(target=lambda: done.append(put_day(b, "2026-05-08", day_08())))
        t.start()
        t.join(0.3)
        assert not done  # waiting on the lock, not failed
        a.conn.execute("COMMIT")
        t.join(10)
        assert done and done[0].new == 37


def test_sqlite_has_fts5():
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(x)")


# ---- security review: foreign files, file modes, batched bulk writes, whole-item upserts -------


def _foreign_db(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    con.execute("INSERT INTO moz_places (url) VALUES ('https://example.org')")
    con.commit()
    con.close()


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path):
    import os

    db = tmp_path / "places.sqlite"
    _foreign_db(db)
    os.utime(db, (1_000_000_000, 1_000_000_000))
    before, mtime = db.read_bytes(), db.stat().st_mtime_ns
    with pytest.raises(StoreError, match=r"is not a papertui cache \(it holds other tables: moz"):
        Store(db)
    assert db.read_bytes() == before and db.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["places.sqlite"]  # no -wal, no -shm
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()


def test_an_empty_file_or_a_new_path_becomes_a_cache(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (empty, tmp_path / "new.db"):
        with Store(path) as store:
            put_day(store, "2026-05-08", day_08()[:2])
        with Store(path) as store:
            assert store.count() == 2


def test_a_new_cache_and_its_folders_are_private(tmp_path):
    import os
    import stat as st

    old = os.umask(0o022)
    try:
        tmp_path.chmod(0o755)
        db = tmp_path / "data" / "papertui" / "papers.db"
        with Store(db) as store:
            put_day(store, "2026-05-08", day_08()[:2])
            modes = {
                p.name: st.S_IMODE(p.stat().st_mode)
                for p in (db, db.with_name("papers.db-wal"), db.with_name("papers.db-shm"))
            }
    finally:
        os.umask(old)
    assert modes == {"papers.db": 0o600, "papers.db-wal": 0o600, "papers.db-shm": 0o600}
    assert st.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert st.S_IMODE(db.parent.parent.stat().st_mode) == 0o700
    assert st.S_IMODE(tmp_path.stat().st_mode) == 0o755  # a folder papertui did not create


def test_an_existing_cache_keeps_its_mode(tmp_path):
    import stat as st

    db = tmp_path / "shared.db"
    with Store(db):
        pass
    db.chmod(0o640)
    with Store(db):
        pass
    assert st.S_IMODE(db.stat().st_mode) == 0o640


def _import_records(count: int) -> list[dict]:
    import json

    template = day_08()[0]
    entries = []
    for i in range(count):
        raw = json.loads(json.dumps(template))
        raw["paper"]["id"] = f"2501.{i:05d}"
        user = {"read": True, "notes": f"n{i}", "updated_at": "2026-05-09T00:00:00+00:00"}
        entries.append({"raw": raw, "day": "2026-05-08", "user": user})
    return entries


def test_a_bulk_import_commits_in_batches_and_lets_other_writers_in(db_path, tmp_path, monkeypatch):
    import json

    import papertui.store.cache as store_mod
    from papertui.importing import read_all as read_import_file

    monkeypatch.setattr(store_mod, "BATCH_ROWS", 40)
    monkeypatch.setattr(store_mod, "BATCH_PAUSE", 0)
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"papers": _import_records(130)}))
    records = read_import_file(export).records
    commits, progress, marked = [], [], []
    with Store(db_path) as store, Store(db_path) as other:
        other.conn.execute("PRAGMA busy_timeout = 2000")  # a writer that would give up quickly
        store.conn.set_trace_callback(lambda sql: sql == "COMMIT" and commits.append(sql))

        def between_batches(done):
            progress.append(done)
            # Each finished batch is whole: its papers, their days and their user state.
            counts = other.conn.execute(
                "SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM day_papers), "
                "(SELECT count(*) FROM user_state WHERE read = 1)"
            ).fetchone()
            assert counts == (done, done, done)
            marked.append(other.set_state(["2501.00000"], bookmarked=bool(done % 80)))

        stats = store.import_records(records, on_batch=between_batches)
    assert stats.new == 130
    assert len(commits) == 4 and progress == [40, 80, 120, 130]
    assert marked == [1, 1, 1, 1]


@pytest.mark.slow
def test_a_concurrent_mark_gets_in_during_a_long_import(db_path, tmp_path, monkeypatch):
    """No tight timing: the other writer gives up after 2 s; the import, slowed here to 0.1 s a
    record, holds the write lock for 3 s in one transaction but for 0.5 s a batch."""
    import json
    import threading
    import time

    import papertui.store.cache as store_mod
    from papertui.importing import read_all as read_import_file

    monkeypatch.setattr(store_mod, "BATCH_ROWS", 5)
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"papers": _import_records(30)}))
    records = read_import_file(export).records
    with Store(db_path) as store:
        put_day(store, "2026-05-08", day_08()[:1])
        real = store._import_rows

        def slow_rows(conn, part):
            time.sleep(0.1 * len(part))
            real(conn, part)

        store._import_rows = slow_rows
        worker = threading.Thread(target=store.import_records, args=(records,))
        worker.start()
        time.sleep(0.3)
        with Store(db_path) as other:
            other.conn.execute("PRAGMA busy_timeout = 2000")
            assert other.set_state([day_08()[0]["paper"]["id"]], read=True) == 1
        worker.join(30)
    with Store(db_path) as check:
        assert check.count() == 31 and check.paper(day_08()[0]["paper"]["id"]).read


def test_a_later_full_item_wins_whole(store):
    from copy import deepcopy

    first = deepcopy(day_08()[0])
    first["paper"]["organization"] = {"name": "old-org", "fullname": "Old Org"}
    first["thumbnail"] = "https://cdn.example/old.png"
    first["numComments"] = 7
    put_day(store, "2026-05-08", [first])
    later = deepcopy(first)
    later["paper"].pop("organization")
    later.pop("organization", None)
    later["thumbnail"] = None
    later["numComments"] = 2
    later["title"] = later["paper"]["title"] = "A new title"
    put_day(store, "2026-05-09", [later])
    paper = store.paper(first["paper"]["id"])
    assert (paper.title, paper.organization, paper.thumbnail, paper.num_comments) == (
        "A new title",
        None,
        None,
        2,
    )
    assert paper.day == "2026-05-08"  # the first day it was listed


def test_a_flat_paper_answer_keeps_the_item_level_fields(store):
    from copy import deepcopy

    from papertui.models import Origin, item_from_paper

    first = deepcopy(day_08()[0])
    first["thumbnail"] = "https://cdn.example/t.png"
    first["numComments"] = 7
    first["organization"] = {"name": "org", "fullname": "Item Org"}
    first["paper"].pop("organization", None)
    put_day(store, "2026-05-08", [first])
    flat = deepcopy(first["paper"])
    flat["upvotes"] = 999
    flat["summary"] = "A newer abstract."
    store.upsert([item_from_paper(flat)], origin=Origin.PAPER)
    paper = store.paper(first["paper"]["id"])
    assert paper.upvotes == 999
    # the raw item stays the one the daily list sent, though its texts live in the columns
    assert store.raw(first["paper"]["id"]) == first
    assert (paper.thumbnail, paper.num_comments, paper.organization) == (
        "https://cdn.example/t.png",
        7,
        "Item Org",
    )


# ---- errors are told apart by SQLite's result code, not by their message text ----------------


def _provoke(make) -> sqlite3.Error:
    try:
        make()
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("no error")


def test_sqlite_errors_are_described_by_their_result_code(tmp_path):
    from papertui.store import describe_sqlite_error

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    held = tmp_path / "held.db"
    holder = sqlite3.connect(held, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")

    def busy():
        con = sqlite3.connect(held, timeout=0, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")

    def read_only():
        sqlite3.connect(f"file:{held}?mode=ro", uri=True).execute("CREATE TABLE u (x)")

    def full():
        con = sqlite3.connect(tmp_path / "full.db")
        con.execute("PRAGMA max_page_count = 2")
        con.execute("CREATE TABLE a (x)")
        con.execute("INSERT INTO a VALUES (zeroblob(100000))")

    def undecodable():
        con = sqlite3.connect(":memory:")
        con.execute("CREATE TABLE t (x TEXT)")
        con.execute("INSERT INTO t VALUES (CAST(x'ff' AS TEXT))")
        con.execute("SELECT x FROM t").fetchall()

    cases = {
        lambda: sqlite3.connect(junk).execute("SELECT * FROM sqlite_master"): (
            "the cache at P is damaged or not a papertui database (file is not a database)"
        ),
        undecodable: (
            "the cache at P is damaged or not a papertui database (unreadable text in a row)"
        ),
        read_only: "the cache at P is read-only: papertui cannot save changes there",
        busy: "the cache at P is busy in another papertui process; try again",
        full: "cannot write the cache at P: database or disk is full",
        lambda: sqlite3.connect(tmp_path / "no" / "such" / "dir.db"): (
            "cannot open the cache at P: check the path and its permissions"
        ),
        lambda: sqlite3.connect(":memory:").execute("SELECT nope"): (
            "cache error at P: no such column: nope"
        ),
    }
    try:
        for make, expected in cases.items():
            assert describe_sqlite_error(_provoke(make), "P") == expected
    finally:
        holder.close()
    # Only the undecodable-text error lacks a SQLite code; a message alone decides nothing else.
    assert "damaged" not in describe_sqlite_error(sqlite3.OperationalError("malformed"), "P")
    assert "busy" not in describe_sqlite_error(sqlite3.OperationalError("database is locked"), "P")
