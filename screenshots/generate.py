"""Regenerate the README screenshots from the bundled demo data: `python screenshots/generate.py`.

Each scenario drives the real reader headless (Textual's pilot) and saves an SVG beside this file.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from coverage_data import STALE, build_coverage_cache  # noqa: E402
from ui_helpers import make_app, settle, type_search  # noqa: E402

from papertui.demo import build_demo_cache  # noqa: E402


async def main_view(pilot):
    await settle(pilot)


async def search(pilot):
    await settle(pilot)
    await type_search(pilot, "agent memory")
    await pilot.press("enter")
    await settle(pilot)


async def detail(pilot):
    await settle(pilot)
    await pilot.press("v", "v", "v")
    await settle(pilot)
    await pilot.press("j", "enter", "tab")
    await settle(pilot)
    await pilot.press("ctrl+d")
    await settle(pilot)


async def help_screen(pilot):
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def library(pilot):
    """Tags and a note, written with the reader's own keys; then the tag view (T)."""
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
    await pilot.pause(3.5)  # the "Note saved." toast goes


async def tag_view(pilot):
    await library(pilot)
    await pilot.press("T")
    await settle(pilot)


async def narrow(pilot):
    await settle(pilot)
    await pilot.press("j", "j")
    await settle(pilot)


async def list_only(pilot):
    await settle(pilot)
    await pilot.press("j")
    await settle(pilot)


async def reading(pilot):
    """The reading screen on the realistic full-text fixture (tests/fixtures/fulltext), in its
    method section with a search for "router" marked."""
    from reading_helpers import with_text

    await settle(pilot)
    with_text(pilot.app)
    await pilot.press("f")
    await settle(pilot)
    view = pilot.app.screen.view
    view.go_to_block(next(i for i, b in enumerate(view.document.blocks) if b.text == "3 Method"))
    await pilot.press("slash", *"router", "enter")
    await settle(pilot)


async def coverage_calendar(pilot):
    """The calendar on a crafted month with every state (tests/coverage_data.py)."""
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    screen = pilot.app.screen
    while screen.grid.cursor > STALE:
        await pilot.press("h")
    await settle(pilot)


SCENARIOS = [
    ("main", (120, 36), main_view, {}),
    ("search", (120, 36), search, {}),
    ("detail", (120, 36), detail, {}),
    ("help", (120, 36), help_screen, {}),
    ("narrow-80x24", (80, 24), narrow, {"default_view": "all"}),
    (
        "list-only",
        (120, 36),
        list_only,
        {"layout": "list", "two_line_rows": True, "default_view": "all"},
    ),
    ("reading", (120, 36), reading, {}),
    ("library", (120, 36), library, {}),
    ("tag-view", (120, 36), tag_view, {}),
    ("calendar", (120, 36), coverage_calendar, {"cache": build_coverage_cache}),
]


async def shoot(name, size, scenario, config, tmp: Path) -> Path:
    config = dict(config)
    build = config.pop("cache", build_demo_cache)
    db = build(tmp / f"{name}.db")
    app = make_app(db, tmp, **config)
    async with app.run_test(size=size) as pilot:
        await scenario(pilot)
        app.title = "papertui"
        path = HERE / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(HERE))
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, size, scenario, config in SCENARIOS:
            print(asyncio.run(shoot(name, size, scenario, config, Path(tmp))))


if __name__ == "__main__":
    main()
