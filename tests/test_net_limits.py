"""A hostile or broken server cannot hold papertui forever, fill its memory, or make it leak a
secret: request deadlines, sync budgets, cancellation, bounded decoding, item caps, same-origin
redirects, token checks. Every server here is a FakeApi on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from datetime import date
from pathlib import Path

import pytest
from conftest import FAST_RETRY, day_08
from fake_api import FakeApi, Fault

import papertui.hf_api as hf
from papertui import sync
from papertui.errors import ApiError
from papertui.guarded_backend import GuardedBackend
from papertui.hf_api import HfApi, RetryPolicy, base_url_from, retry_after
from papertui.ratelimit import RateLimiter
from papertui.service import Service, SyncRequest

ROOT = Path(__file__).parent.parent
DAY = date(2026, 5, 8)
KEY = DAY.isoformat()
HOST = r"127\.0\.0\.1:\d+"

# Each hostile server below would hold a request for minutes or hours (a drip of thousands of
# bytes, a 1000 s rate-limiter wait). Ending within this bound proves the limit worked; it times
# nothing (the measured times are in RELIABILITY.md).
ENDED = 60


def make(fake_api, **kw) -> HfApi:
    kw = {"token": "", "timeout": 2, "retry": FAST_RETRY, "limiter": RateLimiter(burst=1000)} | kw
    return HfApi(fake_api.url, **kw)


def sync_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("papertui-sync")]


# ---- A. time: request deadlines, sync budgets, cancellation ---------------------------------


def test_the_guard_is_installed(fake_api):
    """The deadline inside socket reads rests on httpx/httpcore internals: fail loudly if moved."""
    with make(fake_api) as api:
        assert isinstance(api.client._transport._pool._network_backend, GuardedBackend)


@pytest.mark.parametrize("kind", ["drip", "drip-headers"])
def test_a_slow_drip_ends_at_the_request_deadline(fake_api, kind):
    fake_api.fail(KEY, Fault(kind, seconds=0.05, size=5000))
    with make(fake_api, deadline=1.0) as api:
        started = time.monotonic()
        with pytest.raises(
            ApiError, match=rf"^{HOST} was too slow: no complete answer within 1 s$"
        ):
            api.daily(day=DAY)
        assert time.monotonic() - started < ENDED
    assert len(fake_api.requests_for(KEY)) == 1  # a server this slow is not asked again


def test_a_read_blocked_after_the_headers_ends_at_the_deadline(fake_api):
    fake_api.fail(KEY, Fault("drip", seconds=30, size=10))  # headers, then silence
    with make(fake_api, timeout=20, deadline=0.5) as api:
        started = time.monotonic()
        with pytest.raises(ApiError, match="too slow: no complete answer within 0.5 s"):
            api.daily(day=DAY)
        assert time.monotonic() - started < ENDED


def test_the_total_429_wait_of_one_request_is_capped(fake_api):
    fake_api.fail(KEY, *[Fault("status", status=429, headers={"Retry-After": "4"})] * 10)
    waits: list[float] = []
    policy = RetryPolicy(attempts=10, backoff=0.01, max_retry_after=5, max_total_wait=10)
    with make(fake_api, retry=policy, sleep=waits.append) as api:
        with pytest.raises(ApiError, match=rf"rate limited by {HOST}; still so after waiting 8 s"):
            api.daily(day=DAY)
    assert waits == [4, 4]


def test_the_sync_budget_fails_the_days_left_and_says_why(store, fake_api):
    fake_api.fail(KEY, Fault("drip", seconds=0.05, size=5000))
    days = [date(2026, 5, 15), DAY, date(2026, 5, 14)]  # one at a time, in this order
    with make(fake_api, deadline=60) as api:
        started = time.monotonic()
        summary = sync.sync_days(store, api, days, parallel=1, budget=1.0)
        assert time.monotonic() - started < ENDED
    assert [r.day for r in summary.stored] == [date(2026, 5, 15)]
    assert [r.day for r in summary.failed] == [DAY, date(2026, 5, 14)]
    for failed in summary.failed:
        assert failed.error == (
            "the sync ran out of its time budget (1 s) before this day was fetched"
        )
        assert not failed.cancelled
    assert set(store.day_records()) == {"2026-05-15"}


def test_cancel_stops_in_flight_fetches_and_waits_within_a_second(store, fake_api):
    fake_api.fail(KEY, Fault("drip", seconds=0.05, size=100_000))  # a body that never ends
    fake_api.fail("2026-05-14", Fault("status", status=429, headers={"Retry-After": "60"}))
    cancel = threading.Event()
    cancelled_at: list[float] = []

    def on_day(result):
        if result.ok and not cancelled_at:  # the fast day is in: cancel the other two soon
            cancelled_at.append(time.monotonic() + 0.3)
            threading.Timer(0.3, cancel.set).start()

    policy = RetryPolicy(attempts=4, backoff=0.01, max_retry_after=120)
    with make(fake_api, retry=policy) as api:
        days = [date(2026, 5, 15), DAY, date(2026, 5, 14)]
        summary = sync.sync_days(store, api, days, on_day=on_day, cancel=cancel)
        returned = time.monotonic()
        assert returned - cancelled_at[0] < ENDED
        assert [r.day for r in summary.stored] == [date(2026, 5, 15)]
        assert all(r.cancelled for r in summary.failed)
        assert sorted((r.day, r.error) for r in summary.cancelled) == [
            (DAY, "cancelled"),
            (date(2026, 5, 14), "cancelled"),
        ]
        assert set(store.day_records()) == {"2026-05-15"}
        # the fetchers really stopped (not just abandoned), and could never have blocked exit
        assert all(t.daemon for t in sync_threads())
        for thread in sync_threads():
            thread.join(2)
        assert not sync_threads()


def test_cancel_ends_a_rate_limiter_wait(store, fake_api):
    cancel = threading.Event()
    slow = RateLimiter(per_second=0.001, burst=1)  # the second request would wait 1000 s
    with make(fake_api, limiter=slow) as api:
        threading.Timer(0.5, cancel.set).start()
        started = time.monotonic()
        days = [date(2026, 5, 15), DAY]
        summary = sync.sync_days(store, api, days, parallel=1, cancel=cancel, budget=5000)
        assert time.monotonic() - started < ENDED
    assert [r.error for r in summary.results] == [None, "cancelled"]


def test_the_service_sync_passes_cancel_through(db_path, fake_api, monkeypatch):
    cancel = threading.Event()
    cancel.set()
    service = Service(db_path, api_url=fake_api.url)
    try:
        started = time.monotonic()
        summary = service.sync(SyncRequest(recent=3, force=True), cancel=cancel)
        assert time.monotonic() - started < ENDED
    finally:
        service.close()
    assert len(summary.cancelled) == len(summary.requested) == 3
    assert fake_api.requests == []


def test_ctrl_c_during_sync_exits_130_at_once_keeping_stored_days(tmp_path, fake_api):
    fake_api.fail(KEY, Fault("drip", seconds=0.2, size=100_000))
    db = tmp_path / "ctrl-c.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("HF_TOKEN", None)
    cmd = [sys.executable, "-m", "papertui", "--db", str(db), "--api-url", fake_api.url]
    proc = subprocess.Popen(
        [*cmd, "sync", "--from", "2026-05-08", "--to", "2026-05-15"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stored: list[str] = []
        for _ in range(300):  # wait (up to 30 s) until the 7 quick days are stored
            time.sleep(0.1)
            if db.exists():
                con = sqlite3.connect(db)
                try:
                    stored = [r[0] for r in con.execute("SELECT day FROM days ORDER BY day")]
                except sqlite3.OperationalError:
                    stored = []
                finally:
                    con.close()
            if len(stored) == 7 or proc.poll() is not None:
                break
        assert len(stored) == 7 and KEY not in stored
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    print(f"ctrl+c to exit: {elapsed:.2f} s")
    assert proc.returncode == 130, err
    assert elapsed < ENDED
    assert "Traceback" not in err
    assert err.strip() == "papertui: interrupted: 7 of 8 days stored, the other 1 not synced"
    con = sqlite3.connect(db)
    try:
        assert len(con.execute("SELECT day FROM days").fetchall()) == 7
    finally:
        con.close()


# ---- B. bounded decoding ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def zeros_gzip() -> bytes:
    """128 MiB of zeros as ~130 KB of gzip, built a MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(128)]
    return b"".join([*parts, packer.flush()])


