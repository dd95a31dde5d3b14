"""Each text kept once (issue 15, migration m007): the raw item without its columns' texts, the
long texts packed, 16 KB pages; everything read back exactly as it came in."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from conftest import day_08, load_fixture, old_schema
from hypothesis import given, settings
from hypothesis import strategies as st

from papertui.models import DailyItem, paper_columns, parse_items
from papertui.query import parse_query
from papertui.store import Store, compact, maintenance
from papertui.store.schema import MIGRATION_NAMES

FIXTURES = Path(__file__).parent / "fixtures"


def columns_of(item: dict) -> dict:
    return paper_columns(DailyItem.model_validate(item))


def test_every_recorded_item_comes_back_exactly_and_smaller():
    items = day_08() + old_schema() + load_fixture("daily_papers_latest-2026-05-18.json")
    before = after = 0
    for item in items:
        columns = columns_of(item)
        stored = compact.split_raw(item, columns)
        assert compact.join_raw(stored, columns) == item
        plain = json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        before += len(zlib.compress(plain.encode(), 1))
        after += len(stored)
        text = zlib.decompressobj(-15, zdict=compact._RESIDUAL_ZDICT).decompress(stored[1:])
        summary = item["paper"].get("summary") or ""
        if len(summary) > 200:  # the abstract is in its column only
            assert columns["abstract"][:60].encode() not in text
    assert after < before * 0.4, (before, after)  # measured: 1,574 -> 435 bytes an item


def test_arxiv_line_breaks_come_back_as_they_were():
    item = day_08()[0]
    item["paper"]["summary"] = "  We show\n  that  line\n\nbreaks\r\n stay. \n"
    item["summary"] = item["paper"]["summary"]
    item["title"] = "A title\n  wrapped"
    columns = columns_of(item)
    assert columns["abstract"] == "We show that line\n\nbreaks stay."
    stored = compact.split_raw(item, columns)
    assert compact.join_raw(stored, columns) == item
    assert b"line" not in zlib.decompressobj(-15, zdict=compact._RESIDUAL_ZDICT).decompress(
        stored[1:]
    )


TEXT = st.text(st.sampled_from(list("ab \n\t\r\x0b\u00a0\u2028\x1c\x00é$")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(summary=TEXT, title=TEXT, names=st.lists(TEXT, max_size=4), keywords=st.lists(TEXT))
def test_any_text_comes_back_exactly(summary, title, names, keywords):
    """Controls, odd whitespace, empty texts: taken out only when they come back the same."""
    item = day_08()[1]
    item["paper"] = dict(item["paper"], summary=summary, title=title, ai_keywords=keywords)
    item["paper"]["authors"] = [{"name": n, "hidden": False} for n in names]
    item.update(summary=summary, title=title)
    columns = columns_of(item)
    assert compact.join_raw(compact.split_raw(item, columns), columns) == item


def test_packed_texts_read_back_and_damage_reads_empty():
    text = "Attention " * 100
    packed = compact.pack_text(text)
    assert isinstance(packed, bytes) and len(packed) < len(text) / 4
    assert compact.unpack_text(packed) == text
    assert compact.pack_text("short") == "short" and compact.pack_text(None) is None
    assert compact.unpack_text(b"\x00 not zlib") == ""
    assert compact.join_raw(compact.RESIDUAL_V1 + b"garbage", {}) is None


def test_a_stored_paper_reads_back_as_it_came_and_the_search_finds_its_words(store):
    items = day_08()
    store.upsert(parse_items(items).entries, day="2026-05-08", record_day=True)
    for item in items:
        assert store.raw(item["paper"]["id"]) == item
        paper = store.paper(item["paper"]["id"])
        columns = columns_of(item)
        assert (paper.abstract, paper.ai_summary) == (columns["abstract"], columns["ai_summary"])
        assert paper.thumbnail == item.get("thumbnail")
    stored = store.conn.execute(
        "SELECT typeof(abstract), length(digest), thumbnail FROM papers LIMIT 1"
    ).fetchone()
    assert stored == ("blob", compact.DIGEST_BYTES, "")  # thumbnail: Hugging Face's usual one
    word = columns_of(items[0])["abstract"].split()[-1].strip(".")
    assert items[0]["paper"]["id"] in set(store.ids(parse_query(f'"{word}"')))
    assert store.conn.execute(
        "INSERT INTO papers_fts (papers_fts, rank) VALUES ('integrity-check', 1)"
    )


def test_a_resync_that_moves_only_upvotes_leaves_the_index_alone(store):
    items = day_08()
    store.upsert(parse_items(items).entries, day="2026-05-08", record_day=True)
    index = store.conn.execute("SELECT count(*), sum(length(block)) FROM papers_fts_data")
    before = index.fetchone()
    for item in items:
        item["paper"]["upvotes"] += 7
    stats = store.upsert(parse_items(items).entries, day="2026-05-08", record_day=True)
    assert stats.updated == len(items)
    after = store.conn.execute("SELECT count(*), sum(length(block)) FROM papers_fts_data")
    assert after.fetchone() == before  # papers_au fired for none of them
    items[0]["title"] = items[0]["paper"]["title"] = "A wholly new title about zebrafish"
    store.upsert(parse_items(items[:1]).entries, day="2026-05-08")
    assert store.ids(parse_query("zebrafish")) == [items[0]["paper"]["id"]]


def test_the_first_schema_migrates_to_texts_kept_once_losing_nothing(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    old = sqlite3.connect(db)
    raws = {i: json.loads(zlib.decompress(r)) for i, r in old.execute("SELECT id, raw FROM papers")}
    states = old.execute("SELECT * FROM user_state ORDER BY paper_id").fetchall()
    old.close()
    with Store(db) as store:
        assert store.raws(list(raws)) == raws
        assert store.conn.execute(
            "SELECT count(*) FROM papers WHERE length(digest) != 8"
        ).fetchone()
        assert len(store.user_states()) == len(states)
        # the same items synced again are unchanged: the digest means what it meant
        stats = store.upsert(parse_items(list(raws.values())).entries, day="2026-05-08")
        assert (stats.new, stats.updated, stats.unchanged) == (0, 0, len(raws))
        assert store.count(parse_query("retrieval")) > 0
        store.set_note("2605.05242", "a note about axolotls")
        assert store.ids(parse_query("axolotls")) == ["2605.05242"]
        steps = maintenance.check(store)
        assert not [p for step in steps for p in step.problems]


def test_optimize_moves_an_older_cache_to_16k_pages(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    with Store(db) as store:
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        *_, steps = maintenance.optimize(store)
        assert "16 KB pages" in steps[-1].done
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == 16384
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.count() == 37 and store.count(parse_query("retrieval")) > 0
    with Store(tmp_path / "new.db") as store:
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == 16384


def test_a_cache_open_elsewhere_is_compacted_in_its_pages(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    with Store(db) as store, Store(db) as reader:
        reader.count()
        *_, steps = maintenance.optimize(store)
        assert "another papertui" in steps[-1].done
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


TITLES = st.text(st.sampled_from(list("aAbBzZ é É\u00ff\u0100😀[")), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(TITLES, min_size=1, max_size=30))
def test_the_title_key_sorts_as_nocase_does(titles):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT, k INTEGER)")
    conn.executemany(
        "INSERT INTO t (title, k) VALUES (?, ?)", [(t, compact.title_key(t)) for t in titles]
    )
    by_key = conn.execute("SELECT id FROM t ORDER BY k, title COLLATE NOCASE, id").fetchall()
    by_title = conn.execute("SELECT id FROM t ORDER BY title COLLATE NOCASE, id").fetchall()
    assert by_key == by_title


def test_an_upgrade_of_a_big_cache_says_so_first(tmp_path, monkeypatch):
    import papertui.store.cache as cache

    told: list[list[str]] = []
    monkeypatch.setattr(cache, "UPGRADE_NOTICE", 10)
    monkeypatch.setattr(Store, "on_upgrade", told.append)
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    Store(db).close()  # 37 papers: more than 10
    Store(db).close()  # up to date: nothing to say
    Store(tmp_path / "new.db").close()  # no papers: nothing to say
    assert len(told) == 1 and told[0][-1] == MIGRATION_NAMES[-1]


def test_a_quick_upgrade_of_a_big_cache_is_not_announced(tmp_path, monkeypatch):
    import papertui.store.cache as cache

    db = tmp_path / "c.db"
    with Store(db) as store:
        store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
    with sqlite3.connect(db) as conn:  # as m007 left it
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_read_papers_by_id'")
        conn.execute("DROP INDEX idx_user_state_read_id")
        conn.execute("CREATE INDEX idx_user_state_read ON user_state(read)")
    told: list[list[str]] = []
    monkeypatch.setattr(cache, "UPGRADE_NOTICE", 10)
    monkeypatch.setattr(Store, "on_upgrade", told.append)
    with Store(db) as store:
        assert "m008_read_papers_by_id" in store.schema_version()
        indexes = {
            r[0] for r in store.conn.execute("SELECT name FROM pragma_index_list('user_state')")
        }
    assert (
        told == [] and "idx_user_state_read_id" in indexes and "idx_user_state_read" not in indexes
    )


def test_m008_upgrades_a_cache_that_lost_the_index_it_replaces(tmp_path):
    db = tmp_path / "c.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:  # as m007 left it, less the index of read (dropped by hand)
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm008_read_papers_by_id'")
        conn.execute("DROP INDEX idx_user_state_read_id")
    with Store(db) as store:
        assert "m008_read_papers_by_id" in store.schema_version()


def test_the_list_sorted_by_title_is_in_title_order(store):
    items = day_08()[:6]
    for item, title in zip(
        items, ["banana", "Apple pie", "apple", "Äpfel", "cherry", "APPLE TART"], strict=True
    ):
        item["title"] = item["paper"]["title"] = title
    store.upsert(parse_items(items).entries, day="2026-05-08", record_day=True)
    rows = store.list_rows(sort="title", limit=10)
    assert [r.title for r in rows] == [
        "apple",
        "Apple pie",
        "APPLE TART",
        "banana",
        "cherry",
        "Äpfel",  # NOCASE folds ASCII letters only: "Ä" sorts after every ASCII letter
    ]


UPGRADE_KILLED = """
import sys, time
from papertui.store import Store, schema

