"""Reading benchmark: `python bench/reading.py` prints the full-text rows of BENCHMARKS.md.

On a 30,000-word paper with 100 display equations and 10 tables (bench/reading_data.py, built
from the realistic fixture), it measures in the real reader (headless, 120x36, Textual's own
frames): `f` to the first painted lines of the cached paper, a scroll step, a page, an outline
jump, a search inside the paper (core and key to frame), and the memory the open paper costs;
then the same paper in Textual's `Markdown` widget, and hostile documents through the parser.
Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests"), str(HERE)]

from reading_data import long_paper  # noqa: E402

from papertui.document import find, lay_out, parse  # noqa: E402
from papertui.document.parse import Builder  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ---- the core ------------------------------------------------------------------------------


def core(paper: str, rounds: int) -> dict[str, float]:
    first, whole, layout_t, search_t = [], [], [], []
    for _ in range(rounds):
        started = time.perf_counter()
        builder = Builder(paper)
        builder.until(30)
        lay_out(builder.document, 90)
        first.append(time.perf_counter() - started)
        started = time.perf_counter()
        document = parse(paper)
        whole.append(time.perf_counter() - started)
        started = time.perf_counter()
        lay_out(document, 90)
        layout_t.append(time.perf_counter() - started)
        for word in ("router", "load-balancing loss", "zzz-not-there"):
            started = time.perf_counter()
            find(document, word)
            search_t.append(time.perf_counter() - started)
    tracemalloc.start()
    document = parse(paper)
    layout = lay_out(document, 90)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "first_piece": statistics.median(first),
        "parse": statistics.median(whole),
        "layout": statistics.median(layout_t),
        "search": statistics.median(search_t),
        "search_max": max(search_t),
        "model_mb": size / 2**20,
        "lines": len(layout.lines),
        "blocks": len(document.blocks),
    }


# ---- the reader ----------------------------------------------------------------------------


async def reader(paper: str, rounds: int, tmp: Path) -> dict[str, list[float]]:
    """Key press to the first frame painted with the result, as in bench/run.py; with the CPU
    time the process spent meanwhile (all threads), which a loaded machine does not inflate."""
    from reading_helpers import with_text
    from textual import events
    from ui_helpers import make_app, settle

    from papertui.demo import build_demo_cache
    from papertui.ui.screens.reading import ReadingScreen

    db = build_demo_cache(tmp / "demo.db")
    app = make_app(db, tmp)
    names = ("open", "open_at_place", "open_again", "step", "page", "outline", "find")
    results: dict[str, list[float]] = {
        k: [] for k in (*names, *(f"{n}_cpu" for n in names), "rss_before", "rss_after")
    }
    frames: list[tuple[float, float]] = []
    async with app.run_test(size=(120, 36)) as pilot:
        display = app._display

        def timed_display(screen, renderable):
            if renderable is not None:
                frames.append((time.perf_counter(), time.process_time()))
            return display(screen, renderable)

        app._display = timed_display
        await settle(pilot)
        with_text(app, paper)
        await pilot.pause(1.5)  # the reader's warm-up (parser and LaTeX tables) has run
        await settle(pilot)

        async def until(condition, frame: bool = True) -> None:
            for _ in range(50_000):
                if condition():
                    break
                await asyncio.sleep(0.0002)
            else:
                raise TimeoutError("the reader never got there")
            ready = time.perf_counter()
            while frame and not (frames and frames[-1][0] >= ready):
                await asyncio.sleep(0.0002)

        async def key(name: str, condition, measure: str) -> None:
            await pilot.pause()
            started, cpu = time.perf_counter(), time.process_time()
            app._driver.send_message(events.Key(name, name if len(name) == 1 else None))
            await until(condition)
            results[measure].append(frames[-1][0] - started)
            results[f"{measure}_cpu"].append(frames[-1][1] - cpu)

        results["rss_before"].append(rss_mb())
        for round_ in range(rounds):

            def shown() -> bool:
                screen = app.screen
                return isinstance(screen, ReadingScreen) and bool(screen.view.text_layout.lines)

            # The first open starts at the top; later ones at the place the last one left
            # (near the end), either parsed again (a paper read in an earlier session) or
            # still parsed from this session.
            if round_ == 0:
                await key("f", shown, "open")
            elif round_ % 2:
                app.full_texts._parsed_texts.clear()
                await key("f", shown, "open_at_place")
            else:
                await key("f", shown, "open_again")
            screen = app.screen
            view = screen.view
            await until(lambda view=view: view.document.complete, frame=False)
            await settle(pilot)
            results["rss_after"].append(rss_mb())
            for _ in range(10):
                top = view.top_line
                await key("j", lambda t=top, v=view: v.top_line == t + 1, "step")
                top = view.top_line
                await key("pagedown", lambda t=top, v=view: v.top_line == t + v.page, "page")
            headings = [h for h in view.document.headings if h.level == 2]
            for heading in headings[2:8]:
                await pilot.press("t")
                await until(lambda s=screen: s.outline is not None, frame=False)
                menu = screen.outline
                menu.options.highlighted = menu.headings.index(heading)
                await settle(pilot)
                await key("enter", lambda b=heading.block, v=view: v.top_block == b, "outline")
            for word in ("router", "experts"):
                await pilot.press("slash")
                for ch in word:
                    await pilot.press(ch)
                await key(
                    "enter", lambda w=word, s=screen: s.find_text == w and bool(s.view.hits), "find"
                )
            await pilot.press("escape")
            await until(lambda: app.screen is app.main_screen, frame=False)
            await settle(pilot)
    return results


# ---- Textual's Markdown widget, in a process of its own ------------------------------------

MARKDOWN_CHILD = """
import sys, time, json
from pathlib import Path
sys.path[:0] = [sys.argv[2]]
from reading_data import long_paper
from textual.app import App
from textual.widgets import Markdown

