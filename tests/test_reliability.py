"""Faults, crashes, concurrency, upgrades and bad files: nothing may lose the reader's data.

Each test here backs a row of RELIABILITY.md.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import FAST_RETRY, FIXTURES, day_08
from fake_api import FakeApi, Fault

from papertui import sync
from papertui.errors import StoreError
from papertui.hf_api import HfApi
from papertui.models import parse_items
from papertui.ratelimit import RateLimiter
from papertui.store import Store
from papertui.store.schema import MIGRATION_NAMES

ROOT = Path(__file__).parent.parent


def cli(db: Path, *args: str, api_url: str | None = None, preexec=None, timeout: float = 120):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("HF_TOKEN", None)
    cmd = [sys.executable, "-m", "papertui", "--db", str(db)]
    if api_url:
        cmd += ["--api-url", api_url]
    return subprocess.run(
        cmd + list(args),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        preexec_fn=preexec,
    )


def synthetic_days(api: FakeApi, first: date, count: int, per_day: int) -> list[date]:
    template = day_08()
    days = []
    for d in range(count):
        day = first + timedelta(days=d)
        items = []
        for i in range(per_day):
            item = json.loads(json.dumps(template[i % len(template)]))
            item["paper"]["id"] = f"2501.{d * 1000 + i:05d}"
            item["paper"]["upvotes"] = (d * 7 + i) % 100
            items.append(item)
        api.add_day(day.isoformat(), items)
        days.append(day)
    return days


def snapshot(db: Path) -> dict:
    """Everything that must come out the same, whatever order the writes happened in."""
    con = sqlite3.connect(db)
    try:
        return {
            "papers": con.execute(
                "SELECT id, title, abstract, authors, day, upvotes, num_comments, github_repo "
                "FROM papers ORDER BY id"
            ).fetchall(),
            "day_papers": con.execute(
                "SELECT day, paper_id, rank FROM day_papers ORDER BY 1, 2"
            ).fetchall(),
            "days": con.execute("SELECT day, count, complete FROM days ORDER BY day").fetchall(),
            "state": con.execute(
                "SELECT paper_id, read, bookmarked FROM user_state ORDER BY 1"
            ).fetchall(),
            "fts": con.execute(
                "SELECT count(*) FROM papers_fts WHERE papers_fts MATCH 'retrieval'"
            ).fetchone(),
        }
    finally:
        con.close()


def integrity(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def busy_api():
    """A server with 12 days of 250 papers (3 pages each), answering a little slowly."""
    api = FakeApi(today="2099-12-31")
    days = synthetic_days(api, date(2025, 1, 6), 12, 250)
    with api:
        yield api, days


def seed(db: Path) -> tuple[list[str], dict]:
    with Store(db) as store:
        parsed = parse_items(day_08())
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)
        ids = [i.paper.id for i in parsed.items]
        store.set_state(ids[:5], read=True)
        store.set_state(ids[3:8], bookmarked=True)
        store.change_tags(ids[2:6], add=["ml", "to-read"])  # your library rides along too
        store.set_note(ids[4], "a note \x1b[31m that no sync may touch")
        return ids, store.user_states()


# ---- crash consistency ------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_during_sync_loses_nothing(tmp_path, busy_api):
    api, days = busy_api
    db = tmp_path / "crash.db"
    ids, states = seed(db)
    rng = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [
        sys.executable,
        "-m",
        "papertui",
        "--db",
        str(db),
        "--api-url",
        api.url,
        "sync",
        "--from",
        days[0].isoformat(),
        "--to",
        days[-1].isoformat(),
        "--force",
    ]
    for attempt in range(8):
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=rng.uniform(0.35, 2.0))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert integrity(db) == "ok", attempt
        with Store(db) as store:
            assert all(store.has_paper(i) for i in ids), attempt
            assert store.user_states() == states, attempt
            for day in store.day_records():
                if day != "2026-05-08":  # a day is recorded only together with all its papers
                    assert (
                        store.count(__import__("papertui.query").query.parse_query(f"date:{day}"))
                        == 250
                    )
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with Store(db) as store:
        assert store.count() == 37 + 12 * 250
        assert store.user_states() == states
    assert integrity(db) == "ok"


# ---- concurrency ------------------------------------------------------------------------


@pytest.mark.slow
def test_two_syncs_and_a_reader_at_once_equal_a_sequential_run(tmp_path, busy_api):
    api, days = busy_api
    together, apart = tmp_path / "together.db", tmp_path / "apart.db"
    ids, _ = seed(together)
    seed(apart)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = ["sync", "--from", days[0].isoformat(), "--to", days[7].isoformat()]
    second = ["sync", "--from", days[4].isoformat(), "--to", days[11].isoformat(), "--force"]

    def start(db, extra):
        return subprocess.Popen(
            [sys.executable, "-m", "papertui", "--db", str(db), "--api-url", api.url, *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    procs = [start(together, first), start(together, second)]
    reads = 0
    with Store(together) as reader:
        while any(p.poll() is None for p in procs):
            reader.list_rows(limit=50)
            reader.counts()
            reader.set_state([ids[10]], read=True)
            reads += 1
    outputs = [p.communicate() for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in out + err and "busy" not in out + err
    assert reads > 0
    for extra in (first, second):
        done = subprocess.run(
            [sys.executable, "-m", "papertui", "--db", str(apart), "--api-url", api.url, *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    with Store(apart) as store:
        store.set_state([ids[10]], read=True)
    assert snapshot(together) == snapshot(apart)


def _open_together(index: int, paths: list[str], barrier, results) -> None:
    """One process of the test below: at each round, open the round's new cache together with
    the others and write to it."""
    for path in paths:
        try:
            barrier.wait(60)
            with Store(path) as store:
                store.set_state([f"2501.{index:05d}"], read=True)
            results.put((path, index, None))
        except Exception as exc:  # reported to the test, which shows it
            results.put((path, index, f"{type(exc).__name__}: {exc}"))


def test_processes_opening_a_new_cache_at_once_all_succeed(tmp_path):
    """The reader and a cron `papertui sync` on a new machine: several processes create the same
    cache at the same moment. Each round a barrier releases 6 processes onto a path that does not
    exist yet; every one opens it and writes, and the cache is migrated exactly once."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    workers, rounds = 6, 10
    paths = [str(tmp_path / f"round{r}" / "papers.db") for r in range(rounds)]
    barrier, results = ctx.Barrier(workers), ctx.Queue()
    procs = [
        ctx.Process(target=_open_together, args=(i, paths, barrier, results))
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    try:
        outcomes = [results.get(timeout=120) for _ in range(workers * rounds)]
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    errors = [f"round {paths.index(p)} process {i}: {e}" for p, i, e in outcomes if e]
    assert not errors, "\n".join(errors)
    for path in paths:
        assert integrity(Path(path)) == "ok"
        con = sqlite3.connect(path)
        try:
            names = [n for (n,) in con.execute("SELECT name FROM _sqlite_migrations")]
            assert names == MIGRATION_NAMES  # each applied exactly once
            assert con.execute("SELECT count(*) FROM user_state WHERE read = 1").fetchone() == (
                workers,
            )
            assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        finally:
            con.close()


# ---- upgrades ---------------------------------------------------------------------------


def test_a_cache_from_the_first_released_schema_opens_with_everything(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    with Store(db) as store:
        assert store.count() == 37
        states = store.user_states()
        assert {k for k, v in states.items() if v.bookmarked} == {"2605.05242", "2605.06548"}
        assert {k for k, v in states.items() if v.read} == {
            "2605.05242",
            "2605.04045",
            "2605.06222",
        }
        assert store.paper("2605.05242").title.startswith("Beyond Semantic Similarity")
        assert store.raw("2605.05242")["paper"]["id"] == "2605.05242"
        from papertui.query import parse_query

        assert store.count(parse_query("retrieval")) > 0
    assert integrity(db) == "ok"


def test_a_cache_from_a_newer_papertui_is_refused_untouched(tmp_path):
    db = tmp_path / "newer.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    con = sqlite3.connect(db)
    con.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('papertui', 'm999_from_the_future', '2030-01-01')"
    )
    con.commit()
    con.close()
    before = db.read_bytes()
    with pytest.raises(StoreError, match="newer papertui"):
        Store(db)
    assert db.read_bytes() == before


# ---- bad files --------------------------------------------------------------------------


def test_corrupt_pages_are_reported_not_hidden(tmp_path):
    db = tmp_path / "corrupt.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    data = bytearray(db.read_bytes())
    rng = random.Random(3)
    for offset in range(4096, len(data), 4096):  # scribble over every page but the header page
        for i in range(64):
            data[offset + 100 + i] = rng.randrange(256)
    db.write_bytes(bytes(data))
    result = cli(db, "search", "retrieval")
    assert result.returncode == 1
    assert "damaged" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.slow
def test_not_sqlite_at_all(tmp_path):
    db = tmp_path / "notes.txt"
    db.write_text("my precious notes\n" * 100)
    for args in (
        ["search", "x"],
        ["sync"],
        ["mark", "2605.05242", "--read"],
        ["import", str(FIXTURES / "paper_2605.13301.json")],
    ):
        result = (
            cli(db, "--offline", *args)
            if args[0] != "sync"
            else cli(db, *args, api_url="http://127.0.0.1:9")
        )
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert result.stderr.strip().count("\n") == 0
    assert db.read_text() == "my precious notes\n" * 100


def _immutable(path: Path) -> bool:
    """Make a file or folder unwritable even for root (chattr +i); False where that is impossible."""
    if os.geteuid() != 0:
        path.chmod(0o555 if path.is_dir() else 0o444)
        return True
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0


def _mutable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(0o755 if path.is_dir() else 0o644)


def test_read_only_file(tmp_path):
    db = tmp_path / "ro.db"
    seed(db)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if not _immutable(db):
        pytest.skip("cannot make a read-only file here")
    try:
        before = db.read_bytes()
        result = cli(db, "mark", "2605.05242", "--unread")
        assert result.returncode == 1 and "read-only" in result.stderr
        assert "Traceback" not in result.stderr
        assert db.read_bytes() == before
    finally:
        _mutable(db)


def test_read_only_directory(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "papers.db"
    seed(db)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if not _immutable(folder):
        pytest.skip("cannot make a read-only folder here")
    try:
        result = cli(db, "search", "x")
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "cannot open" in result.stderr or "read-only" in result.stderr
    finally:
        _mutable(folder)


@pytest.mark.slow
def test_full_disk_fails_the_day_and_keeps_what_was_stored(tmp_path, busy_api):
    api, days = busy_api
    db = tmp_path / "full.db"
    ids, states = seed(db)
    size = (
        db.stat().st_size + Path(f"{db}-wal").stat().st_size
        if Path(f"{db}-wal").exists()
        else db.stat().st_size
    )
    limit = size + 400_000  # room for a little, not for twelve days of papers

    import resource  # POSIX only, like the rest of this test

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = cli(
        db,
        "sync",
        "--from",
        days[0].isoformat(),
        "--to",
        days[-1].isoformat(),
        api_url=api.url,
        preexec=small_disk,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "disk is full" in result.stderr or "cannot write" in result.stderr
    assert integrity(db) == "ok"
    with Store(db) as store:
        assert all(store.has_paper(i) for i in ids)
        assert store.user_states() == states


# ---- network faults, end to end -----------------------------------------------------------


@pytest.mark.slow
def test_a_storm_of_faults_stores_every_good_day_and_reports_every_bad_one(tmp_path, busy_api):
    api, days = busy_api
    db = tmp_path / "storm.db"
    seed(db)
    bad = {
        days[0]: [Fault("status", status=503)] * 10,
        days[1]: [Fault("html", status=200)] * 10,
        days[2]: [Fault("truncate", body=b'[{"paper": {"id": "2501.0')] * 10,
        days[3]: [Fault("huge", size=50 * 1024 * 1024)],
        days[4]: [
            Fault("status", status=429, headers={"Retry-After": "0"}),
            Fault("status", status=429, headers={"RateLimit": '"api";r=0;t=0'}),
        ],
    }
    for day, faults in bad.items():
        api.fail(day.isoformat(), *faults)
    items = json.loads(json.dumps(api.days[days[5].isoformat()]))
    items[0]["paper"]["upvotes"] = "not a number"
    del items[1]["paper"]["id"]
    api.add_day(days[5].isoformat(), items)
    result = cli(
        db, "sync", "--from", days[0].isoformat(), "--to", days[-1].isoformat(), api_url=api.url
    )
    assert result.returncode == 1, result.stdout + result.stderr
    failed = {line.split()[0] for line in result.stderr.splitlines() if "failed:" in line}
    assert failed == {
        days[0].isoformat(),
        days[1].isoformat(),
        days[2].isoformat(),
        days[3].isoformat(),
    }
    assert "2 items skipped" in result.stdout and "4 days failed" in result.stdout
    with Store(db) as store:
        records = store.day_records()
        for day in days[4:]:
            assert records[day.isoformat()].complete
        assert records[days[5].isoformat()].count == 248
        for day in days[:4]:
            assert day.isoformat() not in records


def test_hf_api_against_a_server_that_hangs_up(tmp_path, busy_api):
    api, days = busy_api
    api.fail(days[0].isoformat(), *[Fault("truncate", body=b"")] * 5)
    with HfApi(api.url, retry=FAST_RETRY, limiter=RateLimiter(burst=100)) as client:
        summary = sync.sync_days(Store(tmp_path / "x.db"), client, [days[0], days[1]])
    assert [r.day for r in summary.failed] == [days[0]]


@pytest.mark.slow
def test_import_from_stdin_pipes_and_devices_is_capped(tmp_path):
    """`import -` and `import /dev/stdin` read standard input whatever it is (a pipe, /dev/zero),
    never more than the cap (lowered here so the test does not need 64 GiB): /dev/zero is not
    JSON from its first byte; a pipe that never ends (`[` and then blanks forever) stops at the
    cap."""
    db = tmp_path / "c.db"
    code = (
        "import papertui.importing as i; i.MAX_IMPORT_BYTES = 65536; "
        "from papertui.cli import main; main()"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", code, "--db", str(db), "import"]
    endless = [
        sys.executable,
        "-c",
        "import sys\nsys.stdout.write('[')\nwhile True: print(' ' * 999)",
    ]
    for target in ("-", "/dev/stdin"):
        with open("/dev/zero", "rb") as zero:
            result = subprocess.run(
                [*command, target], stdin=zero, capture_output=True, text=True, env=env, timeout=60
            )
        assert result.returncode == 1, result.stderr
        assert "- is not valid JSON" in result.stderr or "stdin is not valid JSON" in result.stderr
        producer = subprocess.Popen(endless, stdout=subprocess.PIPE)
        try:
            result = subprocess.run(
                [*command, target],
                stdin=producer.stdout,
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
        finally:
            producer.kill()
            producer.wait()
        assert result.returncode == 1, result.stderr
        assert "too large to import (over 65,536 bytes)" in result.stderr
        result = subprocess.run(
            [*command, target],
            input=json.dumps(day_08()[:2]),
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert result.returncode == 0 and "Imported 2 papers" in result.stdout, result.stderr
