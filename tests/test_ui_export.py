"""Copying and saving BibTeX / Markdown from the reader (`E`, the palette's export commands):
what reaches the clipboard or the file, the file prompt's checks, and the empty cases."""

from __future__ import annotations

import errno
import os
import threading
from datetime import date
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser
from textual.widgets import Input, Static
from ui_helpers import make_app, run, settle, type_search

from papertui.query import Is
from papertui.store import Store
from papertui.ui.screens.save_prompt import SavePrompt

TODAY = date(2026, 5, 20)


def bibtex(text: str) -> list[dict]:
    return bibtexparser.loads(
        text, BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    ).entries


def markdown_ids(text: str) -> list[str]:
    """The paper ids of a Markdown export's list, in order."""
    return [
        line.split("](https://huggingface.co/papers/", 1)[1].split(")", 1)[0]
        for line in text.splitlines()
        if line.startswith("- [")
    ]


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def said(app) -> str:
    """The line under the path in the save prompt."""
    return str(app.screen.query_one("#save-message", Static).render())


@pytest.fixture
def clip(monkeypatch):
    import pyperclip

    copied: list[str] = []
    monkeypatch.setattr(pyperclip, "copy", copied.append)
    return copied


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def exporting_app(db: Path, tmp_path: Path, out: Path, **config):
    app = make_app(db, tmp_path, **config)
    app.exports.today = lambda: TODAY
    app.exports.default_folder = lambda: out
    return app


async def choose(pilot, *keys: str) -> None:
    """`E`, then the menu keys (which papers, then what), each after the menu is up."""
    for key in ("E", *keys):
        await pilot.press(key)
        await settle(pilot)


async def save_as(pilot, path: str) -> None:
    prompt = pilot.app.screen
    assert isinstance(prompt, SavePrompt)
    prompt.query_one("#save-path", Input).value = path
    await pilot.press("enter")
    await settle(pilot)


def test_copy_bibtex_and_markdown_of_this_paper(demo_db_path, tmp_path, out, clip):
    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            await choose(pilot, "p", "b")
            entries = bibtex(clip[-1])
            assert [e["eprint"] for e in entries] == [pid]
            assert entries[0]["url"] == f"https://arxiv.org/abs/{pid}"
            assert f"Copied the BibTeX of {pid} to the system clipboard." in messages(app)
            await choose(pilot, "p", "m")
            assert markdown_ids(clip[-1]) == [pid]
            assert not clip[-1].startswith("#")  # one paper: its line alone, to paste anywhere
            assert app.screen is app.main_screen

    run(scenario())


def test_copy_markdown_of_this_view_is_the_list_in_its_order(demo_db_path, tmp_path, out, clip):
    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("s")  # newest first
            await pilot.press("u")  # unread only
            await settle(pilot)
            with Store(demo_db_path) as store:
                shown = [r.id for r in store.list_rows(app.where, app.rq.order, limit=1000)]
            assert len(shown) == app.paper_list.total > 10
            await choose(pilot, "v", "m")
            assert markdown_ids(clip[-1]) == shown
            assert clip[-1].startswith("# Papers: All papers · unread only\n")
            assert f"Copied the Markdown of {len(shown)} papers (this view)" in messages(app)[-1]

    run(scenario())


@pytest.mark.slow
def test_palette_commands_copy_and_save_every_kind(demo_db_path, tmp_path, out, clip):
    """Each of the twelve palette commands, run from the palette: copy goes to the clipboard,
    save opens the prompt and writes the file."""
    from papertui.ui.exporting import EXPORT_COMMANDS

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            titles = {c.title: c for c in app.get_system_commands(app.screen)}
            for command in EXPORT_COMMANDS:
                assert command.title in titles
                assert titles[command.title].help.endswith("(also in the E menu)")
            assert "Save BibTeX: bookmarks…" in titles
            with Store(demo_db_path) as store:
                bookmarked = set(store.ids(Is("bookmarked")))
            in_view = app.paper_list.total
            expected = {"paper": {pid}, "bookmarks": bookmarked}
            for number, command in enumerate(EXPORT_COMMANDS):
                await pilot.press("ctrl+p")
                await settle(pilot)
                for ch in command.title.rstrip("…"):
                    await pilot.press({" ": "space", ":": "colon"}.get(ch, ch))
                await settle(pilot)
                await pilot.press("enter")
                await settle(pilot)
                if command.verb == "copy":
                    text = clip[-1]
                else:
                    path = out / f"export-{number}"
                    await save_as(pilot, str(path))
                    text = path.read_text(encoding="utf-8")
                ids = (
                    [e["eprint"] for e in bibtex(text)]
                    if command.fmt == "bibtex"
                    else markdown_ids(text)
                )
                if command.scope == "view":
                    assert len(ids) == in_view
                else:
                    assert set(ids) == expected[command.scope], command
                assert app.screen is app.main_screen

    run(scenario())