real = schema.compact_papers


def slow(conn, batch=2000):
    real(conn, batch=10)  # every row rewritten, in the open transaction...
    print("rewritten", flush=True)
    time.sleep(60)  # ...and killed before the index is rebuilt and anything commits


schema.compact_papers = slow
Store(sys.argv[1])
"""


@pytest.mark.slow
def test_sigkill_during_the_upgrade_leaves_the_cache_as_it_was(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    proc = subprocess.Popen(
        [sys.executable, "-c", UPGRADE_KILLED, str(db)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "rewritten"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    old = sqlite3.connect(db)  # the upgrade never committed: still the first schema's cache
    assert old.execute("SELECT count(*) FROM _sqlite_migrations").fetchone() == (1,)
    raws = {i: json.loads(zlib.decompress(r)) for i, r in old.execute("SELECT id, raw FROM papers")}
    old.close()
    assert len(raws) == 37
    with Store(db) as store:  # and the next open upgrades it whole
        assert store.raws(list(raws)) == raws
        assert store.count(parse_query("retrieval")) > 0
        assert len(store.user_states()) == 4


def test_the_digest_tells_every_change_of_the_item_and_only_those():
    from papertui.models import Fetched, Origin
    from papertui.store.rows import prepare_row

    def digest(item: dict) -> bytes:
        fetched = Fetched(DailyItem.model_validate(item), item)
        return prepare_row(fetched, "2026-05-08", Origin.DAILY, "now")["digest"]

    item = day_08()[0]
    base = digest(item)
    assert digest(dict(reversed(list(item.items())))) == base  # keys in another order
    changed = [
        {**item, "numComments": item["numComments"] + 1},  # a column's value
        {**item, "submittedBy": {**item["submittedBy"], "fullname": "Someone Else"}},  # kept
        {**item, "paper": {**item["paper"], "summary": item["paper"]["summary"] + "\n"}},  # space
        {**item, "paper": {**item["paper"], "title": item["paper"]["title"] + " x"}},  # taken
    ]
    assert len({digest(c) for c in changed} | {base}) == len(changed) + 1


def test_the_index_takes_new_texts_from_the_rows_in_hand(tmp_path, monkeypatch):
    """A write's new texts reach the index from the plain texts its rows were packed from (no
    unpacking of what was just packed), and the index is exactly the one unpacking would make
    (FTS5's integrity check reads every text back through `unpack_text`)."""
    unpacked: list[bytes] = []
    real = compact.unpack_text

    def counting(value):
        if isinstance(value, bytes):
            unpacked.append(value)
        return real(value)

    monkeypatch.setattr(compact, "unpack_text", counting)
    with Store(tmp_path / "c.db") as store:
        store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
        assert unpacked == []  # every new text came from the rows in hand
        packed = store.conn.execute(
            "SELECT count(*) FROM papers WHERE typeof(abstract) = 'blob'"
        ).fetchone()[0]
        assert packed > 10
        store.conn.execute(
            "INSERT INTO papers_fts (papers_fts, rank) VALUES ('integrity-check', 1)"
        )
        assert unpacked  # the check itself unpacked them: nothing was in hand
        assert store.count(parse_query("the")) > 10
