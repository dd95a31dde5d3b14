"""The layout follows the terminal whatever is open on top of the reader (issue 10, items 1-2)."""

from __future__ import annotations

import pytest
from ui_helpers import make_app, run, settle


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
    import papertui.sync as sync

    monkeypatch.setattr(hf, "RetryPolicy", lambda: FAST_RETRY)
    monkeypatch.setattr(sync, "utc_today", lambda: date(2026, 5, 18))
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
