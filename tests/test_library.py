"""Your own library in the core: tag rules, tags and notes in the cache, searching them, the
per-field import merge, the exports, and the upgrade of older caches (migration m005)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser
from conftest import FIXTURES, day_08, latest_by_day
from hypothesis import given, settings
from hypothesis import strategies as st

from papertui.export import to_bibtex, to_csv, to_markdown
from papertui.importing import read_all as read_import_file
from papertui.library import (
    MAX_NOTE_BYTES,
    NoteError,
    TagError,
    check_note,
    lenient_tags,
    normalize_tag,
    parse_tags,
)
from papertui.models import SavedSearch, parse_items
from papertui.query import Has, Tag, Words, parse_query
from papertui.service import Service
from papertui.store import Store

HOSTILE_NOTE = (
    "Evil \x1b]52;c;QUFB\x07 \x1b[2J\x9b31m [b]bold[/b] [@click=app.quit]x[/] \u202eabc "
    "\x00nul\r\ncr {unbalanced \\ } } $x_1$ & % # ~ ^ @ <script>alert(1)</script>\n"
    "second line \u200b\ufeff zero-width"
)


@pytest.fixture
def filled(store):
    store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
    return store


def integrity(store: Store) -> None:
    """The full-text index agrees with the papers and notes it was built from."""
    store.conn.execute("INSERT INTO papers_fts (papers_fts, rank) VALUES ('integrity-check', 1)")
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def ids(store: Store, text: str, sort: str = "upvotes") -> list[str]:
    return [r.id for r in store.list_rows(parse_query(text), sort, limit=1000)]


# ---- the rules ----------------------------------------------------------------------------


def test_tag_names_are_trimmed_case_folded_and_checked():
    assert normalize_tag("  ML ") == "ml"
    assert normalize_tag("Straße") == "strasse"
    assert normalize_tag("c++") == "c++" and normalize_tag("ml/vision") == "ml/vision"
    assert normalize_tag("機械学習") == "機械学習"
    assert parse_tags("ML, rl  vision,,ml") == ["ml", "rl", "vision"]
    for bad, says in [
        ("a b", "no spaces"),
        ("-x", "starting with a letter"),
        ("", "empty"),
        ("x" * 65, "too long"),
        ("tag(1)", "a tag is one word"),
        ('"q"', "a tag is one word"),
        ("a:b", "a tag is one word"),
    ]:
        with pytest.raises(TagError, match=says):
            normalize_tag(bad)
    with pytest.raises(TagError, match="'tag\\(1\\)'.*'-x'"):
        parse_tags("ok tag(1) -x")


def test_tags_from_files_are_normalised_leniently():
    assert lenient_tags(["Machine Learning", "ML", "ml", "\u202eevil", "(x)", 3, "", "-y"]) == [
        "evil",
        "machine-learning",
        "ml",
        "x",
        "y",
    ]


def test_notes_are_kept_exactly_and_refused_only_when_they_cannot_be_stored():
    assert check_note(HOSTILE_NOTE) == HOSTILE_NOTE
    assert check_note("  \n\t ") is None and check_note(None) is None
    with pytest.raises(NoteError, match="not UTF-8"):
        check_note("bytes \udcff from argv")
    with pytest.raises(NoteError, match="too long"):
        check_note("x" * (MAX_NOTE_BYTES + 1))
    assert check_note("é" * (MAX_NOTE_BYTES // 2)) is not None  # 4 MiB of UTF-8 exactly


# ---- tags and notes in the cache ----------------------------------------------------------


def test_tags_change_together_and_are_counted(filled):
    a, b, c = ids(filled, "")[:3]
    assert filled.change_tags([a, b], add=["ml", "rl"]) == {a: ["ml", "rl"], b: ["ml", "rl"]}
    assert filled.change_tags([b, c], add=["vision"], remove=["rl"]) == {
        b: ["ml", "vision"],
        c: ["vision"],
    }
    assert filled.change_tags([a], replace=["z"]) == {a: ["z"]}
    filled.set_state([b], read=True)
    counts = {t.name: (t.papers, t.unread) for t in filled.tag_counts()}
    assert counts == {"ml": (1, 0), "vision": (2, 1), "z": (1, 1)}
    assert filled.tag_names() == ["ml", "vision", "z"]
    assert filled.rename_tag("vision", "ml") == 2  # merges: b had both
    assert filled.tags_of([b, c]) == {b: ["ml"], c: ["ml"]}
    assert filled.rename_tag("ml", None) == 2
    assert filled.tag_names() == ["z"]
    integrity(filled)


def test_a_note_is_stored_exactly_however_big_or_hostile(filled):
    a, b = ids(filled, "")[:2]
    big = ("# Big\n\n" + "Line with words, **Markdown** and `code`.\n" * 26_000)[: 2**20]
    assert len(big.encode()) == 2**20
    assert filled.set_note(a, big) and filled.set_note(b, HOSTILE_NOTE)
    assert not filled.set_note(b, HOSTILE_NOTE)  # unchanged
    with Store(filled.path) as other:  # another connection, as another process sees it
        assert other.note(a) == big
        assert other.note(b) == HOSTILE_NOTE
        assert other.paper(b).notes == HOSTILE_NOTE
    assert ids(filled, "note:zero") == [b] and ids(filled, "note:Markdown") == [a]
    filled.set_note(b, None)
    assert filled.note(b) is None and ids(filled, "note:zero") == []
    integrity(filled)


def test_the_query_language_finds_tags_and_notes(filled):
    papers = ids(filled, "")
    a, b, c = papers[:3]
    filled.change_tags([a, b], add=["ml"])
    filled.change_tags([c], add=["to-read"])
    filled.set_note(a, "Compare with the zyxwv baseline")
    filled.set_note(c, "")  # nothing but whitespace is no note
    assert parse_query("tag:ML") == Tag("ml") and parse_query("has:notes") == Has("note")
    assert parse_query("note:zyx") == Words(("zyx",), "notes", True)
    assert set(ids(filled, "tag:ml")) == {a, b}
    assert set(ids(filled, "-tag:ml")) == set(papers) - {a, b}
    assert set(ids(filled, "has:tag")) == {a, b, c}
    assert set(ids(filled, "-has:tag")) == set(papers) - {a, b, c}
    assert ids(filled, "has:note") == [a]
    assert ids(filled, "note:zyxwv") == [a] and ids(filled, "note:zyx") == [a]  # as typed
    assert ids(filled, "zyxwv") == [a]  # plain words look in notes too
    assert ids(filled, "tag:ml zyxwv") == [a] and ids(filled, "tag:to-read zyxwv") == []
    assert set(ids(filled, "tag:ml OR tag:to-read")) == {a, b, c}
    assert ids(filled, "zyxwv -baseline") == []  # an excluded word in the note leaves it out
    assert filled.count(parse_query("tag:ml")) == 2
    assert filled.counts(parse_query("has:tag")) == (3, 3)


def test_a_word_in_the_note_and_one_in_the_paper_find_it_together(filled):
    paper = filled.paper(ids(filled, "")[0])
    title_word = paper.title.split()[0]
    filled.set_note(paper.id, "qqqnoteword")
    assert paper.id in ids(filled, f"{title_word} qqqnoteword")
    assert ids(filled, f'"{title_word} qqqnoteword"') == []  # a phrase stays within one text
    # relevance: the note counts (weighted just under the title), so a paper moves up with it
    ranked = ids(filled, "retrieval", "relevance")
    last = ranked[-1]
    filled.set_note(last, "retrieval, retrieval: retrieval")
    assert ids(filled, "retrieval", "relevance").index(last) < len(ranked) - 1


def test_sync_never_touches_tags_or_notes_and_the_index_follows_text_changes(filled):
    a = ids(filled, "")[0]
    filled.change_tags([a], add=["ml"])
    filled.set_note(a, "my zyxwv note")
    items = day_08()
    for item in items:  # the day again, every title changed
        item["title"] = item["paper"]["title"] = "Renamed " + item["paper"]["title"]
    filled.upsert(parse_items(items).entries, day="2026-05-08", record_day=True)
    assert filled.tags_of([a])[a] == ["ml"] and filled.note(a) == "my zyxwv note"
    assert ids(filled, "zyxwv") == [a] and a in ids(filled, "renamed")
    integrity(filled)


def test_a_note_on_a_paper_not_cached_yet_is_found_once_it_arrives(store):
    store.set_note("2605.05242", "written before the paper came")  # e.g. restored from an export
    store.change_tags(["2605.05242"], add=["early"])
    assert ids(store, "note:written") == []
    store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
    assert ids(store, "note:written") == ["2605.05242"] == ids(store, "tag:early")
    integrity(store)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 9),
            st.sampled_from(["note", "clear", "tag", "untag", "resync"]),
            st.sampled_from(["alpha", "beta gamma", "alpha beta", "", "\x1b[2J delta"]),
        ),
        max_size=25,
    )
)
def test_any_order_of_changes_keeps_the_index_exact(tmp_path_factory, changes):
    """Whatever notes, tags and syncs come in whatever order, every search agrees with the
    notes and tags themselves, and the full-text index with its sources."""
    with Store(tmp_path_factory.mktemp("h") / "c.db") as store:
        store.upsert(parse_items(day_08()[:10]).entries, day="2026-05-08", record_day=True)
        papers = sorted(ids(store, ""))
        for index, what, text in changes:
            paper = papers[index]
            if what == "note":
                store.set_note(paper, text or None)
            elif what == "clear":
                store.set_note(paper, None)
            elif what == "tag":
                store.change_tags([paper], add=text.split() or ["x"])
            elif what == "untag":
                store.change_tags([paper], remove=text.split() or ["x"])
            else:
                store.upsert(parse_items(day_08()[:10]).entries, day="2026-05-08", record_day=True)
        notes = {p: store.note(p) or "" for p in papers}
        tags = store.tags_of(papers)
        for word in ("alpha", "beta", "gamma", "delta"):
            assert set(ids(store, f"note:{word}")) == {p for p in papers if word in notes[p]}
            assert set(ids(store, f"tag:{word}")) == {p for p in papers if word in tags[p]}
        assert set(ids(store, "has:note")) == {p for p in papers if notes[p]}
        integrity(store)


# ---- import: field by field, the newer change wins ----------------------------------------


def _record(item: dict, **user) -> dict:
    return {"raw": item, "day": "2026-05-08", "user": user}


def test_an_import_merges_each_field_by_its_own_time(tmp_path):
    item = day_08()[0]
    pid = item["paper"]["id"]
    db = tmp_path / "c.db"
    with Store(db) as store:
        store.upsert(parse_items([item]).entries, day="2026-05-08", record_day=True)
        store.set_note(pid, "local note")
        store.change_tags([pid], add=["local"])
        store.set_state([pid], read=True)
        store.conn.execute(
            "UPDATE user_state SET notes_updated_at = '2026-05-10T00:00:00+00:00', "
            "tags_updated_at = '2026-05-01T00:00:00+00:00', "
            "read_updated_at = '2026-05-10T00:00:00+00:00', "
            "bookmarked_updated_at = NULL, updated_at = '2026-05-10T00:00:00+00:00'"
        )
    imported = _record(
        item,
        read=False,
        read_updated_at="2026-05-05T00:00:00+00:00",  # older: the local read stays
        bookmarked=True,
        bookmarked_updated_at="2026-05-02T00:00:00+00:00",  # never set here: taken
        notes="imported note",
        notes_updated_at="2026-05-09T00:00:00+00:00",  # older: the local note stays
        tags=["imported", "Other Tag"],
        tags_updated_at="2026-05-08T00:00:00+00:00",  # newer: taken
        updated_at="2026-05-09T00:00:00+00:00",
    )
    path = tmp_path / "in.json"
    path.write_text(json.dumps({"papertui_export": 1, "papers": [imported]}))
    with Service(db) as service:
        service.import_file(path)
        paper = service.paper(pid)
        assert (paper.read, paper.bookmarked) == (True, True)
        assert paper.notes == "local note"
        assert paper.tags == ["imported", "other-tag"]
        assert service.store.count(parse_query("tag:other-tag")) == 1
        assert service.store.count(parse_query("tag:local")) == 0
        integrity(service.store)


def test_an_older_export_with_one_time_for_all_still_merges(tmp_path):
    item = day_08()[0]
    pid = item["paper"]["id"]
    path = tmp_path / "old.json"
    old_user = {
        "read": True,
        "notes": "old note",
        "tags": ["a"],
        "updated_at": "2026-05-01T00:00:00",
    }
    path.write_text(json.dumps({"papertui_export": 1, "papers": [_record(item, **old_user)]}))
    with Service(tmp_path / "c.db") as service:
        service.store.upsert(parse_items([item]).entries, day="2026-05-08", record_day=True)
        service.set_note(pid, "newer local note")
        service.import_file(path)
        paper = service.paper(pid)
        assert paper.read and paper.tags == ["a"] and paper.notes == "newer local note"


def test_json_round_trips_tags_notes_and_saved_searches(tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    with Service(first) as service:
        service.store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
        a, b = ids(service.store, "")[:2]
        service.change_tags([a, b], add=["ml"])
        service.set_note(a, HOSTILE_NOTE)
        service.set_note(b, "x" * 1_000_000)
        service.save_search(SavedSearch(name="ML unread", query="tag:ml", unread_only=True))
        exported = service.export("json")
        (tmp_path / "e.json").write_text(exported.text)
        assert "\x1b" not in exported.text and "\u202e" not in exported.text  # escaped
    with Service(second) as service:
        report = service.import_file(tmp_path / "e.json")
        assert report.saved_searches == 1
        assert service.note(a) == HOSTILE_NOTE and service.note(b) == "x" * 1_000_000
        assert service.saved_search("ml UNREAD").query == "tag:ml"
        again = service.export("json").text
    with Store(first) as one, Store(second) as two:
        assert one.user_states() == two.user_states()
    a_doc, b_doc = json.loads(exported.text), json.loads(again)
    a_doc.pop("exported_at"), b_doc.pop("exported_at")
    assert a_doc == b_doc


def test_saved_searches_merge_by_name_newer_wins(tmp_path):
    with Service(tmp_path / "c.db") as service:
        service.save_search(SavedSearch(name="Mine", query="agent"))
        service.save_search(SavedSearch(name="Keep", query="video"))
        doc = {
            "papertui_export": 1,
            "papers": [],
            "saved_searches": [
                {"name": "MINE", "query": "old", "updated_at": "2000-01-01T00:00:00+00:00"},
                {"name": "keep", "query": "newer", "updated_at": "2999-01-01T00:00:00+00:00"},
                {"name": "New one", "query": "tag:ml", "view": "week"},
                {"name": "", "query": "no name"},
            ],
        }
        (tmp_path / "s.json").write_text(json.dumps(doc))
        parsed = read_import_file(tmp_path / "s.json")
        assert len(parsed.saved) == 3 and parsed.skipped == 1
        service.store.merge_saved_searches(parsed.saved)
        got = {s.name: s.query for s in service.saved_searches()}
        assert got == {"Mine": "agent", "keep": "newer", "New one": "tag:ml"}


# ---- other exports ------------------------------------------------------------------------


def _bib(text: str):
    return bibtexparser.loads(text, BibTexParser(common_strings=True)).entries


def test_bibtex_carries_tags_as_keywords_and_the_note(filled):
    a, b = ids(filled, "")[:2]
    filled.change_tags([a], add=["ml", "c++", "r&d"])
    filled.set_note(a, HOSTILE_NOTE)
    papers = filled.papers(parse_query("has:tag"))
    text = to_bibtex(papers + [filled.paper(b)])
    assert text.count("{") == text.count("}")
    entries = {e["eprint"]: e for e in _bib(text)}
    assert entries[a]["keywords"] == r"c++, ml, r\&d"
    assert "[b]bold[/b]" in entries[a]["note"] and "\x1b" not in entries[a]["note"]
    assert "keywords" not in entries[b] and "note" not in entries[b]


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.lists(st.sampled_from(["ml", "c++", "a&b", "x#1"]), max_size=3))
def test_any_note_gives_balanced_parseable_bibtex(note, tags):
    from papertui.models import StoredPaper

    paper = StoredPaper(id="2605.05242", title="T", notes=note or None, tags=tags)
    text = to_bibtex([paper, StoredPaper(id="2605.00001", title="U")])
    assert text.count("{") == text.count("}")
    assert len(_bib(text)) == 2


def test_markdown_puts_the_note_under_its_paper_and_csv_has_columns(filled):
    a = ids(filled, "")[0]
    filled.change_tags([a], add=["ml"])
    filled.set_note(a, "First *line*\n\n- a point \x1b[31m\nlast")
    papers = filled.papers(parse_query("has:note"))
    md = to_markdown(papers)
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("- ["))
    assert lines[start + 1 : start + 8] == [
        "  Tags: `ml`",
        "",
        "  > First *line*",
        "  >",
        "  > - a point",
        "  > last",
        "",
    ]
    assert "\x1b" not in md
    csv_text = to_csv(papers)
    assert csv_text.splitlines()[0].endswith(",tags,note")
    assert "ml" in csv_text and "First *line*" in csv_text


def test_export_of_one_tag(tmp_path):
    with Service(tmp_path / "c.db") as service:
        service.store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
        a, b = ids(service.store, "")[:2]
        service.change_tags([a], add=["ml"])
        service.save_search(SavedSearch(name="x", query="agent"))
        only = json.loads(service.export("json", tag="ML").text)
        assert [p["id"] for p in only["papers"]] == [a]
        assert "saved_searches" not in only  # a part of the papers, not a backup
        assert "saved_searches" in json.loads(service.export("json").text)
        assert service.export("bibtex", tag="nothing-tagged").count == 0
        with pytest.raises(TagError):
            service.export("json", tag="not a tag")


# ---- upgrades -----------------------------------------------------------------------------


def test_a_schema_1_cache_with_old_notes_and_tags_upgrades_and_finds_them(tmp_path):
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    con = sqlite3.connect(db)
    con.execute(
        "UPDATE user_state SET notes = 'an old note about zyxwv', "
        "tags = '[\"Old Tag\", \"ML\", 7]' WHERE paper_id = '2605.05242'"
    )
    con.execute(
        "UPDATE user_state SET notes = '   ', tags = 'not json' WHERE paper_id = '2605.06548'"
    )
    con.commit()
    con.close()
    with Store(db) as store:
        assert store.count() == 37
        states = store.user_states()
        assert states["2605.05242"].read and states["2605.05242"].bookmarked
        assert states["2605.05242"].tags == ["ml", "old-tag"]
        assert states["2605.05242"].notes_updated_at == states["2605.05242"].updated_at
        assert states["2605.06548"].notes is None and states["2605.06548"].tags == []
        assert ids(store, "zyxwv") == ["2605.05242"] == ids(store, "tag:old-tag")
        assert ids(store, "has:note") == ["2605.05242"]
        assert store.count(parse_query("retrieval")) > 0
        integrity(store)


def test_the_library_migration_keeps_every_other_row(tmp_path):
    """m005 rebuilds the text index and adds columns; papers, days and state are all kept."""
    db = tmp_path / "old.db"
    shutil.copy(FIXTURES / "cache-schema-1.db", db)
    con = sqlite3.connect(db)
    before = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("papers", "day_papers", "days", "user_state")
    }
    con.close()
    with Store(db) as store:
        for table, count in before.items():
            assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == count
        store.upsert(
            parse_items(latest_by_day()["2026-05-15"]).entries, day="2026-05-15", record_day=True
        )
        integrity(store)


def test_the_bench_and_service_agree_on_relevance_windows_with_notes(tmp_path):
    """The fast first windows of relevance (the index's best) equal the full ranking with notes
    in the index (a note's words rank like the paper's own)."""
    from papertui.store.search import compile_query, ordered

    with Store(tmp_path / "c.db") as store:
        store.upsert(parse_items(day_08()).entries, day="2026-05-08", record_day=True)
        for index, paper in enumerate(ids(store, "")[::3]):
            store.set_note(paper, "retrieval agent " * (index % 4))
        where = compile_query(parse_query("retrieval agent"))
        rows_of = ordered(where, "relevance")
        full = [
            r[0]
            for r in store.conn.execute(
                f"SELECT p.id FROM {rows_of.source} WHERE {rows_of.where} ORDER BY {rows_of.order}",
                rows_of.params,
            )
        ]
        assert ids(store, "retrieval agent", "relevance") == full


def test_every_key_of_the_table_is_in_the_readme_and_the_help():
    """The library's keys are in the one table: README names every binding id and the `?`
    help shows every action, popups' keys included."""
    import re

    from papertui.ui.actions import ACTIONS, key_help

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    listed = set(
        re.findall(
            r"`((?:app|list|detail|search|note|tags|saved|reading|find|calendar)\.[a-z_]+)`", readme
        )
    )
    assert {a.id for a in ACTIONS} == listed
    helped = {text for _, text in key_help(lambda action_id: "k")}
    assert {a.help for a in ACTIONS} <= helped
    for key in ("t", "e", "T", "S", "L"):
        assert f"| `{key}` |" in readme


def test_the_fast_first_windows_stay_exact_when_a_tie_straddles_their_cut(tmp_path, monkeypatch):
    """Sixty papers scoring exactly alike: the fast plan fetches the whole tie and lets the
    tie-breaks (day, upvotes, id) order it, as ranking every match does."""
    from papertui.store import cache

    template = day_08()[0]
    items = []
    for n in range(60):
        item = json.loads(json.dumps(template))
        item["paper"].update(id=f"2605.{n:05d}", upvotes=n % 7, title="Zeta paper", summary="x")
        item.update(title="Zeta paper", summary="x")
        items.append(item)
    with Store(tmp_path / "c.db") as store:
        for day in range(3):
            chunk = items[day * 20 : (day + 1) * 20]
            store.upsert(parse_items(chunk).entries, day=f"2026-05-0{day + 1}", record_day=True)
        where = parse_query("zeta")
        scores = {
            s
            for (s,) in store.conn.execute(
                "SELECT bm25(papers_fts) FROM papers_fts WHERE papers_fts MATCH 'zeta'"
            )
        }
        assert len(scores) == 1  # one tie, straddling every cut
        fast = [[r.id for r in store.list_rows(where, "relevance", 7, s)] for s in (0, 7, 50)]
        monkeypatch.setattr(cache, "RANKED_WINDOWS", False)  # every match ranked in SQL
        assert fast == [
            [r.id for r in store.list_rows(where, "relevance", 7, s)] for s in (0, 7, 50)
        ]
        assert fast[0] and fast[2]


def test_bad_tags_are_named_together_with_the_rule_said_once():
    from papertui.library import TAG_RULE, TagError, parse_tags

    with pytest.raises(TagError) as caught:
        parse_tags('agents Foo,BAR [red]x[/] "two words"')
    message = str(caught.value)
    assert message == f"bad tags '[red]x[/]', '\"two', 'words\"': {TAG_RULE}"
    assert message.count(TAG_RULE) == 1
