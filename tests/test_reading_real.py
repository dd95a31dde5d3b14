"""The reading screen and `papertui read` with the real service, cache and loopback server:
`f` fetches through the full-text client and keeps the text; the place is stored in the cache
and survives the reader; offline, a cached text opens; `read` prints it plain or styled."""

from __future__ import annotations

import os
import re

import pytest
from fulltext_docs import FALLBACK_ID, PAPER_ID, fallback_markdown, hostile_markdown, paper_markdown
from ui_helpers import make_app, run, settle

from papertui.document.cells import cell_len
from papertui.service import Service
from papertui.store import Store
from papertui.ui.screens.reading import ReadingScreen

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def today(monkeypatch):
    from datetime import date

    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 18))


@pytest.fixture
def synced(run, today, fake_api):
    """The CLI (`run`) on a cache synced from the loopback server, which has two full texts."""
    fake_api.texts[PAPER_ID] = paper_markdown()
    fake_api.texts[FALLBACK_ID] = fallback_markdown()
    result = run("sync", "--from", "2026-05-15", "--to", "2026-05-18")
    assert result.exit_code == 0, result.output
    return run


def text_requests(fake_api) -> list[str]:
    return [r.path for r in fake_api.requests if r.path.endswith(".md")]


# ---- papertui read ------------------------------------------------------------------------


def test_read_fetches_once_and_prints_plain_text(synced, fake_api):
    result = synced("read", PAPER_ID)
    assert result.exit_code == 0, result.output
    assert text_requests(fake_api) == [f"/papers/{PAPER_ID}.md"]
    out = result.output
    assert "\x1b" not in out and not _UNSAFE.search(out)  # piped: plain
    assert "$$" not in out and "\\frac" not in out
    assert "\nLinks\n[1] " in out
    assert all(cell_len(line) <= 90 for line in out.split("\nLinks\n")[0].splitlines())
    again = synced("read", f"https://arxiv.org/abs/{PAPER_ID}", "--plain", "--width", "60")
    assert again.exit_code == 0 and text_requests(fake_api) == [f"/papers/{PAPER_ID}.md"]
    body = again.output.split("\nLinks\n")[0]
    assert all(cell_len(line) <= 60 for line in body.splitlines())


def test_read_on_a_terminal_is_styled_with_its_own_codes_only(synced, fake_api, monkeypatch):
    import papertui.cli as cli

    fake_api.texts[PAPER_ID] = hostile_markdown()
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    monkeypatch.setattr(
        cli.shutil, "get_terminal_size", lambda fallback=None: os.terminal_size((72, 24))
    )
    result = synced("read", PAPER_ID)
    assert result.exit_code == 0, result.output
    assert "\x1b[" in result.output  # styled
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.output)
    assert "\x1b" not in text and not _UNSAFE.search(text)
    assert "[bold red]not bold[/]" in text
    body = text.split("\nLinks\n")[0]
    assert all(cell_len(line) <= 72 for line in body.splitlines())
    monkeypatch.setenv("NO_COLOR", "1")
    plain = synced("read", PAPER_ID)
    assert not re.search(r"\x1b\[[0-9;]*3[0-7][;m]", plain.output)
    flat = synced("read", PAPER_ID, "--plain")
    assert "\x1b" not in flat.output


def test_read_labels_the_fallback_and_names_the_pdf(synced):
    result = synced("read", FALLBACK_ID)
    assert result.exit_code == 0, result.output
    assert "arXiv has no HTML version of this paper" in result.output
    assert f"https://arxiv.org/pdf/{FALLBACK_ID}" in result.output


def test_read_offline_without_a_text_and_not_indexed(synced, fake_api):
    result = synced("--offline", "read", PAPER_ID)
    assert result.exit_code == 1
    assert f"the full text of {PAPER_ID} is not cached (--offline: not fetched" in result.output
    assert text_requests(fake_api) == []
    missing = synced("read", "2605.15963")  # cached paper, no text on the server
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    bad = synced("read", "not-an-id")
    assert bad.exit_code == 1 and "is not an arXiv id or paper link" in bad.output


# ---- the reader with the real service --------------------------------------------------------


@pytest.mark.slow
def test_f_fetches_keeps_and_the_place_survives_the_reader(
    synced, fake_api, db_path, tmp_path, monkeypatch
):
    with Store(db_path) as store:
        assert store.paper(PAPER_ID) is not None

    async def first_visit() -> int:
        app = make_app(db_path, tmp_path, offline=False, api_url=fake_api.url, default_view="all")
        app.autosync = False
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("slash", *PAPER_ID, "enter")
            await settle(pilot)
            assert app.paper_list.current.id == PAPER_ID
            await pilot.press("f")
            for _ in range(40):
                await settle(pilot, rounds=2)
                screen = app.screen
                if isinstance(screen, ReadingScreen) and screen.view.document.complete:
                    if screen.view.document.blocks:
                        break
                await pilot.pause(0.05)
            screen = app.screen
            assert isinstance(screen, ReadingScreen)
            view = screen.view
            assert view.document.title and len(view.document.headings) > 3
            heading = view.document.headings[len(view.document.headings) // 2]
            view.go_to_block(heading.block)
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            return heading.block

    block = run_value(first_visit())
    assert text_requests(fake_api) == [f"/papers/{PAPER_ID}.md"]
    with Service(db_path) as service:
        assert service.reading_position(PAPER_ID) == block
        assert service.full_text(PAPER_ID) is not None

    async def offline_visit() -> None:
        app = make_app(db_path, tmp_path, offline=True, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            await pilot.press("slash", *PAPER_ID, "enter")
            await settle(pilot)
            await pilot.press("f")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ReadingScreen)
            assert screen.view.top_block == block  # where the last visit left it

    run(offline_visit())
    assert text_requests(fake_api) == [f"/papers/{PAPER_ID}.md"]  # offline: read from the cache


def run_value(coro):
    import asyncio

    return asyncio.run(coro)
