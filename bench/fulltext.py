"""Full texts: `python bench/fulltext.py [--texts 500] [--words 8000]` prints three tables.

- storage: what one cached full text costs in the cache file, and what the alternatives to the
  chosen index (contentless FTS5, no prefix index) would have cost: an FTS5 table that stores
  the text again, and a 3-character prefix index;
- fetch: `Service.fetch_full_texts` of every text from a loopback server in its own process (as
  a remote server would be), rate limiting off, so the figure is papertui's own cost;
- search: `text:` queries over the cached texts (what the reader waits for: count + first 200
  rows), and a plain-word search over the papers with and without the texts cached.

Texts are the test fixture's paper (`tests/fixtures/fulltext/2605.13301.md`) grown to `--words`
words and with half its words swapped for others from a vocabulary of real abstracts, so no two
texts are alike (an index of copies would be unrealistically small).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests"), str(HERE)]

from data import build_cache, templates  # noqa: E402
from fulltext_docs import long_paper  # noqa: E402

from papertui.hf_api import HfApi  # noqa: E402
from papertui.query import parse_query  # noqa: E402
from papertui.ratelimit import RateLimiter  # noqa: E402
from papertui.service import Service  # noqa: E402
from papertui.store import Store, prepare_text  # noqa: E402

SEARCHES = [
    ("common word", "text:model"),
    ("rare word", "text:anharmonic"),
    ("phrase", 'text:"test-time scaling"'),
    ("prefix (typing)", "text:reinf"),
    ("with a filter", "is:unread text:reward"),
    ("word OR text:", "diffusion OR text:pendulum"),
]
PLAIN = ["model", "protein kernel", '"reward tokenizer"', "diffusion video"]
_PROSE = re.compile(r"(?<![\\\w$])[A-Za-z]{4,}(?![\w(])")


def vocabulary() -> list[str]:
    words: dict[str, int] = {}
    for item in templates():
        text = (item["paper"].get("summary") or "") + " " + (item["paper"].get("title") or "")
        for word in re.findall(r"[A-Za-z]{4,}", text):
            words[word.lower()] = words.get(word.lower(), 0) + 1
    return sorted(words, key=lambda w: -words[w])


def synthetic_texts(count: int, words: int, seed: int = 12) -> list[str]:
    base = long_paper(words=words, equations=max(10, words // 300), tables=max(3, words // 3000))
    vocab = vocabulary()
    weights = [1 / (rank + 1) for rank in range(len(vocab))]  # Zipf, as words in papers are
    return [_swapped(base, vocab, weights, random.Random(seed + i)) for i in range(count)]


def _swapped(base: str, vocab: list[str], weights: list[float], rng: random.Random) -> str:
    """`base` with about half its prose words replaced by vocabulary words."""
    swaps = iter(rng.choices(vocab, weights, k=len(base) // 4))
    return _PROSE.sub(lambda m: next(swaps) if rng.random() < 0.5 else m.group(0), base)


def file_size(path: Path) -> int:
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("VACUUM")
    con.close()
    return path.stat().st_size


def variant_sizes(texts: list[str], tmp: Path) -> dict[str, int]:
    """Bytes of the cache file for the texts alone, and with each kind of index."""
    words = "tokenize='unicode61 remove_diacritics 2', columnsize=0"
    schemas = {
        "compressed text, no index": None,
        "+ contentless FTS5 index (chosen)": f"fts5(text, content='', {words})",
        "+ contentless FTS5 index with 3-char prefixes": f"fts5(text, content='', {words}, "
        "prefix='3')",
        "+ FTS5 index that stores the text again": f"fts5(text, {words})",
    }
    sizes = {}
    for name, fts in schemas.items():
        path = tmp / f"variant-{len(sizes)}.db"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (pk INTEGER PRIMARY KEY, markdown BLOB)")
        if fts:
            con.execute(f"CREATE VIRTUAL TABLE f USING {fts}")
        with con:
            for pk, text in enumerate(texts, 1):
                con.execute("INSERT INTO t VALUES (?, ?)", (pk, zlib.compress(text.encode(), 6)))
                if fts:
                    con.execute("INSERT INTO f (rowid, text) VALUES (?, ?)", (pk, text))
        con.close()
        sizes[name] = file_size(path)
        path.unlink()
    empty = tmp / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE t (pk INTEGER PRIMARY KEY, markdown BLOB)")
    base = file_size(empty)
    return {name: size - base for name, size in sizes.items()}


# Python's http.server writes headers and body in separate small sends; with Nagle's algorithm on,
# the client's delayed ACK then stalls each response ~40 ms (measured: 39 texts/s instead of
# 130). A real server does not do that, so the bench's server turns Nagle off.
SERVER = """
import json, socketserver, sys, time
sys.path.insert(0, sys.argv[2])
from fake_api import FakeApi
socketserver.StreamRequestHandler.disable_nagle_algorithm = True
api = FakeApi(today="2099-12-31")
api.texts.update(json.load(open(sys.argv[1])))
api.start()
print(api.url, flush=True)
time.sleep(3600)
"""


def fetch(db: Path, ids: list[str], texts: list[str], tmp: Path) -> tuple[float, float, float]:
    """(texts/s, MiB/s, one text's fetch p50 s) from a loopback server in its own process."""
    (tmp / "texts.json").write_text(json.dumps(dict(zip(ids, texts, strict=True))))
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp / "texts.json"), str(HERE.parent / "tests")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = server.stdout.readline().strip()

        def client(base: str | None) -> HfApi:
            return HfApi(base, limiter=RateLimiter(burst=10**6))

        unlimited = RateLimiter(burst=10**6)
        with Service(db, api_url=url, api_factory=client, page_limiter=unlimited) as service:
            started = time.perf_counter()
            summary = service.fetch_full_texts(ids)
            elapsed = time.perf_counter() - started
            assert summary.ok and len(summary.fetched) == len(ids), summary.line()
            singles = []
            for paper_id in ids[:20]:
                started = time.perf_counter()
                service.fetch_full_text(paper_id, force=True)
                singles.append(time.perf_counter() - started)
    finally:
        server.kill()
        server.wait()
    size = sum(len(t.encode()) for t in texts)
    return len(ids) / elapsed, size / 2**20 / elapsed, statistics.median(singles)


