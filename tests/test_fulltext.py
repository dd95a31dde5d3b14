"""Full texts: fetched over a real loopback server, checked as hostile, stored compressed (one
transaction each, the old text kept when a new one is bad), searched with `text:` / `has:text`,
and the reader's position in each paper kept as user state."""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from dataclasses import replace

import pytest
from conftest import FAST_RETRY, latest_by_day, load_fixture
from fake_api import Fault
from fulltext_docs import (
    FALLBACK_ID,
    PAPER_ID,
    binary_body,
    fallback_markdown,
    hostile_markdown,
    huge_markdown,
    latin1_body,
    paper_markdown,
)

from papertui import fulltext, fulltext_body
from papertui.errors import ApiError, NotFound, NotIndexed, QueryError, StoreError
from papertui.fulltext import is_fallback, numbered_sections
from papertui.fulltext_body import BadFullText
from papertui.hf_api import HfApi
from papertui.models import parse_items
from papertui.query import parse_query
from papertui.ratelimit import PAGES_BURST, PAGES_PER_SECOND, RateLimiter, pages_limiter
from papertui.service import Offline, Service
from papertui.store import Store, prepare_text

ABSTRACT_15320 = load_fixture("paper_2605.15320.json")["summary"]


@pytest.fixture
def texts(fake_api):
    """The fake server with the fixture texts: a full paper and a fallback page."""
    fake_api.texts[PAPER_ID] = paper_markdown()
    fake_api.texts[FALLBACK_ID] = fallback_markdown()
    return fake_api


def text_requests(fake_api) -> list[str]:
    return [r.path for r in fake_api.requests if r.path.endswith(".md")]


@pytest.fixture
def cached(db_path):
    """A cache holding the papers of the recorded lists (2605.13301 and 2605.15320 among them)."""
    with Store(db_path) as store:
        for day, items in latest_by_day().items():
            store.upsert(parse_items(items).entries, day=day, record_day=True)
    return db_path


def make_service(db_path, fake_api, **kw) -> Service:
    def factory(url):
        return HfApi(url, token="", timeout=2, retry=FAST_RETRY, limiter=RateLimiter(burst=1000))

    return Service(
        db_path,
        api_url=fake_api.url,
        api_factory=factory,
        page_limiter=RateLimiter(burst=1000),
        **kw,
    )


# ---- the client ----------------------------------------------------------------------------


def test_a_full_text_is_fetched_as_markdown(client, texts):
    download = client.full_text(PAPER_ID)
    assert download is not None
    assert download.markdown == paper_markdown()
    assert download.etag and download.etag.startswith('"')
    request = texts.requests[-1]
    assert request.path == f"/papers/{PAPER_ID}.md"
    assert request.headers["Accept"].startswith("text/markdown")


def test_full_texts_use_their_own_rate_limit_bucket(texts):
    class Counting(RateLimiter):
        def __init__(self):
            super().__init__(burst=1000)
            self.taken = 0

        def acquire(self, sleep=None):
            self.taken += 1
            return super().acquire(sleep)

    api_bucket, pages_bucket = Counting(), Counting()
    with HfApi(texts.url, retry=FAST_RETRY, limiter=api_bucket, page_limiter=pages_bucket) as api:
        api.full_text(PAPER_ID)
        api.full_text(FALLBACK_ID)
        api.paper(PAPER_ID)
    assert (pages_bucket.taken, api_bucket.taken) == (2, 1)


def test_the_pages_bucket_stays_under_the_anonymous_limit():
    """Hugging Face allows an anonymous IP 100 page requests per 5 minutes."""
    assert PAGES_BURST + PAGES_PER_SECOND * 300 <= 100
    clock = [0.0]
    limiter = pages_limiter()
    limiter._clock = lambda: clock[0]
    limiter._last = 0.0

    def sleep(seconds):
        clock[0] += seconds

    for _ in range(200):
        limiter.acquire(sleep=sleep)
    assert clock[0] >= (200 - PAGES_BURST) / PAGES_PER_SECOND - 1e-6


def test_404_is_not_indexed(client, texts):
    with pytest.raises(NotIndexed, match="2605.99999 is not indexed on Hugging Face") as caught:
        client.full_text("2605.99999")
    assert isinstance(caught.value, NotFound) and caught.value.status == 404


