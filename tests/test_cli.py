import json
import os
import stat

import pytest
from fake_api import Fault

from papertui.store import Store


@pytest.fixture
def today(monkeypatch):
    from datetime import date

    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 18))


@pytest.fixture
def synced(run, today):
    result = run("sync", "--from", "2026-05-08", "--to", "2026-05-18")
    assert result.exit_code == 0, result.output
    return run


def test_sync_default_window_and_summary(run, today, fake_api):
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert "Synced 7 of 7 days: 50 papers new" in result.output
    assert sorted(r.query["date"] for r in fake_api.requests) == [
        f"2026-05-{d}" for d in range(12, 19)
    ]


def test_days_after_today_are_left_out_and_said_so(run, today, fake_api):
    result = run("sync", "--from", "2026-05-16", "--to", "2026-05-22")
    assert result.exit_code == 0, result.output
    assert "4 days after today (2026-05-18 UTC) left out." in result.output
    assert "Synced 3 of 3 days" in result.output
    assert sorted(r.query["date"] for r in fake_api.requests) == [
        "2026-05-16",
        "2026-05-17",
        "2026-05-18",
    ]
    assert "left out" not in run("sync", "--days", "2").output  # nothing asked for is later


def test_sync_again_fetches_only_today_and_yesterday(synced, fake_api):
    fake_api.requests.clear()
    result = synced("sync", "--days", "11")
    assert result.exit_code == 0
    assert sorted(r.query["date"] for r in fake_api.requests) == ["2026-05-17", "2026-05-18"]
    fake_api.requests.clear()
    synced("sync", "--date", "2026-05-08", "--force")
    assert [r.query["date"] for r in fake_api.requests] == ["2026-05-08"]


def test_sync_failure_exits_nonzero_and_names_the_day(synced, fake_api):
    fake_api.fail("2026-05-18", *[Fault("status", status=503)] * 10)
    result = synced("sync", "--days", "2")
    assert result.exit_code == 1
    assert "1 day failed" in result.output
    assert "2026-05-18 failed:" in result.output and "HTTP 503" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["sync", "--date", "2026-5-8"], "bad date"),
        (["sync", "--date", "2030-01-01"], "in the future"),
        (["sync", "--week", "W19"], "bad week"),
        (["sync", "--month", "2026-13"], "bad month"),
        (["sync", "--date", "2026-05-08", "--days", "3"], "choose one of"),
        (["sync", "--to", "2026-05-08"], "--to needs --from"),
        (["sync", "--days", "0"], "at least 1"),
        (["--offline", "sync"], "--offline"),
        (["search", "date:2026-99-99"], "bad date"),
        (["show", "../etc/passwd"], "not an arXiv id"),
        (["show", "2605.99999"], "no paper 2605.99999 on Hugging Face"),
        (["mark", "2605.05242"], "--read, --unread"),
        (["mark", "2605.99999", "--read"], "no cache at"),
        (["import", "/no/such/file.json"], "no such file"),
        (["--api-url", "ftp://x", "sync"], "bad API URL"),
    ],
)
def test_bad_input_is_one_clear_line(run, today, args, message):
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_server_down(run, today, monkeypatch):
    monkeypatch.setenv("PAPERTUI_API_URL", "http://127.0.0.1:9")
    result = run("sync", "--date", "2026-05-08")
    assert result.exit_code == 1
    assert "cannot reach 127.0.0.1:9" in result.output
    result = run("sync", "--from", "2026-05-01", "--to", "2026-05-10")  # one line, not ten
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("Synced 0 of 10 days") and len(lines) == 2, result.output
    assert lines[1].startswith(
        "  10 days failed (2026-05-01 to 2026-05-10): cannot reach 127.0.0.1:9"
    )


