"""`papertui tag`, `tags`, `note`, `saved`, `search --saved` and `export --tag`, through the real
command line (click's runner on the real entry point; the cache on disk)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

from papertui.store import Store

A, B = "2605.05242", "2605.13301"


@pytest.fixture
def today(monkeypatch):
    from datetime import date

    monkeypatch.setattr("papertui.days.utc_today", lambda: date(2026, 5, 18))


@pytest.fixture
def synced(run, today):
    result = run("sync", "--from", "2026-05-08", "--to", "2026-05-18")
    assert result.exit_code == 0, result.output
    return run


def fake_editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR that records what it was given and writes `body` (Python, no shell)."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[-1])\n"
        f"pathlib.Path({str(tmp_path / 'seen.txt')!r}).write_bytes(p.read_bytes())\n"
        f"p.write_bytes({body.encode('utf-8')!r})\n"
    )
    return f"{sys.executable} {script}"


def test_tag_adds_and_removes_at_once_and_lists(synced, db_path):
    out = synced("tag", A, B, "+ML", "+to-read")
    assert out.exit_code == 0, out.output
    assert out.output == f"Tagged 2 papers: +ml +to-read.\n  {A}  ml to-read\n  {B}  ml to-read\n"
    assert synced("tag", f"https://arxiv.org/abs/{A}", "-to-read", "+rl").exit_code == 0
    assert synced("tag", A, B).output == f"{A}  ml rl\n{B}  ml to-read\n"
    with Store(db_path) as store:  # on disk, as another process sees it
        assert store.tags_of([A, B]) == {A: ["ml", "rl"], B: ["ml", "to-read"]}
    rows = json.loads(synced("tags", "--json").output)
    assert rows == [
        {"tag": "ml", "papers": 2, "unread": 2},
        {"tag": "rl", "papers": 1, "unread": 1},
        {"tag": "to-read", "papers": 1, "unread": 1},
    ]
    synced("mark", A, "--read")
    assert synced("tags").output.splitlines()[0].split() == ["ml", "2", "1"]
    found = json.loads(synced("search", "--json", "tag:ml -tag:rl").output)
    assert [p["id"] for p in found] == [B] and found[0]["tags"] == ["ml", "to-read"]


def test_a_tag_named_h_can_be_taken_off(synced, db_path):
    """`-h` after the papers is the tag "h" taken off, as any -NAME is (it used to print the
    help and change nothing); help is `--help`, or `-h` alone."""
    assert synced("tag", A, "+h", "+ml").exit_code == 0
    out = synced("tag", A, "-h")
    assert out.exit_code == 0 and out.output == f"Tagged 1 paper: -h.\n  {A}  ml\n", out.output
    out = synced("tag", A, "-nothing")  # never had it: the line under says what it has
    assert out.output == f"Tagged 1 paper: -nothing.\n  {A}  ml\n", out.output
    with Store(db_path) as store:
        assert store.tags_of([A]) == {A: ["ml"]}
    for asked in (["-h"], ["--help"]):
        shown = synced("tag", *asked)
        assert shown.exit_code == 0 and shown.output.startswith("Usage: "), asked


@pytest.mark.parametrize(
    "args, message",
    [
        (["tag", A, "+bad tag"], "bad tag 'bad tag': a tag is one word"),
        (["tag", A, "+a,b"], "a tag is one word"),
        (["tag", "ml"], "'ml' is not an arXiv id or paper link"),
        (["tag", "+ml"], "name the papers to tag"),
        (["tag", A, "+h", "-H"], "h: both added and taken off; choose one (nothing was changed)"),
        (["tag", "2605.99999", "+ml"], "not in the cache: 2605.99999 (nothing was changed"),
        (["tags", "rename", "nope", "x"], "no paper is tagged 'nope'"),
        (["note", A, "-m", "x", "--clear"], "choose one of -m, --clear"),
        (["note", "2605.99999"], "no paper 2605.99999 in the cache"),
        (["saved", "delete", "nope"], "no saved search called 'nope' (none saved yet)"),
        (["search", "--saved", "nope"], "no saved search called 'nope'"),
        (["saved", "add", "x", "tag:"], "tag: needs a tag name"),
        (["saved", "add", "x"], "nothing to save"),
        (["search", "tag:a(b"], "a tag is one word"),
        (["search", "has:pdf"], "has: takes text, tag, note or code"),
        (["export", "--tag", "a b"], "bad tag"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(synced, db_path, args, message):
    with Store(db_path) as store:
        before = store.user_states()
    result = synced(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    with Store(db_path) as store:
        assert store.user_states() == before


def test_tags_rename_merges_and_delete_removes_everywhere(synced):
    synced("tag", A, "+old", "+new")
    synced("tag", B, "+old")
    assert synced("tags", "rename", "OLD", "new").output == "Renamed old to new on 2 papers.\n"
    assert synced("tag", A, B).output == f"{A}  new\n{B}  new\n"
    assert synced("tags", "delete", "new").output == "Removed new from 2 papers.\n"
    assert synced("tags").stdout == ""
    assert "No tags yet" in synced("tags").stderr


def test_note_prints_sets_clears_and_reads_files(synced, db_path, tmp_path, monkeypatch):
    assert "No note on" in synced("note", A).stderr
    hostile = "line one\n\x1b]52;c;QUFB\x07 \x9b2J [b]x[/b] \u202eend"
    assert synced("note", A, "-m", hostile).output == f"Saved the note on {A}.\n"
    with Store(db_path) as store:
        assert store.note(A) == hostile  # exactly, escapes and all
    printed = synced("note", A).stdout
    assert printed == "line one\n  [b]x[/b] end\n"  # shown safely
    assert synced("note", A, "-m", hostile).output == f"The note on {A} is unchanged.\n"
    assert json.loads(synced("show", "--json", A).output)["notes"] == hostile
    assert "Your note:\nline one" in synced("show", A).output
    big = tmp_path / "big.md"
    big.write_text("é" * 600_000 + "\nend")  # 1.2 MB of UTF-8
    assert synced("note", A, "-F", str(big)).exit_code == 0
    with Store(db_path) as store:
        assert store.note(A) == big.read_text()
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"caf\xe9")
    result = synced("note", A, "-F", str(bad))
    assert result.exit_code == 1 and "not UTF-8 text; nothing was saved" in result.output
    assert synced("note", B, "-F", "-", input="from stdin\n").exit_code == 0
    assert synced("note", B).stdout == "from stdin\n\n"
    assert synced("note", A, "--clear").output == f"Cleared the note on {A}.\n"
    assert synced("search", "has:note", "--json").output.count('"id"') == 1


def test_note_edit_runs_the_editor_on_the_note_and_saves_what_it_left(
    synced, db_path, tmp_path, monkeypatch
):
    synced("note", A, "-m", "before")
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, "after, from the editor\n"))
    monkeypatch.delenv("VISUAL", raising=False)
    result = synced("note", A, "--edit")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "seen.txt").read_text() == "before\n"
    with Store(db_path) as store:
        assert store.note(A) == "after, from the editor"  # the editor's last line break off
    assert json.loads(synced("search", "--json", "note:editor").output)[0]["id"] == A
    monkeypatch.setenv("EDITOR", f"{sys.executable} -c 'import sys; sys.exit(3)'")
    failed = synced("note", A, "--edit")
    assert failed.exit_code == 1 and "exited with status 3; nothing was saved" in failed.output
    monkeypatch.setenv("EDITOR", "/no/such/editor")
    assert "cannot run the editor" in synced("note", A, "--edit").output
    monkeypatch.delenv("EDITOR")
    assert "no editor: set $EDITOR" in synced("note", A, "--edit").output
    with Store(db_path) as store:
        assert store.note(A) == "after, from the editor"


def test_the_config_editor_wins_over_editor_and_expands_variables(
    synced, db_path, tmp_path, monkeypatch
):
    config = db_path.parent.parent / "config" / "papertui"
    config.mkdir(parents=True)
    monkeypatch.setenv("MY_EDITOR", fake_editor(tmp_path, "from the configured editor"))
    monkeypatch.setenv("EDITOR", "/no/such/editor")
    (config / "config.toml").write_text('editor = "$MY_EDITOR"\n')
    assert synced("note", A, "--edit").exit_code == 0
    with Store(db_path) as store:
        assert store.note(A) == "from the configured editor"


def test_saved_searches_from_the_command_line(synced):
    synced("tag", A, B, "+ml")
    out = synced("saved", "add", "ML unread", "tag:ml", "is:unread", "-survey")
    assert out.output == "Saved the search 'ML unread'.\n"
    assert synced("saved", "add", "Bookmarks", "--bookmarks", "--sort", "title").exit_code == 0
    listed = json.loads(synced("saved", "--json").output)
    assert [(s["name"], s["papers"], s["unread"]) for s in listed] == [
        ("Bookmarks", 0, 0),
        ("ML unread", 2, 2),
    ]
    synced("mark", A, "--read")
    found = json.loads(synced("search", "--saved", "ml UNREAD", "--json").output)
    assert [p["id"] for p in found] == [B]
    narrowed = synced("search", "--saved", "ML unread", "author:nobodyatall")
    assert narrowed.stdout == "" and "No papers match." in narrowed.stderr
    assert synced("saved", "add", "ml unread", "tag:ml").output.startswith("Replaced")
    assert synced("saved", "delete", "ML UNREAD").exit_code == 0
    assert [s["name"] for s in json.loads(synced("saved", "--json").output)] == ["Bookmarks"]


def test_export_of_a_tag_in_every_format(synced, tmp_path):
    synced("tag", A, "+ml")
    synced("note", A, "-m", "Note with {braces} and 100%")
    bib = synced("export", "--tag", "ML", "--format", "bibtex").output
    assert bib.count("@misc{") == 1 and "keywords = {ml}" in bib
    assert r"note = {Note with \textbraceleft{}braces\textbraceright{} and 100\%}" in bib
    md = synced("export", "--tag", "ml", "--format", "markdown").output
    assert "  Tags: `ml`" in md and "  > Note with {braces} and 100%" in md
    empty = synced("export", "--tag", "unused")
    assert "No papers tagged 'unused': the export is empty." in empty.stderr


def test_import_reports_saved_searches(run, tmp_path):
    doc = {
        "papertui_export": 1,
        "papers": json.loads((FIXTURES / "daily_papers_date-2026-05-08.json").read_text())[:1],
        "saved_searches": [{"name": "x", "query": "agent"}],
    }
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc))
    out = run("import", str(path))
    assert out.exit_code == 0 and "1 saved search taken." in out.output
    assert os.path.exists(path)
