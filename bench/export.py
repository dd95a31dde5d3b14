"""papertui export benchmark: `python bench/export.py [--papers 100000]` prints two Markdown tables.

1. The reader's copy / save of a whole view (every paper, the bench's order) as BibTeX and
   Markdown, each in a fresh process: seconds, output size and the process's peak RSS.
2. Key press to repaint (`j`, as in run.py) in the reader while idle and while a save of every
   paper runs in its worker thread.

The cache is run.py's (bench/.cache/papers-N.db, built once). Figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from data import build_cache  # noqa: E402

from papertui.config import Config  # noqa: E402
from papertui.query import EVERYTHING  # noqa: E402
from papertui.service import Service  # noqa: E402
from papertui.ui.launch import create_app  # noqa: E402


def one_export(db: Path, verb: str, fmt: str) -> None:
    """Run in a child process: one export, one line of figures on stdout."""
    with Service(db, offline=True) as service, tempfile.TemporaryDirectory() as tmp:
        service.count(EVERYTHING)
        started = time.perf_counter()
        if verb == "copy":  # the whole text, as the clipboard needs it
            exported = service.export_papers(fmt, EVERYTHING, sort="upvotes", heading="Papers")
            count, size = exported.count, len(exported.text.encode())
        else:
            path = Path(tmp) / f"out.{fmt}"
            count = service.save_papers(fmt, EVERYTHING, path, sort="upvotes", heading="Papers")
            size = path.stat().st_size
        took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count}\t{size}\t{took}\t{peak}")


async def key_times(db: Path, rounds: int) -> dict[str, list[float]]:
    """`j` to repaint, idle and during a save of every paper (restarted while it lasts)."""
    from textual import events

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            db,
            offline=True,
            config=Config(default_view="all", restore_session=False),
            config_path=Path(tmp) / "c.toml",
        )
        frames: list[float] = []
        results: dict[str, list[float]] = {"idle": [], "exporting": []}
        async with app.run_test(size=(120, 36)) as pilot:
            display = app._display

            def timed_display(screen, renderable):
                if renderable is not None:
                    frames.append(time.perf_counter())
                return display(screen, renderable)

            app._display = timed_display
            lst = app.paper_list

            async def until(condition) -> None:
                while not condition():
                    await asyncio.sleep(0.0002)
                ready = time.perf_counter()
                while not (frames and frames[-1] >= ready):
                    await asyncio.sleep(0.0002)

            async def down() -> float:
                await pilot.pause()
                target = lst.cursor + 1
                started = time.perf_counter()
                app._driver.send_message(events.Key("j", "j"))
                await until(lambda: lst.cursor == target)
                return frames[-1] - started

            while lst.total == 0 or lst.current is None:
                await asyncio.sleep(0.01)
            for _ in range(rounds):
                results["idle"].append(await down())
            done = threading.Event()
            out = Path(tmp) / "all.bib"

            def save() -> None:
                app.service.save_papers("bibtex", EVERYTHING, out, sort="upvotes")
                done.set()

            threading.Thread(target=save, daemon=True).start()
            await asyncio.sleep(0.5)  # the export under way
            while not done.is_set() and len(results["exporting"]) < rounds:
                results["exporting"].append(await down())
                await asyncio.sleep(0.05)
            while not done.is_set():
                await asyncio.sleep(0.05)
    return results


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        one_export(Path(args.child[0]), args.child[1], args.child[2])
        return
    db = build_cache(HERE / ".cache" / f"papers-{args.papers}.db", args.papers)
    print(f"Every paper of a {args.papers:,}-paper cache, most upvoted first:\n")
    print("| export | papers | size MB | seconds | peak RSS MB |")
    print("|---|---|---|---|---|")
    for verb, fmt in (
        ("copy", "bibtex"),
        ("save", "bibtex"),
        ("copy", "markdown"),
        ("save", "markdown"),
    ):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(db), verb, fmt],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        count, size, took, peak = int(out[0]), int(out[1]), float(out[2]), float(out[3])
        label = f"{verb} {fmt} ({'whole text' if verb == 'copy' else 'written in batches'})"
        print(f"| {label} | {count:,} | {size / 1e6:.1f} | {took:.1f} | {peak:.0f} |")
    times = asyncio.run(key_times(db, args.rounds))
    print("\n| `j` to repaint | p50 ms | p95 ms | rounds |")
    print("|---|---|---|---|")
    for name, values in times.items():
        ms = [v * 1000 for v in values]
        print(f"| {name} | {statistics.median(ms):.1f} | {pct(ms, 0.95):.1f} | {len(ms)} |")


if __name__ == "__main__":
    main()