def test_search_text_and_json(synced):
    result = synced("search", "--json", "--limit", "3", "author:zhuofeng")
    rows = json.loads(result.output)
    assert [r["id"] for r in rows] == ["2605.05242"]
    assert set(rows[0]) >= {"id", "title", "day", "upvotes", "read", "bookmarked", "url"}
    assert rows[0]["url"] == "https://huggingface.co/papers/2605.05242"
    result = synced("search", "--sort", "date", "--limit", "2")
    assert result.stdout.count("\n") == 2 and "2026-05-18" in result.stdout
    result = synced("search", "-diffusion", "--limit", "500", "--json")
    assert all("diffusion" not in r["title"].lower() for r in json.loads(result.output))


def test_search_empty_cache_says_so(run, db_path):
    result = run("search")  # no cache at all: none is made to search in
    assert (
        result.exit_code == 1
        and "no cache at" in result.output
        and "papertui sync" in result.output
    )
    assert not db_path.exists()
    Store(db_path).close()
    result = run("search")
    assert result.exit_code == 0 and "The cache is empty: run `papertui sync`." in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["search", "x"],
        ["export"],
        ["mark", "2605.05242", "--read"],
        ["tags"],
        ["saved"],
        ["note", "2605.05242", "-m", "x"],
        ["status"],
        ["db", "check"],
    ],
)
def test_a_mistyped_cache_path_is_not_made_into_an_empty_cache(run, tmp_path, args):
    """`--db` with a typo used to make a new empty cache (and its folders) and answer from it:
    "No papers match.", exit 0."""
    missing = tmp_path / "no" / "such" / "papers.db"
    result = run("--db", str(missing), *args)
    assert result.exit_code == 1 and f"no cache at {missing} yet" in result.output, result.output
    assert not (tmp_path / "no").exists()


def test_remote_search_is_cached(run):
    result = run("search", "--remote", "--json", "corpus")
    assert "2605.05242" in [r["id"] for r in json.loads(result.output)]
    assert run("--offline", "show", "2605.05242").exit_code == 0


def test_remote_search_keeps_hugging_faces_order_unless_sorted(run, fake_api):
    """Without --sort (or with relevance) the results come in Hugging Face's order, its own
    relevance; --sort upvotes/date/title sorts them as a search of the cache would."""

    def remote(*args):
        result = run("search", "--remote", "--json", "--limit", "100", *args, "agent")
        assert result.exit_code == 0, result.output
        return [(r["id"], r["upvotes"], r["day"], r["title"]) for r in json.loads(result.output)]

    served = [
        i["paper"]["id"]
        for items in fake_api.days.values()
        for i in items
        if "agent" in json.dumps(i).lower()
    ]
    hf_order = remote()
    assert [r[0] for r in hf_order] == served[:100] and len(hf_order) > 5
    assert remote("--sort", "relevance") == hf_order
    by_upvotes = remote("--sort", "upvotes")
    assert by_upvotes != hf_order and sorted(by_upvotes) == sorted(hf_order)
    assert by_upvotes == sorted(hf_order, key=lambda r: (r[1], r[2] or "", r[0]), reverse=True)
    by_day = remote("--sort", "date")
    assert by_day == sorted(hf_order, key=lambda r: (r[2] or "", r[1], r[0]), reverse=True)
    by_title = remote("--sort", "title")
    assert [r[3].lower() for r in by_title] == sorted(r[3].lower() for r in hf_order)


def test_show_fetches_unknown_paper_once(run, fake_api):
    result = run("show", "2605.05242")
    assert result.exit_code == 0 and "Beyond Semantic Similarity" in result.output
    fake_api.requests.clear()
    full = json.loads(
        run("--offline", "show", "--json", "https://huggingface.co/papers/2605.05242").output
    )
    assert fake_api.requests == []
    assert full["pdf_url"] == "https://arxiv.org/pdf/2605.05242"
    assert full["github_repo"] == "https://github.com/DCI-Agent/DCI-Agent-Lite"


