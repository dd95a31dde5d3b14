"""What changed: the count history a sync records, "rising", links gained, `is:new`, `has:code`.

The syncs are real (the loopback server); the clock the store stamps them with is set by the test,
so "a day later" needs no waiting.
"""

from __future__ import annotations

import copy
from datetime import date

import pytest
from conftest import day_08

from papertui import sync
from papertui.query import parse_query
from papertui.store import Store

DAY = date(2026, 5, 8)


@pytest.fixture
def clock(monkeypatch):
    """Set the time the store writes with: `clock.at("2026-05-09T10:00:00+00:00")`."""
    import papertui.store.cache as cache
    import papertui.store.rows as rows

    class Clock:
        now = "2026-05-08T12:00:00+00:00"

        def at(self, stamp: str) -> None:
            self.now = stamp

    c = Clock()
    monkeypatch.setattr(rows, "utc_now", lambda: c.now)
    monkeypatch.setattr(cache, "utc_now", lambda: c.now)
    return c


def serve(fake_api, changes: dict[int, dict]) -> list[dict]:
    """The day's real list with some items changed: {index: {"upvotes": n, "comments": n, ...}}."""
    items = copy.deepcopy(day_08())
    for index, change in changes.items():
        paper = items[index]["paper"]
        if "upvotes" in change:
            paper["upvotes"] = change["upvotes"]
        if "comments" in change:
            items[index]["numComments"] = change["comments"]
        if "repo" in change:
            paper["githubRepo"] = change["repo"]
        if "page" in change:
            paper["projectPage"] = change["page"]
    fake_api.add_day(DAY.isoformat(), items)
    return items


def run_sync(store, client, **kwargs):
    summary = sync.sync_days(store, client, [DAY], **kwargs)
    assert summary.ok, summary.failed
    return summary


def test_history_has_one_row_per_paper_per_day_it_changed(store, client, fake_api, clock):
    items = serve(fake_api, {})
    first, second = items[0]["paper"]["id"], items[1]["paper"]["id"]
    up0, up1 = items[0]["paper"]["upvotes"], items[1]["paper"]["upvotes"]
    com0 = items[0]["numComments"]
    run_sync(store, client)
    assert store.history_size() == (0, 0)  # new papers: nothing changed yet

    clock.at("2026-05-08T18:00:00+00:00")
    run_sync(store, client)
    assert store.history_size() == (0, 0)  # the same counts: nothing to record

    clock.at("2026-05-08T20:00:00+00:00")
    serve(fake_api, {0: {"upvotes": up0 + 5}})
    run_sync(store, client)
    clock.at("2026-05-08T23:00:00+00:00")
    serve(fake_api, {0: {"upvotes": up0 + 9, "comments": com0 + 2}, 1: {"upvotes": up1 + 1}})
    run_sync(store, client)
    # the same day: one row per paper, the counts before the day's first change kept
    assert store.history(first) == [
        {
            "day": "2026-05-08",
            "at": "2026-05-08T23:00:00+00:00",
            "upvotes": up0 + 9,
            "num_comments": com0 + 2,
            "upvotes_before": up0,
            "comments_before": com0,
        }
    ]
    assert store.history_size() == (2, 2)

    clock.at("2026-05-09T08:00:00+00:00")  # the next day: a row of its own
    serve(fake_api, {0: {"upvotes": up0 + 12, "comments": com0 + 2}, 1: {"upvotes": up1 + 1}})
    run_sync(store, client)
    rows = store.history(first)
    assert [(r["day"], r["upvotes_before"], r["upvotes"]) for r in rows] == [
        ("2026-05-08", up0, up0 + 9),
        ("2026-05-09", up0 + 9, up0 + 12),
    ]
    assert store.history_size() == (3, 2)  # the second paper did not change on the 9th
    assert [(r["day"], r["upvotes_before"], r["upvotes"]) for r in store.history(second)] == [
        ("2026-05-08", up1, up1 + 1)
    ]


def test_rising_orders_by_upvotes_gained_in_the_last_day(store, client, fake_api, clock):
    items = serve(fake_api, {})
    ids = [i["paper"]["id"] for i in items]
    ups = [i["paper"]["upvotes"] for i in items]
    run_sync(store, client)
    # two days later: the least upvoted papers of the day gain the most
    clock.at("2026-05-10T09:00:00+00:00")
    serve(
        fake_api,
        {36: {"upvotes": ups[36] + 30}, 20: {"upvotes": ups[20] + 12}, 0: {"upvotes": ups[0] + 2}},
    )
    run_sync(store, client)
    clock.at("2026-05-10T10:00:00+00:00")
    rows = store.list_rows(parse_query("date:2026-05-08"), "rising", limit=5)
    assert [(r.id, r.gained) for r in rows[:3]] == [(ids[36], 30), (ids[20], 12), (ids[0], 2)]
    rest = store.list_rows(parse_query("date:2026-05-08"), "rising", limit=100)[3:]
    assert all(r.gained == 0 for r in rest)
    assert [r.upvotes for r in rest] == sorted((r.upvotes for r in rest), reverse=True)
    # windows of the rising order are stable (LIMIT/OFFSET)
    windows = [
        r.id
        for o in range(0, 37, 10)
        for r in store.list_rows(parse_query("date:2026-05-08"), "rising", limit=10, offset=o)
    ]
    assert windows == [
        r.id for r in store.list_rows(parse_query("date:2026-05-08"), "rising", limit=100)
    ]
    # more than a day later, with no sync since: nothing is rising any more
    clock.at("2026-05-11T10:00:00+00:00")
    assert all(
        r.gained == 0 for r in store.list_rows(parse_query("date:2026-05-08"), "rising", limit=40)
    )
    # the CLI's search sorts the same way
    papers = store.papers(parse_query("date:2026-05-08"), sort="rising", limit=3)
    assert [p.id for p in papers] == ids[:3]  # by upvotes now that none rose