paper = long_paper()
report = {}

def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

class Timed(App):
    def on_mount(self):
        report["rss_before"] = rss()
        self.started = time.perf_counter()
        self.mount(Markdown(paper)).__await__  # mounted from here; the first frame is measured
        self.call_after_refresh(self.painted)

    def painted(self):
        report["first_paint_s"] = time.perf_counter() - self.started
        report["rss_after"] = rss()
        md = self.query_one(Markdown)
        report["widgets"] = len(list(md.query("*")))
        started = time.perf_counter()
        md.scroll_to(y=md.virtual_size.height // 2, animate=False)
        self.call_after_refresh(lambda: self.scrolled(started))

    def scrolled(self, started):
        report["scroll_s"] = time.perf_counter() - started
        report["peak_rss"] = rss()
        self.exit()

Timed().run(headless=True, size=(120, 36))
print(json.dumps(report))
"""


def markdown_widget(timeout: float) -> dict:
    started = time.perf_counter()
    try:
        out = subprocess.run(
            [sys.executable, "-c", MARKDOWN_CHILD, "", str(HERE)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    report = json.loads(out.stdout.strip().splitlines()[-1])
    report["wall_s"] = time.perf_counter() - started
    return report


# ---- hostile documents ---------------------------------------------------------------------


def hostile() -> list[tuple[str, float, int]]:
    paragraph = "A sentence of a long paper with $x^2$ and a [link](https://e.org). " * 15 + "\n\n"
    cases = {
        "5 MB of paper text (cut at 2 MB)": "# Huge\n\n"
        + paragraph * (5_000_000 // len(paragraph)),
        "10,000-row table": "| a | b |\n|---|---|\n" + "| 1 | 2 |\n" * 10_000,
        "100,000 nested list levels": "- " * 100_000 + "x\n\nafter\n",
        "100,000 nested quotes": "> " * 100_000 + "x\n",
        "2 MB of `[a](` (the slowest inline case)": ("[a](" * 250 + "\n\n") * 2_000,
    }
    rows = []
    for name, text in cases.items():
        started = time.perf_counter()
        document = parse(text)
        layout = lay_out(document, 90)
        rows.append((name, time.perf_counter() - started, len(layout.lines)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--markdown-timeout", type=float, default=600)
    parser.add_argument("--skip-markdown", action="store_true")
    args = parser.parse_args()
    paper = long_paper()
    print(
        f"# paper: {len(paper.split()):,} words, {paper.count('$$') // 2} display equations, "
        f"{len(paper):,} characters",
        file=sys.stderr,
    )
    c = core(paper, args.rounds)
    with tempfile.TemporaryDirectory() as tmp:
        ui = asyncio.run(reader(paper, args.rounds, Path(tmp)))
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )

    def timing(name: str) -> str:
        wall, cpu = ui[name], ui[f"{name}_cpu"]
        return (
            f"{ms(statistics.median(wall))} / {ms(pct(wall, 0.95))} ms wall; "
            f"{ms(statistics.median(cpu))} / {ms(pct(cpu, 0.95))} ms CPU"
        )

    grown = statistics.median(ui["rss_after"]) - ui["rss_before"][0]
    rows = [
        (
            "open a cached paper: `f` to first painted lines (the session's first)",
            timing("open"),
            "< 150 ms",
        ),
        (
            "the same at the saved place near its end (all before it parsed first)",
            timing("open_at_place"),
            "< 150 ms",
        ),
        ("the same, read earlier in the session (kept parsed)", timing("open_again"), "< 150 ms"),
        ("scroll step `j`: key to frame", timing("step"), "< 16 ms"),
        ("page down: key to frame", timing("page"), "< 16 ms"),
        ("outline jump: Enter to frame", timing("outline"), "< 30 ms"),
        ("search in the paper: Enter to frame, hits marked", timing("find"), "< 50 ms"),
        (
            "search in the paper: the core alone (median / max)",
            f"{ms(c['search'])} / {ms(c['search_max'])} ms",
            "< 50 ms",
        ),
        ("memory: the reader's RSS growth with the paper open", f"{grown:.1f} MB", "< 50 MB"),
        ("memory: document + layout (tracemalloc)", f"{c['model_mb']:.1f} MB", ""),
        ("core: first screenful parsed and laid out", ms(c["first_piece"]) + " ms", ""),
        ("core: whole paper parsed (math converted)", ms(c["parse"]) + " ms", ""),
        (
            "core: whole paper laid out at 90 columns",
            f"{ms(c['layout'])} ms ({c['lines']:,} lines, {c['blocks']:,} blocks)",
            "",
        ),
    ]
    print("\n(timings: median / p95 of the rounds)")
    print("\n| measure | result | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if not args.skip_markdown:
        md = markdown_widget(args.markdown_timeout)
        print("\nTextual `Markdown` widget, the same paper, in a process of its own:\n")
        if "timeout" in md:
            print(f"not painted within {md['timeout']:.0f} s")
        else:
            print("| mount to first paint | RSS growth | widgets | scroll to the middle |")
            print("|---|---|---|---|")
            print(
                f"| {md['first_paint_s']:.2f} s | {md['rss_after'] - md['rss_before']:.0f} MB | "
                f"{md['widgets']:,} | {ms(md['scroll_s'])} ms |"
            )
    print("\n| hostile document | parse + layout | lines |")
    print("|---|---|---|")
    for name, seconds, lines in hostile():
        print(f"| {name} | {seconds:.2f} s | {lines:,} |")


if __name__ == "__main__":
    main()
