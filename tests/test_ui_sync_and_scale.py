"""The reader with a network (a loopback fake API), without one, with hostile data and at 100k papers."""

from __future__ import annotations

import time
from datetime import date

import pytest
from conftest import FAST_RETRY, day_08
from fake_api import Fault
from ui_helpers import make_app, run, screen_text, settle

from papertui.models import parse_items
from papertui.store import Store


@pytest.fixture
def fast_network(monkeypatch):
    import papertui.hf_api as hf

    monkeypatch.setattr(hf, "RetryPolicy", lambda: FAST_RETRY)
    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 18))


async def wait_for(pilot, condition, rounds: int = 60) -> None:
    for _ in range(rounds):
        await settle(pilot, rounds=1)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never became true")


def test_first_run_syncs_and_shows_papers_as_they_arrive(tmp_path, fake_api, fast_network):
    db = tmp_path / "fresh.db"

    async def scenario():
        app = make_app(db, tmp_path, offline=False, api_url=fake_api.url)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: not app.syncing and app.paper_list.total > 0)
            assert app.rq.view.anchor == date(2026, 5, 18)
            assert app.paper_list.total == 10
            assert "synced" in str(app.status.render())
            # a second sync only fetches today and yesterday
            fake_api.requests.clear()
            await pilot.press("r")
            await wait_for(pilot, lambda: not app.syncing)
            assert sorted(r.query["date"] for r in fake_api.requests) == [
                "2026-05-17",
                "2026-05-18",
            ]

    run(scenario())
    with Store(db) as store:
        assert store.count() == 50


@pytest.mark.slow
def test_an_open_reader_syncs_again_on_its_own(tmp_path, fake_api, fast_network):
    async def scenario():
        app = make_app(
            tmp_path / "a.db", tmp_path, offline=False, api_url=fake_api.url, auto_sync_minutes=5
        )
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: not app.syncing and app.paper_list.total > 0)
            assert any(t._interval == 300 for t in app._timers)
            fake_api.requests.clear()
            app.syncer.auto()  # what the 5-minute timer calls
            app.syncer.auto()  # and again while it runs: ignored, no second sync
            await wait_for(pilot, lambda: not app.syncing)
            assert sorted(r.query["date"] for r in fake_api.requests) == [
                "2026-05-17",
                "2026-05-18",
            ]
            assert not any("already running" in n.message for n in app._notifications)

    run(scenario())


@pytest.mark.slow
def test_sync_keeps_cursor_and_user_state(tmp_path, fake_api, fast_network):
    db = tmp_path / "c.db"
    with Store(db) as store:
        parsed = parse_items(day_08())
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)

    async def scenario():
        app = make_app(db, tmp_path, offline=False, api_url=fake_api.url, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("j", "j", "b")
            marked = app.paper_list.current.id
            await wait_for(pilot, lambda: not app.syncing)
            await wait_for(pilot, lambda: app.paper_list.total == 87)
            assert app.paper_list.current.id == marked
            assert app.paper_list.current.bookmarked

    run(scenario())


@pytest.mark.slow
def test_no_network_is_an_offline_state_not_a_crash(tmp_path, demo_db_path, fast_network):
    async def scenario():
        app = make_app(demo_db_path, tmp_path, offline=False, api_url="http://127.0.0.1:9")
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: not app.syncing and app.paper_list.total > 0)
            assert "offline" in str(app.status.render())
            await pilot.press("j", "m")
            assert app.paper_list.current.read

    run(scenario())


@pytest.mark.slow
def test_a_failing_day_is_reported_and_the_reader_keeps_working(tmp_path, fake_api, fast_network):
    fake_api.fail("2026-05-18", *[Fault("status", status=503)] * 10)

    async def scenario():
        app = make_app(tmp_path / "f.db", tmp_path, offline=False, api_url=fake_api.url)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: not app.syncing)
            assert "failed" in str(app.status.render())
            assert any("2026-05-18" in n.message for n in app._notifications)
            await wait_for(pilot, lambda: app.paper_list.total == 40)  # 2026-05-15 arrived

    run(scenario())


def test_a_day_not_published_yet_is_not_reported_as_a_failure(tmp_path, fake_api, fast_network):
    fake_api.today = "2026-05-17"  # the server has not reached our UTC day yet

    async def scenario():
        app = make_app(tmp_path / "n.db", tmp_path, offline=False, api_url=fake_api.url)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: not app.syncing and app.paper_list.total > 0)
            status = str(app.status.render())
            assert "synced" in status and "failed" not in status
            assert not [n for n in app._notifications if n.severity == "error"]

    run(scenario())


@pytest.mark.slow
def test_offline_mode_never_syncs(tmp_path, demo_db_path):
    async def scenario():
        app = make_app(demo_db_path, tmp_path, offline=True)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("r")
            await settle(pilot)
            assert any("Offline" in n.message for n in app._notifications)
            assert not app.syncing

    run(scenario())


HOSTILE_TITLE = (
    "[bold red]Markup[/] \x1b[2J\x1b]52;c;cm0gLXJm\x07 \u202eevil\u202c [link=file:///etc]x[/link]"
)


