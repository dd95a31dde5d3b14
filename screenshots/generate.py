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
]


async def shoot(name, size, scenario, config, tmp: Path) -> Path:
    db = build_demo_cache(tmp / f"{name}.db")
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
