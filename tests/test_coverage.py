"""What the cache has, day by day (`Service.coverage`) and in sum (`papertui status`)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from coverage_data import (
    ERROR,
    FAILED,
    IMPORTED,
    MISSING,
    REFETCH_FAILED,
    SKIPPED,
    STALE,
    build_coverage_cache,
)

from papertui.coverage import DayState, classify, fetch_span, ranges
from papertui.models import DayFailure, DayRecord
from papertui.service import Service

TODAY = date(2026, 11, 29)


@pytest.fixture(scope="module")
def crafted_template(tmp_path_factory):
    return build_coverage_cache(tmp_path_factory.mktemp("coverage") / "crafted.db")


@pytest.fixture
def crafted(tmp_path, crafted_template):
    from conftest import _copy_cache

    return _copy_cache(crafted_template, tmp_path / "crafted.db")


def test_each_state_from_a_crafted_cache(crafted):
    with Service(crafted, offline=True) as service:
        days = {d.day: d for d in service.coverage(date(2026, 5, 1), date(2026, 5, 31), TODAY)}
    assert days[FAILED].state is DayState.FAILED and days[FAILED].reason == ERROR
    assert days[FAILED].papers == 0
    assert days[MISSING].state is DayState.MISSING
    assert days[SKIPPED].state is DayState.PARTIAL and "3 items" in days[SKIPPED].reason
    assert days[STALE].state is DayState.STALE and "before the day settled" in days[STALE].reason
    assert days[IMPORTED].state is DayState.PARTIAL and "never fetched" in days[IMPORTED].reason
    assert days[IMPORTED].unread == days[IMPORTED].papers > 0
    refetch = days[REFETCH_FAILED]  # its refetch failed, but the day it holds is whole
    assert refetch.state is DayState.COMPLETE and refetch.papers > 0
    assert days[date(2026, 5, 4)].state is DayState.COMPLETE
    assert days[date(2026, 5, 4)].unread == days[date(2026, 5, 4)].papers * 2 // 3
    assert days[date(2026, 5, 9)].state is DayState.EMPTY  # a Saturday with no papers
    assert sum(d.state is DayState.COMPLETE for d in days.values()) == 14


def test_states_without_counts_are_the_same(crafted):
    """`status` and the archive strip ask for the states alone: only the days never fetched are
    counted (their state depends on it), and every state is the one the full count gives."""
    with Service(crafted, offline=True) as service:
        counted = service.coverage(date(2023, 5, 4), TODAY, TODAY)
        states = service.coverage(date(2023, 5, 4), TODAY, TODAY, counts=False)
    assert [(d.day, d.state, d.reason) for d in states] == [
        (d.day, d.state, d.reason) for d in counted
    ]
    imported = next(d for d in states if d.day == IMPORTED)
    assert imported.papers == next(d.papers for d in counted if d.day == IMPORTED) > 0
    assert all(d.unread == 0 for d in states)
    assert sum(d.papers for d in states) < sum(d.papers for d in counted)


def test_states_without_counts_agree_for_bounds_that_are_not_dates(tmp_path):
    """A bound that is not a day (`2026-05-32`) counts every day between, as with counts."""
    from conftest import day_08

    from papertui.models import parse_items
    from papertui.store import Store

    with Store(tmp_path / "c.db") as store:
        store.upsert(parse_items(day_08()).entries, day="2026-05-08")  # imported: no day record
        _, _, counted = store.coverage_facts("2026-05-01", "2026-05-32", counts=True)
        _, _, states = store.coverage_facts("2026-05-01", "2026-05-32", counts=False)
    assert counted["2026-05-08"][0] == states["2026-05-08"][0] == 37


def test_states_at_the_edges():
    record = DayRecord("2026-05-08", "2026-05-08T20:00:00+00:00", 37, 0, True)
    today = date(2026, 5, 9)
    assert classify(date(2026, 5, 8), record, None, 37, today)[0] is DayState.STALE  # yesterday
    settled = DayRecord("2026-05-08", "2026-05-11T20:00:00+00:00", 37, 0, True)
    assert classify(date(2026, 5, 8), settled, None, 37, date(2026, 6, 1))[0] is DayState.COMPLETE
    older = DayFailure("2026-05-08", "2026-05-10T00:00:00+00:00", "boom")
    assert classify(date(2026, 5, 8), settled, older, 37, date(2026, 6, 1))[0] is DayState.COMPLETE
    later = DayFailure("2026-05-08", "2026-05-20T00:00:00+00:00", "boom")
    # a whole, settled day whose refetch failed lacks nothing; a stale one is failed
    assert classify(date(2026, 5, 8), settled, later, 37, date(2026, 6, 1))[0] is DayState.COMPLETE
    assert classify(date(2026, 5, 8), record, later, 37, today) == (DayState.FAILED, "boom")
    assert classify(date(2026, 5, 8), None, later, 0, today) == (DayState.FAILED, "boom")
    assert classify(date(2023, 5, 3), None, None, 0, today)[0] is DayState.OUTSIDE
    assert classify(date(2026, 5, 10), None, None, 0, today)[0] is DayState.OUTSIDE
    assert classify(date(2023, 5, 4), None, None, 0, today)[0] is DayState.MISSING


def test_what_the_calendar_fetches():
    from papertui.coverage import DayCoverage

    known = {
        date(2026, 5, d): DayCoverage(date(2026, 5, d), DayState.COMPLETE) for d in range(1, 32)
    }
    span = fetch_span("week", date(2026, 5, 13), TODAY, known)  # lacks nothing: all again
    assert span.days == tuple(date(2026, 5, d) for d in range(11, 18))
    known[date(2026, 5, 12)] = DayCoverage(date(2026, 5, 12), DayState.MISSING)
    known[date(2026, 5, 20)] = DayCoverage(date(2026, 5, 20), DayState.PARTIAL)
    span = fetch_span("month", date(2026, 5, 13), TODAY, known)
    assert (span.days, span.what) == ((date(2026, 5, 12), date(2026, 5, 20)), "May 2026")
    assert fetch_span("day", date(2026, 5, 4), TODAY, known).days == (date(2026, 5, 4),)
    assert fetch_span("month", date(2026, 11, 3), TODAY, {}).days[-1] == TODAY  # not later
    assert "No Daily Papers" in fetch_span("day", date(2023, 5, 1), TODAY, known)
    assert fetch_span("week", date(2023, 5, 3), TODAY, {}).days[0] == date(2023, 5, 4)


def test_ranges_join_consecutive_days():
    from papertui.coverage import DayCoverage

    days = [
        DayCoverage(date(2026, 5, d), DayState.MISSING if d in (1, 2, 3, 7) else DayState.EMPTY)
        for d in range(1, 10)
    ]
    assert ranges(days, {DayState.MISSING}) == [
        (date(2026, 5, 1), date(2026, 5, 3)),
        (date(2026, 5, 7), date(2026, 5, 7)),
    ]


def test_status_json_has_every_field(run, db_path, fake_api, crafted, monkeypatch):
    monkeypatch.setenv("PAPERTUI_DB", str(crafted))
    from papertui.service import Service

    with Service(crafted, offline=True) as service:  # a tag and a note of yours
        first = service.search("date:2026-05-04", limit=2).papers
        service.set_tags(first[0].id, ["ml"])
        service.set_note(first[1].id, "read the appendix")
    result = run("sync", "--date", "2026-05-18", "--force")  # one sync, logged
    assert result.exit_code == 0, result.output
    result = run("status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert set(status) == {
        "path",
        "size_bytes",
        "papers",
        "unread",
        "bookmarked",
        "tagged",
        "noted",
        "full_texts",
        "history_rows",
        "archive_start",
        "today",
        "first_day",
        "last_day",
        "days",
        "missing_ranges",
        "stale_ranges",
        "failed_days",
        "last_sync",
        "schema_version",
        "migrations",
    }
    assert status["path"] == str(crafted) and status["size_bytes"] > 100_000
    assert status["papers"] == 1_500 + 10 and status["bookmarked"] == 0
    assert status["unread"] < status["papers"]
    assert status["tagged"] == 1 and status["noted"] == 1
    assert status["full_texts"] == 0  # the full-text table exists (m004), empty here
    assert (status["first_day"], status["last_day"]) == ("2026-05-01", "2026-05-31")
    assert status["archive_start"] == "2023-05-04"
    days = status["days"]
    assert set(days) == {"complete", "stale", "partial", "failed", "missing", "no_papers"}
    assert days["failed"] == 1 and days["partial"] == 2 and days["no_papers"] >= 9
    assert {"from": "2026-05-12", "to": "2026-05-12", "days": 1} in status["missing_ranges"]
    assert status["missing_ranges"][0]["from"] == "2023-05-04"
    assert {f["day"] for f in status["failed_days"]} == {"2026-05-11"}
    assert status["failed_days"][0]["error"] == ERROR
    last = status["last_sync"]
    assert last["what"] == "2026-05-18" and last["result"] == "ok"
    assert last["stored"] == 1 and last["new"] == 10 and last["requests"] == 1
    assert (
        status["schema_version"] == "m010_read_papers" and status["migrations"][0] == "m001_initial"
    )
    # 18 May was just stored: it is no longer missing
    assert all(r["from"] != "2026-05-18" for r in status["missing_ranges"])


def test_status_for_people_and_without_a_cache(run, db_path, crafted, monkeypatch):
    result = run("status")
    assert result.exit_code == 1 and "no cache at" in result.output  # nothing made
    assert not db_path.exists()
    monkeypatch.setenv("PAPERTUI_DB", str(crafted))
    result = run("status")
    assert result.exit_code == 0, result.output
    text = result.output
    for label in ("Cache", "Papers", "Covered", "Days", "Missing", "Failed", "Last sync", "Schema"):
        assert f"\n{label}" in "\n" + text, label
    assert "2026-05-11: " + ERROR in text
    assert re.search(r"^Last sync +never", text, re.M)
    assert "papertui sync --all" in text  # how to fill the holes


def test_a_killed_sync_shows_as_unfinished(run, crafted, monkeypatch):
    monkeypatch.setenv("PAPERTUI_DB", str(crafted))
    from papertui.store import Store

    with Store(crafted) as store:
        store.start_sync_run("the whole archive", 1300)
    status = json.loads(run("status", "--json").output)
    assert status["last_sync"]["result"] == "unfinished"
    assert "did not finish" in run("status").output