def test_an_unchanged_text_is_not_sent_again(client, texts):
    first = client.full_text(PAPER_ID)
    assert first is not None
    assert client.full_text(PAPER_ID, etag=first.etag) is None
    assert texts.requests[-1].headers["If-None-Match"] == first.etag


def test_5xx_and_429_are_retried_in_the_pages_bucket(texts):
    waits: list[float] = []
    texts.fail(
        f"text:{PAPER_ID}",
        Fault("status", status=503),
        Fault("status", status=429, headers={"RateLimit": '"pages";r=0;t=3'}),
    )
    with HfApi(
        texts.url, retry=FAST_RETRY, sleep=waits.append, page_limiter=RateLimiter(burst=100)
    ) as api:
        download = api.full_text(PAPER_ID)
    assert download is not None and download.markdown == paper_markdown()
    assert 3.0 in waits and len(text_requests(texts)) == 3


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        (binary_body(), "application/octet-stream", "is a application/octet-stream body, not"),
        (binary_body(), "text/markdown", "is binary data (NUL bytes), not Markdown: refused"),
        (latin1_body(), "text/markdown", "is not UTF-8 text (1,800 bad bytes): refused"),
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "text/html", "is an HTML page"),
        (b"\x89PNG\r\n\x1a\n", "image/png", "is a image/png body, not Markdown"),
        (b"  \n\n ", "text/markdown", "is empty: nothing stored"),
        (b"\x1b[2J\x1b[31m\x07\n", "text/markdown", "has no readable text"),
        (bytes(range(1, 32)) * 400, "text/plain", "is garbled (11,200 control characters)"),
    ],
    ids=["octet-stream", "binary", "latin-1", "html", "png", "empty", "escapes only", "garbled"],
)
def test_bodies_that_are_not_text_are_refused_clearly(client, texts, body, content_type, message):
    texts.fail(f"text:{PAPER_ID}", Fault("body", body=body, content_type=content_type))
    with pytest.raises(BadFullText) as caught:
        client.full_text(PAPER_ID)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"the full text of {PAPER_ID} from 127.0.0.1:")


def test_a_huge_text_is_refused_at_the_cap(client, texts):
    texts.texts[PAPER_ID] = huge_markdown(9 * 2**20)
    with pytest.raises(ApiError, match=rf"the full text of {PAPER_ID} from .* is too large"):
        client.full_text(PAPER_ID)
    assert fulltext_body.MAX_TEXT_BYTES == 8 * 2**20


def test_a_text_cut_short_mid_body_is_an_error_after_retries(client, texts):
    cut = paper_markdown().encode()[:5000]
    texts.fail(f"text:{PAPER_ID}", *[Fault("truncate", body=cut, content_type="text/markdown")] * 4)
    with pytest.raises(ApiError, match="broke off the response .*gave up after 4 tries"):
        client.full_text(PAPER_ID)


def test_escape_sequences_and_controls_are_removed_and_the_markdown_kept(client, texts):
    texts.texts[PAPER_ID] = hostile_markdown()
    download = client.full_text(PAPER_ID)
    assert download is not None
    text = download.markdown
    for bad in ("\x1b", "\x9b", "\x9d", "\x07", "\x08", "\r", "\u202e", "\u2066", "\u200b"):
        assert bad not in text
    # what the renderer needs is untouched: markup-looking text, links, math, tables, code
    for kept in (
        "[bold red]not bold[/]",
        "[run me](javascript:alert(1))",
        "$\\alpha + \\beta$",
        "| --- | --- |",
        "```\ncode with escape inside\n```",
    ):
        assert kept in text


# ---- telling the fallback --------------------------------------------------------------------


def test_the_fixtures_are_told_apart():
    assert not is_fallback(paper_markdown(), load_fixture("paper_2605.13301.json")["summary"])
    assert is_fallback(fallback_markdown(), ABSTRACT_15320)
    assert is_fallback(fallback_markdown())  # short, no numbered sections: even without abstract


