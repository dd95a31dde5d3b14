"""Pilot tests of your library in the reader: `t`, `e`, `T`, `S`, `L` and the palette, each
checked in the database as another process would see it, right after the key."""

from __future__ import annotations

import contextlib
import io
import sys

import pytest
from rich.console import Console
from textual.content import Content
from ui_helpers import make_app, run, screen_text, settle, type_search

from papertui.models import SavedSearch
from papertui.query import parse_query
from papertui.store import Store
from papertui.ui.screens.library import (
    Confirm,
    NoteEditor,
    SavedList,
    SaveSearch,
    TagEditor,
    TagView,
)
from papertui.ui.widgets.detail import PaperDetail

pytestmark = pytest.mark.slow


def detail_text(app) -> str:
    """The detail pane's paper as it is drawn, as plain text (what a terminal would show)."""
    console = Console(width=100, record=True, file=io.StringIO(), color_system=None)
    console.print(app.detail.render_paper(app.detail.paper))
    return console.export_text()


@pytest.fixture
def demo_db(demo_db_path):
    return demo_db_path


def on_disk(db, paper_id: str) -> tuple[list[str], str | None]:
    with Store(db) as store:
        return store.tags_of([paper_id])[paper_id], store.note(paper_id)


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def test_t_edits_tags_with_completion_and_they_show(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            first = app.paper_list.current.id
            await pilot.press("t")
            await pilot.pause()
            assert isinstance(app.screen, TagEditor)
            await type_text(pilot, "Vision, agents")
            await pilot.press("enter")
            assert on_disk(demo_db, first)[0] == ["agents", "vision"]  # before anything else
            await settle(pilot)
            assert app.paper_list.current.tags == ("agents", "vision")
            first_line = screen_text(app).splitlines()[0]
            assert "#agents #" in first_line and "…" in first_line  # compact: the pane shows all
            assert app.detail.paper.tags == ["agents", "vision"]
            await pilot.press("j", "t")
            await pilot.pause()
            await type_text(pilot, "vi")
            await settle(pilot)
            await pilot.press("tab")  # completes from your tags
            await type_text(pilot, "bad tag(")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, TagEditor)  # refused, with the reason, not closed
            hint = str(app.screen.query_one("#tags-hint").render())
            assert "a tag is one word" in hint
            await pilot.press(*["backspace"] * 8)
            await pilot.press("enter")
            second = app.paper_list.current.id
            assert on_disk(demo_db, second)[0] == ["vision"]
            await pilot.press("t")
            await pilot.pause()
            await type_text(pilot, "new")  # typed after the tags there: adds, never replaces
            await pilot.press("enter")
            assert on_disk(demo_db, second)[0] == ["new", "vision"]
            await pilot.press("t")
            await pilot.pause()
            await pilot.press("escape")  # cancels: nothing changes
            await pilot.pause()
            assert not isinstance(app.screen, TagEditor)
            assert on_disk(demo_db, second)[0] == ["new", "vision"]

    run(scenario())


