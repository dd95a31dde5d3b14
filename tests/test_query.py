import pytest
from conftest import day_08, latest_by_day, old_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertui.errors import QueryError
from papertui.models import parse_items
from papertui.query import parse_query


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    from papertui.store import Store

    store = Store(tmp_path_factory.mktemp("q") / "q.db")
    for day, items in [
        ("2026-05-08", day_08()),
        ("2024-10-25", old_schema()),
        *latest_by_day().items(),
    ]:
        parsed = parse_items(items)
        store.upsert(parsed.entries, day=day, record_day=True)
    first = day_08()[0]["paper"]["id"]
    store.set_state([first], read=True, bookmarked=True)
    yield store
    store.close()


def ids(store, text, **kw):
    return {p.id for p in store.papers(parse_query(text), **kw)}


def test_empty_query_matches_everything(filled):
    assert filled.count(parse_query("")) == filled.count() == 116
    assert filled.count(parse_query("   ")) == 116


def test_words_combine_with_and(filled):
    both = ids(filled, "agentic search")
    assert both and both <= ids(filled, "agentic") & ids(filled, "search")


def test_phrase_and_exclusion(filled):
    phrase = ids(filled, '"direct corpus interaction"')
    assert "2605.05242" in phrase
    assert "2605.05242" not in ids(filled, "retrieval -corpus")
    assert ids(filled, "-diffusion") == ids(filled, "") - ids(filled, "diffusion")


def test_field_filters(filled):
    assert ids(filled, "author:zhuofeng") == {"2605.05242"}
    assert ids(filled, 'author:"Zhuofeng Li"') == {"2605.05242"}
    assert "2605.05242" in ids(filled, "org:tiger")
    titled = ids(filled, "title:diffusion")
    assert titled and titled <= ids(filled, "diffusion")


def test_state_filters(filled):
    assert ids(filled, "is:read") == {"2605.05242"}
    assert ids(filled, "is:bookmarked") == {"2605.05242"}
    assert len(ids(filled, "is:unread")) == 115
    assert ids(filled, "-is:read") == ids(filled, "is:unread")


def test_date_filters(filled):
    assert len(ids(filled, "date:2026-05-08")) == 37
    assert len(ids(filled, "date:2026-05-01..2026-05-31")) == 87
    assert len(ids(filled, "date:2026-05")) == 87
    assert len(ids(filled, "date:..2025-01-01")) == 29
    assert len(ids(filled, "date:2026-05-15..")) == 50


def test_upvotes_filters(filled):
    high = filled.papers(parse_query("upvotes:>50"))
    assert high and all(p.upvotes > 50 for p in high)
    assert all(p.upvotes <= 3 for p in filled.papers(parse_query("upvotes:<=3")))
    assert all(10 <= p.upvotes <= 20 for p in filled.papers(parse_query("upvotes:10..20")))


def test_words_match_as_prefixes_and_phrases_exactly(filled):
    assert "2605.13301" in ids(filled, "Olymp")  # "Olympiad"
    assert "2605.13301" in ids(filled, "olymp ")
    assert "2605.13301" not in ids(filled, '"Olymp"')
    assert ids(filled, "diffusion") <= ids(filled, "diffus")
    assert ids(filled, "fus") == ids(filled, "fuse") | ids(filled, "fusion") | ids(filled, "fus")
    assert len(ids(filled, "fus")) < 20


def test_field_values_are_whole_words_once_typed(filled):
    assert ids(filled, "author:zhuofen") == {"2605.05242"}  # still typing: prefix
    assert ids(filled, "author:zhuofen is:read") == set()  # finished word: exact


