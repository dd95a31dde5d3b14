"""Your library under faults: a reader that hands the terminal to your editor and gets it back,
SIGKILL in the middle of note and tag writes, many processes tagging at once. Each test backs a
row of RELIABILITY.md."""

from __future__ import annotations

import contextlib
import os
import pty
import random
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import day_08
from test_reader_quits import _drain, _read_until

from papertui.models import parse_items
from papertui.query import parse_query
from papertui.store import Store, compact

ROOT = Path(__file__).parent.parent


def seeded(db: Path) -> list[str]:
    with Store(db) as store:
        parsed = parse_items(day_08())
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)
        return [r.id for r in store.list_rows(limit=100)]


def consistent(db: Path) -> None:
    """The file is whole; the text index and the tag index agree with what they index."""
    con = sqlite3.connect(db)
    compact.register(con)  # the index reads the packed texts through it
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.execute("INSERT INTO papers_fts (papers_fts, rank) VALUES ('integrity-check', 1)")
        from_json = set(
            con.execute(
                "SELECT j.value, u.paper_id FROM user_state u, json_each(u.tags) j"
            ).fetchall()
        )
        assert set(con.execute("SELECT tag, paper_id FROM paper_tags").fetchall()) == from_json
    finally:
        con.close()


def cli(db: Path, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "papertui", "--db", str(db), "--offline", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


@pytest.mark.slow
def test_sigkill_in_the_middle_of_note_and_tag_writes_loses_nothing_written(tmp_path):
    """A big note and a tag change, killed at random moments: the note is the old one or the
    new one whole, the tags before or after, never half, and the indexes agree."""
    db = tmp_path / "c.db"
    ids = seeded(db)
    notes = [f"version {n}: " + "words of a long note " * 20_000 for n in range(2)]
    files = []
    for n, text in enumerate(notes):
        path = tmp_path / f"note{n}.md"
        path.write_text(text)
        files.append(path)
    with Store(db) as store:
        store.set_note(ids[0], notes[0])
    rng = random.Random(7)
    for attempt in range(10):
        procs = [
            cli(db, "note", ids[0], "-F", str(files[attempt % 2])),
            cli(db, "tag", *ids[:20], f"+t{attempt}", f"-t{attempt - 1}"),
        ]
        time.sleep(rng.uniform(0.2, 1.2))
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        consistent(db)
        with Store(db) as store:
            assert store.note(ids[0]) in notes, attempt
            tags = store.tags_of(ids[:20])
            assert len({tuple(t) for t in tags.values()}) == 1, attempt  # all or none changed
    done = cli(db, "note", ids[0], "-F", str(files[1]))
    assert done.wait(60) == 0
    with Store(db) as store:
        assert store.note(ids[0]) == notes[1]
        assert store.count(parse_query("note:version")) == 1


@pytest.mark.slow
def test_many_processes_tagging_and_noting_at_once_lose_no_change(tmp_path):
    """Eight `papertui tag` and four `papertui note` processes on one cache at the same time:
    every tag each added is there (each change reads and writes the paper's tags in one
    transaction), every note is stored, and no one saw "database is locked"."""
    db = tmp_path / "c.db"
    ids = seeded(db)
    procs = [cli(db, "tag", *ids[:10], f"+p{n}") for n in range(8)]
    procs += [cli(db, "note", ids[n], "-m", f"note {n} from its own process") for n in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in out + err and "busy" not in out + err
    with Store(db) as store:
        tags = store.tags_of(ids[:10])
        assert all(set(t) == {f"p{n}" for n in range(8)} for t in tags.values())
        assert [store.note(ids[n]) for n in range(4)] == [
            f"note {n} from its own process" for n in range(4)
        ]
    consistent(db)


@contextlib.contextmanager
def reader_in_a_terminal(tmp_path: Path, db: Path, editor: str):
    """The reader on `db` in a pseudo-terminal (120x36, offline), with `editor` as the config's
    editor line: (the process, the terminal's side to read and write). Killed if still running."""
    config = tmp_path / "cfg" / "papertui"
    config.mkdir(parents=True)
    (config / "config.toml").write_text(
        f'{editor}\ndefault_view = "all"\nrestore_session = false\n'
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "36",
    }
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "papertui", "--db", str(db), "--offline"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(child)
    try:
        yield proc, main
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)


def quits_on_q(proc: subprocess.Popen, main: int) -> bool:
    os.write(main, b"q")
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        _drain(main)
        time.sleep(0.05)
    return proc.poll() == 0


@pytest.mark.slow
def test_the_reader_hands_the_terminal_to_your_editor_and_takes_it_back(tmp_path):
    """`editor` in the config: `e` suspends the reader in a real terminal, the editor (a script
    here) edits a temporary file holding the note, and the reader resumes, saves and goes on."""
    db = tmp_path / "c.db"
    ids = seeded(db)
    with Store(db) as store:
        store.set_note(ids[0], "before")
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import os, sys, pathlib\n"
        "p = pathlib.Path(sys.argv[-1])\n"
        "assert os.isatty(0) and os.isatty(1), 'the editor must get the terminal'\n"
        "sys.stdout.write('EDITOR RAN\\n'); sys.stdout.flush()\n"
        "p.write_text(p.read_text().replace('before', 'after the editor'))\n"
    )
    with reader_in_a_terminal(tmp_path, db, f'editor = "{sys.executable} {editor}"') as (
        proc,
        main,
    ):
        _read_until(main, b"papers")  # the list is on screen
        time.sleep(0.5)
        os.write(main, b"e")
        _read_until(main, b"EDITOR RAN")
        deadline = time.monotonic() + 60  # back in the reader, which saves what the editor left
        while time.monotonic() < deadline:
            _drain(main)
            with Store(db) as store:
                if store.note(ids[0]) == "after the editor":
                    break
            time.sleep(0.1)
        with Store(db) as store:
            assert store.note(ids[0]) == "after the editor"
        assert proc.poll() is None  # the reader goes on
        assert quits_on_q(proc, main)
    consistent(db)


@pytest.mark.slow
def test_an_editor_that_fails_hands_the_terminal_back_to_the_reader(tmp_path):
    """`editor = "false"`: the editor exits with a failure at once. The reader takes the terminal
    back, says nothing was saved, and still quits on `q` (it used to stay blank, deaf to keys)."""
    db = tmp_path / "c.db"
    ids = seeded(db)
    with reader_in_a_terminal(tmp_path, db, 'editor = "false"') as (proc, main):
        _read_until(main, f"{len(ids)} unread".encode())  # the list is drawn and counted
        time.sleep(0.5)
        os.write(main, b"e")
        _read_text_until(main, "Note not saved")  # drawn by the reader, back on the terminal
        assert quits_on_q(proc, main)


def _read_text_until(fd: int, needle: str, limit: float = 60) -> None:
    """Until the screen shows `needle`, its words apart from the escape codes between them."""
    seen = b""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if not select.select([fd], [], [], 0.2)[0]:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        seen += chunk
        if needle in re.sub(r"\x1b\[[0-9;?<>=]*[A-Za-z~]", "", seen.decode(errors="replace")):
            return
    raise AssertionError(f"never saw {needle!r}")