def test_a_long_page_that_is_mostly_the_abstract_is_the_fallback():
    page = "\n\n".join([fallback_markdown()] * 8)
    assert len(page.split()) > fulltext.FALLBACK_WORDS
    assert is_fallback(page, ABSTRACT_15320)
    assert not is_fallback(page)  # nothing to compare with: long text is taken for the paper


def test_numbered_headings_in_code_blocks_do_not_count():
    text = "# T\n\n```\n## 1 Intro\n## 2 More\n```\n\n## Abstract\n\nshort"
    assert numbered_sections(text) == 0 and is_fallback(text)
    real = "# T\n\n## 1 Introduction\n\nx\n\n### 2.1 Setup\n\ny\n\n## Appendix A Proofs\n"
    assert numbered_sections(real) == 2 and not is_fallback(real)


# ---- the store -------------------------------------------------------------------------------


def fts_hits(store: Store, word: str) -> list[int]:
    with store._lock:
        rows = store.conn.execute(
            "SELECT rowid FROM full_texts_fts WHERE full_texts_fts MATCH ?", (word,)
        ).fetchall()
    return [r[0] for r in rows]


def test_a_new_text_replaces_the_old_one_and_its_index_entries(store):
    put = store.put_full_text
    assert put(prepare_text("2605.1", "alpha words here", fallback=False, etag="a")) == "new"
    assert put(prepare_text("2605.1", "alpha words here", fallback=False, etag="b")) == "unchanged"
    assert put(prepare_text("2605.1", "beta other words", fallback=False, etag=None)) == "updated"
    assert fts_hits(store, "alpha") == [] and fts_hits(store, "beta") == [1]
    assert put(prepare_text("2605.1", "gamma abstract only", fallback=True, etag=None)) == "kept"
    text = store.full_text("2605.1")
    assert text is not None and text.markdown == "beta other words" and not text.fallback
    assert text.size == len("beta other words")
    assert fts_hits(store, "gamma") == []
    assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_texts_are_stored_compressed(store):
    markdown = paper_markdown()
    store.put_full_text(prepare_text(PAPER_ID, markdown, fallback=False, etag=None))
    blob, size = store.conn.execute("SELECT markdown, size FROM full_texts").fetchone()
    assert size == len(markdown.encode()) and len(blob) < size / 2
    assert zlib.decompress(blob).decode() == markdown


def test_a_damaged_stored_text_is_replaced_and_the_index_rebuilt(store):
    store.put_full_text(prepare_text("2605.1", "first words", fallback=False, etag=None))
    store.put_full_text(prepare_text("2605.2", "second words", fallback=False, etag=None))
    with store._lock:
        store.conn.execute("UPDATE full_texts SET markdown = x'00ff' WHERE paper_id = '2605.1'")
    assert store.full_text("2605.1") is None  # unreadable: as if not cached
    assert store.put_full_text(prepare_text("2605.1", "fresh", fallback=False, etag=None)) == (
        "updated"
    )
    assert fts_hits(store, "first") == [] and fts_hits(store, "fresh") == [1]
    assert fts_hits(store, "second") == [2]


def test_a_failed_write_keeps_the_old_text(store, monkeypatch):
    store.put_full_text(prepare_text("2605.1", "old words", fallback=False, etag=None))
    # NOT NULL fails after the old text has left the index: the rollback puts it back
    broken = replace(prepare_text("2605.1", "new words", fallback=False, etag=None), size=None)
    with pytest.raises(StoreError, match="NOT NULL"):
        store.put_full_text(broken)
    text = store.full_text("2605.1")
    assert text is not None and text.markdown == "old words"
    assert fts_hits(store, "old") == [1] and fts_hits(store, "new") == []


def test_reading_positions_are_kept_per_paper(store):
    assert store.reading_position(PAPER_ID) is None
    store.save_reading_position(PAPER_ID, 42)
    store.save_reading_position(PAPER_ID, 57)
    store.save_reading_position(FALLBACK_ID, -3)
    assert store.reading_position(PAPER_ID) == 57
    assert store.reading_position(FALLBACK_ID) == 0


# ---- the service ---------------------------------------------------------------------------


