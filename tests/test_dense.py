"""Dense first windows (`store/dense.py`): words most papers hold are checked paper by paper along
the sort order in a small FTS5 table of the connection's own, instead of listing every match.
The property test in test_ranking.py compares every window with the plain statement; these
check that the path is really taken when it should be, and given up when it should not."""

import pytest
from test_ranking import item

from papertui.models import parse_items
from papertui.query import parse_query
from papertui.store import Store, cache, dense
from papertui.store.dense import DenseWindows


@pytest.fixture
def checked(monkeypatch):
    """Every batch the dense path checks, as (papers, matches)."""
    seen = []
    original = DenseWindows._matching

    def spy(self, pks, expression):
        found = original(self, pks, expression)
        seen.append((len(pks), len(found)))
        return found

    monkeypatch.setattr(DenseWindows, "_matching", spy)
    monkeypatch.setattr(dense, "worth_sampling", lambda need, papers: True)  # small caches too
    return seen


@pytest.fixture
def store(tmp_path):
    """60 papers, upvotes 60 down to 1: the first 40 say "model" (one in its abstract with an
    accent, one only in a note), the last 20 "zephyr"."""
    items = []
    for n in range(60):
        word = "zephyr" if n >= 40 else "model"
        kwargs = {"title": f"A {word} study"}
        if n == 3:
            kwargs = {"title": "A study", "abstract": "We train a modél of flows, at length."}
        if n == 5:
            kwargs = {"title": "A study"}
        items.append(item(f"2601.{n:05d}", upvotes=60 - n, authors=(f"Author {n}",), **kwargs))
    with Store(tmp_path / "d.db") as opened:
        opened.upsert(parse_items(items).entries, day="2026-01-05", record_day=True)
        opened.set_note("2601.00005", "a model of note")
        yield opened


def _ids(rows):
    return [r.id for r in rows]


def test_dense_words_are_found_along_the_sort_order(store, checked, monkeypatch):
    monkeypatch.setattr(dense, "LIST_US", 1e6)  # listing is "dear": the dense path is worth it
    monkeypatch.setattr(dense, "SAMPLE", 8)
    rows = store.list_rows(parse_query("model"), "upvotes", limit=10)
    assert _ids(rows) == [f"2601.{n:05d}" for n in range(10)]  # the accent and the note match
    assert checked and sum(n for n, _ in checked) < 40  # only the papers it needed


def test_a_window_past_the_last_match_is_complete(store, checked, monkeypatch):
    monkeypatch.setattr(dense, "LIST_US", 1e6)
    rows = store.list_rows(parse_query("model -author:3"), "upvotes", limit=50, offset=30)
    assert _ids(rows) == [f"2601.{n:05d}" for n in range(31, 40)]
    assert sum(n for n, _ in checked) == 60  # every paper checked: nothing more to find


def test_sparse_words_give_up_after_the_sample(store, checked, monkeypatch):
    monkeypatch.setattr(dense, "LIST_US", 0.25)
    monkeypatch.setattr(dense, "SAMPLE", 8)
    rows = store.list_rows(parse_query("zephyr"), "upvotes", limit=5)
    assert _ids(rows) == [f"2601.{n:05d}" for n in range(40, 45)]  # from the usual statement
    assert checked == [(8, 0)]  # the sample found none: given up at once


def test_words_that_thin_out_after_the_sample_are_given_up(store, checked, monkeypatch):
    monkeypatch.setattr(dense, "LIST_US", 1e3)
    monkeypatch.setattr(dense, "SAMPLE", 20)
    monkeypatch.setattr(dense, "MAX_BATCH", 5)
    rows = store.list_rows(parse_query("model OR zephyr"), "upvotes", limit=5)
    assert len(rows) == 5 and checked  # a dense word: a sample was enough
    checked.clear()
    rows = store.list_rows(parse_query("model"), "date", limit=45)  # only 40 papers have it
    assert len(rows) == 40
    # 20 in the sample, all matching: 45 expected within ~50 papers; at 2 x 45 it stops
    assert sum(n for n, _ in checked) <= 2 * 45 + 5


def test_small_caches_are_never_sampled(store, monkeypatch):
    calls = []
    monkeypatch.setattr(DenseWindows, "_matching", lambda *a: calls.append(a) or [])
    store.list_rows(parse_query("model"), "upvotes", limit=10)
    assert not calls  # 60 papers: listing every match is always cheaper


def test_relevance_and_rising_never_take_the_dense_path(store, checked, monkeypatch):
    monkeypatch.setattr(dense, "LIST_US", 1e6)
    store.list_rows(parse_query("model"), "relevance", limit=10)
    store.list_rows(parse_query("model"), "rising", limit=10)
    store.list_rows(parse_query("is:unread"), "upvotes", limit=10)  # no words
    assert checked == []


def test_an_index_with_an_unknown_tokenizer_is_left_alone(store, checked, monkeypatch):
    monkeypatch.setattr(dense, "LIST_US", 1e6)
    monkeypatch.setattr(dense, "_TOKENIZE", dense.re.compile("no such thing"))
    store._dense._probe = None
    assert len(store.list_rows(parse_query("model"), "upvotes", limit=10)) == 10
    assert checked == []


def test_relevance_with_ranked_windows_off_is_still_ranked_by_bm25(tmp_path, monkeypatch):
    """`RANKED_WINDOWS = False` is the switch the tests use to get "every match ranked in SQL"
    (test_ranking, test_library): with it off, relevance must still be bm25's order, never
    the dense path's walk along the newest day."""
    with Store(tmp_path / "r.db") as store:
        items = [
            item("2601.00001", title="A zephyr zephyr zephyr", upvotes=1),  # the best match
            item("2601.00002", abstract="We study zephyr at length, and more.", upvotes=90),
        ]
        store.upsert(parse_items(items).entries, day="2026-01-05", record_day=True)
        monkeypatch.setattr(cache, "RANKED_WINDOWS", False)
        monkeypatch.setattr(dense, "worth_sampling", lambda need, papers: True)
        monkeypatch.setattr(dense, "LIST_US", 1e9)
        where = parse_query("zephyr")
        with_dense = [r.id for r in store.list_rows(where, "relevance", limit=10)]
        monkeypatch.setattr(cache, "DENSE_WINDOWS", False)
        plain = [r.id for r in store.list_rows(where, "relevance", limit=10)]
        assert plain == ["2601.00001", "2601.00002"]  # bm25: the title counts most
        assert with_dense == plain


@pytest.mark.parametrize("sort", ["relevance", "upvotes", "date", "title", "rising"])
@pytest.mark.parametrize("text", ["model", "zephyr", ""])
def test_a_papers_position_is_its_place_in_the_list(store, checked, monkeypatch, sort, text):
    """`Store.position` (where the cursor's paper went after a sort change) reads the ids alone,
    through the same paths as the list's rows: the dense one forced here where it applies."""
    monkeypatch.setattr(dense, "LIST_US", 1e6)
    monkeypatch.setattr(dense, "SAMPLE", 8)
    query = parse_query(text)
    listed = _ids(store.list_rows(query, sort, limit=100))
    assert listed
    for index, paper_id in enumerate(listed):
        assert store.position(query, sort, paper_id, limit=30) == (index if index < 30 else None)
    outside = {f"2601.{n:05d}" for n in range(60)} - set(listed)
    assert all(store.position(query, sort, p) is None for p in outside)
    if text and sort != "relevance" and sort != "rising":
        assert checked  # the dense path served it