def test_a_gzip_bomb_never_inflates_past_the_cap(client, fake_api, zeros_gzip, monkeypatch):
    monkeypatch.setattr(hf, "MAX_BODY_BYTES", 1 << 20)
    fake_api.fail(KEY, Fault("body", body=zeros_gzip, headers={"Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        with pytest.raises(ApiError, match=rf"from {HOST} is too large \(over 1 MiB decoded\)"):
            client.daily(day=DAY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"bomb peak traced memory: {peak / 2**20:.1f} MiB")
    assert peak < 6 << 20


@pytest.mark.parametrize(
    "header, shown",
    [("gzip, gzip", r"stacked encodings \(gzip, gzip\)"), ("gzip,identity,gzip", "stacked")],
)
def test_stacked_encodings_are_refused(client, fake_api, header, shown):
    body = gzip.compress(gzip.compress(json.dumps(day_08()).encode()))
    fake_api.fail(KEY, Fault("body", body=body, headers={"Content-Encoding": header}))
    with pytest.raises(ApiError, match=rf"^{HOST} sent a body with {shown}.*: refused$"):
        client.daily(day=DAY)


@pytest.mark.parametrize("coding", ["br", "zstd", "compress"])
def test_unknown_encodings_are_refused(client, fake_api, coding):
    fake_api.fail(KEY, Fault("body", body=b"xxxx", headers={"Content-Encoding": coding}))
    with pytest.raises(ApiError, match=rf"in an unsupported encoding \({coding}\): refused"):
        client.daily(day=DAY)


@pytest.mark.parametrize(
    "coding, pack",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw, as some servers send it
        ("identity", lambda b: b),
    ],
)
def test_gzip_and_deflate_bodies_are_decoded(client, fake_api, coding, pack):
    body = pack(json.dumps(day_08()).encode())
    fake_api.fail(KEY, Fault("body", body=body, headers={"Content-Encoding": coding}))
    assert len(client.daily(day=DAY).items) == 37
    assert fake_api.requests[-1].headers["Accept-Encoding"] == "gzip, deflate"


def test_bytes_after_the_end_of_a_gzip_body_are_ignored(client, fake_api):
    body = gzip.compress(json.dumps(day_08()).encode()) + b"\0" * 300_000
    fake_api.fail(KEY, Fault("body", body=body, headers={"Content-Encoding": "gzip"}))
    assert len(client.daily(day=DAY).items) == 37


# ---- C. item caps -------------------------------------------------------------------------------


def test_a_page_with_too_many_items_is_refused_before_any_is_validated(
    client, fake_api, monkeypatch
):
    calls = []
    monkeypatch.setattr(hf, "parse_items", lambda data: calls.append(data))
    items = [{"paper": {"id": f"2605.{i:05d}"}} for i in range(1500)]
    fake_api.fail(KEY, Fault("body", body=json.dumps(items).encode()))
    with pytest.raises(ApiError, match=r"sent 1500 items in one page \(at most 1000 expected\)"):
        client.daily(day=DAY)
    assert calls == []


def test_a_list_with_too_many_items_is_refused(client, fake_api, monkeypatch):
    from test_hf_api import many_items

    monkeypatch.setattr(hf, "MAX_LIST_ITEMS", 150)
    fake_api.add_day("2026-05-11", many_items(250))
    with pytest.raises(ApiError, match=r"sent over 150 items for one list: refused"):
        client.daily(day=date(2026, 5, 11))
    assert len(fake_api.requests_for("2026-05-11")) == 2  # stopped at the page that went over


def test_a_flood_of_tiny_json_values_is_refused_before_parsing(client, fake_api):
    fake_api.fail(KEY, Fault("body", body=b"[" + b"[]," * 600_000 + b"[]]"))
    with pytest.raises(ApiError, match=r"too many JSON values \(over 500,000\): refused"):
        client.daily(day=DAY)


# ---- D. secrets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token, why",
    [
        ("hf_SECRET\nX", "it contains a line break"),
        ("hf_SECRÉT", "it contains a non-ASCII character"),
        ("hf_SECRET token", "it contains a space"),
        ("hf_SECRET\x1b[2J", "it contains a control character"),
    ],
)
def test_a_bad_token_is_refused_and_never_shown(run, monkeypatch, token, why):
    monkeypatch.setenv("HF_TOKEN", token)
    result = run("sync", "--date", "2026-05-08")
    assert result.exit_code == 1
    assert result.stderr == f"papertui: HF_TOKEN is not a valid token ({why}); fix or unset it\n"
    assert "SECRET" not in result.output


def test_userinfo_in_the_api_url_is_never_shown(run):
    result = run("--api-url", "http://user:pw@127.0.0.1:9", "sync", "--date", "2026-05-08")
    assert result.exit_code == 1
    assert "cannot reach 127.0.0.1:9" in result.stderr
    assert "pw" not in result.output
    result = run("--api-url", "ftp://user:pw@example.org/x", "sync", "--date", "2026-05-08")
    assert (
        result.stderr
        == "papertui: bad API URL 'ftp://example.org/x': it must start with http:// or https://\n"
    )


def test_userinfo_is_stripped_from_next_link_refusals_and_kept_for_same_origin(fake_api):
    from test_hf_api import many_items

    base = fake_api.url.replace("http://", "http://user:pw@")
    fake_api.add_day("2026-05-11", many_items(150))
    with HfApi(base, token="", retry=FAST_RETRY) as api:
        assert len(api.daily(day=date(2026, 5, 11)).items) == 150  # next link: same origin
        fake_api.fail(
            KEY,
            Fault(
                "body",
                body=json.dumps(day_08()).encode(),
                headers={"Link": '<http://evil.example/a>; rel="next"'},
            ),
        )
        with pytest.raises(ApiError, match=r"leaves http://127\.0\.0\.1:\d+: refused") as info:
            api.daily(day=DAY)
    assert "pw" not in str(info.value)


# ---- E. redirects -------------------------------------------------------------------------------


def test_a_redirect_to_another_host_is_refused(client, fake_api):
    with FakeApi(today="2026-05-18") as other:
        other.add_day(KEY, day_08()[:3])
        target = other.url.replace("http://", "http://user:pw@") + f"/api/daily_papers?date={KEY}"
        fake_api.fail(KEY, Fault("status", status=302, headers={"Location": target}))
        with pytest.raises(ApiError, match=r"redirected to another host \(http://127") as info:
            client.daily(day=DAY)
        assert other.requests == []
    assert str(info.value) == (
        f"{fake_api.url[7:]} redirected to another host "
        f"({other.url}/api/daily_papers?date={KEY}): refused"
    )


def test_a_redirect_within_the_origin_is_followed(client, fake_api):
    here = f"/api/daily_papers?date={KEY}&limit=100&p=0"
    fake_api.fail(KEY, Fault("status", status=301, headers={"Location": here}))
    assert len(client.daily(day=DAY).items) == 37


def test_a_redirect_loop_is_a_clear_error(client, fake_api):
    loop = Fault("status", status=307, headers={"Location": f"/api/daily_papers?date={KEY}"})
    fake_api.fail(KEY, *[loop] * 10)
    with pytest.raises(ApiError, match=rf"^{HOST} redirected more than 5 times: refused$"):
        client.daily(day=DAY)


# ---- F. odd bodies and headers ------------------------------------------------------------------


def test_a_corrupt_gzip_body_is_a_clear_error(client, fake_api):
    body = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"not deflate at all" * 10
    fake_api.fail(KEY, Fault("body", body=body, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(ApiError, match=r"sent a gzip body that cannot be decoded \(corrupt\)"):
        client.daily(day=DAY)


def test_a_cut_short_gzip_body_is_a_clear_error(client, fake_api):
    body = gzip.compress(json.dumps(day_08()).encode())[:-20]
    fake_api.fail(KEY, Fault("body", body=body, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(ApiError, match=r"sent a gzip body that is cut short"):
        client.daily(day=DAY)


def test_deeply_nested_json_is_a_clear_error(client, fake_api):
    fake_api.fail(KEY, Fault("body", body=b"[" * 3000 + b"]" * 3000))
    with pytest.raises(ApiError, match=rf"^{HOST} sent JSON nested too deeply to read$"):
        client.daily(day=DAY)


@pytest.mark.parametrize(
    "headers", [{"Retry-After": "9" * 400}, {"RateLimit": '"api";r=0;t=' + "9" * 400}]
)
def test_an_absurd_retry_after_is_try_again_later(client, fake_api, headers):
    fake_api.fail(KEY, Fault("status", status=429, headers=headers))
    with pytest.raises(ApiError, match=rf"^rate limited by {HOST}; try again later$"):
        client.daily(day=DAY)


def test_retry_after_is_clamped():
    import httpx

    assert retry_after(httpx.Headers({"Retry-After": "9" * 400})) == hf.LATER
    assert retry_after(httpx.Headers({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"})) == hf.LATER
    assert retry_after(httpx.Headers({"Retry-After": "000012"})) == 12


@pytest.mark.parametrize("url", ["javascript://alice:hunter2@x", "ftp://al@ice:hunter2@x/p"])
def test_base_url_errors_never_show_userinfo(url):
    with pytest.raises(ApiError) as info:
        base_url_from(url)
    assert "hunter2" not in str(info.value) and "ice" not in str(info.value)