def test_fetch_stores_and_the_cache_answers_without_the_network(cached, texts):
    with make_service(cached, texts) as service:
        assert service.full_text(PAPER_ID) is None
        text = service.fetch_full_text(PAPER_ID)
        assert text.markdown == paper_markdown() and not text.fallback
        assert text.size == len(paper_markdown().encode())
        count = len(text_requests(texts))
        assert service.full_text(PAPER_ID) == text
        assert service.fetch_full_text(PAPER_ID) == text  # cached: no request
        assert len(text_requests(texts)) == count == 1
    with Service(cached, offline=True) as offline:
        assert offline.fetch_full_text(PAPER_ID).markdown == paper_markdown()
        with pytest.raises(Offline, match=f"fetching the full text of {FALLBACK_ID} needs"):
            offline.fetch_full_text(FALLBACK_ID)


def test_the_fallback_is_labelled(cached, texts):
    with make_service(cached, texts) as service:
        text = service.fetch_full_text(FALLBACK_ID)
    assert text.fallback and "Models citing this paper" in text.markdown


def test_a_paper_not_cached_is_looked_up_first_and_404_is_not_indexed(db_path, texts):
    with make_service(db_path, texts) as service:
        text = service.fetch_full_text(PAPER_ID)
        assert text.markdown == paper_markdown()
        paper = service.paper(PAPER_ID)
        assert paper is not None and paper.title.startswith("Achieving Gold-Medal")
        with pytest.raises(NotIndexed, match="2605.99999 is not indexed"):
            service.fetch_full_text("2605.99999")
        texts.papers["2605.88888"] = {**load_fixture("paper_2605.13301.json"), "id": "2605.88888"}
        with pytest.raises(NotIndexed, match="2605.88888 is not indexed"):
            service.fetch_full_text("2605.88888")


@pytest.mark.parametrize(
    "fault",
    [
        Fault("body", body=binary_body(), content_type="text/markdown"),
        Fault("truncate", body=b"# Half a paper\n\n## 1 Intro", content_type="text/markdown"),
        Fault("status", status=500),
    ],
    ids=["binary", "truncated", "server error"],
)
def test_a_bad_refetch_keeps_the_text_cached_before(cached, texts, fault):
    with make_service(cached, texts) as service:
        before = service.fetch_full_text(PAPER_ID)
        texts.texts[PAPER_ID] = "# A new version\n\n## 1 A\n\n## 2 B\n"
        texts.fail(f"text:{PAPER_ID}", *[fault] * 4)
        with pytest.raises(ApiError):
            service.fetch_full_text(PAPER_ID, force=True)
        assert service.full_text(PAPER_ID) == before


def test_a_forced_refetch_replaces_the_text_and_a_fallback_never_replaces_the_paper(cached, texts):
    with make_service(cached, texts) as service:
        service.fetch_full_text(PAPER_ID)
        texts.texts[PAPER_ID] = paper_markdown().replace("SU-01", "SU-02")
        assert "SU-02" in service.fetch_full_text(PAPER_ID, force=True).markdown
        texts.texts[PAPER_ID] = fallback_markdown()
        kept = service.fetch_full_text(PAPER_ID, force=True)
        assert "SU-02" in kept.markdown and not kept.fallback


def test_fetching_many_counts_each_outcome(cached, texts):
    texts.fail("text:2605.15963", *[Fault("status", status=503)] * 4)
    progress: list[str] = []
    with make_service(cached, texts) as service:
        service.fetch_full_text(PAPER_ID)
        texts.texts["2605.15963"] = paper_markdown()
        ids = [PAPER_ID, FALLBACK_ID, "2605.99999", "2605.15963"]
        summary = service.fetch_full_texts(ids, progress=lambda r: progress.append(r.paper_id))
    assert summary.cached == [PAPER_ID]
    assert [r.paper_id for r in summary.fallbacks] == [FALLBACK_ID]
    assert [r.paper_id for r in summary.not_indexed] == ["2605.99999"]
    assert [r.paper_id for r in summary.failed] == ["2605.15963"]
    assert "HTTP 503" in (summary.failed[0].error or "")
    assert sorted(progress) == sorted(ids[1:])
    assert summary.line() == (
        "Fetched 1 full text (1 fallback), 1 already cached, 1 not indexed, 1 failed."
    )
    assert not summary.ok


