"""Relevance: bm25 over the full-text index, with the title counting most, then the AI keywords
and summary, then the abstract, then the authors, the organization least; ties by the most
recent day, then upvotes, then id (so windows of the list page stably)."""

import json

import pytest

from papertui.models import parse_items
from papertui.query import parse_query
from papertui.store import Store

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
        monkeypatch.setattr(cache, "FIRST_WINDOWS", 0)  # every match ranked in SQL
        assert fast == [ids(store.list_rows(where, "relevance", 10, s)) for s in (0, 10, 20)]
        assert first == ids(store.papers(where, "relevance", limit=25)) and first
