"""The whole archive in few requests: month lists for past months, one request a day for the
rest, a month that fails fetched day by day, progress with an ETA that counts the rate limiter,
and a `sync --all` that resumes after SIGKILL without fetching a finished month again.

Every server here is the loopback one (tests/fake_api.py) serving a synthetic archive of the real
one's shape (tests/archive.py).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from archive import Archive, make_items
from conftest import FAST_RETRY
from fake_api import FakeApi, Fault

from papertui import days as calendar_days
from papertui import sync
from papertui.hf_api import HfApi
from papertui.ratelimit import RateLimiter
from papertui.store import Store
from papertui.syncplan import MONTH_MIN_DAYS, Progress, Tracker, Unit, plan_units

FIRST, LAST = date(2024, 10, 1), date(2025, 1, 31)  # both schemas: 2024 without submittedOnDailyAt


@pytest.fixture
def archive_api():
    api = FakeApi(today="2026-01-01")
    api.days = Archive(FIRST, LAST, scale=0.5)
    with api:
        yield api


def client_of(api):
    return HfApi(api.url, token="", timeout=5, retry=FAST_RETRY, limiter=RateLimiter(burst=10**6))


def backfill(api, db, months):
    with Store(db) as store, client_of(api) as client:
        summary = sync.sync_days(
            store,
            client,
            calendar_days.span(FIRST, LAST)[::-1],
            months=months,
            today=date(2026, 1, 1),
        )
        assert summary.ok, summary.failed[:3]
        membership = store.conn.execute(
            "SELECT day, paper_id FROM day_papers ORDER BY day, paper_id"
        ).fetchall()
        return summary, store.day_records(), membership, store.count()


def test_month_lists_take_far_fewer_requests_and_store_the_same(archive_api, tmp_path):
    by_month, records_m, members_m, papers_m = backfill(archive_api, tmp_path / "m.db", True)
    month_requests = len(archive_api.requests)
    archive_api.requests.clear()
    by_day, records_d, members_d, papers_d = backfill(archive_api, tmp_path / "d.db", False)
    day_requests = len(archive_api.requests)
    assert papers_m == papers_d == archive_api.days.paper_count() > 0
    assert members_m == members_d  # every paper on the day it was listed, both ways
    assert (
        records_m.keys()
        == records_d.keys()
        == {d.isoformat() for d in calendar_days.span(FIRST, LAST)}
    )
    assert {d: (r.count, r.complete) for d, r in records_m.items()} == {
        d: (r.count, r.complete) for d, r in records_d.items()
    }
    # 4 months of ~600-1,100 papers: a list of 100 a page each, against one request a day
    assert day_requests == 123 and by_day.requests == 123
    assert month_requests == by_month.requests < day_requests / 2
    assert "0 days failed" in by_month.line()


def test_a_month_list_that_fails_is_fetched_day_by_day(archive_api, tmp_path):
    archive_api.fail("month:2024-11", *[Fault("status", status=400, body=b'{"error":"no"}')] * 2)
    summary, records, _, papers = backfill(archive_api, tmp_path / "m.db", True)
    assert (
        summary.fallbacks == [("2024-11", "127.0.0.1 refused the request: no")]
        or summary.fallbacks[0][0] == "2024-11"
    )
    november = [r for r in archive_api.requests if r.query.get("date", "").startswith("2024-11")]
    assert len(november) == 30  # its days, one by one
    assert len(records) == (LAST - FIRST).days + 1 and papers == archive_api.days.paper_count()


def test_items_go_to_their_own_day_and_strays_are_kept(tmp_path):
    """A month's list can hold an item submitted on a day outside it (a time zone's edge):
    it is stored on its own day, and no day's record claims it."""
    api = FakeApi(today="2026-01-01")
    items = {
        d.isoformat(): make_items(d, 3)
        for d in calendar_days.span(date(2024, 11, 1), date(2024, 11, 30))
    }
    stray = make_items(date(2024, 12, 1), 1)[0]  # old schema: its day is its publishedAt
    items["2024-11-30"] = [*items["2024-11-30"], stray]
    for day, listed in items.items():
        api.add_day(day, listed)
    with api, Store(tmp_path / "c.db") as store, client_of(api) as client:
        days = calendar_days.span(date(2024, 11, 1), date(2024, 11, 30))
        summary = sync.sync_days(store, client, days, today=date(2026, 1, 1))
        assert summary.ok and [r.query.get("month") for r in api.requests] == ["2024-11"]
        assert store.day_records()["2024-11-30"].count == 3
        assert store.paper(stray["paper"]["id"]).day == "2024-12-01"
        assert "2024-12-01" not in store.day_records()


