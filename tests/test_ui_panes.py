"""How the panes share the screen (issue 11, "a readable list"): the split (`<` / `>` and
`list_width`), the list alone (`z`), two-line rows (`W`), all remembered in config.toml."""

from __future__ import annotations

import tomllib

import pytest
from ui_helpers import make_app, run, settle

from papertui.config import load_config
from papertui.models import ListRow
from papertui.ui.widgets.paper_list import split_title

pytestmark = pytest.mark.slow  # reader pilot scenarios: a few seconds each


def saved(tmp_path) -> dict:
    app_path = tmp_path / "config.toml"
    return tomllib.loads(app_path.read_text()) if app_path.exists() else {}


def test_the_split_follows_list_width_and_the_keys_and_is_remembered(demo_db_path, tmp_path):
    (tmp_path / "config.toml").write_text('# mine\ntheme = "nord"  # keep\n[keymap]\n')

    async def scenario():
        app = make_app(demo_db_path, tmp_path, list_width=30)
        async with app.run_test(size=(200, 40)) as pilot:
            await settle(pilot)
            panes = app.main_screen.query_one("#panes").region.width
            assert app.paper_list.region.width == pytest.approx(panes * 0.30, abs=1)
            await pilot.press("greater_than_sign", "greater_than_sign")
            await settle(pilot)
            assert app.config.list_width == 40
            assert app.paper_list.region.width == pytest.approx(panes * 0.40, abs=1)
            assert app.detail.region.x >= app.paper_list.region.right
            await pilot.press("less_than_sign")
            await settle(pilot)
            assert app.config.list_width == 35
            for _ in range(12):
                await pilot.press("less_than_sign")
            await settle(pilot)
            assert app.config.list_width == 20  # the floor, with a word about it
            await pilot.pause(1.2)  # written a moment after the last press
            assert saved(tmp_path)["list_width"] == 20

    run(scenario())
    text = (tmp_path / "config.toml").read_text()
    assert "# mine" in text and 'theme = "nord"  # keep' in text  # the rest stays as written


def test_quitting_writes_a_layout_change_at_once(demo_db_path, tmp_path):
    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("greater_than_sign", "q")

    run(scenario())
    assert saved(tmp_path)["list_width"] == 55
    config, warning = load_config(tmp_path / "config.toml")
    assert warning is None and config.list_width == 55


def test_list_only_opens_the_paper_full_screen_and_escape_returns(demo_db_path, tmp_path):
    async def scenario():
        app = make_app(demo_db_path, tmp_path)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            side_by_side = app.paper_list.region.width
            await pilot.press("z")
            await settle(pilot)
            assert not app.detail.display
            panes = app.main_screen.query_one("#panes").region
            assert app.paper_list.region.width == panes.width > side_by_side
            await pilot.press("j", "enter")
            await settle(pilot)
            assert app.main_screen.maximized is app.detail and app.detail.display
            assert app.focused is app.detail
            second = app.paper_list.current
            assert app.detail.paper.id == second.id
            assert app.service.store.paper(second.id).read  # opening read it
            await pilot.press("J")  # the next paper, still full screen
            await settle(pilot)
            assert app.main_screen.maximized is app.detail
            assert app.detail.paper.id == app.paper_list.current.id != second.id
            await pilot.press("escape")
            await settle(pilot)
            assert app.main_screen.maximized is None and not app.detail.display
            assert app.focused is app.paper_list
            await pilot.press("greater_than_sign")  # no split to move: says what z does
            await settle(pilot)
            assert app.config.list_width == 50
            await pilot.press("z")
            await settle(pilot)
            assert app.detail.display and app.detail.region.width > 0
            assert app.paper_list.region.width == side_by_side

    run(scenario())
    assert saved(tmp_path)["layout"] == "split"


def test_leaving_list_only_while_reading_keeps_reading_side_by_side(demo_db_path, tmp_path):
    async def scenario():
        app = make_app(demo_db_path, tmp_path, layout="list")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert app.main_screen.maximized is app.detail
            await pilot.press("z")
            await settle(pilot)
            assert app.main_screen.maximized is None
            assert app.detail.display and app.focused is app.detail
            await pilot.press("z")  # the list alone again: the hidden pane gives up the focus
            await settle(pilot)
            assert not app.detail.display and app.focused is app.paper_list

    run(scenario())


