"""Pilot tests of the reading screen (`f`): opening, moving, the outline, search, links, the
saved position, resizing, and what it does without a full text."""

from __future__ import annotations

import threading

import pytest
from reading_helpers import PAPER_MD, FakeFullText, with_text
from ui_helpers import make_app, run, settle

from papertui.document import Kind
from papertui.document.search import line_of_hit
from papertui.errors import NotFound
from papertui.ui.screens.links_menu import LinksMenu
from papertui.ui.screens.reading import ReadingScreen

pytestmark = pytest.mark.slow  # reader pilot scenarios: a few seconds each


@pytest.fixture
def demo_db(demo_db_path):
    return demo_db_path


def view_text(view) -> list[str]:
    return [view.render_line(y).text for y in range(view.scrollable_content_region.height)]


def status_text(screen) -> str:
    return str(screen.query_one("#reading-status").render())


async def open_reading(pilot) -> ReadingScreen:
    await pilot.press("f")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReadingScreen)
    return screen


def block_index(view, prefix: str) -> int:
    return next(i for i, b in enumerate(view.document.blocks) if b.text.startswith(prefix))


def test_f_opens_the_cached_full_text_and_keys_move(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            with_text(app)
            pid = app.paper_list.current.id
            screen = await open_reading(pilot)
            view = screen.view
            assert screen.paper_id == pid
            assert view.document.complete and view.document.title.startswith("Routing Sparse")
            lines = view_text(view)
            assert "Routing Sparse Experts for Long-Context Retrieval" in lines[0]
            assert lines[0].startswith(" " * 30)  # centered: a 90-column measure in 119
            assert max(len(line.rstrip()) - 14 for line in lines) <= 90
            assert view.top_line == 0 and "0%" in status_text(screen)
            await pilot.press("j", "j", "down")
            assert view.top_line == 3
            await pilot.press("k")
            assert view.top_line == 2
            await pilot.press("space")
            assert view.top_line == 2 + view.page
            await pilot.press("pageup")
            assert view.top_line == 2
            await pilot.press("ctrl+d")
            assert view.top_line == 2 + view.page // 2
            await pilot.press("ctrl+u", "G")
            assert view.top_line == view.max_scroll_y and "100%" in status_text(screen)
            assert "6 Conclusion" in status_text(screen)  # the section at the top line
            await pilot.press("g")
            assert view.top_line == 0
            await pilot.press("right_square_bracket", "right_square_bracket")
            assert view.document.blocks[view.top_block].text == "1 Introduction"
            assert "1 Introduction" in status_text(screen)
            await pilot.press("left_square_bracket")
            assert view.document.blocks[view.top_block].text == "Abstract"
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is app.main_screen and app.focused is app.paper_list

    run(scenario())


def test_outline_jumps_to_a_section(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            with_text(app)
            screen = await open_reading(pilot)
            view = screen.view
            await pilot.press("t")
            await settle(pilot)
            menu = screen.outline
            assert menu is not None and app.focused is menu.options
            titles = [h.title for h in menu.headings]
            assert titles[0] == "Abstract" and "3.2 The block router" in titles
            target = titles.index("4.2 Ablations")
            for _ in range(target):
                await pilot.press("j")
            await pilot.press("enter")
            await settle(pilot)
            assert screen.outline is None and app.focused is view
            assert view.document.blocks[view.top_block].text == "4.2 Ablations"
            assert view_text(view)[0].strip() == "4.2 Ablations"
            assert "4.2 Ablations" in status_text(screen)
            await pilot.press("t")  # the outline opens on the section the reader is in
            await settle(pilot)
            assert screen.outline.options.highlighted == target
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen and screen.outline is None  # Esc closed only the outline

    run(scenario())


def test_find_highlights_hits_and_n_N_go_through_them(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            with_text(app)
            screen = await open_reading(pilot)
            view = screen.view
            await pilot.press("slash")
            assert app.focused.id == "reading-find"
            for ch in "load-balancing":
                await pilot.press(ch)
            await pilot.press("enter")
            await settle(pilot)
            assert app.focused is view
            total = len(view.hits)
            assert total == 4 and view.current_hit == 0
            assert f"1/{total} for “load-balancing”" in status_text(screen)
            base = view.rich_style.bgcolor

            def marked(current: bool) -> list[str]:
                """Underlined match text on screen: the current hit has its own background."""
                return [
                    segment.text
                    for y in range(view.scrollable_content_region.height)
                    for segment in view.render_line(y)
                    if segment.style
                    and segment.style.underline
                    and (segment.style.bgcolor != base) is current
                ]

            height = view.scrollable_content_region.height
            in_view = [
                h
                for h in view.hits
                if 0 <= line_of_hit(view.text_layout, h) - view.top_line < height
            ]
            assert [t.lower() for t in marked(True)] == ["load-balancing"]
            others = [t for t in marked(False) if t.lower() == "load-balancing"]
            assert len(others) == len(in_view) - 1
            hit = view.hits[0]
            assert view.top_line <= view.text_layout.line_of(hit.block) + 5
            await pilot.press("n")
            assert view.current_hit == 1 and f"2/{total}" in status_text(screen)
            await pilot.press("N", "N")
            assert view.current_hit == total - 1  # wraps round
            await pilot.press("escape")  # leaving forgets nothing about the paper's text
            await settle(pilot)
            assert app.screen is app.main_screen

    run(scenario())


def test_find_field_escape_closes_the_field_not_the_screen(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            with_text(app)
            screen = await open_reading(pilot)
            await pilot.press("slash", "x", "escape")
            await settle(pilot)
            assert app.screen is screen and app.focused is screen.view
            assert not screen.query_one("#reading-find").display
            await pilot.press("slash", "q", "u", "a", "n", "t", "u", "m", "enter")
            await settle(pilot)
            assert screen.view.hits == [] and "nothing found for “quantum”" in status_text(screen)

    run(scenario())


def test_the_reading_position_is_saved_and_restored(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            source = with_text(app)
            pid = app.paper_list.current.id
            screen = await open_reading(pilot)
            view = screen.view
            target = block_index(view, "4 Experiments")
            view.go_to_block(target)
            await pilot.press("escape")
            await settle(pilot)
            assert source.positions == {pid: target}
            screen = await open_reading(pilot)
            assert screen.view.top_block == target
            assert screen.view.document.blocks[target].text == "4 Experiments"
            await pilot.press("j", "j")
            moved = screen.view.top_block
            assert moved > target
            await app.action_quit()  # quitting while reading keeps the place too
        assert source.positions[pid] == moved

    run(scenario())


def test_links_menu_opens_and_copies_http_links_only(demo_db, tmp_path, monkeypatch):
    import webbrowser

    import pyperclip

    opened: list[str] = []
    copied: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    monkeypatch.setattr(pyperclip, "copy", copied.append)

    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            with_text(app)
            screen = await open_reading(pilot)
            links = screen.view.document.links
            await pilot.press("l")
            await settle(pilot)
            menu = app.screen
            assert isinstance(menu, LinksMenu)
            assert menu.query_one("#links-options").option_count == len(links)
            await pilot.press("enter")  # the first link: the GitHub repository
            await settle(pilot)
            assert opened == ["https://github.com/example/routerag"]
            await pilot.press("l")
            await settle(pilot)
            await pilot.press("j", "y")
            await settle(pilot)
            assert copied == ["https://arxiv.org/abs/2005.11401"]
            mail = next(link for link in links if link.url.startswith("mailto:"))
            await pilot.press("l")
            await settle(pilot)
            for _ in range(mail.number - 1):
                await pilot.press("j")
            await pilot.press("o")
            await settle(pilot)
            assert opened == ["https://github.com/example/routerag"]  # refused
            assert any("Refused to open link" in n.message for n in app._notifications)
            await pilot.press("p")
            await settle(pilot)
            assert opened[-1] == f"https://arxiv.org/pdf/{screen.paper_id}"

    run(scenario())


def test_resizing_lays_out_again_and_keeps_the_place(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            with_text(app)
            screen = await open_reading(pilot)
            view = screen.view
            target = block_index(view, "3.2 The block router")
            view.go_to_block(target)
            await settle(pilot)
            assert view.text_layout.width == 90
            lines_wide = len(view.text_layout.lines)
            await pilot.resize_terminal(60, 30)
            await settle(pilot)
            assert view.text_layout.width == 57  # 60 columns less the scrollbar and margins
            assert len(view.text_layout.lines) > lines_wide
            assert view.top_block == target
            assert all(len(line.rstrip()) <= 59 for line in view_text(view))
            await pilot.resize_terminal(120, 36)
            await settle(pilot)
            assert view.text_layout.width == 90 and view.top_block == target

    run(scenario())


def test_offline_without_a_text_shows_the_abstract_and_links(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            source = with_text(app, None)
            pid = app.paper_list.current.id
            screen = await open_reading(pilot)
            document = screen.view.document
            notice = next(b for b in document.blocks if b.kind is Kind.NOTICE)
            assert notice.text.startswith("Offline, and the full text of this paper is not cached")
            paper = app.service.paper(pid)
            assert any(b.text == "Abstract" for b in document.blocks)
            assert [link.url for link in document.links][:2] == [
                f"https://arxiv.org/pdf/{pid}",
                f"https://arxiv.org/abs/{pid}",
            ]
            assert paper.abstract.split()[0] in " ".join(view_text(screen.view))
            assert source.fetches == []
            await pilot.press("escape")
            await settle(pilot)
            assert source.positions == {}  # an abstract is no reading position

    run(scenario())


def test_online_fetches_with_progress_then_shows_the_text(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            gate = threading.Event()
            source = with_text(app, None, offline=False, gate=gate)
            pid = app.paper_list.current.id
            source.remote[pid] = FakeFullText(pid, PAPER_MD)
            await pilot.press("f")
            await pilot.pause(0.2)
            screen = app.screen
            assert isinstance(screen, ReadingScreen)
            assert "Fetching the full text" in status_text(screen)
            assert screen.loading_shown
            gate.set()
            await settle(pilot)
            assert source.fetches == [pid]
            assert screen.view.document.title.startswith("Routing Sparse")
            assert not screen.loading_shown

    run(scenario())


def test_a_paper_without_a_full_text_on_hugging_face(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            source = with_text(app, None, offline=False)
            pid = app.paper_list.current.id
            source.remote[pid] = NotFound("not found", 404)
            screen = await open_reading(pilot)
            notice = next(b for b in screen.view.document.blocks if b.kind is Kind.NOTICE)
            assert notice.text.startswith("Hugging Face has no full text of this paper")

    run(scenario())


def test_fallback_content_is_labelled(demo_db, tmp_path):
    from reading_helpers import FULLTEXT_FIXTURES

    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            text = (FULLTEXT_FIXTURES / "fallback-rendering.md").read_text(encoding="utf-8")
            with_text(app, text, fallback=True)
            pid = app.paper_list.current.id
            screen = await open_reading(pilot)
            first = screen.view.document.blocks[0]
            assert first.kind is Kind.NOTICE and "no HTML version" in first.text
            assert screen.view.document.links[0].url == f"https://arxiv.org/pdf/{pid}"
            assert "page's text only" in status_text(screen)

    run(scenario())


def test_list_keys_wait_while_reading_and_paper_keys_work(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            with_text(app)
            rq = app.rq
            row = app.paper_list.current
            await open_reading(pilot)
            await pilot.press("v", "s", "u", "A", "r")
            await settle(pilot)
            assert app.rq == rq  # the list underneath did not change
            await pilot.press("b")  # bookmarking the paper being read works
            await settle(pilot)
            assert app.service.paper(row.id).bookmarked
            footer_keys = {b.binding.key for b in app.screen.active_bindings.values() if b.enabled}
            assert "v" not in footer_keys

    run(scenario())


def test_reading_keys_are_remappable_and_in_help(demo_db, tmp_path):
    async def scenario():
        app = make_app(demo_db, tmp_path, keymap={"reading.outline": "c"})
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            rows = dict((text, key) for key, text in app.key_help())
            assert rows["Full text: the contents (jump to a section)"] == "c"
            assert rows["Read the paper's full text (fetched and kept for offline reading)"] == "f"
            with_text(app)
            await open_reading(pilot)
            await pilot.press("c")
            await settle(pilot)
            assert app.screen.outline is not None

    run(scenario())


def test_a_long_paper_shows_its_start_before_the_rest_is_parsed(demo_db, tmp_path):
    body = PAPER_MD[PAPER_MD.index("## 1 Introduction") : PAPER_MD.index("## Acknowledgements")]
    long = PAPER_MD.replace(body, body * 30)

    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            with_text(app, long)
            shown = []
            original = ReadingScreen.show_document

            def spy(self, document, layout=None, **kwargs):
                shown.append((document.complete, len(document.blocks)))
                return original(self, document, layout, **kwargs)

            ReadingScreen.show_document = spy  # type: ignore[method-assign]
            try:
                screen = await open_reading(pilot)
            finally:
                ReadingScreen.show_document = original  # type: ignore[method-assign]
            assert shown[0][0] is False and shown[0][1] < shown[-1][1]
            assert shown[-1][0] is True and screen.view.document.complete
            assert len(screen.view.document.headings) > 100

    run(scenario())


def test_hostile_text_reaches_the_screen_as_text(demo_db, tmp_path):
    from reading_helpers import FULLTEXT_FIXTURES

    async def scenario():
        app = make_app(demo_db, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            text = (FULLTEXT_FIXTURES / "hostile-rendering.md").read_text(encoding="utf-8")
            with_text(app, text)
            screen = await open_reading(pilot)
            shown = "\n".join(view_text(screen.view))
            assert "[bold red]markup[/]" in shown and "[@click=app.quit]quit[/]" in shown
            for bad in ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u200b", "\x00"):
                assert bad not in shown
            await pilot.press("l")
            await settle(pilot)
            assert isinstance(app.screen, LinksMenu)  # hostile links listed, as text

    run(scenario())


def test_readme_lists_the_reading_screen_binding_ids():
    import re
    from pathlib import Path

    from papertui.ui.screens.reading import FindBar

    ids = {b.id for cls in (ReadingScreen, FindBar) for b in cls.BINDINGS if b.id}
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert ids == set(re.findall(r"`((?:reading|find)\.[a-z_]+)`", readme))
    assert "`app.full_text`" in readme and "reading_width" in readme