def test_cancel_stops_a_fetch_of_many_keeping_what_was_stored(cached, texts):
    ids = [PAPER_ID, FALLBACK_ID]
    texts.fail(f"text:{FALLBACK_ID}", Fault("drip", seconds=0.2, size=100_000))
    cancel = threading.Event()

    def progress(result):
        if result.paper_id == PAPER_ID:
            cancel.set()

    with make_service(cached, texts) as service:
        service.page_limiter = RateLimiter(burst=1000)
        summary = service.fetch_full_texts(ids, cancel=cancel, progress=progress)
        assert service.full_text(PAPER_ID) is not None
        assert service.full_text(FALLBACK_ID) is None
    assert [r.paper_id for r in summary.fetched] == [PAPER_ID]
    assert [r.paper_id for r in summary.not_fetched] == [FALLBACK_ID]
    assert "not fetched (cancelled)" in summary.line()


def test_a_budget_leaves_the_rest_for_later(cached, texts):
    with make_service(cached, texts) as service:
        service.page_limiter = RateLimiter(per_second=0.001, burst=1)
        summary = service.fetch_full_texts([PAPER_ID, FALLBACK_ID], budget=0.5)
    assert len(summary.fetched) == 1 and len(summary.not_fetched) == 1
    assert summary.ok
    assert summary.line(later="left for the next sync").endswith("; 1 left for the next sync.")


def test_missing_texts_of_bookmarks_include_old_fallbacks(cached, texts):
    with make_service(cached, texts) as service:
        service.set_state([PAPER_ID, FALLBACK_ID, "2605.15963"], bookmarked=True)
        service.fetch_full_text(PAPER_ID)
        service.fetch_full_text(FALLBACK_ID)
        assert service.missing_full_texts_of_bookmarks() == ["2605.15963"]
        with service.store._lock:  # the fallback was fetched 8 days ago: due for another try
            service.store.conn.execute(
                "UPDATE full_texts SET fetched_at = '2000-01-01T00:00:00+00:00' WHERE paper_id = ?",
                (FALLBACK_ID,),
            )
        assert sorted(service.missing_full_texts_of_bookmarks()) == [FALLBACK_ID, "2605.15963"]
        texts.texts["2605.15963"] = paper_markdown()
        summary = service.fetch_missing_full_texts()
        assert summary.ok and len(summary.fetched) == 2
        assert service.missing_full_texts_of_bookmarks() == []


def test_reading_positions_survive_syncs_and_refetches(cached, texts):
    with make_service(cached, texts) as service:
        service.fetch_full_text(PAPER_ID)
        service.save_reading_position(PAPER_ID, 17)
        service.fetch_full_text(PAPER_ID, force=True)
        service.fetch_full_texts([PAPER_ID], force=True)
        assert service.reading_position(PAPER_ID) == 17
        assert service.reading_position(FALLBACK_ID) is None
        exported = service.export("json")
    assert "reading" not in exported.text and "17" not in json.dumps(
        [p.get("user") for p in json.loads(exported.text)["papers"]]
    )


# ---- search ----------------------------------------------------------------------------------


def test_text_searches_the_full_texts_and_plain_words_do_not(cached, texts):
    with make_service(cached, texts) as service:
        service.fetch_full_text(PAPER_ID)
        service.fetch_full_text(FALLBACK_ID)
        ids = lambda q: sorted(p.id for p in service.search(q, limit=None).papers)  # noqa: E731
        # "pendulum" is in the paper's full text only, not in any title or abstract
        assert ids("pendulum") == []
        assert ids("text:pendulum") == [PAPER_ID]
        assert ids('text:"reverse-perplexity SFT"') == [PAPER_ID]
        assert ids("text:anharmon") == [PAPER_ID]  # typed last: a prefix
        assert ids("text:FLAME") == [FALLBACK_ID]
        assert ids("has:text") == [PAPER_ID, FALLBACK_ID]
        assert PAPER_ID not in ids("-has:text") and len(ids("-has:text")) == 48
        assert ids("text:pendulum OR text:flame") == [PAPER_ID, FALLBACK_ID]
        assert ids("olympiad -text:pendulum") == []
        assert ids("olympiad text:pendulum") == [PAPER_ID]
        assert ids("has:text is:bookmarked") == []
        assert service.store.count(parse_query("text:pendulum")) == 1