@pytest.mark.parametrize(
    "text, message",
    [
        ("date:2026-13-40", "bad date"),
        ("date:yesterday", "bad date"),
        ("upvotes:lots", "bad upvotes"),
        ("is:maybe", "is: takes"),
        ("author:", "needs a word"),
        ("auther:smith", "did you mean 'author:'"),
        ("x" * 5000, "too long"),
        (
            "foo:bar",
            r"unknown filter 'foo:' \(filters: author: org: title: text: is: has: date: upvotes: "
            r"tag: note:\)",
        ),
        ("diffusion -foo:bar", "unknown filter 'foo:'"),
        ("upvotes:50..10", r"upvotes:50\.\.10 runs backwards: write upvotes:10\.\.50"),
        ("date:2026-05-31..2026-05-01", "runs backwards: write date:2026-05-01..2026-05-31"),
        ("date:2026-06..2026-05", "runs backwards"),
        ("(diffusion OR flow", r"unbalanced parentheses: a '\(' is never closed"),
        ("diffusion OR flow)", r"unbalanced parentheses: a '\)' closes nothing"),
        ("a (b (c OR d)", "never closed"),
        ("-(a OR b", "never closed"),
        ("()", "empty parentheses"),
        ("diffusion OR", "OR needs a term on each side"),
        ("OR diffusion", "OR needs a term on each side"),
        ("a OR OR b", "OR needs a term on each side"),
        ("title:(a OR b)", r"write \(title:a OR title:b\)"),
        ("(" * 9 + "a" + ")" * 9, "too many nested parentheses"),
    ],
)
def test_bad_queries_give_clear_messages(filled, text, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text)


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '""',
        "-",
        "--",
        "*",
        "AND",
        "OR NOT",
        "NEAR(a b)",
        "a:b",
        "title:*",
        "'; DROP TABLE papers;--",
        "\x00",
        "\\",
        "{authors}:x",
        "^start",
        "col:",
        "é",
        "日本語",
        "a AND OR b",
        '"unclosed',
        '-"x"',
        "http://example.com/x",
        "C++",
        "upvotes:>",
        "date:..",
        "(((",
    ],
)
def test_syntax_like_input_is_safe(filled, text):
    try:
        filled.count(parse_query(text))
    except QueryError as exc:
        assert str(exc)


QUERY_CHARS = st.sampled_from(
    list("abc xyz:-\"*()^.{}'\\é日\x00\t")
    + ["(", ")", "-(", "OR", " OR ", "or"]
    + [
        "author:",
        "is:",
        "date:",
        "upvotes:",
        "org:",
        "title:",
        "NOT",
        "AND",
        "OR",
        "NEAR",
        "..",
        ">",
        "2026-05-08",
        "read",
    ]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.text(max_size=60), st.lists(QUERY_CHARS, max_size=12).map("".join)))
def test_any_text_gives_results_or_a_clear_message(filled, text):
    try:
        where = parse_query(text)
    except QueryError as exc:
        assert str(exc).strip()
        return
    assert filled.count(where) >= 0
    filled.list_rows(where, sort="title", limit=5)


def test_a_query_is_a_syntax_tree_with_no_sql_in_it():
    from papertui.query import And, Days, Is, Not, Upvotes, Words

    tree = parse_query(
        'diffusion "world model" -survey author:lecun is:unread date:2026-05 upvotes:>50'
    )
    assert tree == And(
        (
            Words(("diffusion",), None, True),
            Words(("world", "model")),
            Not(Words(("survey",), None, True)),
            Words(("lecun",), "authors", False),
            Is("unread"),
            Days("2026-05-01", "2026-05-31"),
            Upvotes(51, None),
        )
    )
    assert not any(s in repr(tree) for s in ("SELECT", "p.", "u.", "MATCH", "?"))


def test_or_and_not_trees_compile_to_the_same_sets_as_their_parts(filled):
    """The grammar's OR and nesting (the parser gains them later) already compile correctly."""
    from papertui.query import And, Is, Not, Or, Upvotes, Words

    def got(tree):
        return {p.id for p in filled.papers(tree)}

    every = got(And(()))
    agentic, video = got(Words(("agentic",), None, True)), got(Words(("video",), None, True))
    many = got(Upvotes(20, None))
    assert agentic and video and many and agentic != video and many != every  # not vacuous
    assert got(Or((Words(("agentic",), None, True), Words(("video",), None, True)))) == (
        agentic | video
    )
    assert got(Or((Words(("agentic",), None, True), Upvotes(20, None)))) == agentic | many
    assert got(Not(Or((Words(("agentic",), None, True), Is("read"))))) == every - agentic - got(
        Is("read")
    )
    assert got(And((Or((Is("read"), Upvotes(20, None))), Words(("video",), None, True)))) == (
        (got(Is("read")) | many) & video
    )
    assert got(Or(())) == set()
    assert filled.count(Or((Words(("agentic",), None, True), Upvotes(20, None)))) == len(
        agentic | many
    )


