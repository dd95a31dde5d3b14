from datetime import UTC, date, datetime, timedelta

import pytest
from conftest import day_08
from fake_api import Fault

from papertui import days as calendar_days
from papertui import sync
from papertui.models import DayRecord


def test_sync_range_stores_each_day(store, client, fake_api):
    days = calendar_days.span(date(2026, 5, 8), date(2026, 5, 18))
    summary = sync.sync_days(store, client, days)
    assert summary.ok and len(summary.results) == 11
    assert store.count() == 87
    records = store.day_records()
    assert set(records) == {d.isoformat() for d in days}
    assert records["2026-05-09"].count == 0 and records["2026-05-09"].complete  # weekend
    assert (
        "11 of 11 days: 87 papers new, 0 updated, 0 items skipped, 0 days failed" in summary.line()
    )


def test_resync_is_idempotent_and_refreshes_counts(store, client, fake_api):
    sync.sync_days(store, client, [date(2026, 5, 8)])
    items = day_08()
    items[0]["paper"]["upvotes"] = 1234
    items[0]["numComments"] = 99
    fake_api.add_day("2026-05-08", items)
    summary = sync.sync_days(store, client, [date(2026, 5, 8)])
    assert summary.results[0].new == 0 and summary.results[0].updated == 1
    paper = store.paper(items[0]["paper"]["id"])
    assert (paper.upvotes, paper.num_comments) == (1234, 99)
    assert store.count() == 37


def test_user_state_untouched_by_sync(store, client):
    sync.sync_days(store, client, [date(2026, 5, 8)])
    pid = day_08()[0]["paper"]["id"]
    store.set_state([pid], read=True, bookmarked=True)
    before = store.user_states()
    sync.sync_days(store, client, [date(2026, 5, 8)])
    assert store.user_states() == before


def test_a_failed_day_keeps_what_was_stored(store, client, fake_api):
    sync.sync_days(store, client, [date(2026, 5, 8)])
    fake_api.fail("2026-05-08", *[Fault("status", status=503)] * 10)
    summary = sync.sync_days(store, client, [date(2026, 5, 8), date(2026, 5, 15)])
    assert not summary.ok
    assert [r.day for r in summary.failed] == [date(2026, 5, 8)]
    assert "HTTP 503" in summary.failed[0].error
    assert store.count() == 37 + 40
    assert store.count(__import__("papertui.query").query.parse_query("date:2026-05-08")) == 37


def test_truncated_json_fails_that_day_only(store, client, fake_api):
    body = __import__("json").dumps(day_08()).encode()[:3000]
    fake_api.fail("2026-05-08", *[Fault("body", body=body)] * 5)
    summary = sync.sync_days(store, client, [date(2026, 5, 8), date(2026, 5, 18)])
    assert [r.day for r in summary.failed] == [date(2026, 5, 8)]
    assert "not valid JSON" in summary.failed[0].error
    assert store.count() == 10


def test_wrong_types_are_skipped_and_counted(store, client, fake_api):
    items = day_08()
    items[1]["paper"]["upvotes"] = "many"
    fake_api.add_day("2026-05-08", items)
    summary = sync.sync_days(store, client, [date(2026, 5, 8)])
    assert summary.ok and summary.results[0].skipped == 1
    assert store.count() == 36
    assert store.day_records()["2026-05-08"].skipped == 1
    assert "1 item skipped" in summary.line()


def test_429_then_success(store, client, fake_api):
    fake_api.fail("2026-05-08", Fault("status", status=429, headers={"Retry-After": "0"}))
    summary = sync.sync_days(store, client, [date(2026, 5, 8)])
    assert summary.ok and store.count() == 37


def rec(day, fetched, complete=True):
    return DayRecord(day.isoformat(), fetched.isoformat(), 10, 0, complete)


def test_needs_fetch_rules():
    today = date(2026, 5, 20)
    old = date(2026, 5, 1)
    settled = datetime(2026, 5, 5, tzinfo=UTC)
    assert calendar_days.needs_fetch(old, None, today)
    assert calendar_days.needs_fetch(old, rec(old, settled, complete=False), today)
    assert not calendar_days.needs_fetch(old, rec(old, settled), today)
    assert calendar_days.needs_fetch(old, rec(old, datetime(2026, 5, 1, 18, tzinfo=UTC)), today)
    for recent in (today, today - timedelta(days=1)):
        assert calendar_days.needs_fetch(recent, rec(recent, datetime.now(UTC)), today)


