"""A long list drawn before its total: what the reader does while the total is still being
counted. The count is held back by a gate, as a slow count of a million papers would be."""

from __future__ import annotations

import threading

import pytest
from ui_helpers import make_app, run

from papertui.models import parse_items
from papertui.service import Service
from papertui.store import Store

N = 450  # more than one block (200) of rows


def long_list(db):
    """A cache of N papers on one day, upvotes N-1 down to 0 by id from the last: all unread."""
    items = [
        {"paper": {"id": f"2601.{n:05d}", "title": f"Paper {n}", "upvotes": n, "authors": []}}
        for n in range(N)
    ]
    with Store(db) as store:
        store.upsert(parse_items(items).entries, day="2026-01-05", record_day=True)
    return db


@pytest.fixture
def long_db(tmp_path):
    return long_list(tmp_path / "long.db")


@pytest.fixture
def gate(monkeypatch):
    """Closed: `Service.total` waits until it is opened (or 10 s)."""
    opened = threading.Event()
    counted = Service.total

    def slow_total(self, where):
        opened.wait(10)
        return counted(self, where)

    monkeypatch.setattr(Service, "total", slow_total)
    yield opened
    opened.set()


async def first_rows(pilot, app):
    """The list, once its first block of rows is drawn (its total still being counted)."""
    lst = app.paper_list
    await until(pilot, lambda: lst.total == 200 and lst.current is not None)
    return lst


async def until(pilot, condition, rounds: int = 150):
    for _ in range(rounds):
        await pilot.pause(0.02)
        if condition():
            return
    raise AssertionError("condition never became true")


def test_next_unread_while_counting_finds_the_unread_paper_past_the_drawn_rows(
    long_db, tmp_path, gate
):
    """The first 300 papers (by upvotes) are read: `n` from the top reaches the 301st, past the
    200 rows drawn while the total is being counted (the cache is asked, the cursor goes there
    once the list's length is known)."""
    with Store(long_db) as store:
        store.set_state([f"2601.{n:05d}" for n in range(N - 300, N)], read=True)

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            lst = await first_rows(pilot, app)
            assert app.counting and lst.cursor == 0
            await pilot.press("n")
            await pilot.pause(0.3)
            notes = [str(n.message) for n in app._notifications]
            assert "No more unread papers here." not in notes
            gate.set()
            await until(pilot, lambda: lst.cursor == 300)

    run(scenario())


def test_a_new_search_from_deep_in_a_list_is_drawn_before_it_is_counted(long_db, tmp_path, gate):
    """The cursor was past the first block of the last list: a new search starts at the top, so
    it is drawn before it is counted like any other."""
    gate.set()

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            lst = app.paper_list
            await until(pilot, lambda: lst.total == N and not app.counting)
            await pilot.press("G")
            await until(pilot, lambda: lst.cursor == N - 1)
            gate.clear()  # counts are slow from here on
            await pilot.press("slash")
            app.search_bar.value = "paper"  # at once: no partial search runs
            await pilot.press("enter")
            # the new list's rows are drawn at once, its total to follow
            await until(pilot, lambda: app.rq.text == "paper" and lst.total == 200 and app.counting)
            assert lst.cursor == 0
            gate.set()

    run(scenario())


def test_g_then_gg_before_the_count_stays_at_the_top(long_db, tmp_path, gate):
    """`G` pressed while counting, then `g`: the count must not send the cursor to the end
    after the reader asked for the top."""

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            lst = await first_rows(pilot, app)
            await pilot.press("G")
            await until(pilot, lambda: lst.cursor == 199)
            await pilot.press("g")
            await until(pilot, lambda: lst.cursor == 0)
            gate.set()
            await until(pilot, lambda: not app.counting and lst.total == N)
            await pilot.pause(0.1)
            assert lst.cursor == 0  # not the end the first `G` asked for

    run(scenario())


def test_a_bad_query_while_counting_keeps_the_last_good_list_whole(long_db, tmp_path, gate):
    """A search that can't be understood keeps the last good result (test_ui's
    test_a_bad_query_shows_in_the_bar_not_a_crash). Typed while that result was still being
    counted, the result is still counted: the list gets its whole length and `G` its end."""

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            lst = await first_rows(pilot, app)
            await pilot.press("slash")
            app.search_bar.value = "date:2026-059"  # at once: no partial search runs
            await pilot.press("enter")
            await until(pilot, lambda: bool(app.query_error))
            gate.set()
            await pilot.pause(0.3)
            await pilot.press("G")
            await pilot.pause(0.3)
            assert (lst.total, lst.counting) == (N, False)
            assert lst.cursor == N - 1

    run(scenario())