def search_times(db: Path, queries: list[str], rounds: int = 20) -> tuple[float, float]:
    times = []
    with Store(db) as store:
        for _ in range(rounds):
            for text in queries:
                where = parse_query(text)
                started = time.perf_counter()
                store.count(where)
                store.list_rows(where, "upvotes", limit=200)
                times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument("--words", type=int, default=8000)
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--cache-dir", type=Path, default=HERE / ".cache")
    args = parser.parse_args()
    args.cache_dir.mkdir(exist_ok=True)
    texts = synthetic_texts(args.texts, args.words)
    raw = sum(len(t.encode()) for t in texts)
    print(f"# {len(texts)} texts, {raw / len(texts) / 1024:.0f} KiB each", file=sys.stderr)
    template = build_cache(args.cache_dir / f"papers-{args.papers}.db", args.papers)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        sizes = variant_sizes(texts, tmp)
        db = tmp / "cache.db"
        shutil.copy(template, db)
        with Store(db) as store:
            ids = [r.id for r in store.list_rows(limit=len(texts))]
        search_times(db, PLAIN, rounds=3)  # warm the page cache, as the other figures are
        plain_before = search_times(db, PLAIN)
        before = file_size(db)
        rate, mib, single = fetch(db, ids, texts, tmp)
        after = file_size(db)
        search_times(db, PLAIN, rounds=3)
        plain_after = search_times(db, PLAIN)
        per_query = {label: search_times(db, [q]) for label, q in SEARCHES}
        with Store(db) as store:
            count, text_bytes, stored = store.full_text_totals()
            start = time.perf_counter()
            for paper_id in ids[:50]:
                store.full_text(paper_id)
            read_ms = (time.perf_counter() - start) / 50 * 1000
            # a replacement in one transaction (the old text out of the index, the new one in)
            started = time.perf_counter()
            for i, paper_id in enumerate(ids[:20]):
                store.put_full_text(
                    prepare_text(paper_id, texts[(i + 1) % len(texts)], fallback=False, etag=None)
                )
            replace_ms = (time.perf_counter() - started) / 20 * 1000
    n = len(texts)
    kib = 1024
    print(
        f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print(f"\n{n} texts of {args.words:,} words ({raw / n / kib:.0f} KiB of Markdown each)\n")
    print("| one text in the cache file | KiB per text | of the Markdown |")
    print("|---|---|---|")
    for name, size in sizes.items():
        print(f"| {name} | {size / n / kib:.1f} | {size / raw:.0%} |")
    print(
        f"| the real cache (`Store.put_full_text`, {count} texts) | "
        f"{(after - before) / n / kib:.1f} | {(after - before) / raw:.0%} |"
    )
    print(
        f"\ncompressed text alone: {stored / count / kib:.1f} KiB a text "
        f"({stored / text_bytes:.0%} of {text_bytes / count / kib:.0f} KiB)"
    )
    print(
        f"read one text back (decompress, model): {read_ms:.1f} ms; "
        f"replace one (one transaction): {replace_ms:.1f} ms"
    )
    print("\n| fetch (loopback, no rate limit) | texts/s | MiB/s | `fetch_full_text` p50 ms |")
    print("|---|---|---|---|")
    print(f"| {n} texts, 2 at a time | {rate:,.0f} | {mib:.1f} | {single * 1000:.1f} |")
    print(f"\n| search over {n} texts, {args.papers:,} papers | p50 ms | p95 ms |")
    print("|---|---|---|")
    for label, (p50, p95) in per_query.items():
        query = dict(SEARCHES)[label]
        print(f"| {label} `{query}` | {p50 * 1000:.1f} | {p95 * 1000:.1f} |")
    print(
        f"| plain words, before the texts were cached | {plain_before[0] * 1000:.1f} | "
        f"{plain_before[1] * 1000:.1f} |"
    )
    print(
        f"| plain words, with {n} texts cached | {plain_after[0] * 1000:.1f} | "
        f"{plain_after[1] * 1000:.1f} |"
    )


if __name__ == "__main__":
    main()