def test_save_bibtex_of_the_bookmarks_to_the_default_path(demo_db_path, tmp_path, out):
    with Store(demo_db_path) as store:
        store.set_state(store.ids(Is("bookmarked")), bookmarked=False)

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("b", "j", "j", "b")
            await settle(pilot)
            with Store(demo_db_path) as store:
                bookmarked = set(store.ids(Is("bookmarked")))
            assert len(bookmarked) == 2
            await choose(pilot, "k", "B")
            prompt = app.screen
            assert isinstance(prompt, SavePrompt)
            path = prompt.query_one("#save-path", Input)
            default = out / "papertui-bookmarks-2026-05-20.bib"
            assert Path(os.path.expanduser(path.value)) == default
            assert path.cursor_position == len(path.value)
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is app.main_screen
            entries = bibtex(default.read_text(encoding="utf-8"))
            assert {e["eprint"] for e in entries} == bookmarked and len(entries) == len(bookmarked)
            assert all(e["ENTRYTYPE"] == "misc" for e in entries)
            assert any(
                m.startswith(f"Saved {len(bookmarked)} papers to ") and m.endswith(".bib.")
                for m in messages(app)
            )
            assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp file left

    run(scenario())


def test_an_existing_file_is_replaced_only_after_a_second_enter(demo_db_path, tmp_path, out):
    target = out / "mine.md"
    target.write_text("my notes\n")

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await choose(pilot, "v", "M")
            await save_as(pilot, str(target))
            assert isinstance(app.screen, SavePrompt)
            assert "exists. Enter again replaces it" in said(app)
            assert app.screen.query_one("#save-message").has_class("-warning")
            assert target.read_text() == "my notes\n"
            field = app.screen.query_one("#save-path", Input)
            field.value = str(target) + "x"  # an edit: asks again for whatever is then typed
            await settle(pilot)
            field.value = str(target)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, SavePrompt) and target.read_text() == "my notes\n"
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is app.main_screen
            text = target.read_text(encoding="utf-8")
            assert text.startswith("# Papers: Mon 18 May 2026\n")
            assert len(markdown_ids(text)) == app.paper_list.total

    run(scenario())


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Type the path of a file"),
        ("{out}", "is a folder: add a file name, e.g. {out}/papertui-2026-05-18.bib"),
        ("{out}/no/such/x.bib", "There is no folder"),
        ("{out}/a-file/x.bib", "is a file, not a folder"),
        ("~no_such_user_here/x.bib", "There is no user 'no_such_user_here'"),
        ("/dev/null", "is not a regular file"),
    ],
)
def test_bad_paths_are_refused_in_the_prompt(demo_db_path, tmp_path, out, typed, reason):
    (out / "a-file").write_text("x")
    before = sorted(out.iterdir())

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await choose(pilot, "v", "B")
            await save_as(pilot, typed.format(out=out))
            assert isinstance(app.screen, SavePrompt)  # still open, to fix the path
            assert reason.format(out=out) in said(app)
            assert app.screen.query_one("#save-message").has_class("-error")
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is app.main_screen
            assert not any(m.startswith("Saved") for m in messages(app))

    run(scenario())
    assert sorted(out.iterdir()) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_files_and_folders_are_refused(demo_db_path, tmp_path, out):
    locked = out / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    frozen = out / "frozen.bib"
    frozen.write_text("keep\n")
    frozen.chmod(0o444)

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await choose(pilot, "v", "B")
            await save_as(pilot, str(locked / "x.bib"))
            assert "permission denied" in said(app)
            await save_as(pilot, str(frozen))
            assert "is read-only" in said(app)

    try:
        run(scenario())
    finally:
        locked.chmod(0o755)
    assert frozen.read_text() == "keep\n" and not list(locked.iterdir())


