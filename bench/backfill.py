"""papertui backfill and history benchmark: `python bench/backfill.py [--part all|archive|history]`.

archive: the whole Daily Papers archive (every day since 2023-05-04: 20-120 papers a weekday,
    none on most weekends; tests/archive.py) from a loopback server in its own process, into a
    fresh cache, fetched two ways: month lists for past months (what `papertui sync --all` does)
    and one request a day. Both through the real rate limiter (anonymous: 60 at once, then 400
    per 5 minutes), so the wall time is what a user waits; also without it (`--no-limit` rows),
    which shows the client's own cost. Requests counted by the client and by the server; the ETA
    the progress line showed at 10% and 50% against the time it really took.
history: 30 simulated daily syncs of the last 7 days, upvotes and comments climbing as they do
    in a paper's first week; the size of the count history after them.

Figures, not pass/fail: see BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests")]

from archive import ARCHIVE_START, Archive, make_items, papers_on  # noqa: E402

from papertui import days as calendar_days  # noqa: E402
from papertui import sync  # noqa: E402
from papertui.hf_api import HfApi  # noqa: E402
from papertui.ratelimit import RateLimiter  # noqa: E402
from papertui.store import Store  # noqa: E402

SERVER = """
import sys
from datetime import date
sys.path.insert(0, sys.argv[1])
from archive import Archive
from fake_api import FakeApi
end = date.fromisoformat(sys.argv[2])
api = FakeApi(today=end.isoformat())
api.days = Archive(end=end)
api.start()
print(api.url, flush=True)
sys.stdin.read()  # until the bench closes it
print(len(api.requests), sum('month' in r.query for r in api.requests), flush=True)
api.stop()
"""


def serve(end: date) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SERVER, str(HERE.parent / "tests"), end.isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def backfill(end: date, months: bool, limit: bool, tmp: Path) -> dict:
    server = serve(end)
    url = server.stdout.readline().strip()
    db = tmp / f"backfill-{'months' if months else 'days'}{'' if limit else '-no-limit'}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)  # a fresh cache, not a resumed one
    etas: list[tuple[float, float, float | None]] = []  # (elapsed, fraction, eta)
    started = time.perf_counter()

    def progress(p) -> None:
        etas.append((time.perf_counter() - started, p.fraction, p.eta))

    limiter = RateLimiter() if limit else RateLimiter(burst=1_000_000)
    days = calendar_days.span(ARCHIVE_START, end)[::-1]
    with Store(db) as store, HfApi(url, limiter=limiter) as client:
        started = time.perf_counter()
        summary = sync.sync_days(
            store,
            client,
            days,
            months=months,
            today=end,
            on_progress=progress,
            budget=7200,
        )
        elapsed = time.perf_counter() - started
        papers = store.count()
    server.stdin.close()
    served, month_requests = (int(v) for v in server.stdout.readline().split())
    server.wait()
    assert summary.ok, summary.failed[:3]

    def eta_at(fraction: float) -> str:
        for at, done, eta in etas:
            if done >= fraction and eta is not None:
                return f"{eta:.0f} s (real {elapsed - at:.0f} s)"
        return "–"

    return {
        "mode": ("month lists" if months else "one request a day")
        + ("" if limit else ", no rate limit"),
        "days": len(days),
        "papers": papers,
        "requests": summary.requests,
        "served": served,
        "month_requests": month_requests,
        "seconds": elapsed,
        "eta10": eta_at(0.10) if limit else "–",
        "eta50": eta_at(0.50) if limit else "–",
        "db_mb": db.stat().st_size / 2**20,
    }


# ---- history --------------------------------------------------------------------------------


def climbing(items: list[dict], age: int) -> list[dict]:
    """A day's items `age` days after they were listed: upvotes climb towards their final count
    (most of it in the first two days), comments now and then."""
    shown = []
    for item in items:
        item = json.loads(json.dumps(item))
        final = item["paper"]["upvotes"]
        item["paper"]["upvotes"] = round(final * (1 - math.exp(-(age + 0.5) / 1.5)))
        rng = random.Random(f"{item['paper']['id']}:{age}")
        item["numComments"] = (item.get("numComments") or 0) + (age if rng.random() < 0.2 else 0)
        shown.append(item)
    return shown


def history(tmp: Path) -> dict:
    from fake_api import FakeApi

    import papertui.store.cache as cache
    import papertui.store.rows as rows

    first = date(2026, 3, 2)
    db = tmp / "history.db"
    api = FakeApi(today="2099-12-31")
    with api, Store(db) as store, HfApi(api.url, limiter=RateLimiter(burst=1_000_000)) as client:
        base = {}
        for n in range(-6, 30):
            day = first + timedelta(days=n)
            base[day] = make_items(day, papers_on(day))
        for n in range(30):
            today = first + timedelta(days=n)
            stamp = datetime(today.year, today.month, today.day, 9, tzinfo=UTC).isoformat()
            rows.utc_now = cache.utc_now = lambda stamp=stamp: stamp  # type: ignore[assignment]
            window = [today - timedelta(days=i) for i in range(7)]
            for day in window:
                api.add_day(day.isoformat(), climbing(base[day], (today - day).days))
            summary = sync.sync_days(store, client, window, months=False, today=today)
            assert summary.ok
        rows_count, papers = store.history_size()
        total = store.count()
    with sqlite3.connect(db) as conn:
        size = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('paper_history', 'idx_paper_history_at')"
        ).fetchone()[0]
        whole = conn.execute("SELECT sum(pgsize) FROM dbstat").fetchone()[0]
    return {
        "papers": total,
        "rows": rows_count,
        "changed": papers,
        "bytes": size,
        "share": size / whole,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "archive", "history"), default="all")
    parser.add_argument("--end", default=None, help="the archive's last day (default: today UTC)")
    parser.add_argument("--no-limit-only", action="store_true", help="skip the rate-limited runs")
    parser.add_argument(
        "--modes",
        default="months,days",
        help="which ways to fetch: months, days or both (default)",
    )
    parser.add_argument("--keep", type=Path, help="keep the caches in this folder")
    args = parser.parse_args()
    end = date.fromisoformat(args.end) if args.end else datetime.now(UTC).date()
    print(
        f"# {platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; archive {ARCHIVE_START} to {end}: "
        f"{Archive(end=end).paper_count():,} papers",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        modes = [m == "months" for m in args.modes.split(",")]
        if args.part in ("all", "archive"):
            print(
                "| fetched by | days | papers | requests (client / server) | month lists | "
                "wall time | ETA shown at 10% | at 50% | DB MB |"
            )
            print("|---|---|---|---|---|---|---|---|---|")
            runs = [(months, False) for months in modes]
            if not args.no_limit_only:
                runs += [(months, True) for months in modes]
            for months, limit in runs:
                r = backfill(end, months, limit, tmp)
                print(
                    f"| {r['mode']} | {r['days']:,} | {r['papers']:,} | "
                    f"{r['requests']:,} / {r['served']:,} | {r['month_requests']:,} | "
                    f"{r['seconds']:.1f} s | {r['eta10']} | {r['eta50']} | {r['db_mb']:.0f} |",
                    flush=True,
                )
        if args.part in ("all", "history"):
            h = history(tmp)
            print()
            print(
                "| daily syncs of 7 days | papers | history rows | papers that changed | "
                "history size | share of the cache |"
            )
            print("|---|---|---|---|---|---|")
            print(
                f"| 30 | {h['papers']:,} | {h['rows']:,} | {h['changed']:,} | "
                f"{h['bytes'] / 1024:.0f} KB ({h['bytes'] / max(h['rows'], 1):.0f} bytes a row) | "
                f"{h['share']:.1%} |"
            )


if __name__ == "__main__":
    main()
