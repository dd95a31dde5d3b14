"""Pilot tests of the reader: every key, the reading flows, and what ends up in the database."""

from __future__ import annotations

import pytest
from ui_helpers import make_app, run, screen_text, settle, state, type_search

from papertui.ui.actions import ACTIONS


@pytest.fixture
def demo_db(demo_db_path):
    return demo_db_path  # a copy of the demo cache, built once per session


def test_opens_on_the_latest_day_with_status(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert app.paper_list.total == 10
            assert app.focused is app.paper_list
            status = str(app.status.render())
            assert "Mon 18 May 2026" in status and "10 papers" in status and "10 unread" in status
            assert "offline" in status
            assert app.detail.paper is not None and app.detail.paper.id == app.paper_list.current.id

    run(scenario())


@pytest.mark.slow
def test_movement_keys(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            lst = app.paper_list
            assert lst.total == 116
            await pilot.press("j", "j", "down")
            assert lst.cursor == 3
            await pilot.press("k", "up")
            assert lst.cursor == 1
            await pilot.press("G")
            await settle(pilot)
            assert lst.cursor == 115 and lst.current is not None
            await pilot.press("g")
            assert lst.cursor == 0
            await pilot.press("end")
            assert lst.cursor == 115
            await pilot.press("home")
            assert lst.cursor == 0
            page = lst.scrollable_content_region.height - 1
            await pilot.press("pagedown")
            assert lst.cursor == page
            await pilot.press("pageup")
            assert lst.cursor == 0
            await pilot.press("ctrl+d")
            half = lst.scrollable_content_region.height // 2
            assert lst.cursor == half
            await pilot.press("ctrl+u")
            assert lst.cursor == 0
            await pilot.press("k")
            assert lst.cursor == 0  # stays at the top
            await settle(pilot)
            assert app.detail.paper.id == lst.current.id

    run(scenario())


@pytest.mark.slow
def test_enter_shows_and_marks_read_at_once(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("j")
            row = app.paper_list.current
            assert state(demo_db, row.id) == (False, False)
            await pilot.press("enter")
            await pilot.pause()
            assert state(demo_db, row.id)[0] is True  # on disk, seen by another connection
            await settle(pilot)
            assert app.paper_list.current.read
            assert app.detail.paper.id == row.id and app.detail.paper.read
            assert "9 unread" in str(app.status.render())

    run(scenario())


@pytest.mark.slow
def test_m_and_b_toggle_state_in_the_database(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            await pilot.press("m")
            assert state(demo_db, pid) == (True, False)
            await pilot.press("m")
            assert state(demo_db, pid) == (False, False)
            await pilot.press("b")
            assert state(demo_db, pid) == (False, True)
            assert app.paper_list.current.bookmarked
            assert "★" in screen_text(app).splitlines()[0]
            await pilot.press("b")
            assert state(demo_db, pid) == (False, False)

    run(scenario())


@pytest.mark.slow
def test_unread_only_and_bookmarks_only(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("u")
            await settle(pilot)
            assert app.paper_list.total == 113  # the demo has 3 read papers
            assert "unread only" in str(app.status.render())
            await pilot.press("u", "B")
            await settle(pilot)
            assert app.paper_list.total == 2
            assert {
                app.paper_list.find_row(i) is not None for i in ("2605.13301", "2605.05242")
            } == {True}
            await pilot.press("B")
            await settle(pilot)
            assert app.paper_list.total == 116

    run(scenario())


@pytest.mark.slow
def test_search_as_you_type_enter_and_escape(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await type_search(pilot, "author:zhuofeng")
            assert app.paper_list.total == 1
            assert app.paper_list.current.id == "2605.05242"
            assert app.focused.id == "search"
            await pilot.press("enter")
            await settle(pilot)
            assert app.focused is app.paper_list
            assert app.query_one("#search").value == "author:zhuofeng"
            await pilot.press("slash")
            await pilot.press("escape")
            await settle(pilot)
            assert app.query_one("#search").value == ""
            assert app.focused is app.paper_list
            assert app.paper_list.total == 10

    run(scenario())


@pytest.mark.slow
def test_a_bad_query_shows_in_the_bar_not_a_crash(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await type_search(pilot, "date:2026-05")
            assert app.paper_list.total == 87
            await type_search(pilot, "9")  # date:2026-059
            assert "bad date" in str(app.status.render())
            assert app.query_one("#search").has_class("-error")
            assert "bad date" in app.query_one("#search").border_subtitle
            assert app.paper_list.total == 87  # the last good result stays
            for ch in ["backspace"] * 12:
                await pilot.press(ch)
            await pilot.pause(0.2)
            await settle(pilot)
            assert not app.query_one("#search").has_class("-error")
            assert "bad date" not in str(app.status.render())

    run(scenario())


@pytest.mark.slow
def test_views_step_and_sort(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert app.rq.view.anchor.isoformat() == "2026-05-18"
            await pilot.press("left_square_bracket")
            await settle(pilot)
            assert app.rq.view.anchor.isoformat() == "2026-05-15"  # skips the weekend
            assert app.paper_list.total == 40
            await pilot.press("left_square_bracket")
            await settle(pilot)
            assert app.rq.view.anchor.isoformat() == "2026-05-08"
            await pilot.press("right_square_bracket", "right_square_bracket")
            await settle(pilot)
            assert app.rq.view.anchor.isoformat() == "2026-05-18"
            await pilot.press("v")
            await settle(pilot)
            assert app.rq.view.kind == "week" and app.paper_list.total == 10
            await pilot.press("left_square_bracket")
            await settle(pilot)
            assert app.paper_list.total == 40  # week of 2026-05-11
            await pilot.press("v")
            await settle(pilot)
            assert app.rq.view.kind == "month" and app.paper_list.total == 87
            await pilot.press("v")
            await settle(pilot)
            assert app.rq.view.kind == "all" and app.paper_list.total == 116
            upvotes = [app.paper_list.row_at(i).upvotes for i in range(20)]
            assert upvotes == sorted(upvotes, reverse=True)
            await pilot.press("s")
            await settle(pilot)
            assert app.rq.sort == "rising"  # nothing rose in the demo: most upvoted order
            assert [app.paper_list.row_at(i).upvotes for i in range(20)] == upvotes
            await pilot.press("s")
            await settle(pilot)
            assert app.rq.sort == "date"
            days = [app.paper_list.row_at(i).day for i in range(116)]
            assert days == sorted(days, reverse=True)
            await pilot.press("s")
            await settle(pilot)
            titles = [app.paper_list.row_at(i).title.lower() for i in range(116)]
            assert titles == sorted(titles)
            await pilot.press("s")
            await settle(pilot)
            assert app.rq.sort == "upvotes"

    run(scenario())


def test_copy_link_with_pyperclip_and_osc52_fallback(demo_db, tmp_path, monkeypatch):
    import pyperclip

    copied = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)

    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            await pilot.press("y")
            assert copied == [f"https://huggingface.co/papers/{pid}"]
            assert any("system clipboard" in n.message for n in app._notifications)

            def broken(_text):
                raise pyperclip.PyperclipException("no xclip")

            monkeypatch.setattr(pyperclip, "copy", broken)
            await pilot.press("y")
            assert app.clipboard == f"https://huggingface.co/papers/{pid}"
            assert any("OSC 52" in n.message for n in app._notifications)

    run(scenario())


@pytest.mark.slow
def test_copy_menu(demo_db, tmp_path, monkeypatch):
    import pyperclip

    copied = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)

    async def scenario():
        app = make_app(demo_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            for key, expected in [
                ("a", f"https://arxiv.org/abs/{pid}"),
                ("p", f"https://arxiv.org/pdf/{pid}"),
            ]:
                await pilot.press("Y")
                await settle(pilot)
                await pilot.press(key)
                await settle(pilot)
                assert copied[-1] == expected
            await pilot.press("Y")
            await settle(pilot)
            await pilot.press("b")
            await settle(pilot)
            assert copied[-1].startswith("@misc{") and f"eprint = {{{pid}}}" in copied[-1]
            await pilot.press("Y")
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert len(copied) == 3 and app.screen is app.screen_stack[0]

    run(scenario())


@pytest.mark.slow
def test_open_page_and_pdf(demo_db, tmp_path, monkeypatch):
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)

    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            await pilot.press("o")
            await settle(pilot)
            await pilot.press("O")  # the open menu: p is the PDF
            await settle(pilot)
            assert type(app.screen).__name__ == "CopyMenu" and app.screen.verb == "Open"
            await pilot.press("p")
            await settle(pilot)
            await pilot.press("O", "a")  # and a the arXiv abstract
            await settle(pilot)
            assert opened == [
                f"https://huggingface.co/papers/{pid}",
                f"https://arxiv.org/pdf/{pid}",
                f"https://arxiv.org/abs/{pid}",
            ]
            app.links.open_link("thing", "javascript:alert(1)")
            await settle(pilot)
            assert len(opened) == 3
            assert any("only http(s)" in n.message for n in app._notifications)

    run(scenario())


@pytest.mark.slow
def test_help_tab_and_quit(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")
            await settle(pilot)
            assert type(app.screen).__name__ == "HelpScreen"
            keys = dict((d, k) for k, d in app.key_help())
            assert keys["Mark read / unread"] == "m"
            await pilot.press("escape")
            await settle(pilot)
            assert type(app.screen).__name__ == "Screen"
            await pilot.press("tab")
            assert app.focused is app.detail
            await pilot.press("tab")
            assert app.focused is app.paper_list
            await pilot.press("shift+tab")
            assert app.focused is app.detail
            await pilot.press("q")
            await pilot.pause()
        assert app.return_code == 0

    run(scenario())


def test_keymap_from_config_remaps_and_help_follows(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path, keymap={"app.toggle_bookmark": "x"})
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            await pilot.press("x")
            assert state(demo_db, pid) == (False, True)
            await pilot.press("b")
            assert state(demo_db, pid) == (False, True)
            keys = dict((d, k) for k, d in app.key_help())
            assert keys["Bookmark / remove bookmark"] == "x"

    run(scenario())


def test_command_palette_has_every_action(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            titles = {c.title for c in app.get_system_commands(app.screen)}
            palette = [a for a in ACTIONS if a.palette]
            assert {a.command for a in palette} <= titles
            assert "Change theme" in {t.split(" ")[0] + " theme" for t in titles} or any(
                "theme" in t.lower() for t in titles
            )
            for action in palette:
                name = action.action.split("(")[0]
                assert hasattr(app, f"action_{name}"), action
            helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
            assert helps["Mark read / unread"].endswith("(m)")
            from textual.fuzzy import Matcher

            found = [t for t in titles if Matcher("mark").match(t) > 0]
            assert "Mark read / unread" in found  # what people type for it

    run(scenario())


@pytest.mark.slow
def test_theme_choice_persists(demo_db, tmp_path):
    from papertui.config import load_config

    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            app.theme = "nord"
            await settle(pilot)

    run(scenario())
    config, warning = load_config(tmp_path / "config.toml")
    assert warning is None and config.theme == "nord"


@pytest.mark.slow
def test_the_reading_flow(demo_db, tmp_path, monkeypatch):
    """search -> open -> bookmark -> bookmarks only -> copy, checking the database at each step."""
    import pyperclip

    copied = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)

    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await type_search(pilot, "avatar")
            await pilot.press("enter")
            await settle(pilot)
            row = app.paper_list.current
            assert "Avatar" in row.title
            await pilot.press("enter")
            await settle(pilot)
            assert state(demo_db, row.id) == (True, False)
            await pilot.press("b")
            assert state(demo_db, row.id) == (True, True)
            await pilot.press("slash", "escape")
            await settle(pilot)
            await pilot.press("B")
            await settle(pilot)
            ids = {app.paper_list.row_at(i).id for i in range(app.paper_list.total)}
            assert row.id in ids and len(ids) == 3
            app.paper_list.cursor = [app.paper_list.row_at(i).id for i in range(3)].index(row.id)
            await settle(pilot)
            await pilot.press("y")
            assert copied == [f"https://huggingface.co/papers/{row.id}"]

    run(scenario())


@pytest.mark.slow
def test_narrow_terminal_stacks_panes_and_reads_full_screen(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert app.narrow
            list_region, detail_region = app.paper_list.region, app.detail.region
            assert detail_region.y > list_region.y and list_region.width == 80
            assert app.paper_list.scrollable_content_region.height >= 6
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen.maximized is app.detail and app.focused is app.detail
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen.maximized is None and app.focused is app.paper_list

    run(scenario())


def test_readme_lists_every_binding_id():
    import re
    from pathlib import Path

    from papertui.ui.app import PapertuiApp
    from papertui.ui.screens.calendar import CalendarScreen
    from papertui.ui.widgets.detail import PaperDetail
    from papertui.ui.widgets.paper_list import PaperList
    from papertui.ui.widgets.search_bar import SearchBar

    ids = {
        b.id
        for cls in (PapertuiApp, PaperList, PaperDetail, SearchBar, CalendarScreen)
        for b in cls.BINDINGS
        if b.id
    }
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    listed = set(re.findall(r"`((?:app|list|detail|search|calendar)\.[a-z_]+)`", readme))
    assert ids == listed


def test_broken_config_is_reported_and_ignored(demo_db, tmp_path):
    from papertui.ui.launch import create_app

    config = tmp_path / "config.toml"
    config.write_text('theme = "nord"\nsync_days = "lots"\n[keymap\n')

    async def scenario():
        app = create_app(demo_db, offline=True, config_path=config)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert any("ignored" in n.message for n in app._notifications)
            assert app.paper_list.total == 10  # defaults in force
            app.theme = "nord"  # picking a theme must not replace the user's broken file
            await settle(pilot)
            assert any("Theme not saved" in n.message for n in app._notifications)

    run(scenario())
    assert config.read_text().endswith("[keymap\n")  # left as the user wrote it
