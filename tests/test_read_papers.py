"""`read_papers` (m010): the cached papers that are read, by key, kept by triggers so that
`is:unread` counts probe one table. It must say exactly what `user_state` and `papers` say
together after every kind of write, and `db check` / `db optimize` look after it."""

import pytest

from papertui.models import parse_items
from papertui.query import parse_query
from papertui.store import Store, maintenance

PLAIN = "SELECT p.pk FROM user_state u JOIN papers p ON p.id = u.paper_id WHERE u.read != 0"


def items(ids):
    return parse_items([{"paper": {"id": i, "title": f"Paper {i}", "upvotes": 1}} for i in ids])


def in_step(store):
    kept = {pk for (pk,) in store.conn.execute("SELECT pk FROM read_papers")}
    plain = {pk for (pk,) in store.conn.execute(PLAIN)}
    assert kept == plain
    return len(kept)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "r.db") as opened:
        opened.upsert(items([f"2601.{n:05d}" for n in range(20)]).entries, day="2026-01-05")
        yield opened


def test_every_write_keeps_it_in_step(store):
    ids = [f"2601.{n:05d}" for n in range(20)]
    assert in_step(store) == 0
    store.set_state(ids[:8], read=True)
    assert in_step(store) == 8
    store.set_state(ids[:3], read=False)
    store.set_state(ids[:5], bookmarked=True)  # not a change of read: nothing moves
    store.set_note(ids[5], "a note")
    store.change_tags([ids[6]], add=["x"])
    assert in_step(store) == 5
    with store._write() as conn:  # read state of papers not cached yet (an import, a sync later)
        for n, read in ((90, 1), (91, 0), (92, 5)):
            conn.execute(
                "INSERT INTO user_state (paper_id, read, updated_at) VALUES (?, ?, '2026')",
                (f"2601.{n:05d}", read),
            )
    assert in_step(store) == 5
    store.upsert(items(["2601.00090", "2601.00091", "2601.00092"]).entries, day="2026-01-06")
    assert in_step(store) == 7  # the papers arrive: their read state counts now
    store.upsert(items(ids).entries, day="2026-01-07")  # the same papers again: keys kept
    assert in_step(store) == 7
    with store._write() as conn:
        conn.execute("UPDATE user_state SET read = 1")  # every paper with a state row: 11
        assert in_step(store) == 11
        conn.execute("DELETE FROM user_state WHERE paper_id = ?", (ids[0],))
        conn.execute("DELETE FROM papers WHERE id = ?", (ids[1],))
    assert in_step(store) == 9
    papers = store.conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    assert papers == 22
    assert store.unread_count(parse_query("paper")) == papers - 9
    assert store.count(parse_query("paper is:unread")) == papers - 9


def test_db_check_notices_it_out_of_step_and_optimize_rebuilds_it(store):
    store.set_state([f"2601.{n:05d}" for n in range(6)], read=True)
    with store._write() as conn:
        conn.execute("DELETE FROM read_papers WHERE pk IN (SELECT pk FROM read_papers LIMIT 2)")
        conn.execute("INSERT INTO read_papers (pk) SELECT max(pk) FROM papers")
    steps = maintenance.check(store)
    found = [s for s in steps if s.name == "the read papers' set"]
    assert found and found[0].problems == [
        "2 read papers missing from it and 1 in it that are not read "
        "(`papertui db optimize` rebuilds it; your read state itself is intact)"
    ]
    maintenance.optimize(store)
    assert in_step(store) == 6
    assert not [s for s in maintenance.check(store) if s.problems]