def test_mark_round_trip(synced):
    assert synced("mark", "2605.05242", "2605.13301", "--read").exit_code == 0
    assert synced("mark", "2605.05242", "--bookmark").exit_code == 0
    rows = {r["id"]: r for r in json.loads(synced("search", "--json", "--limit", "500").output)}
    assert rows["2605.05242"]["read"] and rows["2605.05242"]["bookmarked"]
    assert rows["2605.13301"]["read"] and not rows["2605.13301"]["bookmarked"]
    synced("mark", "2605.05242", "--unread")
    synced("mark", "2605.05242", "--unbookmark")
    out = json.loads(synced("search", "--json", "is:bookmarked").output)
    assert out == []


def test_export_import_round_trip(synced, tmp_path, monkeypatch):
    synced("mark", "2605.05242", "--read")
    synced("mark", "2605.05242", "2605.13301", "--bookmark")
    out = tmp_path / "export.json"
    assert synced("export", "--format", "json", "-o", str(out)).exit_code == 0
    first = json.loads(out.read_text())
    monkeypatch.setenv("PAPERTUI_DB", str(tmp_path / "fresh.db"))
    result = synced("import", str(out))
    assert "87 papers (87 new" in result.output
    out2 = tmp_path / "export2.json"
    synced("export", "--format", "json", "-o", str(out2))
    second = json.loads(out2.read_text())
    first.pop("exported_at"), second.pop("exported_at")
    assert first == second
    from papertui.store import Store

    with Store(tmp_path / "fresh.db") as fresh, Store(os.environ["PAPERTUI_DB"]) as again:
        assert fresh.user_states() == again.user_states()


def test_export_filters_and_formats(synced, tmp_path):
    synced("mark", "2605.05242", "--bookmark")
    bib = synced("export", "--bookmarked", "--format", "bibtex").output
    assert bib.count("@misc{") == 1 and "eprint = {2605.05242}" in bib
    md = synced("export", "--query", "author:zhuofeng", "--format", "markdown").output
    assert "(https://huggingface.co/papers/2605.05242)" in md
    csv_text = synced("export", "--format", "csv").output
    assert csv_text.splitlines()[0].startswith("id,title,authors")
    assert len(csv_text.strip().splitlines()) == 88


def test_export_to_missing_directory(synced, tmp_path):
    result = synced("export", "--format", "csv", "-o", str(tmp_path / "nope" / "x.csv"))
    assert result.exit_code == 1 and "no such directory" in result.output