def test_e_writes_a_note_ctrl_s_saves_and_esc_asks_first(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            await pilot.press("e")
            await pilot.pause()
            assert isinstance(app.screen, NoteEditor)
            assert app.screen.query_one("#note-text").language == "markdown"  # highlighted
            await type_text(pilot, "Strong baseline [b]x[/b]")
            await pilot.press("ctrl+s")
            assert on_disk(demo_db, pid)[1] == "Strong baseline [b]x[/b]"
            await settle(pilot)
            assert app.paper_list.current.noted
            assert "✎" in screen_text(app).splitlines()[0]
            assert app.detail.paper.notes == "Strong baseline [b]x[/b]"
            await pilot.press("e")
            await pilot.pause()
            await type_text(pilot, " more")
            await pilot.press("escape")  # changed: asks before discarding
            await pilot.pause()
            assert isinstance(app.screen, Confirm)
            await pilot.press("n")  # keep editing
            await pilot.pause()
            assert isinstance(app.screen, NoteEditor)
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("y")  # discard
            await pilot.pause()
            assert not isinstance(app.screen, NoteEditor | Confirm)
            assert on_disk(demo_db, pid)[1] == "Strong baseline [b]x[/b]"
            await pilot.press("e")
            await pilot.pause()
            await pilot.press("escape")  # unchanged: closes at once
            await pilot.pause()
            assert not isinstance(app.screen, NoteEditor | Confirm)
            await pilot.press("e")
            await pilot.pause()
            app.screen.query_one("#note-text").text = "   "
            await pilot.press("ctrl+s")  # an empty note is no note
            assert on_disk(demo_db, pid)[1] is None
            await settle(pilot)
            assert not app.paper_list.current.noted

    run(scenario())


def test_a_hostile_or_huge_note_is_shown_as_text_and_kept_exactly(demo_db, tmp_path):
    hostile = "[@click=app.quit]quit[/] \x1b]52;c;QUFB\x07 [link=file:///etc/passwd]x[/link] \u202e"
    big = "# Big\n\n" + "A line of a long note.\n" * 50_000  # 1.1 MB

    async def scenario():
        with Store(demo_db) as store:
            first, second = [r.id for r in store.list_rows(limit=2)]
            store.set_note(first, hostile)
            store.set_note(second, big)
        app = make_app(demo_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await type_search(pilot, "has:note")
            await pilot.press("enter")
            await settle(pilot)
            seen = {}
            for _ in range(2):
                seen[app.detail.paper.id] = detail_text(app)
                await pilot.press("j")
                await settle(pilot)
            assert app.is_running
            shown = seen[first]
            assert "[@click=app.quit]quit[/]  [link=file:///etc/passwd]x[/link]" in shown
            assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
            assert "A line of a long note." in seen[second]
            cut = len(big.strip("\n")) - PaperDetail.NOTE_SHOWN
            assert f"… {cut:,} more characters: e opens the whole note." in seen[second]
            await pilot.press("k")
            await settle(pilot)
            await pilot.press("e")  # the big one opens in the editor whole
            await settle(pilot, rounds=12)
            assert isinstance(app.screen, NoteEditor)
            assert app.screen.query_one("#note-text").text == app.detail.paper.notes
        with Store(demo_db) as store:
            assert store.note(first) == hostile and store.note(second) == big

    run(scenario())


def test_T_lists_tags_with_counts_and_opens_one(demo_db, tmp_path):
    async def scenario():
        with Store(demo_db) as store:
            rows = store.list_rows(limit=4)
            store.change_tags([r.id for r in rows[:3]], add=["ml"])
            store.change_tags([rows[3].id], add=["rl"])
            store.set_state([rows[0].id], read=True)
            unread = store.counts(parse_query("tag:ml"))[1]
        app = make_app(demo_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("T")
            await settle(pilot)
            assert isinstance(app.screen, TagView)
            options = app.screen.query_one("#tagview-options")
            texts = [
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            ]
            assert texts[0].split() == ["ml", "3", "papers", "·", str(unread), "unread"]
            assert texts[1].split()[:2] == ["rl", "1"]
            await type_text(pilot, "r")  # filters
            await pilot.press("enter")
            await settle(pilot)
            assert app.rq.text == "tag:rl" and app.search_bar.value == "tag:rl"
            assert app.paper_list.total == 1 and app.paper_list.current.id == rows[3].id

    run(scenario())


def test_S_saves_the_search_and_L_opens_it_with_unread_counts(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("S")  # nothing searched or filtered: nothing to save
            await pilot.pause()
            assert not isinstance(app.screen, SaveSearch)
            await type_search(pilot, "agent")
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("u", "s", "s", "s")  # unread only; sorted by newest (past rising)
            await settle(pilot)
            await pilot.press("S")
            await pilot.pause()
            assert isinstance(app.screen, SaveSearch)
            await type_text(pilot, "Agents to read")
            await pilot.press("enter")
            with Store(demo_db) as store:  # on disk at once
                saved = store.saved_search("agents to read")
            assert saved == SavedSearch(
                name="Agents to read",
                query="agent",
                view="all",
                unread_only=True,
                search_sort="date",
                created_at=saved.created_at,
                updated_at=saved.updated_at,
            )
            await pilot.press("slash", "escape")  # the search cleared, back in the list
            await settle(pilot)
            await pilot.press("u")
            await settle(pilot)
            assert app.rq.text == "" and not app.rq.unread_only
            await pilot.press("L")
            await settle(pilot)
            assert isinstance(app.screen, SavedList)
            options = app.screen.query_one("#savedlist-options")
            assert "  24 unread  “agent” · unread" in str(options.get_option_at_index(0).prompt)
            await pilot.press("enter")
            await settle(pilot)
            assert app.rq.text == "agent" and app.rq.unread_only and app.rq.order == "date"
            assert app.search_bar.value == "agent" and app.paper_list.total == 24
            await pilot.press("L")
            await settle(pilot)
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, Confirm)
            await pilot.press("y")
            await settle(pilot)
            with Store(demo_db) as store:
                assert store.saved_searches() == []

    run(scenario())


def test_the_palette_offers_the_library_and_each_saved_search_and_tag(demo_db, tmp_path):
    async def scenario():
        with Store(demo_db) as store:
            store.change_tags([store.list_rows(limit=1)[0].id], add=["ml"])
            store.save_search(SavedSearch(name="Mine", query="tag:ml"))
            store.save_search(SavedSearch(name="[@click=app.quit]x[/]", query="[b]y"))
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            titles = [c.title for c in app.get_system_commands(app.screen)]
            for title in (
                "Edit tags",
                "Edit note",
                "Save this search",
                "Saved search: Mine",
                "Tag: ml",
            ):
                assert title in titles
            # the palette reads titles as markup: a saved search's name is shown as written
            shown = {Content.from_markup(t).plain for t in titles}
            assert "Saved search: [@click=app.quit]x[/]" in shown
            command = next(c for c in app.get_system_commands(app.screen) if c.title == "Tag: ml")
            command.callback()
            await settle(pilot)
            assert app.rq.text == "tag:ml" and app.paper_list.total == 1

    run(scenario())


def test_the_help_lists_the_library_keys_as_mapped(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path, keymap={"app.edit_tags": "ctrl+t", "note.save": "f2"})
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            rows = dict((text, key) for key, text in app.key_help())
            assert (
                rows["Edit the paper's tags (space or comma between them; Tab completes)"] == "^t"
            )
            assert rows["Note editor: save the note"] == "f2"
            assert rows["Your saved searches with unread counts: Enter opens one"] == "L"
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert isinstance(app.screen, TagEditor)

    run(scenario())


@pytest.mark.parametrize("editor", ["false", "papertui-no-such-editor --wait"])
def test_an_editor_that_fails_gives_the_reader_back(demo_db, tmp_path, monkeypatch, editor):
    """Textual resumes the reader after `suspend()` only when its block ends normally (no
    `finally`): an editor that exits with a failure, or can't be started, left the terminal
    blank and the reader deaf to every key. The suspend here does as Textual's does."""

    async def scenario():
        app = make_app(demo_db, tmp_path, editor=editor)
        resumed = []

        @contextlib.contextmanager
        def suspend():
            yield
            resumed.append(True)  # skipped when the block raises, as in Textual

        monkeypatch.setattr(app, "suspend", suspend)
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            await pilot.press("e")
            await settle(pilot)
            assert resumed == [True]
            messages = [n.message for n in app._notifications]
            assert any("nothing was saved" in m for m in messages), messages
            assert on_disk(demo_db, pid)[1] is None
            await pilot.press("j")  # the reader answers keys again
            await settle(pilot)
            assert app.paper_list.cursor == 1

    run(scenario())


def test_the_editor_in_the_config_edits_the_note_in_place_of_the_text_area(
    demo_db, tmp_path, monkeypatch
):
    """`editor` set: the reader steps aside (suspend) while the editor runs on a temporary
    file, then saves what it left. A pilot has no terminal to hand over, so suspending is a
    no-op here; the real hand-over is tested in a pseudo-terminal (test_reliability)."""
    script = tmp_path / "ed.py"
    script.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[-1])\n"
        "p.write_text(p.read_text() + 'and from the editor\\n')\n"
    )

    async def scenario():
        app = make_app(demo_db, tmp_path, editor=f"{sys.executable} {script}")
        suspended = []

        @contextlib.contextmanager
        def suspend():
            suspended.append(True)
            yield

        monkeypatch.setattr(app, "suspend", suspend)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            await pilot.press("e")
            assert on_disk(demo_db, pid)[1] == "and from the editor"
            assert suspended == [True]
            await pilot.press("e")
            assert on_disk(demo_db, pid)[1] == "and from the editor\nand from the editor"
            await settle(pilot)
            assert app.paper_list.current.noted

    run(scenario())


@pytest.mark.parametrize("opened", ["question_mark", "c", "f", "e", "T", "L"])
def test_ctrl_c_quits_from_every_screen(demo_db, tmp_path, opened):
    """The help, the calendar, the reading screen and the popups are modal or take the app's
    keys: ctrl+c reached none of them (q is theirs: it closes them)."""
    from reading_helpers import with_text

    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            with_text(app)
            await settle(pilot)
            await pilot.press(opened)
            await settle(pilot)
            assert len(app.screen_stack) > 1 or app.reading, opened
            await pilot.press("ctrl+c")
            await pilot.pause()
        assert app.return_code == 0

    run(scenario())


def test_ctrl_c_in_a_changed_note_asks_first(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("e", "a", "b", "ctrl+c")
            await settle(pilot)
            assert app.return_code is None
            assert type(app.screen).__name__ == "Confirm"  # "Discard your changes…?"
            await pilot.press("y")
            await settle(pilot)
            await pilot.press("ctrl+c")
            await pilot.pause()
        assert app.return_code == 0

    run(scenario())
