"""Relevance: bm25 over the full-text index, with the title counting most, then the AI keywords
and summary, then the abstract, then the authors, the organization least; ties by the most
recent day, then upvotes, then id (so windows of the list page stably)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papertui.models import parse_items
from papertui.query import parse_query
from papertui.store import Store, compile_query
from papertui.store.texts import prepare_text

FILLER = "We study a method for learning representations from data at scale."


def item(
    paper_id,
    *,
    title="A study",
    abstract=FILLER,
    authors=("Ada Lovelace",),
    keywords=(),
    ai_summary=None,
    org=None,
    upvotes=1,
):
    paper = {
        "id": paper_id,
        "title": title,
        "summary": abstract,
        "authors": [{"name": a} for a in authors],
        "upvotes": upvotes,
        "ai_keywords": list(keywords),
        "ai_summary": ai_summary,
    }
    entry = {"paper": paper, "title": title, "summary": abstract}
    if org:
        entry["organization"] = {"name": org.lower(), "fullname": org}
    return entry


# Each paper has the word "zephyr" in one place only, its other text the same length.
PLACES = [
    ("2601.00005", dict(org="Zephyr Labs")),
    ("2601.00004", dict(authors=("Zephyr Ada",))),
    ("2601.00003", dict(abstract=FILLER.replace("data", "zephyr"))),
    ("2601.00002", dict(keywords=("zephyr",))),
    ("2601.00001", dict(title="A zephyr")),
]


@pytest.fixture
def ranked(tmp_path):
    with Store(tmp_path / "r.db") as store:
        items = [item(pid, upvotes=100, **kw) for pid, kw in PLACES]  # most upvotes: no help
        items.append(item("2601.00009", title="Nothing here"))
        store.upsert(parse_items(items).entries, day="2026-01-05", record_day=True)
        yield store


def ids(rows):
    return [r.id for r in rows]


def test_relevance_ranks_title_over_keywords_over_abstract_over_authors_over_org(ranked):
    where = parse_query("zephyr")
    expected = ["2601.00001", "2601.00002", "2601.00003", "2601.00004", "2601.00005"]
    assert ids(ranked.list_rows(where, "relevance")) == expected
    assert ids(ranked.papers(where, "relevance")) == expected
    # the other orders are not this one: the test is not vacuous
    assert ids(ranked.list_rows(where, "upvotes")) != expected


def test_ai_summary_counts_like_keywords_above_the_abstract(tmp_path):
    with Store(tmp_path / "s.db") as store:
        items = [
            item("2601.00011", abstract=FILLER.replace("data", "zephyr"), upvotes=50),
            item("2601.00012", ai_summary="A zephyr.", upvotes=1),
        ]
        store.upsert(parse_items(items).entries, day="2026-01-05", record_day=True)
        assert ids(store.list_rows(parse_query("zephyr"), "relevance")) == [
            "2601.00012",
            "2601.00011",
        ]


def test_relevance_ties_go_to_the_recent_day_then_upvotes_then_id(tmp_path):
    with Store(tmp_path / "t.db") as store:
        same = dict(title="A zephyr")
        older = [item("2601.00021", upvotes=90, **same)]
        newer = [
            item("2601.00022", upvotes=5, **same),
            item("2601.00023", upvotes=7, **same),
            item("2601.00024", upvotes=7, **same),
        ]
        store.upsert(parse_items(older).entries, day="2026-01-04", record_day=True)
        store.upsert(parse_items(newer).entries, day="2026-01-05", record_day=True)
        assert ids(store.list_rows(parse_query("zephyr"), "relevance")) == [
            "2601.00024",
            "2601.00023",
            "2601.00022",
            "2601.00021",
        ]


def test_relevance_with_filters_and_or_keeps_the_order(ranked):
    ranked.set_state(["2601.00002"], read=True)
    assert ids(ranked.list_rows(parse_query("zephyr is:unread"), "relevance")) == [
        "2601.00001",
        "2601.00003",
        "2601.00004",
        "2601.00005",
    ]
    where = parse_query("(zephyr OR quux) -author:zephyr")
    assert ids(ranked.list_rows(where, "relevance")) == [
        "2601.00001",
        "2601.00002",
        "2601.00003",
        "2601.00005",
    ]


def test_relevance_without_words_is_newest_then_upvotes(ranked):
    assert ids(ranked.list_rows(parse_query("is:unread"), "relevance")) == ids(
        ranked.list_rows(parse_query("is:unread"), "date")
    )


def test_relevance_windows_page_stably(tmp_path):
    """Many exact ties: LIMIT/OFFSET windows put together are the whole list, each paper once."""
    with Store(tmp_path / "p.db") as store:
        for day in range(1, 6):
            items = [
                item(
                    f"2601.{day:02d}{i:03d}", title="A zephyr" if i % 3 else "zephyr", upvotes=i % 4
                )
                for i in range(40)
            ]
            store.upsert(parse_items(items).entries, day=f"2026-01-{day:02d}", record_day=True)
        where = parse_query("zephyr")
        whole = ids(store.list_rows(where, "relevance", limit=1000))
        windows = [
            r for start in range(0, 200, 7) for r in store.list_rows(where, "relevance", 7, start)
        ]
        assert len(whole) == 200 and ids(windows) == whole


def test_unknown_sort_is_a_store_error(ranked):
    from papertui.errors import StoreError

    with pytest.raises(StoreError, match="unknown sort"):
        ranked.list_rows(parse_query("zephyr"), "best")


def test_cli_search_sorts_by_relevance_when_there_are_words(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from papertui.cli import cli

    db = tmp_path / "c.db"
    with Store(db) as store:
        items = [item(pid, upvotes=100 - n, **kw) for n, (pid, kw) in enumerate(PLACES)]
        store.upsert(parse_items(items).entries, day="2026-01-05", record_day=True)
    monkeypatch.setenv("PAPERTUI_DB", str(db))
    runner = CliRunner()

    def search(*args):
        result = runner.invoke(cli, ["--offline", "search", "--json", *args])
        assert result.exit_code == 0, result.output
        return [r["id"] for r in json.loads(result.stdout)]

    best_first = ["2601.00001", "2601.00002", "2601.00003", "2601.00004", "2601.00005"]
    assert search("zephyr") == best_first  # the default with words
    assert search("--sort", "relevance", "zephyr") == best_first
    assert search("--sort", "upvotes", "zephyr") == best_first[::-1]
    assert search("--sort", "relevance") == best_first[::-1]  # no words: newest, then upvotes
    assert search() == best_first[::-1]  # no words: most upvoted by default


@pytest.mark.parametrize(
    "text", ["diffusion", "model", "agentic search", "(video OR image) -survey"]
)
def test_the_fast_first_windows_match_ranking_every_match(demo_db_path, monkeypatch, text):
    from papertui.store import cache

    with Store(demo_db_path) as store:
        where = parse_query(text)
        fast = [ids(store.list_rows(where, "relevance", 10, start)) for start in (0, 10, 20)]
        first = ids(store.papers(where, "relevance", limit=25))
        monkeypatch.setattr(cache, "RANKED_WINDOWS", False)  # every match ranked in SQL
        assert fast == [ids(store.list_rows(where, "relevance", 10, s)) for s in (0, 10, 20)]
        assert first == ids(store.papers(where, "relevance", limit=25)) and first


# ---- the relevance windows against the plain statement of the order -----------------------
#
# The store reads relevance windows through `store/ranking.py` (the index's best by score, a
# condition evaluated on ranked papers a chunk at a time, the tie-breaks applied around the
# window, rankings kept between calls). Whatever it keeps and however deep the window, it must
# give the rows ranking every match in SQL gives (`ordered`), window for window, and the same
# totals. A small vocabulary makes many papers score exactly alike, so ties straddle windows.

VOCAB = ["zephyr", "zebra", "model", "models", "modeling", "flow", "diffusion", "agent", "video"]
ABSTRACTS = [
    FILLER,
    "A zephyr model of flow. " + FILLER,
    "Diffusion models and agents for video. Diffusion again.",
    "We train a model. The model is a model of models.",
    "Nothing to see.",
]
NAMES = ["Ada Lovelace", "Bob Zephyr", "Chen Flow", "Dana Model"]
DAYS = [f"2026-01-{d:02d}" for d in range(1, 9)]


def _corpus(rng):
    """240 papers of 30 kinds: papers of a kind have the same text, so score exactly alike."""
    kinds = [
        dict(
            title=" ".join(
                rng.choice(VOCAB[:4] + ["a", "study"]) for _ in range(rng.randint(1, 4))
            ),
            abstract=rng.choice(ABSTRACTS),
            authors=tuple(rng.sample(NAMES, rng.randint(1, 2))),
            keywords=tuple(rng.sample(VOCAB, rng.choice([0, 0, 1, 2]))),
            ai_summary=rng.choice([None, None, "A zephyr flow.", "Video agents."]),
            org=rng.choice([None, "Zephyr Labs", "Flow Inc"]),
        )
        for _ in range(30)
    ]
    by_day = {}
    for n in range(240):
        entry = item(f"2601.{n:05d}", upvotes=rng.randint(0, 3), **rng.choice(kinds))
        by_day.setdefault(rng.choice(DAYS), []).append(entry)
    return by_day


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    import random

    rng = random.Random(11)
    path = tmp_path_factory.mktemp("corpus") / "c.db"
    with Store(path) as store:
        for day, items in sorted(_corpus(rng).items()):
            store.upsert(parse_items(items).entries, day=day, record_day=True)
        every = [r.id for r in store.list_rows(limit=1000)]
        store.set_state(rng.sample(every, 80), read=True)
        with store._write() as conn:  # the state of papers the cache does not have (imported)
            for n, read in ((1, 1), (2, 0), (3, 1)):
                conn.execute(
                    "INSERT INTO user_state (paper_id, read, updated_at) VALUES (?, ?, '2026')",
                    (f"2699.0000{n}", read),
                )
        store.set_state(rng.sample(every, 25), bookmarked=True)
        for paper_id in rng.sample(every, 40):  # full texts, for text: and has:text
            words = " ".join(rng.choices(VOCAB, k=12))
            store.put_full_text(prepare_text(paper_id, words, fallback=False, etag=None))
        yield store


_WORD = st.sampled_from(VOCAB + ["zep", "mod", "vid", "ze", "a", "nothing"])
_FILTER = st.sampled_from(
    [
        "is:unread",
        "is:read",
        "is:bookmarked",
        "-is:read",
        "date:2026-01-02..2026-01-05",
        "date:2026-01-03",
        "upvotes:>1",
        "upvotes:0..1",
        "-upvotes:>2",
        "author:ada",
        "author:zephyr",
        "-author:bob",
        "title:flow",
        "org:zephyr",
        "has:text",
        "text:flow",
        "-text:zephyr",
    ]
)
_TERM = st.one_of(
    _WORD,
    _WORD.map(lambda w: "-" + w),
    st.tuples(_WORD, _WORD).map(lambda t: f"({t[0]} OR {t[1]})"),
    st.tuples(_WORD, _WORD).map(lambda t: f'"{t[0]} {t[1]}"'),
    _FILTER,
    st.tuples(_WORD, _FILTER).map(lambda t: f"({t[0]} OR {t[1]})"),
    st.tuples(_WORD, _FILTER).map(lambda t: f"-({t[0]} OR {t[1]})"),
)
QUERY_TEXT = st.lists(_TERM, min_size=1, max_size=4).map(" ".join)
# The thresholds as shipped (a 240-paper cache fits in the first pass), and tiny ones so that the
# first pass is cut short, conditions are walked chunk by chunk and deep windows rank everything.
THRESHOLDS = [{}, {"TOP_AT_LEAST": 3, "FIRST_WINDOWS": 40, "CHUNK": 4, "KEEP": 2}]


def _windows(store, where, sort):
    """What the reader and the CLI ask for, as they ask it: the total and the first block, the
    blocks further down, the last block (a jump to the end), windows counted back from the end
    (previous unread), the first N papers (`papertui search`)."""
    total = store.count(where)
    got = [("total", total)]
    for block in (7, 50, 200):
        got.append((block, ids(store.list_rows(where, sort, limit=block))))
        starts = list(range(block, total + block, block))[:8]
        starts += [max(0, total - block), max(0, total - block // 2)]
        got += [((block, s), ids(store.list_rows(where, sort, block, s))) for s in starts]
    for end in range(total - 1, -1, -13)[:8]:
        offset = max(0, end - 12)
        got.append((("back", end), ids(store.list_rows(where, sort, end - offset + 1, offset))))
    got.append(("papers", ids(store.papers(where, sort, limit=25))))
    got.append(("count again", store.count(where)))  # now possibly from what the windows kept
    return got


def _drawn(text: str, unread_only: bool):
    """The query a drawn text makes (with `is:unread` added), or None when it makes none."""
    from papertui.errors import QueryError
    from papertui.query import Is, all_of

    try:
        where = parse_query(text)
    except QueryError:
        return None
    return all_of(where, Is("unread")) if unread_only else where


@pytest.mark.parametrize("thresholds", THRESHOLDS, ids=["shipped", "tiny"])
@settings(max_examples=80, deadline=None)
@given(text=QUERY_TEXT, unread_only=st.booleans(), primed=st.sampled_from([None, 7, 60]))
def test_relevance_windows_are_the_plain_order_for_any_query(
    corpus, thresholds, text, unread_only, primed
):
    """`primed`: the words alone were ranked before (that deep), as when `is:unread` is toggled
    on a search, so a condition besides them is walked on that ranking."""
    from papertui.store import cache, ranking

    where = _drawn(text, unread_only)
    if where is None:
        return
    with pytest.MonkeyPatch.context() as patch:
        for name, value in thresholds.items():
            patch.setattr(ranking, name, value)
        corpus.forget_rankings()
        words = compile_query(where).rank
        if primed and words:
            with corpus._lock:
                corpus._ranker.ranking(words, primed)
        fast = _windows(corpus, where, "relevance")
        again = _windows(corpus, where, "relevance")  # from what the first pass kept
        patch.setattr(cache, "RANKED_WINDOWS", False)
        plain = _windows(corpus, where, "relevance")
    assert fast == plain, text
    assert again == plain, text


@settings(max_examples=120, deadline=None)
@given(text=QUERY_TEXT, unread_only=st.booleans())
def test_counts_are_the_plain_count_for_any_query(corpus, text, unread_only):
    """The totals and unread totals, however they are taken (from the index alone, from the index
    and the read papers' set for words with `is:unread`, from a kept ranking), are what one
    statement over every paper and its state counts."""
    where = _drawn(text, unread_only)
    if where is None:
        return
    compiled = compile_query(where)
    plain = corpus.conn.execute(
        "SELECT count(*), COALESCE(sum(COALESCE(u.read, 0) = 0), 0) FROM papers p "
        f"LEFT JOIN user_state u ON u.paper_id = p.id WHERE {compiled.sql}",
        compiled.params,
    ).fetchone()
    corpus.forget_rankings()
    assert corpus.count(where) == plain[0], text
    assert corpus.counts(where) == tuple(plain), text
    corpus.list_rows(where, "relevance", limit=300)  # a complete ranking, kept: counted from it
    assert corpus.count(where) == plain[0], text


def test_the_corpus_has_the_ties_the_windows_must_survive(corpus):
    """The property above is only as good as its cache: scores tie across window edges, and
    the fast path does take its short cuts (a first pass cut short, a condition walked)."""
    from papertui.store import ranking

    where = parse_query("zephyr")
    best = corpus.conn.execute(ranking.TOP_RANKED, (compile_query(where).rank, 1000)).fetchall()
    scores = [s for s, _ in best]
    assert len(scores) > 60 and len(set(scores)) < len(scores) / 3  # many exact ties
    for text in (
        "zephyr has:text",
        "zephyr text:flow",
        "zephyr is:bookmarked",
        "zephyr upvotes:>2",
    ):
        assert 0 < corpus.count(parse_query(text)) < len(scores), text  # conditions that filter
    ranker = corpus._ranker
    ranker.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ranking, "TOP_AT_LEAST", 3)
        corpus.list_rows(where, "relevance", limit=5)
        (state, first), *_ = ranker._rankings.values()
        assert first.bound != float("inf") and first.certain >= 5  # cut short, yet exact


def _plain(store, where, **window):
    from papertui.store import cache

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cache, "RANKED_WINDOWS", False)
        return ids(store.list_rows(where, "relevance", **window)), store.count(where)


def test_kept_rankings_follow_writes_from_any_connection(tmp_path, monkeypatch):
    """What the relevance windows keep is dropped when it may be out of date: rankings when the
    full-text index changes (a sync, on its own connection); filtered rankings on any write at
    all (a paper marked read on the reader's other connection, or on this one). Marking papers
    read leaves the index, and so the rankings, alone."""
    from papertui.store import ranking

    monkeypatch.setattr(ranking, "FIRST_WINDOWS", 5)  # the windows below are "deep": all kept
    db = tmp_path / "w.db"
    with Store(db) as reader, Store(db) as writer:
        items = [item(f"2601.{n:05d}", title="A zephyr", upvotes=n % 3) for n in range(30)]
        writer.upsert(parse_items(items).entries, day="2026-01-05", record_day=True)
        words, unread = parse_query("zephyr"), parse_query("zephyr is:unread")
        deep = dict(limit=10, offset=25)  # beyond the first pass: a complete ranking is kept

        def current(where):
            got = ids(reader.list_rows(where, "relevance", **deep)), reader.count(where)
            assert got == _plain(reader, where, **deep)
            return got

        def kept():
            return reader._ranker.ranking(compile_query(words).rank, None)

        current(words), current(unread)
        new = [item("2601.00099", title="Zephyr zephyr", upvotes=0)]  # the best match now
        writer.upsert(parse_items(new).entries, day="2026-01-06", record_day=True)
        assert ids(reader.list_rows(words, "relevance", limit=1)) == ["2601.00099"]
        assert current(words)[1] == 31

        before = kept()
        assert current(unread)[1] == 31  # a filtered ranking kept
        writer.set_state(["2601.00003", "2601.00004"], read=True)  # the other connection
        assert current(unread)[1] == 29
        reader.set_state(["2601.00005"], read=True)  # this one
        assert current(unread)[1] == 28
        assert kept() is before

        # New upvotes (a re-sync) reorder papers of equal score: read afresh, never kept.
        moved = [item("2601.00001", title="A zephyr", upvotes=50)]
        writer.upsert(parse_items(moved).entries, day="2026-01-05", record_day=True)
        assert ids(reader.list_rows(words, "relevance", limit=2))[1] == "2601.00001"
        current(words), current(unread)


# ---- dense first windows against the plain statement ----------------------------------------
#
# `store/dense.py` checks papers along the sort order in a small FTS5 table of their own, when
# that is cheaper than listing every match (a million papers). Here it is made to run whatever
# the cache's size, with batches of a few papers, so that samples, later batches, a density
# that falls away and windows past the last match all happen; every window must be the plain
# statement's.

DENSE_THRESHOLDS = [
    {"LIST_US": 1e9, "SAMPLE": 64, "MAX_BATCH": 500},
    {"LIST_US": 1e9, "SAMPLE": 3, "MAX_BATCH": 5},
    {"LIST_US": 0.02, "SAMPLE": 2, "MAX_BATCH": 4},  # gives up on all but the densest words
]


def _sorted_windows(store, where, sort):
    got = []
    for block, starts in ((7, (0, 7, 14, 63)), (50, (0, 50, 200)), (200, (0,))):
        got += [((block, s), ids(store.list_rows(where, sort, block, s))) for s in starts]
    got.append(("papers", ids(store.papers(where, sort, limit=25))))
    return got


@pytest.mark.parametrize("thresholds", DENSE_THRESHOLDS, ids=["sampled", "tiny", "thrifty"])
@settings(max_examples=60, deadline=None)
@given(
    text=QUERY_TEXT,
    unread_only=st.booleans(),
    sort=st.sampled_from(["upvotes", "date", "title"]),
)
def test_dense_windows_are_the_plain_order_for_any_query(
    corpus, thresholds, text, unread_only, sort
):
    from papertui.store import cache, dense

    where = _drawn(text, unread_only)
    if where is None:
        return
    with pytest.MonkeyPatch.context() as patch:
        for name, value in thresholds.items():
            patch.setattr(dense, name, value)
        patch.setattr(dense, "worth_sampling", lambda need, papers: True)  # whatever the size
        checked = _sorted_windows(corpus, where, sort)
        patch.setattr(cache, "DENSE_WINDOWS", False)
        plain = _sorted_windows(corpus, where, sort)
    assert checked == plain, text


@pytest.mark.parametrize(
    "text",
    [
        "model",
        "mod is:unread",
        "zep -author:bob",
        "(model OR video) date:2026-01-02..2026-01-05",
        '"diffusion models"',
        "title:models -is:read",
        "diffusion OR zebra",
    ],
)
@pytest.mark.parametrize("sort", ["upvotes", "date", "title"])
def test_dense_windows_are_taken_and_exact(corpus, text, sort):
    from papertui.store import cache, dense

    where = parse_query(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dense, "worth_sampling", lambda need, papers: True)
        patch.setattr(dense, "LIST_US", 1e9)
        patch.setattr(dense, "SAMPLE", 30)
        patch.setattr(dense, "MAX_BATCH", 5)
        with corpus._lock:
            taken = corpus._dense.window(compile_query(where), sort, 0, 7)
        checked = _sorted_windows(corpus, where, sort)
        patch.setattr(cache, "DENSE_WINDOWS", False)
        plain = _sorted_windows(corpus, where, sort)
    assert taken is not None and len(taken) == 7
    assert checked == plain