def test_rising_counts_since_the_previous_sync_when_that_is_longer_ago(
    db_path, fake_api, clock, monkeypatch
):
    from papertui.service import Service, SyncRequest

    items = serve(fake_api, {})
    ids, ups = [i["paper"]["id"] for i in items], [i["paper"]["upvotes"] for i in items]
    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 8))
    with Service(db_path, api_url=fake_api.url) as service:
        service.sync(SyncRequest(day=DAY))
        clock.at("2026-05-12T09:00:00+00:00")  # four days away: the gains of all four count
        serve(fake_api, {10: {"upvotes": ups[10] + 40}})
        service.sync(SyncRequest(day=DAY, force=True))
        clock.at("2026-05-12T09:05:00+00:00")
        store = service.store
        assert store.rising_since() == "2026-05-08T12:00:00+00:00"
        first = store.list_rows(parse_query("date:2026-05-08"), "rising", limit=1)[0]
        assert (first.id, first.gained) == (ids[10], 40)
        runs = store.sync_runs(2)
        assert [r.result for r in runs] == ["ok", "ok"] and runs[0].stored == 1


def test_links_gained_are_marked_until_the_paper_is_opened(store, client, fake_api, clock):
    items = serve(fake_api, {})
    plain = next(i for i in items if not i["paper"].get("githubRepo"))
    index = items.index(plain)
    pid = plain["paper"]["id"]
    run_sync(store, client)
    assert store.links_gained(pid) == (False, False)
    assert store.count(parse_query("has:code")) == sum(
        1 for i in items if i["paper"].get("githubRepo")
    )
    serve(fake_api, {index: {"repo": "https://github.com/example/code"}})
    run_sync(store, client)
    assert store.links_gained(pid) == (True, False)
    row = store.list_rows(
        parse_query(f"date:2026-05-08 title:{plain['paper']['title'].split()[0]}"), limit=50
    )
    assert any(r.id == pid and r.links_new for r in row)
    assert (
        store.count(parse_query("has:code"))
        == sum(1 for i in items if i["paper"].get("githubRepo")) + 1
    )
    store.mark_links_seen([pid])
    assert store.links_gained(pid) == (False, False)
    # a paper first seen with a repo has gained nothing: it is simply new
    assert not any(r.links_new for r in store.list_rows(parse_query("date:2026-05-08"), limit=50))


def test_is_new_counts_from_the_end_of_the_last_reader_session(store, client, fake_api, clock):
    from conftest import latest_by_day

    run_sync(store, client)
    assert store.begin_reading() == 0  # a first session: nothing is "new"
    assert store.count(parse_query("is:new")) == 0
    clock.at("2026-05-08T13:00:00+00:00")
    store.save_reader_session("{}")  # the reader quits at 13:00
    clock.at("2026-05-09T08:00:00+00:00")
    sync.sync_days(store, client, [date(2026, 5, 15)])  # 40 papers arrive
    clock.at("2026-05-09T09:00:00+00:00")
    assert store.begin_reading() == 40
    new = store.list_rows(parse_query("is:new"), limit=100)
    assert {r.id for r in new} == {i["paper"]["id"] for i in latest_by_day()["2026-05-15"]}
    assert all(r.new for r in new)
    assert store.count(parse_query("-is:new date:2026-05-08")) == 37
    # within the session, papers arriving later are new too; the next session starts afresh
    clock.at("2026-05-09T10:00:00+00:00")
    sync.sync_days(store, client, [date(2026, 5, 18)])
    assert store.count(parse_query("is:new")) == 50
    clock.at("2026-05-09T11:00:00+00:00")
    store.save_reader_session("{}")
    clock.at("2026-05-10T11:00:00+00:00")
    assert store.begin_reading() == 0


def test_a_reader_that_never_quit_counts_from_when_it_opened(store, client, fake_api, clock):
    run_sync(store, client)
    store.begin_reading()
    clock.at("2026-05-08T12:30:00+00:00")
    store.begin_reading()  # opened again, the last one killed before it saved its session
    clock.at("2026-05-08T13:00:00+00:00")
    sync.sync_days(store, client, [date(2026, 5, 18)])
    assert store.begin_reading() == 10


def test_history_survives_everything_a_sync_does_not_touch(tmp_path, fake_api, client, clock):
    db = tmp_path / "c.db"
    with Store(db) as store:
        items = serve(fake_api, {})
        run_sync(store, client)
        serve(fake_api, {0: {"upvotes": items[0]["paper"]["upvotes"] + 1}})
        run_sync(store, client)
    with Store(db) as store:  # reopened: kept
        assert store.history_size() == (1, 1)
        assert store.schema_version()[-1] == "m010_read_papers"


def test_a_search_saved_in_the_rising_order_opens_in_it(store):
    from papertui.models import SavedSearch

    store.save_search(
        SavedSearch(name="Rising agents", query="agent", sort="rising", search_sort="rising")
    )
    saved = store.saved_search("rising agents")
    assert saved is not None and (saved.sort, saved.search_sort) == ("rising", "rising")
