"""`papertui fetch`, the full texts a sync fetches for bookmarked papers, and `export
--with-text`, through the real command line against the loopback server."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_api import Fault
from fulltext_docs import FALLBACK_ID, PAPER_ID, fallback_markdown, paper_markdown

ROOT = Path(__file__).parent.parent
OTHER = "2605.15963"  # a cached paper the server has no text for


@pytest.fixture
def today(monkeypatch):
    from datetime import date

    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 18))


@pytest.fixture
def synced(run, today, fake_api):
    fake_api.texts[PAPER_ID] = paper_markdown()
    fake_api.texts[FALLBACK_ID] = fallback_markdown()
    result = run("sync", "--from", "2026-05-15", "--to", "2026-05-18")
    assert result.exit_code == 0, result.output
    assert "Bookmarked papers" not in result.output  # nothing bookmarked: nothing fetched
    return run


def text_requests(fake_api) -> list[str]:
    return [r.path for r in fake_api.requests if r.path.endswith(".md")]


def write_config(db_path: Path, text: str) -> None:
    folder = db_path.parent.parent / "config" / "papertui"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text)


def test_fetch_ids_in_every_form_with_a_summary(synced, fake_api):
    result = synced(
        "fetch", f"https://arxiv.org/abs/{PAPER_ID}v2", f"hf.co/papers/{FALLBACK_ID}", OTHER
    )
    assert result.exit_code == 0, result.output
    assert (
        "Fetched 2 full texts (1 fallback), 0 already cached, 1 not indexed, 0 failed."
        in result.output
    )
    assert f"{OTHER}: not indexed on Hugging Face" in result.output
    offline = synced("--offline", "read", OTHER)  # not "papertui fetch …", which can't help
    assert offline.exit_code == 1
    assert f"Hugging Face had no full text of {OTHER} when last asked" in offline.output
    assert f"arxiv.org/pdf/{OTHER}" in offline.output and "papertui fetch" not in offline.output
    again = synced("fetch", PAPER_ID, FALLBACK_ID)
    assert "Fetched 0 full texts (0 fallback), 2 already cached" in again.output
    forced = synced("fetch", PAPER_ID, "--force")
    assert "Fetched 1 full text (0 fallback), 0 already cached" in forced.output


def test_fetch_bookmarked_and_by_query(synced, fake_api):
    synced("mark", PAPER_ID, "--bookmark")
    result = synced("fetch", "--bookmarked")
    assert result.exit_code == 0, result.output
    assert "Fetched 1 full text (0 fallback), 0 already cached" in result.output
    assert text_requests(fake_api) == [f"/papers/{PAPER_ID}.md"]
    result = synced("fetch", "--query", "FFAvatar")
    assert "Fetched 1 full text (1 fallback)" in result.output
    found = synced("search", "text:pendulum")
    assert PAPER_ID in found.output and FALLBACK_ID not in found.output
    assert FALLBACK_ID in synced("search", "has:text -text:pendulum").output


def test_a_failed_text_exits_nonzero_and_says_why(synced, fake_api):
    fake_api.fail(f"text:{PAPER_ID}", *[Fault("status", status=503)] * 4)
    result = synced("fetch", PAPER_ID, FALLBACK_ID)
    assert result.exit_code == 1
    assert "1 failed" in result.output
    assert f"{PAPER_ID} failed:" in result.output and "HTTP 503" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["fetch"], "say which papers: IDs, --bookmarked or --query Q"),
        (["fetch", "--query", "  "], "--query needs search text"),
        (["fetch", "../etc/passwd"], "not an arXiv id"),
        (["fetch", "--query", "has:pdf"], "has: takes text"),
        (["--offline", "fetch", PAPER_ID], "needs the network, but papertui is offline"),
        (["export", "--format", "json", "--with-text"], "--with-text works only with"),
    ],
)
def test_bad_fetch_input_is_one_clear_line(synced, args, message):
    result = synced(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_offline_fetch_of_cached_texts_needs_no_network(synced):
    synced("fetch", PAPER_ID)
    result = synced("--offline", "fetch", PAPER_ID)
    assert result.exit_code == 0 and "1 already cached" in result.output


def test_sync_fetches_the_missing_texts_of_bookmarked_papers(synced, fake_api, db_path):
    synced("mark", PAPER_ID, FALLBACK_ID, OTHER, "--bookmark")
    fake_api.requests.clear()
    result = synced("sync", "--days", "1")
    assert result.exit_code == 0, result.output  # a paper not indexed fails nothing
    assert (
        "Bookmarked papers: Fetched 2 full texts (1 fallback), 0 already cached, "
        "1 not indexed, 0 failed." in result.output
    )
    assert sorted(text_requests(fake_api)) == sorted(
        f"/papers/{i}.md" for i in (PAPER_ID, FALLBACK_ID, OTHER)
    )
    fake_api.requests.clear()
    again = synced("sync", "--days", "1")
    # the one Hugging Face has no page for is not asked for again on every sync...
    assert text_requests(fake_api) == [] and "Bookmarked papers" not in again.output
    with sqlite3.connect(db_path) as conn:  # ...until a week has gone by
        conn.execute("UPDATE full_text_misses SET checked_at = '2020-01-01T00:00:00+00:00'")
    later = synced("sync", "--days", "1")
    assert text_requests(fake_api) == [f"/papers/{OTHER}.md"]  # only the one still missing
    assert "1 not indexed" in later.output
    fake_api.requests.clear()
    asked = synced("fetch", OTHER)  # and asking for it by name asks at once
    assert text_requests(fake_api) == [f"/papers/{OTHER}.md"] and "1 not indexed" in asked.output


def test_sync_fails_when_a_bookmarked_text_fails(synced, fake_api):
    synced("mark", PAPER_ID, "--bookmark")
    fake_api.fail(f"text:{PAPER_ID}", *[Fault("status", status=503)] * 4)
    result = synced("sync", "--days", "1")
    assert result.exit_code == 1
    assert "Synced 1 of 1 day" in result.output and "0 days failed" in result.output
    assert f"{PAPER_ID} failed:" in result.output


def test_fulltext_none_fetches_nothing(synced, fake_api, db_path):
    write_config(db_path, 'fulltext = "none"\n')
    synced("mark", PAPER_ID, "--bookmark")
    fake_api.requests.clear()
    result = synced("sync", "--days", "1")
    assert result.exit_code == 0 and "Bookmarked papers" not in result.output
    assert text_requests(fake_api) == []


def test_a_bad_fulltext_setting_is_named_and_the_default_used(synced, fake_api, db_path):
    write_config(db_path, 'fulltext = "everything"\n')
    synced("mark", PAPER_ID, "--bookmark")
    result = synced("sync", "--days", "1")
    assert "fulltext = 'everything': one of 'bookmarked' or 'none'" in result.output
    assert "Bookmarked papers: Fetched 1 full text" in result.output


def test_export_markdown_with_text(synced):
    synced("fetch", PAPER_ID, FALLBACK_ID)
    plain = synced("export", "--format", "markdown", "--query", "olympiad OR ffavatar")
    assert "pendulum" not in plain.output
    result = synced(
        "export", "--format", "markdown", "--with-text", "--query", "olympiad OR ffavatar"
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("# Papers\n")
    assert "## [Achieving Gold-Medal-Level Olympiad Reasoning" in out
    # the paper's headings sit under the export's own
    assert "\n### Achieving Gold-Medal-Level Olympiad Reasoning via Simple" in out
    assert "\n#### 1 Introduction\n" in out and "\n##### 3.1 Reverse-perplexity curriculum" in out
    assert "\n## 1 Introduction" not in out
    assert "T \\approx 2\\pi\\sqrt{\\frac{\\ell}{g}}" in out  # the math as sent
    assert "Only the paper page's text was available" in out  # the fallback, labelled
    assert out.count("\n---\n") == 2


@pytest.mark.slow
def test_ctrl_c_during_fetch_exits_130_keeping_stored_texts(tmp_path, fake_api):
    fake_api.texts[PAPER_ID] = paper_markdown()
    fake_api.texts[FALLBACK_ID] = fallback_markdown()
    fake_api.fail(f"text:{FALLBACK_ID}", Fault("drip", seconds=0.2, size=100_000))
    db = tmp_path / "ctrl-c.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    env.pop("HF_TOKEN", None)
    cmd = [sys.executable, "-m", "papertui", "--db", str(db), "--api-url", fake_api.url]
    proc = subprocess.Popen(
        [*cmd, "fetch", PAPER_ID, FALLBACK_ID],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stored: list[str] = []
        for _ in range(300):  # wait (up to 30 s) until the quick text is stored
            time.sleep(0.1)
            if db.exists():
                con = sqlite3.connect(db)
                try:
                    stored = [r[0] for r in con.execute("SELECT paper_id FROM full_texts")]
                except sqlite3.OperationalError:
                    stored = []
                finally:
                    con.close()
            if stored or proc.poll() is not None:
                break
        assert stored == [PAPER_ID]
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
    assert "Traceback" not in err
    assert err.strip() == "papertui: interrupted: 1 of 2 full texts stored, 1 not fetched"
    con = sqlite3.connect(db)
    try:
        assert [r[0] for r in con.execute("SELECT paper_id FROM full_texts")] == [PAPER_ID]
    finally:
        con.close()
