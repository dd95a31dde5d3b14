"""Archive scale (issue 15): imports and exports that stream, their caps, JSON Lines, the bulk
write path, and `papertui db check` / `db optimize`."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import day_08
from hypothesis import given, settings
from hypothesis import strategies as st
from peak_rss import run_measured

from papertui import importing
from papertui.errors import CacheBusy, ImportFileError, Interrupted, StoreError
from papertui.importing import ImportStopped, ImportStream
from papertui.store import Store, compact, maintenance
from papertui.store.bulk import MultiRow
from papertui.text import clean, strip_controls

ROOT = Path(__file__).parent.parent


@pytest.fixture
def today(monkeypatch):
    from datetime import date

    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 18))


@pytest.fixture
def synced(run, today):
    result = run("sync", "--from", "2026-05-08", "--to", "2026-05-18")
    assert result.exit_code == 0, result.output
    return run


def small_item(n: int) -> dict:
    """A real-shaped daily item, a few hundred bytes."""
    return {
        "paper": {
            "id": f"{2401 + n // 90_000}.{n % 90_000 + 10_000:05d}",
            "title": f"Paper {n} on diffusion and retrieval",
            "summary": "We study scaling. " * 10,
            "upvotes": n % 97,
            "authors": [{"name": "Ada Lovelace"}, {"name": f"Writer {n % 50}"}],
            "submittedOnDailyAt": f"2025-0{1 + n % 9}-1{n % 10}T09:00:00.000Z",
        },
        "title": f"Paper {n} on diffusion and retrieval",
        "numComments": n % 5,
    }


def write_list(path: Path, count: int) -> Path:
    with path.open("w") as out:
        out.write("[")
        for n in range(count):
            out.write(("," if n else "") + json.dumps(small_item(n)))
        out.write("]")
    return path


def peak_rss_kib(db: Path, *args: str) -> tuple[subprocess.CompletedProcess, int]:
    """papertui in a process of its own: its result and its peak RSS in KiB."""
    result, rss, _ = run_measured("--db", str(db), *args, timeout=600)
    return result, rss


# ---- memory stays flat -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_big_import_and_its_export_keep_memory_flat(tmp_path):
    """50,000 entries imported, exported and searched: peak RSS stays far under 200 MB and
    hardly above that of 2,000 (before streaming, memory grew with the file: 3.3 GB for 71,508
    papers). RSS, not time: no clock in this test."""
    small, big = (
        write_list(tmp_path / "small.json", 2_000),
        write_list(tmp_path / "big.json", 50_000),
    )
    result, small_rss = peak_rss_kib(tmp_path / "small.db", "import", str(small))
    assert result.returncode == 0, result.stderr
    result, big_rss = peak_rss_kib(tmp_path / "big.db", "import", str(big))
    assert result.returncode == 0, result.stderr
    assert big_rss < 200 * 1024, f"import peak RSS {big_rss // 1024} MB"
    assert big_rss - small_rss < 60 * 1024, (small_rss // 1024, big_rss // 1024)
    with Store(tmp_path / "big.db") as store:
        assert store.count() == 50_000
    for args in (
        ["export", "-o", str(tmp_path / "out.json")],
        ["export", "--format", "jsonl", "-o", str(tmp_path / "out.jsonl")],
        ["search", "--json", "--limit", "100000"],
    ):
        result, rss = peak_rss_kib(tmp_path / "big.db", *args)
        assert result.returncode == 0, result.stderr
        assert rss < 200 * 1024, f"{args[0]} peak RSS {rss // 1024} MB"
    # The JSON Lines export imports back whole.
    result, rss = peak_rss_kib(tmp_path / "again.db", "import", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0 and rss < 200 * 1024, result.stderr
    with Store(tmp_path / "again.db") as store:
        assert store.count() == 50_000


# ---- a file cut short --------------------------------------------------------------------------


def test_a_file_cut_short_keeps_what_was_stored_and_says_how_much(run, tmp_path, monkeypatch):
    import papertui.store.cache as store_mod

    monkeypatch.setattr(store_mod, "BATCH_ROWS", 500)
    monkeypatch.setattr(store_mod, "BATCH_PAUSE", 0)
    whole = write_list(tmp_path / "whole.json", 1_300).read_text()
    cut = whole[: whole.index(json.dumps(small_item(1_234))) + 40]  # inside entry 1,234
    (tmp_path / "cut.json").write_text(cut)
    result = run("import", str(tmp_path / "cut.json"))
    assert result.exit_code == 1
    assert "cut.json is cut short (not valid JSON: it ends in the middle) after entry 1,234" in (
        result.output
    )
    assert "the 1,234 papers before it were imported (1,234 new, 0 updated, 0 unchanged)" in (
        result.output
    )
    assert "Traceback" not in result.output
    with Store(Path(os.environ["PAPERTUI_DB"])) as store:
        assert store.count() == 1_234
        assert store.has_paper(small_item(1_233)["paper"]["id"])
    # Garbage in the middle: the same, "not valid JSON from there on".
    at = whole.index(json.dumps(small_item(20)))
    (tmp_path / "bad.json").write_text(whole[:at] + "@@@" + whole[at:])
    result = run("--db", str(tmp_path / "bad.db"), "import", str(tmp_path / "bad.json"))
    assert result.exit_code == 1
    assert "is not valid JSON from there on after entry 20; the 20 papers before it" in (
        result.output
    )


def test_an_export_cut_before_its_first_entry_imports_nothing(run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"papertui_export": 1, "papers": [')
    result = run("import", str(bad))
    assert result.exit_code == 1
    assert "is cut short (not valid JSON: it ends in the middle) before its first entry" in (
        result.output
    )
    assert "nothing was imported" in result.output


# ---- JSON Lines ------------------------------------------------------------------------------------


def test_jsonl_round_trip_keeps_papers_and_state(synced, tmp_path, monkeypatch):
    synced("mark", "2605.05242", "--read", "--bookmark")
    lines_file, json_file = tmp_path / "out.jsonl", tmp_path / "out.json"
    assert synced("export", "--format", "jsonl", "-o", str(lines_file)).exit_code == 0
    assert synced("export", "-o", str(json_file)).exit_code == 0
    lines = lines_file.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["papertui_export"] == 1 and "papers" not in header and len(lines) == 88
    assert all(json.loads(line)["raw"]["paper"]["id"] for line in lines[1:])
    monkeypatch.setenv("PAPERTUI_DB", str(tmp_path / "fresh.db"))
    result = synced("import", str(lines_file))
    assert result.exit_code == 0 and "Imported 87 papers (87 new" in result.output
    again = tmp_path / "again.json"
    synced("export", "-o", str(again))
    first, second = json.loads(json_file.read_text()), json.loads(again.read_text())
    first.pop("exported_at"), second.pop("exported_at")
    assert first == second
    # Piped in, and with the header line left out: the same.
    monkeypatch.setenv("PAPERTUI_DB", str(tmp_path / "piped.db"))
    result = synced("import", "-", input="\n".join(lines[1:]) + "\n")
    assert result.exit_code == 0 and "Imported 87 papers" in result.output


def test_the_json_export_text_is_what_it_always_was(synced):
    """Streamed a record at a time, the export is still the one JSON document `safe_json` wrote
    whole (papers last, so a streaming import finds the header's keys first)."""
    from papertui.text import safe_json

    text = synced("export").output
    document = json.loads(text)
    assert list(document) == ["papertui_export", "exported_at", "saved_searches", "papers"]
    assert text == safe_json(document) + "\n"


def test_saved_searches_travel_in_every_export_and_in_the_old_place(synced, tmp_path):
    """JSON carries them before the papers, JSON Lines on its header line; an export written
    before exports streamed has them after its papers, and they are still found there."""
    assert synced("saved", "add", "Diffusion", "diffusion", "--unread").exit_code == 0
    for fmt in ("json", "jsonl"):
        out = tmp_path / f"out.{fmt}"
        assert synced("export", "--format", fmt, "-o", str(out)).exit_code == 0
        db = tmp_path / f"{fmt}.db"
        result = synced("--db", str(db), "import", str(out))
        assert result.exit_code == 0, result.output
        with Store(db) as store:
            assert [s.name for s in store.saved_searches()] == ["Diffusion"]
    document = json.loads((tmp_path / "out.json").read_text())
    old = {k: v for k, v in document.items() if k != "saved_searches"}
    old["saved_searches"] = document["saved_searches"]  # after the papers, as it was written
    assert list(old)[-1] == "saved_searches"
    (tmp_path / "old.json").write_text(json.dumps(old, indent=1))
    result = synced("--db", str(tmp_path / "old.db"), "import", str(tmp_path / "old.json"))
    assert result.exit_code == 0, result.output
    with Store(tmp_path / "old.db") as store:
        assert [s.name for s in store.saved_searches()] == ["Diffusion"]


# ---- what the reader accepts, and refuses ---------------------------------------------------


def records_of(text: str, tmp_path: Path, **kw) -> tuple[list, ImportStream]:
    source = tmp_path / "in.json"
    source.write_text(text)
    stream = ImportStream(source, **kw)
    return list(stream.records()), stream


def test_shapes_are_told_apart_by_their_first_bytes(tmp_path):
    items = day_08()[:3]
    records, stream = records_of(json.dumps(items), tmp_path)
    assert (len(records), stream.shape) == (3, "list")
    records, stream = records_of("\ufeff" + json.dumps(items[:1]) + json.dumps(items[1:]), tmp_path)
    assert (len(records), stream.shape) == (3, "list")  # a BOM, two lists one after the other
    records, stream = records_of(" \n" * 100_000 + json.dumps(items), tmp_path)
    assert (len(records), stream.shape) == (3, "list")  # more blank lines than a chunk first
    document = {"papertui_export": 1, "note": {"k": [1, 2]}, "papers": [{"raw": items[0]}]}
    records, stream = records_of(json.dumps(document), tmp_path)
    assert (len(records), stream.shape) == (1, "export")
    assert stream.extras == {"papertui_export": 1, "note": {"k": [1, 2]}}
    lines = [{"papertui_export": 1, "saved": ["x"]}, {"raw": items[0]}, items[1]]
    records, stream = records_of("\n".join(json.dumps(x) for x in lines), tmp_path)
    assert (len(records), stream.shape, stream.extras) == (2, "jsonl", lines[0])
    with pytest.raises(ImportFileError, match="a single paper's JSON can't be imported"):
        records_of(json.dumps(items[0]["paper"]), tmp_path)
    with pytest.raises(ImportFileError, match="'papers' is not a list"):
        records_of('{"papers": 5}', tmp_path)
    with pytest.raises(ImportFileError, match="is empty"):
        records_of("  \n", tmp_path)
    with pytest.raises(ImportFileError, match="not valid JSON"):
        records_of("hello", tmp_path)


def test_an_entry_over_a_cap_stops_the_import_before_it_is_built(tmp_path, monkeypatch):
    items = day_08()[:3]
    monkeypatch.setattr(importing, "CHUNK", 4096)
    cases = [
        ("MAX_ENTRY_VALUES", 3_000, list(range(10_000)), "an entry of over 3,000 JSON values"),
        ("MAX_ENTRY_CONTAINERS", 1_500, [[]] * 5_000, "over 1,500 JSON objects and lists"),
        ("MAX_ENTRY_BYTES", 300_000, "x" * 400_000, "an entry over 300,000 bytes"),
    ]
    for cap, value, junk, why in cases:
        monkeypatch.setattr(importing, cap, value)
        entries = [*items, {"paper": {"id": "2605.00001", "junk": junk}}, *items]
        with pytest.raises(ImportStopped, match=f"{why} \\(entry 4\\): the import stops there"):
            records_of(json.dumps(entries), tmp_path)
        stream = ImportStream(tmp_path / "in.json")
        got = []
        with pytest.raises(ImportStopped):
            for record in stream.records():
                got.append(record)
        assert len(got) == 3  # what came before is read (and an import stores it)
        monkeypatch.undo()
        monkeypatch.setattr(importing, "CHUNK", 4096)


def containers(value) -> int:
    if isinstance(value, dict):
        return 1 + sum(containers(x) for x in value.values())
    if isinstance(value, list):
        return 1 + sum(containers(x) for x in value)
    return 0


def test_strings_full_of_brackets_and_escapes_are_not_structure(tmp_path, monkeypatch):
    """The scan counts only what the parser will build: brackets, quotes and backslashes inside
    strings, cut anywhere by a chunk boundary, are text."""
    item = day_08()[0]
    item["title"] = '[[[{{{ \\"quoted\\" ]]] \\\\ [[[[' * 200 + "\\"
    item["paper"]["summary"] = '"{[' * 300
    # Twice an item's own (the count runs from the end of the chunk where the last one ended),
    # far under the thousands of brackets in its strings.
    monkeypatch.setattr(importing, "MAX_ENTRY_CONTAINERS", 2 * containers(item) + 5)
    monkeypatch.setattr(importing, "MAX_NESTING", 20)
    for chunk in (1, 2, 3, 7, 64, 4096):
        monkeypatch.setattr(importing, "CHUNK", chunk)
        records, _ = records_of(json.dumps([item, item]), tmp_path)
        assert len(records) == 2 and records[0].fetched.raw["title"] == item["title"]


@settings(max_examples=60, deadline=None)
@given(
    value=st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.text(alphabet='ab"\\[]{},\n\u00e9', max_size=12),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(alphabet='k"\\[{', max_size=4), children, max_size=4)
        ),
        max_leaves=30,
    ),
    cut=st.integers(min_value=1, max_value=40),
)
def test_the_scan_counts_what_the_parser_builds(value, cut):
    """Against a reference count of the parsed value: containers and nesting, whatever the
    chunk size, escapes and brackets inside strings."""
    import io

    text = json.dumps([value]).encode()
    reader = importing._Reader(io.BytesIO(text), Path("x"), 10**9)
    while reader.read(cut):
        pass

    assert reader._containers == containers([value])
    assert reader._depth == 0 and not reader._in_string


