"""`q` and ctrl+c end the reader's process promptly, even while a sync hangs on a hostile server.

The reader runs in a real pseudo-terminal, as a person runs it. Every day it asks for drips one
byte every 0.2 s for hours; before quitting cancelled the sync, `q` blanked the screen and the
process stayed alive until the worker thread's request ended.
"""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_api import Fault

ROOT = Path(__file__).parent.parent
# A drip of 50,000 bytes at 5 a second holds a request for hours: exiting within this bound
# proves the quit cancelled it. It times nothing.
ENDED = 60


def _read_until(fd: int, needle: bytes, limit: float = 60) -> bytes:
    seen = b""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if needle in seen:
                return seen
    raise AssertionError(f"never saw {needle!r}; screen so far ends: {seen[-400:]!r}")


def _drain(fd: int) -> None:
    while select.select([fd], [], [], 0)[0]:
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


@pytest.mark.parametrize("key", [b"q", b"\x03"], ids=["q", "ctrl+c"])
def test_quitting_during_a_hung_sync_ends_the_process(tmp_path, fake_api, key):
    fake_api.fail("*", *[Fault("drip", seconds=0.2, size=50_000)] * 20)
    db = tmp_path / "cache.db"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "LINES": "30",
    }
    env.pop("HF_TOKEN", None)
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "papertui", "--db", str(db), "--api-url", fake_api.url],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(child)
    try:
        _read_until(main, b"syncing")  # the sync has planned its days and is fetching
        for _ in range(100):  # and its requests are in flight, dripping
            if fake_api.requests:
                break
            time.sleep(0.1)
        assert fake_api.requests
        started = time.monotonic()
        os.write(main, key)
        while proc.poll() is None and time.monotonic() - started < ENDED:
            _drain(main)
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        assert proc.poll() is not None, "the reader was still running after quitting"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    print(f"quit to exit: {elapsed:.2f} s")
    assert proc.returncode == 0
    with sqlite3.connect(db) as con:  # the cache is whole and usable
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
