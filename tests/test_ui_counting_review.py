"""The counts a long list shows after its rows: states a first version missed (a review).

Unlike test_ui_counting's gate (a Python wait before the count), the gate here is a statement
on the counting connection itself, so `Service.drop_counts` (SQLite's interrupt) stops it as
it would stop a slow count of a million papers."""

from __future__ import annotations

import asyncio
import threading

import pytest
from test_ui_counting import N, first_rows, long_list, until
from ui_helpers import make_app, run

from papertui.errors import StoreError
from papertui.service import Service
from papertui.store import Store
from papertui.store.errors import wrap_errors

# Runs until the gate opens, or until the connection is interrupted.
_WAIT = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE gate_open() = 0) "
    "SELECT count(*) AS n FROM c"
)


@pytest.fixture
def long_db(tmp_path):
    db = long_list(tmp_path / "long.db")
    with Store(db) as store:
        store.set_state([f"2601.{n:05d}" for n in range(10)], read=True)  # 440 unread
    return db


class SqlGate:
    """Closed: every `Service.total` first runs a statement on the counting connection that
    only ends when the gate opens (or the connection is interrupted)."""

    def __init__(self, monkeypatch):
        self.opened = threading.Event()
        self.calls = 0
        counted = Service.total
        gate = self

        @wrap_errors
        def wait(store):
            with store._lock:  # not while another thread's statement calls it: a deadlock
                store.conn.create_function("gate_open", 0, lambda: int(gate.opened.is_set()))
                return store._rows(_WAIT)

        def slow_total(service, where):
            gate.calls += 1
            wait(service._count_store())
            return counted(service, where)

        monkeypatch.setattr(Service, "total", slow_total)


@pytest.fixture
def sql_gate(monkeypatch):
    gate = SqlGate(monkeypatch)
    yield gate
    gate.opened.set()


def status(app) -> str:
    return str(app.status.render())


def test_an_unread_count_that_fails_is_not_replaced_by_the_total(long_db, tmp_path, monkeypatch):
    """`_counted`'s fallback for a count that fails on the counting connection is
    `store.count`, the TOTAL, whatever was being counted: an unread count that fails shows
    every paper of the list as unread (450 instead of 440)."""

    def failing_unread(self, where):
        raise StoreError("database is locked")

    monkeypatch.setattr(Service, "unread", failing_unread)

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: not app.counting and app.unread is not None)
            await pilot.pause(0.2)
            assert "450 unread" not in status(app)
            assert app.unread in (440, None)

    run(scenario())


def test_a_failed_search_after_a_list_still_being_counted_does_not_leave_it_counting(
    long_db, tmp_path, sql_gate, monkeypatch
):
    """The list shown is being counted; the next search fails in the cache (not a query the
    parser refuses: a StoreError, e.g. a busy or damaged cache). `refresh_list` dropped the
    count of the list shown, which stays on screen, and nothing counts it again: the status
    says '200+ papers · counting…' for good and `G` never reaches the end."""
    snapshot = Service.snapshot

    def failing(self, rq, window, **kw):
        if rq.text == "boom":
            raise StoreError("database disk image is malformed")
        return snapshot(self, rq, window, **kw)

    monkeypatch.setattr(Service, "snapshot", failing)

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            lst = app.paper_list
            await until(pilot, lambda: lst.total == 200 and app.counting and sql_gate.calls)
            await pilot.press("slash")
            app.search_bar.value = "boom"  # at once: no partial search runs
            await pilot.press("enter")
            await pilot.pause(0.5)
            sql_gate.opened.set()
            await pilot.pause(0.5)
            assert (app.total, app.counting) == (N, False), status(app)

    run(scenario())