def test_import_garbage(run, tmp_path, db_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"papertui_export": 1, "papers": [')
    result = run("import", str(bad))
    assert result.exit_code == 1 and "not valid JSON" in result.output
    bad.write_text('{"papers": [1, 2, {"raw": {"paper": {"id": "nope"}}}]}')
    result = run("import", str(bad))
    assert result.exit_code == 1 and "all 3 entries are invalid" in result.output
    assert "\n  skipped entry 0: " in result.output and "\n  skipped entry 2: " in result.output
    assert not db_path.exists()  # nothing to import: no empty cache left behind


def test_import_raw_api_list(run, tmp_path):
    from conftest import FIXTURES

    result = run("import", str(FIXTURES / "daily_papers_date-2024-10-25_old-schema.json"))
    assert result.exit_code == 0 and "29 papers" in result.output
    rows = json.loads(run("search", "--json", "date:2024-10-25", "--limit", "100").output)
    assert len(rows) == 29


def test_corrupt_database_is_not_overwritten(run, db_path):
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db_path.write_bytes(b"garbage" * 1000)
    result = run("search", "x")
    assert result.exit_code == 1 and "damaged or not a papertui database" in result.output
    assert db_path.read_bytes() == b"garbage" * 1000


def test_cache_path_that_cannot_be_created(run, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("PAPERTUI_DB", str(blocker / "sub" / "papers.db"))
    result = run("sync", "--days", "1")
    assert result.exit_code == 1 and "cannot create the cache" in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_database(synced, db_path):
    db_path.chmod(stat.S_IRUSR)
    result = synced("mark", "2605.05242", "--read")
    assert result.exit_code == 1 and "read-only" in result.output


def test_hostile_text_never_reaches_the_terminal(run, fake_api):
    from conftest import day_08

    items = day_08()[:1]
    items[0]["title"] = "\x1b]52;c;cm0gLXJmIH4=\x07Evil \x1b[2J[bold]title[/bold]\u202e"
    items[0]["paper"]["title"] = items[0]["title"]
    items[0]["paper"]["summary"] = "line\x1b[31m red \x9b2J"
    items[0]["paper"]["githubRepo"] = "javascript:alert(1)"
    items[0]["paper"]["authors"][0]["name"] = "\x1b[5mBlink"
    fake_api.add_day("2026-05-08", items)
    run("sync", "--date", "2026-05-08")
    pid = items[0]["paper"]["id"]
    for args in (
        ["search"],
        ["show", pid],
        ["show", "--json", pid],
        ["export", "--format", "markdown"],
        ["export", "--format", "csv"],
        ["export", "--format", "bibtex"],
        ["search", "--json"],
    ):
        out = run(*args).output
        assert (
            "\x1b" not in out and "\x9b" not in out and "\u202e" not in out and "\x07" not in out
        ), args
        assert (
            "javascript:" not in out
            or args == ["show", "--json", pid]
            and '"github_repo": null' in out
        )


def test_hostile_server_error_messages_are_cleaned(run, today, fake_api):
    body = json.dumps({"error": "\x1b]52;c;cm0gLXJmIH4=\x07nope \x1b[2J\u202e"}).encode()
    fake_api.fail("2026-05-18", Fault("status", status=400, body=body))
    result = run("sync", "--date", "2026-05-18")
    assert result.exit_code == 1 and "nope" in result.output
    assert (
        "\x1b" not in result.output
        and "\x07" not in result.output
        and "\u202e" not in result.output
    )


# ---- security review: JSON output, extreme dates, special import files ------------------------

HOSTILE = "\x9b2J\x9d52;c;cm0=\x9c\u202eevil\u200b"


def _raw_unsafe(out: str) -> list[str]:
    """Characters a terminal would obey or that hide/reorder text, present raw in `out`."""
    import unicodedata

    return [
        c
        for c in out
        if 0x7F <= ord(c) <= 0x9F
        or unicodedata.category(c) in ("Cf", "Cs")
        or c in "\u2028\u2029"
        or (ord(c) < 0x20 and c != "\n")
    ]


def test_json_outputs_escape_c1_bidi_and_imported_state_is_cleaned_or_kept_safely(run, tmp_path):
    from conftest import day_08

    item = day_08()[0]
    item["title"] = "Evil " + HOSTILE + "\u2028"
    item["paper"]["summary"] += HOSTILE
    record = {
        "raw": item,
        "day": "2026-05-08",
        "first_seen_at": "2026-05-08T10:00:00+00:00\x9b",
        "user": {
            "read": True,
            "read_at": HOSTILE,
            "bookmarked": True,
            "bookmarked_at": "2026-05-08T10:00:00\x9b",
            "notes": "first line\nsecond " + HOSTILE + "\x1b]52;c;QUFB\x07",
            "tags": ["ok", HOSTILE + "tag", "\u202e"],
            "updated_at": "2026-05-09T00:00:00+00:00",
        },
    }
    export_file = tmp_path / "hostile.json"
    export_file.write_text(json.dumps({"papertui_export": 1, "papers": [record]}))
    result = run("import", str(export_file))
    assert result.exit_code == 0, result.output
    pid = item["paper"]["id"]
    for args in (["show", "--json", pid], ["search", "--json"], ["export", "--format", "json"]):
        out = run(*args).output
        assert _raw_unsafe(out) == [], args
        json.loads(out)
    shown = json.loads(run("show", "--json", pid).output)
    # A note is the user's own text: kept exactly (and escaped in JSON, shown safely elsewhere).
    assert shown["notes"] == record["user"]["notes"]
    assert _raw_unsafe(run("note", pid).output) == []
    assert shown["tags"] == ["eviltag", "ok"]
    assert shown["read"] and shown["read_at"] is None and shown["bookmarked_at"] is None
    assert shown["first_seen_at"] != record["first_seen_at"]
    # The raw API item is kept as received: escaped in the JSON text, equal once parsed.
    exported = json.loads(run("export", "--format", "json").output)
    assert exported["papers"][0]["raw"]["title"] == item["title"]


def _item_with(**stamps) -> dict:
    from conftest import day_08

    item = json.loads(json.dumps(day_08()[0]))
    for where, value in stamps.items():
        if where == "item_publishedAt":
            item["publishedAt"] = value
        else:
            item["paper"][where] = value
    return item


def test_import_skips_items_with_extreme_dates_and_keeps_the_rest(run, tmp_path):
    from conftest import day_08

    good = day_08()[1]
    bad = _item_with(submittedOnDailyAt="9999-12-31T23:00:00-05:00")
    old = _item_with(publishedAt="0001-01-01T00:00:00Z")
    raw_list = tmp_path / "list.json"
    raw_list.write_text(json.dumps([bad, good, old]))
    result = run("import", str(raw_list))
    assert result.exit_code == 0, result.output
    assert "Imported 1 paper " in result.output and "2 entries skipped" in result.output
    assert "out of range" in result.output and "unexpected" not in result.output
    export = tmp_path / "export.json"
    export.write_text(
        json.dumps({"papers": [{"raw": good, "day": "9999-12-31"}, {"raw": good, "day": None}]})
    )
    result = run("import", str(export))
    assert result.exit_code == 0 and "1 entry skipped" in result.output
    assert "9999-12-31" in result.output and "out of range" in result.output
    days = {r["day"] for r in json.loads(run("search", "--json", "--limit", "100").output)}
    assert "9999-12-31" not in days


def test_show_and_remote_search_refuse_extreme_dates_clearly(run, fake_api):
    bad = _item_with(submittedOnDailyAt="9999-12-31T23:00:00-05:00")
    fake_api.papers[bad["paper"]["id"]] = bad["paper"]
    result = run("show", bad["paper"]["id"])
    assert result.exit_code == 1 and "out of range" in result.output
    assert "unexpected" not in result.output
    fake_api.days = {"2026-05-08": [bad]}
    result = run("search", "--remote", "--json", "corpus")
    assert result.exit_code == 0 and "unexpected" not in result.output
    assert json.loads(result.output) == []


def test_import_reads_capped_whatever_stat_says(run, tmp_path, monkeypatch):
    import papertui.importing as importing

    monkeypatch.setattr(importing, "MAX_IMPORT_BYTES", 4096)
    big = tmp_path / "big.json"
    big.write_text("[" + ",".join(["{}"] * 3000) + "]")
    result = run("import", str(big))
    assert result.exit_code == 1 and "too large to import (over 4,096 bytes)" in result.output
    # stdin has no size at all: the cap still holds, and a small document still imports.
    result = run("import", "-", input="[" + " " * 10_000 + "]")
    assert result.exit_code == 1 and "too large to import" in result.output
    from conftest import day_08

    monkeypatch.setattr(importing, "MAX_IMPORT_BYTES", 1_000_000)
    result = run("import", "-", input=json.dumps(day_08()[:1]))
    assert result.exit_code == 0 and "Imported 1 paper " in result.output


def test_import_refuses_devices_and_fifos_without_hanging(run, tmp_path):
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    results = {}

    def attempt(name, path):
        results[name] = run("import", str(path))

    # One at a time: CliRunner swaps sys.stdout/stderr for the whole process, so two invocations
    # at once can lose each other's output. The thread only guards against a hang.
    for name, path in (("fifo", fifo), ("zero", "/dev/zero")):
        thread = threading.Thread(target=attempt, args=(name, path), daemon=True)
        thread.start()
        thread.join(timeout=20)
        assert not thread.is_alive(), f"import hung on a special file ({name})"
    assert results["fifo"].exit_code == 1 and "named pipe (FIFO)" in results["fifo"].output
    assert "import - <" in results["fifo"].output
    assert results["zero"].exit_code == 1 and "is a device" in results["zero"].output


def test_deeply_nested_import_is_refused_before_it_is_built(run, tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    result = run("import", str(deep))
    assert result.exit_code == 1
    assert "is nested more than 1,000 levels deep (entry 1)" in result.output
    assert "nothing was imported" in result.output and "Traceback" not in result.output
    # Nested in an export's first object, before its papers: the same, found while sniffing.
    deep.write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + ', "papers": []}')
    result = run("import", str(deep))
    assert result.exit_code == 1 and "too deeply nested" in result.output


def test_another_programs_database_is_refused_untouched(run, db_path):
    import sqlite3

    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    con.commit()
    con.close()
    os.utime(db_path, (1_000_000_000, 1_000_000_000))
    before, mtime = db_path.read_bytes(), db_path.stat().st_mtime_ns
    for args in (
        ["search", "x"],
        ["--offline", "show", "2605.05242"],
        ["export", "--format", "csv"],
    ):
        result = run(*args)
        assert result.exit_code == 1 and "is not a papertui cache" in result.output, args
    assert db_path.read_bytes() == before and db_path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in db_path.parent.iterdir()) == [db_path.name]


@pytest.mark.parametrize(
    "form",
    [
        "2605.05242v2",
        "arXiv:2605.05242v1",
        "https://arxiv.org/abs/2605.05242v2",
        "arxiv.org/pdf/2605.05242",
        "https://arxiv.org/pdf/2605.05242v3.pdf",
        "www.arxiv.org/html/2605.05242v1",
        "huggingface.co/papers/2605.05242",
    ],
)
def test_every_common_form_of_an_id_finds_the_cached_paper(synced, fake_api, form):
    fake_api.requests.clear()
    shown = synced("--offline", "show", form)
    assert shown.exit_code == 0, shown.output
    assert "Beyond Semantic Similarity" in shown.output
    marked = synced("mark", form, "--read")
    assert marked.exit_code == 0 and "Marked 1 paper read." in marked.output
    assert fake_api.requests == []


@pytest.mark.parametrize(
    "text", ["https://evil.example/papers/2605.05242", "../../etc/passwd", "arxiv.org/abs/"]
)
def test_other_links_are_not_ids(run, text):
    result = run("--offline", "show", text)
    assert result.exit_code == 1 and "is not an arXiv id or paper link" in result.output


# ---- issue 10: mark, days not published yet, search output, closed pipes, wording ----------------


def _states(run) -> dict[str, tuple[bool, bool]]:
    rows = json.loads(run("search", "--json", "--limit", "500").stdout)
    return {r["id"]: (r["read"], r["bookmarked"]) for r in rows}


def test_mark_applies_every_compatible_flag_in_one_go(synced):
    result = synced("mark", "2605.05242", "--bookmark", "--read")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Marked 1 paper read and bookmarked.\n"
    assert _states(synced)["2605.05242"] == (True, True)
    result = synced("mark", "2605.05242", "2605.13301", "--unbookmark", "--unread")
    assert result.stdout == "Marked 2 papers unread and not bookmarked.\n"
    states = _states(synced)
    assert states["2605.05242"] == states["2605.13301"] == (False, False)


@pytest.mark.parametrize(
    "flags, named",
    [
        (["--read", "--unread"], "--read and --unread"),
        (["--bookmark", "--unbookmark"], "--bookmark and --unbookmark"),
        (["--read", "--bookmark", "--unbookmark"], "--bookmark and --unbookmark"),
    ],
)
def test_mark_refuses_contradictory_flags_and_changes_nothing(synced, flags, named):
    synced("mark", "2605.05242", "--bookmark")
    before = _states(synced)
    result = synced("mark", "2605.05242", "2605.13301", *flags)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"papertui: {named} contradict each other (nothing was changed)" in result.stderr
    assert _states(synced) == before


def test_a_day_not_published_yet_is_not_a_failure(run, today, fake_api, db_path):
    fake_api.today = "2026-05-17"  # the server has not reached our UTC day yet
    result = run("sync")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Synced 6 of 7 days: 40 papers new, 0 updated, 0 items skipped, 0 days failed; "
        "1 day not published yet.\n"
    )
    assert result.stderr == ""
    from papertui.store import Store

    with Store(db_path) as store:
        assert "2026-05-18" not in store.day_records()  # nothing says it was fetched
    fake_api.today = "2026-05-18"
    fake_api.requests.clear()
    result = run("sync")
    assert result.exit_code == 0 and "10 papers new" in result.stdout
    assert "not published" not in result.output
    assert "2026-05-18" in [r.query["date"] for r in fake_api.requests]


def test_sync_reports_the_days_already_up_to_date(synced, fake_api):
    fake_api.requests.clear()
    result = synced("sync", "--from", "2026-05-08", "--to", "2026-05-18")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Synced 2 of 2 days: 0 papers new, 0 updated, 0 items skipped, 0 days failed; "
        "9 days already up to date.\n"
    )
    assert len(fake_api.requests) == 2