def test_a_failed_write_says_so_and_leaves_nothing(demo_db_path, tmp_path, out, monkeypatch):
    import papertui.service

    def full(path, text):
        for _ in text:  # the export is made, then the disk is full
            pass
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(papertui.service, "write_atomically", full)

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await choose(pilot, "v", "B")
            await save_as(pilot, str(out / "x.bib"))
            assert app.screen is app.main_screen
            failure = [n for n in app._notifications if n.title == "Could not save"]
            assert failure and "No space left on device. Nothing was written." in failure[0].message

    run(scenario())
    assert not list(out.iterdir())


def test_empty_cases_say_so_and_write_nothing(demo_db_path, tmp_path, out, clip):
    with Store(demo_db_path) as store:
        marked = store.ids(Is("bookmarked"))
        store.set_state(marked, bookmarked=False)

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await choose(pilot, "k", "B")
            assert app.screen is app.main_screen  # no prompt for nothing
            assert "No bookmarks yet: nothing saved. b bookmarks the highlighted paper." in (
                messages(app)
            )
            await type_search(pilot, "zzzznothingmatches")
            await pilot.press("enter")
            await settle(pilot)
            assert app.paper_list.total == 0
            await choose(pilot, "v", "b")
            assert "No papers in this search: nothing to copy." in messages(app)
            await choose(pilot, "p")
            assert "No paper is highlighted." in messages(app)
            assert app.screen is app.main_screen  # no second menu for no paper
            await pilot.press("ctrl+p")
            await settle(pilot)
            for ch in "Save BibTeX: this paper":
                await pilot.press({" ": "space", ":": "colon"}.get(ch, ch))
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is app.main_screen
            assert messages(app).count("No paper is highlighted.") == 2

    run(scenario())
    assert clip == [] and not list(out.iterdir())


def test_a_search_that_cant_be_understood_is_not_exported(demo_db_path, tmp_path, out, clip):
    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await type_search(pilot, "upvotes:50..10")
            await pilot.press("enter")
            await settle(pilot)
            await choose(pilot, "v")
            assert app.screen is app.main_screen
            note = [n for n in app._notifications if n.title == "The search can't be understood"]
            assert note and "runs backwards" in note[0].message

    run(scenario())
    assert clip == []


def test_osc52_copies_what_fits_and_refuses_what_does_not(demo_db_path, tmp_path, out, monkeypatch):
    import pyperclip

    from papertui import clipboard

    def missing(_text):
        raise pyperclip.PyperclipException("no xclip")

    monkeypatch.setattr(pyperclip, "copy", missing)

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            pid = app.paper_list.current.id
            await choose(pilot, "p", "b")
            assert [e["eprint"] for e in bibtex(app.clipboard)] == [pid]
            assert f"Copied the BibTeX of {pid} to the terminal (OSC 52)." in messages(app)
            monkeypatch.setattr(clipboard, "OSC52_MAX_BYTES", 2000)  # the view is ~5 kB
            await choose(pilot, "v", "b")
            refused = [n for n in app._notifications if n.title == "Not copied"]
            assert refused and "is more than the terminal's clipboard (OSC 52) takes" in (
                refused[0].message
            )
            assert "Save it to a file instead (“Save BibTeX: this view…”)" in refused[0].message
            assert [e["eprint"] for e in bibtex(app.clipboard)] == [pid]  # unchanged

    run(scenario())


def test_tab_completes_the_path_and_stays_in_the_prompt(demo_db_path, tmp_path, out):
    (out / "reading-list").mkdir()

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await choose(pilot, "v", "B")
            field = app.screen.query_one("#save-path", Input)
            field.value = str(out / "read")
            field.cursor_position = len(field.value)
            await pilot.press("tab")
            await settle(pilot)
            assert field.value == f"{out}/reading-list/"
            assert app.focused is field
            for ch in "week.bib":
                await pilot.press(ch)
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is app.main_screen

    run(scenario())
    assert (out / "reading-list" / "week.bib").is_file()


