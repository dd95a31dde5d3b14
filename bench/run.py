"""papertui benchmark: `python bench/run.py [--sizes 1000,10000,100000]` prints one Markdown table.

At each size it builds (once, cached in bench/.cache) a cache of synthetic papers in the real API
schema through the store's own upsert path, with your library on it (one paper in ten tagged,
one in twenty with a note), then measures cold start, key-to-repaint, search
latency (core and UI), sync ingest from a loopback server, peak RSS and the database size.
Figures, not pass/fail: see BENCHMARKS.md for the targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests"), str(HERE)]

from data import add_library, build_cache, synthetic_item, templates  # noqa: E402
from data import per_day as papers_per_day  # noqa: E402

from papertui.config import Config  # noqa: E402
from papertui.hf_api import HfApi  # noqa: E402
from papertui.ratelimit import RateLimiter  # noqa: E402
from papertui.service import Service  # noqa: E402
from papertui.store import Store  # noqa: E402
from papertui.sync import sync_days  # noqa: E402
from papertui.ui.launch import create_app  # noqa: E402
from papertui.views import ReaderQuery, View  # noqa: E402

QUERIES = [
    ("common word", "model"),
    ("rare word", "protein kernel"),
    ("phrase", '"reward tokenizer"'),
    ("author:", "author:tanaka"),
    ("is:unread + word", "is:unread diffusion"),
    ("date range", "date:2023-06-01..2023-08-31"),
]


# Your library (10% of papers tagged, 5% with a note: see data.add_library).
LIBRARY_QUERIES = [
    ("a tag", "tag:ml"),
    ("a rare tag", "tag:thesis"),
    ("a tag, unread", "tag:to-read is:unread"),
    ("a word in notes", "note:baseline"),
    ("a phrase in notes", 'note:"strong baseline"'),
    ("a tag and a note word", "tag:ml note:compare"),
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def cold_start(db: Path, runs: int) -> tuple[float, float]:
    starts, rss = [], []
    for _ in range(runs):
        spawned = time.time()
        out = subprocess.run(
            [sys.executable, str(HERE / "harness.py"), str(db), repr(spawned)],
            capture_output=True,
            text=True,
            check=True,
        )
        report = json.loads(out.stdout.strip().splitlines()[-1])
        starts.append(report["first_rows_s"])
        rss.append(report["peak_rss_mb"])
    return statistics.median(starts), max(rss)


def core_search(db: Path, rounds: int, relevance: bool) -> dict[str, tuple[float, float]]:
    """What the reader waits for per search, p50 and p95: "rows", the first window of rows (the
    reader draws them as they come; the total is counted only when they are not all there
    are), and "total", the rows and then the total (what the reader drew before it drew the
    rows first; the unread count follows in its own worker either way). Sorted by upvotes, or
    as the reader sorts a search by default (relevance when it has words). Each search is timed
    as if made for the first time: the relevance rankings the store keeps are dropped first."""
    rows, totals = [], []
    with Store(db) as store:
        view = View("all", None)
        for _ in range(rounds):
            for _, text in QUERIES:
                store.forget_rankings()
                started = time.perf_counter()
                rq = ReaderQuery(view, text=text)
                where = rq.filter()
                shown = store.list_rows(where, rq.order if relevance else "upvotes", limit=200)
                drawn = time.perf_counter()
                if len(shown) == 200:
                    store.count(where)  # after the rows, as `Service.total` asks
                rows.append(drawn - started)
                totals.append(time.perf_counter() - started)
    return {
        "rows": (pct(rows, 0.5), pct(rows, 0.95)),
        "total": (pct(totals, 0.5), pct(totals, 0.95)),
    }


def search_detail(db: Path, rounds: int) -> list[list[str]]:
    """Per query, in the order the reader gives it: the first search (total + first 200 rows),
    the same search again (a refresh, `s` back to relevance), the next block of 200 rows, the
    last block (a jump to the end), and the last block as the first thing asked. Medians."""
    out = []
    with Store(db) as store:
        for label, text in QUERIES:
            rq = ReaderQuery(View("all", None), text=text)
            where = rq.filter()
            measured: dict[str, list[float]] = {k: [] for k in ("first", "again", "next", "end")}
            cold_end: list[float] = []
            for _ in range(rounds):
                store.forget_rankings()
                for name in ("first", "again"):
                    started = time.perf_counter()
                    store.list_rows(where, rq.order, limit=200)
                    total = store.count(where)
                    measured[name].append(time.perf_counter() - started)
                for name, offset in (("next", 200), ("end", max(0, total - 200))):
                    started = time.perf_counter()
                    store.list_rows(where, rq.order, limit=200, offset=offset)
                    measured[name].append(time.perf_counter() - started)
                store.forget_rankings()
                started = time.perf_counter()
                store.list_rows(where, rq.order, limit=200, offset=max(0, total - 200))
                cold_end.append(time.perf_counter() - started)
            out.append(
                [f"{label} `{text}`", rq.order, f"{total:,}"]
                + [ms(statistics.median(v)) for v in measured.values()]
                + [ms(statistics.median(cold_end))]
            )
    return out


def library_search(db: Path, rounds: int) -> tuple[float, float]:
    """`tag:` and `note:` searches as the reader runs them: the total and the first window."""
    times = []
    with Store(db) as store:
        for _ in range(rounds):
            for _, text in LIBRARY_QUERIES:
                started = time.perf_counter()
                rq = ReaderQuery(View("all", None), text=text)
                where = rq.filter()
                store.count(where)
                store.list_rows(where, rq.order, limit=200)
                times.append(time.perf_counter() - started)
    return pct(times, 0.5), pct(times, 0.95)


def library_writes(db: Path, tmp: Path, rounds: int) -> tuple[float, float]:
    """A tag change and a note change, each through the service as a key press makes it, until
    committed (on disk in WAL: another process sees it), on a copy of the cache."""
    import random

    copy = tmp / "writes.db"
    shutil.copy(db, copy)
    rng = random.Random(5)
    times = []
    with Service(copy) as service:
        ids = [r.id for r in service.store.list_rows(limit=100_000)]
        for n in range(rounds * 5):
            paper = rng.choice(ids)
            started = time.perf_counter()
            if n % 2:
                service.set_note(paper, f"A note written in round {n}: compare with the baseline.")
            else:
                service.set_tags(paper, ["bench", f"round-{n % 7}"])
            times.append(time.perf_counter() - started)
    copy.unlink()
    return pct(times, 0.5), pct(times, 0.95)


async def ui_measures(db: Path, tmp: Path, rounds: int) -> dict[str, list[float]]:
    """Key press to repaint: the key goes straight to the driver (as a terminal's would) and the
    clock stops at the first frame Textual renders after the result is on screen."""
    from textual import events

    app = create_app(
        db,
        offline=True,
        config=Config(default_view="all", restore_session=False),
        config_path=tmp / "c.toml",
    )
    results: dict[str, list[float]] = {k: [] for k in ("down", "pagedown", "end", "open", "search")}
    frames: list[float] = []
    async with app.run_test(size=(120, 36)) as pilot:
        display = app._display

        def timed_display(screen, renderable):
            if renderable is not None:
                frames.append(time.perf_counter())
            return display(screen, renderable)

        app._display = timed_display
        lst = app.paper_list

        async def until(condition, frame: bool = False) -> None:
            """Wait for condition(); with frame, also for the first frame painted after it."""
            for _ in range(20_000):
                if condition():
                    break
                await asyncio.sleep(0.0002)
            else:
                raise TimeoutError("the reader never got there")
            ready = time.perf_counter()
            while frame and not (frames and frames[-1] >= ready):
                await asyncio.sleep(0.0002)

        async def key(name: str, condition) -> float:
            await pilot.pause()
            started = time.perf_counter()
            char = name if len(name) == 1 else None
            app._driver.send_message(events.Key(name, char))
            await until(condition, frame=True)
            return frames[-1] - started

        await until(lambda: lst.total > 0 and lst.current is not None)
        await until(lambda: not getattr(lst, "counting", False))  # the list's real length
        for _ in range(rounds):
            await pilot.press("g")
            await until(lambda: lst.cursor == 0 and lst.current is not None)
            results["down"].append(await key("j", lambda: lst.cursor == 1))
            results["pagedown"].append(
                await key("pagedown", lambda: lst.cursor > 1 and lst.current is not None)
            )
            results["end"].append(
                await key("G", lambda: lst.cursor == lst.total - 1 and lst.current is not None)
            )
            await pilot.press("k")
            await until(
                lambda: app.detail.paper is not None and app.detail.paper.id == lst.current.id
            )
            if app.detail.paper.read:
                await pilot.press("m")
                await until(lambda: not app.detail.paper.read)
            results["open"].append(await key("enter", lambda: app.detail.paper.read))
            await pilot.press("escape")  # Enter moved into the detail pane: back to the list
            await until(lambda: app.focused is lst)
        search = app.query_one("#search")
        for _ in range(max(1, rounds // 4)):
            for _, text in QUERIES:
                app.service.store.forget_rankings()  # as if searched for the first time
                generation = app.generation
                started = time.perf_counter()
                search.value = text  # what a key press in the bar does
                await until(
                    lambda g=generation, text=text: (
                        app.generation > g
                        and app.rq.text == text
                        and lst.generation == app.generation
                    ),
                    frame=True,
                )
                results["search"].append(frames[-1] - started)
            search.value = ""
            await until(lambda: app.rq.text == "")
    return results


SERVER = """
import json, sys, time
sys.path.insert(0, sys.argv[2])
from fake_api import FakeApi
api = FakeApi(today="2099-12-31")
for day, items in json.load(open(sys.argv[1])).items():
    api.add_day(day, items)
api.start()
print(api.url, flush=True)
time.sleep(600)
"""


def ingest(
    db: Path, tmp: Path, size: int, days: int = 20, per_day: int = 300
) -> tuple[float, float]:
    """Sync `days` days of `per_day` new papers (100 a page) from a loopback server in its own
    process, as a remote server would be, into a copy of the cache: papers/s; then one more day
    of `per_day` papers alone, as a daily sync is: its seconds, request to commit. The days
    follow the cache's own (and stay in the range papertui accepts: until 2026 the bench used
    days in 2050, whose items were all refused as out of range, so it timed skipping them)."""
    import random

    copy = tmp / "ingest.db"
    shutil.copy(db, copy)
    bank = templates()
    rng = random.Random(99)
    first_day = -(-size // papers_per_day(size)) + 10
    served, wanted = {}, []
    for i in range(days + 1):
        day = (date(2023, 5, 4) + timedelta(days=first_day + i)).isoformat()
        start = 5_000_000 + i * per_day  # ids no cache of the bench has
        served[day] = [
            synthetic_item(bank[(start + k) % len(bank)], start + k, rng, day)
            for k in range(per_day)
        ]
        wanted.append(date.fromisoformat(day))
    (tmp / "days.json").write_text(json.dumps(served))
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp / "days.json"), str(HERE.parent / "tests")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().strip()
        with Store(copy) as store, HfApi(url, limiter=RateLimiter(burst=10_000)) as client:
            started = time.perf_counter()
            summary = sync_days(store, client, wanted[:days])
            elapsed = time.perf_counter() - started
            assert summary.ok, summary.failed
            assert sum(r.new for r in summary.stored) == days * per_day, "items were refused"
            started = time.perf_counter()
            summary = sync_days(store, client, wanted[days:])
            one_day = time.perf_counter() - started
    finally:
        server.kill()
        server.wait()
    assert summary.ok, summary.failed
    copy.unlink()
    return days * per_day / elapsed, one_day


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--cache-dir", type=Path, default=HERE / ".cache")
    parser.add_argument(
        "--only",
        choices=["search"],
        help="search: only the search core columns (no reader process, no UI, no ingest)",
    )
    args = parser.parse_args()
    args.cache_dir.mkdir(exist_ok=True)
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        db = args.cache_dir / f"papers-{size}.db"
        started = time.perf_counter()
        build_cache(db, size)
        add_library(db)
        print(
            f"# {size:,} papers: cache ready in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
        core = core_search(db, args.rounds, relevance=False)
        rel = core_search(db, args.rounds, relevance=True)
        searched = [
            f"{ms(m[k][0])} / {ms(m[k][1])}" for m in (core, rel) for k in ("rows", "total")
        ]
        lib50, lib95 = library_search(db, args.rounds)
        if args.only == "search":
            rows.append(
                [
                    f"{size:,}",
                    *searched,
                    f"{ms(lib50)} / {ms(lib95)}",
                ]
            )
            detail = [
                "query",
                "order",
                "matches",
                "first search ms",
                "again ms",
                "next 200 ms",
                "last 200 ms",
                "last 200 first ms",
            ]
            print(f"\n{size:,} papers, per query (medians of {args.rounds}):")
            print("| " + " | ".join(detail) + " |\n|" + "---|" * len(detail))
            for line in search_detail(db, args.rounds):
                print("| " + " | ".join(line) + " |")
            continue
        first_rows, rss = cold_start(db, args.cold_runs)
        with tempfile.TemporaryDirectory() as tmp:
            ui = asyncio.run(ui_measures(db, Path(tmp), args.rounds))
            rate, one_day = ingest(db, Path(tmp), size)
            write50, write95 = library_writes(db, Path(tmp), args.rounds)
        rows.append(
            [
                f"{size:,}",
                ms(first_rows),
                ms(statistics.median(ui["down"])),
                ms(statistics.median(ui["pagedown"])),
                ms(statistics.median(ui["end"])),
                ms(statistics.median(ui["open"])),
                *searched,
                f"{ms(pct(ui['search'], 0.5))} / {ms(pct(ui['search'], 0.95))}",
                f"{rate:,.0f}",
                f"{ms(lib50)} / {ms(lib95)}",
                f"{ms(write50)} / {ms(write95)}",
                f"{one_day:.2f}",
                f"{rss:.0f}",
                f"{os.path.getsize(db) / 2**20:.0f}",
            ]
        )
        print(f"# {size:,} papers measured", file=sys.stderr)
    head = [
        "papers",
        "first rows ms",
        "down ms",
        "page down ms",
        "jump to end ms",
        "open paper ms",
        "search core: rows p50/p95 ms",
        "search core: rows + total p50/p95 ms",
        "search core relevance: rows p50/p95 ms",
        "search core relevance: rows + total p50/p95 ms",
        "search UI p50/p95 ms",
        "ingest papers/s",
        "tag:/note: search p50/p95 ms",
        "tag/note change p50/p95 ms",
        "one day's sync s",
        "peak RSS MB",
        "DB MB",
    ]
    if args.only == "search":
        head = ["papers", *head[6:10], head[12]]
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
