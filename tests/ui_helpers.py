"""Shared helpers for the reader's pilot tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from papertui.config import Config
from papertui.store import Store
from papertui.ui.app import DETAIL_DELAY
from papertui.ui.launch import create_app


def make_app(
    db: Path, tmp_path: Path, *, offline: bool = True, api_url: str | None = None, **config
):
    cfg = Config(**config)
    return create_app(
        db, api_url=api_url, offline=offline, config=cfg, config_path=tmp_path / "config.toml"
    )


async def settle(pilot, rounds: int = 6) -> None:
    """Let timers, workers and the messages they post run to completion."""
    app = pilot.app
    await pilot.pause(DETAIL_DELAY + 0.01)  # the detail pane follows the cursor after a rest
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


async def type_search(pilot, text: str) -> None:
    if getattr(pilot.app.focused, "id", None) != "search":
        await pilot.press("slash")
        await pilot.pause()
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await pilot.pause(0.2)  # the search debounce
    await settle(pilot)


def state(db: Path, paper_id: str) -> tuple[bool, bool]:
    """(read, bookmarked) as a separate process would see it on disk right now."""
    with Store(db) as store:
        paper = store.paper(paper_id)
        return paper.read, paper.bookmarked


def run(coro) -> None:
    asyncio.run(coro)


def screen_text(app) -> str:
    """The text of every visible line of the list, as drawn."""
    lines = []
    widget = app.paper_list
    for y in range(widget.scrollable_content_region.height):
        lines.append(widget.render_line(y).text)
    return "\n".join(lines)