def test_or_and_parentheses_parse_to_the_tree():
    from papertui.query import And, Not, Or, Words

    def w(word, prefix=True):
        return Words((word,), None, prefix)

    assert parse_query("(diffusion OR flow) video -survey") == And(
        (Or((w("diffusion"), w("flow"))), w("video"), Not(w("survey")))
    )
    assert parse_query("a OR b") == Or((w("a", False), w("b", False)))
    # OR binds looser than the implicit AND
    assert parse_query("agent search OR video") == Or((And((w("agent"), w("search"))), w("video")))
    assert parse_query("a OR b OR c") == Or((w("a", False), w("b", False), w("c", False)))
    assert parse_query("-(survey OR review)") == Not(Or((w("survey"), w("review"))))
    assert parse_query("((agent OR robot) (video OR image)) OR -(x OR yy)") == Or(
        (
            And((Or((w("agent"), w("robot"))), Or((w("video"), w("image"))))),
            Not(Or((w("x", False), w("yy", False)))),
        )
    )
    assert parse_query("(video)") == w("video")
    # lowercase `or` is a word, and so is an OR that is quoted
    assert parse_query("agent or robot") == And((w("agent"), w("or", False), w("robot")))
    assert parse_query('agent "OR" robot') == And((w("agent"), Words(("OR",)), w("robot")))


def test_urls_and_times_stay_words():
    from papertui.query import And, Words

    assert parse_query("http://example.com/x") == Words(("http", "example", "com", "x"))
    assert parse_query("10:30 talk") == And((Words(("10", "30")), Words(("talk",), None, True)))
    assert parse_query("f(x) loss") == And((Words(("f", "x")), Words(("loss",), None, True)))


def test_or_and_parentheses_find_the_right_papers(filled):
    agentic, video, survey = ids(filled, "agentic"), ids(filled, "video"), ids(filled, "survey")
    diffusion, read = ids(filled, "diffusion"), ids(filled, "is:read")
    every = ids(filled, "")
    assert agentic and video and survey and diffusion and agentic != video  # not vacuous
    assert ids(filled, "agentic OR video") == agentic | video
    assert ids(filled, "(agentic OR video) -survey") == (agentic | video) - survey
    assert ids(filled, "(agentic OR video) diffusion") == (agentic | video) & diffusion
    assert ids(filled, "-(agentic OR video)") == every - agentic - video
    assert ids(filled, "agentic OR is:read") == agentic | read
    assert ids(filled, "(agentic -survey) OR (video -(diffusion OR survey))") == (
        agentic - survey
    ) | (video - diffusion - survey)
    assert ids(filled, "agentic or video") == ids(filled, "agentic") & ids(filled, "or video")
    assert filled.count(parse_query("agentic OR video")) == len(agentic | video)


def test_text_alternatives_are_one_full_text_lookup():
    """FTS parts inside OR stay one index lookup (and a words-only OR is counted in the index)."""
    from papertui.store.search import compile_query

    where = compile_query(parse_query("(diffusion OR flow) video -survey"))
    assert where.sql.count("MATCH") == 1
    assert where.match == '("diffusion"* OR "flow"*) AND "video"* NOT "survey"*'
    mixed = compile_query(parse_query("(diffusion OR author:lecun OR is:read) video"))
    assert mixed.sql.count("MATCH") == 2 and mixed.match is None
    assert compile_query(parse_query("-(survey OR review)")).sql.count("MATCH") == 1


def test_the_help_screen_and_readme_document_or_parentheses_and_relevance():
    from pathlib import Path

    from papertui.ui.screens.help import QUERY_HELP

    shown = " ".join(f"{a} {b}" for a, b in QUERY_HELP)
    assert " OR " in shown and "(diffusion OR flow)" in shown and "relevance" in shown
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "(diffusion OR flow) video -survey" in readme and "sorted by relevance" in readme


def test_a_search_that_names_a_paper_finds_that_paper(filled):
    from papertui.query import PaperIds
    from papertui.views import ReaderQuery, View

    first = day_08()[0]["paper"]["id"]
    assert [p.id for p in filled.papers(PaperIds((first,)))] == [first]
    assert filled.count(PaperIds(())) == 0
    rq = ReaderQuery(View("day", None), text=f"https://arxiv.org/pdf/{first}v3.pdf")
    assert rq.paper_id == first and not rq.has_words
    assert [p.id for p in filled.papers(rq.filter())] == [first]
