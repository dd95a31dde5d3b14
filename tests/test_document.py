"""The full-text renderer (papertui/document): every block kind, wrapping, math, tables, search,
and hostile documents. Fixtures in tests/fixtures/fulltext/ were written for these tests with
the structure of a real arXiv paper as Hugging Face serves it (arXiv HTML → Markdown)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from papertui.document import Builder, Kind, find, lay_out, parse, plain_text, styled_text
from papertui.document.cells import cell_len
from papertui.document.layout import plain_lines, table_lines
from papertui.document.mathtext import display_math, inline_math
from papertui.document.parse import MAX_TABLE_ROWS, pieces
from papertui.document.search import line_of_hit, marked, section_at

FIXTURES = Path(__file__).parent / "fixtures" / "fulltext"
PAPER = (FIXTURES / "paper-rendering.md").read_text(encoding="utf-8")
WIDTHS = (40, 80, 120)


@pytest.fixture(scope="module")
def paper():
    return parse(PAPER)


def kinds(document) -> list[Kind]:
    return [block.kind for block in document.blocks]


def blocks_of(document, kind: Kind):
    return [block for block in document.blocks if block.kind is kind]


# ---- blocks --------------------------------------------------------------------------------


def test_the_paper_has_every_kind_of_block(paper):
    assert {Kind.TITLE, Kind.HEADING, Kind.PARAGRAPH, Kind.CAPTION, Kind.FIGURE, Kind.CODE}
    assert set(kinds(paper)) >= {
        Kind.TITLE,
        Kind.HEADING,
        Kind.PARAGRAPH,
        Kind.CAPTION,
        Kind.FIGURE,
        Kind.CODE,
        Kind.MATH,
        Kind.TABLE,
        Kind.FOOTNOTE,
    }
    assert paper.title == "Routing Sparse Experts for Long-Context Retrieval"
    assert paper.complete


def test_headings_keep_level_and_section_number(paper):
    outline = [(h.level, h.number, h.title) for h in paper.headings]
    assert (2, "", "Abstract") in outline
    assert (2, "1", "1 Introduction") in outline
    assert (3, "3.2", "3.2 The block router") in outline
    assert (5, "", "Sparse attention.") in outline
    assert outline[-1] == (2, "", "References")
    for heading in paper.headings:  # each entry points at its own block
        assert paper.blocks[heading.block].text.strip() == heading.title


def test_lists_keep_depth_and_markers(paper):
    items = [b for b in paper.blocks if b.depth]
    numbered = [b.marker for b in items if b.marker.endswith(".")]
    assert numbered == ["1.", "2.", "3."]
    nested = [b for b in items if b.depth == 2]
    assert [b.marker for b in nested] == ["◦", "◦"]
    assert nested[0].text.startswith("Overlapping blocks fix this at 1.5× the router cost")
    references = [b for b in items if b.text.startswith(("Beltagy", "Vaswani", "Zaheer"))]
    assert len(references) == 3  # the references are kept, one item each


def test_quotes_code_and_footnotes(paper):
    quoted = [b for b in paper.blocks if b.quote]
    assert quoted and quoted[0].text.startswith("Retrieval is not a preprocessing step")
    code = blocks_of(paper, Kind.CODE)[0]
    assert code.label == "python" and code.lines[0] == "def route(blocks, w, k):"
    assert code.lines[1].startswith("    scores = ")  # indentation kept
    notes = blocks_of(paper, Kind.FOOTNOTE)
    assert [n.marker for n in notes] == ["¹", "²"]
    assert notes[1].text.startswith("Compute was provided")
    # the reference in the text, pieces before its definition, is a superscript mark
    assert any(b.text.endswith("their limits.¹") for b in paper.blocks)


def test_figures_are_labelled_links_with_their_captions(paper):
    figures = blocks_of(paper, Kind.FIGURE)
    assert len(figures) == 2
    assert figures[0].text.startswith("Figure 1: Overview of RouteRAG.")
    number = figures[0].spans[-1].link
    link = paper.link(number)
    assert link.url == "https://arxiv.org/html/2605.01234v1/x1.png" and link.openable
    assert link.label.startswith("Figure 1: Overview")
    lines = lay_out(paper, 80)
    figure_line = lines.text(lines.line_of(paper.blocks.index(figures[0])))
    assert figure_line.startswith("▣ Figure 1: Overview of RouteRAG.")


def test_links_are_numbered_and_only_http_is_openable(paper):
    urls = {link.url: link for link in paper.links}
    assert urls["https://github.com/example/routerag"].openable
    mail = urls["mailto:authors@example.org"]
    assert not mail.openable and mail.label == "our forum"
    assert [link.number for link in paper.links] == list(range(1, len(paper.links) + 1))
    text = plain_text(PAPER, 80)
    assert "github.com/example/routerag[1]" in text
    assert f"our forum[{mail.number}]" in text
    assert f"[{mail.number}] mailto:authors@example.org  (not an http(s) link)" in text
    assert "Section 3" in text and "#S3" not in text  # in-page references are plain text


def test_tables_keep_cells_and_alignment(paper):
    table = blocks_of(paper, Kind.TABLE)[0].table
    assert [c.text for c in table.head] == [
        "Method",
        "Params",
        "RULER",
        "NIAH",
        "LongBench",
        "FLOPs (rel.)",
    ]
    assert table.align == ["left", "right", "right", "right", "right", "right"]
    assert table.rows[3][2].text == "80.8" and "strong" in table.rows[3][2].spans[0].style
    second = blocks_of(paper, Kind.TABLE)[1].table
    assert second.align[1] == "center"
    assert second.head[1].text == "Experts E"  # inline math in a cell, converted


def test_captions_stand_on_their_own(paper):
    captions = [b.text for b in blocks_of(paper, Kind.CAPTION)]
    assert captions[0].startswith("Table 1: Accuracy (%)")
    assert captions[1].startswith("Table 2: Ablations")


# ---- layout and wrapping ------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_no_line_is_wider_than_the_measure(paper, width):
    layout = lay_out(paper, width)
    for y in range(len(layout.lines)):
        assert cell_len(layout.text(y)) <= width, (width, layout.text(y))


@pytest.mark.parametrize("width", WIDTHS)
def test_wrapping_keeps_every_word_in_order(paper, width):
    layout = lay_out(paper, width)
    for index, block in enumerate(paper.blocks):
        if block.kind not in (Kind.PARAGRAPH, Kind.HEADING, Kind.FOOTNOTE, Kind.CAPTION):
            continue
        first = layout.starts[index]
        end = layout.starts[index + 1] if index + 1 < len(paper.blocks) else len(layout.lines)
        shown = [
            "".join(run[0] for run in layout.lines[y] if run[2] >= 0) for y in range(first, end)
        ]
        assert " ".join(shown).split() == block.text.split(), block.text[:40]


def test_lists_hang_under_their_markers_at_every_width(paper):
    for width in WIDTHS:
        text = "\n".join(plain_lines(lay_out(paper, width).lines))
        item = re.search(r"^1\. A block router.*?(?=^2\. )", text, re.MULTILINE | re.DOTALL)
        assert item, width
        lines = item.group(0).rstrip("\n").split("\n")
        assert all(line.startswith("   ") for line in lines[1:]), (width, lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_table_that_fits_is_aligned(paper, width):
    table = blocks_of(paper, Kind.TABLE)[1].table
    lines = ["".join(r[0] for r in line) for line in table_lines(table, width)]
    assert len({cell_len(line) for line in lines}) == 1  # every row the same width
    rules = [y for y, line in enumerate(lines) if set(line) <= set("─┼")]
    assert len(rules) == 1 and lines[rules[0]].count("┼") == 4  # under the (wrapped) head
    bars = [[i for i, ch in enumerate(line) if ch in "│┼"] for line in lines]
    assert all(b == bars[0] for b in bars)  # the column rules line up
    first_row = lines[rules[0] + 1]
    assert first_row.startswith("linear") and first_row.endswith("80.8")  # right-aligned


def test_a_wide_table_wraps_its_cells_then_falls_back_to_rows():
    wide = parse(
        "| Model | Description | Score |\n|---|---|--:|\n"
        "| RouteRAG | a sparse router that sends blocks of tokens to experts | 80.8 |\n"
        "| Dense | full attention over every token of the context | 81.2 |\n"
    )
    table = wide.blocks[0].table
    narrow = ["".join(r[0] for r in line) for line in table_lines(table, 50)]
    assert all(cell_len(line) <= 50 for line in narrow)
    assert len(narrow) > 4  # the description wrapped inside its column
    assert "80.8" in "".join(narrow) and "experts" in "".join(narrow)
    tiny = ["".join(r[0] for r in line) for line in table_lines(table, 20)]
    assert "Model: RouteRAG" in tiny and "Score: 80.8" in tiny  # one row at a time
    assert all(cell_len(line) <= 20 for line in tiny)
    many = parse(
        "|" + "|".join(f"c{i}" for i in range(30)) + "|\n|" + "---|" * 30 + "\n|" + "x|" * 30
    )
    rows = list(plain_lines(lay_out(many, 80).lines))
    assert "c0: x" in rows and "c29: x" in rows


def test_wide_characters_are_measured_in_cells():
    cjk = parse("漢字のテキストは一文字が二つのセルを占めます。" * 6)
    for line in lay_out(cjk, 30).lines:
        assert cell_len("".join(r[0] for r in line)) <= 30
    assert cell_len("漢字") == 4 and cell_len("é") == 1 and cell_len("e\u0301") == 1


def test_a_word_longer_than_the_line_is_cut_not_lost():
    url = "https://example.org/" + "a" * 150
    layout = lay_out(parse(f"see {url} here"), 40)
    text = "".join(layout.text(y) for y in range(len(layout.lines)))
    assert url in text.replace(" ", "")
    assert all(cell_len(layout.text(y)) <= 40 for y in range(len(layout.lines)))


def test_incremental_layout_equals_the_whole(paper):
    builder = Builder(PAPER)
    builder.step()
    layout = lay_out(builder.document, 80)
    while builder.step():
        layout.extend(builder.document)
    whole = lay_out(paper, 80)
    assert layout.lines == whole.lines and layout.starts == whole.starts


def test_the_text_is_parsed_in_pieces_cut_at_headings_outside_code_and_math():
    text = "# T\n\n```\n# not a heading\n```\n\n$$\n# x\n$$\n\n## Real\n\nbody\n"
    assert list(pieces(text)) == [
        "# T\n\n```\n# not a heading\n```\n\n$$\n# x\n$$\n\n",
        "## Real\n\nbody\n",
    ]
    document = parse(text)
    assert [h.title for h in document.headings] == ["T", "Real"]
    assert document.blocks[1].kind is Kind.CODE and document.blocks[1].lines == ["# not a heading"]


def test_the_first_screen_needs_only_the_first_pieces():
    builder = Builder(PAPER)
    builder.until(10)
    assert 10 <= len(builder.document.blocks) < len(parse(PAPER).blocks)
    assert not builder.document.complete


# ---- math ----------------------------------------------------------------------------------


def test_inline_math_is_unicode_or_its_dimmed_source():
    assert inline_math(r"O(n^2)") == ("O(n²)", True)
    assert inline_math(r"\alpha = 10^{-2}") == ("α = 10⁻²", True)
    assert inline_math(r"\sum_{i=1}^{n} x_i")[0].startswith("∑ᵢ₌₁")
    assert inline_math("k") == ("k", True)
    assert inline_math(r"\ours") == (r"\ours", False)  # a paper's own macro: shown as written
    assert inline_math(r"\input{/etc/passwd}") == (r"\input{/etc/passwd}", False)


def test_display_math_by_rows_with_its_label(paper):
    maths = blocks_of(paper, Kind.MATH)
    assert [m.label for m in maths] == ["(1)", "(2)", "(3)"]
    aligned = maths[2]
    assert aligned.converted and len(aligned.lines) == 2
    assert aligned.lines[0].startswith("Attn(Q, K, V) = softmax(")
    layout = lay_out(paper, 80)
    first = layout.text(layout.line_of(paper.blocks.index(maths[0])))
    assert first.rstrip().endswith("(1)")


def test_display_math_that_cannot_be_converted_keeps_its_source_lines():
    lines, converted = display_math(
        "f(x) = \\begin{cases}\n1 & x > 0 \\\\\n0 & \\text{else}\n\\end{cases}"
    )
    assert not converted
    assert lines[0] == "f(x) = \\begin{cases}" and lines[-1] == "\\end{cases}"
    document = parse("$$\n\\begin{cases} a \\end{cases}\n$$\n")
    styles = {run[1] for line in lay_out(document, 60).lines for run in line}
    assert "math-src" in styles and "math" not in styles


def test_prose_dollars_are_not_math(paper):
    document = parse("It costs $5 and $10, while $x$ is math.")
    assert document.blocks[0].text == "It costs $5 and $10, while x is math."
    styles = [s.style for s in document.blocks[0].spans]
    assert styles.count("math") == 1


def test_the_paper_shows_no_raw_latex_except_what_cannot_be_converted(paper):
    text = plain_text(PAPER, 100)
    assert "\\frac" not in text and "\\mathcal" not in text and "$" not in text
    assert "\\ours" in text  # the one macro nobody can convert, as written
    spans = [s for b in paper.blocks for s in b.spans if "\\ours" in s.text]
    assert spans and all("math-src" in s.style for s in spans)


# ---- search --------------------------------------------------------------------------------


def test_search_finds_phrases_across_wrapped_lines(paper):
    hits = find(paper, "load-balancing   loss")
    assert len(hits) >= 3
    layout = lay_out(paper, 40)
    for hit in hits:
        line = line_of_hit(layout, hit)
        assert layout.owners[line] == hit.block
    assert find(paper, "ROUTER") == find(paper, "router")
    assert find(paper, "  ") == []


def test_marked_restyles_only_the_hit():
    line = (
        ("The router ", "", 0, 0),
        ("scores", "em", 11, 0),
        (" x", "", 17, 0),
        ("•", "marker", -1, 0),
    )
    out = marked(line, [(4, 13, "match")])
    assert "".join(r[0] for r in out) == "The router scores x•"
    assert [(r[0], r[1]) for r in out if "match" in r[1]] == [
        ("router ", "match"),
        ("sc", "em match"),
    ]


def test_the_section_of_any_block(paper):
    block = next(i for i, b in enumerate(paper.blocks) if b.text.startswith("The router scores"))
    assert section_at(paper.headings, block).title == "3.2 The block router"
    assert section_at(paper.headings, 0).title == paper.title


# ---- output for the command line -----------------------------------------------------------


def test_plain_text_has_no_escape_at_all():
    text = plain_text(PAPER, 80)
    assert "\x1b" not in text and not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    assert text.startswith(" " * 15 + "Routing Sparse Experts")


def test_styled_text_writes_only_its_own_sgr_codes():
    text = styled_text(PAPER, 80)
    assert "\x1b[1m" in text  # headings in bold
    assert not re.sub(r"\x1b\[[0-9;]*m", "", text).count("\x1b")
    assert re.sub(r"\x1b\[[0-9;]*m", "", text) == plain_text(PAPER, 80)
    no_colour = styled_text(PAPER, 80, colour=False)
    assert not re.search(r"\x1b\[[0-9;]*3[0-7][;m]", no_colour)


def test_the_fallback_text_is_labelled_with_the_pdf_link():
    text = (FIXTURES / "fallback-rendering.md").read_text(encoding="utf-8")
    document = parse(text, fallback=True, pdf_url="https://arxiv.org/pdf/2605.01234")
    assert document.blocks[0].kind is Kind.NOTICE
    assert "no HTML version" in document.blocks[0].text
    assert (
        document.links[0].url == "https://arxiv.org/pdf/2605.01234" and document.links[0].openable
    )
    assert "The PDF: https://arxiv.org/pdf/2605.01234[1]" in plain_text(
        text, 100, fallback=True, pdf_url="https://arxiv.org/pdf/2605.01234"
    )


# ---- hostile documents ---------------------------------------------------------------------

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069]")


def test_escapes_controls_and_bidi_never_come_out():
    hostile = (FIXTURES / "hostile-rendering.md").read_text(encoding="utf-8")
    document = parse(hostile)
    for block in document.blocks:
        assert not _UNSAFE.search(block.text), block.text
    for link in document.links:
        assert not _UNSAFE.search(link.url + link.label)
    plain = plain_text(hostile, 80)
    assert not _UNSAFE.search(plain)
    styled = styled_text(hostile, 80)
    assert not _UNSAFE.search(re.sub(r"\x1b\[[0-9;]*m", "", styled))
    assert "[bold red]markup[/]" in plain and "[@click=app.quit]quit[/]" in plain  # just text
    assert "<script>alert(1)</script>" in plain


def test_only_http_links_are_openable():
    document = parse((FIXTURES / "hostile-rendering.md").read_text(encoding="utf-8"))
    openable = {link.url for link in document.links if link.openable}
    # the OSC 8 hyperlink hidden in a URL is removed whole, not left to the terminal
    assert openable == {"https://example.org/ok", "https://example.org/x"}
    refused = [link.url for link in document.links if not link.openable]
    assert "ftp://example.org/x" in refused
    text = plain_text((FIXTURES / "hostile-rendering.md").read_text(encoding="utf-8"), 100)
    assert "javascript:alert(1)" in text  # shown (markdown-it refuses it as a link), never a link


def test_latex_that_would_read_files_is_shown_as_written():
    document = parse("$\\input{/etc/passwd}$ and $\\write18{rm -rf /}$")
    assert document.blocks[0].text == "\\input{/etc/passwd} and \\write18{rm -rf /}"


def test_a_hundred_thousand_nested_list_levels():
    text = (
        "# T\n\nbefore\n\n" + "- " * 100_000 + "deep\n\nafter\n\n" + "> " * 100_000 + "q\n\nend\n"
    )
    document = parse(text)
    shown = "\n".join(plain_lines(lay_out(document, 80).lines))
    assert "before" in shown and "after" in shown and "end" in shown  # the rest survives
    assert max(block.depth for block in document.blocks) <= 10
    assert any("nested too deeply" in n for n in document.notices) or "deep" in shown


def test_nesting_by_indentation_is_flattened():
    text = "".join("  " * i + "- level\n" for i in range(1_000)) + "\nafter\n"  # 1 MB
    document = parse(text)
    assert any(b.text == "after" for b in document.blocks)
    assert all(cell_len(line) <= 80 for line in plain_lines(lay_out(document, 80).lines))


def test_a_ten_thousand_row_table_is_cut_and_says_so():
    text = "| a | b |\n|---|---|\n" + "".join(f"| {i} | x |\n" for i in range(10_000)) + "\nafter\n"
    document = parse(text)
    table = document.blocks[0]
    assert len(table.table.rows) == MAX_TABLE_ROWS
    assert "8,000 more rows not shown" in table.label
    shown = plain_text(text, 80)
    assert "(8,000 more rows not shown: tables are shown up to 2,000 rows)" in shown
    assert shown.rstrip().split("\n")[-1] == "after" or "after" in shown


def test_a_five_megabyte_document_is_cut_and_says_so():
    paragraph = "A sentence of a very long paper with $x^2$ and a [link](https://e.org). " * 15
    text = "# Huge\n\n" + (paragraph + "\n\n") * (5_000_000 // len(paragraph))
    assert len(text) > 5_000_000
    document = parse(text)
    assert document.complete
    assert any("The text is cut here" in n for n in document.notices)
    assert document.blocks[-1].kind is Kind.NOTICE
    assert sum(len(b.text) for b in document.blocks) < 2_100_000


def test_a_paragraph_too_long_to_parse_is_plain_text():
    text = "[" * 60_000 + "x" + "*" * 60_000
    document = parse(text)
    assert any("shown as plain text" in n for n in document.notices)
    assert len(document.blocks[-1].text) == 120_001


def test_once_the_parse_budget_is_spent_the_rest_is_plain():
    document = Builder("**bold** and [a](https://e.org)\n\n" * 3, budget=0).run()
    assert any("without its formatting" in n for n in document.notices)
    assert document.links == [] and all(
        s.style in ("", "notice") for b in document.blocks for s in b.spans
    )


def test_a_runaway_code_block_is_cut():
    document = parse("```\n" + "x = 1\n" * 20_000)
    code = document.blocks[-1]
    assert code.kind is Kind.CODE and len(code.lines) == 5_001 and "more lines" in code.lines[-1]


def test_columns_past_the_limit_are_left_out_and_said():
    text = "|" + "|".join(f"h{i}" for i in range(60)) + "|\n|" + "---|" * 60 + "\n|" + "x|" * 60
    table = parse(text).blocks[0]
    assert len(table.table.head) == 40 and all(len(row) == 40 for row in table.table.rows)
    assert "columns after the first 40 are not shown" in table.label
    assert "columns after the first 40 are not shown" in plain_text(text, 80)


def test_links_and_headings_past_their_limits():
    from papertui.document.parse import MAX_HEADINGS, MAX_LINKS

    links = parse("\n\n".join(f"[l{i}](https://e.org/{i})" for i in range(MAX_LINKS + 10)))
    assert len(links.links) == MAX_LINKS
    assert any("shown without numbers" in n for n in links.notices)
    assert (
        "l5009" in "".join(b.text for b in links.blocks) and "[5001]" not in links.blocks[-1].text
    )
    headings = parse("".join(f"## h{i}\n\nx\n\n" for i in range(MAX_HEADINGS + 50)))
    assert len(headings.headings) == MAX_HEADINGS
    assert any(f"first {MAX_HEADINGS:,} headings" in n for n in headings.notices)
    assert sum(b.kind is Kind.HEADING for b in headings.blocks) == MAX_HEADINGS + 50
    # where the contents stop, the text says so (the reader's outline ended without a word)
    cut = next(i for i, b in enumerate(headings.blocks) if b.kind is Kind.NOTICE)
    assert headings.blocks[cut + 1].text == f"h{MAX_HEADINGS}"  # the first heading left out
    assert "not in them" in headings.blocks[cut].text