def test_count_messages_say_one_thing_or_many(run, today, fake_api, tmp_path):
    from conftest import day_08

    items = day_08()
    items[1]["paper"]["upvotes"] = "many"
    fake_api.add_day("2026-05-08", items)
    result = run("sync", "--date", "2026-05-08")
    assert result.stdout == (
        "Synced 1 of 1 day: 36 papers new, 0 updated, 1 item skipped, 0 days failed.\n"
    )
    one = tmp_path / "one.json"
    one.write_text(json.dumps(day_08()[:1]))
    result = run("--db", str(tmp_path / "other.db"), "import", str(one))
    assert result.stdout == (
        "Imported 1 paper (1 new, 0 updated, 0 unchanged); 0 entries skipped.\n"
    )
    result = run("export", "-o", str(tmp_path / "out.json"), "--query", "author:zhuofeng")
    assert result.stderr == f"Exported 1 paper to {tmp_path / 'out.json'}.\n"


def test_plural_helper():
    from papertui.plural import plural

    assert [plural(n, "day") for n in (0, 1, 2)] == ["0 days", "1 day", "2 days"]
    assert plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == (
        "3 entries"
    )
    assert plural(1234, "paper") == "1,234 papers"


def test_show_of_a_paper_hugging_face_does_not_have(run):
    result = run("show", "2605.99999")
    assert result.exit_code == 1
    assert result.stderr == "papertui: no paper 2605.99999 on Hugging Face\n"


