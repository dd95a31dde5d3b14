"""Text from outside (server, cache, config, the user) never reaches the screen as Textual markup.

A server's error message, a search typed by the user, a theme name or keymap key from config.toml:
each is driven through the path that shows it, with markup that would click, link, quit or crash
if it were parsed.
"""

from __future__ import annotations

import ast
import json
from datetime import date
from pathlib import Path

import pytest
from conftest import FAST_RETRY
from fake_api import Fault
from ui_helpers import make_app, run, settle, type_search

from papertui.ui.launch import create_app

HOSTILE = [
    "[@click=app.screenshot('notes.txt','/tmp')]CLICK HERE TO RETRY",
    "[@click=app.quit]quit",
    '[link="file:///etc/passwd"]passwd[/link]',
    "Invalid path [/api/daily_papers]",
    "[/]",
    "[bold red]loud[/]",
]


@pytest.fixture
def demo_db(demo_db_path):
    return demo_db_path  # a copy of the demo cache, built once per session


@pytest.fixture
def fast_network(monkeypatch):
    import papertui.hf_api as hf

    monkeypatch.setattr(hf, "RetryPolicy", lambda: FAST_RETRY)
    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 18))


def toasts(app) -> list:
    from textual.widgets._toast import Toast

    return list(app.screen.query(Toast))


def assert_literal(content, text: str) -> None:
    """The text is shown as typed, with no click action, link or style taken from it."""
    assert text in content.plain, (text, content.plain)
    for span in content.spans:
        style = span.style
        meta = getattr(style, "meta", None) or {}
        assert "@click" not in meta, span
        assert not getattr(style, "link", None), span


@pytest.mark.slow
@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_server_error_in_the_sync_toast_is_text(tmp_path, fake_api, fast_network, hostile):
    body = json.dumps({"error": hostile}).encode()
    fake_api.fail("2026-05-18", Fault("status", status=400, body=body))
    db = tmp_path / "cache.db"

    async def scenario():
        app = make_app(db, tmp_path, offline=False, api_url=fake_api.url)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            for _ in range(100):
                await settle(pilot, rounds=1)
                if not app.syncing and toasts(app):
                    break
            shown = [t.render() for t in toasts(app)]
            failed = [c for c in shown if "Some days failed" in c.plain]
            assert failed, [c.plain for c in shown]
            assert_literal(failed[0], hostile)
            assert app.is_running  # `[@click=app.quit]` did not quit, `[/]` did not crash
            await pilot.click(type(toasts(app)[0]))  # a click on the toast only dismisses it
            await settle(pilot)
            assert app.is_running

    run(scenario())
    assert not (tmp_path / "notes.txt").exists()


@pytest.mark.slow
def test_a_search_error_in_the_border_is_text(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            await type_search(pilot, "date:[/]")
            search = app.query_one("#search")
            assert search.has_class("-error")
            subtitle = search._border_subtitle
            assert "[/]" in subtitle.plain
            assert app.is_running

    run(scenario())


@pytest.mark.slow
@pytest.mark.parametrize("hostile", HOSTILE)
def test_notifications_never_parse_markup(demo_db, tmp_path, hostile):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            app.notify(hostile, title="title " + hostile, severity="error")
            app.detail.notify("widget " + hostile)  # Widget.notify asks for markup by default
            await settle(pilot)
            shown = {t.render().plain.split("\n")[-1]: t.render() for t in toasts(app)}
            assert set(shown) == {hostile, "widget " + hostile}, shown
            for content in shown.values():
                assert_literal(content, hostile)
            assert "title " + hostile in shown[hostile].plain
            assert app.is_running

    run(scenario())


def test_a_hostile_theme_name_in_config_is_reported_as_text(demo_db, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('theme = "[/]"\n')

    async def scenario():
        app = create_app(demo_db, offline=True, config_path=config, autosync=False)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            notices = [t.render().plain for t in toasts(app)]
            assert any("unknown theme '[/]'" in n for n in notices), notices
            assert app.is_running

    run(scenario())


@pytest.mark.slow
@pytest.mark.parametrize("key", ["[/]", "[@click=app.quit]", "ctrl+[b]"])
def test_a_hostile_keymap_key_in_config_is_refused_not_fatal(demo_db, tmp_path, key):
    config = tmp_path / "config.toml"
    config.write_text(f"[keymap]\n'app.sync' = {json.dumps(key)}\n")

    async def scenario():
        app = create_app(demo_db, offline=True, config_path=config, autosync=False)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            await pilot.press("question_mark")  # help lists every key as mapped
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            notices = [t.render().plain for t in toasts(app)]
            assert any("keymap" in n and key in n for n in notices), notices
            assert app.is_running

    run(scenario())


# ---- a guard over the source: new code keeps the rule --------------------------------------

_TITLES = {"border_title", "border_subtitle", "title", "sub_title", "tooltip"}
_SHOWS_MARKUP = {"Static", "Label", "Button", "Option", "update", "from_markup", "Content"}


def _dynamic_str(node) -> bool:
    """A string built at run time (f-string, concatenation, %, .format): may carry outside text."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp):
        return (
            _dynamic_str(node.left)
            or _dynamic_str(node.right)
            or (isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant))
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join")
    return False


def _safe_title(node) -> bool:
    """A literal in the source, None, or text wrapped by `literal`/`Text`/`Content`."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.IfExp):
        return _safe_title(node.body) and _safe_title(node.orelse)
    if isinstance(node, ast.BinOp):
        return _safe_title(node.left) and _safe_title(node.right)
    if isinstance(node, ast.Call):
        return getattr(node.func, "id", getattr(node.func, "attr", "")) in {
            "literal",
            "Text",
            "Content",
        }
    return False


def test_the_reader_never_hands_built_strings_to_markup_parsing_apis():
    offences = []
    for path in (Path(__file__).parent.parent / "papertui" / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "markup":
                if not (isinstance(node.value, ast.Constant) and node.value.value is False):
                    offences.append(f"{path.name}:{node.lineno} markup=")
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and target.attr in _TITLES:
                        if not _safe_title(node.value):
                            offences.append(f"{path.name}:{node.lineno} {target.attr}")
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                if name in _SHOWS_MARKUP and _dynamic_str(node.args[0]):
                    offences.append(f"{path.name}:{node.lineno} {name}(…)")
    assert not offences, offences


def test_a_keymap_that_makes_two_actions_share_a_key_is_reported(demo_db_path, tmp_path):
    from papertui.ui.actions import KeyMap

    keymap, problems = KeyMap.from_config({"app.sort": "j", "app.view": "m", "app.sync": "R"})
    assert len(problems) == 2
    assert "app.sort = 'j' is also the key of list.down" in problems[0]
    assert "app.view = 'm' is also the key of app.toggle_read" in problems[1]
    assert keymap.keys("app.sync") == ["R"]
