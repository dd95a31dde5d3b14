"""LaTeX in titles, AI summaries and abstracts is shown as Unicode; abstracts keep paragraphs."""

from __future__ import annotations

import csv
import io
import time

import pytest
from conftest import latest_by_day, load_fixture, old_schema
from hypothesis import given, settings
from hypothesis import strategies as st
from ui_helpers import make_app, run, screen_text, settle

from papertui.export import to_csv
from papertui.latex import _converted, shown, shown_paragraphs, to_unicode
from papertui.models import StoredPaper, paper_columns, parse_items
from papertui.output import paper_text, row_line
from papertui.query import parse_query
from papertui.store import Store
from papertui.text import clean, clean_paragraphs, strip_controls


def _fixture_texts() -> dict[str, str]:
    """Every title, summary and AI summary of the fixtures, keyed "<id> <field>"."""
    texts = {}
    items = [i for day in latest_by_day().values() for i in day] + old_schema()
    items += load_fixture("daily_papers_date-2026-05-08.json")
    for item in items:
        paper = item["paper"]
        for name, value in (
            ("title", item.get("title") or paper.get("title")),
            ("summary", item.get("summary") or paper.get("summary")),
            ("ai_summary", paper.get("ai_summary")),
        ):
            if isinstance(value, str):
                texts[f"{paper['id']} {name}"] = clean_paragraphs(value)
    return texts


# ---- the conversion ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"$\alpha$-decay", "α-decay"),
        (r"mean 45.0\%", "mean 45.0%"),
        (r"$6{,}690$ papers", "6,690 papers"),
        (r"6{,}690 papers", "6,690 papers"),
        (r"$36\times$ faster", "36× faster"),
        (r"36\times faster", "36× faster"),
        (r"a \textbf{bold} claim", "a bold claim"),
        (r"$\mathbb{R}^{2}$ and $x^2$", "ℝ² and x²"),
        (r"$O(n^{2})$ at $10^{-3}$", "O(n²) at 10⁻³"),
        (r"$x_{i}$", "xᵢ"),
        (r"$W^\top$, $f^{\prime}$, $90^\circ$", "Wᵀ, f′, 90°"),
        (r"$\mathbb{R}^{n \times m}$", "ℝ^(n × m)"),  # no superscript for it: readable anyway
        (r"$\le$ 5 $\approx$ $\rightarrow$", "≤ 5 ≈ →"),
        (r"$\left(\frac{a}{b}\right)$", "(a/b)"),
        (r"a\,b", "a b"),
        (r"$a$ $b$", "a b"),
        (r"\{a\} \$5", "{a} $5"),
    ],
)
def test_latex_becomes_unicode(source, expected):
    assert to_unicode(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "Plain title with no LaTeX at all",
        "costs $5 and $10",  # prose dollars are not math
        "from $5 to $10 a month",
        "unbalanced { brace and 45\\%",  # unbalanced braces: the whole paragraph stays
        "closing } first \\alpha",
        "snake_case and x^2 outside math",
        "",
    ],
)
def test_text_that_is_not_latex_is_returned_untouched(source):
    assert to_unicode(source) == source


def test_the_fast_path_returns_the_very_same_string():
    title = "A title " + "without markers " * 3
    assert to_unicode(title) is title


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Macros pylatexenc does not know stay as written, with their arguments.
        (
            r"The pipeline, \ours, beats \method{} by 50\%",
            r"The pipeline, \ours, beats \method{} by 50%",
        ),
        # Macros that read files, define things or would become "<cit.>" stay as written.
        (r"\input{/etc/passwd} and $\alpha$", r"\input{/etc/passwd} and α"),
        (r"\def\x{y} $\beta$", r"\def\x{y} β"),
        (r"as in \cite{smith20} with $\gamma$", r"as in \cite{smith20} with γ"),
        (r"\begin{itemize}\item a\end{itemize}", r"\begin{itemize}\item a\end{itemize}"),
        # Prose specials keep their everyday meaning, not LaTeX's (comment, tab, space).
        (r"we get ~10% gains at $\le$ 5 & more #1", "we get ~10% gains at ≤ 5 & more #1"),
        ("model_name uses $\\alpha$", "model_name uses α"),
    ],
)
def test_what_cannot_be_converted_stays_as_the_source(source, expected):
    assert to_unicode(source) == expected


