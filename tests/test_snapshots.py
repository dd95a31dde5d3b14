"""A few SVG snapshots of the reader on the demo data (update with `pytest --snapshot-update`)."""

from __future__ import annotations

import pytest
from ui_helpers import make_app, settle, type_search


@pytest.fixture
def demo_app(tmp_path, demo_db_path):
    def factory(**config):
        return make_app(demo_db_path, tmp_path, **config)

    return factory


@pytest.mark.slow
def test_main_view(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=(120, 36), run_before=settle)


@pytest.mark.slow
def test_search(snap_compare, demo_app):
    async def search(pilot):
        await settle(pilot)
        await type_search(pilot, "agent")
        await pilot.press("enter", "j")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=(120, 36), run_before=search)


@pytest.mark.slow
def test_help_screen(snap_compare, demo_app):
    async def help_screen(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=(120, 36), run_before=help_screen)


def test_narrow_80x24(snap_compare, demo_app):
    assert snap_compare(demo_app(default_view="all"), terminal_size=(80, 24), run_before=settle)


@pytest.mark.slow
def test_reading_screen(snap_compare, demo_app):
    """The full text of a paper (the realistic fixture), scrolled to its method section."""
    from reading_helpers import with_text

    async def reading(pilot):
        await settle(pilot)
        with_text(pilot.app)
        await pilot.press("f")
        await settle(pilot)
        view = pilot.app.screen.view
        target = next(
            i for i, b in enumerate(view.document.blocks) if b.text == "3.2 The block router"
        )
        view.go_to_block(target)
        await pilot.press("slash", *"router", "enter")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=(120, 36), run_before=reading)


@pytest.mark.slow
def test_list_only_with_two_line_rows(snap_compare, demo_app):
    """The list alone (`z`), rows of two lines (`W`): whole titles and who wrote them."""
    assert snap_compare(
        demo_app(layout="list", two_line_rows=True), terminal_size=(120, 36), run_before=settle
    )


@pytest.mark.slow
def test_list_only_paper_full_screen(snap_compare, demo_app):
    async def open_paper(pilot):
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(demo_app(layout="list"), terminal_size=(80, 24), run_before=open_paper)


def test_save_prompt_80x24(snap_compare, demo_app, monkeypatch):
    """The file prompt of "Save BibTeX: bookmarks…" on a small terminal, after a refused path."""
    from datetime import date
    from pathlib import Path

    monkeypatch.setenv("HOME", "/home/reader")
    app = demo_app()
    app.exports.today = lambda: date(2026, 5, 20)
    app.exports.default_folder = lambda: Path("/home/reader/Downloads")

    async def prompt(pilot):
        await settle(pilot)
        for key in ("E", "k", "B"):
            await pilot.press(key)
            await settle(pilot)
        await pilot.press("ctrl+u", *"~/no-such-folder/x.bib", "enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=prompt)


async def _library(pilot):
    """Two papers tagged and one with a note, written with the reader's own keys."""
    await settle(pilot)
    await pilot.press("t", *"agents", "space", *"vision", "enter")
    await pilot.press("j", "t", *"vision", "enter")
    await pilot.press("k", "e")
    await settle(pilot)
    for line in (
        "## Why it matters",
        "",
        "Strong *baseline* for game agents; compare with `SIMA`.",
    ):
        await pilot.press(*[c if c != " " else "space" for c in line], "enter")
    await pilot.press("ctrl+s")
    await settle(pilot)


@pytest.mark.slow
def test_tags_and_a_note(snap_compare, demo_app):
    assert snap_compare(demo_app(), terminal_size=(120, 36), run_before=_library)


@pytest.mark.slow
def test_the_tag_view(snap_compare, demo_app):
    async def tag_view(pilot):
        await _library(pilot)
        await pilot.press("T")
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=(120, 36), run_before=tag_view)
