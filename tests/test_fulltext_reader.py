"""The reader keeps the full texts of bookmarked papers: bookmarking one, and a sync, fetch what
is missing in a worker of their own (with `fulltext = "bookmarked"`, the default)."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import FAST_RETRY, day_08
from fulltext_docs import paper_markdown
from ui_helpers import make_app, run, settle

from papertui.models import parse_items
from papertui.store import Store

pytestmark = pytest.mark.slow  # pilot tests: about a second each


@pytest.fixture
def fast_network(monkeypatch):
    import papertui.hf_api as hf

    monkeypatch.setattr(hf, "RetryPolicy", lambda: FAST_RETRY)
    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 18))


async def wait_for(pilot, condition, rounds: int = 80) -> None:
    for _ in range(rounds):
        await settle(pilot, rounds=1)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never became true")


def cached_text_ids(db) -> list[str]:
    with Store(db) as store:
        ids = store.ids(limit=1000)
        return sorted(i for i, t in store.full_text_infos(ids).items() if t)


@pytest.fixture
def day_db(tmp_path):
    db = tmp_path / "r.db"
    with Store(db) as store:
        store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
    return db


@pytest.mark.parametrize("fulltext", ["bookmarked", "none"])
def test_bookmarking_fetches_the_full_text(tmp_path, day_db, fake_api, fast_network, fulltext):
    async def scenario():
        app = make_app(
            day_db,
            tmp_path,
            offline=False,
            api_url=fake_api.url,
            fulltext=fulltext,
            default_view="all",
            auto_sync_minutes=0,
        )
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: not app.syncing)
            paper_id = app.paper_list.current.id
            fake_api.texts[paper_id] = paper_markdown()
            await pilot.press("b")
            if fulltext == "bookmarked":
                await wait_for(pilot, lambda: cached_text_ids(day_db) == [paper_id])
            else:
                await settle(pilot)
                assert cached_text_ids(day_db) == []
            return paper_id

    run(scenario())
    requests = [r.path for r in fake_api.requests if r.path.endswith(".md")]
    assert len(requests) == (1 if fulltext == "bookmarked" else 0)


def test_a_sync_fetches_the_texts_bookmarked_papers_lack(tmp_path, day_db, fake_api, fast_network):
    with Store(day_db) as store:
        first, second = store.ids(limit=2)
        store.set_state([first, second], bookmarked=True)
    fake_api.texts[first] = paper_markdown()
    fake_api.texts[second] = paper_markdown().replace("SU-01", "SU-02")

    async def scenario():
        app = make_app(day_db, tmp_path, offline=False, api_url=fake_api.url)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: sorted([first, second]) == cached_text_ids(day_db))

    run(scenario())


def test_quitting_while_a_full_text_drips_in_ends_the_process(tmp_path, day_db, fake_api):
    """The texts' worker is cancelled with the reader, and its cancel event stops the fetch."""
    import os
    import pty
    import subprocess
    import sys
    import time
    from pathlib import Path

    from fake_api import Fault
    from test_reader_quits import ENDED, _drain, _read_until

    with Store(day_db) as store:
        paper_id = store.ids(limit=1)[0]
        store.set_state([paper_id], bookmarked=True)
    fake_api.fail(f"text:{paper_id}", Fault("drip", seconds=0.2, size=50_000))
    root = Path(__file__).parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "TERM": "xterm-256color",
        "COLUMNS": "100",
        "LINES": "30",
    }
    env.pop("HF_TOKEN", None)
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "papertui", "--db", str(day_db), "--api-url", fake_api.url],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(child)
    try:
        _read_until(main, b"synced")
        for _ in range(100):  # the text's request is in flight, dripping
            if any(r.path.endswith(".md") for r in fake_api.requests):
                break
            time.sleep(0.1)
        assert any(r.path == f"/papers/{paper_id}.md" for r in fake_api.requests)
        started = time.monotonic()
        os.write(main, b"q")
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
    with Store(day_db) as store:
        assert store.full_text(paper_id) is None
