"""The coverage calendar (`c`) and the list's marks of what changed, driven as a person would."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, date, datetime, timedelta

import pytest
from archive import make_items
from conftest import day_08, latest_by_day
from coverage_data import ERROR, FAILED, IMPORTED, MISSING, SKIPPED, STALE, build_coverage_cache
from ui_helpers import make_app, settle

from papertui.coverage import DayState
from papertui.models import parse_items
from papertui.store import Store
from papertui.ui.screens.calendar import ArchiveStrip, CalendarScreen
from papertui.views import View

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def crafted_template(tmp_path_factory):
    return build_coverage_cache(tmp_path_factory.mktemp("calendar") / "crafted.db")


@pytest.fixture
def crafted(tmp_path, crafted_template):
    from conftest import _copy_cache

    return _copy_cache(crafted_template, tmp_path / "crafted.db")


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def open_calendar(pilot):
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CalendarScreen)
    return screen


async def go_to(pilot, screen, day: date) -> None:
    """Walk the cursor to `day` with the calendar's own keys (weeks, then days)."""
    while (screen.grid.cursor - day).days >= 7:
        await pilot.press("k")
    while (day - screen.grid.cursor).days >= 7:
        await pilot.press("j")
    while screen.grid.cursor > day:
        await pilot.press("h")
    while screen.grid.cursor < day:
        await pilot.press("l")
    await settle(pilot)


def test_each_day_is_marked_with_its_state(crafted, tmp_path):
    async def scenario():
        app = make_app(crafted, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_calendar(pilot)
            grid = screen.grid
            assert grid.cursor == date(2026, 5, 29)  # the month of the day shown: the latest
            states = {d: grid.days[d].state for d in (FAILED, MISSING, SKIPPED, STALE, IMPORTED)}
            assert states == {
                FAILED: DayState.FAILED,
                MISSING: DayState.MISSING,
                SKIPPED: DayState.PARTIAL,
                STALE: DayState.STALE,
                IMPORTED: DayState.PARTIAL,
            }
            assert grid.days[date(2026, 5, 4)].state is DayState.COMPLETE
            assert grid.days[date(2026, 5, 9)].state is DayState.EMPTY
            drawn = grid.render().plain
            for mark in ("11 ✗", "12 ·", "13 ◐", "15 ~", "20 ◐", " 4 ✓", " 9 –"):
                assert mark in drawn, mark
            four = grid.days[date(2026, 5, 4)]
            assert f"{four.papers:>3} ●{four.unread}" in drawn  # its papers and unread
            assert "Coverage · May 2026" in text_of(screen, "#calendar-title")
            await go_to(pilot, screen, FAILED)
            assert "Mon 11 May 2026 — failed" in text_of(screen, "#calendar-day")
            assert ERROR in text_of(screen, "#calendar-reason")
            await go_to(pilot, screen, STALE)
            assert "before the day settled" in text_of(screen, "#calendar-reason")
            # clear at 80x24: every week, the day's facts, the legend and the footer fit
            for selector in ("#calendar-grid", "#calendar-reason", "#calendar-legend"):
                region = screen.query_one(selector).region
                assert 0 < region.bottom <= 23 and region.right <= 80, selector
            assert screen.query_one("#calendar-grid").region.height >= 11  # 5 weeks of 2 lines
            assert not screen.query_one(ArchiveStrip).display  # no room for the archive's overview
            # months page with [ and ]; June has nothing yet
            await pilot.press("right_square_bracket")
            await settle(pilot)
            assert grid.cursor == date(2026, 6, 15)  # the same day of the next month
            assert {d.state for d in grid.days.values()} == {DayState.MISSING}
            await pilot.press("left_square_bracket", "left_square_bracket")
            await settle(pilot)
            assert grid.cursor.month == 4 and "April 2026" in text_of(screen, "#calendar-title")
            # keys of the list do nothing here: m is "fetch the month" (offline: refused)
            await pilot.press("m")
            await settle(pilot)
            assert isinstance(app.screen, CalendarScreen)
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, CalendarScreen)

    asyncio.run(scenario())