def test_export_defaults_to_json(synced):
    result = synced("export")
    assert result.exit_code == 0, result.output
    exported = json.loads(result.stdout)
    assert len(exported["papers"]) == 87


def test_search_says_when_it_shows_only_some_matches(synced):
    result = synced("search", "--limit", "5")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 5
    assert result.stderr == "5 of 87 shown (--limit N for more)\n"
    result = synced("search", "--json", "--limit", "3")
    assert len(json.loads(result.stdout)) == 3
    assert result.stderr == "3 of 87 shown (--limit N for more)\n"
    for args in (["--limit", "87"], ["--limit", "500"], ["author:zhuofeng"]):
        assert synced("search", *args).stderr == "", args


def _cli_env(db_path, fake_api) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    env.update(
        PAPERTUI_DB=str(db_path),
        PAPERTUI_API_URL=fake_api.url,
        XDG_CONFIG_HOME=str(db_path.parent.parent / "config"),
        COLUMNS="120",
    )
    return env


@pytest.mark.slow
def test_search_labels_its_columns_on_a_terminal_only(synced, db_path, fake_api):
    import pty
    import subprocess
    import sys

    main, child = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "papertui", "search", "--limit", "3"],
            stdout=child,
            stderr=subprocess.PIPE,
            env=_cli_env(db_path, fake_api),
            timeout=60,
        )
    finally:
        os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the terminal's other side is closed and drained
            break
        if not chunk:
            break
        out += chunk
    os.close(main)
    lines = out.decode().splitlines()
    assert proc.returncode == 0
    assert len(lines) == 4
    assert lines[0].split()[:3] == ["up", "day", "id"]
    assert "• unread" in lines[0] and "★ bookmarked" in lines[0]
    assert proc.stderr.decode() == "3 of 87 shown (--limit N for more)\n"
    piped = synced("search", "--limit", "3").stdout.splitlines()
    assert len(piped) == 3 and all(line.split()[0].isdigit() for line in piped)