@pytest.mark.parametrize(
    "query, message",
    [
        ("has:pdf", "has: takes text"),
        ("tex:foo", "did you mean 'text:'"),
        ("foo:bar", r"filters: author: org: title: text: is: has: date: upvotes:"),
        ("text:", "text: needs a word"),
    ],
)
def test_bad_text_queries_say_why(query, message):
    with pytest.raises(QueryError, match=message):
        parse_query(query)


def test_the_migration_upgrades_the_first_schema_and_keeps_user_state(tmp_path):
    from conftest import FIXTURES

    db = tmp_path / "old.db"
    db.write_bytes((FIXTURES / "cache-schema-1.db").read_bytes())
    con = sqlite3.connect(db)
    columns = "paper_id, read, read_at, bookmarked, bookmarked_at, notes, tags, updated_at"
    before = con.execute(f"SELECT {columns} FROM user_state ORDER BY paper_id").fetchall()
    con.close()
    with Store(db) as store:
        assert store.conn.execute("SELECT count(*) FROM full_texts").fetchone() == (0,)
        paper_id = store.ids(parse_query(""), limit=1)[0]
        store.put_full_text(prepare_text(paper_id, "quixotic words", fallback=False, etag=None))
        store.save_reading_position(paper_id, 3)
        assert store.ids(parse_query("text:quixotic")) == [paper_id]
        after = store.conn.execute(
            f"SELECT {columns} FROM user_state ORDER BY paper_id"
        ).fetchall()  # m005 adds columns beside these (when each field changed)
    assert after == before and before


# ---- export -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "# T\n\n## 1 A\n\n#### deep\n\n###### six",
            "### T\n\n#### 1 A\n\n###### deep\n\n###### six",
        ),
        ("Title\n=====\n\nSub\n---\n", "### Title\n\n#### Sub"),
        ("# T\n\n```\n# not a heading\n", "### T\n\n```\n# not a heading\n```"),
        ("# T\n\n~~~~python\ncode", "### T\n\n~~~~python\ncode\n~~~~"),
        ("# T\n\n<!-- never closed\n\nrest", "### T\n\n<!-- never closed\n\nrest\n-->"),
        ("# T\n\n```\nclosed\n```\n", "### T\n\n```\nclosed\n```"),
    ],
    ids=["atx", "setext", "open fence", "open tilde fence", "open comment", "closed fence"],
)
def test_an_embedded_text_cannot_swallow_the_rest_of_the_export(text, expected):
    from papertui.export import embedded_markdown

    assert embedded_markdown(text) == expected


def test_a_single_fetch_can_be_cancelled_and_says_when_the_server_is_gone(cached, texts):
    from papertui.errors import Unreachable
    from papertui.netguard import Cancelled

    texts.fail(f"text:{PAPER_ID}", Fault("drip", seconds=0.2, size=100_000))
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with make_service(cached, texts) as service:
        with pytest.raises(Cancelled):
            service.fetch_full_text(PAPER_ID, cancel=cancel)
        assert service.full_text(PAPER_ID) is None
        texts.stop()
        with pytest.raises(Unreachable, match="cannot reach"):
            service.fetch_full_text(PAPER_ID)


@pytest.mark.parametrize("token, pages, api", [("", 100, 500), ("hf_abc", 200, 1000)])
def test_the_buckets_stay_under_hugging_faces_limits(token, pages, api, monkeypatch):
    """Per 5 minutes: an anonymous IP may make 100 page and 500 API requests, a signed-in user
    200 and 1,000 (huggingface.co/docs/hub/rate-limits). With a token the buckets are twice
    as big and at most the signed-in limits; an HfApi made with it gets them."""
    monkeypatch.setenv("HF_TOKEN", token)
    client = HfApi("http://127.0.0.1:9")
    for limiter, limit in ((client.page_limiter, pages), (client.limiter, api)):
        assert limiter.capacity + limiter.rate * 300 <= limit
        assert limiter.capacity + limiter.rate * 300 > limit * 0.9  # not needlessly slow
    assert pages_limiter().rate == client.page_limiter.rate  # the service's shared bucket too
    client.close()