def test_enter_opens_the_day_in_the_list(crafted, tmp_path):
    async def scenario():
        app = make_app(crafted, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("slash", "a", "b", "c", "enter")  # a search is on: Enter leaves it
            await settle(pilot)
            await pilot.press("c")
            await settle(pilot)
            screen = app.screen
            assert screen.grid.cursor == date.today() or isinstance(screen, CalendarScreen)
            await pilot.press("left_curly_bracket")  # a year back, then to May 2026
            await settle(pilot)
            while screen.grid.cursor.month != 5 or screen.grid.cursor.year != 2026:
                await pilot.press(
                    "right_square_bracket"
                    if screen.grid.cursor < date(2026, 5, 1)
                    else "left_square_bracket"
                )
            await settle(pilot)
            await go_to(pilot, screen, SKIPPED)
            papers = screen.grid.days[SKIPPED].papers
            strip = screen.query_one(ArchiveStrip)  # the whole archive, a month a mark
            assert strip.display and strip.months[(2026, 5)] is DayState.FAILED
            assert strip.months[(2026, 4)] is DayState.MISSING
            assert "2023" in strip.render().plain and "Year  Jan Feb" in strip.render().plain
            await pilot.press("enter")
            await settle(pilot)
            assert not isinstance(app.screen, CalendarScreen)
            assert app.rq.view == View("day", SKIPPED) and app.rq.text == ""
            assert app.paper_list.total == papers
            assert app.search_bar.value == ""

    asyncio.run(scenario())


def test_fetching_from_the_calendar_over_the_loopback_server(crafted, tmp_path, fake_api):
    fake_api.add_day(MISSING.isoformat(), make_items(MISSING, 12))
    fake_api.add_day(FAILED.isoformat(), make_items(FAILED, 7))

    async def scenario():
        app = make_app(crafted, tmp_path, offline=False, api_url=fake_api.url)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_calendar(pilot)
            await settle(pilot)
            await go_to(pilot, screen, MISSING)
            fake_api.requests.clear()
            await pilot.press("f")  # this day
            for _ in range(5):
                await settle(pilot)
            assert [r.query.get("date") for r in fake_api.requests] == [MISSING.isoformat()]
            assert screen.grid.days[MISSING].state is DayState.COMPLETE
            assert screen.grid.days[MISSING].papers == 12
            assert "synced 12 May" in text_of(screen, "#calendar-sync")
            fake_api.requests.clear()
            await pilot.press("w")  # its week: what it lacks (11 failed, 13 partial, 15 stale)
            for _ in range(5):
                await settle(pilot)
            asked = sorted(r.query.get("date") for r in fake_api.requests)
            assert asked == ["2026-05-11", "2026-05-13", "2026-05-15"]
            assert screen.grid.days[FAILED].state is DayState.COMPLETE
            assert screen.grid.days[FAILED].papers == 7
            assert "synced week 2026-W20" in text_of(screen, "#calendar-sync")

    asyncio.run(scenario())


def test_the_list_marks_what_changed(tmp_path, monkeypatch):
    """New since the last session (✦, and a count at start), upvotes gained (+N in the rising
    sort), a repo gained since the paper was last opened (◆, gone once it is opened)."""
    import papertui.store.cache as cache
    import papertui.store.rows as rows

    db = tmp_path / "c.db"
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = {"now": ""}
    monkeypatch.setattr(rows, "utc_now", lambda: stamp["now"])
    monkeypatch.setattr(cache, "utc_now", lambda: stamp["now"])

    def at(delta: timedelta) -> None:
        stamp["now"] = (now + delta).isoformat()

    items = day_08()
    plain = next(i for i in range(len(items)) if not items[i]["paper"].get("githubRepo"))
    with Store(db) as store:
        at(timedelta(hours=-3))
        store.upsert(parse_items(items).entries, day="2026-05-08", record_day=True)
        at(timedelta(hours=-2))
        store.save_reader_session("{}")  # the last session ended two hours ago
        at(timedelta(hours=-1))
        changed = copy.deepcopy(items)
        changed[30]["paper"]["upvotes"] += 25
        changed[10]["paper"]["upvotes"] += 4
        changed[plain]["paper"]["githubRepo"] = "https://github.com/example/new"
        store.upsert(parse_items(changed).entries, day="2026-05-08", record_day=True)
        store.upsert(parse_items(latest_by_day()["2026-05-15"]).entries, day="2026-05-15")
        store.set_note(items[plain]["paper"]["id"], "my note")  # ✎ gives way to ◆ until opened
    monkeypatch.undo()
    rising, second = items[30]["paper"]["id"], items[10]["paper"]["id"]
    linked = items[plain]["paper"]["id"]

    async def scenario():
        app = make_app(db, tmp_path, default_view="all", sort="rising")
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            await settle(pilot)
            notices = [n.message for n in app._notifications]
            assert "40 papers new since last time (search is:new to list them)." in notices
            first, then = app.paper_list.row_at(0), app.paper_list.row_at(1)
            assert (first.id, first.gained, then.id, then.gained) == (rising, 25, second, 4)
            line = app.paper_list._row_strip(first, 100).text
            assert "  +25 " in line
            rows_ = [app.paper_list.row_at(i) for i in range(app.paper_list.total)]
            new = [r for r in rows_ if r.new]
            assert len(new) == 40 and all(r.day == "2026-05-15" for r in new)
            assert app.paper_list._row_strip(new[0], 100).text.startswith("✦")
            index = next(i for i, r in enumerate(rows_) if r.id == linked)
            assert rows_[index].links_new
            assert "◆" in app.paper_list._row_strip(rows_[index], 100).text[:5]
            app.paper_list.move_to(index)
            await settle(pilot)
            await pilot.press("enter")  # opened: its new repo is seen
            await settle(pilot)
            assert not app.paper_list.row_at(index).links_new
            marks = app.paper_list._row_strip(app.paper_list.row_at(index), 100).text[:5]
            assert "✎" in marks and "◆" not in marks
            with Store(db) as store:
                assert store.links_gained(linked) == (False, False)
            await pilot.press("escape", "s")  # rising -> newest: no +N column
            await settle(pilot)
            assert app.rq.sort == "date" and not app.paper_list.show_gains

    asyncio.run(scenario())


def test_a_hostile_failure_reason_is_shown_as_text(crafted, tmp_path, run, monkeypatch):
    """A day's failure reason comes from a server: shown as the characters it sent, in the
    calendar and in `papertui status`, never as markup or terminal escapes."""
    reason = "[@click=app.quit]boom[/] [link='file:///etc/passwd']x[/link] \x1b]52;c;SGVsbG8=\x07"
    with Store(crafted) as store:
        store.record_failure(MISSING.isoformat(), reason)

    async def scenario():
        app = make_app(crafted, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            screen = await open_calendar(pilot)
            await go_to(pilot, screen, MISSING)
            shown = text_of(screen, "#calendar-reason")
            assert "[@click=app.quit]boom[/]" in shown and "[link=" in shown
            assert "\x1b" not in shown and "\x07" not in shown  # cleaned on the way in
            await pilot.click("#calendar-reason")
            await settle(pilot)
            assert app.is_running and isinstance(app.screen, CalendarScreen)

    asyncio.run(scenario())
    monkeypatch.setenv("PAPERTUI_DB", str(crafted))
    out = run("status").output
    assert "[@click=app.quit]boom[/]" in out and "\x1b" not in out and "\x07" not in out


def test_an_empty_day_says_it_may_not_be_synced():
    """A day the cache has no papers of is often a day never synced, not an empty one: the list
    said "No papers in Wed 25 Sep 2024." either way."""
    from papertui.ui.empty import empty_list_text
    from papertui.views import ReaderQuery, View

    text = empty_list_text(ReaderQuery(View("day", date(2024, 9, 25))), "", lambda a: f"<{a}>")
    assert text.startswith("No papers cached for ")
    assert "or it was not synced (<app.calendar> shows which, and fetches it)" in text