@pytest.mark.slow
def test_saving_100k_papers_runs_in_the_background(cache_100k, tmp_path, out, monkeypatch):
    """The export is held until the reader has moved, proving the reader answers keys while it
    runs; then all 100,000 papers are written."""
    from papertui.service import Service

    release = threading.Event()
    real = Service.save_papers

    def held(self, *args, **kwargs):
        assert release.wait(60)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Service, "save_papers", held)

    async def scenario():
        app = exporting_app(cache_100k, tmp_path, out, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert app.paper_list.total == 100_000
            await choose(pilot, "v", "B")
            await pilot.press("enter")
            await pilot.pause()
            assert "Saving 100,000 papers to " in messages(app)[-1]
            await pilot.press("j", "j")
            await pilot.pause()
            assert app.paper_list.cursor == 2  # the reader answered while the save waits
            release.set()
            await settle(pilot)
            assert any(m.startswith("Saved 100,000 papers to ") for m in messages(app))

    run(scenario())
    text = (out / "papertui-all-2026-05-20.bib").read_text(encoding="utf-8")
    assert text.count("@misc{") == 100_000


def test_a_hostile_search_is_shown_as_typed_in_the_menu_and_the_prompt(demo_db_path, tmp_path, out):
    from textual.widgets import OptionList

    hostile = "agent OR [@click=app.quit]quit"

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await type_search(pilot, hostile)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("E")
            await settle(pilot)
            options = app.screen.query_one(OptionList)
            labels = [str(options.get_option_at_index(i).prompt) for i in range(3)]
            assert f"v  this view: search “{hostile}” in all papers (25 papers)" == labels[2]
            await pilot.press("v")
            await settle(pilot)
            await pilot.press("B")
            await settle(pilot)
            detail = app.screen.query_one("#save-detail", Static).render()
            assert hostile in detail.plain
            assert not any("@click" in str(span.style) for span in detail.spans)
            field = app.screen.query_one("#save-path", Input)
            assert field.value.endswith(
                "/papertui-search-agent-or-click-app-quit-quit-2026-05-20.bib"
            )
            await pilot.press("enter")
            await settle(pilot)
            assert app.is_running and app.screen is app.main_screen

    run(scenario())
    saved = out / "papertui-search-agent-or-click-app-quit-quit-2026-05-20.bib"
    assert saved.is_file()


def test_keys_right_after_e_go_to_the_menu_while_its_counts_are_made(
    demo_db_path, tmp_path, out, monkeypatch
):
    """The menu waited for its counts before it opened: keys typed meanwhile went to the list
    (`v` changed the view, Enter marked a paper read). It opens at once; the counts follow."""
    import threading

    from textual.widgets import OptionList

    from papertui.service import Service

    opened = threading.Event()
    counted = Service.count

    def slow_count(self, query):
        opened.wait(10)
        return counted(self, query)

    async def scenario():
        app = exporting_app(demo_db_path, tmp_path, out, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            view = app.rq
            monkeypatch.setattr(Service, "count", slow_count)
            await pilot.press("E")
            await pilot.pause()
            options = app.screen.query_one(OptionList)
            labels = [str(options.get_option_at_index(i).prompt) for i in range(3)]
            assert labels[1:] == [
                "k  bookmarks (counting…)",
                "v  this view: All papers (counting…)",
            ]
            opened.set()
            for _ in range(50):
                await pilot.pause(0.02)
                if "counting" not in str(options.get_option_at_index(2).prompt):
                    break
            assert str(options.get_option_at_index(2).prompt).startswith(
                "v  this view: All papers ("
            )
            opened.clear()
            await pilot.press("escape", "E", "v")  # at once: the menu takes the v
            await pilot.pause()
            assert app.rq == view
            assert "this view" in str(app.screen.query_one("#copy-title").render())
            opened.set()
            await pilot.press("escape")
            await settle(pilot)

    try:
        run(scenario())
    finally:
        opened.set()