def test_rows_that_cannot_be_made_are_skipped_not_fatal(store):
    from papertui.export import _record
    from papertui.store.rows import prepare_import

    records = [_record(item) for item in day_08()[:3]]
    records[1].fetched.raw["bad"] = "\ud800"  # a lone surrogate can't be stored as UTF-8
    rejected = []
    chunks = list(prepare_import(records, reject=rejected.append))
    assert [len(c.rows) for c in chunks] == [2] and "UnicodeEncodeError" in rejected[0]


# ---- the bulk write path -----------------------------------------------------------------------


def test_many_rows_a_statement_keep_the_order_of_one_a_row(tmp_path, monkeypatch):
    import papertui.store.bulk as bulk

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, n INTEGER DEFAULT 0)")
    upsert = MultiRow(
        "INSERT INTO t (k, v) VALUES (:k, COALESCE(:v, -1)) "
        "ON CONFLICT(k) DO UPDATE SET v = excluded.v, n = t.n + 1"
    )
    monkeypatch.setattr(bulk, "ROWS_PER_STATEMENT", 3)  # several statements
    rows = [{"k": f"k{i % 4}", "v": i if i % 5 else None} for i in range(10)]
    upsert.execute(conn, rows)
    assert conn.execute("SELECT k, v, n FROM t ORDER BY k").fetchall() == [
        ("k0", 8, 2),
        ("k1", 9, 2),
        ("k2", 6, 1),
        ("k3", 7, 1),
    ]
    positional = MultiRow("INSERT OR REPLACE INTO t (k, v) VALUES (?, ?)")
    positional.execute(conn, [("k0", 100), ("k9", 9)])
    assert conn.execute("SELECT v FROM t WHERE k IN ('k0', 'k9') ORDER BY k").fetchall() == [
        (100,),
        (9,),
    ]
    with pytest.raises(ValueError, match="after the VALUES group"):
        MultiRow("INSERT INTO t (k) VALUES (:k) ON CONFLICT(k) DO UPDATE SET v = :v")