def test_real_abstracts_from_the_fixtures():
    texts = _fixture_texts()
    bench = to_unicode(texts["2605.08614 summary"])
    assert "mean 45.0%)" in bench and "13–60% relative accuracy" in bench  # `--` is an en dash
    assert "\\%" not in bench and "\\," not in bench
    forcing = to_unicode(texts["2605.15141 summary"])
    assert "\\textbf" not in forcing and "frame-wise 2-step" in forcing
    assert "\\ours, surpasses" in forcing  # the paper's own macro: kept, not dropped
    assert "50% and" in forcing
    old = to_unicode(texts["2410.18194 summary"])
    assert "85.1% faster" in old and "\\%" not in old
    assert "\\method even achieves" in to_unicode(texts["2410.18745 summary"])


def test_fixture_texts_without_latex_are_unchanged_and_none_loses_words():
    for key, text in _fixture_texts().items():
        converted = to_unicode(text)
        if "\\" not in text and "$" not in text and "{,}" not in text:
            assert converted == text, key
        # Every word of the source that is not LaTeX survives.
        words = [w for w in text.split() if w.isalpha()]
        assert all(w in converted for w in words), key


@pytest.mark.parametrize(
    "hostile",
    [
        "{" * 5000 + "x" + "}" * 5000,
        "{" * 5000 + "$\\alpha$",
        "$" + "{" * 40 + "x" + "}" * 40 + "$",
        "\\frac" * 2000 + "{a}",
        ("$\\alpha$ " + "x" * 1000) * 100,  # 100 KB
        "\\alpha " * 20_000,
        "$" * 10_000,
        "\\input{/etc/passwd}",
        "\\include{secrets} \\openin \\read \\immediate\\write18{rm -rf /}",
        "\\def\\a{\\a}\\a",
        "\\newcommand{\\x}{\\x}\\x $\\x$",
        "\\catcode`\\{=12 {",
        "unbalanced {",
        "\\verb|x",
        "\\begin{verbatim} $x$",
        "\\\\\\\\\\",
        "\\",
        "$\\",
        "$x^{$",
        '\\x1b[31m $\\alpha$ \\char27 \\char"1B \\^^[',
        "$\x1b[31m\\alpha\x07$ \x9b2J",
        "\\text{\x00\x07}",
        "\\symbol{27} \\textbackslash \\ensuremath{\\alpha}",
        "\ue000 \\alpha",  # a character the conversion uses as a placeholder
    ],
    ids=lambda text: repr(text[:24]),
)
def test_hostile_input_never_raises_nor_prints_controls(hostile):
    start = time.perf_counter()
    result = to_unicode(hostile)
    assert time.perf_counter() - start < 2
    for paragraph in result.split("\n\n"):
        assert strip_controls(shown(paragraph)) == shown(paragraph)
    assert shown(hostile) == strip_controls(shown(hostile))
    assert "\x1b" not in shown(hostile) and "\x07" not in shown(hostile)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            list("\\${}^_%&#~ ,.ab1\n\x1b\x07\x9b")
            + ["\\alpha", "\\textbf", "\\%", "{,}", "\\input", "\\ours", "\n\n", "\ue000"]
        ),
        max_size=40,
    ).map("".join)
)
def test_fuzzed_latex_never_raises_and_stays_clean(text):
    result = to_unicode(text)
    assert isinstance(result, str)
    line = shown(text)
    assert line == strip_controls(line) and "\n" not in line
    for paragraph in shown_paragraphs(text):
        assert paragraph and "\n" not in paragraph and paragraph == strip_controls(paragraph)


def test_conversions_are_cached():
    title = r"Cached $\alpha$ title 7"
    to_unicode(title)
    hits = _converted.cache_info().hits
    assert to_unicode(title) == "Cached α title 7"
    assert _converted.cache_info().hits == hits + 1


# ---- paragraph breaks --------------------------------------------------------------------------


def test_clean_paragraphs_keeps_blank_lines_and_folds_the_rest():
    raw = "First para-\ngraph, hard\n  wrapped.\n\nSecond\tone.\r\n \r\n\n\nThird\x1b[31m one.\n"
    assert clean_paragraphs(raw) == "First para- graph, hard wrapped.\n\nSecond one.\n\nThird one."
    # Without a blank line it is exactly `clean`.
    for text in ["a\nb", "  a \t b ", "a\x0cb\x85c", "a\u2028b", "", "\n\n\n"]:
        assert clean_paragraphs(text) == clean(text)


def _item(summary: str, title: str = r"$\alpha$-Decay at 45\% of $6{,}690$ Steps") -> dict:
    return {
        "paper": {
            "id": "2605.99999",
            "title": title,
            "summary": summary,
            "ai_summary": r"It is $36\times$ faster on $\mathbb{R}^{2}$.",
            "upvotes": 3,
            "authors": [{"name": "A. Author"}],
        },
        "publishedAt": "2026-05-08T12:00:00.000Z",
        "title": title,
        "summary": summary,
    }


