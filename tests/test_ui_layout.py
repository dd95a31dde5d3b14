"""The layout follows the terminal whatever is open on top of the reader (issue 10, items 1-2)."""

from __future__ import annotations

import pytest
from ui_helpers import make_app, run, settle

pytestmark = pytest.mark.slow  # reader pilot scenarios: a few seconds each


@pytest.mark.parametrize("popup", ["question_mark", "Y"], ids=["help", "copy menu"])
def test_resizing_under_a_popup_lays_out_the_reader_for_the_new_size(demo_db_path, tmp_path, popup):
    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert not app.narrow
            await pilot.press(popup)
            await settle(pilot)
            assert app.screen is not app.main_screen
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is app.main_screen and app.narrow
            panes = app.main_screen.query_one("#panes")
            assert app.paper_list.region.y < app.detail.region.y  # stacked
            assert app.paper_list.region.width == panes.region.width
            await pilot.press(popup)
            await settle(pilot)
            await pilot.resize_terminal(160, 40)
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert not app.narrow
            assert app.paper_list.region.y == app.detail.region.y  # side by side
            assert app.paper_list.region.right <= app.detail.region.x

    run(scenario())


def test_widening_while_reading_full_screen_returns_to_side_by_side(demo_db_path, tmp_path):
    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert app.main_screen.maximized is app.detail
            await pilot.resize_terminal(130, 36)
            await settle(pilot)
            assert app.main_screen.maximized is None
            assert app.detail.region.right <= 130  # the pane fits: right border on screen
            assert app.paper_list.region.width > 0 and app.detail.region.width > 0
            assert app.focused is app.detail  # still reading the same paper

    run(scenario())


def test_many_long_failures_fit_the_toast_and_the_status_at_80x24(tmp_path, fake_api, monkeypatch):
    import json
    from datetime import date

    from conftest import FAST_RETRY
    from fake_api import Fault

    import papertui.hf_api as hf

    monkeypatch.setattr(hf, "RetryPolicy", lambda: FAST_RETRY)
    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 18))
    body = json.dumps({"error": "Invalid request: " + "very long reason " * 20}).encode()
    fake_api.fail("*", *[Fault("status", status=400, body=body)] * 7)

    async def scenario():
        app = make_app(tmp_path / "c.db", tmp_path, offline=False, api_url=fake_api.url)
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            for _ in range(100):
                await settle(pilot, rounds=1)
                if not app.syncing and app._notifications:
                    break
            failed = [n for n in app._notifications if n.title == "Some days failed to sync"]
            assert failed
            lines = failed[0].message.splitlines()
            assert len(lines) == 6 and lines[-1].startswith("…and 2 more days")
            assert all(len(line) <= 140 for line in lines)
            status = app.status.render()
            assert "⚠ sync: 7 days failed" in status.plain
            assert status.cell_len <= 80 or status.plain.index("⚠ sync: 7 days failed") + 22 <= 80

    run(scenario())


def test_quick_steps_accumulate(demo_db_path, tmp_path):
    from datetime import date

    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert app.rq.view.anchor == date(2026, 5, 18)
            for _ in range(3):  # one burst: no answer lands between the presses
                app.action_step(-1)
            for _ in range(5):
                await settle(pilot)
            assert app.rq.view.anchor == date(2024, 10, 25)  # 18 May -> 15 May -> 8 May -> 2024
            for _ in range(2):
                app.action_step(1)
            for _ in range(5):
                await settle(pilot)
            assert app.rq.view.anchor == date(2026, 5, 15)

    run(scenario())


def test_the_date_column_shows_the_year_when_the_list_may_span_years(demo_db_path, tmp_path):
    from ui_helpers import screen_text

    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            day_view = screen_text(app)
            assert " 05-18" in day_view and "2026-05-18" not in day_view
            await pilot.press("v", "v", "v")  # week, month, all papers
            await settle(pilot)
            await pilot.press("G")  # the oldest papers are from 2024
            await settle(pilot)
            assert app.rq.view.kind == "all"
            text = screen_text(app)
            assert "2024-10-25" in text or "2026-05" in text
            app.rq = app.rq.__class__(app.rq.view, sort="date")
            await settle(pilot)
            await pilot.press("G")
            await settle(pilot)
            assert "2024-10-25" in screen_text(app)

    run(scenario())


def test_an_empty_list_says_why(demo_db_path, tmp_path):
    from ui_helpers import type_search

    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.resize_terminal(80, 24)
            await type_search(pilot, "author:lecun")
            assert app.paper_list.total == 0
            message = app.paper_list.empty_text
            assert message.startswith("Nothing matches “author:lecun”")
            from ui_helpers import screen_text

            drawn = " ".join(screen_text(app).split())
            assert " ".join(message.split()) in drawn  # wrapped, not cut at the pane's edge
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("B")
            await settle(pilot)
            await pilot.press("u")  # bookmarks, unread only: the demo's are all read
            await settle(pilot)
            if app.paper_list.total == 0:
                assert app.paper_list.empty_text.startswith("No unread bookmarks")

    run(scenario())


def test_a_search_error_is_shown_whole_at_80_columns(demo_db_path, tmp_path):
    from ui_helpers import type_search

    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await type_search(pilot, "date:2026-13-01")
            message = app.query_error
            assert message.startswith("bad date") and len(message) > 75
            assert app.status.size.height >= 2  # wrapped onto a second line, not cut
            shown = " ".join(app.status.render_line(y).text for y in range(app.status.size.height))
            assert " ".join(shown.split()).endswith(" ".join(message.split()[-3:]))

    run(scenario())


def test_a_remapped_key_shows_in_the_footer_and_the_footer_fits(demo_db_path, tmp_path):
    async def scenario():
        app = make_app(demo_db_path, tmp_path, keymap={"app.toggle_bookmark": "x"})
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            keys = {
                (k.key_display, k.description): k.region
                for k in app.query("FooterKey")
                if k.region.width
            }
            assert ("x", "Bookmark") in keys
            assert all(region.right <= 120 for region in keys.values())
            assert not any(display == "b" for display, _ in keys)
            await pilot.press("enter")  # reading in the detail pane: the footer offers the way back
            await settle(pilot)
            shown = {k.description for k in app.query("FooterKey") if k.region.width}
            assert "Back" in shown

    run(scenario())
