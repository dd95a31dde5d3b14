"""What an adversarial pass found after the security fixes landed (variations of issue 8's
attacks), each driven through the path a user would take."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FAST_RETRY, day_08
from fake_api import Fault

import papertui.hf_api as hf
from papertui.cli import cli
from papertui.errors import ApiError, StoreError
from papertui.hf_api import HfApi, base_url_from, retry_after
from papertui.models import parse_items
from papertui.ratelimit import RateLimiter
from papertui.store import Store

DAY = date(2026, 5, 8)


def make(fake_api) -> HfApi:
    return HfApi(
        fake_api.url, token="", timeout=2, retry=FAST_RETRY, limiter=RateLimiter(burst=1000)
    )


def page(start: int, authors: int) -> bytes:
    items = [
        {"paper": {"id": f"2605.{start + i:05d}", "authors": [{}] * authors}} for i in range(100)
    ]
    return json.dumps(items).encode()


def test_many_fat_pages_are_refused_before_they_pile_up(fake_api, monkeypatch):
    """Each page is under every per-page cap; together they would be gigabytes of objects."""
    monkeypatch.setattr(hf, "MAX_LIST_VALUES", 50_000)
    fake_api.fail(DAY.isoformat(), *[Fault("body", body=page(n * 100, 100)) for n in range(40)])
    with make(fake_api) as api, pytest.raises(ApiError, match="over 50,000 JSON values"):
        api.daily(day=DAY)
    assert len(fake_api.requests_for(DAY.isoformat())) <= 6  # stopped early, not at page 40


def test_an_item_nested_hundreds_deep_is_skipped_and_exports_keep_working(tmp_path, fake_api):
    deep: list = []
    for _ in range(985):
        deep = [deep]
    items = day_08()[:3]
    items[0]["paper"]["x"] = deep
    parsed = parse_items(items)
    assert parsed.skipped == 1 and "nested more than 32 levels" in parsed.errors[0]
    db = tmp_path / "c.db"
    with Store(db) as store:
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)
        # an older papertui may have stored such an item: its raw JSON reads as missing
        store.conn.execute(
            "UPDATE papers SET raw = ? WHERE id = ?",
            ("[" * 3000 + "]" * 3000, items[1]["paper"]["id"]),
        )
    result = CliRunner().invoke(cli, ["--db", str(db), "--offline", "export", "--format", "json"])
    assert result.exit_code == 0, result.output
    exported = json.loads(result.output)["papers"]
    assert len(exported) == 2


def test_another_programs_wal_database_is_left_untouched_byte_for_byte(tmp_path):
    """Firefox's places.sqlite is a WAL database: even a read-write connection that only reads
    folds the log into the file when it closes."""
    db = tmp_path / "places.sqlite"
    code = (
        "import sqlite3, os\n"
        f"c = sqlite3.connect({str(db)!r})\n"
        "c.execute('pragma journal_mode=wal'); c.execute('pragma wal_autocheckpoint=0')\n"
        "c.execute('create table moz_places(id integer primary key, url text)')\n"
        "c.execute(\"insert into moz_places(url) values ('x')\"); c.commit()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    wal = Path(f"{db}-wal")

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    before = (digest(db), db.stat().st_mtime_ns, digest(wal))
    with pytest.raises(StoreError, match="not a papertui cache"):
        Store(db)
    assert (digest(db), db.stat().st_mtime_ns, digest(wal)) == before


def test_an_empty_database_marked_as_another_programs_is_refused(tmp_path):
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA application_id = 1234")
        conn.execute("PRAGMA user_version = 7")
    before = db.read_bytes()
    with pytest.raises(StoreError, match="another program's SQLite file"):
        Store(db)
    assert db.read_bytes() == before


@pytest.mark.parametrize("special", ["/dev/null", "fifo"])
def test_a_device_or_pipe_is_not_a_cache(tmp_path, special):
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    with pytest.raises(StoreError, match="not a regular file"):
        Store(path)
    assert not Path(f"{path}-journal").exists()


@pytest.mark.parametrize(
    "url",
    ["ftp://user:p w@127.0.0.1", "user:pw@127.0.0.1:18099", "http:/user:pw@127.0.0.1"],
)
def test_a_bad_api_url_never_shows_its_password(url):
    with pytest.raises(ApiError) as info:
        base_url_from(url)
    assert "pw" not in str(info.value) and "p w" not in str(info.value)
    assert "bad API URL" in str(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:port", "http://h:pw@[::1"])
def test_an_unparseable_api_url_is_a_clear_error(url):
    with pytest.raises(ApiError, match="bad API URL .*not a valid URL"):
        base_url_from(url)


def test_odd_retry_after_and_redirect_values_are_clear(fake_api):
    import httpx

    assert retry_after(httpx.Headers({"Retry-After": "²".encode()})) == 5.0  # as sent: UTF-8
    fake_api.fail(
        DAY.isoformat(), Fault("status", status=302, headers={"Location": "javascript:alert(1)"})
    )
    with (
        make(fake_api) as api,
        pytest.raises(ApiError, match="redirected to an address that is not"),
    ):
        api.daily(day=DAY)


def test_a_paper_answer_that_is_no_paper_is_one_line(fake_api):
    fake_api.fail("paper:2605.00001", Fault("body", body=b'{"id": "not an id", "title": 5}'))
    with make(fake_api) as api, pytest.raises(ApiError) as info:
        api.paper("2605.00001")
    assert "\n" not in str(info.value) and "pydantic" not in str(info.value)