def test_an_import_counts_and_merges_like_one_record_at_a_time(store):
    """Duplicates inside one batch, first-seen times, days and newer state: the many-rows-a-
    statement path gives what writing each record alone gave."""
    from papertui.export import _record

    items = day_08()[:4]
    first = [
        _record({"raw": it, "day": "2026-05-08", "first_seen_at": "2026-05-09T00:00:00"})
        for it in items
    ]
    again = _record(
        {
            "raw": items[0],
            "day": "2026-05-01",
            "first_seen_at": "2026-05-01T00:00:00",
            "user": {"read": True, "updated_at": "2026-05-10T00:00:00"},
        }
    )
    stats = store.import_records([*first, again])
    assert (stats.new, stats.updated, stats.unchanged) == (5, 0, 0)  # counted before the batch
    paper = store.paper(items[0]["paper"]["id"])
    assert paper.first_seen_at == "2026-05-01T00:00:00" and paper.read
    assert store.count() == 4
    stats = store.import_records([*first, again])
    assert stats.new == 0 and stats.updated + stats.unchanged == 5


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_the_fast_path_of_clean_agrees_with_the_long_way(text):
    assert clean(text) == " ".join(strip_controls(text).split())


# ---- db check and db optimize -----------------------------------------------------------------


@pytest.fixture
def imported(run, tmp_path):
    """A cache with 300 papers and a few deleted (free pages for VACUUM)."""
    result = run("import", str(write_list(tmp_path / "list.json", 300)))
    assert result.exit_code == 0, result.output
    return Path(os.environ["PAPERTUI_DB"])