def on_screen(app) -> str:
    """The status line as drawn (cut to its width), not the text it was given."""
    return app.status.render_line(0).text


@pytest.mark.parametrize("size, waiting", [((120, 36), "counting unread…"), ((80, 24), "unread…")])
def test_a_new_list_never_shows_the_last_lists_unread_count(
    long_db, tmp_path, monkeypatch, size, waiting
):
    """Until a new list's unread papers are counted, the status line says so, rather than
    showing the last list's count next to the new total; at 80 columns in a shorter word, so
    that the ellipsis doesn't cut it to 'counting'."""
    with Store(long_db) as store:
        store.set_state([f"2601.{n:05d}" for n in range(10)], read=True)
    opened = threading.Event()
    counted = Service.unread

    def slow_unread(self, where):
        if "'paper'" in repr(where):
            opened.wait(10)
        return counted(self, where)

    monkeypatch.setattr(Service, "unread", slow_unread)

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: "450 papers · 440 unread" in on_screen(app))
            await pilot.press("slash")
            app.search_bar.value = "paper paper paper"  # 85 columns before this change
            await until(pilot, lambda: f"450 papers · {waiting} " in on_screen(app))
            opened.set()
            await until(pilot, lambda: "450 papers · 440 unread" in on_screen(app))

    try:
        run(scenario())
    finally:
        opened.set()


def test_a_long_list_is_drawn_before_it_is_counted(long_db, tmp_path, gate):
    """The reader draws a list's first rows as soon as they are read and its total once it is
    counted (a word in most of a million papers: ~20 ms, then ~140 ms): meanwhile the status
    line says so, and `G` pressed before the count goes to the real end once it is known."""

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            lst = await first_rows(pilot, app)
            assert app.counting and lst.current.id == "2601.00449"
            await until(pilot, lambda: "200+ papers · counting…" in str(app.status.render()))
            await pilot.press("G")
            await until(pilot, lambda: lst.cursor == 199)
            gate.set()
            await until(pilot, lambda: lst.total == N and not app.counting)
            assert lst.cursor == N - 1
            await until(pilot, lambda: lst.current is not None and lst.current.id == "2601.00000")
            await until(pilot, lambda: f"{N} papers" in str(app.status.render()))

    run(scenario())


ENDLESS = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"


def test_a_new_search_drops_the_last_lists_count(long_db, tmp_path, monkeypatch):
    """Typing a new search while the last list is still being counted stops that count: the
    new list is counted at once, and the old count never lands on it."""
    from papertui.store.errors import wrap_errors

    counted = Service.total
    endless = wrap_errors(lambda store: store.conn.execute(ENDLESS).fetchone()[0])

    def total(self, where):
        if "'paper'" in repr(where):
            return counted(self, where)
        return endless(self._count_store())  # the first list: counts until it is dropped

    monkeypatch.setattr(Service, "total", total)

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: app.counting and app.paper_list.total == 200)
            await pilot.press("slash")
            for ch in "paper":
                await pilot.press(ch)
            await until(pilot, lambda: app.rq.text == "paper" and not app.counting)
            assert app.paper_list.total == N
            await until(pilot, lambda: f"{N} papers" in str(app.status.render()))

    run(scenario())


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
def test_the_counts_stay_whole_on_one_line_whatever_else_the_status_says(long_db, tmp_path, size):
    """A long view and a sync message used to push the counts out of the line (or wrap it onto
    a second row that stayed after the text got short again): the view is cut first."""
    from papertui.ui.state import SyncState

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: "450 papers · 450 unread" in on_screen(app))
            height = app.status.size.height
            app.sync_state = SyncState(False, "offline · showing cached papers", "status--offline")
            await pilot.press("slash")
            app.search_bar.value = "paper paper paper paper paper paper paper paper"
            await pilot.press("enter", "u", "B")  # unread only, bookmarks only: a long view
            await until(pilot, lambda: "0 papers · 0 unread" in on_screen(app))
            line = on_screen(app)
            assert line.rstrip().endswith("0 papers · 0 unread") and "offline" in line, line
            assert "…" in line  # the view, cut
            await pilot.press("B", "u", "escape")
            await until(pilot, lambda: "450 papers · 450 unread" in on_screen(app))
            await pilot.pause(0.1)
            assert app.status.size.height == height == 1

    run(scenario())