@pytest.mark.slow
def test_a_closed_pipe_ends_every_printing_command_quietly(synced, db_path, fake_api, tmp_path):
    backup = tmp_path / "backup.json"
    assert synced("export", "-o", str(backup)).exit_code == 0
    for args in (
        ["search"],
        ["search", "--json"],
        ["show", "2605.05242"],
        ["show", "--json", "2605.05242"],
        ["export"],
        ["export", "--format", "csv"],
        ["mark", "2605.05242", "--read"],
        ["import", str(backup)],
        ["sync", "--date", "2026-05-08", "--force"],
    ):
        proc = _run_into_a_closed_pipe(args, _cli_env(db_path, fake_api))
        assert (proc.returncode, proc.stderr.decode()) == (0, ""), args
    # A sync that failed still says which day and why, and still exits 1.
    fake_api.fail("2026-05-08", Fault("status", status=400, body=b'{"error": "nope"}'))
    proc = _run_into_a_closed_pipe(
        ["sync", "--date", "2026-05-08", "--force"], _cli_env(db_path, fake_api)
    )
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("  2026-05-08 failed: ")


def _run_into_a_closed_pipe(args: list[str], env: dict[str, str]):
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already gone: every write is EPIPE
    try:
        return subprocess.run(
            [sys.executable, "-m", "papertui", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write_end)


def test_an_empty_export_says_so(run, tmp_path, db_path):
    Store(db_path).close()
    result = run("--offline", "export", "--bookmarked", "-o", str(tmp_path / "b.json"))
    assert result.exit_code == 0
    assert "No bookmarked papers match: the export is empty." in result.output
    assert json.loads((tmp_path / "b.json").read_text())["papers"] == []


def test_importing_a_single_papers_json_says_what_is_accepted(run, tmp_path):
    single = tmp_path / "paper.json"
    single.write_text(json.dumps({"id": "2605.05242", "title": "x"}))
    result = run("import", str(single))
    assert result.exit_code == 1 and "saved daily papers list" in result.output


def test_reading_commands_leave_the_network_code_unimported(synced, db_path):
    """`status`, `search`, `--version` and `--help` read the cache or nothing: they must not
    pay for importing the HTTP client, the sync or the reader (a third of a second a command
    before), whatever a later import adds."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from papertui.cli import cli\n"
        "try:\n"
        "    cli.main(sys.argv[1:], prog_name='papertui')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'httpx', 'httpcore', 'papertui.sync', 'papertui.hf_api', 'textual', 'tomlkit'}\n"
        "print(sorted(heavy & set(sys.modules)), file=sys.stderr)\n"
    )
    for args in (["status"], ["search", "model"], ["--version"], ["--help"]):
        done = subprocess.run(
            [sys.executable, "-c", probe, "--db", str(db_path), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stderr.strip().splitlines()[-1] == "[]", (args, done.stderr)


def test_the_reader_starts_without_the_network_code():
    """The reader loads the sync and the HTTP client with its first sync (in a worker), not
    before its first screen: ~75 ms of start-up."""
    import subprocess
    import sys

    probe = (
        "import sys, papertui.ui.launch\n"
        "print(sorted({'httpx', 'httpcore', 'papertui.sync', 'papertui.hf_api'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