def test_db_check_of_a_sound_cache(run, imported):
    result = run("db", "check")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Checking the cache at {imported}"
    assert lines[1].startswith("  database pages and indexes: ok (")
    assert any(line.startswith("  search index papers_fts: ok (") for line in lines)
    assert any(line.startswith("  search index full_texts_fts: ok (") for line in lines)
    assert lines[-1] == "The cache is sound."


def test_db_commands_make_no_cache_where_there_is_none(run, db_path):
    """`db check` and `db optimize` of a path with no cache say so (exit 1) and leave nothing
    behind: they used to make an empty cache there and check or optimize that."""
    for command in ("check", "optimize"):
        result = run("db", command)
        assert result.exit_code == 1, result.output
        assert f"no cache at {db_path} yet" in result.output
        assert not db_path.exists()


def test_db_check_finds_a_search_index_that_no_longer_matches(run, imported):
    conn = sqlite3.connect(imported)
    conn.execute("DROP TRIGGER papers_au")  # the title changes, the index does not follow
    conn.execute("UPDATE papers SET title = 'zebra quagga okapi' WHERE pk = 7")
    conn.commit()
    conn.close()
    result = run("db", "check")
    assert result.exit_code == 1
    assert "  search index papers_fts: 1 problem (" in result.output
    assert "damaged: it does not match what it indexes" in result.output
    assert "The cache has 1 problem: searches may miss papers or fail." in result.output
    assert "Traceback" not in result.output