@pytest.mark.slow
def test_hostile_titles_and_huge_abstracts_render_literally(tmp_path):
    db = tmp_path / "h.db"
    items = day_08()[:3]
    items[0]["title"] = items[0]["paper"]["title"] = HOSTILE_TITLE
    items[0]["paper"]["authors"][0]["name"] = "[i]Eve[/i]\x1b[5m"
    items[0]["paper"]["githubRepo"] = "javascript:alert(1)"
    items[0]["paper"]["projectPage"] = "file:///etc/passwd"
    items[1]["summary"] = items[1]["paper"]["summary"] = "long abstract " * 15_000  # ~210 KB
    items[2]["title"] = items[2]["paper"]["title"] = "Very long title " * 700  # ~11,000 characters
    items[0]["paper"]["upvotes"], items[1]["paper"]["upvotes"] = 1000, 999
    with Store(db) as store:
        parsed = parse_items(items)
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)

    async def scenario():
        app = make_app(db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            first = screen_text(app).splitlines()[0]
            assert "[bold red]Markup[/]" in first and "\x1b" not in first and "\u202e" not in first
            detail = app.detail.paper
            assert detail.title.startswith("[bold red]Markup[/]")
            rendered = app.export_screenshot()
            assert "[bold red]Markup[/]" in rendered.replace("&#160;", " ")
            assert "javascript:" not in rendered and "file:///etc/passwd" not in rendered
            assert "[i]Eve[/i]" in rendered
            await pilot.press("Y")
            await settle(pilot)
            await pilot.press("g")  # the javascript: "GitHub link"
            await settle(pilot)
            assert any("Refused to copy the GitHub link" in n.message for n in app._notifications)
            await pilot.press("j")
            await settle(pilot)
            assert len(app.detail.paper.abstract) > 200_000
            app.detail.focus()
            await pilot.press("G")
            await settle(pilot)
            assert app.detail.scroll_y > 100
            app.paper_list.focus()
            await pilot.press("j")
            await settle(pilot)
            line = screen_text(app).splitlines()[2]
            assert line.rstrip().endswith("05-08") and "…" in line  # truncated to the pane
            assert app.detail.paper.title.startswith("Very long title")

    run(scenario())


@pytest.mark.slow
def test_100k_papers_list_opens_and_moves(tmp_path, cache_100k):
    """A smoke test at 100,000 papers: the list opens, jumps and searches (no timing asserted)."""
    db = cache_100k

    async def scenario():
        started = time.monotonic()
        app = make_app(db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert app.paper_list.total == 100_000
            assert app.paper_list.current is not None
            await pilot.press("G")
            await settle(pilot)
            assert app.paper_list.cursor == 99_999 and app.paper_list.current is not None
            assert all(line.strip() != "…" for line in screen_text(app).splitlines())  # rows loaded
            await pilot.press("pageup", "k", "g")
            await settle(pilot)
            assert app.paper_list.current.upvotes == 300
            from ui_helpers import type_search

            await type_search(pilot, "robot memory")
            assert 0 < app.paper_list.total < 100_000
            print(f"100k smoke scenario took {time.monotonic() - started:.2f}s")

    run(scenario())


def test_a_first_run_ends_on_the_newest_day_whatever_order_days_land_in(
    tmp_path, fake_api, fast_network
):
    fake_api.fail("2026-05-18", Fault("delay", seconds=1.0))  # the newest day lands last

    async def scenario():
        app = make_app(tmp_path / "fresh.db", tmp_path, offline=False, api_url=fake_api.url)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: not app.syncing and app.paper_list.total > 0)
            await settle(pilot)
            assert app.rq.view.anchor == date(2026, 5, 18)

    run(scenario())


def test_the_service_counts_a_list_apart_from_its_rows(tmp_path):
    from papertui.service import Service
    from papertui.views import ReaderQuery, View

    db = tmp_path / "c.db"
    items = [
        {"paper": {"id": f"2601.{n:05d}", "title": f"Paper {n}", "upvotes": n}} for n in range(30)
    ]
    with Store(db) as store:
        store.upsert(parse_items(items).entries, day="2026-01-05", record_day=True)
    with Service(db) as service:
        rq = ReaderQuery(View("all", None))
        deferred = service.snapshot(rq, 10, counted=False)
        assert deferred.total is None and len(deferred.rows) == 10
        assert service.total(deferred.where) == 30
        assert service._counts is not None  # counted on a connection of its own
        assert service.snapshot(rq, 10).total == 30  # counted at once
        assert service.snapshot(rq, 50, counted=False).total == 30  # the rows are all there are
        whole = service.snapshot(rq, 30, counted=False)  # exactly a window: known all the same
        assert (whole.total, len(whole.rows)) == (30, 30)


ENDLESS = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"


def test_a_count_nobody_waits_for_is_dropped(tmp_path):
    """`drop_counts` stops the count running on the counting connection (ReadInterrupted); the
    connection then counts again as before."""
    import threading

    from papertui.errors import ReadInterrupted
    from papertui.query import EVERYTHING
    from papertui.service import Service
    from papertui.store.errors import wrap_errors

    db = tmp_path / "c.db"
    with Store(db) as store:
        store.upsert(parse_items([{"paper": {"id": "2601.00001", "title": "A"}}]).entries)
    with Service(db) as service:
        counting = service._count_store()
        endless = wrap_errors(lambda self: self.conn.execute(ENDLESS).fetchone())
        outcome = []

        def count():
            try:
                endless(counting)
            except ReadInterrupted as exc:
                outcome.append(exc)

        thread = threading.Thread(target=count, daemon=True)
        thread.start()
        for _ in range(200):  # a drop before the statement starts does nothing: again
            time.sleep(0.02)
            service.drop_counts()
            thread.join(0.02)
            if not thread.is_alive():
                break
        assert not thread.is_alive() and len(outcome) == 1
        assert service.total(EVERYTHING) == 1
