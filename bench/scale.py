"""papertui archive-scale benchmark (issue 15): `python bench/scale.py [--papers 100000]`.

Prints Markdown tables, each measured in processes of their own (peak RSS from `wait4`, which
reports that one child):
- import: papers/s, CPU and peak RSS of `papertui import` of a generated file of N real-shaped
  papers (bench/data.py), in each shape it reads (a saved daily list, a JSON export, JSON Lines);
- export / search: peak RSS and time of `export` (JSON, JSON Lines, CSV) and
  `search --json --limit 100000 ""` on the cache that import made;
- write path: CPU a paper of the store's writes alone (rows prepared beforehand), one statement
  a row (as before) against many rows a statement, into an empty cache and into the N cache;
- FTS: what FTS5 maintenance costs a paper, its variants (for the lead: the schema is not this
  branch's to change).

The generated files go to --scratch (default: a temporary folder) and are deleted at the end
unless --keep. Figures, not pass/fail: see BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE), str(HERE.parent / "tests")]

from data import per_day, synthetic_item, templates  # noqa: E402
from peak_rss import run_measured  # noqa: E402

from papertui.importing import ImportStream  # noqa: E402
from papertui.store import Store  # noqa: E402
from papertui.store.rows import prepare_import  # noqa: E402


def generate(path: Path, papers: int, shape: str, seed: int = 5) -> Path:
    """A file of `papers` synthetic papers (real items, new ids/titles/authors), written as it is
    made: a daily list, a JSON export (a fifth read, a hundredth bookmarked) or JSON Lines."""
    rng = random.Random(seed)
    bank = templates()
    per = per_day(papers)
    with path.open("w", encoding="utf-8") as out:
        if shape == "list":
            out.write("[")
        elif shape == "export":
            out.write(
                '{"papertui_export": 1, "exported_at": "2026-01-01T00:00:00+00:00", "papers": ['
            )
        else:
            out.write('{"papertui_export": 1, "exported_at": "2026-01-01T00:00:00+00:00"}\n')
        for n in range(papers):
            day = (date(2023, 5, 4) + timedelta(days=n // per)).isoformat()
            item = synthetic_item(bank[n % len(bank)], n, rng, day)
            if shape != "list":
                stamp = "2026-01-01T00:00:00+00:00"
                user = (
                    {"read": True, "bookmarked": n % 100 == 0, "updated_at": stamp}
                    if n % 5 == 0
                    else None
                )
                item = {
                    "id": item["paper"]["id"],
                    "day": day,
                    "first_seen_at": stamp,
                    "updated_at": stamp,
                    "user": user,
                    "raw": item,
                }
            text = json.dumps(item, ensure_ascii=False)
            if shape == "jsonl":
                out.write(text + "\n")
            else:
                out.write(("," if n else "") + text)
        if shape == "list":
            out.write("]")
        elif shape == "export":
            out.write("]}\n")
    return path


def measured(*args: str) -> dict:
    """A papertui command in its own process (`tests/peak_rss.py`): wall and CPU seconds, peak
    RSS MB, its stderr."""
    started = time.perf_counter()
    proc, rss, cpu = run_measured(*args)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {proc.stderr}")
    return {"wall": wall, "cpu": cpu, "rss": rss / 1024, "stderr": proc.stderr}


def fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def import_rows(scratch: Path, papers: int) -> tuple[list[list[str]], Path]:
    rows = []
    db = scratch / "imported.db"
    for shape in ("export", "jsonl", "list"):
        source = generate(scratch / f"papers.{shape}", papers, shape)
        size = source.stat().st_size
        result = measured("--db", str(fresh(db)), "import", str(source))
        rows.append(
            [
                shape,
                f"{papers:,}",
                f"{size / 1e6:,.0f}",
                f"{papers / result['wall']:,.0f}",
                f"{result['cpu'] / papers * 1e6:,.0f}",
                f"{result['rss']:.0f}",
            ]
        )
        print(f"# import {shape}: {rows[-1]}", file=sys.stderr)
        if shape != "export":
            source.unlink()
    fresh(db)
    measured(
        "--db", str(db), "import", str(scratch / "papers.export")
    )  # the cache for what follows
    (scratch / "papers.export").unlink()
    return rows, db


def output_rows(db: Path, scratch: Path) -> list[list[str]]:
    rows = []
    for label, args in (
        ("export (JSON) to a file", ["export", "-o", str(scratch / "out.json")]),
        (
            "export --format jsonl",
            ["export", "--format", "jsonl", "-o", str(scratch / "out.jsonl")],
        ),
        ("export --format csv", ["export", "--format", "csv", "-o", str(scratch / "out.csv")]),
        ('search --json --limit 100000 ""', ["search", "--json", "--limit", "100000"]),
    ):
        result = measured("--db", str(db), *args)
        rows.append([label, f"{result['wall']:.1f}", f"{result['rss']:.0f}"])
        print(f"# {label}: {rows[-1]}", file=sys.stderr)
    for name in ("out.json", "out.jsonl", "out.csv"):
        (scratch / name).unlink(missing_ok=True)
    return rows


def write_path_rows(db: Path, scratch: Path, papers: int = 20_000) -> list[list[str]]:
    """The store's own writes (rows prepared beforehand), a statement a row (as before) against
    many rows a statement, into an empty cache and into a copy of the big one."""
    import papertui.store.cache as cache
    from papertui.store import paper_writes

    source = generate(scratch / "write.jsonl", papers, "jsonl", seed=11)
    chunks = list(prepare_import(ImportStream(source).records()))
    source.unlink()
    rows = []
    for target in ("empty", "big"):
        for how in ("a statement a row", "many rows a statement"):
            path = fresh(scratch / "write.db")
            if target == "big":
                shutil.copyfile(db, path)
            with Store(path) as store:
                cache.BATCH_PAUSE = 0  # the store's own work only
                if how == "a statement a row":
                    real = paper_writes.upsert_papers
                    paper_writes.upsert_papers = lambda conn, rows: conn.executemany(
                        paper_writes.UPSERT_SQL, rows
                    )
                cpu, wall = time.process_time(), time.perf_counter()
                store.import_prepared(iter(chunks))
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                if how == "a statement a row":
                    paper_writes.upsert_papers = real
            rows.append([target, how, f"{cpu / papers * 1e6:.0f}", f"{papers / wall:,.0f}"])
            print(f"# write path: {rows[-1]}", file=sys.stderr)
    fresh(scratch / "write.db")
    return rows


FTS_COLUMNS = "title, abstract, authors, ai_keywords, ai_summary, organization"
FTS_VARIANTS = {
    "as in the cache (unicode61 remove_diacritics 2, prefix 3, column sizes)": (
        "tokenize='unicode61 remove_diacritics 2', prefix='3'",
        [],
    ),
    "without the prefix index": ("tokenize='unicode61 remove_diacritics 2'", []),
    "without column sizes (columnsize=0)": (
        "tokenize='unicode61 remove_diacritics 2', prefix='3', columnsize=0",
        [],
    ),
    "detail=column (no positions: no phrase queries)": (
        "tokenize='unicode61 remove_diacritics 2', prefix='3', detail=column",
        [],
    ),
    "as in the cache, hashsize 64 MB (fewer, bigger flushes)": (
        "tokenize='unicode61 remove_diacritics 2', prefix='3'",
        [("hashsize", 64 * 2**20)],
    ),
    "as in the cache, automerge 0 (no merging while writing)": (
        "tokenize='unicode61 remove_diacritics 2', prefix='3'",
        [("automerge", 0)],
    ),
}


def fts_rows(db: Path, scratch: Path, papers: int = 20_000) -> list[list[str]]:
    """FTS5 indexing alone (a contentless index of the papers' columns, 2,000 a transaction),
    CPU a paper, for each variant; and the size of the index of `papers` papers."""
    source = sqlite3.connect(db)
    rows_in = source.execute(
        f"SELECT pk, {FTS_COLUMNS} FROM papers ORDER BY pk LIMIT ?", (papers,)
    ).fetchall()
    source.close()
    rows = []
    for name, (options, config) in FTS_VARIANTS.items():
        path = fresh(scratch / "fts.db")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5({FTS_COLUMNS}, content='', {options})")
        for key, value in config:
            conn.execute(f"INSERT INTO t (t, rank) VALUES ('{key}', {value})")
        cpu = time.process_time()
        for start in range(0, len(rows_in), 2000):
            conn.execute("BEGIN")
            conn.executemany(
                f"INSERT INTO t (rowid, {FTS_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows_in[start : start + 2000],
            )
            conn.execute("COMMIT")
        cpu = time.process_time() - cpu
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        size = path.stat().st_size
        rows.append([name, f"{cpu / len(rows_in) * 1e6:.0f}", f"{size / len(rows_in):,.0f}"])
        print(f"# fts: {rows[-1]}", file=sys.stderr)
    fresh(scratch / "fts.db")
    return rows


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def size_rows(db: Path) -> list[list[str]]:
    """Where a cache's bytes go, per paper: each table and index (SQLite's dbstat, pages as
    they lie on disk) and, within the papers table, each column's average stored length."""
    conn = sqlite3.connect(db)
    papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0] or 1
    rows = [["the file", f"{db.stat().st_size / papers:,.0f}", ""]]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    rows.append(["(page size)", f"{page:,}", ""])
    for name, size, payload in conn.execute(
        "SELECT name, sum(pgsize), sum(payload) FROM dbstat GROUP BY name ORDER BY 2 DESC"
    ):
        if size / papers >= 1:
            rows.append([name, f"{size / papers:,.0f}", f"{payload / papers:,.0f}"])
    for column in (
        "abstract raw ai_keywords ai_summary authors title thumbnail github_repo project_page "
        "published_at submitted_at first_seen_at updated_at organization id day digest"
    ).split():
        (length,) = conn.execute(f"SELECT avg(length({column})) FROM papers").fetchone()
        rows.append([f"  papers.{column}", "", f"{length or 0:,.0f}"])
    conn.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--scratch", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the cache that import made")
    parser.add_argument(
        "--only",
        choices=["import", "size", "output", "write", "fts"],
        action="append",
        default=None,
    )
    args = parser.parse_args()
    only = set(args.only or ["import", "size", "output", "write", "fts"])
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="papertui-scale-"))
    scratch.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, load "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    db = scratch / "imported.db"
    if "import" in only or not db.exists():
        rows, db = import_rows(scratch, args.papers)
        print(f"\nImport of {args.papers:,} papers (a fresh cache each):")
        print(
            table(["file", "papers", "file MB", "papers/s", "CPU µs a paper", "peak RSS MB"], rows)
        )
    if "size" in only:
        print(f"\nWhere the {args.papers:,}-paper cache's bytes go (bytes a paper):")
        print(table(["part", "on disk", "data"], size_rows(db)))
    if "output" in only:
        print(f"\nOutput of the {args.papers:,}-paper cache:")
        print(table(["command", "seconds", "peak RSS MB"], output_rows(db, scratch)))
    if "write" in only:
        print("\nThe store's writes alone (20,000 papers prepared beforehand):")
        print(
            table(
                ["into", "statements", "CPU µs a paper", "papers/s"], write_path_rows(db, scratch)
            )
        )
    if "fts" in only:
        print("\nFTS5 indexing alone (20,000 papers, contentless index, 2,000 a transaction):")
        print(table(["index", "CPU µs a paper", "bytes a paper"], fts_rows(db, scratch)))
    if not args.keep:
        fresh(db)
        if args.scratch is None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