ABSTRACT = "We study $\\alpha$-decay\nat scale.\n\nIt is 45\\% better; a second\nparagraph."


def test_the_stored_abstract_keeps_its_paragraphs_and_search_matches_the_source(tmp_path):
    parsed = parse_items([_item(ABSTRACT)])
    columns = paper_columns(parsed.items[0])
    assert (
        columns["abstract"]
        == "We study $\\alpha$-decay at scale.\n\nIt is 45\\% better; a second paragraph."
    )
    assert "\n" not in columns["title"]
    with Store(tmp_path / "p.db") as store:
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)
        paper = store.paper("2605.99999")
        assert paper is not None and paper.abstract == columns["abstract"]
        assert paper.title == r"$\alpha$-Decay at 45\% of $6{,}690$ Steps"  # the source is stored
        for query in ["alpha", "second paragraph", '"at scale"', "6{,}690"]:
            assert store.count(parse_query(query)) == 1, query
        csv_text = to_csv([paper])
        assert len(list(csv.reader(io.StringIO(csv_text)))) == 2
        assert csv_text.count("\n") == 2  # header and one row: no newline inside a cell


def _paper(**fields) -> StoredPaper:
    base = {
        "id": "2605.99999",
        "title": r"$\alpha$-Decay at 45\% of $6{,}690$ Steps",
        "abstract": "We study $\\alpha$-decay at scale.\n\nIt is 45\\% better.",
        "ai_summary": r"It is $36\times$ faster on $\mathbb{R}^{2}$.",
        "day": "2026-05-08",
    }
    return StoredPaper(**{**base, **fields})


def test_show_prints_unicode_and_paragraphs():
    text = paper_text(_paper(), width=80)
    assert "α-Decay at 45% of 6,690 Steps" in text
    assert "AI summary: It is 36× faster on ℝ²." in text
    assert "We study α-decay at scale.\n\nIt is 45% better." in text
    assert "\\" not in text and "$" not in text
    assert "α-Decay at 45% of 6,690 Steps" in row_line(_paper(), width=120)


def test_show_of_an_old_row_without_breaks_is_one_paragraph():
    text = paper_text(_paper(abstract="One block of text."), width=80)
    assert text.endswith("\n\nOne block of text.")


def test_shown_paragraphs_never_hold_a_newline():
    assert shown_paragraphs("a\n\nb $\\alpha$\n\n\n\nc") == ["a", "b α", "c"]
    assert shown_paragraphs("") == [] and shown_paragraphs(None) == []


# ---- the reader --------------------------------------------------------------------------------


@pytest.fixture
def latex_db(tmp_path):
    db = tmp_path / "latex.db"
    with Store(db) as store:
        parsed = parse_items([_item(ABSTRACT)])
        store.upsert(parsed.entries, day="2026-05-08", record_day=True)
    return db


def test_reader_shows_unicode_in_list_detail_and_copy_menu(latex_db, tmp_path):
    async def scenario():
        app = make_app(latex_db, tmp_path, default_view="all")
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert "α-Decay at 45% of 6,690 Ste" in screen_text(app)  # a narrow list pane
            await pilot.press("enter")
            await settle(pilot)
            detail = app.query_one("PaperDetail")
            group = detail.render_paper(detail.paper)
            shown_text = "\n".join(
                str(part) for part in group.renderables if hasattr(part, "plain")
            )
            assert "α-Decay at 45% of 6,690 Steps" in shown_text
            assert "It is 36× faster on ℝ²." in shown_text
            assert (
                "We study α-decay at scale.\n\nIt is 45% better; a second paragraph." in shown_text
            )
            await pilot.press("Y")
            await settle(pilot)
            title = app.screen.query_one("#copy-title")
            assert "Copy — α-Decay at 45% of 6,690 Steps" in str(title.render())
            await pilot.press("escape")
            await settle(pilot)

    run(scenario())


def test_list_rows_at_scale_draw_as_fast_with_latex(tmp_path):
    """Drawing rows converts each title once; redrawing them costs a cache lookup."""
    titles = [f"Paper {i}: $\\alpha$-scaling at {i}\\% with $O(n^{{2}})$" for i in range(2000)]
    start = time.perf_counter()
    for title in titles:
        to_unicode(title)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(10):
        for title in titles[:60]:  # a screenful, redrawn
            shown(title)
    again = time.perf_counter() - start
    assert again < 0.05, again
    assert first < 20, first
