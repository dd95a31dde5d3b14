import sqlite3

import pytest
from conftest import day_08, latest_by_day, old_schema

from papertui.errors import StoreError
from papertui.models import parse_items
from papertui.query import compile_query
from papertui.schema import migrations
from papertui.store import Store


def put_day(store, day, items, **kw):
    parsed = parse_items(items)
    return store.upsert_items(parsed.items, parsed.raws, day=day, record_day=True, **kw)


def test_schema_uses_wal_and_records_migrations(store, db_path):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    applied = [m.name for m in migrations.applied(store.db)]
    assert applied == ["m001_initial"]
    tables = set(store.db.table_names())
    assert {"papers", "day_papers", "days", "user_state", "papers_fts"} <= tables


def test_migrations_are_idempotent(db_path):
    Store(db_path).close()
    with Store(db_path) as again:
        rows = again.conn.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0]
        assert rows == 1 and migrations.pending(again.db) == []


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
    assert store.count(compile_query("Semantic Similarity")) >= 1
    assert store.count(compile_query("author:zhuofeng")) == 1
    assert store.count(compile_query("org:TIGER-Lab")) >= 1
    assert store.count(compile_query('"direct corpus interaction"')) >= 1


def test_day_membership_and_old_schema(store):
    put_day(store, "2024-10-25", old_schema())
    assert store.count(compile_query("date:2024-10-25")) == 29
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
    import papertui.store as store_mod

    real = store_mod._UPSERT_SQL
    monkeypatch.setattr(
        store_mod, "_UPSERT_SQL", real.replace("INSERT INTO papers", "INSERT INTO nowhere")
    )
    with pytest.raises(StoreError):
        store.upsert_items(parsed.items, parsed.raws, day="2026-05-08", record_day=True)
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