def test_db_optimize_merges_analyzes_and_compacts(run, imported):
    conn = sqlite3.connect(imported)
    compact.register(conn)  # the index reads the packed texts through it
    conn.execute("DELETE FROM papers WHERE pk % 2 = 0")  # free pages to give back
    conn.commit()
    conn.close()
    before = imported.stat().st_size
    result = run("db", "optimize")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Optimizing the cache at {imported}"
    assert "  merge search index papers_fts: done (" in result.output
    assert "  update the query planner's statistics (ANALYZE): done (" in result.output
    assert "  compact the file (VACUUM): done (" in result.output
    assert lines[-1].endswith(" freed).") and " MB before, " in lines[-1]
    assert imported.stat().st_size < before
    conn = sqlite3.connect(imported)
    assert conn.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0
    conn.close()
    assert run("db", "check").exit_code == 0
    assert json.loads(run("search", "--json", "diffusion", "--limit", "500").output)


def test_db_commands_refuse_while_another_process_writes(run, imported, monkeypatch):
    monkeypatch.setattr(maintenance, "BUSY_WAIT_S", 0.2)
    other = sqlite3.connect(imported, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # a sync or an import, mid-write
    try:
        for command in ("check", "optimize"):
            result = run("db", command)
            assert result.exit_code == 1
            assert "is busy: another papertui process is writing to it" in result.output
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Store(imported) as store, pytest.raises(CacheBusy):
        blocker = sqlite3.connect(imported, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            maintenance.check(store)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()


def test_db_optimize_refuses_without_room_and_changes_nothing(run, imported, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1000))
    before = imported.read_bytes()
    result = run("db", "optimize")
    assert result.exit_code == 1
    assert "not enough free disk space to compact the cache" in result.output
    assert "nothing was changed" in result.output
    assert imported.read_bytes() == before


def test_ctrl_c_rolls_back_the_step_running(imported):
    cancel = threading.Event()
    cancel.set()  # as if ctrl+c came at once
    with Store(imported) as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        with pytest.raises(Interrupted):
            maintenance.optimize(store, cancel)
        with pytest.raises(Interrupted):
            maintenance.check(store, cancel)
        assert store.conn.execute("PRAGMA page_count").fetchone()[0] == pages
        assert not store.conn.in_transaction
        assert store.count() == 300  # and the connection still works
    with Store(imported) as store:
        assert [s.problems for s in maintenance.check(store)] == [[], [], [], []]


def test_db_check_of_a_file_that_is_not_a_cache(run, tmp_path):
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"not sqlite" * 500)
    result = run("--db", str(bad), "db", "check")
    assert result.exit_code == 1 and "damaged or not a papertui database" in result.output
    with pytest.raises(StoreError):
        Store(bad)