def test_which_days_go_by_month():
    today = date(2026, 11, 29)
    november = calendar_days.span(date(2026, 11, 1), today)[::-1]
    october = calendar_days.span(date(2026, 10, 1), date(2026, 10, 31))[::-1]
    units = plan_units(november + october, today)
    assert units[-1] == Unit(tuple(october), "2026-10")  # a past, settled month: one list
    assert all(u.month is None for u in units[:-1])  # the current month: day by day
    few = october[: MONTH_MIN_DAYS - 1]
    assert all(u.month is None for u in plan_units(few, today))  # a few days: cheaper by day
    end_of_month = plan_units(october, date(2026, 11, 2))  # 31 Oct has not settled yet
    assert all(u.month is None for u in end_of_month)


def test_the_eta_counts_the_rate_limiter():
    class Clock:
        now = 0.0

    clock = Clock()
    limiter = RateLimiter(per_second=2.0, burst=10, clock=lambda: clock.now, sleep=lambda s: None)

    class Api:
        requests_made = 0

    api = Api()
    api.limiter = limiter
    units = [Unit((date(2026, 1, d),)) for d in range(1, 31)] + [Unit((), "2025-12")]
    seen: list[Progress] = []
    tracker = Tracker(api, units, 61, seen.append, clock=lambda: clock.now)
    tracker.tick()
    assert seen[-1].requests_left == 30 + 15  # 15: a month list's guess until one is seen
    # 45 requests, 10 in the bucket, then 2 a second: 17.5 s, however fast the first ones went
    assert seen[-1].eta == pytest.approx(17.5)
    for _ in range(10):  # the burst: quick
        limiter.acquire()
        api.requests_made += 1
    clock.now = 0.5
    tracker.unit_done(units[0], None)
    tracker.day_done()
    assert seen[-1].eta >= (44 - 1) / 2.0  # the bucket is spent: the limiter's pace
    assert 0 < seen[-1].fraction < 0.3


def test_the_progress_line(monkeypatch):
    from papertui.output import ProgressLine

    out = StringIO()
    with ProgressLine(out) as line:
        line.show(Progress(412, 1305, 180, 450, 437.0))
        line.show(Progress(1305, 1305, 630, 0, 0.0))
    text = out.getvalue()
    assert "412/1,305 days · 180 requests · ETA 7m 17s" in text
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "1,305/1,305 days · 630 requests" in text.split("\r")[-1]


def _records(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM days").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sync_all_resumes_after_sigkill_without_fetching_finished_months(tmp_path):
    today = datetime.now(UTC).date()
    api = FakeApi(today=today.isoformat())
    api.days = Archive(end=today, scale=0.04)  # every day since 2023-05-04, a few papers each
    db = tmp_path / "papers.db"
    env = {
        **os.environ,
        "PAPERTUI_DB": str(db),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HF_TOKEN": "",
    }
    total = (today - calendar_days.ARCHIVE_START).days + 1
    with api:
        env["PAPERTUI_API_URL"] = api.url
        api.fail("*", *[Fault("delay", seconds=0.05)] * 10_000)  # a server a little slow
        cmd = [sys.executable, "-m", "papertui", "sync", "--all"]
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while _records(db) < total // 3 and time.monotonic() < deadline:
            assert first.poll() is None, first.communicate()
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        stored = _records(db)
        assert total // 3 <= stored < total  # killed mid-archive
        with Store(db) as store:
            records = store.day_records()
            runs = store.sync_runs(1)
        assert runs[0].result is None  # the killed sync never finished
        finished = {
            key
            for key in {d[:7] for d in records}
            if all(
                day.isoformat() in records for day in calendar_days.month_days(key) if day <= today
            )
            and calendar_days.month_days(key)[-1] < today.replace(day=1)
        }
        assert len(finished) >= 5
        api.requests.clear()
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        fetched_months = {r.query["month"] for r in api.requests if "month" in r.query}
        assert not fetched_months & finished  # a finished month is not fetched again
        fetched_days = {r.query["date"] for r in api.requests if "date" in r.query}
        assert not fetched_days & {d for d in records if d[:7] in finished}
    with Store(db) as store:
        assert len(store.day_records()) == total
        assert store.count() == api.days.paper_count()
        assert store.sync_runs(1)[0].result == "ok"
    assert "Synced" in second.stdout


def test_a_month_lists_size_follows_the_trend_of_the_last_months():
    tracker = Tracker(object(), [], 0, None)
    assert tracker.pages_of("2026-07") == 15  # nothing seen yet: a guess
    seen = [("2026-10", 20), ("2026-09", 18), ("2026-08", 16)]
    for month, pages in seen:
        tracker.unit_done(Unit((), month), type("Batch", (), {"pages": pages})())
    assert tracker.pages_of("2026-07") == 18  # a few seen: their mean
    for month, pages in (("2026-07", 14), ("2026-06", 12), ("2026-05", 10)):
        tracker.unit_done(Unit((), month), type("Batch", (), {"pages": pages})())
    assert tracker.pages_of("2026-04") == 8  # enough seen: the archive shrinks going back
    assert tracker.pages_of("2020-01") == 5  # never below half the smallest seen
    assert tracker.pages_of("2030-01") == 20  # never more than any month seen