def test_a_click_after_g_while_counting_is_where_the_cursor_stays(long_db, tmp_path, sql_gate):
    """`G` while counting keeps a pending move to the end (`PaperList._pending`); keys clear it
    (they go through `move_to`), but a click sets the cursor directly: once the count lands
    the cursor jumps from the row clicked to the end of the list."""

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            lst = await first_rows(pilot, app)
            await pilot.press("G")
            await until(pilot, lambda: lst.cursor == 199)
            lst.scroll_home(animate=False, immediate=True)
            await pilot.pause(0.1)
            y = lst.row_height * 2 + 1  # the third row (inside the border)
            assert await pilot.click(lst, offset=(5, y))
            await pilot.pause(0.1)
            clicked = lst.cursor
            assert clicked < 10
            sql_gate.opened.set()
            await until(pilot, lambda: not app.counting and lst.total == N)
            await pilot.pause(0.2)
            assert lst.cursor == clicked

    run(scenario())


@pytest.fixture
def py_gate(monkeypatch):
    """Closed: `Service.total` and `Service.unread` wait until it is opened (or 10 s)."""
    opened = threading.Event()
    for name in ("total", "unread"):
        counted = getattr(Service, name)

        def slow(self, where, counted=counted):
            opened.wait(10)
            return counted(self, where)

        monkeypatch.setattr(Service, name, slow)
    yield opened
    opened.set()


def test_a_new_sort_of_a_counted_list_does_not_count_it_again_on_screen(long_db, tmp_path, py_gate):
    """`s` shows the same papers in another order: the list's length and unread count are
    known, yet the status drops to '200+ papers · counting…' (and 'counting unread…') and the
    scrollbar to 200 rows until they are counted again (at a million papers: ~0.5 s). Before
    the rows-first change, the total stayed."""
    py_gate.set()

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: "450 papers · 440 unread" in status(app))
            py_gate.clear()  # counts are slow from here on
            await pilot.press("s")
            await until(pilot, lambda: app.rq.order != "upvotes" and app.paper_list.current)
            await pilot.pause(0.2)
            assert "450 papers · 440 unread" in status(app)

    run(scenario())


def test_mark_all_read_before_the_unread_count_with_nothing_unread_keeps_the_undo(
    long_db, tmp_path, py_gate
):
    """`A` while the unread count is not in (unread None) is no longer refused when nothing is
    unread: it makes an empty change ('0 papers marked read. ctrl+z undoes it.') that replaces
    the last real change, so ctrl+z no longer undoes the paper just marked."""
    with Store(long_db) as store:
        store.set_state([f"2601.{n:05d}" for n in range(N)], read=True)
        store.set_state(["2601.00449"], read=False)  # the top paper (most upvotes)
    py_gate.set()

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: "450 papers · 1 unread" in status(app))
            await pilot.press("m")  # the top paper read: the last change, for ctrl+z
            await until(pilot, lambda: app.unread == 0)
            py_gate.clear()  # counts are slow from here on
            await pilot.press("slash")
            app.search_bar.value = "paper"  # a new list, not counted yet
            await pilot.press("enter")
            await until(pilot, lambda: app.rq.text == "paper" and app.paper_list.current)
            await pilot.press("escape")  # back to the list (the search stays)
            await pilot.press("A")
            await pilot.pause(0.3)
            notes = [str(n.message) for n in app._notifications]
            assert not any("0 papers marked read" in n for n in notes), notes
            py_gate.set()

    run(scenario())


def test_quitting_while_counting_stops_the_count(long_db, tmp_path, sql_gate, monkeypatch):
    """Python waits for the workers' threads before `app.run()` returns, and so before
    `Service.close` would interrupt a count: the reader interrupts it as it unmounts, or quitting
    waits for the whole count (~0.4 s at a million papers, more on a slow disk). A safety net
    opens the gate after a few seconds so that the test ends either way."""
    interrupted = []
    wait_for = Service.total

    def recording(self, where):
        try:
            return wait_for(self, where)
        except StoreError as exc:
            interrupted.append(exc)
            raise

    monkeypatch.setattr(Service, "total", recording)
    net = threading.Timer(3, sql_gate.opened.set)

    async def scenario():
        app = make_app(long_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: app.paper_list.total == 200 and sql_gate.calls)
            net.start()
            await pilot.press("q")
        return app

    try:
        app = asyncio.run(scenario())  # as app.run() does: the executor's threads are awaited
        app.service.close()
    finally:
        net.cancel()
    assert not sql_gate.opened.is_set(), "the quit waited for the count until the gate opened"
    assert interrupted