def test_list_only_at_80x24_gives_the_list_every_line(demo_db_path, tmp_path):
    async def scenario():
        app = make_app(demo_db_path, tmp_path, default_view="all")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            stacked = app.paper_list.region.height
            await pilot.press("greater_than_sign")  # stacked: no width to share; says so
            await settle(pilot)
            assert app.config.list_width == 50
            await pilot.press("z")
            await settle(pilot)
            assert app.paper_list.region.height > stacked
            await pilot.press("enter")
            await settle(pilot)
            assert app.main_screen.maximized is app.detail
            await pilot.press("escape")
            await settle(pilot)
            assert app.focused is app.paper_list and not app.detail.display

    run(scenario())


def test_two_line_rows_page_and_click_by_rows(demo_db_path, tmp_path):
    async def scenario():
        app = make_app(demo_db_path, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            lst = app.paper_list
            one_line_page = lst.rows_per_page
            await pilot.click(lst, offset=(5, 1 + 2))  # under the border: the third row
            await settle(pilot)
            assert lst.cursor == 2
            await pilot.click(lst, offset=(5, 0))  # the border itself: nothing moves
            await settle(pilot)
            assert lst.cursor == 2
            await pilot.press("g", "W")
            await settle(pilot)
            assert lst.row_height == 2 and lst.virtual_size.height == 2 * lst.total
            assert lst.rows_per_page == one_line_page // 2
            await pilot.press("pagedown")
            await settle(pilot)
            assert lst.cursor == lst.rows_per_page - 1
            top = round(lst.scroll_offset.y)
            assert top <= 2 * lst.cursor < top + lst.scrollable_content_region.height
            await pilot.click(lst, offset=(5, 1 + 5))  # the 6th screen line: the 3rd row on screen
            await settle(pilot)
            assert lst.cursor == (top + 5) // 2
            # the second line of a row names the first author
            row = lst.current
            screen = "\n".join(
                "".join(s.text for s in lst.render_line(y))
                for y in range(lst.scrollable_content_region.height)
            )
            assert row.first_author and row.first_author[:10] in screen
            await pilot.press("G")
            await settle(pilot)
            assert lst.cursor == lst.total - 1
            bottom = round(lst.scroll_offset.y) + lst.scrollable_content_region.height
            assert bottom == 2 * lst.total  # the last row whole on screen
            await pilot.press("W")
            await settle(pilot)
            assert lst.row_height == 1 and lst.cursor == lst.total - 1

    run(scenario())
    assert saved(tmp_path)["two_line_rows"] is False


def test_a_bad_layout_setting_is_named_and_the_rest_kept(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('list_width = 95\nlayout = "grid"\ntheme = "nord"\n')
    config, warning = load_config(path)
    assert config.theme == "nord" and config.list_width == 50 and config.layout == "split"
    assert "list_width" in warning and "layout" in warning


def test_titles_split_over_two_lines_at_a_space_and_keep_every_character():
    title = "Flash-GRPO: Efficient Alignment for Video Diffusion via One-Step Policy Optimization"
    first, rest = split_title(title, 41)
    assert first == "Flash-GRPO: Efficient Alignment for Video"
    assert split_title(title, 40)[0] == "Flash-GRPO: Efficient Alignment for"
    assert f"{first} {rest}" == title
    assert split_title("short", 40) == ("short", "")
    first, rest = split_title("x" * 50, 20)  # no space: cut mid-word
    assert (first, rest) == ("x" * 20, "x" * 30)
    wide = "大規模言語モデルの推論能力を高める"  # two cells a character
    first, rest = split_title(wide, 10)
    assert first + rest == wide and first == wide[:5]


def test_the_byline_is_first_author_et_al_and_organization():
    def row(**kw):
        return ListRow("1", "t", None, 0, 0, False, False, **kw)

    assert row(first_author="Ada", author_count=3, organization="Meta").byline == (
        "Ada et al. · Meta"
    )
    assert row(first_author="Ada", author_count=1).byline == "Ada"
    assert row(organization="Meta").byline == "Meta"
    assert row().byline == ""


def test_the_empty_lists_text_wraps_by_cells_and_keeps_every_word():
    """`textwrap` counted characters: a search in Japanese made the first line wider than the
    pane and its last word ("the") was cut off."""
    from rich.cells import cell_len

    from papertui.ui.widgets.paper_list import _wrapped

    text = (
        "Nothing matches “[bold red]x[/] 日本語 Müller”. Esc in the search bar clears it; "
        "? lists the search language."
    )
    for width in (20, 40, 56, 80):
        lines = _wrapped(text, width)
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert " ".join(lines).split() == text.split()