def test_fts_tables_finds_every_search_index(store):
    assert maintenance.fts_tables(store) == ["full_texts_fts", "papers_fts"]


def test_search_json_past_one_batch_is_the_same_document(synced, monkeypatch):
    import papertui.service as service_mod

    whole = synced("search", "--json", "--limit", "500").output
    monkeypatch.setattr(service_mod, "EXPORT_BATCH", 7)  # many batches, and the batched path
    streamed = synced("search", "--json", "--limit", "1001").output
    assert streamed == whole and len(json.loads(whole)) == 87
    result = synced("search", "--limit", "1001", "model")
    assert result.exit_code == 0 and result.stdout.count("\n") == len(
        json.loads(synced("search", "--json", "--limit", "500", "model").output)
    )


def test_random_chunk_sizes_read_the_same_entries(tmp_path, monkeypatch):
    rng = random.Random(4)
    items = day_08()
    text = json.dumps({"papertui_export": 1, "papers": [{"raw": i} for i in items]}, indent=2)
    expected = [r.fetched.raw for r in records_of(text, tmp_path)[0]]
    for _ in range(5):
        monkeypatch.setattr(importing, "CHUNK", rng.randint(1, 5000))
        assert [r.fetched.raw for r in records_of(text, tmp_path)[0]] == expected


@pytest.mark.slow
def test_ctrl_c_during_an_import_keeps_the_batches_committed(tmp_path):
    """SIGINT once a batch is in: exit 130 naming how many papers were imported, exactly those
    in the cache (whole batches), and the file sound."""
    import signal
    import time

    source = write_list(tmp_path / "big.json", 30_000)
    db = tmp_path / "c.db"
    code = (
        "import papertui.store.cache as c; c.BATCH_ROWS = 200; c.BATCH_PAUSE = 0.05; "
        "from papertui.cli import main; main()"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--db", str(db), "import", str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 120
    count = 0
    while count == 0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                    count = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
            except sqlite3.Error:
                count = 0
    assert count > 0 and proc.poll() is None, "the import never committed a batch"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.startswith("papertui: interrupted: ") and "papers imported, the rest not" in err
    said = int(err.split("interrupted: ")[1].split(" paper")[0].replace(",", ""))
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
    assert stored == said and said % 200 == 0 and 0 < said < 30_000
    assert "Traceback" not in err
