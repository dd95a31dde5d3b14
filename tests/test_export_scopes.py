"""The core under the reader's copy / save: which papers a scope means, the batched exporters,
the checks on a typed save path, and the clipboard's OSC 52 cap."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser
from conftest import day_08, latest_by_day

import papertui.service
from papertui import clipboard
from papertui.export import to_bibtex, to_csv, to_markdown
from papertui.files import SavePathError, complete_path, save_target, tilde
from papertui.models import parse_items
from papertui.query import EVERYTHING, Is, parse_query
from papertui.scopes import bookmarks_scope, paper_scope, slug, view_scope
from papertui.service import Service
from papertui.views import ReaderQuery, View

TODAY = date(2026, 5, 20)


def bibtex_ids(text: str) -> list[str]:
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    return [e["eprint"] for e in bibtexparser.loads(text, parser).entries]


@pytest.fixture
def service(db_path):
    with Service(db_path, offline=True) as service:
        service.store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
        for day, items in latest_by_day().items():
            service.store.upsert(parse_items(items).entries, day=day, record_day=True)
        yield service


@pytest.mark.parametrize("sort", ["upvotes", "date", "title", "relevance"])
def test_batched_export_is_the_whole_export_in_the_list_order(service, monkeypatch, sort):
    monkeypatch.setattr(papertui.service, "EXPORT_BATCH", 7)  # many batches
    where = parse_query("model")
    papers = service.store.papers(where, sort=sort)
    listed = [r.id for r in service.store.list_rows(where, sort, limit=10_000)]
    assert [p.id for p in papers] == listed and len(listed) > 20
    for fmt, whole in (
        ("bibtex", to_bibtex(papers)),
        ("markdown", to_markdown(papers, heading="Model")),
        ("csv", to_csv(papers)),
    ):
        exported = service.export_papers(fmt, where, sort=sort, heading="Model")
        assert exported.text == whole and exported.count == len(listed)
    assert bibtex_ids(service.export_papers("bibtex", where, sort=sort).text) == listed


def test_save_papers_writes_the_export_and_nothing_for_none(service, tmp_path, monkeypatch):
    monkeypatch.setattr(papertui.service, "EXPORT_BATCH", 5)
    path = tmp_path / "all.bib"
    count = service.save_papers("bibtex", EVERYTHING, path, sort="date")
    assert count == service.count(EVERYTHING) > 5
    assert path.read_text(encoding="utf-8") == service.export_papers("bibtex", EVERYTHING).text
    empty = tmp_path / "none.md"
    assert service.save_papers("markdown", Is("bookmarked"), empty) == 0
    assert not empty.exists()
    with pytest.raises(papertui.service.PapertuiError, match="unknown export format"):
        service.save_papers("docx", EVERYTHING, tmp_path / "x")


def test_a_failure_mid_export_leaves_the_old_file(service, tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "keep.bib"
    path.write_text("old\n")
    monkeypatch.setattr(papertui.service, "EXPORT_BATCH", 2)
    calls = []

    def failing(ids):
        calls.append(ids)
        if len(calls) == 3:
            raise papertui.service.PapertuiError("the cache went away")
        return real(ids)

    real = service.store.papers_by_ids
    monkeypatch.setattr(service.store, "papers_by_ids", failing)
    with pytest.raises(papertui.service.PapertuiError):
        service.save_papers("bibtex", EVERYTHING, path)
    assert path.read_text() == "old\n" and [p.name for p in path.parent.iterdir()] == ["keep.bib"]


def test_markdown_of_one_paper_has_no_heading(service):
    pid = service.store.list_rows(limit=1)[0].id
    scope = paper_scope(pid, "A $\\alpha$ title")
    text = service.export_papers("markdown", scope.where, heading=scope.heading).text
    assert text.startswith("- [") and text.count("\n") == 1
    assert (
        scope.detail == f"{pid} · A α title" and scope.file_name("bibtex") == f"papertui-{pid}.bib"
    )


def test_view_scope_is_the_reader_query():
    day = View("day", date(2026, 5, 8))
    rq = ReaderQuery(day, sort="title", unread_only=True)
    scope = view_scope(rq, TODAY)
    assert scope.where == rq.filter() and scope.sort == "title"
    assert scope.label == "this view" and scope.stem == "papertui-2026-05-08-unread"
    assert scope.heading == "Papers: Fri 08 May 2026 · unread only"
    assert scope.detail == "Fri 08 May 2026 · unread only · sorted by title"
    searched = view_scope(ReaderQuery(day, text='author:lecun "world model" -survey'), TODAY)
    assert searched.label == "this search" and searched.sort == "relevance"
    assert searched.stem == "papertui-search-author-lecun-world-model-survey-2026-05-20"
    stems = {
        "week": "papertui-2026-W19",
        "month": "papertui-2026-05",
        "all": "papertui-all-2026-05-20",
    }
    for kind, stem in stems.items():
        assert view_scope(ReaderQuery(View(kind, date(2026, 5, 8))), TODAY).stem == stem
    marked = view_scope(ReaderQuery(day, bookmarks_only=True), TODAY)
    assert marked.stem == "papertui-bookmarks-2026-05-20"
    named = view_scope(ReaderQuery(day, text="https://arxiv.org/abs/2605.05242v2"), TODAY)
    assert named.stem == "papertui-2605.05242"
    with pytest.raises(papertui.service.PapertuiError, match="runs backwards"):
        view_scope(ReaderQuery(day, text="upvotes:50..10"), TODAY)
    assert bookmarks_scope(TODAY).file_name("markdown") == "papertui-bookmarks-2026-05-20.md"


def test_slug_is_a_safe_file_name_part():
    assert slug("Ünïcode / ../../etc passwd") == "unicode-etc-passwd"
    assert slug("a" * 100) == "a" * 40
    assert slug("$$$") == ""


# ---- the typed path ------------------------------------------------------------------------


def test_save_target_expands_home_and_follows_links(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert save_target("  ~/x.bib ").path == tmp_path / "x.bib"
    assert tilde(tmp_path / "a" / "b.md") == "~/a/b.md"
    monkeypatch.chdir(tmp_path)
    target = save_target("rel.md")
    assert target.path == tmp_path / "rel.md" and not target.exists
    real = tmp_path / "real.bib"
    real.write_text("x")
    (tmp_path / "link.bib").symlink_to(real)
    linked = save_target("link.bib")
    assert linked.path == real and linked.exists


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type the path of a file"),
        ("   ", "Type the path of a file"),
        ("a\0b", "NUL"),
        ("{tmp}", "is a folder: add a file name, e.g. {tmp}/p.bib"),
        ("{tmp}/", "is a folder"),
        ("{tmp}/nope/", "There is no folder"),
        ("{tmp}/nope/x.bib", "There is no folder"),
        ("{tmp}/file/x.bib", "is a file, not a folder"),
        ("/dev/null", "not a regular file"),
        ("{tmp}/" + "x" * 300, "File name too long"),
        ("~nosuchuserxyz/x", "There is no user 'nosuchuserxyz'"),
    ],
)
def test_save_target_refuses_with_a_reason(tmp_path, typed, message):
    (tmp_path / "file").write_text("x")
    with pytest.raises(SavePathError) as caught:
        save_target(typed.format(tmp=tmp_path), "p.bib")
    assert message.format(tmp=tmp_path) in str(caught.value)


def test_complete_path(tmp_path):
    (tmp_path / "papers").mkdir()
    (tmp_path / "papertui-a.bib").write_text("")
    (tmp_path / "papertui-b.bib").write_text("")
    (tmp_path / ".hidden").write_text("")
    base = f"{tmp_path}/"
    assert complete_path(base + "pa") == base + "paper"
    assert complete_path(base + "paperz") == base + "paperz"
    assert complete_path(base + "papers") == base + "papers/"
    assert complete_path(base + "papertui-a") == base + "papertui-a.bib"
    assert complete_path(base + ".h") == base + ".hidden"
    assert complete_path(base + "h") == base + "h"
    assert complete_path(f"{tmp_path}/nope/x") == f"{tmp_path}/nope/x"
    assert complete_path("~") == "~/"
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        assert complete_path("papers") == "papers/"
    finally:
        os.chdir(cwd)


# ---- the clipboard ---------------------------------------------------------------------------


def test_osc52_takes_at_most_its_cap(monkeypatch):
    import pyperclip

    def missing(_text):
        raise pyperclip.PyperclipException("no xclip")

    monkeypatch.setattr(pyperclip, "copy", missing)
    sent: list[str] = []
    fits = "é" * (clipboard.OSC52_MAX_BYTES // 2)
    assert clipboard.copy(fits, osc52=sent.append) == "terminal (OSC 52)" and sent == [fits]
    with pytest.raises(clipboard.TooBigForTerminal) as caught:
        clipboard.copy(fits + "x", osc52=sent.append)
    assert caught.value.size == clipboard.OSC52_MAX_BYTES + 1 and len(sent) == 1
    assert "is more than the terminal's clipboard (OSC 52) takes (up to 100 kB)" in str(
        caught.value
    )
    big = "x" * 5_000_000
    monkeypatch.setattr(pyperclip, "copy", sent.append)
    assert clipboard.copy(big, osc52=None) == "system clipboard"  # no cap on the system's


def test_size_text():
    assert clipboard.size_text(999) == "999 bytes"
    assert clipboard.size_text(41_000_000) == "41.0 MB"
    assert clipboard.size_text(100_000) == "100 kB"


def test_the_default_folder_is_downloads_when_there_is_one(tmp_path, monkeypatch):
    from papertui import paths

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(tmp_path / "Downloads"))
    assert paths.default_export_dir() == Path(tmp_path)
    (tmp_path / "Downloads").mkdir()
    assert paths.default_export_dir() == tmp_path / "Downloads"