def test_select_days_skips_settled_days(store, client):
    sync.sync_days(store, client, [date(2026, 5, 8)])
    today = date(2026, 11, 29)
    wanted = [date(2026, 5, 8), date(2026, 5, 11)]
    # fetched "now", long after 2026-05-08 settled; 05-11 was never fetched
    assert sync.select_days(store, wanted, today) == [date(2026, 5, 11)]
    assert sync.select_days(store, wanted, today, force=True) == wanted


def test_day_selection_parsing():
    assert len(calendar_days.week_days("2026-W19")) == 7 and calendar_days.week_days("2026-w19")[
        0
    ] == date(2026, 5, 4)
    assert len(calendar_days.month_days("2026-02")) == 28
    assert calendar_days.recent_days(3, date(2026, 5, 8))[-1] == date(2026, 5, 6)
    for bad, fn in [
        ("2026-5-8", calendar_days.parse_day),
        ("2026-02-30", calendar_days.parse_day),
        ("2026-W60", calendar_days.week_days),
        ("2026-13", calendar_days.month_days),
        ("May", calendar_days.month_days),
    ]:
        with pytest.raises(calendar_days.SyncRequestError):
            fn(bad)
    with pytest.raises(calendar_days.SyncRequestError, match="future"):
        calendar_days.clamp([date(2030, 1, 1)], date(2026, 5, 8), explicit=True)
    assert calendar_days.clamp(calendar_days.month_days("2026-05"), date(2026, 5, 8))[0] == date(
        2026, 5, 8
    )


def test_a_few_days_in_flight_at_once(store, client, fake_api):
    days = [date(2026, 5, 11), date(2026, 5, 12), date(2026, 5, 13), date(2026, 5, 14)]
    for day in days:
        fake_api.fail(day.isoformat(), Fault("hang", seconds=0.3))
    summary = sync.sync_days(store, client, days)
    assert summary.ok
    assert fake_api.max_in_flight == sync.PARALLEL_DAYS


def test_a_day_not_published_yet_is_neither_stored_nor_failed(store, client, fake_api):
    summary = sync.sync_days(store, client, [date(2026, 5, 19), date(2026, 5, 18)])
    assert summary.ok and summary.failed == []
    (later,) = [r for r in summary.results if r.day == date(2026, 5, 19)]
    assert later.not_published and later.ok and later.count == 0
    assert [r.day for r in summary.stored] == [date(2026, 5, 18)]
    assert [r.day for r in summary.not_published] == [date(2026, 5, 19)]
    assert set(store.day_records()) == {"2026-05-18"}
    assert summary.line().endswith("0 days failed; 1 day not published yet.")


def test_any_other_400_is_still_a_failed_day(store, client, fake_api):
    body = b'{"error": "Invalid date: 2026-05-18"}'
    fake_api.fail("2026-05-18", Fault("status", status=400, body=body))
    summary = sync.sync_days(store, client, [date(2026, 5, 18)])
    assert [r.day for r in summary.failed] == [date(2026, 5, 18)]
    assert not summary.results[0].not_published


def test_the_first_unreachable_day_ends_the_round(store):
    """A first run with no network: one day's "cannot reach" stands for all of them, instead of
    each of the seven waiting out its own retries before the reader can say "offline"."""
    import socket
    from datetime import date, timedelta

    from conftest import FAST_RETRY

    from papertui.hf_api import HfApi
    from papertui.ratelimit import RateLimiter
    from papertui.sync import sync_days

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    days = [date(2026, 5, 18) - timedelta(days=i) for i in range(7)]
    with HfApi(
        f"http://127.0.0.1:{port}", token="", retry=FAST_RETRY, limiter=RateLimiter(burst=1000)
    ) as api:
        summary = sync_days(store, api, days)
    assert len(summary.failed) == 7 and all(r.unreachable for r in summary.failed)
    not_tried = [r for r in summary.failed if r.error.startswith("not fetched")]
    assert len(not_tried) >= 4  # at most three were in flight when the first one failed
    assert store.day_records() == {}
